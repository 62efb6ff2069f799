//! Building, serving, opening and testing the book.

use crate::{Failure, Result, cargo, checks, fail, run_command, show, tools};
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The book's build directory, `[build] build-dir` of book.toml (`target/book`).
pub fn build_dir(root: &Path) -> Result<PathBuf> {
    Ok(match book_toml_value(root, "build", "build-dir")? {
        Some(value) => root.join(value),
        None => root.join("book"), // mdbook's default
    })
}

/// A string value of book.toml: `key = "value"` in the table `[table]`
/// (enough TOML for the book's own file: one key per line, basic strings).
pub fn book_toml_value(root: &Path, table: &str, key: &str) -> Result<Option<String>> {
    let path = root.join("book.toml");
    let text = std::fs::read_to_string(&path)
        .map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            current = line
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned();
        } else if current == table
            && let Some((name, value)) = line.split_once('=')
            && name.trim() == key
        {
            return Ok(Some(value.trim().trim_matches('"').to_owned()));
        }
    }
    Ok(None)
}

/// `mdbook` from target/tools/bin, with that directory first in PATH.
fn mdbook(root: &Path) -> Result<Command> {
    let bin = tools::ensure(root)?;
    let mut cmd = Command::new(bin.join(format!("mdbook{}", std::env::consts::EXE_SUFFIX)));
    cmd.current_dir(root)
        .env("PATH", tools::path_with_tools(root)?)
        .env("RUST_LOG", katex_log_filter());
    Ok(cmd)
}

/// The log filter of mdbook-katex (it reads `RUST_LOG`; mdbook itself reads
/// `MDBOOK_LOG`). mdbook-katex 0.10.0 was compiled against mdbook 0.5.3 and
/// warns on every run under mdbook 0.5.4 (from its `main`, log target
/// `mdbook_katex`), which a newcomer can only ignore: that target logs
/// errors only. Its renderer (`mdbook_katex::render`, where a formula that
/// KaTeX cannot parse is logged as "Rendering failed") keeps its warnings,
/// which fail the build. A `RUST_LOG` of the caller comes first, so these
/// two directives win for their targets.
fn katex_log_filter() -> String {
    const OURS: &str = "mdbook_katex=error,mdbook_katex::render=info";
    match std::env::var("RUST_LOG") {
        Ok(theirs) if !theirs.trim().is_empty() => format!("{theirs},{OURS}"),
        _ => format!("info,{OURS}"),
    }
}

/// A log line of `mdbook build` that must fail the build. mdbook-katex logs
/// a formula it cannot render as a WARN and leaves its source in the page;
/// mdbook logs a missing preprocessor or a broken `{{#include}}` as WARN or
/// ERROR. None is tolerated (mdbook-katex's version warning is filtered out
/// at its source, see `katex_log_filter`).
fn is_bad_log_line(line: &str) -> bool {
    let line = strip_ansi(line);
    line.contains(" WARN") || line.contains("ERROR") || line.contains("Rendering failed")
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Build the book, check its links, print and return index.html's path.
pub fn build(root: &Path) -> Result<PathBuf> {
    let mut cmd = mdbook(root)?;
    cmd.arg("build").stderr(Stdio::piped());
    let shown = show(&cmd);
    eprintln!("$ {shown}");
    let mut child = cmd
        .spawn()
        .map_err(|error| Failure(format!("could not start `{shown}`: {error}")))?;
    let mut bad_lines = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line =
                line.map_err(|error| Failure(format!("reading mdbook's output: {error}")))?;
            eprintln!("{line}");
            if is_bad_log_line(&line) {
                bad_lines.push(strip_ansi(&line));
            }
        }
    }
    let status = child
        .wait()
        .map_err(|error| Failure(format!("waiting for `{shown}`: {error}")))?;
    if !status.success() {
        fail!("`{shown}` failed ({status})");
    }
    if !bad_lines.is_empty() {
        fail!(
            "`{shown}` logged {} warning(s)/error(s); the book must build cleanly:\n  {}",
            bad_lines.len(),
            bad_lines.join("\n  ")
        );
    }
    let dir = build_dir(root)?;
    checks::links(&dir)?;
    plain_text_search_index(root, &dir)?;
    let index = dir.join("index.html");
    if !index.is_file() {
        fail!("mdbook succeeded but {} does not exist", index.display());
    }
    println!("{}", index.display());
    Ok(index)
}

