//! The traceability appendix `book/traceability.md`, generated from the
//! sources, and the checks that keep the book, `src/` and the tests in step.
//!
//! Inputs, following `CONTRIBUTING.md`:
//!
//! - the chapters listed in `book/SUMMARY.md`: an *equation section* starts at
//!   an anchor `<a id="eq-NAME"></a>` right before a `$$ … \tag{X.Y} $$`
//!   display and runs to the next equation anchor or the end of the chapter;
//!   its functions are the `{{#include ../src/FILE.rs:ANCHOR}}` lines of its
//!   code blocks, its tests the `<a id="test-NAME"></a>` anchors, each right
//!   before a runnable ```` ```rust ```` block (inside a `<details>` block or
//!   not);
//! - `src/**/*.rs`: every `pub fn` reachable from the crate root (modules
//!   declared `pub mod` in `lib.rs` and their `pub mod` submodules, inline or
//!   in their own files, and functions re-exported by `pub use`), and the
//!   `// ANCHOR:` regions;
//! - `tests/suite/**/*.rs` (except this `artifacts` module): the `#[test]`
//!   functions and the library functions they reach, directly or through
//!   helper functions and `macro_rules!` macros of the same file or of
//!   `common.rs`.
//!
//! The chapters are parsed with pulldown-cmark (submodule `markdown`) and the
//! Rust code with `syn` (submodule `rust`, which also says how macro
//! invocations are read). What remains here is the project's own rules:
//! which anchors mark what, which blocks are tests, which functions are
//! traced, and the consistency checks. Every check has a self-test below
//! that makes it fail on small in-memory sources.
//!
//! The parsed equations are available to other checks of the suite through
//! [`equations`] (the LaTeX of each display with its anchor, chapter, tag,
//! functions and tests), and [`Trace::markdown_with`] adds a column to the
//! equation tables of the appendix.

mod markdown;
mod rust;

use super::{blessing, check_or_bless, root};
use markdown::Block;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

/// The generated appendix, relative to the crate root.
const APPENDIX: &str = "book/traceability.md";

/// Public functions deliberately left out of the table: `(path, reason)`.
/// Keep this list tiny; every entry is a function nobody has to test.
const NOT_TRACED: &[(&str, &str)] = &[];

// ---------------------------------------------------------------------------
// The library

/// A public function of the library.
#[derive(Debug, Clone)]
struct PubFn {
    /// The path from the crate root, e.g. `jacobian::steps::diagonal_factored`
    /// (for a function of a private module, the path of its re-export).
    path: String,
    /// The source file, relative to `src/`, and the line of its name.
    file: String,
    line: usize,
}

/// The library: its public functions, the paths that name them, and its
/// include anchors.
#[derive(Debug, Default)]
struct Library {
    functions: Vec<PubFn>,
    /// Every public path of a function (its own and those of `pub use`
    /// re-exports) → the path it is listed under.
    known: BTreeMap<String, String>,
    /// `(file, anchor) → Ok(function path) or Err(what is wrong)`.
    anchors: BTreeMap<(String, String), Result<String, String>>,
    /// Files that do not parse, modules without a file.
    problems: Vec<String>,
}

impl Library {
    /// Parse the files of `src/`: `files` maps a path relative to `src/`
    /// (such as `softmax.rs` or `jacobian/steps.rs`) to its text.
    fn parse(files: &BTreeMap<String, String>) -> Self {
        let (functions, known, problems) = rust::library(files);
        let mut lib = Library {
            functions,
            known,
            anchors: BTreeMap::new(),
            problems,
        };
        for (file, text) in files {
            lib.anchor_regions(file, text);
        }
        lib
    }

    /// The `// ANCHOR: NAME` … `// ANCHOR_END: NAME` regions of a file (the
    /// comment lines of mdBook's include syntax, which `syn` drops), each
    /// mapped to the one public function whose name lies inside it.
    fn anchor_regions(&mut self, file: &str, text: &str) {
        let by_line: BTreeMap<usize, &str> = self
            .functions
            .iter()
            .filter(|f| f.file == file)
            .map(|f| (f.line, f.path.as_str()))
            .collect();
        let mut open: BTreeMap<String, usize> = BTreeMap::new();
        let mut regions: BTreeMap<String, Result<(usize, usize), String>> = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let trimmed = line.trim();
            if let Some(name) = trimmed.strip_prefix("// ANCHOR:") {
                open.insert(name.trim().to_string(), line_no);
            } else if let Some(name) = trimmed.strip_prefix("// ANCHOR_END:") {
                let name = name.trim().to_string();
                let region = match open.remove(&name) {
                    Some(start) => Ok((start, line_no)),
                    None => Err(format!(
                        "`// ANCHOR_END: {name}` without `// ANCHOR: {name}` in src/{file}"
                    )),
                };
                regions.insert(name, region);
            }
        }
        for (name, start) in open {
            regions.insert(
                name.clone(),
                Err(format!(
                    "`// ANCHOR: {name}` (line {start}) has no `// ANCHOR_END: {name}` in src/{file}"
                )),
            );
        }
        for (name, region) in regions {
            let target = region.and_then(|(start, end)| {
                let inside: Vec<&str> = by_line.range(start..=end).map(|(_, p)| *p).collect();
                match inside.as_slice() {
                    [one] => Ok(one.to_string()),
                    [] => Err(format!(
                        "anchor `{name}` of src/{file} wraps no public function"
                    )),
                    _ => Err(format!(
                        "anchor `{name}` of src/{file} wraps several public functions"
                    )),
                }
            });
            self.anchors.insert((file.to_string(), name), target);
        }
    }
}

// ---------------------------------------------------------------------------
// The book

/// A test block of a chapter: `<a id="test-NAME"></a>` then ```` ```rust ````.
#[derive(Debug, Clone)]
struct BookTest {
    name: String,
    chapter: String,
    /// The line of the test anchor.
    line: usize,
    code: String,
}

/// A display equation of the book, with its section: the functions the
/// section includes and its test blocks.
#[derive(Debug, Clone)]
pub(crate) struct Equation {
    /// The anchor's name: the equation's HTML id is `eq-NAME`.
    pub name: String,
    /// The chapter's file, relative to `book/` (such as `softmax.md`).
    pub chapter: String,
    /// The tag, such as `1.1` for `\tag{1.1}`.
    pub tag: Option<String>,
    /// The line of the anchor in the chapter.
    pub line: usize,
    /// The line where the display's `$$` opens.
    pub display_line: usize,
    /// The LaTeX between the `$$`, as written (tag included).
    pub latex: String,
    /// The library functions the section includes, in order, without
    /// repetition (paths from the crate root).
    pub functions: Vec<String>,
    /// The section's test blocks: names of their `test-NAME` anchors.
    pub tests: Vec<String>,
}

