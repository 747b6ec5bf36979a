//! The fault matrix: a fault at each step (500, 503, dropped connection
//! before and after the server acted, timeout, expired session, rate limit),
//! then a re-run: the org converges to what a clean run makes (same
//! metadata, one user, no duplicate assignment, nothing else removed).

use sfprov::emulator::{FaultAction, FaultRule};

use super::support::*;

/// Where each step's first request of its kind falls in one apply of a
/// fresh plan (the plan itself retrieves once and queries before).
fn steps() -> Vec<(&'static str, FaultRule)> {
    vec![
        (
            "snapshot",
            FaultRule::new("soap:retrieve", FaultAction::DropBefore),
        ),
        (
            "validate",
            FaultRule::new("soap:deploy", FaultAction::DropBefore),
        ),
        (
            "deploy",
            FaultRule::new("soap:deploy", FaultAction::DropBefore).after(1),
        ),
        (
            "status poll",
            FaultRule::new("soap:checkDeployStatus", FaultAction::DropBefore).after(1),
        ),
        (
            "user",
            FaultRule::new("rest:sobjects", FaultAction::DropBefore),
        ),
        (
            "assignments",
            FaultRule::new("rest:sobjects", FaultAction::DropBefore).after(1),
        ),
        (
            "app access",
            FaultRule::new("rest:sobjects", FaultAction::DropBefore).after(2),
        ),
        (
            "verify",
            FaultRule::new("soap:retrieve", FaultAction::DropBefore).after(1),
        ),
    ]
}

fn faults() -> Vec<(&'static str, FaultAction)> {
    let status = |s: u16| FaultAction::Status {
        status: s,
        body: "<html>unavailable</html>".into(),
        content_type: Some("text/html".into()),
    };
    vec![
        ("500", status(500)),
        ("503", status(503)),
        ("drop before", FaultAction::DropBefore),
        ("drop after", FaultAction::DropAfter),
        ("timeout", FaultAction::Delay { ms: 2_500 }),
        ("expired session", FaultAction::InvalidSession),
        ("rate limit", FaultAction::RequestLimit),
    ]
}

#[test]
fn a_fault_at_each_step_then_a_rerun_converges_to_a_clean_run() {
    let s = spec("zendesk");
    let clean = {
        let h = start();
        let org = remote(&h);
        let dir = tempfile::tempdir().unwrap();
        s.apply(&org, dir.path()).2.unwrap();
        provisioned(&h, &s)
    };
    assert_eq!(clean.users, 1);
    assert_eq!(
        clean.app_access, 1,
        "the Zendesk app is opened to the profile"
    );
    let mut matrix = Vec::new();
    for (step, rule) in steps() {
        for (fault, action) in faults() {
            let h = start();
            let org = remote(&h);
            let dir = tempfile::tempdir().unwrap();
            // The plan is made before the fault is armed.
            let p = s.plan(&org);
            let mut r = rule.clone();
            r.action = action.clone();
            h.add_fault(r.times(1));
            let (_, first) = s.apply_plan(&p, &org, dir.path());
            h.clear_faults();
            let outcome = match &first {
                Ok(_) => "ok",
                Err(_) => "failed",
            };
            rerun(&s, &org, dir.path());
            let got = provisioned(&h, &s);
            assert_eq!(
                got, clean,
                "{step} x {fault}: the re-run did not converge to a clean run"
            );
            matrix.push(format!(
                "{step:12} x {fault:15} -> first run {outcome:6}, re-run converged"
            ));
        }
    }
    // The measured matrix, for the note (`cargo test -- --nocapture`).
    println!("{}", matrix.join("\n"));
}
