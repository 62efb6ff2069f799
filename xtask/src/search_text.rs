//! The book's search index, rebuilt from plain text.
//!
//! mdBook indexes the text of every element of a chapter, so each formula
//! that mdbook-katex pre-rendered is indexed three times (its MathML, its TeX
//! annotation and its HTML glyphs: "the rows of J J J"), and the hidden
//! `# extern crate …;` lines of the test blocks are indexed as text too.
//! `cargo xtask book` therefore builds the book a second time, without the
//! KaTeX preprocessor, from a copy of the chapters in which each formula is
//! its TeX source written once as text ([`tex_to_text`]) and no hidden line
//! of a Rust block is left ([`without_hidden_lines`]), and puts the search
//! index of that build in place of the first one's. The two builds have the
//! same headings, so the same section addresses; the xtask fails if they
//! differ.

use crate::{Failure, Result, fail};
use std::path::Path;

/// A chapter's Markdown with every formula (`$$…$$`, `$…$`) as plain text
/// and every hidden line of a Rust code block removed.
pub fn chapter(markdown: &str) -> String {
    maths_as_text(&without_hidden_lines(markdown))
}

/// In the copy of a page that lists other chapters section by section (the
/// errata, the appendix), each `## ` heading that is a chapter's title as
/// "`prefix` chapter N" instead: the search then ranks the chapter that
/// defines a term above the pages that only name it in a heading.
/// `chapters` are the titles of SUMMARY.md's numbered chapters, in order.
pub fn without_chapter_headings(markdown: &str, prefix: &str, chapters: &[String]) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.split_inclusive('\n') {
        let title = line.strip_prefix("## ").map(str::trim);
        match title.and_then(|t| chapters.iter().position(|c| c == t)) {
            Some(k) => out.push_str(&format!("## {prefix} chapter {}\n", k + 1)),
            None => out.push_str(line),
        }
    }
    out
}

/// The titles of the numbered chapters of SUMMARY.md (its `- [Title](…)`
/// lines), in order.
pub fn numbered_chapters(summary: &str) -> Vec<String> {
    summary
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- ["))
        .filter_map(|l| l.split_once("](").map(|(t, _)| t.to_owned()))
        .collect()
}

/// Remove the lines that rustdoc and mdBook hide in a ```` ```rust ```` block
/// (`# ` followed by code, or a lone `#`).
pub fn without_hidden_lines(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<(String, bool)> = None; // (the fence, is Rust)
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim_start();
        match &fence {
            None => {
                if let Some(rest) = trimmed.strip_prefix("```") {
                    let info = rest.trim();
                    let rust = info == "rust" || info.starts_with("rust,");
                    let ticks = trimmed.len() - trimmed.trim_start_matches('`').len();
                    fence = Some(("`".repeat(ticks), rust));
                }
                out.push_str(line);
            }
            Some((ticks, rust)) => {
                if trimmed.starts_with(ticks.as_str())
                    && trimmed.trim_end().trim_matches('`').is_empty()
                {
                    fence = None;
                    out.push_str(line);
                    continue;
                }
                let body = line.trim_end_matches(['\n', '\r']).trim_start();
                let hidden = *rust && (body == "#" || body.starts_with("# "));
                if !hidden {
                    out.push_str(line);
                }
            }
        }
    }
    out
}

/// Every `$$…$$` and `$…$` of the Markdown (outside code) as plain text.
/// Inline maths is found per paragraph: a formula may wrap across lines.
fn maths_as_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut in_fence = false;
    let mut display: Option<String> = None;
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, out: &mut String| {
        out.push_str(&inline_maths(paragraph));
        paragraph.clear();
    };
    for line in markdown.split_inclusive('\n') {
        let trimmed = line.trim();
        if display.is_none() && trimmed.starts_with("```") {
            flush(&mut paragraph, &mut out);
            in_fence = !in_fence;
            out.push_str(line);
            continue;
        }
        if in_fence {
            out.push_str(line);
            continue;
        }
        if trimmed == "$$" {
            flush(&mut paragraph, &mut out);
            match display.take() {
                None => display = Some(String::new()),
                Some(tex) => {
                    out.push_str(&tex_to_text(&tex));
                    out.push('\n');
                }
            }
            continue;
        }
        if let Some(tex) = display.as_mut() {
            tex.push_str(line);
            continue;
        }
        paragraph.push_str(line);
        if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// The `$…$` of a paragraph of prose (not inside `` `code` ``) as text.
fn inline_maths(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.char_indices().peekable();
    let mut in_code = false;
    while let Some((i, c)) = chars.next() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '\\' if !in_code && line[i + 1..].starts_with('$') => {
                out.push('$');
                chars.next();
            }
            '$' if !in_code => match line[i + 1..].find('$') {
                Some(len) if len > 0 => {
                    out.push_str(&tex_to_text(&line[i + 1..i + 1 + len]));
                    while chars.peek().is_some_and(|&(j, _)| j <= i + 1 + len) {
                        chars.next();
                    }
                }
                _ => out.push(c),
            },
            c => out.push(c),
        }
    }
    out
}

