//! The REST API: `/services/data` (versions), `/services/data/vNN.N/` and
//! below: `query` (+ `nextRecordsUrl` pages), `sobjects`, `sobjects/{type}`
//! (create), `sobjects/{type}/describe`, `sobjects/{type}/{id}` (get, update,
//! delete). Owns: bearer-session checks, fault injection per resource
//! (`rest:query`, `rest:sobjects`, `rest:describe`, `rest:versions`) and
//! Salesforce's JSON error arrays. Record rules live in `sobjects.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Map, Value};

use super::faults::{self, ConnControl, FaultAction, Outcome};
use super::sobjects::{self, Api, RestError};
use super::{auth, ids, records, soql, Shared};

/// `[{"message": …, "errorCode": …}]` with a status.
pub fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!([{"message": message, "errorCode": code}])),
    )
        .into_response()
}

fn rest_error(e: RestError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!([{"message": e.message, "errorCode": e.code, "fields": e.fields}])),
    )
        .into_response()
}

fn render_fault(a: &FaultAction) -> Response {
    match a {
        FaultAction::RequestLimit => error(
            StatusCode::FORBIDDEN,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
        ),
        FaultAction::CrossReference => error(
            StatusCode::BAD_REQUEST,
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
        ),
        _ => invalid_session(),
    }
}

fn invalid_session() -> Response {
    error(
        StatusCode::UNAUTHORIZED,
        "INVALID_SESSION_ID",
        "Session expired or invalid",
    )
}

const VERSIONS: &[(&str, &str)] = &[
    ("Winter '24", "59.0"),
    ("Spring '24", "60.0"),
    ("Summer '24", "61.0"),
    ("Winter '25", "62.0"),
    ("Spring '25", "63.0"),
    ("Summer '25", "64.0"),
    ("Winter '26", "65.0"),
];

/// `GET /services/data`: the versions, ascending.
pub async fn versions(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    if let Outcome::Respond(r) =
        faults::check(&shared.faults, "rest:versions", uri.path(), render_fault).await
    {
        return r;
    }
    let list: Vec<Value> = VERSIONS
        .iter()
        .map(|(label, v)| json!({"label": label, "url": format!("/services/data/v{v}"), "version": v}))
        .collect();
    Json(Value::Array(list)).into_response()
}

fn known_version(v: &str) -> bool {
    v.strip_prefix('v')
        .is_some_and(|n| n.parse::<f64>().is_ok_and(|n| (31.0..=70.0).contains(&n)))
}

/// A retired version (vNN.N below 31.0) is 410 Gone; anything else unknown, 404.
fn version_error(v: &str) -> Response {
    let retired = v
        .strip_prefix('v')
        .is_some_and(|n| n.parse::<f64>().is_ok_and(|n| n < 31.0));
    if retired {
        error(
            StatusCode::GONE,
            "GONE",
            "The requested resource is no longer available.",
        )
    } else {
        error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        )
    }
}

/// `GET /services/data/vNN.N/`: the resources, name -> URL.
pub async fn resources(
    Path(version): Path<String>,
    headers: HeaderMap,
    State(shared): State<Arc<Shared>>,
) -> Response {
    if !known_version(&version) {
        return version_error(&version);
    }
    if auth::bearer(&headers)
        .and_then(|t| shared.session_user(t))
        .is_none()
    {
        return invalid_session();
    }
    let base = format!("/services/data/{version}");
    let mut list = Map::new();
    for r in RESOURCES {
        list.insert(r.to_string(), json!(format!("{base}/{r}")));
    }
    Json(Value::Object(list)).into_response()
}

/// The resources of `/services/data/vNN.N/` the emulator serves (a real org
/// lists some forty; a client that follows one of these gets an answer).
const RESOURCES: &[&str] = &[
    "composite",
    "limits",
    "query",
    "queryAll",
    "sobjects",
    "tooling",
];

