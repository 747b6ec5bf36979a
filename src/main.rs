//! sfprov binary: choose the view, parse the command line, set up logging and
//! the Ctrl-C handler, run, show a failure through the one diagnostics
//! renderer, map the outcome to an exit code. Everything else is in the
//! library (`sfprov::*`) and in `run.rs`.

mod cli;
mod run;

use std::process::ExitCode;

use clap::Parser;

/// How a command ended; the one place exit codes are decided (README lists them).
pub enum Outcome {
    /// 0: success, or nothing to change.
    Success,
    /// 1: an error, or `fmt --check` found files to format.
    Failure,
    /// 2: changes present (`--detailed-exitcode`), as Terraform's plan.
    Changes,
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The view first: under --json even a usage error is a JSON document.
    let json = run::report::wants_json(&args);
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        // Usage errors exit 1 like every other error: 2 is reserved for
        // "changes present" (Terraform's --detailed-exitcode).
        Err(e) if !e.use_stderr() => {
            let _ = e.print(); // --help, --version
            return ExitCode::SUCCESS;
        }
        Err(e)
            if !json
                && e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            let _ = e.print();
            return ExitCode::from(1);
        }
        Err(e) => {
            let failure = run::Failure::from(run::report::usage_diagnostic(&e, &args));
            run::report::show(&failure, json, run::report::stderr_style(false));
            return ExitCode::from(1);
        }
    };
    let style = run::report::stderr_style(cli.verbose);
    run::logging::init(cli.verbose, cli.quiet, style);
    run::signals::install(style);
    match run::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Ok(Outcome::Changes) => ExitCode::from(2),
        // `sfprov fmt --check . | head -1` must not fail with "Broken pipe".
        Err(f) if f.broken_pipe => ExitCode::SUCCESS,
        Err(f) => {
            run::report::show(&f, json, style);
            // A deploy canceled by Ctrl-C ends as a shell reports the signal.
            ExitCode::from(run::signals::exit_code().unwrap_or(1))
        }
    }
}
