//! Regressions in generate (see ../regression.rs for naming).

use std::path::{Path, PathBuf};

use crate::common::{self, generate_with_spec, run, sfprov, tree};

/// The spec of a connected app sfprov creates, named `name`.
fn new_connected_app(name: &str) -> String {
    format!(
        "[connected_app.\"{name}\"]\nkind = \"create\"\nlabel = \"X\"\ncontact_email = \"a@acme.example\"\ncallback_url = \"https://acme.example/cb\"\nscopes = [\"Api\"]\n"
    )
}

/// Item 1: `[connected_app."../../../../../X"]` wrote X.connectedApp-meta.xml
/// above --out, exit 0. Every introduced name is now checked, all errors in
/// one run, each at its position; nothing is written anywhere.
#[test]
fn issue_07_generate_never_writes_outside_the_output_directory() {
    let sandbox = tempfile::tempdir().unwrap();
    let dir = sandbox.path().join("a/b/c/d/e");
    std::fs::create_dir_all(&dir).unwrap();
    let spec = format!(
        "{}\n[external_client_app.\"../x\"]\nlabel = \"X\"\ncontact_email = \"a@acme.example\"\ncallback_url = \"https://acme.example/cb\"\nscopes = [\"Api\"]\n\n[permission_sets.\"../../P\"]\nlabel = \"P\"\nsystem.ApiEnabled = {{ why = \"w\" }}\n\n[profiles.\"Acme\"]\nlicense = \"Salesforce\"\npages.\"../page\" = {{ why = \"w\" }}\nclasses.\"Acme_Controller_With_A_Name_Longer_Than_Forty\" = {{ why = \"w\" }}\n",
        new_connected_app("../../../../../X")
    );
    let before = tree(sandbox.path());
    let r = generate_with_spec(&dir, &spec);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    let mut after = tree(sandbox.path());
    after.remove("a/b/c/d/e/sfprov.toml");
    assert_eq!(after, before, "nothing written anywhere");
    for (want, at) in [
        (
            "`../../../../../X` is not a valid connected app API name",
            "sfprov.toml:1:16",
        ),
        (
            "`../x` is not a valid external client app API name",
            "sfprov.toml:8:",
        ),
        (
            "`../../P` is not a valid permission set API name",
            "sfprov.toml:14:",
        ),
        (
            "`../page` is not a valid Visualforce page API name",
            "sfprov.toml:20:",
        ),
        ("Salesforce allows at most 40", "sfprov.toml:21:"),
    ] {
        let mut lines = r.stderr.lines().skip_while(|l| !l.contains(want));
        assert!(lines.next().is_some(), "{want}\n{}", r.stderr);
        let next = lines.next().unwrap_or_default();
        assert!(
            next.starts_with(&format!("  --> {at}")),
            "{want} at {at}:\n{}",
            r.stderr
        );
    }
    assert!(
        r.stderr.contains("hint: API names begin with a letter"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
}

/// Item 1 (b), on its own: the writer refuses a path that leaves the output
/// directory, absolute paths, names over 255 bytes and directory links to
/// elsewhere, before writing any file of the tree.
#[test]
fn issue_07_the_writer_refuses_paths_outside_the_output_directory() {
    use sfprov::generate::{write_tree, Format, GeneratedFile};
    let file = |path: &str| GeneratedFile {
        path: path.into(),
        bytes: b"<x/>\n".to_vec(),
        component: None,
    };
    let sandbox = tempfile::tempdir().unwrap();
    let out = sandbox.path().join("p/out");
    std::fs::create_dir_all(&out).unwrap();
    let long = format!("profiles/{}.profile", "x".repeat(250));
    for bad in [
        "connectedApps/../../../X.connectedApp",
        "../X.connectedApp",
        "/tmp/X.connectedApp",
        long.as_str(),
    ] {
        // A good file first: it must not be written either.
        let files = [file("permissionsets/A.permissionset"), file(bad)];
        let e = write_tree(&out, &files, Format::Mdapi, "63.0").unwrap_err();
        let cause = e.source.to_string();
        assert!(cause.contains("nothing was written"), "{bad}: {cause}");
        assert!(tree(sandbox.path()).is_empty(), "{bad}: wrote something");
    }
    #[cfg(unix)]
    {
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.join("profiles")).unwrap();
        let files = [
            file("permissionsets/A.permissionset"),
            file("profiles/B.profile"),
        ];
        let e = write_tree(&out, &files, Format::Mdapi, "63.0").unwrap_err();
        assert!(e.source.to_string().contains("symbolic link"), "{e:?}");
        assert!(tree(elsewhere.path()).is_empty());
        assert!(!out.join("permissionsets").exists());
    }
}

/// Item 2: profile names that cannot be files. `""` and `"."` made a hidden
/// `.profile-meta.xml`, a newline split the file name (and the stdout line),
/// a 300-character name failed with ENAMETOOLONG after other files were
/// written. Each is now a spec error and nothing is written.
#[test]
fn issue_07_profile_names_that_cannot_be_files_write_nothing() {
    let long = "x".repeat(300);
    // Under 255 characters, over 255 bytes once `(` `)` are encoded.
    let too_long_for_a_file = "Integration (API) ".repeat(13);
    let cases: [(&str, &str); 7] = [
        ("", "it is empty"),
        (".", "begins with `.`"),
        ("..", "begins with `.`"),
        ("Acme\\nIntegration", "control character \\u{a}"),
        ("Acme\\u0000Integration", "control character \\u{0}"),
        (&long, "300 characters; Salesforce allows at most 255"),
        (too_long_for_a_file.trim_end(), "file name would be"),
    ];
    for (name, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        // A permission set that would be written first, were names not checked.
        let spec = format!(
            "[permission_sets.Acme]\nlabel = \"Acme\"\nsystem.ApiEnabled = {{ why = \"w\" }}\n\n[profiles.\"{name}\"]\nlicense = \"Salesforce\"\nsystem.ApiEnabled = {{ why = \"w\" }}\n"
        );
        let r = generate_with_spec(dir.path(), &spec);
        assert_eq!(r.code, 1, "{name:?}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{name:?}");
        assert!(r.stderr.contains(want), "{name:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("cannot be a profile name"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("--> sfprov.toml:5:"), "{}", r.stderr);
        assert!(r.stderr.contains("nothing was written"), "{}", r.stderr);
        assert!(!dir.path().join("out").exists(), "{name:?}: wrote files");
        assert!(
            !r.stderr.lines().any(|l| l.starts_with("Integration")),
            "a newline in a name must not split an output line: {}",
            r.stderr
        );
    }
}

/// The `.sfprov-*.tmp` files directly in `dir` (names only, no reading).
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with(".sfprov-") && n.ends_with(".tmp"))
                .collect()
        })
        .unwrap_or_default()
}

