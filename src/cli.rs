//! Command-line definitions (clap). Only `main.rs` and `run.rs` see these types;
//! the library takes its own option types.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Provision the Salesforce user a third-party integration connects as.
#[derive(Debug, Parser)]
#[command(name = "sfprov", version, about, long_about = None)]
pub struct Cli {
    /// Show more: notes, unchanged files, and each request sent to an org.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    /// Print only errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the built-in integration templates (`templates show NAME` prints one).
    Templates(TemplatesArgs),
    /// Write a starter sfprov.toml from a template.
    Init(InitArgs),
    /// Write the integration's metadata (profiles, permission sets, apps, settings).
    Generate(GenerateArgs),
    /// Rewrite metadata files in canonical form (what a retrieve writes).
    Fmt(FmtArgs),
    /// Permission-level diff of two metadata files or trees (either format);
    /// also git's external diff (the 7-argument form).
    Diff(DiffArgs),
    /// Retrieve what the org has and show what applying the spec would change, and why.
    Plan(PlanArgs),
    /// Show a plan saved with `sfprov plan --out FILE`, as plan printed it.
    Show(ShowArgs),
    /// Plan, confirm, then provision: deploy the metadata, create the user,
    /// assign, verify. With PLANFILE, apply exactly that saved plan.
    Apply(ApplyArgs),
    /// Return an org's metadata to a snapshot apply took (default: the
    /// newest for the org); with --remove-user, also the user and assignments.
    Rollback(RollbackArgs),
    /// What an existing integration user can do beyond what its vendor
    /// needs, what it lacks, and how it is set up; `--fix` writes the
    /// least-privilege spec. Exit 2 when anything is found.
    Audit(AuditArgs),
    /// For each vendor requirement, the metadata that meets it and (with an
    /// org) whether the org meets it: Markdown, HTML or JSON, for a review.
    Report(ReportArgs),
    /// Look at an org: `sfprov org info` shows what to check before provisioning.
    #[command(subcommand)]
    Org(OrgCommand),
    /// The local org emulator (Salesforce's OAuth, Metadata API and REST on loopback).
    #[command(subcommand)]
    Emulator(EmulatorCommand),
}

#[derive(Debug, Args)]
pub struct TemplatesArgs {
    #[command(subcommand)]
    pub command: Option<TemplatesCommand>,
}

