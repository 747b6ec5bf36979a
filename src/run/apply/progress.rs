//! The human view of apply's progress on stderr: a spinner per step on a
//! terminal (a bar with components deployed/total while a deploy is
//! polled), plain lines otherwise, nothing under `-q`.
//! Does not: decide anything; it draws `ApplyObserver` calls.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sfprov::apply::{ApplyObserver, RecordAction, Status, Step};

pub struct Human {
    quiet: bool,
    terminal: bool,
    bar: Option<ProgressBar>,
}

impl Human {
    pub fn new(quiet: bool) -> Self {
        use std::io::IsTerminal;
        Human {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        match &self.bar {
            Some(b) if self.terminal => b.println(text),
            _ => eprintln!("{text}"),
        }
    }
}

fn record_line(action: RecordAction, sobject: &str, name: &str) -> String {
    let what = match action {
        RecordAction::Created => "created",
        RecordAction::Updated => "updated",
        RecordAction::Deleted => "removed",
        RecordAction::Existing => "already there",
        RecordAction::PasswordReset => "password reset requested (Salesforce emails the user)",
    };
    format!("    {sobject} {name}: {what}")
}

impl ApplyObserver for Human {
    fn step_started(&mut self, step: Step) {
        if self.quiet || !self.terminal {
            return;
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(format!("{}...", step.title()));
        bar.enable_steady_tick(Duration::from_millis(100));
        self.bar = Some(bar);
    }

    fn deploy_progress(&mut self, step: Step, deployed: u64, total: u64, status: &str) {
        let Some(bar) = &self.bar else { return };
        if total > 0 {
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} components")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_length(total);
            bar.set_position(deployed);
        }
        bar.set_message(format!("{} ({status})", step.title()));
    }

    fn step_finished(&mut self, step: Step, status: Status, summary: &str) {
        let mark = match status {
            Status::Done => "ok",
            Status::Unchanged => "--",
            Status::Failed => "FAILED",
        };
        let text = format!("[{mark}] {}: {summary}", step.title());
        match self.bar.take() {
            Some(b) => {
                b.finish_and_clear();
                if !self.quiet {
                    eprintln!("{text}");
                }
            }
            None => self.line(&text),
        }
    }

    fn record(&mut self, _step: Step, action: RecordAction, sobject: &str, name: &str) {
        self.line(&record_line(action, sobject, name));
    }

    fn manual_step(&mut self, title: &str, where_in_setup: &str) {
        self.line(&format!(
            "    manual step: {title}\n      where: {where_in_setup}"
        ));
    }
}

impl Drop for Human {
    fn drop(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}