/// TeX as readable text: Greek letters and operators as their characters,
/// fonts and spacing commands dropped, `\frac{a}{b}` as `(a)/(b)`, an
/// equation's `\tag{1.1}` as `(1.1)`, the rows of `aligned` on one line.
pub fn tex_to_text(tex: &str) -> String {
    const SYMBOLS: &[(&str, &str)] = &[
        ("varsigma", "ς"),
        ("sigma", "σ"),
        ("xi", "ξ"),
        ("theta", "θ"),
        ("delta", "δ"),
        ("varepsilon", "ε"),
        ("epsilon", "ε"),
        ("rho", "ρ"),
        ("beta", "β"),
        ("alpha", "α"),
        ("ell", "ℓ"),
        ("Sigma", "Σ"),
        ("nabla", "∇"),
        ("partial", "∂"),
        ("sum", "∑"),
        ("prod", "∏"),
        ("infty", "∞"),
        ("cdot", "·"),
        ("cdots", "⋯"),
        ("dots", "…"),
        ("ldots", "…"),
        ("vdots", "⋮"),
        ("approx", "≈"),
        ("neq", "≠"),
        ("ne", "≠"),
        ("le", "≤"),
        ("leq", "≤"),
        ("ge", "≥"),
        ("geq", "≥"),
        ("in", "∈"),
        ("times", "×"),
        ("odot", "⊙"),
        ("top", "ᵀ"),
        ("to", "→"),
        ("langle", "⟨"),
        ("rangle", "⟩"),
        ("pm", "±"),
        ("mid", "|"),
        ("#", "#"),
        ("{", "{"),
        ("}", "}"),
        ("%", "%"),
        ("_", "_"),
        ("log", "log"),
        ("ln", "ln"),
        ("exp", "exp"),
        ("max", "max"),
        ("min", "min"),
        ("lim", "lim"),
        ("sqrt", "√"),
        ("cases", ""),
    ];
    const DROPPED: &[&str] = &[
        "left",
        "right",
        "bigl",
        "bigr",
        "Bigl",
        "Bigr",
        "big",
        "Big",
        "quad",
        "qquad",
        ",",
        ";",
        ":",
        "!",
        " ",
        "displaystyle",
        "textstyle",
        "limits",
        "mathbf",
        "mathrm",
        "mathit",
        "mathcal",
        "mathbb",
        "boldsymbol",
        "operatorname",
        "text",
        "texttt",
        "textbf",
        "underset",
        "begin",
        "end",
    ];
    let mut out = String::with_capacity(tex.len());
    let b: Vec<char> = tex.chars().collect();
    let mut k = 0;
    // The argument of \begin/\end is an environment name: skipped.
    let mut skip_group = false;
    while k < b.len() {
        let c = b[k];
        if c == '\\' {
            let start = k + 1;
            let mut end = start;
            while end < b.len() && b[end].is_ascii_alphabetic() {
                end += 1;
            }
            if end == start && end < b.len() {
                end += 1; // a one-character command: \{ \, \\ …
            }
            let name: String = b[start..end].iter().collect();
            k = end;
            if name == "\\" {
                out.push(' ');
            } else if name == "tag" {
                out.push_str(" (");
                let (group, next) = group_at(&b, k);
                out.push_str(&tex_to_text(&group));
                out.push(')');
                k = next;
            } else if name == "frac" || name == "tfrac" || name == "dfrac" {
                let (num, next) = group_at(&b, k);
                let (den, next) = group_at(&b, next);
                out.push_str(&format!("({})/({})", tex_to_text(&num), tex_to_text(&den)));
                k = next;
            } else if name == "begin" || name == "end" {
                skip_group = true;
            } else if let Some((_, text)) = SYMBOLS.iter().find(|(n, _)| *n == name) {
                out.push_str(text);
            } else if !DROPPED.contains(&name.as_str()) {
                out.push_str(&name);
            }
            continue;
        }
        match c {
            '{' if skip_group => {
                let (_, next) = group_at(&b, k);
                k = next;
                skip_group = false;
                continue;
            }
            '{' | '}' | '&' => {}
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
        k += 1;
    }
    collapse(&out)
}

/// The `{…}` group at `k` (skipping spaces), or the single character there;
/// returns its content and the index after it.
fn group_at(b: &[char], mut k: usize) -> (String, usize) {
    while k < b.len() && b[k] == ' ' {
        k += 1;
    }
    if k >= b.len() {
        return (String::new(), k);
    }
    if b[k] != '{' {
        return (b[k].to_string(), k + 1);
    }
    let mut depth = 0;
    for j in k..b.len() {
        match b[j] {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return (b[k + 1..j].iter().collect(), j + 1);
                }
            }
            _ => {}
        }
    }
    (b[k + 1..].iter().collect(), b.len())
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `"doc_urls":[…]` of a search index (`window.search = …` script): the
/// addresses of its sections, in order.
pub fn doc_urls(index: &str) -> Result<&str> {
    let start = index
        .find("\"doc_urls\":[")
        .ok_or_else(|| Failure("the search index has no doc_urls".into()))?;
    let rest = &index[start..];
    let end = rest
        .find(']')
        .ok_or_else(|| Failure("the search index's doc_urls are not closed".into()))?;
    Ok(&rest[..=end])
}

