//! `sfprov org ...`: target flags -> `org::TargetOptions` -> library call ->
//! rendered output. With `-v`, requests are logged to stderr (method, URL,
//! how long sfprov waits, status, time; never headers or bodies; see
//! `logging`); warnings (a retry after a timeout) are shown without `-v` too.
//! A failure goes to the binary's renderer (one JSON document on stdout
//! under `--json`).

use sfprov::org::{self, info::render, ConnectOptions, Environment, OrgError, TargetOptions};

use super::{Error, Streams};
use crate::cli::{OrgCommand, OrgInfoArgs, TargetArgs};
use crate::Outcome;

pub fn run(s: &Streams, c: OrgCommand) -> Result<Outcome, Error> {
    match c {
        OrgCommand::Info(a) => info(s, a),
    }
}

/// The target flags as the library's options (no clap types cross over);
/// the connect options take SFPROV_HTTP_TIMEOUT from `env`.
pub fn target_options(
    t: &TargetArgs,
    env: &Environment,
) -> Result<(TargetOptions, ConnectOptions), OrgError> {
    Ok((
        TargetOptions {
            target_org: t.target_org.clone(),
            instance_url: t.login.instance_url.clone(),
            client_id: t.login.client_id.clone(),
            jwt_key_file: t.login.jwt_key_file.clone(),
            username: t.login.username.clone(),
        },
        ConnectOptions {
            api_version: t.login.api_version.clone(),
            // `--target-org local` keeps one org per project: under the
            // project root found upward, as sf finds it (else here).
            project_dir: sfprov::project::discover_from_cwd().root().map(Into::into),
            ..ConnectOptions::from_environment(env)?
        },
    ))
}

fn info(s: &Streams, a: OrgInfoArgs) -> Result<Outcome, Error> {
    let env = Environment::from_process();
    let (target, connect) = target_options(&a.target, &env)?;
    let target = org::resolve_target(&target, &env)?;
    // `--target-org local`: the emulator starts here and `_local` holds it
    // until the org's queries are done.
    let (org, _local) = org::local::connect_target(&target, &connect)?;
    let info = org::gather_info(&org)?;
    s.out(&if a.json {
        render::json(&info)
    } else {
        render::human(&info)
    })?;
    Ok(Outcome::Success)
}
