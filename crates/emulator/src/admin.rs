//! Test-only admin routes under `/__emulator/` (never part of Salesforce's
//! API): read or replace the fault rules, dump the org state.
//! Loopback only, like the rest of the emulator; no session needed.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use super::faults::FaultRule;
use super::Shared;

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/faults", get(list).put(replace).post(add).delete(clear))
        .route("/state", get(state))
        .route("/oauth-clients", axum::routing::post(add_client))
}

/// `POST /__emulator/oauth-clients {"client_id", "certificate"}`: registers
/// a certificate (PEM) for JWT bearer logins with that consumer key, on a
/// running emulator (the route form of `emulator serve --jwt-cert`).
#[derive(serde::Deserialize)]
struct NewClient {
    client_id: String,
    certificate: String,
}

async fn add_client(State(shared): State<Arc<Shared>>, Json(c): Json<NewClient>) -> Response {
    if c.client_id.is_empty() || super::auth::public_key(&c.certificate).is_none() {
        return (
            StatusCode::BAD_REQUEST,
            "expected {\"client_id\": \"…\", \"certificate\": \"-----BEGIN CERTIFICATE-----…\"} with an RSA certificate or public key\n",
        )
            .into_response();
    }
    shared.add_oauth_client(&c.client_id, &c.certificate);
    StatusCode::NO_CONTENT.into_response()
}

async fn list(State(shared): State<Arc<Shared>>) -> Json<Vec<FaultRule>> {
    Json(shared.faults.list())
}

async fn replace(
    State(shared): State<Arc<Shared>>,
    Json(rules): Json<Vec<FaultRule>>,
) -> StatusCode {
    shared.faults.set(rules);
    StatusCode::NO_CONTENT
}

async fn add(State(shared): State<Arc<Shared>>, Json(rule): Json<FaultRule>) -> StatusCode {
    shared.faults.add(rule);
    StatusCode::NO_CONTENT
}

async fn clear(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.faults.set(Vec::new());
    StatusCode::NO_CONTENT
}

async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let mut value = {
        let st = shared.lock();
        match serde_json::to_value(&*st) {
            Ok(v) => v,
            Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
        }
    };
    redact(&mut value);
    Json(value).into_response()
}

/// Replaces passwords and client secrets in a state dump: the dump is for
/// tests and debugging, and credentials never leave through it.
fn redact(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if matches!(k.as_str(), "password" | "passwords" | "client_secret") {
                    *val = serde_json::Value::String("[redacted]".into());
                } else {
                    redact(val);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dumps_hide_credentials() {
        let mut v = serde_json::json!({
            "passwords": {"005": "pw"},
            "seed": {"oauth": {"clients": [{"client_id": "c", "client_secret": "cs"}]}, "users": [{"password": "pw2"}]}
        });
        super::redact(&mut v);
        let text = v.to_string();
        assert!(
            !text.contains("\"pw\"") && !text.contains("cs") && !text.contains("pw2"),
            "{text}"
        );
        assert!(text.contains("\"client_id\":\"c\""));
    }
}
