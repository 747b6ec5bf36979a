//! Shared helpers for integration tests: corpus files, a seeded shuffler that
//! scrambles metadata documents the way a careless hand-merge would.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sfprov::metadata::schema::{self, Key, TypeSchema};
use sfprov::metadata::{Content, Document, Element};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file of the real-org corpus under tests/corpus, sorted.
pub fn corpus_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(&root().join("tests/corpus"), &mut out);
    out.retain(|p| p.to_string_lossy().ends_with("-meta.xml"));
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A small deterministic random generator (xorshift64*), so failures repeat.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Shuffles the children at every level. Entries whose order is data
/// (`Key::Ordered`: the `ipRanges` of network access and connected apps) and
/// children of elements the schema does not know keep their relative order;
/// everything else (a profile's `loginIpRanges` too) lands anywhere.
pub fn shuffle(doc: &mut Document<'_>, rng: &mut Rng) {
    let ty = schema::type_named(&doc.root.name);
    shuffle_element(&mut doc.root, ty, rng);
}

fn shuffle_element(e: &mut Element<'_>, ty: Option<&'static TypeSchema>, rng: &mut Rng) {
    let Some(ty) = ty else { return };
    let Content::Children(children) = &mut e.content else {
        return;
    };
    for c in children.iter_mut() {
        let cty = ty.child_type(&c.name);
        shuffle_element(c, cty, rng);
    }
    // Fisher-Yates over positions.
    let n = children.len();
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.below(i + 1);
        perm.swap(i, j);
    }
    let mut old: Vec<Option<Element<'_>>> =
        std::mem::take(children).into_iter().map(Some).collect();
    // Ordered entries: put them back in original relative order into the
    // positions their group received.
    let is_ordered = |el: &Element<'_>| matches!(ty.field(&el.name), Some((_, f)) if f.key == Key::Ordered && f.many);
    let mut out: Vec<Option<Element<'_>>> = perm.iter().map(|&i| old[i].take()).collect();
    let names: Vec<String> = out
        .iter()
        .filter_map(|e| e.as_ref())
        .filter(|e| is_ordered(e))
        .map(|e| e.name.to_string())
        .collect();
    for name in names.iter().collect::<std::collections::BTreeSet<_>>() {
        let positions: Vec<usize> = (0..n)
            .filter(|&p| out[p].as_ref().is_some_and(|e| &e.name == name))
            .collect();
        let mut group: Vec<(usize, Element<'_>)> = positions
            .iter()
            .map(|&p| {
                let orig = perm[p];
                (orig, out[p].take().unwrap())
            })
            .collect();
        group.sort_by_key(|(orig, _)| *orig);
        for (p, (_, e)) in positions.into_iter().zip(group) {
            out[p] = Some(e);
        }
    }
    children.extend(out.into_iter().map(Option::unwrap));
}

/// Serializes with other indentation (a tab per level, CRLF between elements)
/// and no declaration, to prove the reader does not depend on layout.
pub fn reindent(doc: &Document<'_>) -> Vec<u8> {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    fn el(out: &mut String, e: &Element<'_>, depth: usize) {
        out.push_str(&"\t".repeat(depth));
        out.push('<');
        out.push_str(&e.name);
        for (n, v) in e.attrs() {
            out.push_str(&format!(" {}='{}'", n, esc(v).replace('\'', "&apos;")));
        }
        match &e.content {
            Content::Empty => out.push_str(" />\r\n"),
            Content::Text(t) => out.push_str(&format!(">{}</{}>\r\n", esc(t), e.name)),
            Content::Children(c) => {
                out.push_str(">\r\n");
                for child in c {
                    el(out, child, depth + 1);
                }
                out.push_str(&"\t".repeat(depth));
                out.push_str(&format!("</{}>\r\n", e.name));
            }
        }
    }
    let mut out = String::new();
    el(&mut out, &doc.root, 0);
    out.into_bytes()
}

/// A command running the built `sfprov` binary in `dir`, with HOME and the
/// sf CLI's variables pointing into the sandbox.
pub fn sfprov(dir: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_sfprov"));
    c.current_dir(dir)
        .env("HOME", dir)
        .env_remove("SF_TARGET_ORG")
        .env_remove("SF_ACCESS_TOKEN")
        .env("NO_COLOR", "1");
    c
}

/// Exit code, stdout and stderr of a finished command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(mut c: std::process::Command) -> Run {
    let out = c.output().expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// Every file under `dir`: path relative to it ('/'-separated) -> bytes, sorted.
pub fn tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut std::collections::BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Runs `sfprov generate -d out` in `dir` on a spec with this text.
pub fn generate_with_spec(dir: &Path, spec: &str) -> Run {
    std::fs::write(dir.join("sfprov.toml"), spec).unwrap();
    let mut c = sfprov(dir);
    c.args(["generate", "-d", "out"]);
    run(c)
}
