//! The `log` sink for every command: sfprov's own records (the library's
//! crates: `sfprov`, `sfprov_*`) to stderr, scrubbed (`secret::scrub`):
//! warnings always, `info`/`debug` lines (requests with method, path, status
//! and milliseconds; retries; polls; files written) with `-v`, only errors
//! with `-q`. Other crates' records (reqwest, hyper) are left out.

use sfprov::render::diagnostic::Style;

struct Stderr {
    color: bool,
}

impl log::Log for Stderr {
    fn enabled(&self, m: &log::Metadata) -> bool {
        m.target().starts_with("sfprov") && m.level() <= log::max_level()
    }

    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let (label, code) = match r.level() {
            log::Level::Error => ("error", "1;31"),
            log::Level::Warn => ("warning", "1;33"),
            log::Level::Info => ("info", "1;32"),
            log::Level::Debug | log::Level::Trace => ("debug", "2"),
        };
        let label = if self.color {
            format!("\x1b[{code}m{label}:\x1b[0m")
        } else {
            format!("{label}:")
        };
        let text = sfprov::secret::scrub(&r.args().to_string());
        eprintln!("{label} {text}");
    }

    fn flush(&self) {}
}

/// Installs the sink once, at the level `-v` / `-q` ask for.
pub fn init(verbose: bool, quiet: bool, style: Style) {
    let logger = Box::leak(Box::new(Stderr { color: style.color }));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(if quiet {
            log::LevelFilter::Error
        } else if verbose {
            log::LevelFilter::Debug
        } else {
            log::LevelFilter::Warn
        });
    }
}
