//! The traceability appendix `book/traceability.md`, generated from the
//! sources, and the checks that keep the book, `src/` and the tests in step.
//!
//! Inputs, following `CONTRIBUTING.md`:
//!
//! - the chapters listed in `book/SUMMARY.md`: an *equation section* starts at
//!   a line `<a id="eq-NAME"></a>` (followed by a `$$ … \tag{X.Y} $$` block)
//!   and runs to the next equation anchor or the end of the chapter; its
//!   functions are the `{{#include ../src/FILE.rs:ANCHOR}}` lines, its tests
//!   the `<a id="test-NAME"></a>` anchors, each followed by a ```` ```rust ````
//!   block;
//! - `src/*.rs`: every `pub fn` reachable from the crate root (modules declared
//!   `pub mod` in `lib.rs`, their `pub mod` submodules, and functions of
//!   private modules re-exported by `pub use`), and the `// ANCHOR:` regions;
//! - `tests/suite/**/*.rs` (except this `artifacts` module): the `#[test]`
//!   functions and the library functions they reach, directly or through
//!   helper functions of the same file or of `common.rs`.
//!
//! Calls are found by a light lexical parse, not by the compiler: comments and
//! string literals are blanked, `use softmax_cross_entropy::…` trees are
//! resolved, and every path expression (`softmax(…)`, `steps::merged(…)`,
//! `softmax_cross_entropy::jacobian::jacobian`, a function passed by name) is
//! matched against the public functions. A name that is only shadowed by a
//! local variable is not a call, so the parse can only miss a call that the
//! code hides behind a macro.

use super::{blessing, check_or_bless, root};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// The generated appendix, relative to the crate root.
const APPENDIX: &str = "book/traceability.md";

/// Public functions deliberately left out of the table: `(path, reason)`.
/// Keep this list tiny; every entry is a function nobody has to test.
const NOT_TRACED: &[(&str, &str)] = &[];

/// An equation row lists at most this many suite tests per function; longer
/// lists are abbreviated to the function's own test file and given in full
/// in a section of their own.
const ROW_TESTS: usize = 8;

// ---------------------------------------------------------------------------
// Lexing