/// A chapter of the book.
#[derive(Debug, Clone)]
struct Chapter {
    file: String,
    title: String,
    sections: Vec<Equation>,
    /// Functions included outside any equation section.
    loose_functions: Vec<String>,
}

/// The parsed book, with the problems found while parsing.
#[derive(Debug, Default)]
struct Book {
    chapters: Vec<Chapter>,
    tests: Vec<BookTest>,
    problems: Vec<String>,
}

/// The chapters of `SUMMARY.md`, in order: `(title, file)`; the generated
/// appendix itself is left out.
fn summary_chapters(summary: &str) -> Vec<(String, String)> {
    markdown::links(summary)
        .into_iter()
        .filter(|(_, file)| file.ends_with(".md") && file != APPENDIX.trim_start_matches("book/"))
        .collect()
}

/// Whether a code block with this info string is a Rust block that rustdoc
/// and mdBook compile and run, and that passes when it returns: `rust`,
/// without `ignore`, `no_run`, `compile_fail` or `should_panic`.
fn runnable_rust(info: &str) -> bool {
    let words: Vec<&str> = info
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    words.first() == Some(&"rust")
        && !words.iter().any(|w| {
            matches!(*w, "ignore" | "no_run" | "compile_fail" | "should_panic")
                || w.starts_with("ignore-")
        })
}

/// What an anchor waits for: the equation anchor its display, the test
/// anchor its code block.
enum Pending {
    Equation(usize),
    Test(String, usize),
}

impl Book {
    /// Parse the chapters `(title, file, text)` against the library.
    fn parse(chapters: &[(String, String, String)], lib: &Library) -> Self {
        let mut book = Book::default();
        let mut eq_names = BTreeMap::new();
        let mut test_names = BTreeMap::new();
        let mut tags = BTreeMap::new();
        for (title, file, text) in chapters {
            let mut chapter = Chapter {
                file: file.clone(),
                title: title.clone(),
                sections: Vec::new(),
                loose_functions: Vec::new(),
            };
            let at = |line: usize| format!("book/{file}:{line}");
            let mut pending: Option<Pending> = None;
            // Anything but the awaited block ends the wait with a problem.
            let unmet = |pending: Option<Pending>, problems: &mut Vec<String>| match pending {
                Some(Pending::Equation(line)) => problems.push(format!(
                    "{}: the equation anchor is not followed by a $$ display equation",
                    at(line)
                )),
                Some(Pending::Test(name, line)) => problems.push(format!(
                    "{}: test anchor `test-{name}` is not followed by a runnable ```rust block",
                    at(line)
                )),
                None => {}
            };
            for block in markdown::blocks(text) {
                match block {
                    Block::Anchor { id, line } => {
                        unmet(pending.take(), &mut book.problems);
                        if let Some(name) = id.strip_prefix("eq-") {
                            if let Some(first) = eq_names.insert(name.to_string(), at(line)) {
                                book.problems.push(format!(
                                    "{}: equation anchor `eq-{name}` is already used at {first}",
                                    at(line)
                                ));
                            }
                            chapter.sections.push(Equation {
                                name: name.to_string(),
                                chapter: file.clone(),
                                tag: None,
                                line,
                                display_line: 0,
                                latex: String::new(),
                                functions: Vec::new(),
                                tests: Vec::new(),
                            });
                            pending = Some(Pending::Equation(line));
                        } else if let Some(name) = id.strip_prefix("test-") {
                            if let Some(first) = test_names.insert(name.to_string(), at(line)) {
                                book.problems.push(format!(
                                    "{}: test anchor `test-{name}` is already used at {first}",
                                    at(line)
                                ));
                            }
                            pending = Some(Pending::Test(name.to_string(), line));
                        }
                    }
                    Block::Display { latex, line } => match pending.take() {
                        Some(Pending::Equation(_)) => {
                            let section = chapter.sections.last_mut().expect("just pushed");
                            let tag = latex.find("\\tag{").map(|p| {
                                let rest = &latex[p + 5..];
                                rest[..rest.find('}').unwrap_or(rest.len())].to_string()
                            });
                            match &tag {
                                Some(t) => {
                                    if let Some(first) = tags.insert(t.clone(), at(line)) {
                                        book.problems.push(format!(
                                            "{}: equation tag ({t}) is already used at {first}",
                                            at(line)
                                        ));
                                    }
                                }
                                None => book.problems.push(format!(
                                    "{}: equation `eq-{}` has no \\tag{{…}}",
                                    at(line),
                                    section.name
                                )),
                            }
                            section.tag = tag;
                            section.display_line = line;
                            section.latex = latex;
                        }
                        other => {
                            unmet(other, &mut book.problems);
                            book.problems.push(format!(
                                "{}: display equation without an equation anchor: put `<a id=\"eq-NAME\"></a>` on the line before the $$ (see CONTRIBUTING.md)",
                                at(line)
                            ));
                        }
                    },
                    Block::Code {
                        info,
                        lines,
                        line,
                        closed,
                    } => {
                        match pending.take() {
                            Some(Pending::Test(name, anchor)) if runnable_rust(&info) => {
                                book.tests.push(BookTest {
                                    name: name.clone(),
                                    chapter: file.clone(),
                                    line: anchor,
                                    code: lines
                                        .iter()
                                        .map(|(_, l)| l.as_str())
                                        .collect::<Vec<_>>()
                                        .join("\n"),
                                });
                                if let Some(section) = chapter.sections.last_mut() {
                                    section.tests.push(name);
                                }
                            }
                            other => unmet(other, &mut book.problems),
                        }
                        if !closed {
                            book.problems
                                .push(format!("{}: code block is never closed", at(line)));
                        }
                        for (n, l) in &lines {
                            if let Some(function) = book.include(l, &at(*n), lib) {
                                let list = match chapter.sections.last_mut() {
                                    Some(s) => &mut s.functions,
                                    None => &mut chapter.loose_functions,
                                };
                                if !list.contains(&function) {
                                    list.push(function);
                                }
                            }
                        }
                    }
                    Block::Include { text, line } => {
                        unmet(pending.take(), &mut book.problems);
                        book.problems.push(format!(
                            "{}: include outside a ```rs block: `{text}`",
                            at(line)
                        ));
                    }
                    Block::UnclosedDisplay { line } => {
                        unmet(pending.take(), &mut book.problems);
                        book.problems.push(format!(
                            "{}: display equation is never closed by $$ (or a blank line breaks it)",
                            at(line)
                        ));
                    }
                    Block::InsideHtml { what, line } => {
                        unmet(pending.take(), &mut book.problems);
                        book.problems.push(format!(
                            "{}: {what} inside an HTML block is not Markdown: leave a blank line after `<summary>…</summary>` and before `</details>`",
                            at(line)
                        ));
                    }
                    Block::Content { .. } => unmet(pending.take(), &mut book.problems),
                }
            }
            unmet(pending.take(), &mut book.problems);
            for s in &chapter.sections {
                if s.functions.is_empty() {
                    book.problems.push(format!(
                        "{}: equation `eq-{}` includes no library function (a ```rs block with {{{{#include ../src/FILE.rs:ANCHOR}}}})",
                        at(s.line),
                        s.name
                    ));
                }
                if s.tests.is_empty() {
                    book.problems.push(format!(
                        "{}: equation `eq-{}` has no test block (`<a id=\"test-NAME\"></a>` then a ```rust block)",
                        at(s.line),
                        s.name
                    ));
                }
            }
            book.chapters.push(chapter);
        }
        book
    }

