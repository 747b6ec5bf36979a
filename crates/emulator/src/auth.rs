//! OAuth 2.0 and sessions: `/services/oauth2/token` (JWT bearer, refresh_token),
//! `/services/oauth2/userinfo`, `/id/{orgId}/{userId}`, and the session check
//! every other route uses. Owns: RS256 verification of assertions against a
//! client's certificate or public key, Salesforce's JSON error bodies.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use rsa::RsaPublicKey;
use serde_json::{json, Value};
use sha2::Sha256;

use super::faults::{self, ConnControl, FaultAction, Outcome};
use super::state::{id_of, str_field};
use super::{ids, Shared};

/// Audiences Salesforce accepts in a JWT bearer assertion.
const AUDIENCES: &[&str] = &[
    "https://login.salesforce.com",
    "https://test.salesforce.com",
];
/// Clock skew tolerated for an `exp` just past (CCI sends exp = now).
const SKEW: u64 = 60;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

fn grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

fn render_fault(a: &FaultAction) -> Response {
    match a {
        FaultAction::RequestLimit => oauth_error(
            StatusCode::FORBIDDEN,
            "invalid_request",
            "TotalRequests Limit exceeded.",
        ),
        _ => super::rest::error(
            StatusCode::UNAUTHORIZED,
            "INVALID_SESSION_ID",
            "Session expired or invalid",
        ),
    }
}

/// `POST /services/oauth2/token`.
pub async fn token(
    State(shared): State<Arc<Shared>>,
    Extension(conn): Extension<ConnControl>,
    body: String,
) -> Response {
    let drop_after = match faults::check(
        &shared.faults,
        "oauth:token",
        "/services/oauth2/token",
        render_fault,
    )
    .await
    {
        // Only deploys have components to fail.
        Outcome::Proceed | Outcome::FailComponent(_) => false,
        Outcome::DropAfter => true,
        Outcome::Respond(r) => return r,
        Outcome::DropBefore => return conn.drop_connection().await,
    };
    let form: HashMap<String, String> = serde_urlencoded_parse(&body);
    let response = match form.get("grant_type").map(String::as_str) {
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {
            jwt_bearer(&shared, form.get("assertion").map_or("", String::as_str))
        }
        Some("refresh_token") => refresh(&shared, &form),
        Some("password") => password(&shared, &form),
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant type not supported",
        ),
    };
    if drop_after {
        return conn.drop_connection().await;
    }
    response
}

