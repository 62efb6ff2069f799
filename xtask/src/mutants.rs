//! `cargo xtask mutants`: mutation testing of `src/` with the pinned
//! cargo-mutants, the checked list of equivalent mutants, and the committed
//! summary `mutants-summary.txt`. The method is described in
//! book/mutation-testing.md.
//!
//! What cargo-mutants runs (which files it mutates, the cargo profile, the
//! test arguments, the equivalent mutants) is in `.cargo/mutants.toml`, so a
//! bare `cargo mutants` does the same. This command adds what a config file
//! cannot hold: the pinned install, the environment of the tests, a check
//! that every equivalent-mutant entry names exactly one mutant, and the
//! summary file.

use crate::{Failure, Result, fail, show, tools};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

/// The pinned cargo-mutants (crate, version); the binary has the crate's name.
pub const CARGO_MUTANTS: (&str, &str) = ("cargo-mutants", "27.1.0");

/// The package whose `src/` is mutated (xtask is never mutated).
const PACKAGE: &str = "softmax-cross-entropy";

/// cargo-mutants' configuration, with the equivalent mutants (`exclude_re`).
pub const CONFIG: &str = ".cargo/mutants.toml";

/// The committed summary of the last full run.
pub const SUMMARY: &str = "mutants-summary.txt";

/// The book chapter that shows a copy of the summary, between these markers.
pub const CHAPTER: &str = "book/mutation-testing.md";
const COPY_BEGIN: &str =
    "<!-- cargo xtask mutants writes the block below: a copy of mutants-summary.txt -->";
const COPY_END: &str = "<!-- end of the copy of mutants-summary.txt -->";

/// The environment of every test run. Property tests keep their frameworks'
/// default case counts (the whole suite takes under a second with them), but
/// pinned here so that a `PROPTEST_CASES` in the caller's environment does
/// not change the result; proptest's seed is fixed so that every run draws
/// the same cases and the summary can be reproduced.
pub const TEST_ENV: [(&str, &str); 5] = [
    ("PROPTEST_CASES", "256"),
    ("QUICKCHECK_TESTS", "100"),
    ("PROPTEST_RNG_SEED", "5"),
    // A failing case is all a mutant run needs: shrinking it only costs time.
    ("PROPTEST_MAX_SHRINK_ITERS", "0"),
    // Never write proptest-regressions files (the run is in a scratch copy anyway).
    ("PROPTEST_DISABLE_FAILURE_PERSISTENCE", "1"),
];

/// Install cargo-mutants into `target/tools/` if it is missing or has another
/// version (as `tools::ensure` does for the book tools). Returns its path.
pub fn ensure_tool(repo: &Path) -> Result<PathBuf> {
    let (name, version) = CARGO_MUTANTS;
    tools::ensure_one(
        repo,
        name,
        version,
        &["mutants", "--version"],
        "installing cargo-mutants needs crates.io",
    )
}

/// One entry of the equivalent-mutant list: the regex and its proof (the
/// comment lines right above it).
#[derive(Debug, PartialEq)]
pub struct Equivalent {
    pub regex: String,
    pub proof: String,
}

/// The `exclude_re` entries of `.cargo/mutants.toml`. Each must be a TOML
/// literal string (`'...'`, so that a regex needs no escaping), alone on its
/// line, and preceded by at least one `#` comment line: its proof.
pub fn equivalents(toml: &str) -> Result<Vec<Equivalent>> {
    let mut lines = toml.lines().enumerate();
    let mut found = false;
    for (_, line) in lines.by_ref() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("exclude_re")
            && let Some(rest) = rest.trim_start().strip_prefix('=')
        {
            match rest.trim() {
                "[" => {
                    found = true;
                    break;
                }
                "[]" => return Ok(Vec::new()),
                other => fail!("{CONFIG}: write `exclude_re = [` on its own line, not `{other}`"),
            }
        }
    }
    if !found {
        return Ok(Vec::new());
    }
    let mut entries = Vec::new();
    let mut proof: Vec<&str> = Vec::new();
    for (number, line) in lines {
        let line = line.trim();
        if line == "]" {
            return Ok(entries);
        }
        if let Some(comment) = line.strip_prefix('#') {
            proof.push(comment.trim());
        } else if line.is_empty() {
            proof.clear();
        } else if let Some(regex) = line
            .strip_prefix('\'')
            .and_then(|rest| rest.strip_suffix("',"))
            .filter(|regex| !regex.contains('\''))
        {
            if proof.is_empty() {
                fail!(
                    "{CONFIG} line {}: the equivalent mutant `{regex}` needs its proof \
                     in a comment right above it",
                    number + 1
                );
            }
            entries.push(Equivalent {
                regex: regex.to_owned(),
                proof: proof.join(" "),
            });
            proof.clear();
        } else {
            fail!(
                "{CONFIG} line {}: an exclude_re entry must be one '...', literal string \
                 per line, got `{line}`",
                number + 1
            );
        }
    }
    fail!("{CONFIG}: `exclude_re = [` is never closed by a `]` line")
}