    /// The library function named by an include line, if the line is one;
    /// records a problem when the include is malformed or names no function.
    fn include(&mut self, line: &str, at: &str, lib: &Library) -> Option<String> {
        let (directive, _) = markdown::find_include(line)?;
        let inner = directive
            .trim_end_matches("}}")
            .split_whitespace()
            .nth(1)
            .unwrap_or("");
        let Some((path, anchor)) = inner
            .strip_prefix("../src/")
            .and_then(|p| p.split_once(':'))
        else {
            self.problems.push(format!(
                "{at}: `{}` must be {{{{#include ../src/FILE.rs:ANCHOR}}}}",
                line[line.find(directive).unwrap_or(0)..].trim()
            ));
            return None;
        };
        match lib.anchors.get(&(path.to_string(), anchor.to_string())) {
            Some(Ok(function)) => Some(function.clone()),
            Some(Err(why)) => {
                self.problems.push(format!("{at}: {why}"));
                None
            }
            None => {
                self.problems.push(format!(
                    "{at}: src/{path} has no `// ANCHOR: {anchor}` … `// ANCHOR_END: {anchor}`"
                ));
                None
            }
        }
    }
}

/// The equations of the book, parsed from `book/` against `src/`: every
/// display equation that has an anchor, in the order of `SUMMARY.md`.
pub(crate) fn equations() -> Vec<Equation> {
    Trace::load()
        .book
        .chapters
        .iter()
        .flat_map(|c| c.sections.iter().cloned())
        .collect()
}

/// The chapters of `SUMMARY.md` with their text: `(title, file, text)`.
fn load_chapters(
    summary: &str,
    chapter_text: impl Fn(&str) -> String,
) -> Vec<(String, String, String)> {
    summary_chapters(summary)
        .into_iter()
        .map(|(title, file)| {
            let text = chapter_text(&file);
            (title, file, text)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// The test suite

/// The non-test functions (or macros, `name!`) called `name` of a module.
fn helpers<'a>(
    parsed: &'a BTreeMap<String, Vec<rust::SuiteFn>>,
    module: &str,
    name: &str,
) -> Vec<(&'a str, &'a rust::SuiteFn)> {
    parsed
        .get_key_value(module)
        .map(|(m, fs)| {
            fs.iter()
                .filter(|h| h.name == name && !h.is_test)
                .map(|h| (m.as_str(), h))
                .collect()
        })
        .unwrap_or_default()
}

/// For each library function, the suite tests (`file::test`) that reach it;
/// and the files that cannot be read.
fn suite_callers(
    files: &BTreeMap<String, String>,
    known: &BTreeMap<String, String>,
) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let mut problems = Vec::new();
    let mut parsed: BTreeMap<String, Vec<rust::SuiteFn>> = BTreeMap::new();
    for (file, text) in files {
        let module = file
            .trim_end_matches(".rs")
            .trim_end_matches("/mod")
            .replace('/', "::");
        match rust::suite_functions(text, known) {
            Ok(fns) => {
                parsed.insert(module, fns);
            }
            Err(e) => problems.push(format!("tests/suite/{file}: {e}")),
        }
    }
    // Follow helpers: a function (or macro) of the same file, else of `common`.
    let mut callers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, fns) in &parsed {
        for test in fns.iter().filter(|f| f.is_test) {
            let mut seen = BTreeSet::new();
            let mut todo = vec![(module.as_str(), test)];
            while let Some((m, f)) = todo.pop() {
                if !seen.insert((m, f.name.as_str())) {
                    continue;
                }
                for call in &f.calls {
                    callers
                        .entry(call.clone())
                        .or_default()
                        .insert(format!("{module}::{}", test.name));
                }
                for name in &f.helpers {
                    let local = helpers(&parsed, m, name);
                    if local.is_empty() {
                        todo.extend(helpers(&parsed, "common", name));
                    } else {
                        todo.extend(local);
                    }
                }
            }
        }
    }
    (callers, problems)
}

/// For each library function, the book test blocks that call it:
/// `(chapter, test name)`.
type BookCalls = BTreeMap<String, Vec<(String, String)>>;

/// The book test blocks that call each library function; and the blocks
/// that are not valid Rust.
fn book_callers(book: &Book, known: &BTreeMap<String, String>) -> (BookCalls, Vec<String>) {
    let mut out = BookCalls::new();
    let mut problems = Vec::new();
    for test in &book.tests {
        match rust::book_test_calls(&test.code, known) {
            Ok(calls) => {
                for call in calls {
                    out.entry(call)
                        .or_default()
                        .push((test.chapter.clone(), test.name.clone()));
                }
            }
            Err(e) => problems.push(format!(
                "book/{}:{}: test block `test-{}` is {e}",
                test.chapter, test.line, test.name
            )),
        }
    }
    (out, problems)
}

// ---------------------------------------------------------------------------
// The appendix

/// Everything the appendix and the checks need.
struct Trace {
    lib: Library,
    book: Book,
    suite: BTreeMap<String, BTreeSet<String>>,
    book_calls: BookCalls,
    /// Suite files that cannot be read.
    suite_problems: Vec<String>,
    /// [`NOT_TRACED`] (another list in the self-tests).
    not_traced: &'static [(&'static str, &'static str)],
}

