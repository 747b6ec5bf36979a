//! The `local` target: the org emulator, started in-process on 127.0.0.1:0.
//! Owns: starting it for the project directory (its org persists under
//! `.sfprov/local-org/`) and handing the running emulator to the caller
//! (`LocalOrg`), which holds it for as long as it uses the org; the
//! `Session` it makes refreshes tokens through a weak reference, so the
//! client never keeps the emulator alive. Does not: implement the emulator
//! (see `crates/emulator/`).

use std::path::Path;
use std::sync::{Arc, Weak};

use super::client::{connect_session, Identity, Org, Refresh, Session};
use super::error::OrgError;
use super::retry::SystemClock;
use super::target::{ConnectOptions, Target};
use crate::emulator::{self, EmulatorHandle};
use crate::secret::Secret;

/// A running local emulator. It stops when this value is dropped; an `Org`
/// connected to it then fails its next request (and cannot refresh).
pub struct LocalOrg {
    handle: Arc<EmulatorHandle>,
}

impl std::fmt::Debug for LocalOrg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalOrg")
            .field("url", &self.handle.url)
            .finish_non_exhaustive()
    }
}

/// Starts the local org emulator for `project_dir` (default: the current
/// directory).
pub fn start(project_dir: Option<&Path>) -> Result<LocalOrg, OrgError> {
    let dir = match project_dir {
        Some(d) => d.to_path_buf(),
        None => std::env::current_dir().map_err(|e| OrgError::Local {
            reason: format!("no current directory: {e}"),
        })?,
    };
    let handle = emulator::spawn_local(&dir).map_err(|e| OrgError::Local {
        reason: e.to_string(),
    })?;
    Ok(LocalOrg {
        handle: Arc::new(handle),
    })
}

impl LocalOrg {
    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.handle.url
    }

    /// The running emulator (tests change its state or expire its tokens).
    pub fn handle(&self) -> &EmulatorHandle {
        &self.handle
    }

    /// A session for the emulator's admin user. Its refresh asks the
    /// emulator for a new token while the emulator runs.
    pub fn session(&self) -> Session {
        let weak: Weak<EmulatorHandle> = Arc::downgrade(&self.handle);
        Session {
            label: "local".into(),
            kind: "local emulator",
            instance_url: self.handle.url.clone(),
            identity: Identity {
                org_id: Some(self.handle.org_id.clone()),
                user_id: Some(self.handle.user_id.clone()),
                username: Some(self.handle.username.clone()),
            },
            token: Secret::new(self.handle.access_token.expose()),
            refresh: Refresh::Local(Box::new(move || {
                let handle = weak.upgrade().ok_or_else(|| OrgError::Local {
                    reason: "the local emulator has stopped".into(),
                })?;
                handle
                    .token_for(&handle.username)
                    .map(|t| Secret::new(t.expose()))
                    .ok_or_else(|| OrgError::Local {
                        reason: "the emulator issued no new token".into(),
                    })
            })),
        }
    }

    /// Logs in to the emulator (the API version as `connect` settles it).
    pub fn connect(&self, opts: &ConnectOptions) -> Result<Org, OrgError> {
        connect_session(self.session(), opts, Arc::new(SystemClock))
    }
}

/// Connects to any target. For `local` the emulator is started here and
/// returned beside the org: the caller holds it for the command's duration
/// (drop it after the `Org`).
pub fn connect_target(
    target: &Target,
    opts: &ConnectOptions,
) -> Result<(Org, Option<LocalOrg>), OrgError> {
    match target {
        Target::Local => {
            let local = start(opts.project_dir.as_deref())?;
            let org = local.connect(opts)?;
            Ok((org, Some(local)))
        }
        other => Ok((super::connect(other, opts)?, None)),
    }
}
