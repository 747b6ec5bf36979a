//! The `local` target: the org emulator, started in-process on 127.0.0.1:0.
//! Owns: starting it for the project directory (its org persists under
//! `.sfprov/local-org/`) and turning its handle into a `Session` whose
//! token refresh asks the emulator for a new token.
//! Does not: implement the emulator (see `crates/emulator/`, issue 3).

use std::path::Path;
use std::sync::Arc;

use super::client::{Identity, Refresh, Session};
use super::error::OrgError;
use crate::emulator;
use crate::secret::Secret;

/// Starts the local org emulator for `project_dir` (default: the current
/// directory). It stops when the `Org` holding the session is dropped.
pub fn start(project_dir: Option<&Path>) -> Result<Session, OrgError> {
    let dir = match project_dir {
        Some(d) => d.to_path_buf(),
        None => std::env::current_dir().map_err(|e| OrgError::Local {
            reason: format!("no current directory: {e}"),
        })?,
    };
    let handle = emulator::spawn_local(&dir).map_err(|e| OrgError::Local {
        reason: e.to_string(),
    })?;
    let handle = Arc::new(handle);
    let for_refresh = handle.clone();
    Ok(Session {
        label: "local".into(),
        kind: "local emulator",
        instance_url: handle.url.clone(),
        identity: Identity {
            org_id: Some(handle.org_id.clone()),
            user_id: Some(handle.user_id.clone()),
            username: Some(handle.username.clone()),
        },
        token: Secret::new(handle.access_token.expose()),
        refresh: Refresh::Local(Box::new(move || {
            for_refresh
                .token_for(&for_refresh.username)
                .map(|t| Secret::new(t.expose()))
                .ok_or_else(|| OrgError::Local {
                    reason: "the emulator issued no new token".into(),
                })
        })),
        keep: Some(Box::new(handle)),
    })
}
