//! `cargo xtask`: the book's and the repository's chores.
//!
//! No dependencies, so that it compiles in seconds. Every expected failure
//! (a tool missing, a command failing, a broken link) is reported as a
//! message and a non-zero exit code, never as a panic.

mod bench;
mod book;
mod browser;
mod checks;
mod html;
mod mutants;
mod search_text;
mod tools;

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

const HELP: &str = "\
cargo xtask <command>

Commands:
  book [--open]        install the pinned tools if needed, build the book into
                       target/book/, check its links, print the path of
                       index.html (--open: also open it in a browser, if there
                       is one)
  book --serve [ARGS]  `mdbook serve` with the pinned tools (ARGS go to mdbook)
  book-test            build the crate and its dev-dependencies into
                       target/book-test/, then
                       `mdbook test -L target/book-test/debug/deps`
  tools                only install the pinned tools into target/tools/
  check-links          check the links of the built book (target/book/)
  browser-check [--chapter-bars-report-only]
                       open every page of the built book in headless Chromium
                       at 1280x900 and 390x844 with every request outside the
                       book blocked: no sideways scrolling, no equation number
                       over a formula, KaTeX and its fonts, images, search,
                       equation anchors, the 404 page below the site root,
                       figure text size; and the chapter bars: code at most
                       25% of each chapter's height, no display equation
                       wider than the column at 1280 px
                       (--chapter-bars-report-only or
                       BROWSER_CHECK_CHAPTER_BARS=report: only report these);
                       screenshots in target/browser-check/
  bless                BLESS=1 cargo test --test suite -- artifacts
  accuracy [CASES]     ACCURACY_CASES=CASES (default 100000) cargo test --release
                       --test suite -- accuracy: every accuracy property against
                       the high-precision oracle with many more cases, and the
                       batch of 2^24 + 2^22 rows
  mutants [ARGS]       install the pinned cargo-mutants into target/tools/ if
                       needed and run it over src/ with the whole test suite
                       (.cargo/mutants.toml; over an hour on 2 cores); fails on
                       any missed mutant; writes mutants-summary.txt and its
                       copy in book/mutation-testing.md (ARGS go to
                       cargo-mutants, e.g. --file src/softmax.rs; a run that
                       ARGS filter leaves the summary as it is)
  mutants --book-only [ARGS]
                       the same mutants with only the book's Rust blocks as
                       the tests, to count what the book alone catches
                       (writes no summary, does not fail on missed mutants)
  equation-mutants     make typos in every display equation of the book (swap
                       an index, flip a sign, change a sum's bound, drop a
                       term, swap a fraction, move a subscript) and check that
                       the equation check catches each one, apart from the
                       proved-equivalent ones in
                       tests/suite/equations/equivalent-mutants.txt; prints
                       the counts (a few seconds)
  bench [--peers] [--quick] [--replot]
                       every side in one run, pinned to one core (taskset -c
                       0, or BENCH_CORE), wall clock, median and spread of 7
                       samples of about 0.2 s per case: the kernels
                       (`benches/`), and with --peers candle 0.9
                       (`benches/candle/`, its own workspace), NumPy and
                       jax.jit (`benches/peers.py`, in target/peers-venv,
                       pinned by benches/requirements.txt; needs python3 and
                       PyPI). A full --peers run writes the artifact
                       book/benchmarks/run.tsv and kernels.tsv, the table
                       book/benchmarks/kernels.md (also spliced into
                       book/fast-kernel.md) and the plot kernels.svg; --quick
                       (5 samples of 0.02 s) or no --peers writes them to
                       target/bench/ instead. --replot: only redraws the
                       table and plot from the artifact, measuring nothing
  kernel-accuracy      the opt-in accuracy runs of the kernels' exp and ln_1p:
                       every f32 input, ten million f64 inputs, ln_1p on every
                       f32 of its domain, the short exp against the full one
                       (release mode; about 25 minutes on 2 cores)
  ci                   the whole CI sequence (what .ci/run runs)
  help                 this text
";

/// An expected failure: a message for the user, and exit code 1.
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub type Result<T = ()> = std::result::Result<T, Failure>;

/// `return Err(Failure(format!(...)))`.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => {
        return Err($crate::Failure(format!($($arg)*)))
    };
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("cargo xtask: error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result {
    let root = repo_root();
    let (command, rest) = match args.split_first() {
        Some((command, rest)) => (command.as_str(), rest),
        None => {
            print!("{HELP}");
            return Ok(());
        }
    };
    match command {
        "book" => match rest.first().map(String::as_str) {
            None => book::build(&root).map(drop),
            Some("--open") if rest.len() == 1 => book::open(&book::build(&root)?),
            Some("--serve") => book::serve(&root, &rest[1..]),
            Some(other) => fail!("`book` takes --open or --serve, not `{other}`\n\n{HELP}"),
        },
        "book-test" => no_args(command, rest).and_then(|()| book::test(&root)),
        "tools" => no_args(command, rest).and_then(|()| tools::ensure(&root).map(drop)),
        "check-links" => {
            no_args(command, rest)?;
            checks::links(&book::build_dir(&root)?)
        }
        "browser-check" => browser::check(&root, &browser::Options::parse(rest)?),
        "bless" => {
            no_args(command, rest)?;
            let mut cmd = cargo();
            cmd.current_dir(&root).env("BLESS", "1").args([
                "test",
                "--test",
                "suite",
                "--",
                "artifacts",
            ]);
            run_command(&mut cmd)
        }
        "accuracy" => {
            let cases = match rest {
                [] => "100000",
                [n] if n.parse::<u32>().is_ok() => n.as_str(),
                _ => fail!("`accuracy` takes at most one argument, a case count"),
            };
            let mut cmd = cargo();
            cmd.current_dir(&root).env("ACCURACY_CASES", cases).args([
                "test",
                "--release",
                "--test",
                "suite",
                "--",
                "accuracy",
            ]);
            run_command(&mut cmd)
        }
        "mutants" => mutants::run(&root, rest),
        "bench" => bench::run(&root, rest),
        "equation-mutants" => {
            no_args(command, rest)?;
            let mut cmd = cargo();
            cmd.current_dir(&root).args([
                "test",
                "--test",
                "suite",
                "--",
                "--ignored",
                "--exact",
                "equations::equation_mutants",
                "--nocapture",
            ]);
            run_command(&mut cmd)
        }
        "kernel-accuracy" => {
            no_args(command, rest)?;
            let mut cmd = cargo();
            cmd.current_dir(&root).args([
                "test",
                "--release",
                "--test",
                "suite",
                "--",
                "--ignored",
                "--nocapture",
                "vector_math::",
            ]);
            run_command(&mut cmd)
        }
        "ci" => no_args(command, rest).and_then(|()| ci(&root)),
        "help" | "--help" | "-h" => {
            print!("{HELP}");
            Ok(())
        }
        other => fail!("unknown command `{other}`\n\n{HELP}"),
    }
}