/// The counts of a run, from cargo-mutants' `outcomes.json`.
#[derive(Debug, PartialEq)]
pub struct Counts {
    pub total: u64,
    pub caught: u64,
    pub missed: u64,
    pub unviable: u64,
    pub timeout: u64,
}

/// The top-level counts of `outcomes.json` (`"caught": 12`, ...). Each key
/// must occur exactly once (the per-mutant records use other keys), and the
/// four outcomes must add up to the total.
pub fn counts(json: &str) -> Result<Counts> {
    let field = |key: &str| -> Result<u64> {
        let pattern = format!("\"{key}\":");
        let mut hits = json.match_indices(&pattern);
        let (Some((at, _)), None) = (hits.next(), hits.next()) else {
            fail!("outcomes.json: expected exactly one `{pattern}`");
        };
        let digits: String = json[at + pattern.len()..]
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits
            .parse()
            .map_err(|_| Failure(format!("outcomes.json: `{pattern}` is not a count")))
    };
    let counts = Counts {
        total: field("total_mutants")?,
        caught: field("caught")?,
        missed: field("missed")?,
        unviable: field("unviable")?,
        timeout: field("timeout")?,
    };
    let sum = counts.caught + counts.missed + counts.unviable + counts.timeout;
    if sum != counts.total {
        fail!(
            "outcomes.json: caught + missed + unviable + timeout = {sum}, but total_mutants = {} \
             (an interrupted run?)",
            counts.total
        );
    }
    Ok(counts)
}

/// The text of `mutants-summary.txt`: only numbers that a fresh run
/// reproduces (no times, no dates).
pub fn summary_text(counts: &Counts, equivalent: usize) -> String {
    let (name, version) = CARGO_MUTANTS;
    let Counts {
        total,
        caught,
        missed,
        unviable,
        timeout,
    } = counts;
    format!(
        "# Mutation testing of src/: the last full run of `cargo xtask mutants`\n\
         # ({name} {version}; this file is written by the command from\n\
         # mutants.out/outcomes.json; the method is in book/mutation-testing.md).\n\
         mutants tested  {total:5}\n\
         caught          {caught:5}   a test failed\n\
         missed          {missed:5}   every test passed\n\
         unviable        {unviable:5}   the mutant does not compile\n\
         timeouts        {timeout:5}\n\
         equivalent      {equivalent:5}   not tested: proved unable to change any output ({CONFIG})\n"
    )
}

/// The chapter with the block between its copy markers replaced by `summary`
/// in a `text` block.
pub fn with_summary(page: &str, summary: &str) -> Result<String> {
    let (Some(begin), Some(end)) = (page.find(COPY_BEGIN), page.find(COPY_END)) else {
        fail!("{CHAPTER} lacks the lines `{COPY_BEGIN}` and `{COPY_END}`");
    };
    if end < begin {
        fail!("{CHAPTER}: `{COPY_END}` comes before `{COPY_BEGIN}`");
    }
    let head = &page[..begin + COPY_BEGIN.len()];
    Ok(format!("{head}\n```text\n{summary}```\n{}", &page[end..]))
}