/// application/x-www-form-urlencoded without another dependency.
fn serde_urlencoded_parse(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn success(shared: &Shared, user_id: &str, with_refresh: Option<String>) -> Response {
    let token = shared.issue_token(user_id);
    let org_id = shared.lock().seed.org.id.clone();
    let base = shared.base_url().to_string();
    let mut body = json!({
        "access_token": token,
        "scope": "api web full refresh_token id",
        "instance_url": base,
        // Real orgs answer https://login.salesforce.com/id/…; the emulator
        // serves the identity URL itself so a client that follows it stays
        // on loopback. The path (org id, then user id) is the same.
        "id": format!("{base}/id/{org_id}/{user_id}"),
        "token_type": "Bearer",
        "issued_at": (ids::now_secs() * 1000).to_string(),
        "signature": "emulated",
    });
    if let Some(r) = with_refresh {
        body["refresh_token"] = json!(r);
    }
    (StatusCode::OK, Json(body)).into_response()
}

/// A known OAuth client: the key that verifies its assertions and, for a
/// connected app with "Admin approved users are pre-authorized", who may use it.
struct Client {
    pem: Option<String>,
    /// (profile names, permission set labels) when admin approval is on.
    admin_approved: Option<(Vec<String>, Vec<String>)>,
}

/// Known clients: ones added at run time, the seed's, and deployed connected
/// apps with a consumer key (their certificate verifies JWT assertions).
fn client(shared: &Shared, client_id: &str) -> Option<Client> {
    if let Some((_, pem)) = shared
        .runtime()
        .extra_clients
        .iter()
        .find(|(c, _)| c == client_id)
    {
        return Some(Client {
            pem: Some(pem.clone()),
            admin_approved: None,
        });
    }
    let st = shared.lock();
    if let Some(c) = st
        .seed
        .oauth
        .clients
        .iter()
        .find(|c| c.client_id == client_id)
    {
        return Some(Client {
            pem: c.certificate.clone(),
            admin_approved: None,
        });
    }
    for c in st
        .components
        .get("ConnectedApp")
        .into_iter()
        .flat_map(|m| m.values())
    {
        let Ok(doc) = sfprov_metadata::parse(&c.xml) else {
            continue;
        };
        let Some(oauth) = doc.root.child("oauthConfig") else {
            continue;
        };
        if oauth.child_text("consumerKey") != Some(client_id) {
            continue;
        }
        let texts = |name: &str| -> Vec<String> {
            doc.root
                .children()
                .iter()
                .filter(|e| e.name == name)
                .filter_map(|e| e.text_value().map(str::to_string))
                .collect()
        };
        let admin_approved = (oauth.child_text("isAdminApproved") == Some("true"))
            .then(|| (texts("profileName"), texts("permissionSetName")));
        return Some(Client {
            pem: oauth.child_text("certificate").map(str::to_string),
            admin_approved,
        });
    }
    None
}

/// Whether a user is pre-authorized: its profile is listed, or it holds a
/// listed permission set (by label, as ConnectedApp files name them).
fn pre_authorized(shared: &Shared, user_id: &str, profiles: &[String], labels: &[String]) -> bool {
    let st = shared.lock();
    let Some(u) = st.get("User", user_id) else {
        return false;
    };
    let profile = st
        .get("Profile", str_field(u, "ProfileId"))
        .map(|p| str_field(p, "Name").to_string())
        .unwrap_or_default();
    if profiles.contains(&profile) {
        return true;
    }
    st.rows("PermissionSetAssignment")
        .iter()
        .filter(|a| ids::same(str_field(a, "AssigneeId"), user_id))
        .filter_map(|a| st.get("PermissionSet", str_field(a, "PermissionSetId")))
        .any(|ps| labels.iter().any(|l| l == str_field(ps, "Label")))
}

/// Reads `emulator serve --jwt-cert FILE`: a PEM certificate or RSA public
/// key, at most 64 KiB, that must hold a key JWT assertions can be verified with.
pub fn read_certificate(path: &std::path::Path) -> Result<String, super::EmulatorError> {
    use std::io::Read;
    let read = |source| super::EmulatorError::Read {
        what: "--jwt-cert",
        path: path.to_path_buf(),
        source,
    };
    let mut pem = String::new();
    std::fs::File::open(path)
        .map_err(read)?
        .take(64 * 1024)
        .read_to_string(&mut pem)
        .map_err(read)?;
    if public_key(&pem).is_none() {
        return Err(super::EmulatorError::Invalid {
            what: "--jwt-cert",
            path: path.to_path_buf(),
            message: "no RSA certificate or public key in PEM (BEGIN CERTIFICATE or BEGIN PUBLIC KEY); \
                      make one with `openssl req -x509 -newkey rsa:2048 -nodes -keyout server.key -out server.crt`"
                .into(),
        });
    }
    Ok(pem)
}

/// The RSA public key in a PEM certificate or public key.
pub fn public_key(pem: &str) -> Option<RsaPublicKey> {
    let pem = pem.trim();
    if pem.contains("BEGIN CERTIFICATE") {
        use x509_cert::der::{DecodePem, Encode};
        let cert = x509_cert::Certificate::from_pem(pem.as_bytes()).ok()?;
        let spki = cert.tbs_certificate.subject_public_key_info.to_der().ok()?;
        return RsaPublicKey::from_public_key_der(&spki).ok();
    }
    if pem.contains("BEGIN RSA PUBLIC KEY") {
        return RsaPublicKey::from_pkcs1_pem(pem).ok();
    }
    RsaPublicKey::from_public_key_pem(pem).ok()
}

fn jwt_bearer(shared: &Shared, assertion: &str) -> Response {
    let parts: Vec<&str> = assertion.split('.').collect();
    if parts.len() != 3 {
        return grant("invalid assertion");
    }
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
    let (Some(header), Some(claims), Some(sig)) =
        (decode(parts[0]), decode(parts[1]), decode(parts[2]))
    else {
        return grant("invalid assertion");
    };
    let (Ok(header), Ok(claims)) = (
        serde_json::from_slice::<Value>(&header),
        serde_json::from_slice::<Value>(&claims),
    ) else {
        return grant("invalid assertion");
    };
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return grant("invalid assertion");
    }
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let Some(client) = client(shared, iss) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        );
    };
    let Some(key) = client.pem.as_deref().and_then(public_key) else {
        return grant("invalid assertion");
    };
    let signed = format!("{}.{}", parts[0], parts[1]);
    let verified = Signature::try_from(sig.as_slice()).ok().is_some_and(|s| {
        VerifyingKey::<Sha256>::new(key)
            .verify(signed.as_bytes(), &s)
            .is_ok()
    });
    if !verified {
        return grant("invalid assertion");
    }
    // The org's own URL is its My Domain login URL, which Salesforce accepts
    // as an audience too (`sf org login jwt --instance-url` sends it).
    let own = shared.base_url().trim_end_matches('/');
    let audience = |a: &str| {
        let a = a.trim_end_matches('/');
        AUDIENCES.contains(&a) || (!own.is_empty() && a.eq_ignore_ascii_case(own))
    };
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => audience(a),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(audience),
        _ => false,
    };
    if !aud_ok {
        return grant("audience is invalid");
    }
    // simple-salesforce sends exp as a string.
    let exp = match claims.get("exp") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    let now = ids::now_secs();
    match exp {
        // Only an expired assertion is refused: the Salesforce CLI sends exp
        // in milliseconds (`Date.now() + 300`) and production orgs accept it.
        Some(e) if e.saturating_add(SKEW) >= now => {}
        _ => return grant("expired authorization code"),
    }
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let user = {
        let st = shared.lock();
        st.find_by("User", "Username", sub).map(|u| {
            (
                id_of(u).to_string(),
                u.get("IsActive") == Some(&json!(true)),
            )
        })
    };
    match user {
        None => grant("user hasn't approved this consumer"),
        Some((_, false)) => grant("inactive user"),
        Some((id, true)) => match &client.admin_approved {
            Some((profiles, labels)) if !pre_authorized(shared, &id, profiles, labels) => {
                grant("user hasn't approved this consumer")
            }
            _ => success(shared, &id, None),
        },
    }
}

