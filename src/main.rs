//! sfprov binary: parse the command line, run, map the outcome to an exit code.
//! Everything else is in the library (`sfprov::*`) and in `run.rs`.

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
    // Usage errors exit 1 like every other error: 2 is reserved for
    // "changes present" (Terraform's --detailed-exitcode), which CI scripts test.
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS // --help, --version
            };
        }
    };
    match run::run(cli) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Ok(Outcome::Changes) => ExitCode::from(2),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", run::render_error(&e));
            ExitCode::from(1)
        }
    }
}

/// `sfprov fmt --check . | head -1` must not fail with "Broken pipe".
fn is_broken_pipe(e: &run::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e.as_ref());
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::BrokenPipe {
                return true;
            }
        }
        cur = err.source();
    }
    false
}
