//! Every number in the prose comes from an artifact.
//!
//! A quantitative statement of the book or the README (an ulp bound, a time,
//! a ratio, a count of mutants, cases or equations, the date or machine of a
//! measurement) carries an HTML comment right after its number, which readers
//! never see:
//!
//! ```text
//! at most 1.0103 ulp<!-- claim: kernel-accuracy.exp_f32_max_ulp -->
//! ```
//!
//! The key names a value of a committed artifact ([`sources`]: the accuracy
//! table, the benchmark TSV, the mutants summary, the equation-mutants report,
//! `book/measurements/*.tsv`, the counts of the book's equations, the bounds
//! the suite's tests assert), or a value this module derives ([`derived`]).
//! `KEY / KEY` (also `*`, `+`, `-`, with numbers) quotes a ratio. The written
//! number must be the value, or the value rounded to at least two significant
//! digits (`1.01` for 1.0103 passes, `1` does not). Text values (a date, a
//! machine) must end the prose before the marker.
//!
//! Two tests: [`every_claim_matches_its_artifact`] and
//! [`every_number_with_a_unit_has_a_source`] (a number followed by one of
//! [`prose::UNITS`], or a date, outside code, math, links and generated
//! regions, with no marker after it).

mod prose;
mod sources;

use prose::{Claim, Unsourced};
use sources::Value;
use std::collections::BTreeMap;