/// The test arguments of a `--book-only` run: only the doctests of the
/// book's chapters (module `book` of src/lib.rs), not the suite and not the
/// library's own doc examples.
const BOOK_ONLY_TEST_ARGS: &str = r#"additional_cargo_test_args = ["--doc", "--", "book::"]"#;

/// `.cargo/mutants.toml` with its `additional_cargo_test_args` line replaced
/// by [`BOOK_ONLY_TEST_ARGS`].
pub fn book_only_config(toml: &str) -> Result<String> {
    let is_test_args = |line: &&str| line.trim_start().starts_with("additional_cargo_test_args");
    if toml.lines().filter(is_test_args).count() != 1 {
        fail!("{CONFIG}: expected one `additional_cargo_test_args = [...]` line");
    }
    let lines: Vec<&str> = toml
        .lines()
        .map(|line| match is_test_args(&line) {
            true => BOOK_ONLY_TEST_ARGS,
            false => line,
        })
        .collect();
    Ok(lines.join("\n") + "\n")
}

/// Whether `args` leave the run canonical (same mutants, same tests): only
/// the number of jobs and how much is printed may change.
pub fn canonical(args: &[String]) -> bool {
    let mut args = args.iter().map(String::as_str);
    while let Some(arg) = args.next() {
        match arg {
            "-j" | "--jobs" | "--colors" => {
                args.next();
            }
            "-v" | "--caught" | "-V" | "--unviable" | "--no-times" => {}
            _ if arg.starts_with("-j") || arg.starts_with("--jobs=") => {}
            _ if arg.starts_with("--colors=") => {}
            _ => return false,
        }
    }
    true
}

