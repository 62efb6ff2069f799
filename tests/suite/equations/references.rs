//! Every reference to an equation number in the prose is a link to that
//! equation's anchor: `[(4.8)](softmax-derivative.md#eq-vector-jacobian-product)`,
//! or `<a href="#eq-…">(4.8)</a>` where Markdown is not processed (a
//! `<summary>`). A number that is not a link, or whose link leads to an
//! anchor with another tag, fails with the file and line.

use super::chapters::{self, Equation};
use std::path::Path;

/// A link of a line: its text and its target, as written.
#[derive(Debug)]
struct Link {
    text: String,
    target: String,
    start: usize,
    end: usize,
}

/// The Markdown and HTML links of a line (byte positions).
fn links(line: &str) -> Vec<Link> {
    let mut out = Vec::new();
    let b = line.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !line.is_char_boundary(i) {
            i += 1;
            continue;
        }
        if b[i] == b'[' {
            // `[text](target)`, text without nested brackets.
            if let Some(close) = line[i + 1..].find(']').map(|c| i + 1 + c)
                && line[close + 1..].starts_with('(')
                && let Some(end) = line[close + 2..].find(')').map(|e| close + 2 + e)
            {
                out.push(Link {
                    text: line[i + 1..close].to_string(),
                    target: line[close + 2..end].to_string(),
                    start: i,
                    end: end + 1,
                });
                i = end + 1;
                continue;
            }
        } else if line[i..].starts_with("<a href=\"")
            && let Some(q) = line[i + 9..].find('"').map(|q| i + 9 + q)
            && let Some(gt) = line[q..].find('>').map(|g| q + g)
            && let Some(close) = line[gt..].find("</a>").map(|c| gt + c)
        {
            out.push(Link {
                text: line[gt + 1..close].to_string(),
                target: line[i + 9..q].to_string(),
                start: i,
                end: close + 4,
            });
            i = close + 4;
            continue;
        }
        i += 1;
    }
    out
}

/// The equation numbers `(K.M)` of a text: (byte position, `K.M`).
fn numbers(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (at, _) in text.match_indices('(') {
        let rest = &text[at + 1..];
        let Some(end) = rest.find(')') else { continue };
        let inner = &rest[..end];
        if let Some((k, m)) = inner.split_once('.')
            && !k.is_empty()
            && !m.is_empty()
            && k.bytes().all(|c| c.is_ascii_digit())
            && m.bytes().all(|c| c.is_ascii_digit())
        {
            out.push((at, inner.to_string()));
        }
    }
    out
}

/// Inline code, inline math and HTML comments blanked (same length).
fn mask(line: &str) -> String {
    let mut out: Vec<u8> = line.as_bytes().to_vec();
    for (open, close) in [("<!--", "-->"), ("`", "`"), ("$", "$")] {
        let mut from = 0;
        let text = String::from_utf8_lossy(&out).to_string();
        while let Some(s) = text[from..].find(open).map(|s| from + s) {
            let Some(e) = text[s + open.len()..]
                .find(close)
                .map(|e| s + open.len() + e)
            else {
                break;
            };
            for c in &mut out[s..e + close.len()] {
                *c = b' ';
            }
            from = e + close.len();
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| " ".repeat(line.len()))
}

/// The errors of one chapter's prose.
fn check_chapter(file: &str, text: &str, equations: &[Equation]) -> Vec<String> {
    let mut errors = Vec::new();
    let mut fence = false;
    let mut display = false;
    for (i, line) in text.lines().enumerate() {
        let at = format!("{file}:{}", i + 1);
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = !fence;
            continue;
        }
        let dollars = trimmed.matches("$$").count();
        if fence || display || dollars > 0 {
            if !fence && dollars % 2 == 1 {
                display = !display;
            }
            continue;
        }
        let masked = mask(line);
        let links = links(&masked);
        for (pos, tag) in numbers(&masked) {
            let Some(link) = links.iter().find(|l| l.start < pos && pos < l.end) else {
                errors.push(format!("{at}: ({tag}) is not a link to its equation"));
                continue;
            };
            let (page, fragment) = link.target.split_once('#').unwrap_or((&link.target, ""));
            let page = if page.is_empty() { file } else { page };
            match equations
                .iter()
                .find(|e| e.anchor == fragment && e.chapter == page)
            {
                None => errors.push(format!(
                    "{at}: ({tag}) links to {}, which is not an equation's anchor",
                    link.target
                )),
                Some(eq) if eq.tag != tag => errors.push(format!(
                    "{at}: ({tag}) links to {}, whose tag is ({})",
                    link.target, eq.tag
                )),
                Some(_) => {}
            }
            if numbers(&link.text).len() > 1 {
                errors.push(format!(
                    "{at}: one link, several equation numbers: {}",
                    link.text
                ));
            }
        }
    }
    errors
}

fn book_errors(root: &Path, edit: impl Fn(&str, String) -> String) -> Vec<String> {
    let book = root.join("book");
    let equations = chapters::book_equations(root);
    let mut errors = Vec::new();
    for file in chapters::chapter_files(&book) {
        let text = std::fs::read_to_string(book.join(&file)).expect("a chapter");
        errors.extend(check_chapter(&file, &edit(&file, text), &equations));
    }
    errors
}

#[test]
fn every_equation_reference_links_to_its_equation() {
    let errors = book_errors(&super::root(), |_, t| t);
    assert!(errors.is_empty(), "\n{}", errors.join("\n"));
}

#[test]
fn a_wrong_equation_number_fails() {
    // Show (4.9) on a link to (4.8), and drop a link: both must fail.
    let errors = book_errors(&super::root(), |file, text| {
        if file == "introduction.md" {
            text.replacen(
                "[(4.8)](softmax-derivative.md#eq-vector-jacobian-product)",
                "[(4.9)](softmax-derivative.md#eq-vector-jacobian-product)",
                1,
            )
            .replacen("[(1.1)](softmax.md#eq-softmax-definition)", "(1.1)", 1)
        } else {
            text
        }
    });
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains(
            "(4.9) links to softmax-derivative.md#eq-vector-jacobian-product, whose tag is (4.8)"
        ) || errors[1].contains("whose tag is (4.8)"),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("(1.1) is not a link")),
        "{errors:#?}"
    );
}
