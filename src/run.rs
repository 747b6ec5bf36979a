//! Command dispatch: clap arguments -> library options -> library call ->
//! rendered output. Streams: stdout carries the product (file lists, template
//! list), stderr carries progress, warnings and errors.

use std::io::Write;

use sfprov::{fmt, generate, render, spec, templates};

mod diff;
mod org;
mod plan;

use crate::cli::{
    Cli, Command, EmulatorCommand, FmtArgs, FormatArg, GenerateArgs, InitArgs, ServeArgs,
};
use crate::Outcome;

pub type Error = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A message already rendered for the user (diagnostics with hints).
#[derive(Debug)]
struct Reported(String);

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Reported {}

struct Streams {
    verbose: bool,
    quiet: bool,
}

impl Streams {
    fn out(&self, text: &str) -> Result<(), Error> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    }
    fn err(&self, text: &str) {
        if !self.quiet && !text.is_empty() {
            eprint!("{text}");
            if !text.ends_with('\n') {
                eprintln!();
            }
        }
    }
}

/// The text to print for an error: already-rendered reports as they are,
/// anything else as an error chain.
pub fn render_error(e: &Error) -> String {
    match e.downcast_ref::<Reported>() {
        Some(r) => r.0.clone(),
        None => render::error_chain(e.as_ref()),
    }
}

pub fn run(cli: Cli) -> Result<Outcome, Error> {
    let s = Streams {
        verbose: cli.verbose,
        quiet: cli.quiet,
    };
    match cli.command {
        Command::Templates => templates_list(&s),
        Command::Init(a) => init(&s, a),
        Command::Generate(a) => generate(&s, a),
        Command::Fmt(a) => fmt(&s, a),
        Command::Diff(a) => diff::run(&s, a),
        Command::Plan(a) => plan::run(&s, a),
        Command::Show(a) => plan::show(&s, a),
        Command::Org(c) => org::run(&s, c),
        Command::Emulator(EmulatorCommand::Serve(a)) => emulator_serve(&s, a),
    }
}

/// `sfprov emulator serve`: the ready line is the product (stdout); the rest
/// goes to stderr. Returns after Ctrl-C, once the server has stopped.
fn emulator_serve(s: &Streams, a: ServeArgs) -> Result<Outcome, Error> {
    let opts = sfprov::emulator::ServeOptions {
        port: a.port,
        state_dir: a.state,
        seed_file: a.seed,
        faults_file: a.faults,
    };
    let mut printed: Result<(), Error> = Ok(());
    sfprov::emulator::serve(
        opts,
        |ready| {
            printed = s.out(&format!("{}\n", ready.to_json_line()));
            s.err(&format!(
                "emulated org {} listening on {}; Ctrl-C to stop",
                ready.org_id, ready.instance_url
            ));
        },
        None,
    )?;
    printed?;
    Ok(Outcome::Success)
}

fn templates_list(s: &Streams) -> Result<Outcome, Error> {
    let width = templates::all()
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(0);
    let mut text = String::new();
    for t in templates::all() {
        text.push_str(&format!("{:width$}  {}\n", t.name, t.description()));
    }
    s.out(&text)?;
    s.err("start from one with: sfprov init --template NAME");
    Ok(Outcome::Success)
}

fn unknown_template(name: &str) -> Error {
    let names: Vec<&str> = templates::all().iter().map(|t| t.name).collect();
    let mut msg = format!("error: unknown template `{name}`");
    if let Some(s) = sfprov::catalog::suggest(name, names.iter().copied()).first() {
        msg.push_str(&format!("\nhint: did you mean `{s}`?"));
    }
    msg.push_str(&format!(
        "\nhint: `sfprov templates` lists them: {}",
        names.join(", ")
    ));
    Box::new(Reported(msg))
}

fn init(s: &Streams, a: InitArgs) -> Result<Outcome, Error> {
    let t = templates::get(&a.template).ok_or_else(|| unknown_template(&a.template))?;
    if a.out.exists() && !a.force {
        return Err(Box::new(Reported(format!(
            "error: `{}` already exists\nhint: edit it, or run `sfprov init --template {} --out {} --force` to replace it",
            a.out.display(),
            t.name,
            a.out.display()
        ))));
    }
    sfprov::fsutil::write_atomic(&a.out, templates::starter_spec(t).as_bytes())?;
    s.out(&format!("created {}\n", a.out.display()))?;
    s.err(&format!(
        "next: set [user] username and email in {}, then run `sfprov generate --spec {}`",
        a.out.display(),
        a.out.display()
    ));
    Ok(Outcome::Success)
}

fn load_spec(s: &Streams, a: &GenerateArgs) -> Result<spec::Loaded, Error> {
    let loaded = match &a.template {
        Some(t) => {
            templates::get(t).ok_or_else(|| unknown_template(t))?;
            spec::load_template(t)
        }
        None => {
            if !a.spec.exists() {
                return Err(Box::new(Reported(format!(
                    "error: no spec at `{}`\nhint: create one with `sfprov init --template zendesk` (see `sfprov templates`), or generate straight from a template with `sfprov generate --template zendesk`",
                    a.spec.display()
                ))));
            }
            spec::load_file(&a.spec)
        }
    };
    match loaded {
        Ok(l) => {
            s.err(&render::diagnostics(&l.diagnostics, s.verbose));
            Ok(l)
        }
        Err(spec::SpecError::Invalid(d)) => {
            let errors = d.errors().count();
            let mut text = render::diagnostics(&d.0, s.verbose);
            text.push_str(&format!(
                "error: the spec has {errors} error{}; nothing was written",
                if errors == 1 { "" } else { "s" }
            ));
            Err(Box::new(Reported(text)))
        }
        Err(e) => Err(Box::new(e)),
    }
}

fn generate(s: &Streams, a: GenerateArgs) -> Result<Outcome, Error> {
    let loaded = load_spec(s, &a)?;
    let format = match a.format {
        FormatArg::Source => generate::Format::Source,
        FormatArg::Mdapi => generate::Format::Mdapi,
    };
    let d = &loaded.desired;
    let files = generate::render(d, format);
    let report = generate::write_tree(&a.out, &files, format, &d.api_version)?;
    s.out(&render::written_files(&report, &a.out, s.verbose))?;
    if !d.app_policies.is_empty() && !s.verbose {
        let names: Vec<&str> = d.app_policies.keys().map(String::as_str).collect();
        s.err(&format!(
            "connected app {}: the app already exists in the org, so no file is written; its policy is set on the org's app by plan/apply (until those land, set it in Setup > Connected Apps)",
            names.join(", ")
        ));
    }
    s.err(&render::generate_summary(
        &report,
        &a.out.display().to_string(),
    ));
    Ok(Outcome::Success)
}

fn fmt(s: &Streams, a: FmtArgs) -> Result<Outcome, Error> {
    let results = fmt::run(&fmt::Options {
        paths: a.paths,
        check: a.check,
    })?;
    let (out, err) = render::fmt_results(&results, a.check);
    s.out(&out)?;
    s.err(&err);
    let failed = results
        .iter()
        .any(|r| matches!(r.status, fmt::Status::Failed(_)));
    let unformatted = results.iter().any(|r| r.status == fmt::Status::WouldFormat);
    Ok(if failed || unformatted {
        Outcome::Failure
    } else {
        Outcome::Success
    })
}
