//! Where the display equations are: every `$$ … $$` block of every chapter,
//! with its anchor, its tag and its binding line.
//!
//! The book's layout rules (CONTRIBUTING.md) make this a line-level job: the
//! anchor `<a id="eq-NAME"></a>` stands alone before the equation, `$$` opens
//! and closes the equation on lines of their own, `\tag{K.M}` is inside, and
//! the binding `<!-- check: … -->` is the one line right after the closing
//! `$$`.

use std::path::Path;

/// One display equation of the book.
#[derive(Debug, Clone)]
pub struct Equation {
    /// The chapter file, e.g. `softmax.md`.
    pub chapter: String,
    /// The anchor, e.g. `eq-softmax-definition`.
    pub anchor: String,
    /// The tag, e.g. `1.1`.
    pub tag: String,
    /// The LaTeX between the `$$` lines, `\tag{…}` removed.
    pub latex: String,
    /// The binding, the text between `<!-- check:` and `-->`, if there is one.
    pub binding: Option<String>,
    /// The 1-based line of the opening `$$`.
    pub line: usize,
}

impl Equation {
    /// `(1.1) eq-softmax-definition (softmax.md:12)`: how a failure names it.
    pub fn name(&self) -> String {
        format!(
            "({}) {} ({}:{})",
            self.tag, self.anchor, self.chapter, self.line
        )
    }
}

/// The binding line's opening and closing.
pub const BINDING_OPEN: &str = "<!-- check:";
/// See [`BINDING_OPEN`].
pub const BINDING_CLOSE: &str = "-->";

/// The chapters in the order of `book/SUMMARY.md`.
pub fn chapter_files(book: &Path) -> Vec<String> {
    let summary = std::fs::read_to_string(book.join("SUMMARY.md")).expect("book/SUMMARY.md");
    summary
        .lines()
        .filter_map(|l| Some(l.split("](").nth(1)?.split(')').next()?.to_string()))
        .filter(|f| f.ends_with(".md"))
        .collect()
}

/// Every display equation of one chapter's text.
pub fn equations_in(chapter: &str, text: &str) -> Result<Vec<Equation>, String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut anchor = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        if let Some(rest) = line.strip_prefix("<a id=\"eq-") {
            anchor = rest.split('"').next().map(|a| format!("eq-{a}"));
        }
        if line != "$$" {
            i += 1;
            continue;
        }
        let open = i;
        let close = (open + 1..lines.len())
            .find(|&k| lines[k].trim() == "$$")
            .ok_or_else(|| format!("{chapter}:{}: `$$` is never closed", open + 1))?;
        let body = lines[open + 1..close].join("\n");
        let (latex, tag) = strip_tag(&body)
            .ok_or_else(|| format!("{chapter}:{}: a display equation without \\tag", open + 1))?;
        let anchor = anchor
            .take()
            .ok_or_else(|| format!("{chapter}:{}: equation ({tag}) has no anchor", open + 1))?;
        let binding = lines.get(close + 1).and_then(|l| {
            let l = l.trim();
            l.strip_prefix(BINDING_OPEN)?
                .strip_suffix(BINDING_CLOSE)
                .map(|b| b.trim().to_string())
        });
        out.push(Equation {
            chapter: chapter.to_string(),
            anchor,
            tag,
            latex,
            binding,
            line: open + 1,
        });
        i = close + 1;
    }
    Ok(out)
}

/// Remove `\tag{…}` (presentation: mdBook's KaTeX numbers the equation) and
/// return it; `\label{…}` and `\notag` go too.
pub fn strip_tag(body: &str) -> Option<(String, String)> {
    let at = body.find("\\tag{")?;
    let rest = &body[at + 5..];
    let end = rest.find('}')?;
    let tag = rest[..end].trim().to_string();
    let mut latex = format!("{}{}", &body[..at], &rest[end + 1..]);
    while let Some(at) = latex.find("\\label{") {
        let end = latex[at..].find('}').map_or(latex.len(), |e| at + e + 1);
        latex.replace_range(at..end, "");
    }
    Some((latex.replace("\\notag", "").trim().to_string(), tag))
}

/// Every display equation of the book, in reading order.
pub fn book_equations(root: &Path) -> Vec<Equation> {
    let book = root.join("book");
    let mut out = Vec::new();
    for file in chapter_files(&book) {
        let text = std::fs::read_to_string(book.join(&file)).expect("a chapter of SUMMARY.md");
        out.extend(equations_in(&file, &text).unwrap_or_else(|e| panic!("{e}")));
    }
    out
}