/// An extra line in the equation cell of the appendix's equation tables:
/// a sentence before the tables, the line for each equation, and notes
/// after the tables.
pub(crate) struct Column<'a> {
    /// A paragraph before the tables (Markdown).
    pub header: &'a str,
    /// The extra line of an equation's cell (Markdown, without `|`).
    pub cell: &'a dyn Fn(&Equation) -> String,
    /// A section after the equation tables (Markdown; empty: none).
    pub notes: &'a str,
}

/// The files of a directory (recursively), relative to it, with `/` separators.
fn read_tree(dir: &Path, skip: &[&str]) -> BTreeMap<String, String> {
    fn walk(base: &Path, dir: &Path, skip: &[&str], out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let rel = path
                .strip_prefix(base)
                .expect("inside")
                .to_string_lossy()
                .replace('\\', "/");
            if skip.contains(&rel.as_str()) {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, skip, out);
            } else if rel.ends_with(".rs") {
                out.insert(rel, super::read(&path));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, skip, &mut out);
    out
}

impl Trace {
    fn from_sources(
        src: &BTreeMap<String, String>,
        summary: &str,
        chapter_text: impl Fn(&str) -> String,
        suite: &BTreeMap<String, String>,
    ) -> Self {
        let lib = Library::parse(src);
        let mut book = Book::parse(&load_chapters(summary, chapter_text), &lib);
        let (suite, suite_problems) = suite_callers(suite, &lib.known);
        let (book_calls, problems) = book_callers(&book, &lib.known);
        book.problems.extend(problems);
        Trace {
            lib,
            book,
            suite,
            book_calls,
            suite_problems,
            not_traced: NOT_TRACED,
        }
    }

