//! Keyed semantic diff speed (issue 8, point 14), side by side with a Python
//! lxml diff of the same files (`tools/lxml_semantic_diff.py`) in the same run.
//!
//! Two 20 MB profiles with 100,000 fieldPermissions: the new one has 500
//! `editable` flags flipped and its entries shuffled. Cases:
//! - `sfprov_library`: read both + diff, in process;
//! - `sfprov_binary`: `sfprov diff OLD NEW --json` as a user runs it;
//! - `python_lxml`: the reference script (skipped with a note without lxml).
//!
//! Peak memory: /usr/bin/time -v target/release/sfprov diff \
//!   target/bench/diff-old.profile-meta.xml target/bench/diff-new.profile-meta.xml

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion};

/// One entry's lines, with `editable` set as asked.
fn entry(i: usize, editable: bool) -> String {
    format!(
        "    <fieldPermissions>\n        <editable>{editable}</editable>\n        <field>Object_{:04}__c.Field_{:06}__c</field>\n        <readable>true</readable>\n    </fieldPermissions>\n",
        i / 50,
        i
    )
}

/// A profile whose entries come in `order`, with the entries in `flipped`
/// editable.
fn profile(order: &[usize], flipped: &std::collections::HashSet<usize>) -> String {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <custom>true</custom>\n");
    for &i in order {
        s.push_str(&entry(i, flipped.contains(&i)));
    }
    s.push_str("    <userLicense>Salesforce</userLicense>\n</Profile>\n");
    s
}

fn files(dir: &Path) -> (PathBuf, PathBuf) {
    const N: usize = 100_000;
    let mut order: Vec<usize> = (0..N).collect();
    let old = profile(&order, &Default::default());
    // Deterministic shuffle (xorshift) and 500 flips spread over the file.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in (1..N).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let flipped = (0..500).map(|k| k * (N / 500) + 7).collect();
    let new = profile(&order, &flipped);
    std::fs::create_dir_all(dir).unwrap();
    let (a, b) = (
        dir.join("diff-old.profile-meta.xml"),
        dir.join("diff-new.profile-meta.xml"),
    );
    std::fs::write(&a, old).unwrap();
    std::fs::write(&b, new).unwrap();
    (a, b)
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (old, new) = files(&root.join("target/bench"));
    let report = sfprov::diff::tree::diff_paths(&old, &new, None).unwrap();
    assert_eq!(report.components[0].changes.len(), 500);

    let mut g = c.benchmark_group("diff_two_20MB_profiles_500_flips_shuffled");
    g.sample_size(10);
    g.bench_function("sfprov_library", |b| {
        b.iter(|| sfprov::diff::tree::diff_paths(black_box(&old), black_box(&new), None).unwrap())
    });
    g.bench_function("sfprov_binary", |b| {
        b.iter(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_sfprov"))
                .args(["diff", "--json"])
                .args([&old, &new])
                .output()
                .unwrap();
            assert!(out.status.success());
        })
    });
    let script = root.join("tools/lxml_semantic_diff.py");
    let python = Command::new("python3")
        .arg(&script)
        .args([&old, &new])
        .output();
    match python {
        Ok(out) if out.status.success() => {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "500");
            g.bench_function("python_lxml", |b| {
                b.iter(|| {
                    let out = Command::new("python3")
                        .arg(&script)
                        .args([&old, &new])
                        .output()
                        .unwrap();
                    assert!(out.status.success());
                })
            });
        }
        _ => eprintln!(
            "note: python3 with lxml not available; reference case skipped (pip install lxml)"
        ),
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
