//! Fuzz regressions (issue 11): replays every input committed under
//! `tests/fuzz-regressions/<target>/` — crashers found by `cargo fuzz` and a
//! few interesting seeds — through the same calls and assertions as the fuzz
//! target (`fuzz/checks.rs`, included by path), so a fixed crash stays fixed.

#[path = "../../../fuzz/checks.rs"]
mod checks;

use std::path::Path;

#[test]
fn issue_11_fuzz_inputs_replay_without_panic() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut replayed = 0;
    for (target, check) in checks::TARGETS {
        let dir = base.join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no inputs for {target}");
        for file in files {
            let data = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target}: {} panics", file.display());
            replayed += 1;
        }
    }
    assert!(replayed >= checks::TARGETS.len());
}
