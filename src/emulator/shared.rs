//! What the HTTP handlers share: the org behind its lock, sessions, async
//! jobs, query cursors, fault rules and the run-time knobs of `Config`.
//! Owns: issuing and checking session tokens, atomic persistence of the org
//! to `state.json` (temp file + rename), job ids.
//! Does not: interpret metadata or speak HTTP.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::faults::Faults;
use super::state::{id_of, OrgState};
use super::{ids, lock, Config, EmulatorError, Secret};

/// A session: who it belongs to and when it stops working.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: String,
    pub expires: Instant,
}

/// What the emulator knows besides the org: sessions, jobs, query cursors.
#[derive(Default)]
pub struct Runtime {
    pub sessions: HashMap<String, Session>,
    /// refresh token -> (user id, client id).
    pub refresh_tokens: HashMap<String, (String, String)>,
    pub deploys: HashMap<String, super::deploy::DeployJob>,
    pub retrieves: HashMap<String, super::retrieve::RetrieveJob>,
    /// query locator -> rows still to return, and the sObject type.
    pub cursors: HashMap<String, (String, Vec<Value>)>,
    /// OAuth clients added at run time: client id -> PEM.
    pub extra_clients: Vec<(String, String)>,
    pub job_counter: u64,
}

/// The admin session printed by `serve` and held by `EmulatorHandle`.
pub struct AdminSession {
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub org_id: String,
    pub user_id: String,
    pub username: String,
    pub client_id: String,
}

/// Everything the HTTP handlers share.
pub struct Shared {
    state: Mutex<OrgState>,
    pub runtime: Mutex<Runtime>,
    pub faults: Faults,
    pub token_ttl: Duration,
    pub deploy_polls: u32,
    pub retrieve_polls: u32,
    pub query_batch: usize,
    /// REST calls served, for `Sforce-Limit-Info` and `/limits`.
    pub api_calls: std::sync::atomic::AtomicU64,
    state_dir: Option<PathBuf>,
    base_url: OnceLock<String>,
    /// Held while this emulator owns `state_dir` (removed on drop).
    _lock: Option<StateLock>,
}

const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "lock";

/// One process at a time per state directory: two sfprov processes sharing
/// `.sfprov/local-org` would otherwise overwrite each other's changes. The
/// lock file holds the owner's pid; a lock whose process is gone (checked
/// through /proc where there is one) is taken over.
struct StateLock {
    path: PathBuf,
}