/// Replace the search index of the book built in `built` by that of a second
/// build, without KaTeX, of a copy of the chapters in which every formula is
/// its TeX once as text and no hidden line of a Rust block is left
/// (`search_text`). The copy is in `target/search-text/`, with `src/` beside
/// it for the chapters' `{{#include ../src/…}}`.
fn plain_text_search_index(root: &Path, built: &Path) -> Result {
    let work = root.join("target").join("search-text");
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .map_err(|error| Failure(format!("cannot remove {}: {error}", work.display())))?;
    }
    copy_tree(&root.join("book"), &work.join("book"), true)?;
    let summary = std::fs::read_to_string(root.join("book").join("SUMMARY.md"))
        .map_err(|error| Failure(format!("cannot read book/SUMMARY.md: {error}")))?;
    let chapters = crate::search_text::numbered_chapters(&summary);
    for (page, prefix) in [
        ("errata.md", "Errata for"),
        ("traceability.md", "Traced in"),
    ] {
        let path = work.join("book").join(page);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let text = crate::search_text::without_chapter_headings(&text, prefix, &chapters);
            std::fs::write(&path, text)
                .map_err(|error| Failure(format!("cannot write {}: {error}", path.display())))?;
        }
    }
    copy_tree(&root.join("src"), &work.join("src"), false)?;
    let out = work.join("out");
    let mut cmd = mdbook(root)?;
    cmd.arg("build")
        .env("MDBOOK_BOOK__SRC", work.join("book"))
        .env("MDBOOK_BUILD__BUILD_DIR", &out)
        .env("MDBOOK_PREPROCESSOR__KATEX__RENDERERS", r#"["none"]"#)
        .stdout(Stdio::null());
    let shown = show(&cmd);
    let output = cmd
        .output()
        .map_err(|error| Failure(format!("could not start `{shown}`: {error}")))?;
    let log = String::from_utf8_lossy(&output.stderr);
    let bad: Vec<String> = log
        .lines()
        .filter(|l| is_bad_log_line(l))
        .map(strip_ansi)
        .collect();
    if !output.status.success() || !bad.is_empty() {
        fail!("the plain-text build of the search index failed (`{shown}`):\n{log}");
    }
    let ours = crate::search_text::index_file(&out)?;
    let theirs = crate::search_text::index_file(built)?;
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))
    };
    let (plain, rendered) = (read(&ours)?, read(&theirs)?);
    // The same sections in the same order: only the ids of headings with
    // maths differ (mdBook derives them from the heading's text), so the
    // rendered book's addresses replace the plain build's.
    let (plain_urls, urls) = (
        crate::search_text::doc_urls(&plain)?,
        crate::search_text::doc_urls(&rendered)?,
    );
    let pages = |urls: &str| -> Vec<String> {
        urls.split(',')
            .map(|u| u.split('#').next().unwrap_or_default().to_owned())
            .collect()
    };
    if pages(plain_urls) != pages(urls) {
        fail!(
            "the plain-text build of the search index has other sections than the book \
             ({} and {})",
            ours.display(),
            theirs.display()
        );
    }
    let plain = plain.replacen(plain_urls, urls, 1);
    std::fs::write(&theirs, plain)
        .map_err(|error| Failure(format!("cannot write {}: {error}", theirs.display())))?;
    eprintln!(
        "search index: each formula once as text, no hidden line of a test block ({})",
        theirs.display()
    );
    Ok(())
}

/// Copy the files of `from` into `to` recursively; with `chapters`, every
/// `.md` file as `search_text::chapter` of it.
fn copy_tree(from: &Path, to: &Path, chapters: bool) -> Result {
    std::fs::create_dir_all(to)
        .map_err(|error| Failure(format!("cannot create {}: {error}", to.display())))?;
    let entries = std::fs::read_dir(from)
        .map_err(|error| Failure(format!("cannot list {}: {error}", from.display())))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target, chapters)?;
        } else if chapters && path.extension().is_some_and(|e| e == "md") {
            let text = std::fs::read_to_string(&path)
                .map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))?;
            std::fs::write(&target, crate::search_text::chapter(&text))
                .map_err(|error| Failure(format!("cannot write {}: {error}", target.display())))?;
        } else {
            std::fs::copy(&path, &target)
                .map_err(|error| Failure(format!("cannot copy {}: {error}", path.display())))?;
        }
    }
    Ok(())
}

/// Open `index` in a browser if one is available, else only say where it is.
pub fn open(index: &Path) -> Result {
    let mut candidates: Vec<Command> = Vec::new();
    if let Some(browser) = std::env::var_os("BROWSER").filter(|b| !b.is_empty()) {
        candidates.push(Command::new(browser));
    }
    if cfg!(target_os = "macos") {
        candidates.push(Command::new("open"));
    } else if cfg!(windows) {
        let mut start = Command::new("cmd");
        start.args(["/C", "start", ""]);
        candidates.push(start);
    } else {
        for opener in ["xdg-open", "sensible-browser", "x-www-browser"] {
            candidates.push(Command::new(opener));
        }
    }
    for mut cmd in candidates {
        // An opener that finds no browser says so in its own words (Debian's
        // sensible-browser: "Couldn't find a suitable web browser!"): only
        // the message below is shown, once, whatever was tried.
        cmd.arg(index)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Ok(status) = cmd.status()
            && status.success()
        {
            eprintln!("opened {} with `{}`", index.display(), show(&cmd));
            return Ok(());
        }
    }
    eprintln!(
        "no web browser to open it with here: open {} in yours",
        index.display()
    );
    Ok(())
}

