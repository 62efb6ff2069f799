//! The book's generated artifacts: the figures in `book/figures/` and the
//! traceability appendix `book/traceability.md`.
//!
//! Each test regenerates an artifact from the sources and compares it byte for
//! byte with the committed file. Without `BLESS` a difference fails the test
//! ("… is stale: run `cargo xtask bless`"); with `BLESS=1` (which is what
//! `cargo xtask bless` sets, running `cargo test --test suite -- artifacts`)
//! the test rewrites the file instead. The consistency checks of the
//! traceability module (equation without a test, public function missing from
//! the table, …) fail in both modes: blessing cannot hide them.

mod accuracy;
mod api_docs_katex;
mod claims;
mod figures;
/// Public to the suite: other checks read the book's equations through
/// `traceability::equations()`.
pub(crate) mod traceability;

use std::path::{Path, PathBuf};

/// The crate root (the directory of `Cargo.toml`).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `BLESS=1` (or any value but `0` and the empty string) asks for regeneration.
fn blessing() -> bool {
    std::env::var_os("BLESS").is_some_and(|v| !v.is_empty() && v != "0")
}

/// Compare the committed artifact `relative` (a path from the crate root, with
/// `/` separators) with `generated`; rewrite it under `BLESS`, fail otherwise.
fn check_or_bless(relative: &str, generated: &str) {
    if let Err(message) = compare(&root().join(relative), relative, generated, blessing()) {
        panic!("{message}");
    }
}

/// Compare the file at `path` (shown as `shown`) with `generated`: equal is
/// `Ok`; different is an error, or a rewrite if `bless`.
fn compare(path: &Path, shown: &str, generated: &str, bless: bool) -> Result<(), String> {
    let committed = std::fs::read(path).ok();
    if committed.as_deref() == Some(generated.as_bytes()) {
        return Ok(());
    }
    if bless {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the directory of {shown}: {e}"))?;
        }
        std::fs::write(path, generated).map_err(|e| format!("cannot write {shown}: {e}"))?;
        eprintln!("blessed {shown}");
        return Ok(());
    }
    Err(match committed {
        None => format!("{shown} is missing: run `cargo xtask bless`"),
        Some(bytes) => format!(
            "{shown} is stale: run `cargo xtask bless`\n{}",
            first_difference(&String::from_utf8_lossy(&bytes), generated)
        ),
    })
}

/// The first differing line of two texts, to make a stale-artifact failure
/// readable.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut old = committed.lines();
    let mut new = generated.lines();
    for line in 1.. {
        match (old.next(), new.next()) {
            (None, None) => return "(the files differ only in line endings)".into(),
            (a, b) if a == b => continue,
            (a, b) => {
                // Long lines (SVG paths, table rows) are shown from a little
                // before their first differing character.
                let (ca, cb): (Vec<char>, Vec<char>) = (
                    a.unwrap_or_default().chars().collect(),
                    b.unwrap_or_default().chars().collect(),
                );
                let same = ca.iter().zip(&cb).take_while(|(x, y)| x == y).count();
                let from = same.saturating_sub(40);
                let show = |s: Option<&str>, c: &[char]| match s {
                    None => "(end of file)".to_string(),
                    Some(_) => {
                        let end = c.len().min(from + 160);
                        let head = if from > 0 { "…" } else { "" };
                        let tail = if end < c.len() { "…" } else { "" };
                        format!("{head}{}{tail}", c[from..end].iter().collect::<String>())
                    }
                };
                return format!(
                    "first difference at line {line}, column {}:\n  committed: {}\n  generated: {}",
                    same + 1,
                    show(a, &ca),
                    show(b, &cb)
                );
            }
        }
    }
    unreachable!()
}

/// Read a file of the crate as text, with a clear failure.
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

#[test]
fn artifacts_stale_file_fails_and_bless_rewrites_it() {
    let dir = std::env::temp_dir().join(format!("artifacts-selftest-{}", std::process::id()));
    let path = dir.join("figure.svg");
    let _ = std::fs::remove_dir_all(&dir);
    let missing = compare(&path, "x.svg", "new", false).unwrap_err();
    assert_eq!(missing, "x.svg is missing: run `cargo xtask bless`");
    compare(&path, "x.svg", "old\nsame\n", true).unwrap();
    let stale = compare(&path, "x.svg", "new\nsame\n", false).unwrap_err();
    assert!(
        stale.starts_with(
            "x.svg is stale: run `cargo xtask bless`\nfirst difference at line 1, column 1:"
        ),
        "{stale}"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "old\nsame\n",
        "a check must not write"
    );
    compare(&path, "x.svg", "new\nsame\n", true).unwrap();
    compare(&path, "x.svg", "new\nsame\n", false).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