    /// The trace of the crate's own sources, parsed once per test run (the
    /// checks below and [`equations`] share it).
    fn load() -> &'static Self {
        static TRACE: OnceLock<Trace> = OnceLock::new();
        TRACE.get_or_init(Self::read)
    }

    /// Read and parse `src/`, the chapters and `tests/suite/`.
    fn read() -> Self {
        let root = root();
        let src = read_tree(&root.join("src"), &[]);
        let suite = read_tree(&root.join("tests/suite"), &["artifacts"]);
        let summary = super::read(&root.join("book/SUMMARY.md"));
        Self::from_sources(
            &src,
            &summary,
            |file| super::read(&root.join("book").join(file)),
            &suite,
        )
    }

    fn traced(&self) -> impl Iterator<Item = &PubFn> {
        self.lib
            .functions
            .iter()
            .filter(|f| !self.not_traced.iter().any(|(p, _)| *p == f.path))
    }

    /// The suite tests of a function, grouped by file: `file::{a, b}`; only
    /// those of the file `only` if given.
    fn suite_tests(&self, function: &str, only: Option<&str>) -> String {
        let mut by_module: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for t in self.suite.get(function).into_iter().flatten() {
            let (m, name) = t.rsplit_once("::").expect("module::test");
            if only.is_none_or(|o| o == m) {
                by_module.entry(m).or_default().push(name);
            }
        }
        let groups: Vec<String> = by_module
            .iter()
            .map(|(m, names)| match names.as_slice() {
                [one] => format!("`{m}::{one}`"),
                many => format!("`{m}::{{{}}}`", many.join(", ")),
            })
            .collect();
        or_dash(groups.join(", "))
    }

    /// The suite tests of a function in a table row: their count, linked to
    /// the function's full list (under "Every suite test of a function"),
    /// so that no row is wider than the book's column.
    fn suite_cell(&self, function: &str) -> String {
        match self.suite.get(function).map_or(0, BTreeSet::len) {
            0 => "—".into(),
            // A no-break space: "5" and "tests" on one line.
            1 => format!("[1\u{a0}test](#fn-{})", slug(function)),
            count => format!("[{count}\u{a0}tests](#fn-{})", slug(function)),
        }
    }

    /// The book tests that call a function, as links.
    fn book_tests_calling(&self, function: &str) -> String {
        match self.book_calls.get(function) {
            None => "—".into(),
            Some(tests) => tests
                .iter()
                .map(|(c, t)| format!("[{t}]({c}#test-{t})"))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    /// The appendix, as Markdown.
    fn markdown(&self) -> String {
        self.markdown_with(None)
    }

    /// The appendix, with an extra line in the equation cell of each row of
    /// the equation tables if `column` is given (and its notes after them).
    ///
    /// The tables fit the book's column at 1280 px (issue 19): three
    /// columns, the suite tests as a count linked to the function's full list,
    /// which is a list (it wraps) rather than a table.
    pub(crate) fn markdown_with(&self, column: Option<&Column>) -> String {
        let mut md = String::new();
        md.push_str(
            "# Appendix: equation → function → test\n\n\
             Every display equation of the book, the library function(s) that compute it, \
             each with the number of test functions of the integration suite \
             (`tests/suite/`) that call it, directly or through a helper, linked to their \
             list, and the tests in the chapter that check the equation (right below it). \
             The public functions of the library that no equation includes are listed \
             after the tables, with their tests.\n\n\
             This page is generated by `cargo xtask bless` from the chapters, `src/` and \
             `tests/suite/`; do not edit it by hand. `cargo test` fails when it is stale, \
             when a display equation has no function or no test, and when a public function \
             is missing here or has no test.\n",
        );
        if let Some(c) = column {
            let _ = write!(md, "\n{}\n", c.header);
        }
        let mut in_sections = BTreeSet::new();
        let mut listed: Vec<String> = Vec::new();
        for chapter in self.book.chapters.iter().filter(|c| !c.sections.is_empty()) {
            let _ = write!(md, "\n## {}\n\n", chapter.title);
            md.push_str("| Equation | Function (suite tests) | Book tests |\n|---|---|---|\n");
            for s in &chapter.sections {
                let tag = s
                    .tag
                    .as_deref()
                    .map(|t| format!("({t}) "))
                    .unwrap_or_default();
                let functions: Vec<String> = s
                    .functions
                    .iter()
                    .map(|f| {
                        if !listed.contains(f) {
                            listed.push(f.clone());
                        }
                        format!("{} ({})", code(f), self.suite_cell(f))
                    })
                    .collect();
                let tests: Vec<String> = s
                    .tests
                    .iter()
                    .map(|t| format!("[{t}]({}#test-{t})", chapter.file))
                    .collect();
                in_sections.extend(s.functions.iter().cloned());
                let extra = column
                    .map(|c| format!("<br>{}", (c.cell)(s)))
                    .unwrap_or_default();
                let _ = writeln!(
                    md,
                    "| [{tag}{}]({}#eq-{}){extra} | {} | {} |",
                    s.name,
                    chapter.file,
                    s.name,
                    or_dash(functions.join("<br>")),
                    or_dash(tests.join(", ")),
                );
            }
        }
        if let Some(c) = column.filter(|c| !c.notes.is_empty()) {
            md.push('\n');
            md.push_str(c.notes);
        }
        md.push_str("\n## Functions without a display equation\n\n");
        let rest: Vec<&PubFn> = self
            .traced()
            .filter(|f| !in_sections.contains(&f.path))
            .collect();
        if rest.is_empty() {
            md.push_str("Every public function is included under a display equation.\n");
        } else {
            md.push_str(
                "Public functions that no equation section includes: helpers, in-place and \
                 allocation-free variants, and the verification routes. *Shown in* names the \
                 chapters that include them outside an equation; *book* lists the test \
                 blocks that call them.\n\n\
                 | Function | Tests |\n|---|---|\n",
            );
            for f in rest {
                let shown: Vec<String> = self
                    .book
                    .chapters
                    .iter()
                    .filter(|c| c.loose_functions.contains(&f.path))
                    .map(|c| format!("[{}]({})", c.title, c.file))
                    .collect();
                if !listed.contains(&f.path) {
                    listed.push(f.path.clone());
                }
                let shown = if shown.is_empty() {
                    String::new()
                } else {
                    format!("shown in: {}<br>", shown.join(", "))
                };
                let _ = writeln!(
                    md,
                    "| {} | {shown}book: {}<br>suite: {} |",
                    code(&f.path),
                    self.book_tests_calling(&f.path),
                    self.suite_cell(&f.path)
                );
            }
        }
        if !listed.is_empty() {
            md.push_str(
                "\n## Every suite test of a function\n\n\
                 The test functions of `tests/suite/` that call each function above, by \
                 test file.\n\n",
            );
            listed.sort();
            for f in &listed {
                let count = self.suite.get(f).map_or(0, BTreeSet::len);
                let _ = writeln!(
                    md,
                    "- <a id=\"fn-{}\"></a>`{f}` ({count}): {}",
                    slug(f),
                    self.suite_tests(f, None)
                );
            }
        }
        if !self.not_traced.is_empty() {
            md.push_str("\n## Public functions not traced\n\n");
            for (path, why) in self.not_traced {
                let _ = writeln!(md, "- `{path}`: {why}");
            }
        }
        md
    }

    /// Public functions with no test at all, or absent from `appendix`; and
    /// source files that cannot be read.
    fn function_problems(&self, appendix: &str) -> Vec<String> {
        let mut problems = self.lib.problems.clone();
        problems.extend(self.suite_problems.iter().cloned());
        for f in self.traced() {
            if !appendix.contains(&format!("`{}`", f.path)) && !appendix.contains(&code(&f.path)) {
                problems.push(format!(
                    "public function `{}` (src/{}:{}) is not named in {APPENDIX}: run `cargo xtask bless`",
                    f.path, f.file, f.line
                ));
            }
            if !self.suite.contains_key(&f.path) && !self.book_calls.contains_key(&f.path) {
                problems.push(format!(
                    "public function `{}` (src/{}:{}) has no test: no book test block and no test of tests/suite/ calls it",
                    f.path, f.file, f.line
                ));
            }
        }
        for (path, _) in self.not_traced {
            if !self.lib.functions.iter().any(|f| f.path == *path) {
                problems.push(format!(
                    "NOT_TRACED names `{path}`, which is not a public function"
                ));
            }
        }
        problems
    }
}

/// An HTML id for a function path.
fn slug(path: &str) -> String {
    path.replace("::", "-").replace('_', "-")
}

/// A path as inline code in a table cell, breakable after each `::` (a
/// Markdown code span cannot be: the longest paths would make their column
/// wider than the book's).
fn code(path: &str) -> String {
    format!("<code>{}</code>", path.replace("::", "::<wbr>"))
}

fn or_dash(s: String) -> String {
    if s.is_empty() { "—".into() } else { s }
}

fn fail_on(problems: &[String], what: &str) {
    assert!(
        problems.is_empty(),
        "{what}:\n  - {}\n",
        problems.join("\n  - ")
    );
}

// ---------------------------------------------------------------------------
// The checks on the real sources

#[test]
fn traceability_appendix_is_fresh() {
    check_or_bless(APPENDIX, &appendix(Trace::load()));
}

/// The appendix, with a line in each equation's cell that says whether its
/// LaTeX is checked (`tests/suite/equations`), the count before the tables,
/// and the reasons for the others after them.
fn appendix(trace: &Trace) -> String {
    use crate::equations::{Status, status};
    let status = status();
    let checked = status.iter().filter(|(_, s)| *s == Status::Checked).count();
    let header = format!(
        "`cargo test` also evaluates {checked} of the {} display equations from their LaTeX \
         (`tests/suite/equations/`); each row says whether its equation is one of them, \
         and the [list after the tables](#equations-whose-latex-is-not-checked) says why \
         the others are not.",
        status.len()
    );
    let cell = |eq: &Equation| {
        let anchor = format!("eq-{}", eq.name);
        match status.iter().find(|(a, _)| *a == anchor) {
            Some((_, Status::Checked)) => "LaTeX checked".to_string(),
            Some((_, Status::Listed(_))) => {
                "LaTeX [not checked](#equations-whose-latex-is-not-checked)".to_string()
            }
            None => "—".to_string(),
        }
    };
    let mut notes = String::from("## Equations whose LaTeX is not checked\n\n");
    for chapter in &trace.book.chapters {
        for eq in &chapter.sections {
            let anchor = format!("eq-{}", eq.name);
            if let Some((_, Status::Listed(reason))) = status.iter().find(|(a, _)| *a == anchor) {
                let tag = eq
                    .tag
                    .as_deref()
                    .map(|t| format!("({t}) "))
                    .unwrap_or_default();
                let _ = writeln!(
                    notes,
                    "- [{tag}{}]({}#{anchor}): {reason}",
                    eq.name, chapter.file
                );
            }
        }
    }
    trace.markdown_with(Some(&Column {
        header: &header,
        cell: &cell,
        notes: &notes,
    }))
}

#[test]
fn traceability_every_equation_has_anchor_function_and_test() {
    fail_on(
        &Trace::load().book.problems,
        "the chapters break the conventions of CONTRIBUTING.md",
    );
}

#[test]
fn traceability_every_public_function_is_named_and_tested() {
    let trace = Trace::load();
    // Under BLESS the appendix is being rewritten by another test: check the
    // generated text instead of the committed one.
    let appendix = if blessing() {
        appendix(trace)
    } else {
        super::read(&root().join(APPENDIX))
    };
    fail_on(
        &trace.function_problems(&appendix),
        "public functions are not traced",
    );
}

#[test]
fn traceability_equations_carry_their_latex() {
    let equations = equations();
    assert!(!equations.is_empty());
    for eq in &equations {
        let tag = eq
            .tag
            .as_deref()
            .unwrap_or_else(|| panic!("eq-{} has no tag", eq.name));
        assert!(
            eq.latex.contains(&format!("\\tag{{{tag}}}")) && !eq.latex.contains("$$"),
            "eq-{} in {}: {:?}",
            eq.name,
            eq.chapter,
            eq.latex
        );
    }
}

// ---------------------------------------------------------------------------
// The checks can fail: the same analysis on small synthetic sources.

fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const SAMPLE_LIB: &str = "\
pub mod m;
mod private;
pub use private::reexported;
pub use m::fresh as fresh_alias;
pub use m::steps as s;
";

const SAMPLE_M: &str = r#"
//! Doc with braces { and a fake pub fn ghost() in a comment.
// ANCHOR: traced
/// Docs: \frac{a}{b}.
pub fn traced(x: f64) -> f64 {
    let s = "pub fn not_a_function() {";
    x
}
// ANCHOR_END: traced

pub fn fresh() {}

fn private_helper() {}

pub(crate) fn crate_only() {}

struct S;
impl S {
    pub fn method(&self) {}
}

#[cfg(test)]
mod tests {
    pub fn in_private_module() {}
}

pub mod steps {
    // ANCHOR: inner
    pub fn inner<T>(x: T) -> T {
        let c = '{';
        x
    }
    // ANCHOR_END: inner

    // ANCHOR: unclosed
}

/// A module in its own file, `m/out.rs`.
pub mod out;
"#;

const SAMPLE_OUT: &str = "\
// ANCHOR: outer
pub fn outer() {}
// ANCHOR_END: outer
// ANCHOR: two
pub fn one() {}
pub fn two() {}
// ANCHOR_END: two
// ANCHOR: none
fn private() {}
// ANCHOR_END: none
// ANCHOR_END: stray
pub mod deeper;
pub use super::steps::*;
";

const SAMPLE_PRIVATE: &str = "pub fn reexported() {}\npub fn hidden() {}\n";

fn sample_library() -> Library {
    Library::parse(&files(&[
        ("lib.rs", SAMPLE_LIB),
        ("m.rs", SAMPLE_M),
        ("m/out.rs", SAMPLE_OUT),
        ("m/out/deeper/mod.rs", "pub fn deepest() {}\n"),
        ("private.rs", SAMPLE_PRIVATE),
    ]))
}

/// A module of a private parent, re-exported at the root, keeps the
/// functions it re-exports by name from a private sibling (the layout of
/// `src/kernels/`: `fused` re-exports `row_sum::sum_without_max`).
#[test]
fn traceability_library_scan_follows_a_reexported_module_of_a_private_parent() {
    let lib = Library::parse(&files(&[
        ("lib.rs", "mod k;\npub use k::api;\n"),
        ("k/mod.rs", "pub mod api;\nmod inner;\n"),
        ("k/api.rs", "pub use super::inner::f;\npub fn g() {}\n"),
        (
            "k/inner.rs",
            "// ANCHOR: f\npub fn f() {}\n// ANCHOR_END: f\n",
        ),
    ]));
    let paths: Vec<(&str, &str)> = lib
        .functions
        .iter()
        .map(|f| (f.path.as_str(), f.file.as_str()))
        .collect();
    assert_eq!(paths, [("api::f", "k/inner.rs"), ("api::g", "k/api.rs")]);
    let anchor = lib
        .anchors
        .get(&("k/inner.rs".to_string(), "f".to_string()));
    assert_eq!(anchor, Some(&Ok("api::f".to_string())));
}

#[test]
fn traceability_library_scan_finds_exactly_the_public_functions() {
    let lib = sample_library();
    let paths: Vec<(&str, &str, usize)> = lib
        .functions
        .iter()
        .map(|f| (f.path.as_str(), f.file.as_str(), f.line))
        .collect();
    assert_eq!(
        paths,
        [
            ("m::fresh", "m.rs", 11),
            ("m::out::deeper::deepest", "m/out/deeper/mod.rs", 1),
            ("m::out::one", "m/out.rs", 5),
            ("m::out::outer", "m/out.rs", 2),
            ("m::out::two", "m/out.rs", 6),
            ("m::steps::inner", "m.rs", 29),
            ("m::traced", "m.rs", 5),
            ("reexported", "private.rs", 1),
        ]
    );
    // A re-export names the function it re-exports: by name, through a
    // module, through a glob.
    assert_eq!(lib.known["fresh_alias"], "m::fresh");
    assert_eq!(lib.known["s::inner"], "m::steps::inner");
    assert_eq!(lib.known["m::out::inner"], "m::steps::inner");
    assert_eq!(lib.known.len(), 11, "{:?}", lib.known);
    assert!(lib.problems.is_empty(), "{:?}", lib.problems);
    let anchor = |file: &str, a: &str| {
        lib.anchors
            .get(&(file.to_string(), a.to_string()))
            .cloned()
            .unwrap_or_else(|| Err(format!("no anchor {a}")))
    };
    assert_eq!(anchor("m.rs", "traced"), Ok("m::traced".to_string()));
    assert_eq!(anchor("m.rs", "inner"), Ok("m::steps::inner".to_string()));
    assert_eq!(anchor("m/out.rs", "outer"), Ok("m::out::outer".to_string()));
    for (file, name, why) in [
        ("m.rs", "unclosed", "has no `// ANCHOR_END: unclosed`"),
        ("m/out.rs", "two", "wraps several public functions"),
        ("m/out.rs", "none", "wraps no public function"),
        ("m/out.rs", "stray", "without `// ANCHOR: stray`"),
    ] {
        let got = anchor(file, name).unwrap_err();
        assert!(got.contains(why), "{name}: {got}");
    }
}

#[test]
fn traceability_library_scan_flags_unreadable_sources() {
    let lib = Library::parse(&files(&[
        ("lib.rs", "pub mod gone;\npub mod broken;\n"),
        ("broken.rs", "pub fn f( {}\n"),
    ]));
    assert_eq!(lib.problems.len(), 2, "{:?}", lib.problems);
    assert!(
        lib.problems[0].starts_with("src/lib.rs: module `gone` has no file gone.rs or gone/mod.rs")
    );
    assert!(lib.problems[1].starts_with("src/broken.rs is not valid Rust"));
    let trace = Trace {
        lib,
        book: Book::default(),
        suite: BTreeMap::new(),
        book_calls: BTreeMap::new(),
        suite_problems: vec!["tests/suite/x.rs: not valid Rust".into()],
        not_traced: NOT_TRACED,
    };
    assert_eq!(trace.function_problems("").len(), 3);
}

/// A chapter that breaks every rule once, after one correct section.
const SAMPLE_CHAPTER: &str = r#"# Sample

Intro with inline math $x$ and a loose include:

```rs
{{#include ../src/m.rs:traced}}
```

<a id="eq-good"></a>

$$
y = x \tag{9.1}
$$

```rs
{{#include ../src/m.rs:inner}}
```

<a id="test-good"></a>

```rust
# extern crate softmax_cross_entropy;
use softmax_cross_entropy::m::steps::inner;
assert_eq!(inner(1), 1);
```

<details>
<summary>A check that folds away</summary>

<a id="test-folded"></a>

```rust
softmax_cross_entropy::m::out::outer();
```

</details>

```text
$$ inside a code block is not an equation $$
```

$$
z = 1 \tag{9.2}
$$

<a id="eq-bare"></a>

$$ w = 2 $$

<a id="test-not-rust"></a>

```text
not a test
```

<a id="eq-bad-include"></a>

$$
v = 3 \tag{9.3}
$$

```rs
{{#include ../src/m.rs:missing}}
{{#include ../src/m.rs}}
```

<a id="test-bad-include"></a>

```rust,ignore
inner(2);
```

<a id="eq-good"></a>
Text between an anchor and its display.

$$
u = 4 \tag{9.1}
$$

Prose with {{#include ../src/m.rs:traced}} outside a code block.

<a id="test-good"></a>

<details><summary>No blank line</summary>
```rust
assert!(true);
```
</details>

<a id="eq-dup-tag"></a>

$$ t = 5 \tag{9.3} $$

<a id="test-invalid"></a>

```rust
let = ;
```

$$
never closed

<a id="test-last"></a>

```rust
unclosed();
"#;

fn sample_book() -> Book {
    let chapters = vec![(
        "Sample".to_string(),
        "sample.md".to_string(),
        SAMPLE_CHAPTER.to_string(),
    )];
    let mut book = Book::parse(&chapters, &sample_library());
    let (_, problems) = book_callers(&book, &sample_library().known);
    book.problems.extend(problems);
    book
}

#[test]
fn traceability_chapter_checks_flag_each_broken_rule() {
    let book = sample_book();
    let expect = [
        "book/sample.md:42: display equation without an equation anchor",
        "book/sample.md:48: equation `eq-bare` has no \\tag{…}",
        "book/sample.md:50: test anchor `test-not-rust` is not followed by a runnable ```rust block",
        "book/sample.md:63: src/m.rs has no `// ANCHOR: missing`",
        "book/sample.md:64: `{{#include ../src/m.rs}}` must be {{#include ../src/FILE.rs:ANCHOR}}",
        "book/sample.md:67: test anchor `test-bad-include` is not followed by a runnable ```rust block",
        "book/sample.md:73: equation anchor `eq-good` is already used at book/sample.md:9",
        "book/sample.md:73: the equation anchor is not followed by a $$ display equation",
        "book/sample.md:76: display equation without an equation anchor",
        "book/sample.md:80: include outside a ```rs block",
        "book/sample.md:82: test anchor `test-good` is already used at book/sample.md:19",
        "book/sample.md:82: test anchor `test-good` is not followed by a runnable ```rust block",
        "book/sample.md:85: a code fence inside an HTML block is not Markdown",
        "book/sample.md:87: a code fence inside an HTML block is not Markdown",
        "book/sample.md:92: equation tag (9.3) is already used at book/sample.md:58",
        "book/sample.md:94: test block `test-invalid` is not valid Rust",
        "book/sample.md:100: display equation is never closed by $$",
        "book/sample.md:105: code block is never closed",
        "book/sample.md:46: equation `eq-bare` includes no library function",
        "book/sample.md:46: equation `eq-bare` has no test block",
        "book/sample.md:56: equation `eq-bad-include` includes no library function",
        "book/sample.md:56: equation `eq-bad-include` has no test block",
        "book/sample.md:73: equation `eq-good` includes no library function",
        "book/sample.md:73: equation `eq-good` has no test block",
        "book/sample.md:90: equation `eq-dup-tag` includes no library function",
    ];
    for e in expect {
        assert!(
            book.problems.iter().any(|p| p.starts_with(e)),
            "missing problem {e:?} in {:#?}",
            book.problems
        );
    }
    assert_eq!(book.problems.len(), expect.len(), "{:#?}", book.problems);
    let chapter = &book.chapters[0];
    assert_eq!(chapter.loose_functions, ["m::traced"]);
    let good = &chapter.sections[0];
    assert_eq!(
        (good.name.as_str(), good.tag.as_deref(), good.line),
        ("good", Some("9.1"), 9)
    );
    assert_eq!(good.latex.trim(), "y = x \\tag{9.1}");
    assert_eq!(good.display_line, 11);
    assert_eq!(
        (good.functions.as_slice(), good.tests.as_slice()),
        (
            &["m::steps::inner".to_string()][..],
            &["good".to_string(), "folded".to_string()][..]
        )
    );
    let tests: Vec<&str> = book.tests.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(tests, ["good", "folded", "invalid", "last"]);
}

const SAMPLE_SUITE: &str = r#"
use softmax_cross_entropy as sce;
use softmax_cross_entropy::m::{self, steps::*};
use crate::common::shared;

fn helper() { m::traced(1.0); }

/// A test-local macro that calls the library in its rules.
macro_rules! check_fresh {
    ($x:expr) => { assert_eq!(softmax_cross_entropy::fresh_alias(), $x) };
}

#[test]
fn through_a_helper() { helper(); }

#[test]
fn by_glob_and_alias() { inner(1); sce::reexported(); }

#[test]
fn through_common() { shared(); }

#[test]
fn through_a_local_macro() { check_fresh!(()); }

#[test]
fn inside_macros() {
    approx::assert_relative_eq!(1.0, 1.0, max_relative = m::out::one() as f64);
    let v = vec![sce::m::out::two; 3];
    let s = proptest::prop_oneof![3 => Just(m::out::outer), 1 => Just(m::out::outer)];
    thread_local! { static F: fn() = crate::m::out::deeper::deepest; }
    odd!(static x { sce::fresh_alias() } => y);
}

#[test]
fn mentions_only() {
    // m::fresh() in a comment, and in a string:
    let s = "m::fresh()";
    let fresh = 1; // a local variable is not the function
    assert_eq!(fresh, 1);
}

#[test]
#[ignore]
fn ignored() { m::fresh(); }

proptest! {
    #![proptest_config(ProptestConfig { ..ProptestConfig::default() })]
    #[test]
    fn in_proptest(x in 0..5i32, (a, b) in strategy()) { prop_assert_eq!(inner(x), x); }
}
"#;

const SAMPLE_COMMON: &str = "\
pub fn shared() { softmax_cross_entropy::m::steps::inner(0); }
pub fn strategy() { softmax_cross_entropy::m::traced(0.0); }
";

fn sample_suite(
    known: &BTreeMap<String, String>,
) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    suite_callers(
        &files(&[("sample.rs", SAMPLE_SUITE), ("common.rs", SAMPLE_COMMON)]),
        known,
    )
}

