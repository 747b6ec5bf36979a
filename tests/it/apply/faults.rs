//! The fault matrix (`matrix.rs`): a fault at each step (500, 503, dropped
//! connection before and after the server acted, timeout, expired session,
//! rate limit, a validation failure, a component failure in the deploy),
//! then re-runs: the org converges to what a clean run makes (same
//! metadata, one user, no duplicate assignment, nothing else removed).

use super::matrix;

#[test]
fn a_fault_at_each_step_then_a_rerun_converges_to_a_clean_run() {
    let (clean, cells) = matrix::run("zendesk");
    assert_eq!(clean.users, 1);
    assert_eq!(
        clean.app_access, 1,
        "the Zendesk app is opened to the profile"
    );
    let table = matrix::markdown("zendesk", &clean, &cells);
    // The measured matrix, for the note (`cargo test -- --nocapture`).
    println!("{table}");
    let ran = cells.iter().filter(|c| c.result.is_some()).count();
    assert_eq!(ran, 8 * 7 + 2, "every step x fault that can happen ran");
    for c in &cells {
        if let Some(o) = &c.result {
            assert!(
                o.difference.is_none(),
                "{} x {}: {:?}",
                c.step,
                c.fault,
                o.difference
            );
        }
    }
    // A validation failure stops the first run before anything is deployed.
    let validation = cells
        .iter()
        .find(|c| c.fault == "validation failure" && c.result.is_some())
        .and_then(|c| c.result.as_ref())
        .unwrap();
    assert!(!validation.first_run_ok);
}