/// `mdbook serve` with the pinned tools; `args` go to mdbook (e.g. `--open`).
pub fn serve(root: &Path, args: &[String]) -> Result {
    let mut cmd = mdbook(root)?;
    cmd.arg("serve").args(args);
    run_command(&mut cmd)
}

/// The target directory of `book-test`: only `cargo test --no-run` builds
/// there, so its deps/ holds one rlib per crate (target/debug/deps also gets
/// the rmeta files of clippy and rustdoc, and builds with other feature sets,
/// and then rustdoc stops with E0464 "multiple candidates for rlib").
pub const BOOK_TEST_TARGET: &str = "target/book-test";

/// `cargo test --no-run --target-dir target/book-test`, then
/// `mdbook test -L target/book-test/debug/deps`.
pub fn test(root: &Path) -> Result {
    let mut build = cargo();
    build
        .current_dir(root)
        .args([
            "test",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .args(["--target-dir", BOOK_TEST_TARGET])
        .stdout(Stdio::piped());
    let shown = show(&build);
    eprintln!("$ {shown}");
    let output = build
        .spawn()
        .and_then(|child| child.wait_with_output())
        .map_err(|error| Failure(format!("could not run `{shown}`: {error}")))?;
    if !output.status.success() {
        fail!("`{shown}` failed ({})", output.status);
    }
    let deps = format!("{BOOK_TEST_TARGET}/debug/deps");
    prune_stale_libraries(&root.join(&deps), &String::from_utf8_lossy(&output.stdout))?;

    // mdbook runs in `root` and makes `-L` absolute against it.
    let mut test = mdbook(root)?;
    test.args(["test", "-L", &deps]);
    run_command(&mut test)?;
    eprintln!("book-test: the Rust code of every chapter compiled and passed");
    Ok(())
}

/// Remove from `deps` every `lib*.rlib`/`lib*.rmeta` that this build did not
/// produce (left over from a build before a dependency changed), so that
/// every crate the chapters name has exactly one candidate.
fn prune_stale_libraries(deps: &Path, cargo_json: &str) -> Result {
    let produced: HashSet<String> = cargo_json
        .lines()
        .filter(|line| line.contains(r#""reason":"compiler-artifact""#))
        .flat_map(json_filenames)
        .filter_map(|path| Some(Path::new(&path).file_name()?.to_string_lossy().into_owned()))
        .collect();
    if produced.is_empty() {
        fail!("cargo reported no artifacts: cannot tell the current libraries from stale ones");
    }
    let entries = std::fs::read_dir(deps)
        .map_err(|error| Failure(format!("cannot list {}: {error}", deps.display())))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let library =
            name.starts_with("lib") && (name.ends_with(".rlib") || name.ends_with(".rmeta"));
        if library && !produced.contains(&name) {
            eprintln!("book-test: removing stale {name}");
            std::fs::remove_file(entry.path()).map_err(|error| {
                Failure(format!("cannot remove {}: {error}", entry.path().display()))
            })?;
        }
    }
    Ok(())
}

/// The strings of the `"filenames":[...]` array of one line of cargo's JSON.
fn json_filenames(line: &str) -> Vec<String> {
    let Some(start) = line.find(r#""filenames":["#) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut chars = line[start + r#""filenames":["#.len()..].chars();
    loop {
        match chars.next() {
            Some('"') => {
                let mut name = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some('n') => name.push('\n'),
                            Some('t') => name.push('\t'),
                            Some('u') => {
                                let hex: String = chars.by_ref().take(4).collect();
                                if let Some(c) =
                                    u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)
                                {
                                    name.push(c);
                                }
                            }
                            Some(c) => name.push(c),
                            None => break,
                        },
                        c => name.push(c),
                    }
                }
                names.push(name);
            }
            Some(',') | Some(' ') => {}
            _ => break, // ']' or the end
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_of_a_cargo_message() {
        let line = r#"{"reason":"compiler-artifact","filenames":["/t/deps/liba-1.rlib","/t/deps/liba-1.rmeta","C:\\x\\lib\"q.rlib"],"executable":null}"#;
        assert_eq!(
            json_filenames(line),
            [
                "/t/deps/liba-1.rlib",
                "/t/deps/liba-1.rmeta",
                "C:\\x\\lib\"q.rlib"
            ]
        );
        assert!(json_filenames(r#"{"reason":"build-finished","success":true}"#).is_empty());
    }

    #[test]
    fn log_lines() {
        assert!(is_bad_log_line(
            "\u{1b}[2m2026\u{1b}[0m \u{1b}[33m WARN\u{1b}[0m mdbook_katex: Rendering failed, keeping the original content"
        ));
        assert!(is_bad_log_line(
            "ERROR Unable to run the preprocessor `katex`"
        ));

        assert!(!is_bad_log_line(" INFO Book building has started"));
    }
}
