//! Metadata read + canonicalize + write throughput (issue 2, point 9).
//!
//! - the 675 KB Admin profile of a real org (tests/corpus/toronto);
//! - a generated profile with 100,000 fieldPermissions (~20 MB), already
//!   canonical (the common `fmt --check` case), reversed and shuffled (full sort).
//!
//! The 20 MB files are also written to target/bench/ (big, big-reversed and
//! big-shuffled .profile-meta.xml) so that the real command can be measured and
//! compared with a plain XML parse:
//!   /usr/bin/time -v target/release/sfprov fmt --check target/bench/big.profile-meta.xml
//!   /usr/bin/time xmllint --noout target/bench/big-shuffled.profile-meta.xml

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// A canonical profile with `n` fieldPermissions over n/50 custom objects.
pub fn big_profile(n: usize) -> String {
    let mut s = String::with_capacity(n * 200);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <custom>true</custom>\n");
    let mut fields: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "Integration_Object_{:04}__c.Synchronized_Field_Number_{:06}__c",
                i / 50,
                i
            )
        })
        .collect();
    fields.sort();
    for f in &fields {
        s.push_str("    <fieldPermissions>\n        <editable>false</editable>\n        <field>");
        s.push_str(f);
        s.push_str("</field>\n        <readable>true</readable>\n    </fieldPermissions>\n");
    }
    s.push_str("    <userLicense>Salesforce</userLicense>\n</Profile>\n");
    s
}

/// The same entries in reverse order, one per line.
fn reversed(canonical: &str) -> String {
    rearranged(canonical, |entries| entries.reverse())
}

/// The same entries in a random (seeded) order: what a hand-merge leaves, and
/// the worst case for sorting (reversed input is one descending run).
fn shuffled(canonical: &str) -> String {
    rearranged(canonical, |entries| {
        let mut rng = fastrand::Rng::with_seed(14);
        rng.shuffle(entries)
    })
}

fn rearranged(canonical: &str, f: impl FnOnce(&mut Vec<&str>)) -> String {
    let body_start = canonical.find("    <fieldPermissions>").unwrap();
    let body_end = canonical.find("    <userLicense>").unwrap();
    let mut entries: Vec<&str> = canonical[body_start..body_end]
        .split_inclusive("</fieldPermissions>\n")
        .collect();
    f(&mut entries);
    let mut out = String::with_capacity(canonical.len());
    out.push_str(&canonical[..body_start]);
    out.extend(entries);
    out.push_str(&canonical[body_end..]);
    out
}

fn bench(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let admin =
        std::fs::read(root.join("tests/corpus/toronto/profiles/Admin.profile-meta.xml")).unwrap();
    let mut g = c.benchmark_group("admin_profile_675KB");
    g.throughput(Throughput::Bytes(admin.len() as u64));
    g.bench_function("canonical_bytes", |b| {
        b.iter(|| sfprov::metadata::canonical_bytes(black_box(&admin)).unwrap())
    });
    g.finish();

    let big = big_profile(100_000);
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("big.profile-meta.xml"), &big).unwrap();
    let reversed = reversed(&big);
    std::fs::write(dir.join("big-reversed.profile-meta.xml"), &reversed).unwrap();
    let shuffled = shuffled(&big);
    std::fs::write(dir.join("big-shuffled.profile-meta.xml"), &shuffled).unwrap();
    for input in [&reversed, &shuffled] {
        assert_eq!(
            sfprov::metadata::canonical_bytes(input.as_bytes()).unwrap(),
            big.as_bytes()
        );
    }

    let mut g = c.benchmark_group("profile_100k_fls_20MB");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.bench_function("is_canonical", |b| {
        b.iter(|| assert!(sfprov::metadata::is_canonical(black_box(big.as_bytes())).unwrap()))
    });
    g.bench_function("canonical_bytes_canonical_input", |b| {
        b.iter(|| sfprov::metadata::canonical_bytes(black_box(big.as_bytes())).unwrap())
    });
    g.bench_function("canonical_bytes_reversed_input", |b| {
        b.iter(|| sfprov::metadata::canonical_bytes(black_box(reversed.as_bytes())).unwrap())
    });
    g.bench_function("canonical_bytes_shuffled_input", |b| {
        b.iter(|| sfprov::metadata::canonical_bytes(black_box(shuffled.as_bytes())).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