impl StateLock {
    fn acquire(dir: &std::path::Path) -> Result<StateLock, EmulatorError> {
        use std::io::Write;
        let persist = |source| EmulatorError::Persist {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(persist)?;
        let path = dir.join(LOCK_FILE);
        let me = std::process::id();
        if let Ok(text) = std::fs::read_to_string(&path) {
            if let Ok(pid) = text.trim().parse::<u32>() {
                let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
                if pid != me && alive {
                    return Err(EmulatorError::Busy {
                        path: dir.to_path_buf(),
                        pid,
                    });
                }
            }
        }
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(persist)?;
        write!(tmp, "{me}").map_err(persist)?;
        tmp.persist(&path).map_err(|e| persist(e.error))?;
        Ok(StateLock { path })
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Only remove our own lock (another process may have taken over a
        // lock it judged stale).
        let ours = std::fs::read_to_string(&self.path)
            .is_ok_and(|t| t.trim() == std::process::id().to_string());
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Shared {
    pub fn new(config: Config) -> Result<Shared, EmulatorError> {
        let lock = config
            .state_dir
            .as_deref()
            .map(StateLock::acquire)
            .transpose()?;
        let state = match &config.state_dir {
            Some(dir) if dir.join(STATE_FILE).exists() => {
                let path = dir.join(STATE_FILE);
                let text =
                    std::fs::read_to_string(&path).map_err(|source| EmulatorError::Read {
                        what: "state",
                        path: path.clone(),
                        source,
                    })?;
                serde_json::from_str(&text).map_err(|e| EmulatorError::Invalid {
                    what: "state",
                    path,
                    message: format!("{e} (written by another sfprov version? delete the directory to start from a fresh org)"),
                })?
            }
            _ => OrgState::from_seed(config.seed),
        };
        let shared = Shared {
            state: Mutex::new(state),
            runtime: Mutex::new(Runtime::default()),
            faults: Faults::new(config.faults),
            token_ttl: config.token_ttl,
            deploy_polls: config.deploy_polls,
            retrieve_polls: config.retrieve_polls,
            query_batch: config.query_batch.max(1),
            api_calls: std::sync::atomic::AtomicU64::new(0),
            state_dir: config.state_dir,
            base_url: OnceLock::new(),
            _lock: lock,
        };
        if shared.state_dir.is_some() {
            let st = shared.lock();
            shared.persist(&st)?;
        }
        Ok(shared)
    }

    pub fn lock(&self) -> MutexGuard<'_, OrgState> {
        lock(&self.state)
    }

    pub fn runtime(&self) -> MutexGuard<'_, Runtime> {
        lock(&self.runtime)
    }

    pub fn set_base_url(&self, url: &str) {
        let _ = self.base_url.set(url.to_string());
    }

    pub fn base_url(&self) -> &str {
        self.base_url
            .get()
            .map_or("http://127.0.0.1", String::as_str)
    }

    /// Writes the state atomically (temp file in the same directory + rename).
    pub fn persist(&self, st: &OrgState) -> Result<(), EmulatorError> {
        let Some(dir) = &self.state_dir else {
            return Ok(());
        };
        let err = |source| EmulatorError::Persist {
            path: dir.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(err)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(err)?;
        serde_json::to_writer(&mut tmp, st).map_err(|e| err(e.into()))?;
        tmp.persist(dir.join(STATE_FILE))
            .map_err(|e| err(e.error))?;
        Ok(())
    }

    /// Whether changes are written to a state directory.
    pub fn persistent(&self) -> bool {
        self.state_dir.is_some()
    }

    /// Issues a session for a user id.
    pub fn issue_token(&self, user_id: &str) -> String {
        let org_id = self.lock().seed.org.id.clone();
        let token = ids::token(&org_id);
        self.runtime().sessions.insert(
            token.clone(),
            Session {
                user_id: user_id.to_string(),
                expires: Instant::now() + self.token_ttl,
            },
        );
        token
    }

    pub fn token_for_username(&self, username: &str) -> Option<Secret> {
        let id = id_of(self.lock().find_by("User", "Username", username)?).to_string();
        Some(Secret::new(self.issue_token(&id)))
    }

    /// The user id of a live session; a deactivated user's sessions end.
    pub fn session_user(&self, token: &str) -> Option<String> {
        let user = {
            let rt = self.runtime();
            let s = rt.sessions.get(token)?;
            (s.expires > Instant::now()).then(|| s.user_id.clone())?
        };
        let active = self
            .lock()
            .get("User", &user)
            .is_some_and(|u| u.get("IsActive") == Some(&serde_json::json!(true)));
        active.then_some(user)
    }

    pub fn expire_tokens(&self) {
        let past = Instant::now();
        for s in self.runtime().sessions.values_mut() {
            s.expires = past;
        }
    }

    pub fn add_oauth_client(&self, client_id: &str, pem: &str) {
        self.runtime()
            .extra_clients
            .push((client_id.to_string(), pem.to_string()));
    }

    pub fn admin_session(self: &Arc<Self>) -> AdminSession {
        let (org_id, user_id, username, client_id) = {
            let st = self.lock();
            let user = st
                .find_by("User", "Username", &st.seed.admin_username)
                .map(|u| id_of(u).to_string())
                .unwrap_or_default();
            let client = st
                .seed
                .oauth
                .clients
                .first()
                .map(|c| c.client_id.clone())
                .unwrap_or_default();
            (
                st.seed.org.id.clone(),
                user,
                st.seed.admin_username.clone(),
                client,
            )
        };
        let access = self.issue_token(&user_id);
        let refresh = ids::token(&org_id).replace("!AQ", "!RT");
        self.runtime()
            .refresh_tokens
            .insert(refresh.clone(), (user_id.clone(), client_id.clone()));
        AdminSession {
            access_token: Secret::new(access),
            refresh_token: Secret::new(refresh),
            org_id,
            user_id,
            username,
            client_id,
        }
    }

    /// A new async job id (`0Af…` deploys, `09S…` retrieves).
    pub fn job_id(&self, prefix: &str) -> String {
        let mut rt = self.runtime();
        rt.job_counter += 1;
        ids::record_id(prefix, 900_000 + rt.job_counter)
    }
}

#[cfg(test)]
mod lock_tests {
    use super::*;

    #[test]
    fn a_live_owner_blocks_and_a_stale_lock_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        // pid 1 is alive on Linux; elsewhere /proc is absent and the lock is
        // judged stale, which is the documented fallback.
        std::fs::write(dir.path().join(LOCK_FILE), "1").unwrap();
        let live = std::path::Path::new("/proc/1").exists();
        match StateLock::acquire(dir.path()) {
            Err(EmulatorError::Busy { pid, .. }) => assert!(live && pid == 1),
            Ok(_) => assert!(!live),
            Err(e) => panic!("{e}"),
        }
        // A pid that does not exist: taken over, and removed on drop.
        std::fs::write(dir.path().join(LOCK_FILE), "4294967290").unwrap();
        let lock = StateLock::acquire(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(),
            std::process::id().to_string()
        );
        drop(lock);
        assert!(!dir.path().join(LOCK_FILE).exists());
    }
}