/// The username-password flow: a seed client's id and secret, then the
/// user's password (blocked by default in new real orgs; on here for tests).
fn password(shared: &Shared, form: &HashMap<String, String>) -> Response {
    let field = |k: &str| form.get(k).map_or("", String::as_str);
    let secret = {
        let st = shared.lock();
        st.seed
            .oauth
            .clients
            .iter()
            .find(|c| c.client_id == field("client_id"))
            .map(|c| c.client_secret.clone())
    };
    let Some(secret) = secret else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        );
    };
    if secret != field("client_secret") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client",
            "invalid client credentials",
        );
    }
    let user = shared
        .lock()
        .authenticate(field("username"), field("password"));
    match user {
        Some(id) => success(shared, &id, None),
        None => grant("authentication failure"),
    }
}

fn refresh(shared: &Shared, form: &HashMap<String, String>) -> Response {
    let client = form.get("client_id").map_or("", String::as_str);
    if self::client(shared, client).is_none() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_client_id",
            "client identifier invalid",
        );
    }
    let token = form.get("refresh_token").map_or("", String::as_str);
    let found = shared.runtime().refresh_tokens.get(token).cloned();
    match found {
        Some((user, c)) if c == client => success(shared, &user, None),
        _ => grant("expired access/refresh token"),
    }
}

/// The bearer token of a REST call.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    v.strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("OAuth "))
        .map(str::trim)
}

fn user_json(shared: &Shared, user_id: &str) -> Option<Value> {
    let st = shared.lock();
    let u = st.get("User", user_id)?;
    let org = st.seed.org.id.clone();
    let base = shared.base_url();
    let v = &st.seed.org.api_version;
    Some(json!({
        "id": format!("{base}/id/{org}/{}", id_of(u)),
        "sub": format!("{base}/id/{org}/{}", id_of(u)),
        "asserted_user": true,
        "user_id": id_of(u),
        "organization_id": org,
        "username": str_field(u, "Username"),
        "preferred_username": str_field(u, "Username"),
        "nick_name": str_field(u, "Alias"),
        "display_name": format!("{} {}", str_field(u, "FirstName"), str_field(u, "LastName")).trim(),
        "name": format!("{} {}", str_field(u, "FirstName"), str_field(u, "LastName")).trim(),
        "email": str_field(u, "Email"),
        "active": u.get("IsActive") == Some(&json!(true)),
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28_800_000,
        "urls": {
            "enterprise": format!("{base}/services/Soap/c/{v}/{org}"),
            "metadata": format!("{base}/services/Soap/m/{v}/{org}"),
            "partner": format!("{base}/services/Soap/u/{v}/{org}"),
            "rest": format!("{base}/services/data/v{v}/"),
            "sobjects": format!("{base}/services/data/v{v}/sobjects/"),
            "query": format!("{base}/services/data/v{v}/query/"),
            "profile": format!("{base}/{}", id_of(u)),
        },
    }))
}

/// `GET /services/oauth2/userinfo`.
pub async fn userinfo(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Outcome::Respond(r) = faults::check(
        &shared.faults,
        "oauth:userinfo",
        "/services/oauth2/userinfo",
        render_fault,
    )
    .await
    {
        return r;
    }
    let Some(user) = bearer(&headers).and_then(|t| shared.session_user(t)) else {
        return (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response();
    };
    match user_json(&shared, &user) {
        Some(v) => Json(v).into_response(),
        None => (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response(),
    }
}

/// `GET /id/{orgId}/{userId}` (the identity URL of a token response).
pub async fn identity(
    State(shared): State<Arc<Shared>>,
    Path((org, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if bearer(&headers)
        .and_then(|t| shared.session_user(t))
        .is_none()
    {
        return (StatusCode::FORBIDDEN, "Bad_OAuth_Token").into_response();
    }
    let org_ok = ids::same(&org, &shared.lock().seed.org.id);
    match user_json(&shared, &user) {
        Some(v) if org_ok => Json(v).into_response(),
        _ => (StatusCode::NOT_FOUND, "Bad_Id").into_response(),
    }
}