/// `cargo xtask mutants [--book-only] [ARGS]`: install cargo-mutants if
/// needed, check the equivalent-mutant list, run cargo-mutants over `src/`
/// (ARGS go to it), and, after a canonical run of every mutant, write the
/// summary. Fails unless every tested mutant is caught or unviable.
///
/// `--book-only` measures the book alone: the test suite of every mutant is
/// only the Rust blocks of the chapters. It writes no summary and does not
/// fail on missed mutants (the book checks formulas, not input checks).
pub fn run(root: &Path, args: &[String]) -> Result {
    let (book_only, args) = match args.split_first() {
        Some((first, rest)) if first == "--book-only" => (true, rest),
        _ => (false, args),
    };
    if let Some(arg) = args
        .iter()
        .find(|a| a.starts_with("-o") || a.starts_with("--output") || a.starts_with("--in-place"))
    {
        fail!(
            "`mutants` always runs in scratch copies and writes mutants.out/ at the root; \
             it does not take `{arg}`"
        );
    }
    let exe = ensure_tool(root)?;
    let config = root.join(CONFIG);
    let toml = std::fs::read_to_string(&config)
        .map_err(|error| Failure(format!("cannot read {}: {error}", config.display())))?;
    let equivalent = equivalents(&toml)?;
    // Each entry must name exactly one mutant of the current source: an entry
    // that names none is stale, one that names several hides mutants that
    // nobody proved equivalent.
    for entry in &equivalent {
        let named = list(root, &exe, &["--no-config", "--re", &entry.regex])?;
        if named.len() != 1 {
            fail!(
                "the equivalent mutant `{}` of {CONFIG} must name exactly one mutant, but \
                 names {}:\n  {}\n(fix the regex, or remove the entry if the code changed)",
                entry.regex,
                named.len(),
                named.join("\n  ")
            );
        }
    }
    eprintln!(
        "mutants: {} equivalent mutant(s) in {CONFIG}, each naming exactly one mutant:",
        equivalent.len()
    );
    for Equivalent { regex, proof } in &equivalent {
        eprintln!("  {regex}\n      {proof}");
    }
    let all = list(root, &exe, &[])?.len();

    let mut cmd = Command::new(&exe);
    cmd.current_dir(root)
        .args(["mutants", "--package", PACKAGE]);
    if book_only {
        let path = root.join("target").join("mutants-book-only.toml");
        let contents = book_only_config(&toml)?;
        std::fs::create_dir_all(root.join("target"))
            .and_then(|()| std::fs::write(&path, contents))
            .map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?;
        cmd.arg("--config").arg(&path);
    }
    let jobs_given = args
        .iter()
        .any(|a| a.starts_with("-j") || a == "--jobs" || a.starts_with("--jobs="))
        || std::env::var_os("CARGO_MUTANTS_JOBS").is_some();
    if !jobs_given {
        let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
        cmd.args(["--jobs", &jobs.to_string()]);
    }
    cmd.args(args);
    // Each scratch copy builds in its own target/ (a shared CARGO_TARGET_DIR
    // would serialize the jobs on cargo's lock).
    cmd.env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_MUTANTS_OUTPUT");
    for (key, value) in TEST_ENV {
        cmd.env(key, value);
    }
    let shown = show(&cmd);
    eprintln!("$ {shown}");
    let started = SystemTime::now();
    let start = Instant::now();
    let status = cmd
        .status()
        .map_err(|error| Failure(format!("could not start `{shown}`: {error}")))?;
    let minutes = start.elapsed().as_secs_f64() / 60.0;

    let outcomes = root.join("mutants.out").join("outcomes.json");
    let written = std::fs::metadata(&outcomes)
        .and_then(|meta| meta.modified())
        .is_ok_and(|modified| modified >= started);
    if !written {
        // For example `--list`: nothing was tested.
        return match status.success() {
            true => Ok(()),
            false => fail!("`{shown}` failed ({status})"),
        };
    }
    if status.code() == Some(4) {
        fail!("the tests fail on the unmutated tree: see mutants.out/log/baseline.log");
    }
    let json = std::fs::read_to_string(&outcomes)
        .map_err(|error| Failure(format!("cannot read {}: {error}", outcomes.display())))?;
    let counts = counts(&json)?;
    if book_only {
        eprintln!(
            "\nmutants: the book's blocks alone catch {} of the {} mutants that compile \
             ({} missed: mutants.out/missed.txt; {} timeouts; run time {minutes:.1} min)",
            counts.caught,
            counts.total - counts.unviable,
            counts.missed,
            counts.timeout
        );
        return Ok(());
    }
    let text = summary_text(&counts, equivalent.len());
    eprintln!("\n{text}(run time {minutes:.1} min)");
    if counts.total == all as u64 && canonical(args) {
        let chapter = root.join(CHAPTER);
        let page = std::fs::read_to_string(&chapter)
            .map_err(|error| Failure(format!("cannot read {}: {error}", chapter.display())))?;
        let page = with_summary(&page, &text)?;
        for (path, contents) in [(root.join(SUMMARY), text.as_str()), (chapter, &page)] {
            std::fs::write(&path, contents)
                .map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?;
        }
        eprintln!("mutants: wrote {SUMMARY} and its copy in {CHAPTER}");
    } else {
        eprintln!(
            "mutants: {} of the {all} mutants tested, with ARGS: {SUMMARY} is left as it is",
            counts.total
        );
    }
    if counts.missed > 0 || counts.timeout > 0 {
        fail!(
            "{} missed and {} timed-out mutant(s): see mutants.out/missed.txt and \
             mutants.out/timeout.txt; kill each with a test, or prove it equivalent in {CONFIG}",
            counts.missed,
            counts.timeout
        );
    }
    if !status.success() {
        fail!("`{shown}` failed ({status})");
    }
    Ok(())
}

