//! What the HTTP handlers share: the org behind its lock, sessions, async
//! jobs, query cursors, fault rules and the run-time knobs of `Config`.
//! Owns: issuing and checking session tokens, the state directory's lock,
//! atomic persistence of the org to `state.json` (temp file + rename) and its
//! orderly stop (`close`), job ids.
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
    /// Held while this emulator owns `state_dir`; `close` releases it.
    dir_lock: Mutex<Option<StateLock>>,
    /// Taken for each write of `state.json`; `true` once `close` ran, after
    /// which nothing is written.
    closed: Mutex<bool>,
}

const STATE_FILE: &str = "state.json";
const LOCK_FILE: &str = "lock";
/// Temp files of `persist` are named `.state.json.<random>.tmp`.
const TMP_PREFIX: &str = ".state.json.";
const TMP_SUFFIX: &str = ".tmp";

/// One emulator at a time per state directory: two sharing `.sfprov/local-org`
/// would overwrite each other's changes. The lock is an exclusive `flock` on
/// `lock` (std's `File::try_lock`), held while this emulator runs; the
/// kernel releases it when the process ends however it ends, so there is no
/// stale lock to take over. The file holds the owner's pid for the message
/// of the one that waits; the file itself is never removed (removing a
/// locked file would let a third process lock a new one beside it).
struct StateLock {
    file: std::fs::File,
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
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(persist)?;
        // A lock just released can still be held for a moment by a process
        // forked (by another thread) before its exec closed the inherited
        // descriptor: retry briefly before calling the directory busy.
        let mut tries = 0;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if tries < 25 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(EmulatorError::Busy {
                        path: dir.to_path_buf(),
                        pid: holder_pid(&path),
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(persist(e)),
            }
        }
        file.set_len(0).map_err(persist)?;
        write!(file, "{}", std::process::id()).map_err(persist)?;
        // We own the directory now: a temp file in it is a leftover of a
        // process that was killed mid-write (SIGKILL, power loss).
        remove_temp_files(dir);
        Ok(StateLock { file })
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        // Empty the pid while still locked; closing the file unlocks it.
        let _ = self.file.set_len(0);
    }
}

/// The pid the lock's holder wrote. It writes it just after locking, so a
/// starter that lost the race may read the file before that: wait briefly.
fn holder_pid(path: &std::path::Path) -> Option<u32> {
    let mut last = None;
    for _ in 0..50 {
        let pid = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok());
        if let Some(pid) = pid {
            // A pid left by a holder that died is replaced by the new holder's.
            let proc = std::path::Path::new("/proc");
            if !proc.exists() || proc.join(pid.to_string()).exists() {
                return Some(pid);
            }
            last = Some(pid);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    last
}

fn remove_temp_files(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        // Ours, and `.tmpXXXXXX` (tempfile's default) of older versions.
        let legacy = name.len() == 10
            && name.starts_with(".tmp")
            && name[4..].chars().all(|c| c.is_ascii_alphanumeric());
        if legacy || (name.starts_with(TMP_PREFIX) && name.ends_with(TMP_SUFFIX)) {
            let _ = std::fs::remove_file(e.path());
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
            Some(dir) if !config.fresh && dir.join(STATE_FILE).exists() => {
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
            _ => OrgState::try_from_seed(config.seed)
                .map_err(|message| EmulatorError::Seed { message })?,
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
            dir_lock: Mutex::new(lock),
            closed: Mutex::new(false),
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

    /// Writes the state atomically: serialized first, then written to a temp
    /// file in the same directory and renamed over `state.json`. A temp file
    /// exists only inside this call, which `close` waits for.
    pub fn persist(&self, st: &OrgState) -> Result<(), EmulatorError> {
        use std::io::Write;
        let Some(dir) = &self.state_dir else {
            return Ok(());
        };
        let err = |source| EmulatorError::Persist {
            path: dir.clone(),
            source,
        };
        let bytes = serde_json::to_vec(st).map_err(|e| err(e.into()))?;
        let closed = lock(&self.closed);
        if *closed {
            return Err(err(std::io::Error::other("the emulator is shutting down")));
        }
        std::fs::create_dir_all(dir).map_err(err)?;
        // Removed on drop unless renamed, so an error leaves nothing behind.
        let mut tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .suffix(TMP_SUFFIX)
            .tempfile_in(dir)
            .map_err(err)?;
        tmp.write_all(&bytes).map_err(err)?;
        tmp.persist(dir.join(STATE_FILE))
            .map_err(|e| err(e.error))?;
        drop(closed);
        Ok(())
    }

    /// Stops persisting: waits for a write in progress to finish (so no temp
    /// file is left), refuses later ones, and releases the state directory's
    /// lock. Called when the server has stopped.
    pub fn close(&self) {
        *lock(&self.closed) = true;
        lock(&self.dir_lock).take();
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
    fn one_holder_at_a_time_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let first = StateLock::acquire(dir.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap(),
            std::process::id().to_string()
        );
        // A second open file description in this very process is refused too.
        match StateLock::acquire(dir.path()) {
            Err(EmulatorError::Busy { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{:?}", other.map(|_| ())),
        }
        drop(first);
        let again = StateLock::acquire(dir.path()).unwrap();
        drop(again);
        assert!(dir.path().join(LOCK_FILE).exists(), "the lock file stays");
    }

    #[test]
    fn a_pid_left_in_an_unlocked_file_is_not_a_lock() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(LOCK_FILE), "1").unwrap();
        std::fs::write(dir.path().join(".state.json.abc123.tmp"), "{").unwrap();
        let _held = StateLock::acquire(dir.path()).unwrap();
        assert!(
            !dir.path().join(".state.json.abc123.tmp").exists(),
            "leftover temp files are removed by the new owner"
        );
    }
}
