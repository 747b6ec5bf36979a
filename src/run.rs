//! Command dispatch: clap arguments -> library options -> library call ->
//! rendered output. Streams: stdout carries the product (file lists, template
//! list), stderr carries progress, warnings and errors.

use std::io::Write;

use sfprov::diag::Diagnostic;
use sfprov::render::diagnostic::{self, Style};
use sfprov::{fmt, generate, project, render, spec, templates};

mod apply;
mod audit;
mod diff;
pub mod logging;
mod org;
mod plan;
pub mod report;
mod requirements;
mod rollback;
pub mod signals;

use crate::cli::{
    Cli, Command, EmulatorCommand, FmtArgs, FormatArg, GenerateArgs, InitArgs, NoOrgArgs,
    ResetArgs, ServeArgs, TemplatesCommand,
};
use crate::Outcome;
pub use report::Failure;

/// What every command returns on failure: diagnostics for the renderer.
pub type Error = Failure;

struct Streams {
    verbose: bool,
    quiet: bool,
    /// How stderr is drawn (colour on a terminal, notes with `-v`).
    style: Style,
}

impl Streams {
    /// The product, on stdout; a closed stdout ends the command quietly.
    fn out(&self, text: &str) -> Result<(), Error> {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::BrokenPipe {
                    Failure::broken_pipe()
                } else {
                    Failure::from(e)
                }
            })
    }
    fn err(&self, text: &str) {
        if !self.quiet && !text.is_empty() {
            eprint!("{text}");
            if !text.ends_with('\n') {
                eprintln!();
            }
        }
    }
    /// Warnings and (with `-v`) notes that do not stop the command.
    fn diagnostics(&self, diags: &[Diagnostic]) {
        self.err(&diagnostic::human(diags, self.style));
    }
}

pub fn run(cli: Cli) -> Result<Outcome, Error> {
    let s = Streams {
        verbose: cli.verbose,
        quiet: cli.quiet,
        style: report::stderr_style(cli.verbose),
    };
    match cli.command {
        Command::Templates(a) => match a.command {
            None => templates_list(&s),
            Some(TemplatesCommand::Show { name }) => templates_show(&s, &name),
        },
        Command::Init(a) => init(&s, a),
        Command::Generate(a) => generate(&s, a),
        Command::Fmt(a) => fmt(&s, a),
        Command::Diff(a) => diff::run(&s, a),
        Command::Plan(a) => plan::run(&s, a),
        Command::Audit(a) => audit::run(&s, a),
        Command::Show(a) => plan::show(&s, a),
        Command::Apply(a) => apply::run(&s, a),
        Command::Rollback(a) => rollback::run(&s, a),
        Command::Report(a) => requirements::run(&s, a),
        Command::Org(c) => org::run(&s, c),
        Command::Emulator(EmulatorCommand::Serve(a)) => emulator_serve(&s, a),
        Command::Emulator(EmulatorCommand::Reset(a)) => emulator_reset(&s, a),
    }
}

/// `sfprov emulator serve`: the ready line is the product (stdout); the rest
/// goes to stderr. Returns after Ctrl-C or SIGTERM (the binary's handler
/// sends on the stop channel), once the server has stopped.
/// The seed of `--scenario NAME`, or an error listing the scenarios.
fn scenario_seed(name: &str) -> Result<sfprov::emulator::Seed, Error> {
    let Some(sc) = sfprov::scenarios::get(name) else {
        let names: Vec<&str> = sfprov::scenarios::ALL.iter().map(|s| s.name).collect();
        return Err(Diagnostic::error(format!("unknown scenario `{name}`"))
            .hint(format!("the scenarios are: {}", names.join(", ")))
            .into());
    };
    sc.seed().map_err(|e| {
        Diagnostic::error(format!("cannot build scenario `{name}`: {e}"))
            .hint("this is a bug in sfprov; report it with this message")
            .into()
    })
}

/// `sfprov emulator reset`: the project's local org, fresh or from a scenario.
fn emulator_reset(s: &Streams, a: ResetArgs) -> Result<Outcome, Error> {
    // The directory `--target-org local` uses: the project root, else here.
    let dir = sfprov::project::discover_from_cwd()
        .root()
        .map_or_else(|| std::path::PathBuf::from("."), |p| p.to_path_buf());
    let mut config = sfprov::emulator::Config::local(&dir);
    config.fresh = true;
    if let Some(name) = &a.scenario {
        config.seed = scenario_seed(name)?;
    }
    drop(sfprov::emulator::spawn(config)?);
    let what = match &a.scenario {
        Some(n) => format!("scenario `{n}`"),
        None => "a fresh org".into(),
    };
    s.err(&format!(
        "the local org in {} now starts from {what}; use it with `--target-org local`",
        dir.join(sfprov::emulator::LOCAL_ORG_DIR).display()
    ));
    Ok(Outcome::Success)
}

