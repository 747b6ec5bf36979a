//! `generate --check`: the CI gate that committed files match the spec.
//! Owns: rendering what writing the tree would change (stdout: one line per
//! file, as a normal run lists them; stderr: a summary and the next step).
//! Does not: plan the tree (`plan_tree`) or write anything.

use std::fmt::Write;
use std::path::Path;

use super::WriteReport;

/// (stdout, stderr) for a `--check` run; both empty when up to date.
pub fn render(r: &WriteReport, out_dir: &Path) -> (String, String) {
    if r.up_to_date() {
        return (String::new(), String::new());
    }
    let show = |p: &str| {
        if out_dir == Path::new(".") {
            p.to_string()
        } else {
            out_dir.join(p).display().to_string()
        }
    };
    let mut out = String::new();
    for p in &r.created {
        let _ = writeln!(out, "would create {}", show(p));
    }
    for p in &r.updated {
        let _ = writeln!(out, "would update {}", show(p));
    }
    let n = r.created.len() + r.updated.len();
    let err = format!(
        "error: {n} generated file{} out of date in {}: {} to create, {} to update, {} unchanged\nhint: run the same command without --check to write them, then commit them",
        if n == 1 { " is" } else { "s are" },
        out_dir.display(),
        r.created.len(),
        r.updated.len(),
        r.unchanged.len()
    );
    (out, err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_when_up_to_date_and_one_line_per_file_otherwise() {
        let mut r = WriteReport {
            unchanged: vec!["a".into()],
            ..WriteReport::default()
        };
        assert_eq!(render(&r, Path::new(".")), (String::new(), String::new()));
        r.created.push("force-app/x".into());
        r.updated.push("sfdx-project.json".into());
        let (out, err) = render(&r, Path::new("proj"));
        assert_eq!(
            out,
            "would create proj/force-app/x\nwould update proj/sfdx-project.json\n"
        );
        assert!(err.starts_with("error: 2 generated files are out of date in proj: 1 to create, 1 to update, 1 unchanged\nhint: "), "{err}");
    }
}
