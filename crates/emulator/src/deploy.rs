//! Deploys: the job lifecycle (Pending -> InProgress -> terminal over polls,
//! cancel), reading the deploy zip (singlePackage or one folder down, within
//! the limits of `limits.rs`) and its package.xml, atomicity (rollbackOnError,
//! checkOnly), and the DeployResult XML.
//! Does not: parse SOAP (see `mdapi.rs`) or decide what one file does to the
//! org (see `apply.rs`).

use super::limits;
use super::soap::{esc, leaf, Node};
use super::state::OrgState;
use super::{ids, Shared};
use sfprov_metadata::{self as metadata, schema};

/// DeployOptions as sent (missing booleans take Salesforce's defaults).
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub allow_missing_files: bool,
    pub check_only: bool,
    pub ignore_warnings: bool,
    pub rollback_on_error: bool,
    pub single_package: bool,
}

impl DeployOptions {
    pub fn from_node(n: Option<&Node>) -> Self {
        let b = |name: &str, default: bool| n.and_then(|n| n.bool_of(name)).unwrap_or(default);
        DeployOptions {
            allow_missing_files: b("allowMissingFiles", false),
            check_only: b("checkOnly", false),
            ignore_warnings: b("ignoreWarnings", false),
            rollback_on_error: b("rollbackOnError", true),
            single_package: b("singlePackage", false),
        }
    }
}

/// One line of DeployDetails.
#[derive(Debug, Clone)]
pub struct DeployMessage {
    pub changed: bool,
    pub component_type: String,
    pub created: bool,
    pub deleted: bool,
    pub file_name: String,
    pub full_name: String,
    pub id: Option<String>,
    pub problem: Option<String>,
    pub success: bool,
}

/// A finished deploy.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: &'static str,
    pub success: bool,
    pub failures: Vec<DeployMessage>,
    pub successes: Vec<DeployMessage>,
    pub total: usize,
    pub deployed: usize,
    pub completed_date: String,
}

/// A deploy job, from `deploy` to its terminal state.
#[derive(Debug, Clone)]
pub struct DeployJob {
    pub id: String,
    pub zip: Vec<u8>,
    pub options: DeployOptions,
    pub created_by: String,
    pub created_by_name: String,
    pub created_date: String,
    pub start_date: Option<String>,
    pub polls: u32,
    pub cancel_requested: bool,
    pub canceling_seen: bool,
    pub canceled: bool,
    pub outcome: Option<Outcome>,
    /// A `component_failure` fault: the first component fails with this.
    pub fail_component: Option<String>,
}

/// Advances a job by one `checkDeployStatus` poll.
pub fn poll(shared: &Shared, job: &mut DeployJob) {
    if job.outcome.is_some() || job.canceled {
        return;
    }
    job.polls += 1;
    if job.cancel_requested {
        // One poll shows Canceling, the next Canceled.
        if job.canceling_seen {
            job.canceled = true;
        }
        job.canceling_seen = true;
        return;
    }
    let n = shared.deploy_polls;
    if job.polls > n && job.start_date.is_none() {
        job.start_date = Some(ids::now_iso());
    }
    if job.polls > 2 * n {
        let mut st = shared.lock();
        let before = (shared.persistent() && !job.options.check_only).then(|| st.clone());
        let mut outcome = execute(&mut st, job);
        if outcome.status != "Failed" && !job.options.check_only {
            // Not on disk means not deployed: undo and report it.
            if let Err(e) = shared.persist(&st) {
                if let Some(b) = before {
                    *st = b;
                }
                let f = failure("", "package.xml", "package.xml", e.to_string());
                outcome = finished("Failed", vec![f], vec![], outcome.total);
            }
        }
        job.outcome = Some(outcome);
    }
}

