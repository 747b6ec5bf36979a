//! Every template: fresh org -> apply -> a fresh plan has no changes; a
//! second apply changes nothing; the observer's events come in the vendors'
//! order; a validation failure changes nothing.

use sfprov::apply::{ApplyError, Event, RecordAction, Status, Step};
use sfprov::templates;

use super::support::*;

#[test]
fn every_template_converges_and_a_second_apply_changes_nothing() {
    for t in templates::all() {
        let h = start();
        let org = remote(&h);
        let s = spec(t.name);
        let dir = tempfile::tempdir().unwrap();
        let (p, rec, r) = s.apply(&org, dir.path());
        let report = r.unwrap_or_else(|e| panic!("{}: {e}\n{:?}", t.name, e.hint()));
        assert!(p.has_changes(), "{}: a fresh org needs changes", t.name);
        let sum = p.summary();
        assert_eq!(
            (
                report.tally.added,
                report.tally.changed,
                report.tally.removed
            ),
            (sum.add, sum.change, sum.remove),
            "{}: the tally is the plan's summary",
            t.name
        );
        assert_eq!(
            rec.steps().last(),
            Some(&(Step::Verify, Status::Done)),
            "{}",
            t.name
        );
        let after = s.plan(&org);
        assert!(
            !after.has_changes(),
            "{}: the plan after apply still has changes:\n{}",
            t.name,
            sfprov::render::plan::human(&after)
        );
        let once = provisioned(&h, &s);
        assert_eq!(once.users, 1, "{}", t.name);

        // A second apply of the (empty) plan: every step has nothing to do.
        let before = dump(&h);
        let (rec2, r2) = s.apply_plan(&after, &org, dir.path());
        let report2 = r2.unwrap();
        assert_eq!(report2.tally, Default::default(), "{}", t.name);
        assert!(
            dump(&h) == before,
            "{}: the second apply changed the org",
            t.name
        );
        for (step, status) in rec2.steps() {
            if !matches!(step, Step::Preflight | Step::Snapshot | Step::Verify) {
                assert_eq!(status, Status::Unchanged, "{}: {step:?}", t.name);
            }
        }
        assert_eq!(provisioned(&h, &s), once, "{}", t.name);
    }
}

#[test]
fn observer_events_come_in_the_vendors_order() {
    let h = start();
    let org = remote(&h);
    let s = spec("classy");
    let dir = tempfile::tempdir().unwrap();
    let (_, rec, r) = s.apply(&org, dir.path());
    r.unwrap();
    let started: Vec<Step> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StepStarted { step } => Some(*step),
            _ => None,
        })
        .collect();
    assert_eq!(started, Step::ALL);
    assert_eq!(
        rec.steps().iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        Step::ALL
    );
    // Every event of a step falls between its start and its end.
    let mut current = None;
    for e in &rec.events {
        match e {
            Event::StepStarted { step } => current = Some(*step),
            Event::StepFinished { step, .. } => {
                assert_eq!(current, Some(*step));
                current = None;
            }
            Event::Record { step, .. } | Event::DeployProgress { step, .. } => {
                assert_eq!(current, Some(*step), "{e:?}")
            }
            Event::ManualStep { .. } => assert_eq!(current, Some(Step::Preflight)),
        }
    }
    // The user, then its license, then its permission set.
    let records: Vec<(&str, RecordAction)> = rec
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Record {
                sobject, action, ..
            } => Some((sobject.as_str(), *action)),
            _ => None,
        })
        .collect();
    assert_eq!(
        records,
        [
            ("User", RecordAction::Created),
            ("PermissionSetLicenseAssign", RecordAction::Created),
            ("PermissionSetAssignment", RecordAction::Created),
        ]
    );
    assert!(rec.events.iter().any(|e| matches!(
        e,
        Event::DeployProgress {
            step: Step::Deploy,
            ..
        }
    )));
}

#[test]
fn a_validation_failure_lists_the_components_and_changes_nothing() {
    let h = start();
    let org = remote(&h);
    let s = spec("zendesk");
    let dir = tempfile::tempdir().unwrap();
    let mut p = s.plan(&org);
    // A permission the org does not know, as a hand-edited plan would have.
    let ps = p
        .desired
        .iter_mut()
        .find(|d| d.type_name == "PermissionSet")
        .unwrap();
    ps.xml = ps.xml.replacen(
        "<userPermissions>",
        "<userPermissions>\n        <enabled>true</enabled>\n        <name>NoSuchPermission</name>\n    </userPermissions>\n    <userPermissions>",
        1,
    );
    let before = dump(&h);
    let (rec, r) = s.apply_plan(&p, &org, dir.path());
    let Err(ApplyError::Validation { failures }) = r else {
        panic!("expected a validation failure, got {r:?}");
    };
    assert!(
        failures
            .iter()
            .any(|f| f.component == "PermissionSet/Zendesk_Integration"
                && f.problem.contains("NoSuchPermission")),
        "{failures:?}"
    );
    assert!(dump(&h) == before, "a failed validation changed the org");
    assert_eq!(rec.steps().last(), Some(&(Step::Validate, Status::Failed)));
}

#[test]
fn a_plan_with_an_error_finding_stops_before_any_change() {
    let h = start();
    let org = remote(&h);
    let s = spec("zendesk");
    let dir = tempfile::tempdir().unwrap();
    let mut p = s.plan(&org);
    p.findings.push(sfprov::plan::Finding {
        severity: sfprov::plan::Severity::Error,
        message: "no free seat of license `Salesforce`".into(),
        hint: Some("free a seat".into()),
    });
    let before = dump(&h);
    let (rec, r) = s.apply_plan(&p, &org, dir.path());
    assert!(matches!(r, Err(ApplyError::Preflight { .. })), "{r:?}");
    assert_eq!(rec.steps(), [(Step::Preflight, Status::Failed)]);
    assert!(dump(&h) == before, "the org changed");
    assert!(
        !dir.path().join(p.org.org_id.unwrap()).exists(),
        "no snapshot"
    );
}