/// Item 11: Ctrl-C or SIGTERM during `fmt` left `.sfprov-*.tmp` files behind
/// (6 of 10 signals). Each trial waits until a temp file exists, then sends
/// the signal after a different delay; no temp file may survive, and a run
/// the signal stopped exits 130 (SIGINT) or 143 (SIGTERM).
#[cfg(unix)]
#[test]
fn issue_07_a_signal_during_fmt_leaves_no_temp_files() {
    // One big, scrambled profile, many times: fmt rewrites every copy.
    let src = common::root().join("tests/corpus/toronto/profiles/Admin.profile-meta.xml");
    let text = std::fs::read_to_string(src).unwrap();
    let mut doc = sfprov::metadata::parse(&text).unwrap();
    common::shuffle(&mut doc, &mut common::Rng::new(7));
    let scrambled = common::reindent(&doc);
    let sandbox = tempfile::tempdir().unwrap();
    let dir = sandbox.path().join("profiles");
    let mut stopped = 0;
    for (trial, delay_ms) in [0u64, 1, 3, 10, 30, 100].into_iter().enumerate() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..40 {
            std::fs::write(dir.join(format!("P{i:02}.profile-meta.xml")), &scrambled).unwrap();
        }
        let mut c = sfprov(sandbox.path());
        c.args(["fmt", "profiles"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let mut child = c.spawn().unwrap();
        let started = std::time::Instant::now();
        while temp_files(&dir).is_empty()
            && child.try_wait().unwrap().is_none()
            && started.elapsed() < std::time::Duration::from_secs(60)
        {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let signal = if trial % 2 == 0 { "INT" } else { "TERM" };
        let _ = std::process::Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status();
        let status = child.wait().unwrap();
        let left = temp_files(&dir);
        assert!(
            left.is_empty(),
            "SIGINT/TERM after {delay_ms} ms left {left:?}"
        );
        match status.code() {
            Some(130) if signal == "INT" => stopped += 1,
            Some(143) if signal == "TERM" => stopped += 1,
            Some(0) => {} // finished before the signal arrived
            other => panic!("SIG{signal} after {delay_ms} ms: exit {other:?}"),
        }
    }
    assert!(stopped > 0, "no trial stopped fmt mid-run");
}

/// Runs `sfprov ARGS` in `dir` under `umask`.
#[cfg(unix)]
fn with_umask(dir: &Path, umask: &str, args: &str) -> common::Run {
    let mut sh = std::process::Command::new("sh");
    sh.current_dir(dir)
        .env("HOME", dir)
        .env_remove("SF_TARGET_ORG")
        .env("NO_COLOR", "1")
        .args([
            "-c",
            &format!("umask {umask}; exec \"$0\" {args}"),
            env!("CARGO_BIN_EXE_sfprov"),
        ]);
    run(sh)
}

#[cfg(unix)]
fn modes(dir: &Path) -> Vec<(String, u32)> {
    use std::os::unix::fs::PermissionsExt;
    tree(dir)
        .into_keys()
        .map(|p| {
            let m = std::fs::metadata(dir.join(&p))
                .unwrap()
                .permissions()
                .mode()
                & 0o777;
            (p, m)
        })
        .collect()
}

/// Item 12: files were created 0600 whatever the umask. New files follow
/// the umask (0644 under 022, 0640 under 027); an existing file keeps its
/// mode when it is rewritten.
#[cfg(unix)]
#[test]
fn issue_07_new_files_follow_the_umask() {
    for (umask, want) in [("022", 0o644), ("027", 0o640)] {
        let dir = tempfile::tempdir().unwrap();
        let r = with_umask(dir.path(), umask, "generate --template zendesk --out out");
        assert_eq!(r.code, 0, "{}", r.stderr);
        let out = dir.path().join("out");
        let m = modes(&out);
        assert!(m.len() >= 5, "{m:?}");
        for (p, mode) in &m {
            assert_eq!(*mode, want, "umask {umask}: {p} is {mode:o}");
        }
        let r = with_umask(dir.path(), umask, "init --template zendesk --out spec.toml");
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(
            modes(dir.path())
                .iter()
                .find(|(p, _)| p == "spec.toml")
                .unwrap()
                .1,
            want
        );
    }
    // An existing file keeps its mode when generate rewrites it.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let r = with_umask(dir.path(), "022", "generate --template zendesk --out out");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ps = dir.path().join(
        "out/force-app/main/default/permissionsets/Zendesk_Integration.permissionset-meta.xml",
    );
    std::fs::write(&ps, "stale").unwrap();
    std::fs::set_permissions(&ps, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = with_umask(dir.path(), "022", "generate --template zendesk --out out");
    assert!(r.stdout.contains("updated out/force-app"), "{}", r.stdout);
    let mode = std::fs::metadata(&ps).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

/// Item 15: `generate --check` exits 1 and lists what would be created or
/// updated, one path per line, writing nothing; exits 0 quietly when the
/// committed files match the spec.
#[test]
fn issue_07_generate_check_lists_changes_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let gen = |extra: &[&str]| {
        let mut c = sfprov(dir.path());
        c.args(["generate", "--template", "zendesk", "--out", "out"])
            .args(extra);
        run(c)
    };
    let check = gen(&["--check"]);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(!dir.path().join("out").exists(), "--check wrote files");
    assert!(check.stderr.contains("to create"), "{}", check.stderr);
    assert!(check
        .stderr
        .contains("hint: run the same command without --check"));
    let written = gen(&[]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let would: Vec<String> = check
        .stdout
        .lines()
        .map(|l| {
            l.strip_prefix("would ")
                .unwrap()
                .replace("create ", "created ")
        })
        .collect();
    let did: Vec<&str> = written.stdout.lines().collect();
    assert_eq!(would, did, "--check lists exactly what a run creates");

    let clean = gen(&["--check"]);
    assert_eq!(
        (clean.code, clean.stdout.as_str(), clean.stderr.as_str()),
        (0, "", "")
    );

    let ps: PathBuf = dir.path().join(
        "out/force-app/main/default/permissionsets/Zendesk_Integration.permissionset-meta.xml",
    );
    std::fs::write(&ps, "edited by hand").unwrap();
    let before = tree(dir.path());
    let stale = gen(&["--check"]);
    assert_eq!(stale.code, 1);
    assert_eq!(
        stale.stdout,
        "would update out/force-app/main/default/permissionsets/Zendesk_Integration.permissionset-meta.xml\n"
    );
    assert!(
        stale.stderr.contains("1 generated file is out of date"),
        "{}",
        stale.stderr
    );
    assert_eq!(tree(dir.path()), before, "--check wrote files");
}
