//! The local org emulator: Salesforce's OAuth, Metadata API (SOAP 1.1) and REST
//! on loopback, with the Salesforce semantics sfprov depends on (issue 3).
//! Owns: the public entry points (`spawn`, `router`, `serve`), their options and
//! the handle tests hold. Submodules own one protocol area each.
//! Does not: act as a client (that is `org/`), or reach anything but 127.0.0.1.
//!
//! State lives in one `OrgState` behind a lock (`shared.rs`); it is persisted to
//! a directory with atomic writes when `Config::state_dir` is set, which is how
//! `--target-org local` keeps `.sfprov/local-org/` across invocations.
//!
//! ```no_run
//! use sfprov_emulator::{self as emulator, Config, FaultAction, FaultRule};
//! // A test: a fresh org on 127.0.0.1:<free port>, stopped when `org` drops.
//! let org = emulator::spawn(Config::default())?;
//! let _auth = format!("Bearer {}", org.access_token.expose()); // Debug/Display print [redacted]
//! let _soap = format!("{}/services/Soap/m/63.0", org.url);
//! org.add_fault(FaultRule::new("soap:deploy", FaultAction::DropAfter).times(1));
//! // `--target-org local`: the same, with the org kept under the project.
//! let _local = emulator::spawn_local(std::path::Path::new("."))?;
//! # Ok::<(), emulator::EmulatorError>(())
//! ```
//!
//! Routes: `/services/oauth2/{token,userinfo}`, `/id/{org}/{user}`,
//! `/services/Soap/m/{v}[/…]` (Metadata API), `/services/Soap/u/{v}` (login),
//! `/services/data[/vNN.N/…]` (REST), `/__emulator/{faults,state}` (tests).

mod access;
mod admin;
mod apply;
mod auth;
mod deploy;
mod faults;
mod ids;
mod limits;
mod mdapi;
mod partner;
mod records;
mod rest;
mod retrieve;
mod seed;
mod server;
mod shared;
mod soap;
mod sobjects;
mod soql;
mod state;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use faults::{FaultAction, FaultRule};
pub use seed::{ComponentSeed, ProfileSeed, Seed, UserSeed};
pub use shared::Shared;
pub use state::OrgState;

/// The directory, under a project, where `--target-org local` keeps its org.
pub const LOCAL_ORG_DIR: &str = ".sfprov/local-org";

/// Tokens are the crate's one `Secret` type (Debug/Display print `[redacted]`).
pub use sfprov_metadata::secret::Secret;

/// What can go wrong starting or running the emulator.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot bind the emulator to 127.0.0.1:{port}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the emulator's {what} file {}", path.display())]
    Read {
        /// `--seed`, `--faults` or `state`.
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the emulator seed does not build an org: {message}")]
    Seed { message: String },
    #[error("invalid emulator {what} file {}: {message}", path.display())]
    Invalid {
        what: &'static str,
        path: PathBuf,
        message: String,
    },
    #[error("the emulator state directory {} is in use by {}; stop that process or wait for it to finish, then try again", path.display(), holder(*pid))]
    Busy {
        path: PathBuf,
        /// The holder's pid, as it wrote it in `<path>/lock`.
        pid: Option<u32>,
    },
    #[error("cannot write emulator state under {}", path.display())]
    Persist {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the emulator stopped unexpectedly: {0}")]
    Runtime(String),
}

fn holder(pid: Option<u32>) -> String {
    match pid {
        Some(p) if p == std::process::id() => format!("another emulator in this process (pid {p})"),
        Some(p) => format!("another sfprov process (pid {p})"),
        None => "another sfprov process".to_string(),
    }
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct Config {
    /// The org a fresh emulator starts from (ignored when `state_dir` holds state).
    pub seed: Seed,
    /// Persist the org here (`state.json`, atomic writes); `None` keeps it in memory.
    pub state_dir: Option<PathBuf>,
    /// Fault-injection rules active from the start.
    pub faults: Vec<FaultRule>,
    /// Lifetime of access tokens; an expired token gets INVALID_SESSION_ID.
    pub token_ttl: Duration,
    /// How many `checkDeployStatus` polls a deploy spends in Pending, and then in
    /// InProgress, before it runs (0 = it runs at the first poll).
    pub deploy_polls: u32,
    /// How many `checkRetrieveStatus` polls a retrieve spends InProgress.
    pub retrieve_polls: u32,
    /// Rows per REST query page before `nextRecordsUrl` (Salesforce: 2000).
    pub query_batch: usize,
    /// Serve HTTPS with this certificate and key instead of HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Start from `seed` even when `state_dir` holds an org (which is then
    /// replaced).
    pub fresh: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: Seed::default_org(),
            state_dir: None,
            faults: Vec::new(),
            token_ttl: Duration::from_secs(2 * 60 * 60),
            deploy_polls: 1,
            retrieve_polls: 1,
            query_batch: 2000,
            tls: None,
            fresh: false,
        }
    }
}

