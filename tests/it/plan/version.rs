//! The spec's API version against the versions the org serves
//! (`GET /services/data`; the emulator serves 59.0 to 65.0).

use super::*;

#[test]
fn an_api_version_the_org_does_not_serve_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    for (version, why) in [
        ("66.0", "66.0 is newer than the org's release"),
        ("45.0", "45.0 is retired or was never released"),
    ] {
        std::fs::write(
            dir.path().join("sfprov.toml"),
            format!("template = \"zendesk\"\napi_version = \"{version}\"\n"),
        )
        .unwrap();
        let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
        assert_eq!(r.code, 1, "{version}: {}\n{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(&format!(
                "error: the spec asks for API version {version}, which org `127.0.0.1` does not serve: it serves 59.0 to 65.0 ({why})"
            )),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout
                .contains("hint: set `api_version = \"65.0\"` in the spec (the org's newest)"),
            "{}",
            r.stdout
        );
    }
    // A served version: no finding.
    std::fs::write(
        dir.path().join("sfprov.toml"),
        "template = \"zendesk\"\napi_version = \"62.0\"\n",
    )
    .unwrap();
    let r = plan(dir.path(), &h, &["--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("API version"), "{}", r.stdout);
}

#[test]
fn the_version_list_is_read_once_even_with_an_explicit_api_version() {
    let dir = tempfile::tempdir().unwrap();
    let h = start();
    let r = plan(
        dir.path(),
        &h,
        &["--template", "zendesk", "--json", "--api-version", "63.0"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["requests"]["api_versions"], 1, "{}", v["requests"]);
}
