//! Regressions in fmt (see ../regression.rs for naming).

use std::path::Path;
use std::time::{Duration, Instant};

use sfprov::metadata::{self, Limit, Limits};

use crate::common::{run, sfprov, Run};

const NS: &str = "xmlns=\"http://soap.sforce.com/2006/04/metadata\"";
const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Runs a command, killing it after `secs` (a test must fail, not hang).
fn run_within(mut c: std::process::Command, secs: u64) -> Run {
    use std::io::Read;
    c.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = c.spawn().expect("runs");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(secs) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("still running after {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stdout = String::new();
    let mut stderr = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// Issue 7, item 4: 30,000 levels of nesting aborted fmt with a stack overflow
/// (exit 134, no file name) and the rest of the directory was never reported.
#[test]
fn issue_07_deep_nesting_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let n = 30_000;
    let deep = format!(
        "{DECL}<Profile {NS}>\n{}{}</Profile>\n",
        "<a>".repeat(n),
        "</a>".repeat(n)
    );
    write(dir.path(), "A.profile-meta.xml", &deep);
    write(
        dir.path(),
        "B.permissionset-meta.xml",
        &format!(
            "<PermissionSet {NS}><label>B</label><description>d</description></PermissionSet>"
        ),
    );
    let mut c = sfprov(dir.path());
    c.args(["fmt", "."]);
    let r = run_within(c, 60);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // Root on line 2, the 64th <a> (level 65) at column 1 + 63 * 3.
    assert!(
        r.stderr
            .contains("A.profile-meta.xml:3:190: elements nest deeper than 64 levels"),
        "{}",
        r.stderr
    );
    assert!(
        r.stdout.contains("B.permissionset-meta.xml"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("2 files checked, 1 formatted, 1 failed"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("A.profile-meta.xml")).unwrap(),
        deep
    );

    // The limit is a value a caller can tell apart from malformed input.
    let e = metadata::parse(&deep).unwrap_err();
    assert_eq!(e.limit, Some(Limit::Depth(64)));
    // Nesting within the limit is read, and the canonical indentation of a
    // small deeply nested file stays proportionate (35 KB became 100 MB).
    let chain = format!("{}{}", "<a>".repeat(63), "</a>".repeat(63));
    let ok = format!(
        "<Profile {NS}>{}</Profile>",
        chain.repeat(35_000 / chain.len())
    );
    let out = metadata::canonical_bytes(ok.as_bytes()).unwrap();
    assert!(
        out.len() < 100 * ok.len(),
        "{} -> {} bytes",
        ok.len(),
        out.len()
    );
}

/// Issue 7, item 4: element count and size are bounded in every reader
/// (package.xml and the emulator's deploys use the same one).
#[test]
fn issue_07_element_count_and_size_are_bounded() {
    let limits = Limits {
        max_depth: 64,
        max_elements: 1000,
        max_bytes: 1 << 20,
    };
    let many = format!(
        "<Package {NS}><types>{}<name>ApexClass</name></types></Package>",
        "<members>A</members>".repeat(1000)
    );
    let e = metadata::parse_with(&many, &limits).unwrap_err();
    assert_eq!(e.limit, Some(Limit::Elements(1000)));
    assert!(e.to_string().contains("more than 1,000 elements"), "{e}");
    let big = format!(
        "<Package {NS}><version>{}</version></Package>",
        "1".repeat(1 << 20)
    );
    let e = metadata::parse_with(&big, &limits).unwrap_err();
    assert_eq!(e.limit, Some(Limit::Size(1 << 20)));
    assert!(e.to_string().contains("larger than 1 MiB"), "{e}");
    // Within the limits, and malformed input carries no limit.
    assert!(metadata::parse_with(&many[..many.len() / 2], &limits)
        .unwrap_err()
        .limit
        .is_none());
}

/// Issue 7, item 4: 200,000 attributes on the root took over 60 s (quick-xml's
/// duplicate check compares each with all before it). Linear now; duplicates
/// are still refused.
#[test]
fn issue_07_many_attributes_are_read_in_linear_time() {
    let attrs: String = (0..200_000).map(|i| format!(" a{i}=\"x\"")).collect();
    let text = format!("<Profile {NS}{attrs}><custom>true</custom></Profile>");
    let start = Instant::now();
    let out = metadata::canonical_bytes(text.as_bytes()).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(String::from_utf8(out).unwrap().contains(" a199999=\"x\">"));

    let twice = format!("<Profile {NS}{attrs} a77=\"y\"/>");
    let e = metadata::parse(&twice).unwrap_err();
    assert!(e.message.contains("attribute `a77` twice"), "{e}");
    let few = format!("<Profile {NS} a=\"1\" a=\"2\"/>");
    assert!(metadata::parse(&few)
        .unwrap_err()
        .message
        .contains("`a` twice"));
}

/// Issue 7, item 9: a retrieve writes a profile's loginIpRanges by the numeric
/// value of startAddress, then endAddress; fmt kept them as given. The
/// ipRanges of network access and connected apps keep their order.
#[test]
fn issue_07_login_ip_ranges_sort_by_numeric_address() {
    let range = |start: &str, end: &str| {
        format!("<loginIpRanges><endAddress>{end}</endAddress><startAddress>{start}</startAddress></loginIpRanges>")
    };
    let given = [
        ("not-an-ip", "x"),
        ("192.136.12.0", "192.136.12.255"),
        ("2001:db8::1", "2001:db8::ff"),
        ("63.238.36.11", "63.238.36.11"),
        ("159.142.0.0", "159.142.255.255"),
        ("63.151.176.0", "63.151.176.255"),
        ("63.151.176.0", "63.151.176.20"),
        ("", ""),
    ];
    let body: String = given.iter().map(|(s, e)| range(s, e)).collect();
    let out =
        metadata::canonical_bytes(format!("<Profile {NS}>{body}</Profile>").as_bytes()).unwrap();
    let out = String::from_utf8(out).unwrap();
    let starts: Vec<(&str, &str)> = out
        .split("<loginIpRanges>")
        .skip(1)
        .map(|r| {
            let get = |tag: &str| {
                let open = format!("<{tag}>");
                r.split_once(&open)
                    .and_then(|(_, rest)| rest.split_once('<'))
                    .map_or("", |(v, _)| v)
            };
            (get("startAddress"), get("endAddress"))
        })
        .collect();
    assert_eq!(
        starts,
        [
            ("63.151.176.0", "63.151.176.20"),
            ("63.151.176.0", "63.151.176.255"),
            ("63.238.36.11", "63.238.36.11"),
            ("159.142.0.0", "159.142.255.255"),
            ("192.136.12.0", "192.136.12.255"),
            ("2001:db8::1", "2001:db8::ff"),
            ("", ""),
            ("not-an-ip", "x"),
        ]
    );
    // Canonical output is a fixed point.
    assert_eq!(
        metadata::canonical_bytes(out.as_bytes()).unwrap(),
        out.as_bytes()
    );

    let ip = |start: &str, end: &str| {
        format!("<ipRanges><end>{end}</end><start>{start}</start></ipRanges>")
    };
    let kept = format!("{}{}", ip("9.0.0.0", "9.0.0.1"), ip("1.0.0.0", "1.0.0.1"));
    for doc in [
        format!("<SecuritySettings {NS}><networkAccess>{kept}</networkAccess></SecuritySettings>"),
        format!("<ConnectedApp {NS}>{kept}<label>A</label></ConnectedApp>"),
    ] {
        let out = String::from_utf8(metadata::canonical_bytes(doc.as_bytes()).unwrap()).unwrap();
        assert!(
            out.find("9.0.0.0").unwrap() < out.find("1.0.0.0").unwrap(),
            "{out}"
        );
    }
}

/// Issue 7, item 11: a FIFO blocked fmt forever and /dev/zero was read until
/// memory ran out; files over the size limit are refused before reading.
#[cfg(unix)]
#[test]
fn issue_07_fmt_refuses_fifos_devices_and_oversized_files() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("Fifo.profile-meta.xml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let mut c = sfprov(dir.path());
    c.args(["fmt", "--check", "Fifo.profile-meta.xml"]);
    let r = run_within(c, 20);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("Fifo.profile-meta.xml is a FIFO (named pipe), not a regular file"),
        "{}",
        r.stderr
    );

    std::os::unix::fs::symlink("/dev/zero", dir.path().join("Zero.profile-meta.xml")).unwrap();
    let mut c = sfprov(dir.path());
    c.args(["fmt", "Zero.profile-meta.xml"]);
    let r = run_within(c, 20);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("is a device, not a regular file"),
        "{}",
        r.stderr
    );

    // Sparse: 101 MiB that take no disk space.
    let big = std::fs::File::create(dir.path().join("Big.profile-meta.xml")).unwrap();
    big.set_len(101 << 20).unwrap();
    let mut c = sfprov(dir.path());
    c.args(["fmt", "Big.profile-meta.xml"]);
    let r = run_within(c, 20);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("Big.profile-meta.xml is larger than 100 MiB, the limit"),
        "{}",
        r.stderr
    );
}

/// Issue 7, item 11: a comment after the root element was silently deleted.
/// Comments before and after the root survive, byte for byte.
#[test]
fn issue_07_comments_around_the_root_survive() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{DECL}<!-- generated by hand -->\n<PermissionSet {NS}>\n    <label>B</label>\n</PermissionSet>\n<!-- keep me -->\n<!--and me-->\n"
    );
    assert!(metadata::is_canonical(text.as_bytes()).unwrap());
    assert_eq!(
        metadata::canonical_bytes(text.as_bytes()).unwrap(),
        text.as_bytes()
    );
    // From a non-canonical layout, fmt writes the same bytes.
    let messy = text
        .replace("\n    <label>", "<label>")
        .replace("-->\n<!--and", "--><!--and");
    write(dir.path(), "B.permissionset-meta.xml", &messy);
    let mut c = sfprov(dir.path());
    c.args(["fmt", "."]);
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("B.permissionset-meta.xml")).unwrap(),
        text
    );
}
