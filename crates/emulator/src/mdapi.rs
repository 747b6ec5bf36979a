//! The Metadata API endpoint: `POST /services/Soap/m/{version}[/anything]`.
//! Owns: reading the request within its limits, the session check on its
//! first bytes (before the rest is read or parsed), dispatch on the Body's
//! first child (SOAPAction is ignored), fault injection per operation (`soap:{operation}`), and the
//! synchronous calls (listMetadata, readMetadata, describeMetadata,
//! cancelDeploy). Deploy and retrieve jobs live in `deploy.rs`/`retrieve.rs`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use axum::Extension;

use super::faults::{self, ConnControl, FaultAction, Outcome};
use super::limits::{self, BodyError, MAX_SOAP_REQUEST_BYTES, PRESCAN_BYTES};
use super::soap::{self, esc, leaf, Node};
use super::state::str_field;
use super::{deploy, retrieve, Shared};
use sfprov_metadata::{self as metadata, schema};

fn render_fault(a: &FaultAction) -> Response {
    match a {
        FaultAction::RequestLimit => {
            soap::fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        }
        FaultAction::CrossReference => {
            soap::fault("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
        }
        _ => soap::invalid_session(),
    }
}

struct Caller {
    id: String,
    name: String,
}

pub async fn handle(
    State(shared): State<Arc<Shared>>,
    Extension(conn): Extension<ConnControl>,
    uri: Uri,
    headers: HeaderMap,
    mut body: Body,
) -> Response {
    // The session is checked on the request's first bytes, before the rest
    // of a body up to 50 MB is read or any of it is parsed into a tree.
    if limits::declared_too_large(&headers, MAX_SOAP_REQUEST_BYTES) {
        return too_large();
    }
    let mut bytes = Vec::new();
    let complete =
        match limits::fill(&mut body, &mut bytes, PRESCAN_BYTES, MAX_SOAP_REQUEST_BYTES).await {
            Ok(c) => c,
            Err(e) => return body_error(e),
        };
    let pre = match soap::prescan(&bytes, complete) {
        Ok(p) => p,
        Err(e) => return soap::client_fault(&e.0),
    };
    // Retired versions (≤ 30.0) answer UNSUPPORTED_API_VERSION.
    let version = uri.path().trim_start_matches("/services/Soap/m/");
    let version = version.split('/').next().unwrap_or("");
    if !version.parse::<f64>().is_ok_and(|v| v >= 31.0) {
        return soap::fault(
            "UNSUPPORTED_API_VERSION",
            &format!("Invalid Api version specified on URL: {version}"),
        );
    }
    let mut drop_after = None;
    let mut fail_component = None;
    if let Some(op) = &pre.operation {
        match faults::check(
            &shared.faults,
            &format!("soap:{op}"),
            uri.path(),
            render_fault,
        )
        .await
        {
            Outcome::Proceed => drop_after = Some(false),
            Outcome::FailComponent(p) => {
                drop_after = Some(false);
                fail_component = Some(p);
            }
            Outcome::DropAfter => drop_after = Some(true),
            Outcome::Respond(r) => return r,
            Outcome::DropBefore => return conn.drop_connection().await,
        }
    }
    let Some(user_id) = pre
        .session_id
        .as_deref()
        .and_then(|t| shared.session_user(t))
    else {
        return soap::invalid_session();
    };
    if let Err(e) = limits::read_all(&mut body, &mut bytes, MAX_SOAP_REQUEST_BYTES).await {
        return body_error(e);
    }
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return soap::client_fault("Malformed request XML: the request is not valid UTF-8");
    };
    let env = match soap::parse(text) {
        Ok(e) => e,
        Err(e) => return soap::client_fault(&e.0),
    };
    drop(body);
    let op = env.operation.name.clone();
    let drop_after = match drop_after {
        Some(d) => d,
        // The operation was past the prescanned bytes: its faults apply now.
        None => match faults::check(
            &shared.faults,
            &format!("soap:{op}"),
            uri.path(),
            render_fault,
        )
        .await
        {
            Outcome::Proceed => false,
            Outcome::FailComponent(p) => {
                fail_component = Some(p);
                false
            }
            Outcome::DropAfter => true,
            Outcome::Respond(r) => return r,
            Outcome::DropBefore => return conn.drop_connection().await,
        },
    };
    let caller = {
        let st = shared.lock();
        let name = st
            .get("User", &user_id)
            .map(|u| {
                format!("{} {}", str_field(u, "FirstName"), str_field(u, "LastName"))
                    .trim()
                    .to_string()
            })
            .unwrap_or_default();
        Caller { id: user_id, name }
    };
    let response = dispatch(&shared, &op, &env.operation, &caller, fail_component);
    if drop_after {
        return conn.drop_connection().await;
    }
    response
}