/// Blank comments and the contents of string and char literals (every byte
/// but newlines becomes a space), so that braces and names inside them do not
/// count. Lengths and line numbers are preserved.
fn blank(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = b.to_vec();
    let wipe = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
                wipe(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let (mut depth, mut j) = (1, i + 2);
                while j < b.len() && depth > 0 {
                    if b[j] == b'/' && b.get(j + 1) == Some(&b'*') {
                        depth += 1;
                        j += 2;
                    } else if b[j] == b'*' && b.get(j + 1) == Some(&b'/') {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                wipe(&mut out, i, j);
                i = j;
            }
            b'r' if (i == 0 || !ident(b[i - 1]))
                && matches!(b.get(i + 1), Some(b'"') | Some(b'#')) =>
            {
                // A raw string r"…" or r#"…"# (or the identifier r#name).
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let start = i + 2 + hashes;
                let mut closing = vec![b'"'];
                closing.extend(std::iter::repeat_n(b'#', hashes));
                let end = b[start..]
                    .windows(closing.len())
                    .position(|w| w == closing.as_slice())
                    .map_or(b.len(), |p| start + p);
                wipe(&mut out, start, end);
                i = end + closing.len();
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                wipe(&mut out, i + 1, j);
                i = j + 1;
            }
            b'\'' => {
                // A char literal ('x', '\n', '\'', '{', 'σ') or a lifetime ('a);
                // an escape is at least two bytes, so its closing quote is
                // at i + 3 or later.
                if b.get(i + 1) == Some(&b'\\') {
                    let end = b
                        .get(i + 3..)
                        .unwrap_or_default()
                        .iter()
                        .position(|&c| c == b'\'')
                        .map_or(b.len(), |p| i + 3 + p);
                    wipe(&mut out, i + 1, end);
                    i = end + 1;
                } else {
                    let len = src[i + 1..].chars().next().map_or(1, char::len_utf8);
                    if b.get(i + 1 + len) == Some(&b'\'') {
                        wipe(&mut out, i + 1, i + 1 + len);
                        i += len + 2;
                    } else {
                        i += 1;
                    }
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8 (only whole literals are wiped)")
}

/// A token of blanked Rust: an identifier, `::`, or one punctuation byte.
#[derive(Clone, Debug)]
struct Token<'a> {
    text: &'a str,
    line: usize,
}

fn tokens(blanked: &str) -> Vec<Token<'_>> {
    let b = blanked.as_bytes();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < b.len() {
        let c = b[i];
        if c == b'\n' {
            line += 1;
            i += 1;
        } else if c.is_ascii_whitespace() || !c.is_ascii() {
            i += 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let len = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            out.push(Token {
                text: &blanked[i..i + len],
                line,
            });
            i += len;
        } else if c.is_ascii_digit() {
            let len = b[i..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            i += len;
        } else if c == b':' && b.get(i + 1) == Some(&b':') {
            out.push(Token { text: "::", line });
            i += 2;
        } else {
            out.push(Token {
                text: &blanked[i..i + 1],
                line,
            });
            i += 1;
        }
    }
    out
}

fn is_ident(t: &str) -> bool {
    t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
}

// ---------------------------------------------------------------------------
// `use` trees and path expressions

/// What the names of a file or block refer to in the library: `name → path`
/// (a module or a function, as segments from the crate root), plus glob
/// imports (`use …::steps::*`).
#[derive(Default, Debug)]
struct Imports {
    names: BTreeMap<String, Vec<String>>,
    globs: Vec<Vec<String>>,
}

/// The crate's name as written in Rust code.
const CRATE: &str = "softmax_cross_entropy";

impl Imports {
    /// Collect every `use` item of `toks` whose tree starts at `roots` (the
    /// crate name, `crate` in `src/`, or an alias).
    fn collect(toks: &[Token], roots: &[&str]) -> Self {
        let mut imports = Imports::default();
        let mut i = 0;
        while i < toks.len() {
            if toks[i].text == "use" && (i == 0 || toks[i - 1].text != "::") {
                let end = toks[i..]
                    .iter()
                    .position(|t| t.text == ";")
                    .map_or(toks.len(), |p| i + p);
                let tree: Vec<&str> = toks[i + 1..end].iter().map(|t| t.text).collect();
                let mut pos = 0;
                imports.tree(&tree, &mut pos, Vec::new(), roots);
                i = end;
            }
            i += 1;
        }
        imports
    }

    /// Parse one use tree at `tree[*pos..]` under `prefix` (segments as
    /// written, the root included).
    fn tree(&mut self, tree: &[&str], pos: &mut usize, mut prefix: Vec<String>, roots: &[&str]) {
        loop {
            match tree.get(*pos) {
                Some(&"{") => {
                    *pos += 1;
                    while tree.get(*pos).is_some_and(|t| *t != "}") {
                        self.tree(tree, pos, prefix.clone(), roots);
                        if tree.get(*pos) == Some(&",") {
                            *pos += 1;
                        }
                    }
                    *pos += 1;
                    return;
                }
                Some(&"*") => {
                    *pos += 1;
                    if let Some(p) = Self::library_path(&prefix, roots) {
                        self.globs.push(p);
                    }
                    return;
                }
                Some(seg) if is_ident(seg) => {
                    *pos += 1;
                    let seg = seg.to_string();
                    if tree.get(*pos) == Some(&"::") {
                        *pos += 1;
                        prefix.push(seg);
                        continue;
                    }
                    let mut local = seg.clone();
                    if seg != "self" {
                        prefix.push(seg);
                    }
                    if tree.get(*pos) == Some(&"as") {
                        local = tree.get(*pos + 1).unwrap_or(&"_").to_string();
                        *pos += 2;
                    } else if local == "self" {
                        local = prefix.last().cloned().unwrap_or_default();
                    }
                    if let Some(p) = Self::library_path(&prefix, roots) {
                        self.names.insert(local, p);
                    }
                    return;
                }
                _ => {
                    *pos += 1;
                    return;
                }
            }
        }
    }

    /// The path from the crate root, if `written` starts at one of `roots`.
    fn library_path(written: &[String], roots: &[&str]) -> Option<Vec<String>> {
        let first = written.first()?;
        roots
            .contains(&first.as_str())
            .then(|| written[1..].to_vec())
    }

    /// Resolve a path expression as written in the code to the library paths
    /// it may denote.
    fn resolve(&self, written: &[&str]) -> Vec<String> {
        let rest = |from: usize| written[from..].iter().map(|s| s.to_string());
        let mut out = Vec::new();
        if written[0] == CRATE {
            out.push(rest(1).collect::<Vec<_>>().join("::"));
        }
        if let Some(base) = self.names.get(written[0]) {
            out.push(
                base.iter()
                    .cloned()
                    .chain(rest(1))
                    .collect::<Vec<_>>()
                    .join("::"),
            );
        }
        for glob in &self.globs {
            out.push(
                glob.iter()
                    .cloned()
                    .chain(rest(0))
                    .collect::<Vec<_>>()
                    .join("::"),
            );
        }
        out
    }
}

/// The library functions (from `known`) that the code in `toks` names, and the
/// identifiers it uses (to follow calls of helper functions).
fn references(
    toks: &[Token],
    imports: &Imports,
    known: &BTreeSet<String>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut calls = BTreeSet::new();
    let mut idents = BTreeSet::new();
    let mut i = 0;
    while i < toks.len() {
        let t = toks[i].text;
        let after_dot = i > 0 && (toks[i - 1].text == "." || toks[i - 1].text == "::");
        if !is_ident(t) || after_dot {
            i += 1;
            continue;
        }
        let mut path = vec![t];
        let mut j = i + 1;
        while j + 1 < toks.len() && toks[j].text == "::" && is_ident(toks[j + 1].text) {
            path.push(toks[j + 1].text);
            j += 2;
        }
        if toks.get(j).map(|t| t.text) != Some("!") {
            idents.insert(t.to_string());
            for candidate in imports.resolve(&path) {
                if known.contains(&candidate) {
                    calls.insert(candidate);
                }
            }
        }
        i = j;
    }
    (calls, idents)
}

// ---------------------------------------------------------------------------
// The library

/// A public function of the library.
#[derive(Debug, Clone)]
struct PubFn {
    /// The path from the crate root, e.g. `jacobian::steps::diagonal_factored`.
    path: String,
    /// The source file, relative to `src/`, and the line of `pub fn`.
    file: String,
    line: usize,
}

/// The library: its public functions and its include anchors.
#[derive(Debug, Default)]
struct Library {
    functions: Vec<PubFn>,
    /// `(file, anchor) → Ok(function path) or Err(what is wrong)`.
    anchors: BTreeMap<(String, String), Result<String, String>>,
}

/// A frame of the item nesting while scanning a source file.
#[derive(Clone, Debug, PartialEq)]
enum Frame {
    Module { name: String, public: bool },
    Other,
}

/// Every `pub fn` of a file that is not inside a function, an `impl` block or
/// a private module: `(module path inside the file, name, line)`.
fn public_fns(toks: &[Token]) -> Vec<(Vec<String>, String, usize)> {
    let mut stack: Vec<Frame> = Vec::new();
    let mut header = 0; // index of the first token after the last `;`, `{` or `}`
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.text {
            "{" => {
                let head: Vec<&str> = toks[header..i]
                    .iter()
                    .map(|t| t.text)
                    .skip_while(|t| *t != "pub" && *t != "mod" && *t != "impl" && *t != "fn")
                    .collect();
                let frame = match head.as_slice() {
                    ["pub", "mod", name] => Frame::Module {
                        name: name.to_string(),
                        public: true,
                    },
                    ["mod", name] => Frame::Module {
                        name: name.to_string(),
                        public: false,
                    },
                    _ => Frame::Other,
                };
                stack.push(frame);
                header = i + 1;
            }
            "}" => {
                stack.pop();
                header = i + 1;
            }
            ";" => header = i + 1,
            "pub" => {
                let mut j = i + 1;
                while toks
                    .get(j)
                    .is_some_and(|t| matches!(t.text, "const" | "unsafe" | "async" | "extern"))
                {
                    j += 1;
                }
                let visible = stack
                    .iter()
                    .all(|f| matches!(f, Frame::Module { public: true, .. }));
                if visible
                    && toks.get(j).map(|t| t.text) == Some("fn")
                    && let Some(name) = toks.get(j + 1).filter(|t| is_ident(t.text))
                {
                    let module = stack
                        .iter()
                        .filter_map(|f| match f {
                            Frame::Module { name, .. } => Some(name.clone()),
                            Frame::Other => None,
                        })
                        .collect();
                    out.push((module, name.text.to_string(), name.line));
                }
            }
            _ => {}
        }
    }
    out
}

impl Library {
    /// Parse `lib.rs` and the module files: `files` maps a file name relative
    /// to `src/` (such as `softmax.rs`) to its text.
    fn parse(files: &BTreeMap<String, String>) -> Self {
        let mut lib = Library::default();
        let lib_rs = files.get("lib.rs").map(|s| blank(s)).unwrap_or_default();
        let lib_toks = tokens(&lib_rs);
        // Top-level `pub mod x;` / `mod x;` declarations.
        let mut public_modules = BTreeSet::new();
        for w in lib_toks.windows(4) {
            if w[0].text == "pub" && w[1].text == "mod" && w[3].text == ";" {
                public_modules.insert(w[2].text.to_string());
            }
        }
        // `pub use module::name;` re-exports at the crate root.
        let mut reexports = BTreeMap::new(); // (module, name) -> root name
        let mut i = 0;
        while i + 1 < lib_toks.len() {
            if lib_toks[i].text == "pub" && lib_toks[i + 1].text == "use" {
                let end = lib_toks[i..]
                    .iter()
                    .position(|t| t.text == ";")
                    .map_or(lib_toks.len(), |p| i + p);
                let modules: Vec<String> = files
                    .keys()
                    .filter_map(|f| f.strip_suffix(".rs"))
                    .map(String::from)
                    .collect();
                let roots: Vec<&str> = modules.iter().map(String::as_str).collect();
                let tree: Vec<&str> = lib_toks[i + 2..end].iter().map(|t| t.text).collect();
                for root in &roots {
                    let mut imports = Imports::default();
                    imports.tree(&tree, &mut 0, Vec::new(), &[root]);
                    for (local, path) in imports.names {
                        if path.len() == 1 {
                            reexports.insert((root.to_string(), path[0].clone()), local);
                        }
                    }
                }
                i = end;
            }
            i += 1;
        }
        for (file, text) in files {
            let Some(module) = file.strip_suffix(".rs") else {
                continue;
            };
            let blanked = blank(text);
            let toks = tokens(&blanked);
            let mut by_line = BTreeMap::new();
            for (inner, name, line) in public_fns(&toks) {
                let path = if module == "lib" {
                    Some(
                        inner
                            .iter()
                            .chain([&name])
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("::"),
                    )
                } else if public_modules.contains(module) {
                    Some(
                        [module.to_string()]
                            .iter()
                            .chain(&inner)
                            .chain([&name])
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("::"),
                    )
                } else if inner.is_empty() {
                    reexports.get(&(module.to_string(), name.clone())).cloned()
                } else {
                    None
                };
                if let Some(path) = path {
                    by_line.insert(line, path.clone());
                    lib.functions.push(PubFn {
                        path,
                        file: file.clone(),
                        line,
                    });
                }
            }
            // Anchor regions.
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
                regions.insert(name.clone(), Err(format!("`// ANCHOR: {name}` (line {start}) has no `// ANCHOR_END: {name}` in src/{file}")));
            }
            for (name, region) in regions {
                let target = region.and_then(|(start, end)| {
                    let inside: Vec<&String> = by_line.range(start..=end).map(|(_, p)| p).collect();
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
                lib.anchors.insert((file.clone(), name), target);
            }
        }
        lib.functions.sort_by(|a, b| a.path.cmp(&b.path));
        lib
    }

    fn known(&self) -> BTreeSet<String> {
        self.functions.iter().map(|f| f.path.clone()).collect()
    }
}

// ---------------------------------------------------------------------------
// The book

/// A test block of a chapter: `<a id="test-NAME"></a>` then ```` ```rust ````.
#[derive(Debug, Clone)]
struct BookTest {
    name: String,
    chapter: String,
    code: String,
}

/// An equation section of a chapter.
#[derive(Debug, Clone)]
struct Section {
    name: String,
    tag: Option<String>,
    line: usize,
    /// Included library functions, in order, without repetition.
    functions: Vec<String>,
    tests: Vec<String>,
}

/// A chapter of the book.
#[derive(Debug, Clone)]
struct Chapter {
    file: String,
    title: String,
    sections: Vec<Section>,
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
    let mut out = Vec::new();
    for line in summary.lines() {
        let Some(open) = line.find('[') else { continue };
        let Some(mid) = line[open..].find("](").map(|p| open + p) else {
            continue;
        };
        let Some(close) = line[mid..].find(')').map(|p| mid + p) else {
            continue;
        };
        let file = &line[mid + 2..close];
        if file.ends_with(".md") && file != APPENDIX.trim_start_matches("book/") {
            out.push((line[open + 1..mid].to_string(), file.to_string()));
        }
    }
    out
}

/// A fence line opening a Rust block that rustdoc and mdBook run.
fn runnable_rust(fence: &str) -> bool {
    let Some(info) = fence.strip_prefix("```") else {
        return false;
    };
    let words: Vec<&str> = info
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    words.first() == Some(&"rust")
        && !words
            .iter()
            .any(|w| matches!(*w, "ignore" | "no_run" | "compile_fail" | "should_panic"))
}

/// The NAME of a line `<a id="PREFIXNAME"></a>`.
fn anchor<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    line.trim()
        .strip_prefix("<a id=\"")?
        .strip_suffix("\"></a>")?
        .strip_prefix(prefix)
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
            let lines: Vec<&str> = text.lines().collect();
            let mut previous = ""; // the last non-blank line outside code blocks
            let mut expect_equation: Option<usize> = None; // line of an eq anchor awaiting its $$
            let mut pending_test: Option<(String, usize)> = None;
            let mut n = 0;
            while n < lines.len() {
                let line = lines[n];
                let trimmed = line.trim();
                let line_no = n + 1;
                if trimmed.is_empty() {
                    n += 1;
                    continue;
                }
                if let Some(eq) = expect_equation.take()
                    && !trimmed.starts_with("$$")
                {
                    book.problems.push(format!(
                        "{}: the equation anchor is not followed by a $$ display equation",
                        at(eq)
                    ));
                }
                if let Some((name, test_line)) = pending_test.take() {
                    let runnable = runnable_rust(trimmed);
                    if !runnable {
                        book.problems.push(format!("{}: test anchor `test-{name}` is not followed by a runnable ```rust block", at(test_line)));
                    }
                }
                if let Some(fence) = ["```", "~~~"].into_iter().find(|f| trimmed.starts_with(f)) {
                    // A fenced code block: find its end, scan its lines for includes.
                    let mark = fence.as_bytes()[0] as char;
                    let width = trimmed.chars().take_while(|&c| c == mark).count();
                    let close = lines[n + 1..]
                        .iter()
                        .position(|l| {
                            let l = l.trim();
                            l.chars().all(|c| c == mark) && l.len() >= width
                        })
                        .map(|p| n + 1 + p);
                    let Some(close) = close else {
                        book.problems
                            .push(format!("{}: code block is never closed", at(line_no)));
                        break;
                    };
                    for (k, l) in lines[n + 1..close].iter().enumerate() {
                        if let Some(function) = book.include(l, &at(n + 2 + k), lib) {
                            let list = match chapter.sections.last_mut() {
                                Some(s) => &mut s.functions,
                                None => &mut chapter.loose_functions,
                            };
                            if !list.contains(&function) {
                                list.push(function);
                            }
                        }
                    }
                    if previous.starts_with("<a id=\"test-") && runnable_rust(trimmed) {
                        let name = anchor(previous, "test-").unwrap_or_default().to_string();
                        book.tests.push(BookTest {
                            name: name.clone(),
                            chapter: file.clone(),
                            code: lines[n + 1..close].join("\n"),
                        });
                        if let Some(section) = chapter.sections.last_mut() {
                            section.tests.push(name);
                        }
                    }
                    previous = "```";
                    n = close + 1;
                    continue;
                }
                if let Some(name) = anchor(trimmed, "eq-") {
                    if let Some(first) = eq_names.insert(name.to_string(), at(line_no)) {
                        book.problems.push(format!(
                            "{}: equation anchor `eq-{name}` is already used at {first}",
                            at(line_no)
                        ));
                    }
                    chapter.sections.push(Section {
                        name: name.to_string(),
                        tag: None,
                        line: line_no,
                        functions: Vec::new(),
                        tests: Vec::new(),
                    });
                    expect_equation = Some(line_no);
                } else if let Some(name) = anchor(trimmed, "test-") {
                    if let Some(first) = test_names.insert(name.to_string(), at(line_no)) {
                        book.problems.push(format!(
                            "{}: test anchor `test-{name}` is already used at {first}",
                            at(line_no)
                        ));
                    }
                    pending_test = Some((name.to_string(), line_no));
                } else if trimmed.starts_with("$$") {
                    // A display equation: it runs to the line that ends with $$.
                    let single = trimmed.len() > 4 && trimmed.ends_with("$$");
                    let end = if single {
                        Some(n)
                    } else {
                        lines[n + 1..]
                            .iter()
                            .position(|l| l.trim().ends_with("$$"))
                            .map(|p| n + 1 + p)
                    };
                    let Some(end) = end else {
                        book.problems.push(format!(
                            "{}: display equation is never closed by $$",
                            at(line_no)
                        ));
                        break;
                    };
                    let body = lines[n..=end].join("\n");
                    let tag = body.find("\\tag{").map(|p| {
                        let rest = &body[p + 5..];
                        rest[..rest.find('}').unwrap_or(rest.len())].to_string()
                    });
                    match anchor(previous, "eq-") {
                        Some(name) => {
                            if let Some(section) = chapter.sections.last_mut().filter(|s| s.name == name) {
                                match &tag {
                                    Some(t) => {
                                        if let Some(first) = tags.insert(t.clone(), at(line_no)) {
                                            book.problems.push(format!("{}: equation tag ({t}) is already used at {first}", at(line_no)));
                                        }
                                    }
                                    None => book.problems.push(format!("{}: equation `eq-{name}` has no \\tag{{…}}", at(line_no))),
                                }
                                section.tag = tag;
                            }
                        }
                        None => book.problems.push(format!(
                            "{}: display equation without an equation anchor: put `<a id=\"eq-NAME\"></a>` on the line before the $$ (see CONTRIBUTING.md)",
                            at(line_no)
                        )),
                    }
                    previous = "$$";
                    n = end + 1;
                    continue;
                } else if trimmed.contains("{{#include") || trimmed.contains("{{#rustdoc_include") {
                    book.problems
                        .push(format!("{}: include outside a ```rs block", at(line_no)));
                }
                previous = trimmed;
                n += 1;
            }
            if let Some(eq) = expect_equation {
                book.problems.push(format!(
                    "{}: the equation anchor is not followed by a $$ display equation",
                    at(eq)
                ));
            }
            if let Some((name, line)) = pending_test {
                book.problems.push(format!(
                    "{}: test anchor `test-{name}` is not followed by a runnable ```rust block",
                    at(line)
                ));
            }
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
        let start = line
            .find("{{#include")
            .or_else(|| line.find("{{#rustdoc_include"))?;
        let rest = &line[start..];
        let inner = rest[..rest.find("}}").unwrap_or(rest.len())]
            .split_whitespace()
            .nth(1)
            .unwrap_or("");
        let Some((path, anchor)) = inner
            .strip_prefix("../src/")
            .and_then(|p| p.split_once(':'))
        else {
            self.problems.push(format!(
                "{at}: `{}` must be {{{{#include ../src/FILE.rs:ANCHOR}}}}",
                rest.trim()
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

// ---------------------------------------------------------------------------
// The test suite

/// A function of a suite file: its name, whether it is a test, and what its
/// body references.
#[derive(Debug)]
struct SuiteFn {
    name: String,
    is_test: bool,
    calls: BTreeSet<String>,
    idents: BTreeSet<String>,
}

/// For each library function, the suite tests (`file::test`) that reach it.
fn suite_callers(
    files: &BTreeMap<String, String>,
    known: &BTreeSet<String>,
) -> BTreeMap<String, BTreeSet<String>> {
    // Parse every file: (module name, functions).
    let mut parsed: BTreeMap<String, Vec<SuiteFn>> = BTreeMap::new();
    for (file, text) in files {
        let blanked = blank(text);
        let toks = tokens(&blanked);
        let imports = Imports::collect(&toks, &[CRATE]);
        let mut fns = Vec::new();
        let mut boundary = 0;
        for i in 0..toks.len() {
            if matches!(toks[i].text, "{" | "}" | ";") {
                boundary = i + 1;
            }
            if toks[i].text != "fn" || !toks.get(i + 1).is_some_and(|t| is_ident(t.text)) {
                continue;
            }
            let attrs: String = toks[boundary..i].iter().map(|t| t.text).collect();
            let is_test = attrs.contains("#[test]") && !attrs.contains("#[ignore");
            // The body: after the balanced parameter list, from the next `{`.
            let mut j = i + 2;
            let mut depth = 0;
            while j < toks.len() {
                match toks[j].text {
                    "(" => depth += 1,
                    ")" => depth -= 1,
                    "{" | ";" if depth == 0 => break,
                    _ => {}
                }
                j += 1;
            }
            if toks.get(j).map(|t| t.text) != Some("{") {
                continue; // a declaration without a body
            }
            let (start, mut depth) = (j, 0);
            while j < toks.len() {
                match toks[j].text {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            let (calls, idents) = references(&toks[start..j.min(toks.len())], &imports, known);
            fns.push(SuiteFn {
                name: toks[i + 1].text.to_string(),
                is_test,
                calls,
                idents,
            });
        }
        let module = file
            .trim_end_matches(".rs")
            .trim_end_matches("/mod")
            .replace('/', "::");
        parsed.insert(module, fns);
    }
    // Follow helpers: a function of the same file, else of `common`.
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
                for ident in &f.idents {
                    let local = parsed[m]
                        .iter()
                        .find(|h| &h.name == ident && !h.is_test)
                        .map(|h| (m, h));
                    let shared = parsed.get_key_value("common").and_then(|(cm, fs)| {
                        fs.iter()
                            .find(|h| &h.name == ident && !h.is_test)
                            .map(|h| (cm.as_str(), h))
                    });
                    if let Some(next) = local.or(shared) {
                        todo.push(next);
                    }
                }
            }
        }
    }
    callers
}

/// For each library function, the book test blocks that call it.
fn book_callers(book: &Book, known: &BTreeSet<String>) -> BTreeMap<String, Vec<(String, String)>> {
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for test in &book.tests {
        // Hidden lines (`# use …;`) are code too.
        let code: String = test
            .code
            .lines()
            .map(|l| {
                let t = l.trim_start();
                if t == "#" {
                    ""
                } else {
                    t.strip_prefix("# ").unwrap_or(l)
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let blanked = blank(&code);
        let toks = tokens(&blanked);
        let imports = Imports::collect(&toks, &[CRATE]);
        let (calls, _) = references(&toks, &imports, known);
        for call in calls {
            out.entry(call)
                .or_default()
                .push((test.chapter.clone(), test.name.clone()));
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The appendix

/// Everything the appendix and the checks need.
struct Trace {
    lib: Library,
    book: Book,
    suite: BTreeMap<String, BTreeSet<String>>,
    book_calls: BTreeMap<String, Vec<(String, String)>>,
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
        let chapters: Vec<(String, String, String)> = summary_chapters(summary)
            .into_iter()
            .map(|(title, file)| {
                let text = chapter_text(&file);
                (title, file, text)
            })
            .collect();
        let book = Book::parse(&chapters, &lib);
        let known = lib.known();
        let suite = suite_callers(suite, &known);
        let book_calls = book_callers(&book, &known);
        Trace {
            lib,
            book,
            suite,
            book_calls,
        }
    }

    fn load() -> Self {
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
            .filter(|f| !NOT_TRACED.iter().any(|(p, _)| *p == f.path))
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

    /// The suite tests of a function in an equation row: all of them if there
    /// are a few, else those of the function's own test file (if they are a
    /// few) and a link to the full list.
    fn suite_cell(&self, function: &str) -> (String, bool) {
        let count = self.suite.get(function).map_or(0, BTreeSet::len);
        if count <= ROW_TESTS {
            return (self.suite_tests(function, None), false);
        }
        let module = function.split("::").next().unwrap_or_default();
        let own = self
            .suite
            .get(function)
            .into_iter()
            .flatten()
            .filter(|t| t.rsplit_once("::").is_some_and(|(m, _)| m == module))
            .count();
        let link = format!("(#fn-{})", slug(function));
        let cell = if own == 0 || own > ROW_TESTS {
            format!("[{count} tests]{link}")
        } else {
            format!(
                "{} [and {} more]{link}",
                self.suite_tests(function, Some(module)),
                count - own
            )
        };
        (cell, true)
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
        let mut md = String::new();
        md.push_str(
            "# Appendix: equation → function → test\n\n\
             Every display equation of the book, the library function(s) that compute it, \
             the tests in the chapter that check it (right below the equation), and the \
             test functions of the integration suite (`tests/suite/`) that call each \
             function, directly or through a helper. The public functions of the library \
             that no equation includes are listed after the table, with their tests.\n\n\
             This page is generated by `cargo xtask bless` from the chapters, `src/` and \
             `tests/suite/`; do not edit it by hand. `cargo test` fails when it is stale, \
             when a display equation has no function or no test, and when a public function \
             is missing here or has no test.\n",
        );
        let mut in_sections = BTreeSet::new();
        let mut long_lists: Vec<String> = Vec::new();
        for chapter in self.book.chapters.iter().filter(|c| !c.sections.is_empty()) {
            let _ = write!(md, "\n## {}\n\n", chapter.title);
            md.push_str(
                "| Equation | Function(s) | Book tests | Suite tests |\n|---|---|---|---|\n",
            );
            for s in &chapter.sections {
                let tag = s
                    .tag
                    .as_deref()
                    .map(|t| format!("({t}) "))
                    .unwrap_or_default();
                let functions: Vec<String> = s.functions.iter().map(|f| format!("`{f}`")).collect();
                let tests: Vec<String> = s
                    .tests
                    .iter()
                    .map(|t| format!("[{t}]({}#test-{t})", chapter.file))
                    .collect();
                let suite: Vec<String> = s
                    .functions
                    .iter()
                    .map(|f| {
                        let (cell, abbreviated) = self.suite_cell(f);
                        if abbreviated && !long_lists.contains(f) {
                            long_lists.push(f.clone());
                        }
                        format!("`{}`: {cell}", short(f))
                    })
                    .collect();
                in_sections.extend(s.functions.iter().cloned());
                let _ = writeln!(
                    md,
                    "| [{tag}{}]({}#eq-{}) | {} | {} | {} |",
                    s.name,
                    chapter.file,
                    s.name,
                    functions.join("<br>"),
                    or_dash(tests.join(", ")),
                    suite.join("<br>"),
                );
            }
        }
        if !long_lists.is_empty() {
            md.push_str(
                "\n## Every suite test of a function\n\n\
                 The functions above whose rows list only part of their suite tests.\n\n\
                 | Function | Suite tests |\n|---|---|\n",
            );
            long_lists.sort();
            for f in &long_lists {
                let _ = writeln!(
                    md,
                    "| <a id=\"fn-{}\"></a>`{f}` | {} |",
                    slug(f),
                    self.suite_tests(f, None)
                );
            }
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
                 chapters that include them outside an equation; *book tests* are the test \
                 blocks that call them.\n\n\
                 | Function | Shown in | Book tests | Suite tests |\n|---|---|---|---|\n",
            );
            for f in rest {
                let shown: Vec<String> = self
                    .book
                    .chapters
                    .iter()
                    .filter(|c| c.loose_functions.contains(&f.path))
                    .map(|c| format!("[{}]({})", c.title, c.file))
                    .collect();
                let _ = writeln!(
                    md,
                    "| `{}` | {} | {} | {} |",
                    f.path,
                    or_dash(shown.join(", ")),
                    self.book_tests_calling(&f.path),
                    self.suite_tests(&f.path, None)
                );
            }
        }
        if !NOT_TRACED.is_empty() {
            md.push_str("\n## Public functions not traced\n\n");
            for (path, why) in NOT_TRACED {
                let _ = writeln!(md, "- `{path}`: {why}");
            }
        }
        md
    }

    /// Public functions with no test at all, or absent from `appendix`.
    fn function_problems(&self, appendix: &str) -> Vec<String> {
        let mut problems = Vec::new();
        for f in self.traced() {
            if !appendix.contains(&format!("`{}`", f.path)) {
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
        for (path, _) in NOT_TRACED {
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

/// The last two segments of a path (`steps::merged`), enough to tell the
/// functions of a row apart.
fn short(path: &str) -> &str {
    match path.rmatch_indices("::").nth(1) {
        Some((i, _)) => &path[i + 2..],
        None => path,
    }
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
    check_or_bless(APPENDIX, &Trace::load().markdown());
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
        trace.markdown()
    } else {
        super::read(&root().join(APPENDIX))
    };
    fail_on(
        &trace.function_problems(&appendix),
        "public functions are not traced",
    );
}

// ---------------------------------------------------------------------------
// The checks can fail: the same analysis on small synthetic sources.

fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const SAMPLE_LIB: &str = "pub mod m;\nmod private;\npub use private::reexported;\n";

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
"#;

const SAMPLE_PRIVATE: &str = "pub fn reexported() {}\npub fn hidden() {}\n";

fn sample_library() -> Library {
    Library::parse(&files(&[
        ("lib.rs", SAMPLE_LIB),
        ("m.rs", SAMPLE_M),
        ("private.rs", SAMPLE_PRIVATE),
    ]))
}

#[test]
fn traceability_lexer_blanks_comments_and_literals_only() {
    let src = "fn a<'l>(x: &'l str) { let c = '\\''; let d = '{'; let s = \"}\\\"{\"; }\n\
               // fn ghost() {\n/* fn g() { /* nested */ } */ let r = r#\"\"{\"#; fn b() {}";
    let blanked = blank(src);
    assert_eq!(blanked.len(), src.len());
    assert_eq!(blanked.lines().count(), src.lines().count());
    let toks: Vec<&str> = tokens(&blanked).iter().map(|t| t.text).collect();
    // (A raw string keeps its `r` prefix, an identifier no function has.)
    let idents: Vec<&str> = toks.iter().copied().filter(|t| is_ident(t)).collect();
    assert_eq!(
        idents,
        [
            "fn", "a", "l", "x", "l", "str", "let", "c", "let", "d", "let", "s", "let", "r", "r",
            "fn", "b"
        ]
    );
    let opens = toks.iter().filter(|t| **t == "{").count();
    let closes = toks.iter().filter(|t| **t == "}").count();
    assert_eq!(
        (opens, closes),
        (2, 2),
        "braces in literals and comments are blanked"
    );
}

#[test]
fn traceability_library_scan_finds_exactly_the_public_functions() {
    let lib = sample_library();
    let paths: Vec<&str> = lib.functions.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["m::fresh", "m::steps::inner", "m::traced", "reexported"]
    );
    let anchor = |a: &str| {
        lib.anchors
            .get(&("m.rs".to_string(), a.to_string()))
            .cloned()
    };
    assert_eq!(anchor("traced"), Some(Ok("m::traced".to_string())));
    assert_eq!(anchor("inner"), Some(Ok("m::steps::inner".to_string())));
    assert!(
        anchor("unclosed")
            .unwrap()
            .unwrap_err()
            .contains("has no `// ANCHOR_END: unclosed`")
    );
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
"#;

fn sample_book() -> Book {
    let chapters = vec![(
        "Sample".to_string(),
        "sample.md".to_string(),
        SAMPLE_CHAPTER.to_string(),
    )];
    Book::parse(&chapters, &sample_library())
}

#[test]
fn traceability_chapter_checks_flag_each_broken_rule() {
    let book = sample_book();
    let expect = [
        "book/sample.md:31: display equation without an equation anchor",
        "book/sample.md:37: equation `eq-bare` has no \\tag{…}",
        "book/sample.md:39: test anchor `test-not-rust` is not followed by a runnable ```rust block",
        "book/sample.md:52: src/m.rs has no `// ANCHOR: missing`",
        "book/sample.md:53: `{{#include ../src/m.rs}}` must be {{#include ../src/FILE.rs:ANCHOR}}",
        "book/sample.md:56: test anchor `test-bad-include` is not followed by a runnable ```rust block",
        "book/sample.md:35: equation `eq-bare` includes no library function",
        "book/sample.md:35: equation `eq-bare` has no test block",
        "book/sample.md:45: equation `eq-bad-include` includes no library function",
        "book/sample.md:45: equation `eq-bad-include` has no test block",
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
        (good.name.as_str(), good.tag.as_deref()),
        ("good", Some("9.1"))
    );
    assert_eq!(
        (good.functions.as_slice(), good.tests.as_slice()),
        (
            &["m::steps::inner".to_string()][..],
            &["good".to_string()][..]
        )
    );
}

const SAMPLE_SUITE: &str = r#"
use softmax_cross_entropy as sce;
use softmax_cross_entropy::m::{self, steps::*};
use crate::common::shared;

fn helper() { m::traced(1.0); }

#[test]
fn through_a_helper() { helper(); }

#[test]
fn by_glob_and_alias() { inner(1); sce::reexported(); }

#[test]
fn through_common() { shared(); }

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
    fn in_proptest(x in 0..5i32) { prop_assert_eq!(inner(x), x); }
}
"#;

const SAMPLE_COMMON: &str = "pub fn shared() { softmax_cross_entropy::m::steps::inner(0); }\n";

#[test]
fn traceability_suite_scan_follows_imports_and_helpers() {
    let known = sample_library().known();
    let callers = suite_callers(
        &files(&[("sample.rs", SAMPLE_SUITE), ("common.rs", SAMPLE_COMMON)]),
        &known,
    );
    let of = |f: &str| {
        callers
            .get(f)
            .map(|s| s.iter().map(String::as_str).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(of("m::traced"), ["sample::through_a_helper"]);
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
        Vec::<&str>::new(),
        "comments, strings, locals and ignored tests are not calls"
    );
}

#[test]
fn traceability_function_checks_flag_untested_and_unlisted_functions() {
    let lib = sample_library();
    let book = sample_book();
    let known = lib.known();
    let suite = suite_callers(
        &files(&[("sample.rs", SAMPLE_SUITE), ("common.rs", SAMPLE_COMMON)]),
        &known,
    );
    let book_calls = book_callers(&book, &known);
    let trace = Trace {
        lib,
        book,
        suite,
        book_calls,
    };
    let appendix = trace.markdown();
    assert!(
        appendix.contains(
            "| [(9.1) good](sample.md#eq-good) | `m::steps::inner` | [good](sample.md#test-good) |"
        ),
        "{appendix}"
    );
    assert!(
        appendix.contains("| `m::traced` | [Sample](sample.md) | — | `sample::through_a_helper` |"),
        "{appendix}"
    );
    // The generated appendix names every function; only `m::fresh` is untested.
    assert_eq!(
        trace.function_problems(&appendix),
        [
            "public function `m::fresh` (src/m.rs:11) has no test: no book test block and no test of tests/suite/ calls it"
        ]
    );
    // An appendix generated before `m::fresh` existed does not name it.
    let old = appendix.replace("| `m::fresh` |", "|");
    assert!(trace.function_problems(&old)[0].starts_with(
        "public function `m::fresh` (src/m.rs:11) is not named in book/traceability.md"
    ));
}