impl Config {
    /// The configuration `--target-org local` uses for a project directory.
    pub fn local(project_dir: &Path) -> Self {
        Config {
            state_dir: Some(project_dir.join(LOCAL_ORG_DIR)),
            deploy_polls: 0,
            retrieve_polls: 0,
            ..Config::default()
        }
    }
}

/// A running emulator on 127.0.0.1:<random port>; stops when dropped.
pub struct EmulatorHandle {
    /// `http://127.0.0.1:PORT`, the instance URL.
    pub url: String,
    /// A valid session for the admin user.
    pub access_token: Secret,
    /// A refresh token for the admin user and `client_id`.
    pub refresh_token: Secret,
    pub org_id: String,
    pub user_id: String,
    pub username: String,
    /// The seed's OAuth client id (consumer key).
    pub client_id: String,
    shared: Arc<Shared>,
    server: Option<server::Running>,
}

impl fmt::Debug for EmulatorHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorHandle")
            .field("url", &self.url)
            .field("org_id", &self.org_id)
            .field("username", &self.username)
            .field("access_token", &self.access_token)
            .finish_non_exhaustive()
    }
}

/// Starts an emulator on its own thread, bound to 127.0.0.1:0.
pub fn spawn(config: Config) -> Result<EmulatorHandle, EmulatorError> {
    spawn_on(config, 0)
}

/// What `--target-org local` runs: an in-process emulator whose org lives in
/// `<project_dir>/.sfprov/local-org/` (created on first use), so that
/// plan -> apply -> plan converges across invocations. Deploys and retrieves
/// finish at their first status poll.
pub fn spawn_local(project_dir: &Path) -> Result<EmulatorHandle, EmulatorError> {
    spawn(Config::local(project_dir))
}

fn spawn_on(config: Config, port: u16) -> Result<EmulatorHandle, EmulatorError> {
    let tls = config.tls.clone();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let shared = Arc::new(Shared::new(config)?);
    let running = server::start(shared.clone(), port, tls)?;
    let url = format!("{scheme}://{}", running.addr);
    shared.set_base_url(&url);
    let session = shared.admin_session();
    Ok(EmulatorHandle {
        url,
        access_token: session.access_token,
        refresh_token: session.refresh_token,
        org_id: session.org_id,
        user_id: session.user_id,
        username: session.username,
        client_id: session.client_id,
        shared,
        server: Some(running),
    })
}

impl EmulatorHandle {
    /// Replaces the fault-injection rules.
    pub fn set_faults(&self, rules: Vec<FaultRule>) {
        self.shared.faults.set(rules);
    }

    /// Adds one fault-injection rule after the existing ones.
    pub fn add_fault(&self, rule: FaultRule) {
        self.shared.faults.add(rule);
    }

    /// Removes every fault-injection rule.
    pub fn clear_faults(&self) {
        self.shared.faults.set(Vec::new());
    }

    /// Reads the org state (for assertions).
    pub fn with_state<R>(&self, f: impl FnOnce(&OrgState) -> R) -> R {
        f(&self.shared.lock())
    }

    /// The stored XML of a component, e.g. `("Profile", "Admin")`: the org's
    /// full record, not what a retrieve would filter.
    pub fn component(&self, ty: &str, full_name: &str) -> Option<String> {
        self.shared
            .lock()
            .component(ty, full_name)
            .map(|c| c.xml.clone())
    }

    /// A new access token for an existing user.
    pub fn token_for(&self, username: &str) -> Option<Secret> {
        self.shared.token_for_username(username)
    }

    /// Adds an OAuth client whose JWT assertions are verified with `pem` (an
    /// X.509 certificate or a public key, PEM).
    pub fn add_oauth_client(&self, client_id: &str, pem: &str) {
        self.shared.add_oauth_client(client_id, pem);
    }