/// The files whose prose is checked: every chapter but the generated
/// appendix, and the README.
fn files() -> Vec<String> {
    let root = super::root();
    let mut files: Vec<String> = std::fs::read_dir(root.join("book"))
        .expect("book/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|f| f.ends_with(".md") && f != "traceability.md" && f != "SUMMARY.md")
        .map(|f| format!("book/{f}"))
        .collect();
    files.sort();
    files.push("README.md".into());
    files
}

/// Values the prose derives rather than measures: each is computed here, so
/// that the arithmetic of the sentence is checked too.
fn derived() -> Vec<(&'static str, f64)> {
    vec![
        // cross-entropy.md: the running example's loss, −ln 0.099.
        ("derived.neg_ln_0_099", -(0.099_f64).ln()),
        // Correct rounding is within half an ulp (a definition).
        ("derived.correct_rounding_ulp", 0.5),
        // accuracy.md: counting N = 1.5·2^24 rows by adding 1.0 in f32 stops
        // at 2^24, so a mean that divides by the count is this many times
        // too large.
        ("derived.f32_counted_mean_ratio", {
            let rows = 3u32 << 23;
            let mut counted = 0.0_f32;
            for _ in 0..rows {
                counted += 1.0;
            }
            f64::from(rows) / f64::from(counted)
        }),
        // accuracy.md: a result of 0 for a true value x is off by x/ulp(x)
        // ulp, at least 1/ε in f64.
        ("derived.zero_result_min_ulp_f64", 1.0 / f64::EPSILON),
        // accuracy.md: the rounding of z − m for logits in [−100, 100]: an
        // absolute error up to u·|z − m| ≤ 200u becomes that relative error,
        // and a relative error r is at most 2r/ε ulp.
        ("derived.shift_rounding_max_ulp", {
            let u = f64::EPSILON / 2.0;
            2.0 * (200.0 * u) / f64::EPSILON
        }),
        // accuracy.md: a plain f32 running total of 10^6 equal losses
        // fl(ln 10), in percent of the exact sum.
        ("derived.f32_running_total_error_percent", {
            let x = std::f32::consts::LN_10;
            let mut total = 0.0_f32;
            for _ in 0..1_000_000 {
                total += x;
            }
            let exact = f64::from(x) * 1e6;
            100.0 * (f64::from(total) - exact).abs() / exact
        }),
    ]
}

/// Sections whose numbers other work is regenerating right now, each with
/// its reason; the test says so when it skips them, and fails when a listed
/// section no longer exists.
const PENDING: &[(&str, &str, &[&str], &str)] = &[(
    "book/fast-kernel.md",
    "*",
    &["ns", "×", "%"],
    "the speed sentences of the kernel chapter are regenerated from the bench artifact (issue 17)",
)];

/// The numbers with a unit that predate this check, by file: each is being
/// sourced or narrowed (issue 15). The list only shrinks: a number not on it
/// fails, and so does an entry that no longer matches the prose.
const BASELINE: &[(&str, &str)] = &[];

/// The unsourced numbers less the baseline, and the baseline entries that
/// no longer match (to be removed from the list).
fn less_baseline(unsourced: Vec<Unsourced>) -> (Vec<Unsourced>, Vec<String>) {
    let mut left: Vec<(&str, &str)> = BASELINE.to_vec();
    let mut out = Vec::new();
    for u in unsourced {
        if let Some(p) = left.iter().position(|(f, x)| *f == u.file && *x == u.found) {
            left.remove(p);
        } else {
            out.push(u);
        }
    }
    (out, left.iter().map(|(f, x)| format!("{f}: {x}")).collect())
}

/// The heading (without `#`s) that a line of a Markdown text falls under.
fn sections(text: &str) -> Vec<String> {
    let mut current = String::new();
    let mut fence = false;
    text.lines()
        .map(|l| {
            if l.trim_start().starts_with("```") {
                fence = !fence;
            } else if !fence && l.starts_with('#') {
                current = l.trim_start_matches('#').trim().to_string();
            }
            current.clone()
        })
        .collect()
}

fn pending(file: &str, section: &str, found: &str) -> bool {
    PENDING.iter().any(|(f, s, units, _)| {
        *f == file
            && (*s == "*" || *s == section)
            && (units.is_empty() || units.iter().any(|u| found.ends_with(u)))
    })
}

type Sources = BTreeMap<String, (Value, &'static str)>;

fn load_sources() -> Sources {
    let mut map = sources::all(&super::root());
    for (k, v) in derived() {
        map.insert(
            k.into(),
            (Value::Number(v), "tests/suite/artifacts/claims/mod.rs"),
        );
    }
    map
}

/// The value of a marker's expression: `KEY`, or `A OP B` of keys and numbers.
fn evaluate(expr: &str, sources: &Sources) -> Result<Value, String> {
    let operand = |s: &str| -> Result<f64, String> {
        if let Ok(x) = s.parse::<f64>() {
            return Ok(x);
        }
        match sources.get(s) {
            Some((Value::Number(x), _)) => Ok(*x),
            Some((Value::Text(t), _)) => Err(format!("`{s}` is the text {t:?}, not a number")),
            None => Err(unknown(s, sources)),
        }
    };
    let words: Vec<&str> = expr.split_whitespace().collect();
    match words[..] {
        [key] => sources
            .get(key)
            .map(|(v, _)| v.clone())
            .ok_or_else(|| unknown(key, sources)),
        [a, op, b] => {
            let (a, b) = (operand(a)?, operand(b)?);
            Ok(Value::Number(match op {
                "/" => a / b,
                "*" => a * b,
                "+" => a + b,
                "-" => a - b,
                _ => return Err(format!("unknown operator `{op}` (use / * + -)")),
            }))
        }
        _ => Err(format!("`{expr}` is neither KEY nor `A OP B`")),
    }
}

fn unknown(key: &str, sources: &Sources) -> String {
    let head = key.split('.').next().unwrap_or(key);
    let near: Vec<&str> = sources
        .keys()
        .filter(|k| k.starts_with(head))
        .map(String::as_str)
        .take(12)
        .collect();
    format!("no artifact has the key `{key}`; keys starting `{head}`: {near:?}")
}

/// Whether a claim agrees with its value; the reason if not.
fn judge(claim: &Claim, sources: &Sources) -> Result<(), String> {
    let value = evaluate(&claim.expr, sources)?;
    match (value, &claim.number) {
        (Value::Text(t), _) => {
            if claim.text_before.ends_with(&t) {
                Ok(())
            } else {
                Err(format!(
                    "the artifact says {t:?}, the prose before the marker does not end with it"
                ))
            }
        }
        (Value::Number(v), Some(n)) => {
            let diff = (v - n.value).abs();
            let exact = diff <= 1e-12 * v.abs().max(1e-300);
            let rounds = diff <= n.half_unit * (1.0 + 1e-9) + 1e-12 * v.abs();
            if exact || (rounds && n.significant >= 2) {
                Ok(())
            } else if rounds {
                Err(format!(
                    "{} is the artifact's {v} rounded to one significant digit: write at least two",
                    n.written
                ))
            } else {
                Err(format!("the prose says {}, the artifact {v}", n.written))
            }
        }
        (Value::Number(v), None) => Err(format!(
            "no number before the marker (the artifact says {v})"
        )),
    }
}

fn scan_all(texts: &[(String, String)]) -> (Vec<Claim>, Vec<Unsourced>, Vec<String>) {
    let (mut claims, mut unsourced, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for (file, text) in texts {
        let (c, u, e) = prose::scan(file, text);
        claims.extend(c);
        let sec = sections(text);
        unsourced.extend(
            u.into_iter()
                .filter(|u| !pending(file, &sec[u.line - 1], &u.found)),
        );
        errors.extend(e);
    }
    (claims, unsourced, errors)
}

fn book_texts() -> Vec<(String, String)> {
    files()
        .into_iter()
        .map(|f| {
            let text = super::read(&super::root().join(&f));
            (f, text)
        })
        .collect()
}

fn mismatches(claims: &[Claim], sources: &Sources) -> Vec<String> {
    claims
        .iter()
        .filter_map(|c| {
            judge(c, sources).err().map(|e| {
                let origin = sources
                    .get(c.expr.split_whitespace().next().unwrap_or(""))
                    .map_or("", |(_, o)| o);
                format!("{}:{}: `{}` ({origin}): {e}", c.file, c.line, c.expr)
            })
        })
        .collect()
}

#[test]
fn every_claim_matches_its_artifact() {
    let (claims, _, errors) = scan_all(&book_texts());
    let sources = load_sources();
    let mut all = errors;
    all.extend(mismatches(&claims, &sources));
    assert!(
        all.is_empty(),
        "{} claim(s) of the prose disagree with their artifact (CONTRIBUTING.md, \"Numbers in the prose\"):\n{}",
        all.len(),
        all.join("\n")
    );
}

#[test]
fn every_number_with_a_unit_has_a_source() {
    let texts = book_texts();
    let (_, unsourced, _) = scan_all(&texts);
    let (unsourced, stale) = less_baseline(unsourced);
    assert!(
        stale.is_empty(),
        "BASELINE (tests/suite/artifacts/claims/mod.rs) lists numbers the prose no longer has unsourced; remove them:\n{}",
        stale.join("\n")
    );
    let listed: Vec<String> = unsourced
        .iter()
        .map(|u| format!("{}:{}: {}", u.file, u.line, u.found))
        .collect();
    assert!(
        listed.is_empty(),
        "{} number(s) with a unit have no `<!-- claim: KEY -->` after them (CONTRIBUTING.md, \"Numbers in the prose\"):\n{}",
        listed.len(),
        listed.join("\n")
    );
    for (file, section, _, reason) in PENDING {
        let text = &texts
            .iter()
            .find(|(f, _)| f == file)
            .expect("a pending file")
            .1;
        assert!(
            *section == "*" || sections(text).iter().any(|s| s == section),
            "PENDING lists the section {section:?} of {file}, which no longer exists: remove it"
        );
        eprintln!("claims: not yet sourced in {file} ({section}): {reason}");
    }
}

#[test]
fn a_changed_number_in_a_chapter_fails() {
    // Take the first numeric claim of the book, change its last digit, and
    // the check must name it.
    let texts = book_texts();
    let sources = load_sources();
    let (claims, _, _) = scan_all(&texts);
    let claim = claims
        .iter()
        .find(|c| c.number.is_some())
        .expect("the book quotes a number");
    let text = &texts.iter().find(|(f, _)| *f == claim.file).unwrap().1;
    let file = &claim.file;
    assert!(mismatches(std::slice::from_ref(claim), &sources).is_empty());
    let line = text.lines().nth(claim.line - 1).unwrap();
    let written = &claim.number.as_ref().unwrap().written;
    let last = written.chars().last().unwrap().to_digit(10).unwrap();
    let changed = format!("{}{}", &written[..written.len() - 1], (last + 3) % 10);
    let at = line.find(written.as_str()).unwrap();
    let edited_line = format!("{}{changed}{}", &line[..at], &line[at + written.len()..]);
    let (edited, _, _) = prose::scan(file, &edited_line);
    let errors = mismatches(&edited, &sources);
    assert!(
        errors
            .iter()
            .any(|e| e.contains(&format!("the prose says {changed}"))),
        "{edited_line}\n{errors:#?}"
    );
    // A number with a unit but no marker fails the other test.
    let (_, unsourced, _) = prose::scan(file, "within 4 ulp of the truth");
    assert_eq!(unsourced.len(), 1);
}

#[test]
fn every_artifact_is_read() {
    // A change of an artifact's format that its reader no longer follows
    // must fail here, not silently leave the prose's keys unknown.
    let sources = load_sources();
    for key in [
        "accuracy.ulp.softmax.f32",
        "accuracy.abs.vector_jacobian_product.promise",
        "accuracy.results",
        "bench.date",
        "bench.machine",
        "bench.softmax.kernel.f32.4096x1000",
        "mutants.tested",
        "mutants.caught",
        "equation-mutants.total.mutants",
        "equation-mutants.survivors",
        "equations.displayed",
        "equations.checked",
        "const.fused.KERNEL_BOUND",
    ] {
        assert!(sources.contains_key(key), "{}", unknown(key, &sources));
    }
}

/// The `#[test]` functions of `src/` and `tests/`, by name.
fn test_functions() -> std::collections::BTreeSet<String> {
    let root = super::root();
    let mut names = std::collections::BTreeSet::new();
    let mut stack = vec![root.join("src"), root.join("tests")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                // A test under `#[ignore]` does not run in `cargo test`, so it
                // cannot be the check of a claim.
                let (mut armed, mut ignored) = (false, false);
                for line in text.lines().map(str::trim) {
                    if line.starts_with("#[test]") {
                        (armed, ignored) = (true, false);
                    } else if armed && line.starts_with("#[ignore") {
                        ignored = true;
                    } else if armed && let Some(rest) = line.strip_prefix("fn ") {
                        if !ignored {
                            names.insert(rest.split(['(', '<']).next().unwrap_or("").to_string());
                        }
                        armed = false;
                    }
                }
            }
        }
    }
    names
}

/// The `<!-- test: NAME -->` markers of a text: (line, name).
fn named_tests(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("<!-- test:") {
            let tail = &rest[at + "<!-- test:".len()..];
            let end = tail.find("-->").unwrap_or(tail.len());
            out.push((i + 1, tail[..end].trim().to_string()));
            rest = &tail[end..];
        }
    }
    out
}

/// A universal statement about the code ("every", "never", "for any") names
/// the test that establishes it with `<!-- test: NAME -->` (or links to a
/// book test block); the name must be a `#[test]` function of `src/` or
/// `tests/` that `cargo test` runs (not `#[ignore]`d), so that a renamed,
/// deleted or ignored test fails here.
#[test]
fn every_named_test_exists() {
    let known = test_functions();
    assert!(
        known.contains("every_named_test_exists"),
        "the scan finds no tests"
    );
    let mut missing = Vec::new();
    for (file, text) in book_texts() {
        for (line, name) in named_tests(&text) {
            if !known.contains(&name) {
                missing.push(format!("{file}:{line}: no #[test] fn {name}"));
            }
        }
    }
    let (_, fake) = named_tests("never <!-- test: no_such_test -->")[0].clone();
    assert!(!known.contains(&fake));
    assert!(
        !known.contains("accuracy_report"),
        "an ignored test counted"
    );
    assert!(missing.is_empty(), "\n{}", missing.join("\n"));
}
