//! The real-org corpus: canonical form and round trips (issue 2, point 3).

use sfprov::metadata;

use crate::common::{corpus_files, reindent, shuffle, Rng};

const NOT_CANONICAL: &str = "toronto/profiles/Admin.profile-meta.xml";

#[test]
fn corpus_has_82_files() {
    assert_eq!(corpus_files().len(), 82);
}

#[test]
fn every_corpus_file_but_admin_is_canonical_and_round_trips() {
    let mut not_canonical = Vec::new();
    for path in corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        let out = metadata::canonical_bytes(&bytes).unwrap();
        let canonical = metadata::is_canonical(&bytes).unwrap();
        assert_eq!(canonical, out == bytes, "{}", path.display());
        if !canonical {
            not_canonical.push(path.to_string_lossy().replace('\\', "/"));
        }
    }
    assert_eq!(not_canonical.len(), 1, "{not_canonical:?}");
    assert!(not_canonical[0].ends_with(NOT_CANONICAL));
}

#[test]
fn admin_canonical_form_only_reorders() {
    let path = corpus_files()
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with(NOT_CANONICAL))
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let out = metadata::canonical_bytes(&bytes).unwrap();
    assert_ne!(out, bytes);
    // Same tags, other order: nothing lost, nothing invented. (The file has a
    // hand-merged line `</classAccesses>    <classAccesses>`, so compare tags.)
    let tags = |b: &[u8]| {
        let text = std::str::from_utf8(b).unwrap();
        let mut t: Vec<String> = text
            .split('<')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        t.sort();
        t
    };
    assert!(tags(&bytes) == tags(&out), "tags differ");
    // Canonical output is a fixed point.
    assert_eq!(metadata::canonical_bytes(&out).unwrap(), out);
}

#[test]
fn shuffled_and_reindented_corpus_comes_back() {
    for (i, path) in corpus_files().into_iter().enumerate() {
        let bytes = std::fs::read(&path).unwrap();
        let expected = metadata::canonical_bytes(&bytes).unwrap();
        let text = std::str::from_utf8(&bytes).unwrap();
        for seed in [1u64, 7] {
            let mut doc = metadata::parse(text).unwrap();
            shuffle(&mut doc, &mut Rng::new(seed * 1000 + i as u64));
            let scrambled = reindent(&doc);
            assert_ne!(scrambled, expected);
            let back = metadata::canonical_bytes(&scrambled).unwrap();
            assert!(
                back == expected,
                "{} (seed {seed}) did not come back canonical",
                path.display()
            );
        }
    }
}