/// The one `searchindex-*.js` of a built book.
pub fn index_file(dir: &Path) -> Result<std::path::PathBuf> {
    let entries = std::fs::read_dir(dir)
        .map_err(|error| Failure(format!("cannot list {}: {error}", dir.display())))?;
    let found: Vec<_> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("searchindex") && n.ends_with(".js"))
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one.clone()),
        _ => fail!(
            "{} holds {} searchindex*.js files, not one",
            dir.display(),
            found.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_lines_of_rust_blocks_only() {
        let md = "# Title\n\n```rust\n# extern crate approx;\n#\nlet x = 1; # not hidden\n```\n\n```text\n# kept\n```\n";
        assert_eq!(
            without_hidden_lines(md),
            "# Title\n\n```rust\nlet x = 1; # not hidden\n```\n\n```text\n# kept\n```\n"
        );
    }

    #[test]
    fn formulas_once_as_text() {
        assert_eq!(
            tex_to_text(
                r"y_c = \varsigma(\mathbf{z})_c = \frac{e^{z_c}}{\sum_{d=1}^C e^{z_d}} \tag{1.1}"
            ),
            "y_c = ς(z)_c = (e^z_c)/(∑_d=1^C e^z_d) (1.1)"
        );
        assert_eq!(
            tex_to_text(
                "\\begin{aligned}\nS &= 1 + R,\n\\\\\nR &= \\sum_{d \\neq \\ell} e^{z_d - m}\n\\end{aligned}"
            ),
            "S = 1 + R, R = ∑_d ≠ ℓ e^z_d - m"
        );
        assert_eq!(
            chapter("The rows of $J$ sum to $0$; `$x$` stays.\n\n$$\nJ^\\top = J \\tag{4.5}\n$$\n"),
            "The rows of J sum to 0; `$x$` stays.\n\nJ^ᵀ = J (4.5)\n"
        );
    }

    #[test]
    fn chapter_headings_of_errata() {
        let chapters = numbered_chapters(
            "# Summary\n\n[Intro](i.md)\n\n- [The softmax function](s.md)\n- [Errata](e.md)\n",
        );
        assert_eq!(chapters, ["The softmax function", "Errata"]);
        assert_eq!(
            without_chapter_headings(
                "## The softmax function\ntext\n## Other\n",
                "Errata for",
                &chapters
            ),
            "## Errata for chapter 1\ntext\n## Other\n"
        );
    }

    #[test]
    fn doc_urls_of_an_index() {
        let index = r#"window.search = Object.assign(window.search, JSON.parse('{"doc_urls":["a.html#x","b.html"],"index":{}}'));"#;
        assert_eq!(
            doc_urls(index).ok(),
            Some(r#""doc_urls":["a.html#x","b.html"]"#)
        );
    }
}