#[derive(Debug, Subcommand)]
pub enum TemplatesCommand {
    /// Print a built-in template's TOML (what `template = "NAME"` starts from).
    Show {
        /// The template (see `sfprov templates`).
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Org id, instance, user, API version, edition, license seats, PushTopics.
    Info(OrgInfoArgs),
}

#[derive(Debug, Args)]
pub struct OrgInfoArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print one JSON document (with `format_version`) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Which org, and how to log in (the same flags as `sf` where it has them).
/// Without any: SF_TARGET_ORG, then sf's configured `target-org`.
#[derive(Debug, Clone, Args)]
pub struct TargetArgs {
    /// An sf CLI alias or username, or `local` for the built-in org emulator.
    #[arg(long, short = 'o', value_name = "NAME")]
    pub target_org: Option<String>,
    #[command(flatten)]
    pub login: LoginArgs,
}

/// How to log in, for every org a command names.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// The org's URL: with SF_ACCESS_TOKEN set, or the JWT login host.
    #[arg(long, value_name = "URL")]
    pub instance_url: Option<String>,
    /// JWT bearer: the connected app's consumer key.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// JWT bearer: the PEM private key whose certificate is on the app.
    #[arg(long, value_name = "FILE")]
    pub jwt_key_file: Option<PathBuf>,
    /// JWT bearer: the user to log in as.
    #[arg(long, value_name = "USER")]
    pub username: Option<String>,
    /// Metadata API version (default: the org's newest; 40.0 or newer).
    #[arg(long, value_name = "VERSION")]
    pub api_version: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EmulatorCommand {
    /// Serve an emulated org on 127.0.0.1 until Ctrl-C; prints one JSON line
    /// {"instance_url", "access_token", "org_id", "username"} once listening.
    Serve(ServeArgs),
    /// Start the project's local org (`--target-org local`, kept in
    /// .sfprov/local-org/) over from a fresh org, or from a named scenario.
    Reset(ResetArgs),
}

#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Start from this scenario (`audit`: integration users set up by hand,
    /// for `sfprov audit`) instead of the fresh default org.
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (default: any free port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Keep the org in this directory across runs (atomic writes).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Start from this seed (JSON, the shape of crates/emulator/src/seed.json).
    #[arg(long, conflicts_with = "scenario")]
    pub seed: Option<PathBuf>,
    /// Start from a named scenario (`audit`: integration users set up by
    /// hand, for `sfprov audit`).
    #[arg(long, value_name = "NAME")]
    pub scenario: Option<String>,
    /// Fault-injection rules (JSON array).
    #[arg(long)]
    pub faults: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate (needs --tls-key); clients trust
    /// it through NODE_EXTRA_CA_CERTS or REQUESTS_CA_BUNDLE.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Register this certificate (PEM) on the org's connected app, so JWT
    /// bearer logins (`sf org login jwt`, `sfprov --jwt-key-file`) signed with
    /// its private key succeed.
    #[arg(long, value_name = "PEM")]
    pub jwt_cert: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Template to start from (see `sfprov templates`).
    #[arg(long, short)]
    pub template: String,
    /// The spec file to write (default: sfprov.toml in the project root, else here).
    #[arg(
        long,
        short,
        value_name = "FILE",
        alias = "out",
        conflicts_with = "output_dir"
    )]
    pub spec: Option<PathBuf>,
    /// Directory to write sfprov.toml in.
    #[arg(long, short = 'd', value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub no_org: NoOrgArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The spec to generate from (default: the nearest sfprov.toml here or above).
    #[arg(long, short, value_name = "FILE", conflicts_with = "template")]
    pub spec: Option<PathBuf>,
    /// Generate straight from a built-in template, without a spec file.
    #[arg(long, short)]
    pub template: Option<String>,
    /// Output directory (default: the project root: the nearest directory here or
    /// above with sfdx-project.json, else with sfprov.toml, else here).
    #[arg(long, short = 'd', value_name = "DIR", alias = "out")]
    pub output_dir: Option<PathBuf>,
    /// File layout.
    #[arg(long, short, value_enum, default_value_t = FormatArg::Source)]
    pub format: FormatArg,
    /// Write nothing; list files that would be created or updated and exit 1
    /// if any (CI: committed files match the spec).
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub no_org: NoOrgArgs,
}

