//! Helpers for apply tests: an emulator, a `RemoteOrg` on it (fake clock,
//! short request timeout), the starter spec of a template, one apply with a
//! recorder, and the org state compared between runs.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use sfprov::apply::{self, ApplyError, Recorder, Report};
use sfprov::emulator::{self, Config, EmulatorHandle};
use sfprov::org::read::RemoteOrg;
use sfprov::org::write::OrgWrite;
use sfprov::org::{connect_with_clock, ConnectOptions, FakeClock, Target, Wait};
use sfprov::plan::{self, Plan};
use sfprov::secret::Secret;
use sfprov::spec::desired::Desired;
use sfprov::{generate, templates};

pub fn start() -> EmulatorHandle {
    emulator::spawn(Config::default()).expect("emulator starts")
}

/// A connected org on `h`; each request may take 2 s.
pub fn remote(h: &EmulatorHandle) -> RemoteOrg {
    let target = Target::AccessToken {
        instance_url: h.url.clone(),
        token: Secret::new(h.access_token.expose()),
    };
    let opts = ConnectOptions {
        api_version: Some("63.0".into()),
        request_timeout: Duration::from_secs(2),
        ..ConnectOptions::default()
    };
    let org = connect_with_clock(&target, &opts, Arc::new(FakeClock::default()))
        .expect("connects to the emulator");
    RemoteOrg::new(org, Wait::default())
}

/// A template with the starter identity (what `sfprov init` writes).
pub struct Spec {
    pub desired: Desired,
    pub opts: plan::Options,
}

pub fn spec(template: &str) -> Spec {
    let t = templates::get(template).expect("template exists");
    let text = templates::starter_spec(t);
    let loaded = sfprov::spec::load_str("sfprov.toml", &text).expect("starter spec loads");
    Spec {
        desired: loaded.desired,
        opts: plan::Options {
            spec_name: format!("template {template}"),
            spec_text: text,
            view: Default::default(),
        },
    }
}

impl Spec {
    pub fn username(&self) -> String {
        self.desired
            .user
            .as_ref()
            .unwrap()
            .username
            .clone()
            .unwrap()
    }

    pub fn plan(&self, org: &dyn OrgWrite) -> Plan {
        plan::build(&self.desired, org, &self.opts).expect("plan builds")
    }

    pub fn options(&self, snapshots: &std::path::Path) -> apply::Options {
        apply::Options {
            snapshot_root: snapshots.to_path_buf(),
            snapshot_members: plan::manifest::members(
                &self.desired,
                &generate::documents(&self.desired),
            ),
            send_password_email: false,
        }
    }

    /// Plans, then applies that plan with a recorder.
    pub fn apply(
        &self,
        org: &dyn OrgWrite,
        snapshots: &std::path::Path,
    ) -> (Plan, Recorder, Result<Report, ApplyError>) {
        let p = self.plan(org);
        let (rec, r) = self.apply_plan(&p, org, snapshots);
        (p, rec, r)
    }

    pub fn apply_plan(
        &self,
        p: &Plan,
        org: &dyn OrgWrite,
        snapshots: &std::path::Path,
    ) -> (Recorder, Result<Report, ApplyError>) {
        let mut rec = Recorder::default();
        let replan = |o: &dyn OrgWrite| plan::build(&self.desired, o, &self.opts);
        let r = apply::apply(
            p,
            org,
            &self.options(snapshots),
            &replan,
            &mut rec.observer(),
        );
        (rec, r)
    }
}

/// The emulator's whole state, as `/__emulator/state` dumps it.
pub fn dump(h: &EmulatorHandle) -> Value {
    h.with_state(|s| serde_json::to_value(s).unwrap())
}

/// What apply is responsible for in the org, comparable across runs: every
/// desired component's stored XML, the users with the spec's username, and
/// the user's assignments as (object, target) pairs, sorted with repeats
/// kept (so a duplicate shows).
#[derive(Debug, PartialEq, Eq)]
pub struct Provisioned {
    pub components: Vec<(String, String, Option<String>)>,
    pub users: usize,
    pub assignments: Vec<(String, String)>,
    /// SetupEntityAccess rows opening a connected app (a repeat shows).
    pub app_access: usize,
}

pub fn provisioned(h: &EmulatorHandle, s: &Spec) -> Provisioned {
    let username = s.username();
    let mut components: Vec<(String, String, Option<String>)> = generate::documents(&s.desired)
        .into_iter()
        .map(|c| {
            let xml = h.component(c.type_name, &c.member);
            (c.type_name.to_string(), c.member, xml)
        })
        .collect();
    components.sort();
    h.with_state(|st| {
        let users: Vec<String> = st
            .rows("User")
            .iter()
            .filter(|u| u.get("Username").and_then(Value::as_str) == Some(username.as_str()))
            .map(|u| u["Id"].as_str().unwrap().to_string())
            .collect();
        let mut assignments = Vec::new();
        for (object, target, target_object, name) in [
            (
                "PermissionSetAssignment",
                "PermissionSetId",
                "PermissionSet",
                "Name",
            ),
            (
                "PermissionSetLicenseAssign",
                "PermissionSetLicenseId",
                "PermissionSetLicense",
                "DeveloperName",
            ),
        ] {
            for r in st.rows(object) {
                let who = r.get("AssigneeId").and_then(Value::as_str).unwrap_or("");
                if users
                    .iter()
                    .any(|u| u.starts_with(&who[..15.min(who.len())]))
                {
                    let t = r.get(target).and_then(Value::as_str).unwrap_or("");
                    let n = st
                        .get(target_object, t)
                        .and_then(|r| r.get(name))
                        .and_then(Value::as_str)
                        .unwrap_or(t);
                    assignments.push((object.to_string(), n.to_string()));
                }
            }
        }
        assignments.sort();
        let apps: Vec<&str> = st
            .rows("ConnectedApplication")
            .iter()
            .filter_map(|a| a.get("Id").and_then(Value::as_str))
            .collect();
        let app_access = st
            .rows("SetupEntityAccess")
            .iter()
            .filter(|r| {
                r.get("SetupEntityId")
                    .and_then(Value::as_str)
                    .is_some_and(|id| apps.contains(&id))
            })
            .count();
        Provisioned {
            components,
            users: users.len(),
            assignments,
            app_access,
        }
    })
}

/// Re-runs apply until a fresh plan is empty (at most twice).
pub fn rerun(s: &Spec, org: &dyn OrgWrite, snapshots: &std::path::Path) {
    for _ in 0..2 {
        let p = s.plan(org);
        if !p.has_changes() {
            return;
        }
        let (_, r) = s.apply_plan(&p, org, snapshots);
        r.unwrap_or_else(|e| panic!("re-run failed: {e}"));
    }
    assert!(!s.plan(org).has_changes(), "still not converged");
}
