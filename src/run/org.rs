//! `sfprov org ...`: target flags -> `org::TargetOptions` -> library call ->
//! rendered output. With `-v`, requests are logged to stderr (method, URL,
//! status, time; never headers or bodies). With `--json`, stdout is one JSON
//! document even on failure.

use sfprov::org::{self, info::render, ConnectOptions, Environment, OrgError, TargetOptions};

use super::{Error, Reported, Streams};
use crate::cli::{OrgCommand, OrgInfoArgs, TargetArgs};
use crate::Outcome;

pub fn run(s: &Streams, c: OrgCommand) -> Result<Outcome, Error> {
    if s.verbose {
        init_request_log();
    }
    match c {
        OrgCommand::Info(a) => info(s, a),
    }
}

/// The target flags as the library's options (no clap types cross over).
pub fn target_options(t: &TargetArgs) -> (TargetOptions, ConnectOptions) {
    (
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
            ..ConnectOptions::default()
        },
    )
}

fn info(s: &Streams, a: OrgInfoArgs) -> Result<Outcome, Error> {
    let (target, connect) = target_options(&a.target);
    match org::org_info(&target, &Environment::from_process(), &connect) {
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

/// `error: ...` then `hint: ...`, the shape every sfprov error has.
pub fn human_error(e: &OrgError) -> String {
    let mut text = format!("error: {e}");
    if let Some(h) = e.hint() {
        text.push_str(&format!("\nhint: {h}"));
    }
    text
}

fn json_error(e: &OrgError) -> String {
    let doc = serde_json::json!({
        "format_version": render::FORMAT_VERSION,
        "error": { "message": e.to_string(), "hint": e.hint() },
    });
    format!("{doc:#}\n")
}

/// `-v`: sfprov's own `log` records to stderr.
fn init_request_log() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, m: &log::Metadata) -> bool {
            m.target().starts_with("sfprov")
        }
        fn log(&self, r: &log::Record) {
            if self.enabled(r.metadata()) {
                eprintln!("debug: {}", r.args());
            }
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}