/// `-o`/`--target-org` on a command that uses no org: accepted by the parser
/// only to refuse it with a hint, since `-o` is the org in every sfprov and sf
/// command (it never names an output; that is `-d`).
#[derive(Debug, Args)]
pub struct NoOrgArgs {
    #[arg(
        long,
        short = 'o',
        value_name = "NAME",
        hide = true,
        num_args = 0..=1,
        default_missing_value = ""
    )]
    pub target_org: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// force-app/main/default/... (sf project source format)
    Source,
    /// package.xml + profiles/X.profile ... (Metadata API format)
    Mdapi,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Write nothing; list files that are not canonical and exit 1 if any.
    #[arg(long)]
    pub check: bool,
    /// Files or directories (directories: every metadata file below them).
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// OLD NEW: two files or two directories (source or Metadata API format;
    /// `/dev/null` for a side that does not exist). Git's external-diff forms
    /// (`path old-file old-hex old-mode new-file new-hex new-mode`, plus the
    /// rename form) are accepted as they come.
    #[arg(required = true, num_args = 2..=9, value_name = "OLD NEW")]
    pub paths: Vec<PathBuf>,
    /// Print one JSON document (with `format_version`) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Exit 2 when the sides differ, 0 when they do not, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The spec to plan (default: sfprov.toml).
    #[arg(long, short, value_name = "FILE", conflicts_with = "template")]
    pub spec: Option<PathBuf>,
    /// Plan straight from a built-in template, without a spec file.
    #[arg(long, short)]
    pub template: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Plan offline against a directory of retrieved metadata (source or
    /// mdapi format) instead of an org.
    #[arg(long, value_name = "DIR", conflicts_with = "target_org")]
    pub org_dir: Option<PathBuf>,
    /// Print one JSON document (with `format_version`) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Exit 2 when there are changes, 0 when there are none, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also list profile entries only the org has (a profile deploy leaves them).
    #[arg(long)]
    pub show_unmanaged: bool,
    /// Add a unified diff of each component: the org's XML against what will be deployed.
    #[arg(long)]
    pub diff: bool,
    /// Save the plan to FILE (for `sfprov show FILE`, and apply).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The user to audit (its Username).
    #[arg(long, value_name = "USERNAME")]
    pub user: String,
    /// Compare with this spec (default: the nearest sfprov.toml when its
    /// [user] is this user, else the built-in template that matches best).
    #[arg(long, short, value_name = "FILE", conflicts_with = "template")]
    pub spec: Option<PathBuf>,
    /// Compare with a built-in template.
    #[arg(long, short)]
    pub template: Option<String>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Print one JSON document (with `format_version`) instead of text.
    #[arg(long)]
    pub json: bool,
    /// List low-risk excess grants one by one too.
    #[arg(long)]
    pub all: bool,
    /// Write the least-privilege spec for this user to DIR/sfprov.toml.
    #[arg(long, requires = "output_dir")]
    pub fix: bool,
    /// Where --fix writes sfprov.toml.
    #[arg(long, short = 'd', value_name = "DIR", alias = "out", requires = "fix")]
    pub output_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file written by `sfprov plan --out FILE`.
    pub file: PathBuf,
    /// Print one JSON document (with `format_version`) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved with `sfprov plan --out FILE`: applied exactly, and
    /// refused when the org changed since it was made.
    #[arg(value_name = "PLANFILE")]
    pub plan_file: Option<PathBuf>,
    /// The spec to apply (default: the nearest sfprov.toml; with PLANFILE,
    /// the spec the plan was made from).
    #[arg(long, short, value_name = "FILE", conflicts_with = "template")]
    pub spec: Option<PathBuf>,
    /// Apply straight from a built-in template, without a spec file.
    #[arg(long, short)]
    pub template: Option<String>,
    #[command(flatten)]
    pub target: MultiTargetArgs,
    /// Apply without asking `yes` (needed without a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Print one JSON document (with `format_version`) at the end, nothing else.
    #[arg(long, conflicts_with = "json_stream")]
    pub json: bool,
    /// Print each progress event as a JSON line, then the final document.
    #[arg(long)]
    pub json_stream: bool,
    /// Have Salesforce reset the new user's password and email it (default:
    /// no email; the admin logs in as the user once, see the next steps).
    #[arg(long)]
    pub send_password_email: bool,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// A snapshot directory (`.sfprov/snapshots/ORG_ID/TIMESTAMP`; default:
    /// the newest for the org).
    #[arg(value_name = "SNAPSHOT_DIR")]
    pub snapshot_dir: Option<PathBuf>,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Roll back without asking `yes` (needed without a terminal).
    #[arg(long)]
    pub auto_approve: bool,
    /// Also deactivate the user apply created (never deleted) and delete the
    /// assignments apply added.
    #[arg(long)]
    pub remove_user: bool,
    /// Print one JSON document (with `format_version`) at the end, nothing else.
    #[arg(long)]
    pub json: bool,
}

/// `TargetArgs` whose `--target-org` may be repeated (apply to several orgs
/// at once); the login flags apply to each.
#[derive(Debug, Clone, Args)]
pub struct MultiTargetArgs {
    /// An sf CLI alias or username, or `local` for the built-in org emulator;
    /// repeat it to apply to several orgs concurrently.
    #[arg(long, short = 'o', value_name = "NAME")]
    pub target_org: Vec<String>,
    #[command(flatten)]
    pub login: LoginArgs,
}

impl MultiTargetArgs {
    /// The flags for one org (`None`: the default org).
    pub fn one(&self, org: Option<&str>) -> TargetArgs {
        TargetArgs {
            target_org: org.map(str::to_string),
            login: self.login.clone(),
        }
    }
}

/// The view of `sfprov report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// Markdown, for a pull request.
    Md,
    /// One self-contained HTML file (inline CSS, no scripts), for an auditor.
    Html,
    /// One JSON document (with `format_version`).
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The spec to report on (default: the nearest sfprov.toml).
    #[arg(long, short, value_name = "FILE", conflicts_with = "template")]
    pub spec: Option<PathBuf>,
    /// Report on a built-in template, without a spec file.
    #[arg(long, short)]
    pub template: Option<String>,
    /// The org to check (with `-o` or `--instance-url`); without one, every
    /// status is unknown and no org is contacted.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The view.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    pub format: ReportFormat,
    /// The same as `--format json`.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Write the report to FILE (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when an org is given and a requirement is not met, 0 when all
    /// are, 1 on error.
    #[arg(long)]
    pub detailed_exitcode: bool,
}
