//! `cargo xtask browser-check`: the built book in a real browser.
//!
//! Debian's Chromium (never a browser that a library downloads), driven by
//! playwright-core from the npm registry, pinned in `xtask/browser/package.json`
//! and `package-lock.json` and installed with `npm ci` into
//! `target/browser-check-runner/`. The checks themselves are in
//! `xtask/browser/check.mjs`; docs/tooling.md lists them.

use crate::{Failure, Result, book, fail, run_command};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files of the runner, copied into `target/browser-check-runner/`.
const RUNNER_FILES: [&str; 3] = ["package.json", "package-lock.json", "check.mjs"];

/// The oldest Node.js that playwright-core supports (its `engines`).
const NODE_MAJOR: u32 = 20;

/// Where the screenshots go, relative to the repository.
pub const OUT_DIR: &str = "target/browser-check";

/// The options of `browser-check`.
pub struct Options {
    /// Report, without failing, the two bars that wait for the chapters'
    /// rewrite (issue 9): a chapter whose code is more than 25% of its height
    /// with the `<details>` closed, and a display equation wider than the
    /// text column at 1280 px.
    pub chapter_bars_report_only: bool,
}

impl Options {
    /// `--chapter-bars-report-only`, or `BROWSER_CHECK_CHAPTER_BARS=report`.
    pub fn parse(args: &[String]) -> Result<Self> {
        let mut report_only =
            std::env::var("BROWSER_CHECK_CHAPTER_BARS").is_ok_and(|v| v == "report");
        for arg in args {
            match arg.as_str() {
                "--chapter-bars-report-only" => report_only = true,
                other => fail!("`browser-check` takes --chapter-bars-report-only, not `{other}`"),
            }
        }
        Ok(Self {
            chapter_bars_report_only: report_only,
        })
    }
}

/// Run the browser check on the book already built in `target/book/`.
pub fn check(root: &Path, options: &Options) -> Result {
    let dir = book::build_dir(root)?;
    if !dir.join("index.html").is_file() {
        fail!(
            "{} holds no built book: run `cargo xtask book` first",
            dir.display()
        );
    }
    let chromium = chromium()?;
    node_version()?;
    let runner = install_runner(root)?;
    let api_docs = api_docs(root)?;
    // The Pages job builds with MDBOOK_OUTPUT__HTML__SITE_URL: check what it built.
    let site_url = match std::env::var("MDBOOK_OUTPUT__HTML__SITE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => book::book_toml_value(root, "output.html", "site-url")?.unwrap_or_else(|| "/".into()),
    };
    let mut cmd = Command::new("node");
    cmd.current_dir(&runner)
        .arg("check.mjs")
        .arg("--book")
        .arg(&dir)
        .arg("--src")
        .arg(root.join("book"))
        .arg("--out")
        .arg(root.join(OUT_DIR))
        .arg("--chromium")
        .arg(&chromium)
        .args(["--site-url", &site_url])
        .arg("--api-docs")
        .arg(&api_docs);
    if options.chapter_bars_report_only {
        cmd.arg("--report-only");
    }
    run_command(&mut cmd)
}

/// `cargo doc --no-deps` with the rustdoc flags of `.cargo/config.toml`
/// (`--html-in-header katex-header.html`: a `RUSTDOCFLAGS` of the caller
/// would replace them, so it is removed here). Returns the crate's directory
/// of the docs, whose pages the browser check opens too.
fn api_docs(root: &Path) -> Result<PathBuf> {
    let mut doc = crate::cargo();
    doc.current_dir(root)
        .args(["doc", "--no-deps", "--package", "softmax-cross-entropy"])
        .env_remove("RUSTDOCFLAGS")
        .env_remove("CARGO_ENCODED_RUSTDOCFLAGS");
    run_command(&mut doc)?;
    let dir = root
        .join("target")
        .join("doc")
        .join("softmax_cross_entropy");
    if !dir.join("index.html").is_file() {
        fail!("`cargo doc` wrote no {}", dir.join("index.html").display());
    }
    Ok(dir)
}

/// Chromium: `$CHROMIUM`, else the first of Debian's and Ubuntu's names on PATH.
fn chromium() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    fail!(
        "no Chromium found: install Debian's (`apt-get install chromium`, which .ci/run does) \
         or set CHROMIUM to a Chromium or Chrome executable"
    )
}

/// Node.js must be at least `NODE_MAJOR`.
fn node_version() -> Result {
    let output = Command::new("node")
        .arg("--version")
        .output()
        .map_err(|error| {
            Failure(format!(
                "cannot run `node` ({error}): the browser check needs Node.js {NODE_MAJOR} or later"
            ))
        })?;
    let version = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let major: Option<u32> = version
        .trim_start_matches('v')
        .split('.')
        .next()
        .and_then(|m| m.parse().ok());
    match major {
        Some(major) if major >= NODE_MAJOR => Ok(()),
        _ => fail!(
            "`node --version` says `{version}`: the browser check needs Node.js {NODE_MAJOR} or later"
        ),
    }
}

/// Copy the runner into `target/browser-check-runner/` and `npm ci` there
/// unless the installed lock file is the committed one. Returns the directory.
fn install_runner(root: &Path) -> Result<PathBuf> {
    let source = root.join("xtask").join("browser");
    let runner = root.join("target").join("browser-check-runner");
    std::fs::create_dir_all(&runner)
        .map_err(|error| Failure(format!("cannot create {}: {error}", runner.display())))?;
    for name in RUNNER_FILES {
        std::fs::copy(source.join(name), runner.join(name)).map_err(|error| {
            Failure(format!(
                "cannot copy {name} into {}: {error}",
                runner.display()
            ))
        })?;
    }
    let lock = read(&runner.join("package-lock.json"))?;
    let stamp = runner
        .join("node_modules")
        .join(".xtask-installed-lock.json");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(lock.as_str()) {
        eprintln!("browser-check: playwright-core already installed (package-lock.json unchanged)");
        return Ok(runner);
    }
    let mut npm = Command::new("npm");
    npm.current_dir(&runner)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        // playwright-core downloads nothing, but be explicit: no browser download.
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    run_command(&mut npm)?;
    std::fs::write(&stamp, lock)
        .map_err(|error| Failure(format!("cannot write {}: {error}", stamp.display())))?;
    Ok(runner)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))
}