/// Salesforce's answer to a SOAP message over 50 MB.
fn too_large() -> Response {
    soap::fault(
        "EXCEEDED_MAX_SIZE_REQUEST",
        &format!(
            "The size of the message sent to the API exceeded {MAX_SOAP_REQUEST_BYTES} bytes (50 MB); deploy the components in smaller batches"
        ),
    )
}

fn body_error(e: BodyError) -> Response {
    match e {
        BodyError::TooLarge => too_large(),
        BodyError::Io(m) => soap::client_fault(&format!("Could not read the request: {m}")),
    }
}

fn dispatch(
    shared: &Shared,
    op: &str,
    n: &Node,
    caller: &Caller,
    fail_component: Option<String>,
) -> Response {
    match op {
        "deploy" => match deploy::new_job(shared, n, &caller.id, fail_component) {
            Ok(job) => {
                let id = job.id.clone();
                shared.runtime().deploys.insert(id.clone(), job);
                soap::response(op, &deploy::async_result(&id, false, "Queued"))
            }
            Err(e) => soap::fault("INVALID_OPERATION", &e),
        },
        "checkDeployStatus" => {
            let id = n.text_of("asyncProcessId").unwrap_or("").to_string();
            let details = n.bool_of("includeDetails").unwrap_or(false);
            // The jobs stay locked while a poll runs the deploy, so two
            // concurrent polls cannot run it twice (lock order: jobs, then org).
            let mut rt = shared.runtime();
            let Some(job) = rt.deploys.get_mut(&id) else {
                return soap::fault("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
            };
            deploy::poll(shared, job);
            let xml = deploy::result_xml(shared, job, details);
            drop(rt);
            soap::response(op, &format!("<result>{xml}</result>"))
        }
        "cancelDeploy" => {
            let id = n.child_any(&["String", "id", "asyncProcessId"]).map(|c| c.text.trim().to_string()).unwrap_or_default();
            let mut rt = shared.runtime();
            let Some(job) = rt.deploys.get_mut(&id) else {
                return soap::fault("INVALID_ID_FIELD", "Invalid deploy ID");
            };
            if job.outcome.is_some() || job.canceled {
                return soap::fault("INVALID_ID_FIELD", "Deployment already completed");
            }
            // Still queued: cancelled at once; running: Canceling until the next poll.
            let done = job.polls <= shared.deploy_polls;
            job.cancel_requested = true;
            if done {
                job.canceled = true;
            }
            soap::response(op, &format!("<result><done>{done}</done><id>{}</id></result>", esc(&id)))
        }
        "retrieve" => {
            let Some(req) = n.child_any(&["retrieveRequest", "request"]) else {
                return soap::fault("INVALID_OPERATION", "retrieve needs a retrieveRequest");
            };
            if let Some(p) = req.all("packageNames").next() {
                return soap::fault("INVALID_CROSS_REFERENCE_KEY", &format!("No package named '{}' found", p.text.trim()));
            }
            let job = retrieve::RetrieveJob {
                id: shared.job_id("09S"),
                request: retrieve::Request::from_node(req),
                polls: 0,
                user_id: caller.id.clone(),
                user_name: caller.name.clone(),
                props: Vec::new(),
                messages: Vec::new(),
                zip: None,
                done: false,
            };
            let id = job.id.clone();
            shared.runtime().retrieves.insert(id.clone(), job);
            soap::response(op, &deploy::async_result(&id, false, "Queued"))
        }
        "checkRetrieveStatus" => {
            let id = n.text_of("asyncProcessId").unwrap_or("").to_string();
            let include_zip = n.bool_of("includeZip").unwrap_or(true);
            let mut rt = shared.runtime();
            let Some(job) = rt.retrieves.get_mut(&id) else {
                return soap::fault("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id");
            };
            retrieve::poll(shared, job);
            let xml = retrieve::result_xml(job, include_zip);
            drop(rt);
            soap::response(op, &format!("<result>{xml}</result>"))
        }
        "listMetadata" => {
            let types: Vec<String> = n
                .all("queries")
                .filter_map(|q| q.text_of("type").map(str::to_string))
                .collect();
            let st = shared.lock();
            let mut x = String::new();
            for p in retrieve::list(&st, &types) {
                retrieve::props_xml(&mut x, "result", &p, &caller.id, &caller.name);
            }
            soap::response(op, &x)
        }
        "readMetadata" => read_metadata(shared, n),
        "describeMetadata" => soap::response(op, &describe(shared)),
        other => soap::client_fault(&format!(
            "No operation available for request {{{}}}{other}, please check the WSDL for the service.",
            n.ns
        )),
    }
}

fn read_metadata(shared: &Shared, n: &Node) -> Response {
    let ty = n.text_of("type").unwrap_or("").to_string();
    let names: Vec<String> = n
        .all("fullNames")
        .map(|c| c.text.trim().to_string())
        .collect();
    if schema::type_named(&ty).is_none() && ty != "Settings" {
        return soap::fault(
            "INVALID_TYPE",
            &format!("Unknown type name '{ty}' specified"),
        );
    }
    let st = shared.lock();
    let mut x = String::from("<result>");
    for name in names {
        // Settings are read by their own type: SecuritySettings + `Security`.
        let stored = match ty.strip_suffix("Settings") {
            Some(_) if ty != "Settings" => st.component("Settings", &name),
            _ => st.component(&ty, &name),
        };
        let Some(c) = stored else {
            continue;
        };
        let Ok(doc) = metadata::parse(&c.xml) else {
            continue;
        };
        let xsi_type = doc.root.name.to_string();
        x.push_str(&format!("<records xsi:type=\"{}\">", esc(&xsi_type)));
        leaf(&mut x, "fullName", &name);
        for child in doc.root.children() {
            write_element(&mut x, child);
        }
        x.push_str("</records>");
    }
    x.push_str("</result>");
    soap::response("readMetadata", &x)
}

/// Writes a metadata element compactly inside a SOAP body (the envelope's
/// default namespace is the metadata one, so names stay unprefixed).
fn write_element(x: &mut String, e: &metadata::Element<'_>) {
    match &e.content {
        metadata::Content::Empty => {
            x.push('<');
            x.push_str(&e.name);
            x.push_str("/>");
        }
        metadata::Content::Text(t) => leaf(x, &e.name, t),
        metadata::Content::Children(c) => {
            x.push('<');
            x.push_str(&e.name);
            x.push('>');
            for child in c {
                write_element(x, child);
            }
            x.push_str("</");
            x.push_str(&e.name);
            x.push('>');
        }
    }
}

fn describe(shared: &Shared) -> String {
    let mut x = String::from("<result>");
    let mut types: Vec<(&str, &str, &str, bool)> = schema::REGISTRY
        .iter()
        .map(|t| (t.name, t.directory, t.suffix, false))
        .collect();
    types.extend([
        ("ApexClass", "classes", "cls", true),
        ("ApexPage", "pages", "page", true),
        ("CustomObject", "objects", "object", false),
    ]);
    types.sort();
    for (name, dir, suffix, meta) in types {
        x.push_str("<metadataObjects>");
        if name == "CustomObject" {
            for child in ["CustomField", "RecordType", "ListView", "ValidationRule"] {
                leaf(&mut x, "childXmlNames", child);
            }
        }
        leaf(&mut x, "directoryName", dir);
        leaf(&mut x, "inFolder", "false");
        leaf(&mut x, "metaFile", if meta { "true" } else { "false" });
        leaf(&mut x, "suffix", suffix);
        leaf(&mut x, "xmlName", name);
        x.push_str("</metadataObjects>");
    }
    let ns = shared
        .lock()
        .seed
        .org
        .namespace_prefix
        .clone()
        .unwrap_or_default();
    leaf(&mut x, "organizationNamespace", &ns);
    leaf(&mut x, "partialSaveAllowed", "true");
    leaf(&mut x, "testRequired", "false");
    x.push_str("</result>");
    x
}