fn emulator_serve(s: &Streams, a: ServeArgs) -> Result<Outcome, Error> {
    let seed = a.scenario.as_deref().map(scenario_seed).transpose()?;
    // A saved org wins over a seed: a scenario would be silently ignored.
    if let (Some(name), Some(dir)) = (&a.scenario, &a.state) {
        if dir.join("state.json").exists() {
            return Err(Diagnostic::error(format!(
                "`--state {}` already holds an org; `--scenario {name}` starts a new one",
                dir.display()
            ))
            .hint("serve it without --scenario, or pick an empty --state directory (`sfprov emulator reset --scenario NAME` replaces the project's local org)")
            .into());
        }
    }
    let opts = sfprov::emulator::ServeOptions {
        port: a.port,
        state_dir: a.state,
        seed_file: a.seed,
        seed,
        faults_file: a.faults,
        tls: a.tls_cert.zip(a.tls_key),
        jwt_cert: a.jwt_cert,
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
        Some(signals::stop_channel()),
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

/// `sfprov templates show NAME`: the embedded TOML, as is, on stdout.
fn templates_show(s: &Streams, name: &str) -> Result<Outcome, Error> {
    let t = templates::get(name).ok_or_else(|| unknown_template(name))?;
    s.out(t.text)?;
    Ok(Outcome::Success)
}

fn unknown_template(name: &str) -> Error {
    let names: Vec<&str> = templates::all().iter().map(|t| t.name).collect();
    let mut d = Diagnostic::error(format!("unknown template `{name}`"));
    if let Some(s) = sfprov::catalog::suggest(name, names.iter().copied()).first() {
        d = d.hint(format!("did you mean `{s}`?"));
    }
    d.hint(format!(
        "`sfprov templates` lists them: {}",
        names.join(", ")
    ))
    .into()
}

/// `-o` on a command without an org: a usage error, never an output path.
fn refuse_org(command: &str, a: &NoOrgArgs, output_hint: &str) -> Result<(), Error> {
    match &a.target_org {
        None => Ok(()),
        Some(name) => {
            let name = if name.is_empty() { "DIR" } else { name };
            Err(Diagnostic::error(format!(
                "`sfprov {command}` uses no org, and `-o` is `--target-org` in every sfprov command, as in sf"
            ))
            .hint(output_hint.replace("{}", name))
            .into())
        }
    }
}

fn init(s: &Streams, a: InitArgs) -> Result<Outcome, Error> {
    refuse_org(
        "init",
        &a.no_org,
        "to write the spec in directory `{}`, use `-d {}`; to name the file, `--spec {}`",
    )?;
    let t = templates::get(&a.template).ok_or_else(|| unknown_template(&a.template))?;
    // Explicit --spec or -d wins; else the project root found upward; else here.
    let path = match (&a.spec, &a.output_dir) {
        (Some(file), _) => file.clone(),
        (None, Some(dir)) => dir.join(project::SPEC_FILE),
        (None, None) => {
            let found = project::discover_from_cwd();
            project::join(
                found.root().unwrap_or(std::path::Path::new(".")),
                project::SPEC_FILE,
            )
        }
    };
    if path.exists() && !a.force {
        return Err(
            Diagnostic::error(format!("`{}` already exists", path.display()))
                .hint(format!(
                    "edit it, or run `sfprov init --template {} --spec {} --force` to replace it",
                    t.name,
                    path.display()
                ))
                .into(),
        );
    }
    sfprov::fsutil::write_atomic(&path, templates::starter_spec(t).as_bytes())?;
    s.out(&format!("created {}\n", path.display()))?;
    // Plain `sfprov generate` when it would find this file by itself.
    let generate = if project::discover_from_cwd().spec().as_deref() == Some(path.as_path()) {
        "sfprov generate".to_string()
    } else {
        format!("sfprov generate --spec {}", path.display())
    };
    s.err(&format!(
        "next: set [user] username and email in {}, then run `{generate}`",
        path.display()
    ));
    Ok(Outcome::Success)
}

/// Where generate reads and writes: explicit `--spec` / `-d` win; otherwise
/// the nearest `sfprov.toml` and the project root found upward (README,
/// "Projects"); otherwise the current directory.
struct GeneratePaths {
    spec: std::path::PathBuf,
    out: std::path::PathBuf,
}

fn generate_paths(a: &GenerateArgs) -> GeneratePaths {
    let found = if a.spec.is_none() || a.output_dir.is_none() {
        project::discover_from_cwd()
    } else {
        project::Found::default()
    };
    GeneratePaths {
        spec: a
            .spec
            .clone()
            .or_else(|| found.spec())
            .unwrap_or_else(|| project::SPEC_FILE.into()),
        out: a
            .output_dir
            .clone()
            .or_else(|| found.root().map(std::path::Path::to_path_buf))
            .unwrap_or_else(|| ".".into()),
    }
}

fn load_spec(
    s: &Streams,
    a: &GenerateArgs,
    spec_path: &std::path::Path,
) -> Result<spec::Loaded, Error> {
    let loaded = match &a.template {
        Some(t) => {
            templates::get(t).ok_or_else(|| unknown_template(t))?;
            spec::load_template(t)
        }
        None => {
            if !spec_path.exists() {
                let looked = if a.spec.is_none() {
                    " (looked here and in every directory above)"
                } else {
                    ""
                };
                return Err(Diagnostic::error(format!(
                    "no spec at `{}`{looked}",
                    spec_path.display()
                ))
                .hint("create one with `sfprov init --template zendesk` (see `sfprov templates`), or generate straight from a template with `sfprov generate --template zendesk`")
                .into());
            }
            spec::load_file(spec_path)
        }
    };
    match loaded {
        Ok(mut l) => {
            sort_by_severity(&mut l.diagnostics);
            s.diagnostics(&l.diagnostics);
            Ok(l)
        }
        Err(e) => Err(spec_failure(e, "nothing was written", None)),
    }
}

/// Errors first, then warnings, then notes, each kind in the order found.
fn sort_by_severity(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| d.severity);
}

/// A spec that did not load: every diagnostic of it (errors first), then
/// `the spec has N errors; {consequence}`.
fn spec_failure(e: spec::SpecError, consequence: &str, hint: Option<String>) -> Failure {
    let spec::SpecError::Invalid(d) = e else {
        return e.into();
    };
    let errors = d.errors().count();
    let mut all = d.0;
    sort_by_severity(&mut all);
    Failure::from(sfprov::diag::Diagnostics(all)).concluded(
        Diagnostic::error(format!(
            "the spec has {} error{}; {consequence}",
            spec::thousands(errors),
            if errors == 1 { "" } else { "s" }
        ))
        .hint_opt(hint),
    )
}

fn generate(s: &Streams, a: GenerateArgs) -> Result<Outcome, Error> {
    refuse_org(
        "generate",
        &a.no_org,
        "to write into directory `{}`, use `-d {}` (`--output-dir {}`)",
    )?;
    let paths = generate_paths(&a);
    let loaded = load_spec(s, &a, &paths.spec)?;
    let format = match a.format {
        FormatArg::Source => generate::Format::Source,
        FormatArg::Mdapi => generate::Format::Mdapi,
    };
    let d = &loaded.desired;
    let mut files = generate::render(d, format);
    if format == generate::Format::Source {
        // An sf project at the output directory decides where files go.
        let sfdx = project::read_sfdx_project(&paths.out).map_err(|mut e| {
            e.message.push_str("; nothing was written");
            e
        })?;
        if let Some(p) = sfdx {
            project::place_in_package_dir(&mut files, &p.package_dir);
            if let Some(w) = project::api_version_warning(&p, &d.api_version) {
                s.err(&w.to_string());
            }
        }
    }
    let out = &paths.out;
    if a.check {
        let plan = generate::plan_tree(out, &files, format, &d.api_version)?;
        let (stdout, stderr) = generate::check::render(&plan.report, out);
        s.out(&stdout)?;
        s.err(&stderr);
        return Ok(if plan.report.up_to_date() {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    }
    let report = generate::write_tree(out, &files, format, &d.api_version)?;
    s.out(&render::written_files(&report, out, s.verbose))?;
    if !d.app_policies.is_empty() && !s.verbose {
        let names: Vec<&str> = d.app_policies.keys().map(String::as_str).collect();
        s.err(&format!(
            "connected app {}: the app already exists in the org, so no file is written; `sfprov plan` shows its policy as a manual step (Setup > Apps > Connected Apps > Manage Connected Apps)",
            names.join(", ")
        ));
    }
    // Page wildcards need an org's page list: say so (minimal edit, plan2).
    for (kind, name, ns) in d.page_namespaces() {
        s.err(&format!(
            "note: {kind} {name}: the pages of namespace `{ns}` are not written: generate has no org to list them from; `sfprov plan -o ORG` resolves them (or name each page in the spec)"
        ));
    }
    s.err(&render::generate_summary(
        &report,
        &out.display().to_string(),
    ));
    Ok(Outcome::Success)
}

fn fmt(s: &Streams, a: FmtArgs) -> Result<Outcome, Error> {
    let results = fmt::run(&fmt::Options {
        paths: a.paths,
        check: a.check,
    })?;
    let (out, err) = render::fmt_results(&results, a.check, s.style);
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
