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
    let st = shared.lock();
    Json(&*st).into_response()
}