/// The names of the mutants that `cargo mutants --list` gives for the
/// package, with `extra` arguments (the configuration applies unless
/// `extra` holds `--no-config`).
fn list(root: &Path, exe: &Path, extra: &[&str]) -> Result<Vec<String>> {
    let mut cmd = Command::new(exe);
    cmd.current_dir(root)
        .args(["mutants", "--list", "--package", PACKAGE])
        .args(extra);
    let output = cmd
        .output()
        .map_err(|error| Failure(format!("could not run `{}`: {error}", show(&cmd))))?;
    if !output.status.success() {
        fail!(
            "`{}` failed ({}):\n{}",
            show(&cmd),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_entries_and_their_proofs() {
        let toml = "profile = 'x'\nexclude_re = [\n    # proof one,\n    # continued\n    'a\\.rs:\\d+: replace',\n\n    # proof two\n    'b',\n]\nother = 1\n";
        assert_eq!(
            equivalents(toml).unwrap_or_default(),
            [
                Equivalent {
                    regex: "a\\.rs:\\d+: replace".to_owned(),
                    proof: "proof one, continued".to_owned()
                },
                Equivalent {
                    regex: "b".to_owned(),
                    proof: "proof two".to_owned()
                }
            ]
        );
        assert_eq!(equivalents("exclude_re = []\n").unwrap_or_default(), []);
        assert_eq!(equivalents("profile = 'x'\n").unwrap_or_default(), []);
        for bad in [
            "exclude_re = [\n    'no proof',\n]\n",
            "exclude_re = [\n    # a proof, then a blank line\n\n    'x',\n]\n",
            "exclude_re = [\n    # proof\n    \"double quoted\",\n]\n",
            "exclude_re = [\n    # proof\n    'x',\n",
            "exclude_re = ['x']\n",
        ] {
            assert!(equivalents(bad).is_err(), "accepted {bad:?}");
        }
    }

    #[test]
    fn counts_of_outcomes_json() {
        let json = r#"{"outcomes": [{"scenario": "Baseline", "summary": "Success"}],
            "total_mutants": 10, "missed": 1, "caught": 6, "timeout": 0,
            "unviable": 3, "success": 0, "cargo_mutants_version": "27.1.0"}"#;
        let counts = counts(json).ok();
        assert_eq!(
            counts,
            Some(Counts {
                total: 10,
                caught: 6,
                missed: 1,
                unviable: 3,
                timeout: 0
            })
        );
        // Outcomes that do not add up: an interrupted run.
        assert!(super::counts(&json.replace("\"caught\": 6", "\"caught\": 5")).is_err());
        assert!(super::counts(r#"{"caught": 1}"#).is_err());
    }

    #[test]
    fn summary_copy_in_the_chapter() {
        let page =
            format!("# T\n\nText:\n\n{COPY_BEGIN}\n```text\nold\n```\n{COPY_END}\n\nMore.\n");
        let new = with_summary(&page, "caught 1\n").unwrap_or_default();
        assert_eq!(
            new,
            format!("# T\n\nText:\n\n{COPY_BEGIN}\n```text\ncaught 1\n```\n{COPY_END}\n\nMore.\n")
        );
        assert_eq!(with_summary(&new, "caught 1\n").ok(), Some(new));
        assert!(with_summary("# T\n", "x\n").is_err());
        assert!(with_summary(&format!("{COPY_END}\n{COPY_BEGIN}\n"), "x\n").is_err());
    }

    #[test]
    fn book_only_configuration() {
        let toml =
            "profile = 'm'\nadditional_cargo_test_args = [\"--\", \"--skip\", \"a::\"]\nx = 1\n";
        assert_eq!(
            book_only_config(toml).ok(),
            Some(format!("profile = 'm'\n{BOOK_ONLY_TEST_ARGS}\nx = 1\n"))
        );
        assert!(book_only_config("profile = 'm'\n").is_err());
    }

    #[test]
    fn canonical_arguments() {
        let args = |line: &str| {
            line.split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        for ok in [
            "",
            "-j 2",
            "-j2 -v",
            "--jobs=4 --no-times --colors never",
            "-V --caught",
        ] {
            assert!(canonical(&args(ok)), "{ok}");
        }
        for changed in [
            "--file src/softmax.rs",
            "-j 2 --re softmax",
            "--config other.toml",
            "--no-config",
            "--cargo-test-arg=--doc",
            "-- --doc",
            "--shard 1/2",
        ] {
            assert!(!canonical(&args(changed)), "{changed}");
        }
    }

    #[test]
    fn summary_lines() {
        let counts = Counts {
            total: 398,
            caught: 350,
            missed: 0,
            unviable: 48,
            timeout: 0,
        };
        let text = summary_text(&counts, 2);
        assert!(
            text.contains("\ncaught            350   a test failed\n"),
            "{text}"
        );
        assert!(text.contains("\nequivalent          2   "), "{text}");
        assert!(text.ends_with('\n'));
    }
}
