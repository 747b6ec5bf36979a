//! `sfprov org ...`: target flags -> `org::TargetOptions` -> library call ->
//! rendered output. With `-v`, requests are logged to stderr (method, URL,
//! how long sfprov waits, status, time; never headers or bodies); warnings
//! (a retry after a timeout) are shown without `-v` too. Everything shown,
//! log lines included, is scrubbed (`secret::scrub`). With `--json`, stdout
//! is one JSON document even on failure.

use sfprov::org::{self, info::render, ConnectOptions, Environment, OrgError, TargetOptions};

use super::{Error, Reported, Streams};
use crate::cli::{OrgCommand, OrgInfoArgs, TargetArgs};
use crate::Outcome;

pub fn run(s: &Streams, c: OrgCommand) -> Result<Outcome, Error> {
    init_log(s.verbose, s.quiet);
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
            instance_url: t.instance_url.clone(),
            client_id: t.client_id.clone(),
            jwt_key_file: t.jwt_key_file.clone(),
            username: t.username.clone(),
        },
        ConnectOptions {
            api_version: t.api_version.clone(),
            // `--target-org local` keeps one org per project: under the
            // project root found upward, as sf finds it (else here).
            project_dir: sfprov::project::discover_from_cwd().root().map(Into::into),
            ..ConnectOptions::from_environment(env)?
        },
    ))
}

fn info(s: &Streams, a: OrgInfoArgs) -> Result<Outcome, Error> {
    let env = Environment::from_process();
    // `--target-org local`: the emulator starts here and `_local` holds it
    // until the org's queries are done.
    let result = target_options(&a.target, &env).and_then(|(target, connect)| {
        let target = org::resolve_target(&target, &env)?;
        let (org, _local) = org::local::connect_target(&target, &connect)?;
        org::gather_info(&org)
    });
    match result {
        Ok(info) => {
            s.out(&if a.json {
                render::json(&info)
            } else {
                render::human(&info)
            })?;
            Ok(Outcome::Success)
        }
        Err(e) => {
            if a.json {
                s.out(&json_error(&e))?;
            }
            Err(Box::new(Reported(human_error(&e))))
        }
    }
}

/// `error: ...` then `hint: ...`, the shape every sfprov error has;
/// scrubbed by `to_diagnostic`.
pub fn human_error(e: &OrgError) -> String {
    e.to_diagnostic().to_string()
}

fn json_error(e: &OrgError) -> String {
    let d = e.to_diagnostic();
    let doc = serde_json::json!({
        "format_version": render::FORMAT_VERSION,
        "error": { "message": d.message, "hint": d.hints.first() },
    });
    format!("{doc:#}\n")
}

/// sfprov's own `log` records to stderr, scrubbed: warnings always (unless
/// `-q`), request logs (`debug`) with `-v`.
fn init_log(verbose: bool, quiet: bool) {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, m: &log::Metadata) -> bool {
            m.target().starts_with("sfprov") && m.level() <= log::max_level()
        }
        fn log(&self, r: &log::Record) {
            if self.enabled(r.metadata()) {
                let label = match r.level() {
                    log::Level::Error => "error",
                    log::Level::Warn => "warning",
                    _ => "debug",
                };
                let text = sfprov::secret::scrub(&r.args().to_string());
                eprintln!("{label}: {text}");
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(if quiet {
            log::LevelFilter::Off
        } else if verbose {
            log::LevelFilter::Debug
        } else {
            log::LevelFilter::Warn
        });
    }
}