/// Everything under `/services/data/vNN.N/`.
#[allow(clippy::too_many_arguments)] // axum extractors, one per request part
pub async fn handle(
    State(shared): State<Arc<Shared>>,
    Extension(conn): Extension<ConnControl>,
    Path((version, path)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !known_version(&version) {
        return version_error(&version);
    }
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let key = match segs.as_slice() {
        ["query", ..] | ["queryAll", ..] => "rest:query",
        ["tooling", ..] => "rest:tooling",
        ["sobjects", _, "describe"] => "rest:describe",
        ["sobjects", ..] => "rest:sobjects",
        ["composite", ..] => "rest:composite",
        _ => "rest:other",
    };
    let drop_after = match faults::check(&shared.faults, key, uri.path(), render_fault).await {
        // Only deploys have components to fail.
        Outcome::Proceed | Outcome::FailComponent(_) => false,
        Outcome::DropAfter => true,
        Outcome::Respond(r) => return r,
        Outcome::DropBefore => return conn.drop_connection().await,
    };
    if auth::bearer(&headers)
        .and_then(|t| shared.session_user(t))
        .is_none()
    {
        return invalid_session();
    }
    let used = shared
        .api_calls
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        + 1;
    let mut response = route(&shared, &version, &segs, &method, &params, &body);
    if drop_after {
        return conn.drop_connection().await;
    }
    if let Ok(v) = header::HeaderValue::from_str(&format!("api-usage={used}/{DAILY_API_REQUESTS}"))
    {
        response.headers_mut().insert("Sforce-Limit-Info", v);
    }
    response
}

/// Enterprise Edition's daily API request allocation in the emulated org.
const DAILY_API_REQUESTS: u64 = 15_000;

fn route(
    shared: &Shared,
    version: &str,
    segs: &[&str],
    method: &Method,
    params: &HashMap<String, String>,
    body: &str,
) -> Response {
    if let ["tooling", rest @ ..] = segs {
        return tooling(shared, version, rest, method, params);
    }
    match (method.as_str(), segs) {
        // queryAll also returns deleted and archived rows; the emulator keeps none.
        ("GET", ["query" | "queryAll"]) => query_params(shared, version, params, Api::Data),
        ("GET", ["query" | "queryAll", locator]) => next_page(shared, version, locator),
        ("POST", ["composite", "sobjects"]) => collections(shared, body),
        ("GET", ["limits"]) => {
            let used = shared.api_calls.load(std::sync::atomic::Ordering::Relaxed);
            Json(json!({
                "DailyApiRequests": {"Max": DAILY_API_REQUESTS, "Remaining": DAILY_API_REQUESTS.saturating_sub(used)},
            }))
            .into_response()
        }
        ("GET", ["sobjects"]) => {
            let st = shared.lock();
            let list: Vec<Value> = sobjects::SOBJECTS
                .iter()
                .map(|s| s.to_string())
                .chain(st.seed.objects.iter().map(|o| o.name.clone()))
                .filter_map(|s| sobjects::describe(&st, &s, version))
                .map(|mut d| {
                    if let Some(o) = d.as_object_mut() {
                        o.remove("fields");
                    }
                    d
                })
                .collect();
            Json(json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list}))
                .into_response()
        }
        ("GET", ["sobjects", ty, "describe"]) => {
            match sobjects::describe(&shared.lock(), ty, version) {
                Some(d) => Json(d).into_response(),
                None => rest_error(sobjects::not_supported(ty)),
            }
        }
        ("POST", ["sobjects", ty]) => {
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "JSON_PARSER_ERROR",
                    "The request body is not a JSON object",
                );
            };
            let mut st = shared.lock();
            match write(shared, &mut st, |st| records::create(st, ty, fields)) {
                Ok(id) => {
                    let location = format!("/services/data/{version}/sobjects/{ty}/{id}");
                    (
                        StatusCode::CREATED,
                        [(header::LOCATION, location)],
                        Json(json!({"id": id, "success": true, "errors": []})),
                    )
                        .into_response()
                }
                Err(e) => rest_error(e),
            }
        }
        ("GET", ["sobjects", ty]) => match sobjects::describe(&shared.lock(), ty, version) {
            Some(mut d) => {
                if let Some(o) = d.as_object_mut() {
                    o.remove("fields");
                }
                Json(json!({"objectDescribe": d, "recentItems": []})).into_response()
            }
            None => rest_error(sobjects::not_supported(ty)),
        },
        ("GET", ["sobjects", ty, id]) => get_record(shared, version, ty, id, params.get("fields")),
        ("PATCH", ["sobjects", ty, id]) => {
            let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
                return error(
                    StatusCode::BAD_REQUEST,
                    "JSON_PARSER_ERROR",
                    "The request body is not a JSON object",
                );
            };
            let mut st = shared.lock();
            match write(shared, &mut st, |st| records::update(st, ty, id, fields)) {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => rest_error(e),
            }
        }
        ("DELETE", ["sobjects", "User", id, "password"]) => {
            // Salesforce resets the password, emails the user and answers
            // with the new one; the emulator counts the reset on the row.
            let mut st = shared.lock();
            let reset = write(shared, &mut st, |st| match st.get_mut("User", id) {
                Some(u) => {
                    let n = u.get("PasswordResets").and_then(Value::as_u64).unwrap_or(0);
                    u.insert("PasswordResets".into(), json!(n + 1));
                    Ok(())
                }
                None => Err(RestError {
                    status: 404,
                    code: "NOT_FOUND",
                    message: "The requested resource does not exist".into(),
                    fields: vec![],
                }),
            });
            match reset {
                Ok(()) => Json(json!({"NewPassword": format!("{:016x}", ids::random_u64())}))
                    .into_response(),
                Err(e) => rest_error(e),
            }
        }
        ("DELETE", ["sobjects", ty, id]) => {
            let deletable = matches!(
                *ty,
                "PermissionSetAssignment"
                    | "PermissionSetLicenseAssign"
                    | "PushTopic"
                    | "SetupEntityAccess"
            );
            let mut st = shared.lock();
            if st.get(ty, id).is_none() {
                return error(
                    StatusCode::NOT_FOUND,
                    "NOT_FOUND",
                    "The requested resource does not exist",
                );
            }
            if !deletable {
                return error(
                    StatusCode::BAD_REQUEST,
                    "INVALID_TYPE_FOR_OPERATION",
                    &format!("entity type {ty} does not support delete"),
                );
            }
            let deleted = write(shared, &mut st, |st| {
                if let Some(rows) = st.records.get_mut(*ty) {
                    rows.retain(|r| !ids::same(super::state::id_of(r), id));
                }
                Ok(())
            });
            match deleted {
                Ok(()) => StatusCode::NO_CONTENT.into_response(),
                Err(e) => rest_error(e),
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        ),
    }
}

