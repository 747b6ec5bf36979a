//! `sfprov report` (the requirement report; `report.rs` beside this file is
//! how a command's failure is shown): flags -> spec (plan's loader) ->
//! optional org (plan's connector) -> `plan::build` -> `report::build` ->
//! Markdown, HTML or JSON on stdout, or atomically to `--out FILE`.
//! An org is used only when named (`-o` or `--instance-url`); without one
//! nothing is contacted and every status is unknown.

use std::time::{SystemTime, UNIX_EPOCH};

use sfprov::plan::{self, View};
use sfprov::report::{self, html, markdown};

use super::plan::{load_spec, open_org};
use super::{Error, Streams};
use crate::cli::{ReportArgs, ReportFormat};
use crate::Outcome;

pub fn run(s: &Streams, a: ReportArgs) -> Result<Outcome, Error> {
    let (name, text, loaded) = load_spec(s, a.spec.as_deref(), a.template.as_deref(), "report")?;
    let with_org = a.target.target_org.is_some() || a.target.login.instance_url.is_some();
    let plan = if with_org {
        // `_local` (the emulator of `--target-org local`) outlives `org`.
        let (org, _local) = open_org(&a.target, None)?;
        let opts = plan::Options {
            spec_name: name.clone(),
            spec_text: text,
            view: View::default(),
        };
        Some(plan::build(&loaded.desired, org.as_ref(), &opts)?)
    } else {
        None
    };
    let mut r = report::build(&loaded.desired, &name, plan.as_ref());
    if plan.is_some() {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        r.date = Some(report::utc_date(secs));
    }
    let format = if a.json { ReportFormat::Json } else { a.format };
    let out = match format {
        ReportFormat::Md => markdown::render(&r),
        ReportFormat::Html => html::render(&r),
        ReportFormat::Json => report::json(&r),
    };
    match &a.out {
        Some(path) => {
            sfprov::fsutil::write_atomic(path, out.as_bytes())?;
            s.err(&format!(
                "wrote the report to {}: {}",
                path.display(),
                report::summary_line(&r.summary)
            ));
        }
        None => s.out(&out)?,
    }
    Ok(
        if a.detailed_exitcode && r.org.is_some() && r.summary.not_met > 0 {
            Outcome::Changes
        } else {
            Outcome::Success
        },
    )
}