    /// Makes every token issued so far expire now.
    pub fn expire_tokens(&self) {
        self.shared.expire_tokens();
    }

    /// The shared state, for building another router over the same org.
    pub fn shared(&self) -> Arc<Shared> {
        self.shared.clone()
    }
}

impl Drop for EmulatorHandle {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
        // A request still running past the server's stop finishes its write
        // first; then the state directory is released.
        self.shared.close();
    }
}

/// The emulator's HTTP routes over a shared state (for in-process use).
pub fn router(shared: Arc<Shared>) -> axum::Router {
    server::router(shared)
}

/// Options of `sfprov emulator serve`.
#[derive(Debug, Clone, Default)]
pub struct ServeOptions {
    /// Port on 127.0.0.1; `None` picks a free one.
    pub port: Option<u16>,
    /// Persist the org here.
    pub state_dir: Option<PathBuf>,
    /// A seed file (JSON, the shape of `crates/emulator/src/seed.json`).
    pub seed_file: Option<PathBuf>,
    /// A seed built by the caller (a named scenario); `seed_file` wins.
    pub seed: Option<Seed>,
    /// Fault rules (JSON array of `FaultRule`).
    pub faults_file: Option<PathBuf>,
    /// Serve HTTPS: a PEM certificate (chain) and its private key.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// A PEM certificate (or public key) registered on the seed's connected
    /// app, so JWT bearer logins signed with its private key succeed.
    pub jwt_cert: Option<PathBuf>,
}

/// What `serve` announces once listening (the one stdout line of the command).
#[derive(Debug)]
pub struct Ready {
    pub instance_url: String,
    pub access_token: Secret,
    pub org_id: String,
    pub username: String,
}

impl Ready {
    /// `{"instance_url": …, "access_token": …, "org_id": …, "username": …}`:
    /// the token is exposed here on purpose, it is the product of the command.
    pub fn to_json_line(&self) -> String {
        // Written by hand to keep the documented key order.
        let q = |v: &str| serde_json::Value::from(v).to_string();
        format!(
            "{{\"instance_url\":{},\"access_token\":{},\"org_id\":{},\"username\":{}}}",
            q(&self.instance_url),
            q(self.access_token.expose()),
            q(&self.org_id),
            q(&self.username)
        )
    }
}

/// Runs `sfprov emulator serve`: starts, calls `on_ready` once listening, then
/// serves until Ctrl-C or SIGTERM (or until `stop` receives), then shuts
/// down gracefully: in-flight requests finish, a write of the state in
/// progress completes (no temp file is left), and the state directory's lock
/// is released before this returns.
pub fn serve(
    opts: ServeOptions,
    on_ready: impl FnOnce(&Ready),
    stop: Option<std::sync::mpsc::Receiver<()>>,
) -> Result<(), EmulatorError> {
    let mut config = Config::default();
    if let Some(path) = &opts.seed_file {
        config.seed = Seed::from_file(path)?;
    } else if let Some(seed) = &opts.seed {
        config.seed = seed.clone();
    }
    if let Some(path) = &opts.faults_file {
        config.faults = faults::from_file(path)?;
    }
    config.state_dir = opts.state_dir.clone();
    if let Some((cert, key)) = &opts.tls {
        config.tls = Some(server::tls_config(cert, key)?);
    }
    let jwt_cert = match &opts.jwt_cert {
        Some(path) => Some(auth::read_certificate(path)?),
        None => None,
    };
    let interrupt = match stop {
        Some(_) => None,
        None => Some(server::Interrupt::register()?),
    };
    let handle = spawn_on(config, opts.port.unwrap_or(0))?;
    if let Some(pem) = jwt_cert {
        handle.add_oauth_client(&handle.client_id, &pem);
    }
    on_ready(&Ready {
        instance_url: handle.url.clone(),
        access_token: handle.access_token.clone(),
        org_id: handle.org_id.clone(),
        username: handle.username.clone(),
    });
    match (stop, interrupt) {
        (Some(rx), _) => {
            let _ = rx.recv();
        }
        (None, Some(i)) => i.wait()?,
        (None, None) => {}
    }
    drop(handle);
    Ok(())
}

/// Shared lock helper: a poisoned lock still holds consistent data because
/// every mutation is applied whole or not at all.
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
