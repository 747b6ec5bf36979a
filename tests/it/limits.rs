//! Resource bounds on what users hand sfprov (issue 11, point 6; the README's
//! Limits lists them all): a spec is a regular UTF-8 file of at most 16 MiB,
//! refused with the limit named by generate, plan and apply alike, before
//! anything is read into memory or sent to an org.

use super::common::{run, sfprov};

fn refusals(dir: &std::path::Path, spec: &str) -> Vec<(String, i32, String)> {
    [
        vec!["generate", "--spec", spec],
        vec!["plan", "--spec", spec, "--target-org", "local"],
        vec![
            "apply",
            "--spec",
            spec,
            "--target-org",
            "local",
            "--auto-approve",
        ],
    ]
    .into_iter()
    .map(|args| {
        let mut c = sfprov(dir);
        c.args(&args);
        let r = run(c);
        (args[0].to_string(), r.code, r.stderr)
    })
    .collect()
}

#[test]
fn a_spec_past_the_limit_is_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    // 17 MiB (sparse: zeros after the first line): refused by its size,
    // before a byte is read.
    let f = std::fs::File::create(dir.path().join("big.toml")).unwrap();
    std::io::Write::write_all(&mut &f, b"template = \"zendesk\"\n").unwrap();
    f.set_len(17 * 1024 * 1024).unwrap();
    for (cmd, code, stderr) in refusals(dir.path(), "big.toml") {
        assert_eq!(code, 1, "{cmd}: {stderr}");
        assert!(
            stderr.contains("big.toml")
                && stderr.contains("larger than 16 MiB, the limit for a spec"),
            "{cmd}: {stderr}"
        );
    }
    // Nothing was written and no org was made.
    assert!(!dir.path().join("force-app").exists());
    assert!(!dir.path().join(".sfprov/local-org").exists());
}

#[test]
fn a_spec_that_is_not_a_regular_utf8_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("latin1.toml"),
        b"template = \"zendesk\"\n# caf\xe9\n",
    )
    .unwrap();
    for (cmd, code, stderr) in refusals(dir.path(), "latin1.toml") {
        assert_eq!(code, 1, "{cmd}: {stderr}");
        assert!(
            stderr.contains("not UTF-8 text (invalid byte at offset 26)"),
            "{cmd}: {stderr}"
        );
    }
    std::fs::create_dir(dir.path().join("adir.toml")).unwrap();
    for (cmd, code, stderr) in refusals(dir.path(), "adir.toml") {
        assert_eq!(code, 1, "{cmd}: {stderr}");
        assert!(
            stderr.contains("is a directory, not a regular file"),
            "{cmd}: {stderr}"
        );
    }
    #[cfg(unix)]
    {
        // A FIFO with no writer would block a plain read forever.
        let fifo = dir.path().join("pipe.toml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            for (cmd, code, stderr) in refusals(dir.path(), "pipe.toml") {
                assert_eq!(code, 1, "{cmd}: {stderr}");
                assert!(
                    stderr.contains("a FIFO (named pipe), not a regular file"),
                    "{cmd}: {stderr}"
                );
            }
        }
    }
}
