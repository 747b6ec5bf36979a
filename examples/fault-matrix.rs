//! `cargo run --example fault-matrix [-- --out FILE]`: the apply fault matrix
//! as a Markdown table (steps × faults → converged or not, against a clean
//! run's org), on stdout or into FILE (docs/fault-matrix.md is the latest,
//! linked from the README). Exits 1 when a cell did not converge. The same
//! matrix runs as a test in `cargo test` (tests/it/apply/faults.rs).

#[path = "../tests/it/apply/support.rs"]
mod support;

#[path = "../tests/it/apply/matrix.rs"]
mod matrix;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.as_slice() {
        [] => None,
        [flag, path] if flag == "--out" => Some(std::path::PathBuf::from(path)),
        _ => {
            eprintln!("usage: cargo run --example fault-matrix [-- --out FILE]");
            std::process::exit(2);
        }
    };
    let (clean, cells) = matrix::run("zendesk");
    let table = matrix::markdown("zendesk", &clean, &cells);
    match &out {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &table) {
                eprintln!("error: cannot write {}: {e}", path.display());
                std::process::exit(1);
            }
            eprintln!("wrote {}", path.display());
        }
        None => print!("{table}"),
    }
    let failed = cells
        .iter()
        .filter(|c| c.result.as_ref().is_some_and(|o| o.difference.is_some()))
        .count();
    if failed > 0 {
        eprintln!("error: {failed} cells did not converge; see the table");
        std::process::exit(1);
    }
}
