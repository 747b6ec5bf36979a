//! Issue 8 item 5: one diagnostics renderer for every error family, human
//! (`error:`, `-->`, `caused by:`, `hint:`) and JSON (`format_version`,
//! `"ok": false`, the same facts); usage errors as JSON under `--json`; `-v`
//! request logs without a token; Ctrl-C handled by the binary for every
//! command; and the library never calling `process::exit`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sfprov::diag::ToDiagnostic;
use sfprov::render::diagnostic;

use crate::common::{run, sfprov, Run};

fn go(dir: &Path, args: &[&str]) -> Run {
    let mut c = sfprov(dir);
    c.args(args);
    run(c)
}

/// The JSON error document on stdout, checked for its frame.
fn doc(r: &Run) -> serde_json::Value {
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", r.stdout));
    assert_eq!(v["format_version"], "1", "{v}");
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["warnings"].is_array(), "{v}");
    v
}

/// The human rendering of a library error, and its JSON document parsed.
fn both(e: &impl ToDiagnostic) -> (String, serde_json::Value) {
    let d = e.to_diagnostics();
    let human = diagnostic::human(&d, diagnostic::Style::default());
    let json = serde_json::from_str(&diagnostic::json(&d)).unwrap();
    (human, json)
}

const PROFILE: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <custom>false</custom>\n</Profile>\n";
const BROKEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <custom>false</customx>\n</Profile>\n";

#[test]
fn spec_errors_point_at_the_spec_in_both_views() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("org")).unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "template = \"zendesk\"\n[user]\nlicence = \"Salesforce\"\n",
    )
    .unwrap();
    let args = ["plan", "--spec", "bad.toml", "--org-dir", "org"];
    let r = go(dir.path(), &args);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: unknown key `licence` in `user`
      --> bad.toml:3:1
    hint: did you mean `license`?
    error: the spec has 1 error; no plan was made
    hint: fix bad.toml and run the plan again
    ");
    let r = go(dir.path(), &[&args[..], &["--json"]].concat());
    let v = doc(&r);
    let e = &v["errors"][0];
    assert_eq!(e["message"], "unknown key `licence` in `user`");
    assert_eq!(e["location"]["file"], "bad.toml");
    assert_eq!(e["location"]["line"], 3);
    assert_eq!(e["location"]["column"], 1);
    assert_eq!(e["hints"][0], "did you mean `license`?");
    assert_eq!(
        v["errors"][1]["message"],
        "the spec has 1 error; no plan was made"
    );
    // The human view still goes to stderr for whoever watches.
    assert!(r.stderr.contains("--> bad.toml:3:1"), "{}", r.stderr);
}

#[test]
fn a_metadata_parse_error_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("A.profile-meta.xml"), PROFILE).unwrap();
    std::fs::write(dir.path().join("B.profile-meta.xml"), BROKEN).unwrap();
    let args = ["diff", "A.profile-meta.xml", "B.profile-meta.xml"];
    let r = go(dir.path(), &args);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: cannot read B.profile-meta.xml: ill-formed document: expected `</custom>`, but `</customx>` was found
      --> B.profile-meta.xml:3:18
    hint: fix the XML at that position (`xmllint --noout B.profile-meta.xml` shows the same); a retrieve from the org gives a well-formed copy
    ");
    let v = doc(&go(dir.path(), &[&args[..], &["--json"]].concat()));
    let e = &v["errors"][0];
    assert_eq!(e["severity"], "error");
    assert_eq!(e["location"]["file"], "B.profile-meta.xml");
    assert_eq!(e["location"]["line"], 3);
    assert_eq!(e["location"]["column"], 18);
    assert!(e["hints"][0].as_str().unwrap().contains("xmllint"));
}