#[test]
fn traceability_suite_scan_follows_imports_helpers_and_macros() {
    let (callers, problems) = sample_suite(&sample_library().known);
    assert!(problems.is_empty(), "{problems:?}");
    let of = |f: &str| {
        callers
            .get(f)
            .map(|s| s.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(
        of("m::traced"),
        ["sample::in_proptest", "sample::through_a_helper"]
    );
    assert_eq!(
        of("m::steps::inner"),
        [
            "sample::by_glob_and_alias",
            "sample::in_proptest",
            "sample::through_common"
        ]
    );
    assert_eq!(of("reexported"), ["sample::by_glob_and_alias"]);
    assert_eq!(
        of("m::fresh"),
        ["sample::inside_macros", "sample::through_a_local_macro"],
        "comments, strings, locals and ignored tests are not calls"
    );
    for f in ["m::out::one", "m::out::two", "m::out::outer"] {
        assert_eq!(of(f), ["sample::inside_macros"], "{f}");
    }
    // `crate::m::…` is a path of the test crate, not of the library.
    assert_eq!(of("m::out::deeper::deepest"), Vec::<&str>::new());
}

#[test]
fn traceability_suite_scan_flags_unreadable_files() {
    let (_, problems) = suite_callers(
        &files(&[
            ("broken.rs", "fn f( {}\n"),
            ("prop.rs", "proptest! { #[test] fn p(x in ) {} }\n"),
        ]),
        &BTreeMap::new(),
    );
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("tests/suite/broken.rs: not valid Rust"));
    assert!(problems[1].starts_with(
        "tests/suite/prop.rs: line 1: a proptest! block that is not a list of test functions"
    ));
}

#[test]
fn traceability_function_checks_flag_untested_and_unlisted_functions() {
    let lib = sample_library();
    let book = sample_book();
    let (suite, suite_problems) = sample_suite(&lib.known);
    let (book_calls, _) = book_callers(&book, &lib.known);
    let mut trace = Trace {
        lib,
        book,
        suite,
        book_calls,
        suite_problems,
        not_traced: NOT_TRACED,
    };
    let appendix = trace.markdown();
    assert!(
        appendix.contains(
            "| [(9.1) good](sample.md#eq-good) | <code>m::<wbr>steps::<wbr>inner</code> ([3\u{a0}tests](#fn-m-steps-inner)) | [good](sample.md#test-good), [folded](sample.md#test-folded) |"
        ),
        "{appendix}"
    );
    assert!(
        appendix.contains(
            "| <code>m::<wbr>traced</code> | shown in: [Sample](sample.md)<br>book: —<br>suite: [2\u{a0}tests](#fn-m-traced) |"
        ),
        "{appendix}"
    );
    assert!(
        appendix.contains(
            "| <code>m::<wbr>out::<wbr>outer</code> | book: [folded](sample.md#test-folded)<br>suite: [1\u{a0}test](#fn-m-out-outer) |"
        ),
        "{appendix}"
    );
    assert!(
        appendix.contains(
            "- <a id=\"fn-m-traced\"></a>`m::traced` (2): `sample::{in_proptest, through_a_helper}`\n"
        ),
        "{appendix}"
    );
    // The generated appendix names every function; only `deepest` is untested.
    assert_eq!(
        trace.function_problems(&appendix),
        [
            "public function `m::out::deeper::deepest` (src/m/out/deeper/mod.rs:1) has no test: no book test block and no test of tests/suite/ calls it"
        ]
    );
    // An appendix generated before `m::fresh` existed does not name it.
    let old = appendix
        .replace("`m::fresh`", "")
        .replace("<code>m::<wbr>fresh</code>", "");
    assert!(trace.function_problems(&old)[0].starts_with(
        "public function `m::fresh` (src/m.rs:11) is not named in book/traceability.md"
    ));
    // A function left out on purpose is no problem; a stale entry is.
    trace.not_traced = &[
        ("m::out::deeper::deepest", "a sample"),
        ("m::gone", "renamed since"),
    ];
    assert_eq!(
        trace.function_problems(&trace.markdown()),
        ["NOT_TRACED names `m::gone`, which is not a public function"]
    );
    assert!(
        trace
            .markdown()
            .contains("## Public functions not traced\n\n- `m::out::deeper::deepest`: a sample\n")
    );
    trace.not_traced = NOT_TRACED;
    // The extra column for the equations' LaTeX status.
    let latex = |eq: &Equation| format!("`{}`", eq.latex.trim());
    let column = Column {
        header: "Before the tables.",
        cell: &latex,
        notes: "## Notes\n\nAfter the tables.\n",
    };
    let with = trace.markdown_with(Some(&column));
    assert!(
        with.contains("\nBefore the tables.\n\n## ")
            && with.contains("| Equation | Function (suite tests) | Book tests |\n|---|---|---|\n"),
        "{with}"
    );
    assert!(
        with.contains("#eq-good)<br>`y = x \\tag{9.1}` | "),
        "{with}"
    );
    assert!(
        with.contains("[folded](sample.md#test-folded) |\n"),
        "{with}"
    );
    assert!(with.contains("\n## Notes\n\nAfter the tables.\n"), "{with}");
}