/// The DeployResult XML for a job's current state.
pub fn result_xml(shared: &Shared, job: &DeployJob, include_details: bool) -> String {
    let n = shared.deploy_polls;
    let (status, done) = match (&job.outcome, job.canceled) {
        (Some(o), _) => (o.status, true),
        (None, true) => ("Canceled", true),
        (None, false) if job.cancel_requested => ("Canceling", false),
        (None, false) if job.polls <= n => ("Pending", false),
        _ => ("InProgress", false),
    };
    let mut x = String::new();
    if job.canceled {
        leaf(&mut x, "canceledBy", ids::short(&job.created_by));
        leaf(&mut x, "canceledByName", &job.created_by_name);
    }
    leaf(&mut x, "checkOnly", bool_s(job.options.check_only));
    if let Some(o) = &job.outcome {
        leaf(&mut x, "completedDate", &o.completed_date);
    }
    leaf(&mut x, "createdBy", ids::short(&job.created_by));
    leaf(&mut x, "createdByName", &job.created_by_name);
    leaf(&mut x, "createdDate", &job.created_date);
    x.push_str("<details>");
    if let (Some(o), true) = (&job.outcome, include_details) {
        for m in &o.failures {
            message_xml(&mut x, "componentFailures", m, &job.created_date);
        }
        for m in &o.successes {
            message_xml(&mut x, "componentSuccesses", m, &job.created_date);
        }
    }
    x.push_str("<runTestResult><numFailures>0</numFailures><numTestsRun>0</numTestsRun><totalTime>0.0</totalTime></runTestResult>");
    x.push_str("</details>");
    leaf(&mut x, "done", bool_s(done));
    leaf(&mut x, "id", &job.id);
    leaf(
        &mut x,
        "ignoreWarnings",
        bool_s(job.options.ignore_warnings),
    );
    leaf(&mut x, "lastModifiedDate", &ids::now_iso());
    let (errors, deployed, total) = job.outcome.as_ref().map_or((0, 0, 0), |o| {
        (
            o.failures
                .iter()
                .filter(|m| !m.component_type.is_empty())
                .count(),
            o.deployed,
            o.total,
        )
    });
    // A package-level failure ("No package.xml found") is not a component
    // error: Salesforce reports numberComponentErrors=0 for it.
    leaf(&mut x, "numberComponentErrors", &errors.to_string());
    leaf(&mut x, "numberComponentsDeployed", &deployed.to_string());
    leaf(&mut x, "numberComponentsTotal", &total.to_string());
    for f in [
        "numberTestErrors",
        "numberTestsCompleted",
        "numberTestsTotal",
    ] {
        leaf(&mut x, f, "0");
    }
    leaf(
        &mut x,
        "rollbackOnError",
        bool_s(job.options.rollback_on_error),
    );
    leaf(&mut x, "runTestsEnabled", "false");
    if let Some(s) = &job.start_date {
        leaf(&mut x, "startDate", s);
    }
    leaf(&mut x, "status", status);
    let success = job.outcome.as_ref().is_some_and(|o| o.success);
    leaf(&mut x, "success", bool_s(success));
    x
}

