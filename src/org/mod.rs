//! Orgs: finding the target, logging in, and talking to it.
//! Owns: target resolution (`target`), logins through the sf CLI (`sfcli`),
//! an access token or a JWT (`jwt`), the local emulator (`local`); the
//! connected `Org` with its retry loop (`client`), Metadata SOAP calls
//! (`mdapi`, `soap`), REST calls (`rest`), polling (`poll`), safe unzipping
//! (`zipsafe`), the API versions an org serves (`versions`) and `org info`
//! (`info`).
//! Does not: print, know clap, or decide what to deploy. Only this module
//! knows which org is real.
//!
//! Typical use:
//! `resolve_target(&opts, &Environment::from_process())` ->
//! `connect(&target, &ConnectOptions)` -> `Org` -> `info::gather(&org)`.

pub mod api_error;
pub mod client;
pub mod dir;
pub mod error;
pub mod http;
pub mod info;
pub mod jwt;
pub mod local;
pub mod mdapi;
pub mod poll;
pub mod read;
pub mod rest;
pub mod retry;
pub mod sfcli;
pub mod soap;
pub mod target;
pub mod versions;
pub mod write;
pub mod zipsafe;

pub use api_error::{ApiError, ApiErrorCode};
pub use client::{connect, connect_with_clock, Identity, Org};
pub use error::{JobKind, OrgError};
pub use info::{gather as gather_info, org_info, OrgInfo};
pub use mdapi::{DeployOptions, DeployOutcome, DeployResult, RetrieveResult};
pub use poll::{NoObserver, PollObserver, Wait};
pub use retry::{CancelToken, Clock, FakeClock, RetryPolicy, SystemClock};
pub use target::{resolve_target, ApiVersion, ConnectOptions, Environment, Target, TargetOptions};
pub use zipsafe::{ZipEntry, ZipLimits};

use crate::metadata::Document;

/// A finished retrieve and its files, unpacked safely.
#[derive(Debug, Clone)]
pub struct Retrieved {
    pub result: RetrieveResult,
    /// Paths relative to the zip root (`package.xml`, `profiles/X.profile`).
    pub files: Vec<ZipEntry>,
}

impl Org {
    /// Retrieves the members of `manifest` (single package), waits, and
    /// unpacks the zip within `limits`.
    pub fn retrieve_files(
        &self,
        manifest: &Document<'_>,
        wait: &Wait,
        limits: ZipLimits,
        observer: &mut dyn PollObserver,
    ) -> Result<Retrieved, OrgError> {
        let job = self.retrieve(manifest, true)?;
        let result = self.wait_for_retrieve(&job.id, wait, observer)?;
        let zip = result.zip.as_deref().unwrap_or_default();
        let files = zipsafe::unpack(zip, limits).map_err(|reason| OrgError::UnsafeZip {
            org: self.label().to_string(),
            reason,
        })?;
        Ok(Retrieved { result, files })
    }

    /// Submits a deploy and waits for its outcome. A failed deploy is
    /// `Ok` with `outcome() == Failed`; the caller reads its failures.
    pub fn deploy_and_wait(
        &self,
        zip: &[u8],
        opts: &DeployOptions,
        wait: &Wait,
        observer: &mut dyn PollObserver,
    ) -> Result<DeployResult, OrgError> {
        let job = self.deploy(zip, opts)?;
        self.wait_for_deploy(&job.id, wait, observer)
    }
}