fn query_params(
    shared: &Shared,
    version: &str,
    params: &HashMap<String, String>,
    api: Api,
) -> Response {
    match params.get("q") {
        Some(q) if params.get("columns").is_some_and(|c| c == "true") => columns(shared, q, api),
        Some(q) => query(shared, version, q, api),
        None => error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_QUERY",
            "A query string has to be specified",
        ),
    }
}

/// The Tooling API: `query` and the describes of `TOOLING_SOBJECTS`; its
/// records are read-only here.
fn tooling(
    shared: &Shared,
    version: &str,
    segs: &[&str],
    method: &Method,
    params: &HashMap<String, String>,
) -> Response {
    // Records and describes name their URLs under /tooling/.
    let tooling_version = format!("{version}/tooling");
    let served = |ty: &str| sobjects::TOOLING_SOBJECTS.contains(&ty);
    match (method.as_str(), segs) {
        ("GET", ["query"]) => query_params(shared, &tooling_version, params, Api::Tooling),
        ("GET", ["query", locator]) => next_page(shared, &tooling_version, locator),
        ("GET", ["sobjects"]) => {
            let st = shared.lock();
            let list: Vec<Value> = sobjects::TOOLING_SOBJECTS
                .iter()
                .filter_map(|s| sobjects::describe(&st, s, &tooling_version))
                .map(without_fields)
                .collect();
            Json(json!({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": list}))
                .into_response()
        }
        ("GET", ["sobjects", ty, "describe"]) if served(ty) => {
            match sobjects::describe(&shared.lock(), ty, &tooling_version) {
                Some(d) => Json(d).into_response(),
                None => rest_error(sobjects::not_supported(ty)),
            }
        }
        ("GET", ["sobjects", ty]) if served(ty) => {
            match sobjects::describe(&shared.lock(), ty, &tooling_version) {
                Some(d) => Json(json!({"objectDescribe": without_fields(d), "recentItems": []}))
                    .into_response(),
                None => rest_error(sobjects::not_supported(ty)),
            }
        }
        _ => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        ),
    }
}

fn without_fields(mut d: Value) -> Value {
    if let Some(o) = d.as_object_mut() {
        o.remove("fields");
    }
    d
}

/// `POST composite/sobjects`: create up to 200 records, each answered in
/// place (HTTP 200 always; errors use `statusCode`, not `errorCode`). With
/// `allOrNone`, one failure rolls every record back.
fn collections(shared: &Shared, body: &str) -> Response {
    let Ok(Value::Object(req)) = serde_json::from_str::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "JSON_PARSER_ERROR",
            "The request body is not a JSON object",
        );
    };
    let all_or_none = req.get("allOrNone") == Some(&json!(true));
    let records: Vec<Value> = req
        .get("records")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if records.len() > 200 {
        return error(
            StatusCode::BAD_REQUEST,
            "EXCEEDED_ID_LIMIT",
            "record limit reached. cannot submit more than 200 records into this call",
        );
    }
    let mut st = shared.lock();
    let before = st.clone();
    let mut results = Vec::new();
    let mut failed = false;
    for r in records {
        let Value::Object(fields) = r else {
            results.push(Err(RestError {
                status: 400,
                code: "INVALID_FIELD",
                message: "A record must be a JSON object".into(),
                fields: vec![],
            }));
            failed = true;
            continue;
        };
        let ty = fields
            .get("attributes")
            .and_then(|a| a.get("type"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let res = records::create(&mut st, &ty, fields);
        failed |= res.is_err();
        results.push(res);
    }
    let rolled_back = failed && all_or_none;
    if rolled_back {
        *st = before.clone();
    } else if let Err(e) = shared.persist(&st) {
        *st = before;
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "UNKNOWN_EXCEPTION",
            &e.to_string(),
        );
    }
    let out: Vec<Value> = results
        .into_iter()
        .map(|r| match r {
            Ok(_) if rolled_back => json!({"success": false, "errors": [{
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the request was using AllOrNone header",
                "fields": [],
            }]}),
            Ok(id) => json!({"id": id, "success": true, "errors": []}),
            Err(e) => json!({"success": false, "errors": [{"statusCode": e.code, "message": e.message, "fields": e.fields}]}),
        })
        .collect();
    Json(Value::Array(out)).into_response()
}

/// Applies a change and persists it; when the state cannot be written the
/// change is undone and the client gets UNKNOWN_EXCEPTION, so the org on disk
/// and in memory never disagree.
fn write<T>(
    shared: &Shared,
    st: &mut super::state::OrgState,
    change: impl FnOnce(&mut super::state::OrgState) -> Result<T, RestError>,
) -> Result<T, RestError> {
    let before = shared.persistent().then(|| st.clone());
    let value = change(st)?;
    if let Err(e) = shared.persist(st) {
        if let Some(b) = before {
            *st = b;
        }
        return Err(RestError {
            status: 500,
            code: "UNKNOWN_EXCEPTION",
            message: e.to_string(),
            fields: vec![],
        });
    }
    Ok(value)
}

fn query(shared: &Shared, version: &str, q: &str, api: Api) -> Response {
    let parsed = match soql::parse(q) {
        Ok(p) => p,
        Err(e) => return rest_error(e),
    };
    let (total, rows) = {
        let mut st = shared.lock();
        st.refresh_derived();
        match soql::run(&st, &parsed, version, api) {
            Ok(r) => r,
            Err(e) => return rest_error(e),
        }
    };
    page(shared, version, total, rows, None)
}

/// `query?q=…&columns=true`: the query's columns, no rows.
fn columns(shared: &Shared, q: &str, api: Api) -> Response {
    let parsed = match soql::parse(q) {
        Ok(p) => p,
        Err(e) => return rest_error(e),
    };
    match soql::metadata(&shared.lock(), &parsed, api) {
        Ok(v) => Json(v).into_response(),
        Err(e) => rest_error(e),
    }
}

fn page(
    shared: &Shared,
    version: &str,
    total: usize,
    mut rows: Vec<Value>,
    locator: Option<(&str, usize)>,
) -> Response {
    let batch = shared.query_batch;
    let offset = locator.map_or(0, |(_, o)| o);
    let rest = if rows.len() > batch {
        rows.split_off(batch)
    } else {
        Vec::new()
    };
    let mut body = Map::new();
    body.insert("totalSize".into(), json!(total));
    body.insert("done".into(), json!(rest.is_empty()));
    if !rest.is_empty() {
        let base = match locator {
            Some((l, _)) => l.to_string(),
            None => {
                let n = ids::random_u64() % 1_000_000;
                ids::record_id("01g", n)
            }
        };
        let next = format!("{base}-{}", offset + batch);
        shared
            .runtime()
            .cursors
            .insert(next.clone(), (String::new(), rest));
        body.insert(
            "nextRecordsUrl".into(),
            json!(format!("/services/data/{version}/query/{next}")),
        );
    }
    body.insert("records".into(), Value::Array(rows));
    Json(Value::Object(body)).into_response()
}

fn next_page(shared: &Shared, version: &str, locator: &str) -> Response {
    let Some((_, rows)) = shared.runtime().cursors.remove(locator) else {
        return error(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY_LOCATOR",
            "invalid query locator",
        );
    };
    let (base, offset) = locator.rsplit_once('-').unwrap_or((locator, "0"));
    let offset: usize = offset.parse().unwrap_or(0);
    let total = offset + rows.len();
    page(shared, version, total, rows, Some((base, offset)))
}

fn get_record(
    shared: &Shared,
    version: &str,
    ty: &str,
    id: &str,
    fields: Option<&String>,
) -> Response {
    let mut st = shared.lock();
    st.refresh_derived();
    let Some(defs) = sobjects::fields(&st, ty) else {
        return rest_error(sobjects::not_supported(ty));
    };
    let Some(r) = st.get(ty, id) else {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        );
    };
    let wanted: Vec<String> = match fields {
        Some(f) => f.split(',').map(|s| s.trim().to_string()).collect(),
        None => defs
            .iter()
            .map(|d| d.name.clone())
            .filter(|n| !n.starts_with("Permissions"))
            .collect(),
    };
    let mut q = format!(
        "SELECT {} FROM {ty} WHERE Id = '{}'",
        wanted.join(", "),
        super::state::id_of(r)
    );
    if wanted.is_empty() {
        q = format!(
            "SELECT Id FROM {ty} WHERE Id = '{}'",
            super::state::id_of(r)
        );
    }
    let parsed = match soql::parse(&q) {
        Ok(p) => p,
        Err(e) => return rest_error(e),
    };
    match soql::run(&st, &parsed, version, Api::Data) {
        Ok((_, mut rows)) if !rows.is_empty() => Json(rows.remove(0)).into_response(),
        Ok(_) => error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "The requested resource does not exist",
        ),
        Err(e) => rest_error(e),
    }
}