fn no_args(command: &str, rest: &[String]) -> Result {
    match rest.first() {
        None => Ok(()),
        Some(arg) => fail!("`{command}` takes no arguments (got `{arg}`)"),
    }
}

/// The repository root: the parent of this package's directory.
fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The cargo that runs us (so that `cargo +toolchain xtask` stays on that toolchain).
pub fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo")))
}

/// Echo a command, run it with inherited stdio, and fail unless it succeeds.
pub fn run_command(cmd: &mut Command) -> Result {
    let shown = show(cmd);
    eprintln!("$ {shown}");
    match cmd.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => fail!("`{shown}` failed ({status})"),
        Err(error) => fail!("could not start `{shown}`: {error}"),
    }
}

/// A command as a shell-like line, with its environment assignments (not PATH).
pub fn show(cmd: &Command) -> String {
    let mut parts: Vec<String> = cmd
        .get_envs()
        .filter(|(key, _)| *key != "PATH")
        .filter_map(|(key, value)| {
            let value = value?.to_string_lossy();
            let value = if value.contains(' ') {
                format!("'{value}'")
            } else {
                value.into_owned()
            };
            Some(format!("{}={value}", key.to_string_lossy()))
        })
        .collect();
    let program = Path::new(cmd.get_program());
    // `$CARGO` is an absolute path into the toolchain: show it as `cargo`.
    let program = match program.file_stem() {
        Some(stem) if stem == "cargo" => "cargo".to_owned(),
        _ => program.to_string_lossy().into_owned(),
    };
    parts.push(program);
    parts.extend(cmd.get_args().map(|arg| arg.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// The CI sequence of .ci/run (after `rustup component add rustfmt clippy`).
/// Every step runs even if an earlier one failed (except the book steps,
/// which need the tools); the summary lists the failures.
fn ci(root: &Path) -> Result {
    type Step = (&'static str, fn(&Path) -> Result);
    let steps: [Step; 8] = [
        ("cargo xtask tools", |root| tools::ensure(root).map(drop)),
        ("cargo test", |root| {
            run_command(cargo().current_dir(root).arg("test"))
        }),
        ("cargo xtask book-test", book::test),
        ("cargo xtask book", |root| book::build(root).map(drop)),
        ("cargo xtask browser-check", |root| {
            browser::check(
                root,
                &browser::Options {
                    chapter_bars_report_only: false,
                },
            )
        }),
        (
            "cargo clippy --workspace --all-targets -- -D warnings",
            |root| {
                run_command(cargo().current_dir(root).args([
                    "clippy",
                    "--workspace",
                    "--all-targets",
                    "--",
                    "-D",
                    "warnings",
                ]))
            },
        ),
        ("cargo fmt --all -- --check", |root| {
            run_command(
                cargo()
                    .current_dir(root)
                    .args(["fmt", "--all", "--", "--check"]),
            )
        }),
        ("RUSTDOCFLAGS='-D warnings' cargo doc --no-deps", |root| {
            run_command(
                cargo()
                    .current_dir(root)
                    .env("RUSTDOCFLAGS", "-D warnings")
                    .args(["doc", "--no-deps"]),
            )
        }),
    ];
    let mut summary = Vec::new();
    let mut tools_ok = true;
    let mut book_ok = true;
    for (name, step) in steps {
        let needs_tools = name.contains("book");
        if needs_tools && !tools_ok {
            summary.push((name, "skipped (no tools)".to_owned()));
            continue;
        }
        if name.contains("browser-check") && !book_ok {
            summary.push((name, "skipped (no book)".to_owned()));
            continue;
        }
        eprintln!("\n=== {name}");
        let start = Instant::now();
        let outcome = step(root);
        let seconds = start.elapsed().as_secs_f64();
        let line = match outcome {
            Ok(()) => format!("ok      {seconds:7.1} s"),
            Err(Failure(message)) => {
                eprintln!("cargo xtask ci: `{name}` failed: {message}");
                if name == "cargo xtask tools" {
                    tools_ok = false;
                }
                if name == "cargo xtask book" {
                    book_ok = false;
                }
                format!("FAILED  {seconds:7.1} s")
            }
        };
        summary.push((name, line));
    }
    eprintln!("\n=== summary");
    for (name, line) in &summary {
        eprintln!("{line:24}  {name}");
    }
    let failed = summary
        .iter()
        .filter(|(_, line)| !line.starts_with("ok"))
        .count();
    if failed > 0 {
        fail!("{failed} CI step(s) failed or were skipped");
    }
    Ok(())
}