fn bool_s(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

fn message_xml(x: &mut String, tag: &str, m: &DeployMessage, date: &str) {
    x.push('<');
    x.push_str(tag);
    x.push('>');
    leaf(x, "changed", bool_s(m.changed));
    leaf(x, "componentType", &m.component_type);
    leaf(x, "created", bool_s(m.created));
    leaf(x, "createdDate", date);
    leaf(x, "deleted", bool_s(m.deleted));
    leaf(x, "fileName", &m.file_name);
    leaf(x, "fullName", &m.full_name);
    if let Some(id) = &m.id {
        leaf(x, "id", id);
    }
    if let Some(p) = &m.problem {
        leaf(x, "problem", p);
        leaf(x, "problemType", "Error");
    }
    leaf(x, "success", bool_s(m.success));
    x.push_str("</");
    x.push_str(tag);
    x.push('>');
}

fn failure(ty: &str, file: &str, name: &str, problem: String) -> DeployMessage {
    DeployMessage {
        changed: false,
        component_type: ty.to_string(),
        created: false,
        deleted: false,
        file_name: file.to_string(),
        full_name: name.to_string(),
        id: None,
        problem: Some(problem),
        success: false,
    }
}

fn finished(
    status: &'static str,
    failures: Vec<DeployMessage>,
    successes: Vec<DeployMessage>,
    total: usize,
) -> Outcome {
    let deployed = successes
        .iter()
        .filter(|m| !m.component_type.is_empty())
        .count();
    Outcome {
        status,
        success: status == "Succeeded",
        failures,
        successes,
        total,
        deployed,
        completed_date: ids::now_iso(),
    }
}

/// Runs a deploy against the org: all-or-nothing unless rollbackOnError is off.
pub fn execute(st: &mut OrgState, job: &DeployJob) -> Outcome {
    let files = match limits::read_zip(&job.zip, limits::ZipLimits::default()) {
        Ok(f) => f,
        Err(e) => {
            return finished(
                "Failed",
                vec![failure("", "package.xml", "package.xml", e)],
                vec![],
                0,
            )
        }
    };
    // singlePackage: package.xml at the root; otherwise one folder down.
    let prefix = if job.options.single_package {
        files.contains_key("package.xml").then(String::new)
    } else {
        files
            .keys()
            .filter_map(|k| k.strip_suffix("/package.xml"))
            .find(|d| !d.contains('/'))
            .map(|d| format!("{d}/"))
    };
    let Some(prefix) = prefix else {
        let f = failure(
            "",
            "package.xml",
            "package.xml",
            "No package.xml found".into(),
        );
        return finished("Failed", vec![f], vec![], 0);
    };
    let manifest_name = format!("{prefix}package.xml");
    let (members, version) = match manifest_members(&files[&manifest_name]) {
        Ok(m) => m,
        Err(e) => {
            let f = failure("", &manifest_name, "package.xml", e);
            return finished("Failed", vec![f], vec![], 0);
        }
    };
    let mut work = st.clone();
    let mut failures = Vec::new();
    let mut successes = Vec::new();
    let mut found: Vec<(String, String)> = Vec::new();
    // The package.xml version decides shapes: PermissionSets merge before 40.0
    // (Summer '17), new profiles start from Minimum Access from 60.0.
    let api_version = version.unwrap_or(63.0);
    for (path, bytes) in &files {
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if rel == "package.xml" || rel.starts_with("destructiveChanges") || rel.ends_with('/') {
            continue;
        }
        let (dir, file) = rel.rsplit_once('/').unwrap_or(("", rel));
        let Some((ty, member)) =
            schema::registry_for_file(file).filter(|(t, _)| t.directory == dir)
        else {
            failures.push(failure(
                "",
                path,
                rel,
                format!("Unable to find a deployable metadata type for file: {rel}"),
            ));
            continue;
        };
        found.push((ty.name.to_string(), member.clone()));
        match super::apply::apply_component(&mut work, ty.name, &member, bytes, api_version) {
            Ok((created, changed, id)) => successes.push(DeployMessage {
                changed,
                component_type: ty.name.to_string(),
                created,
                deleted: false,
                file_name: path.clone(),
                full_name: member,
                id,
                problem: None,
                success: true,
            }),
            Err(problems) => {
                for p in problems {
                    failures.push(failure(ty.name, path, &member, p));
                }
            }
        }
    }
    if let Some(problem) = &job.fail_component {
        if let Some(i) = successes.iter().position(|m| !m.component_type.is_empty()) {
            let m = successes.remove(i);
            failures.push(failure(
                &m.component_type,
                &m.file_name,
                &m.full_name,
                problem.clone(),
            ));
        }
    }
    if !job.options.allow_missing_files {
        for (ty, m) in &members {
            if m != "*" && !found.iter().any(|(t, n)| t == ty && n == m) {
                failures.push(failure(
                    ty,
                    &manifest_name,
                    m,
                    format!("An object '{m}' of type {ty} was named in package.xml, but was not found in zipped directory"),
                ));
            }
        }
    }
    // destructiveChanges*.xml: deletions after the other components.
    for (path, bytes) in &files {
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if !(rel.starts_with("destructiveChanges") && rel.ends_with(".xml")) {
            continue;
        }
        let deletions = match manifest_members(bytes) {
            Ok((m, _)) => m,
            Err(e) => {
                failures.push(failure("", path, rel, e));
                continue;
            }
        };
        for (ty, m) in deletions {
            found.push((ty.clone(), m.clone()));
            match super::apply::delete_component(&mut work, &ty, &m) {
                Ok(()) => successes.push(DeployMessage {
                    changed: true,
                    component_type: ty.clone(),
                    created: false,
                    deleted: true,
                    file_name: path.clone(),
                    full_name: m,
                    id: None,
                    problem: None,
                    success: true,
                }),
                Err(p) => failures.push(failure(&ty, path, &m, p)),
            }
        }
    }
    let total = found.len();
    let manifest_ok = DeployMessage {
        changed: true,
        component_type: String::new(),
        created: false,
        deleted: false,
        file_name: manifest_name,
        full_name: "package.xml".into(),
        id: None,
        problem: None,
        success: true,
    };
    if !failures.is_empty() && job.options.rollback_on_error {
        return finished("Failed", failures, vec![], total);
    }
    if !job.options.check_only {
        // With rollbackOnError=false the components that passed are kept.
        *st = work;
    }
    successes.push(manifest_ok);
    let status = if failures.is_empty() {
        "Succeeded"
    } else {
        "SucceededPartial"
    };
    finished(status, failures, successes, total)
}

/// (type, member) pairs of a package.xml.
pub type Members = Vec<(String, String)>;

/// The members and the version of a package.xml.
pub fn manifest_members(bytes: &[u8]) -> Result<(Members, Option<f64>), String> {
    limits::check_xml(bytes, "The file", limits::MAX_FILE_ELEMENTS)
        .map_err(|e| format!("Error parsing file: {e}"))?;
    let text = metadata::read::utf8(bytes).map_err(|e| format!("Error parsing file: {e}"))?;
    let doc = metadata::parse(text).map_err(|e| format!("Error parsing file: {e}"))?;
    let mut out = Vec::new();
    for t in doc.root.children().iter().filter(|c| c.name == "types") {
        let ty = t.child_text("name").unwrap_or("").to_string();
        for m in t.children().iter().filter(|c| c.name == "members") {
            out.push((ty.clone(), m.text_value().unwrap_or("").to_string()));
        }
    }
    let version = doc
        .root
        .child_text("version")
        .and_then(|v| v.trim().parse().ok());
    Ok((out, version))
}

/// `<result>` of a `deploy` call: an AsyncResult.
pub fn async_result(id: &str, done: bool, state: &str) -> String {
    format!(
        "<result><done>{}</done><id>{}</id><state>{}</state></result>",
        bool_s(done),
        esc(id),
        state
    )
}

/// Builds a `DeployJob` from a `deploy` operation.
pub fn new_job(
    shared: &Shared,
    op: &Node,
    user_id: &str,
    fail_component: Option<String>,
) -> Result<DeployJob, String> {
    use base64::Engine;
    let zip_text = op
        .child_any(&["ZipFile", "zipFile"])
        .map(|n| n.text.split_whitespace().collect::<String>())
        .ok_or_else(|| "deploy needs a ZipFile".to_string())?;
    let zip = base64::engine::general_purpose::STANDARD
        .decode(zip_text.as_bytes())
        .map_err(|e| format!("ZipFile is not base64: {e}"))?;
    let options = DeployOptions::from_node(op.child_any(&["DeployOptions", "deployOptions"]));
    let name = {
        let st = shared.lock();
        st.get("User", user_id)
            .map(|u| {
                format!(
                    "{} {}",
                    super::state::str_field(u, "FirstName"),
                    super::state::str_field(u, "LastName")
                )
                .trim()
                .to_string()
            })
            .unwrap_or_default()
    };
    Ok(DeployJob {
        id: shared.job_id("0Af"),
        zip,
        options,
        created_by: user_id.to_string(),
        created_by_name: name,
        created_date: ids::now_iso(),
        start_date: None,
        polls: 0,
        cancel_requested: false,
        canceling_seen: false,
        canceled: false,
        outcome: None,
        fail_component,
    })
}