#[test]
fn diff_usage_problems_have_hints_in_both_views() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("A.profile-meta.xml"), PROFILE).unwrap();
    std::fs::create_dir(dir.path().join("d")).unwrap();
    let r = go(dir.path(), &["diff", "A.profile-meta.xml", "d"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: cannot compare the file A.profile-meta.xml with the directory d: give two files or two directories
    hint: compare the file with its counterpart in the directory, e.g. `sfprov diff A.profile-meta.xml d/A.profile-meta.xml`
    ");
    let v = doc(&go(
        dir.path(),
        &["diff", "--json", "A.profile-meta.xml", "d"],
    ));
    assert!(v["errors"][0]["hints"][0]
        .as_str()
        .unwrap()
        .contains("d/A.profile-meta.xml"));
    // Three paths: neither OLD NEW nor git's form.
    let v = doc(&go(dir.path(), &["diff", "--json", "a", "b", "c"]));
    assert!(v["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("not 3"));
    assert!(v["errors"][0]["hints"][0]
        .as_str()
        .unwrap()
        .starts_with("sfprov diff "));
}

#[test]
fn org_errors_carry_the_org_and_a_runnable_hint() {
    let dir = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let mut c = sfprov(dir.path());
    c.env("PATH", empty.path())
        .args(["org", "info", "-o", "acme"]);
    let r = run(c);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: the `sf` CLI was not found on PATH (needed for target org `acme`)
    hint: install the Salesforce CLI (`npm install --global @salesforce/cli`), then run `sf org login web --alias acme`
    ");
    let mut c = sfprov(dir.path());
    c.env("PATH", empty.path())
        .args(["org", "info", "-o", "acme", "--json"]);
    let v = doc(&run(c));
    let e = &v["errors"][0];
    assert_eq!(e["org"], "acme");
    assert!(e["hints"][0]
        .as_str()
        .unwrap()
        .contains("sf org login web --alias acme"));

    // No org at all, under plan: the same renderer, the same hint.
    let r = go(dir.path(), &["plan", "--template", "zendesk", "--json"]);
    let v = doc(&r);
    assert_eq!(v["errors"][0]["message"], "no target org given");
    assert!(v["errors"][0]["hints"][0]
        .as_str()
        .unwrap()
        .contains("--target-org"));
    assert!(
        r.stderr.contains("hint: pass `--target-org"),
        "{}",
        r.stderr
    );
}

#[test]
fn every_org_error_has_a_hint() {
    use sfprov::org::{ApiError, ApiErrorCode, JobKind, OrgError};
    let org = || "acme".to_string();
    let op = || "retrieve".to_string();
    let errors = [
        OrgError::Http {
            org: org(),
            operation: op(),
            status: 503,
            body: "down".into(),
        },
        OrgError::Http {
            org: org(),
            operation: op(),
            status: 404,
            body: String::new(),
        },
        OrgError::Protocol {
            org: org(),
            operation: op(),
            reason: "no zip".into(),
        },
        OrgError::Canceled {
            org: org(),
            kind: JobKind::Deploy,
            id: "0Af".into(),
        },
        OrgError::BadUrl {
            url: "x".into(),
            reason: "relative".into(),
        },
        OrgError::BadApiVersion {
            version: "abc".into(),
        },
        OrgError::Api {
            org: org(),
            operation: op(),
            error: ApiError {
                code: ApiErrorCode::parse("SOMETHING_NEW"),
                message: "m".into(),
                fields: Vec::new(),
            },
        },
    ];
    for e in &errors {
        let (human, json) = both(e);
        assert!(human.starts_with("error: "), "{human}");
        assert!(human.contains("\nhint: "), "no hint for {e:?}: {human}");
        assert!(json["errors"][0]["hints"][0].is_string(), "{json}");
    }
    let (_, json) = both(&errors[0]);
    assert_eq!(json["errors"][0]["org"], "acme");
}

#[test]
fn plan_file_errors_say_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let r = go(dir.path(), &["show", "nope.json"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: cannot read plan file nope.json
      caused by: No such file or directory (os error 2)
    hint: save a plan first: `sfprov plan -o ORG --out nope.json`
    ");
    std::fs::write(dir.path().join("p.json"), "{}").unwrap();
    let v = doc(&go(dir.path(), &["show", "--json", "p.json"]));
    let e = &v["errors"][0];
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("p.json is not an sfprov plan file"));
    assert_eq!(
        e["hints"][0],
        "make a new one with `sfprov plan -o ORG --out p.json`"
    );
}

#[test]
fn file_errors_of_fmt_and_generate_name_the_path_and_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let r = go(dir.path(), &["fmt", "nope"]);
    assert_eq!(r.code, 1);
    insta::assert_snapshot!(r.stderr, @r"
    error: cannot read `nope`
      caused by: No such file or directory (os error 2)
    hint: check the path `nope` (`ls nope`)
    ");
    let e = sfprov::fmt::run(&sfprov::fmt::Options {
        paths: vec![dir.path().join("nope")],
        check: false,
    })
    .unwrap_err();
    let (_, json) = both(&e);
    assert_eq!(
        json["errors"][0]["causes"][0],
        "No such file or directory (os error 2)"
    );

    // A file where generate needs a directory: nothing written, and why.
    std::fs::create_dir(dir.path().join("out")).unwrap();
    std::fs::write(dir.path().join("out/force-app"), "").unwrap();
    let r = go(
        dir.path(),
        &["generate", "--template", "zendesk", "-d", "out"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.starts_with("error: cannot write `out/force-app/"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\n  caused by: `out/force-app` exists and is not a directory; remove it or choose another directory with -d (nothing was written)\n"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .ends_with("\nhint: choose another output directory with `-d DIR`\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn emulator_config_errors_have_hints() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seed.json"), "[").unwrap();
    let r = go(dir.path(), &["emulator", "serve", "--seed", "seed.json"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .starts_with("error: invalid emulator seed file seed.json: "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\nhint: fix the seed file"),
        "{}",
        r.stderr
    );
    let e = sfprov::emulator::Seed::from_file(&dir.path().join("missing.json")).unwrap_err();
    let (human, json) = both(&e);
    assert!(human.contains("\n  caused by: No such file"), "{human}");
    assert!(json["errors"][0]["hints"][0]
        .as_str()
        .unwrap()
        .contains("--seed"));
}

#[test]
fn usage_errors_are_json_under_json() {
    let dir = tempfile::tempdir().unwrap();
    let r = go(dir.path(), &["plan", "--json", "--bogus"]);
    let v = doc(&r);
    assert_eq!(
        v["errors"][0]["message"],
        "unexpected argument '--bogus' found"
    );
    assert_eq!(
        v["errors"][0]["hints"].as_array().unwrap().last().unwrap(),
        "`sfprov plan --help` lists the options"
    );
    assert!(
        r.stderr.starts_with("error: unexpected argument"),
        "{}",
        r.stderr
    );

    let r = go(dir.path(), &["org", "info", "--json", "--target-org"]);
    doc(&r);

    // A command without --json: the human view only, still with a hint.
    let r = go(dir.path(), &["generate", "--json"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    insta::assert_snapshot!(r.stderr, @r"
    error: unexpected argument '--json' found
    hint: `sfprov generate --help` lists the options
    ");
}

#[test]
fn verbose_logs_requests_without_a_token_and_quiet_hides_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let r = go(dir.path(), &["-v", "org", "info", "--target-org", "local"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("debug: GET http://127.0.0.1:") && l.contains("-> 200"))
        .unwrap_or_else(|| panic!("no request line: {}", r.stderr));
    assert!(line.ends_with(" ms"), "{line}");
    // Emulator tokens look like Salesforce's: `00D…!AQ…`.
    assert!(!r.stderr.contains("!AQ"), "{}", r.stderr);
    assert!(!r.stdout.contains("!AQ"));

    let r = go(dir.path(), &["org", "info", "--target-org", "local"]);
    assert!(!r.stderr.contains("debug:"), "{}", r.stderr);

    let spec = "template = \"zendesk\"\n[permission_sets.Zendesk_Integration]\nobjects.Acount = { access = \"read\", why = \"x\" }\n";
    std::fs::write(dir.path().join("sfprov.toml"), spec).unwrap();
    let loud = go(dir.path(), &["generate", "-d", "out"]);
    let quiet = go(dir.path(), &["-q", "generate", "-d", "out2"]);
    assert_eq!((loud.code, quiet.code), (0, 0), "{}", loud.stderr);
    assert!(loud.stderr.contains("warning: "), "{}", loud.stderr);
    assert!(!quiet.stderr.contains("warning: "), "{}", quiet.stderr);
}

/// A server that accepts connections and never answers.
fn silent_server() -> (
    String,
    std::thread::JoinHandle<()>,
    std::sync::mpsc::Receiver<()>,
) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    let t = std::thread::spawn(move || {
        let mut held = Vec::new();
        listener.set_nonblocking(true).unwrap();
        let until = Instant::now() + Duration::from_secs(60);
        while Instant::now() < until {
            match listener.accept() {
                Ok((s, _)) => {
                    held.push(s);
                    let _ = tx.send(());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
            if held.len() > 8 {
                break;
            }
        }
    });
    (url, t, rx)
}

/// Ctrl-C and SIGTERM while `org info` waits on the network (a command that
/// writes no file): the binary's handler ends it with 130 / 143 and says so.
#[cfg(unix)]
#[test]
fn a_signal_while_waiting_on_an_org_exits_130_or_143() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let (url, _server, accepted) = silent_server();
        let mut c = sfprov(dir.path());
        c.env("SF_ACCESS_TOKEN", "00DSIGNAL!AQ.signal-test-token")
            .env("SFPROV_HTTP_TIMEOUT", "50")
            .args(["org", "info", "--instance-url", &url])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = c.spawn().unwrap();
        if accepted.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = child.kill();
            panic!("sfprov never connected");
        }
        let sent = std::process::Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let until = Instant::now() + Duration::from_secs(40);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > until {
                let _ = child.kill();
                panic!("SIG{signal} did not stop sfprov");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "SIG{signal}: {stderr}");
        let word = if signal == "INT" {
            "interrupted"
        } else {
            "terminated"
        };
        assert!(stderr.contains(&format!("error: {word}")), "{stderr}");
        assert!(stderr.contains("hint: run the command again"), "{stderr}");
        assert!(!stderr.contains("signal-test-token"), "{stderr}");
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The library never ends the process: only the binary (main.rs, cli.rs,
/// run.rs, run/) may call `process::exit`.
#[test]
fn the_library_never_calls_process_exit() {
    let root = crate::common::root();
    let binary = [
        root.join("src/main.rs"),
        root.join("src/cli.rs"),
        root.join("src/run.rs"),
        root.join("src/run"),
    ];
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("crates"), &mut files);
    assert!(files.len() > 50, "found only {} files", files.len());
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| !binary.iter().any(|b| f.starts_with(b)))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            text.contains("process::exit") || text.contains("exit(130)")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "library files calling process::exit: {offenders:?}"
    );
}
