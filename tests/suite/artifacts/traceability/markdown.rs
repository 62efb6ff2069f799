//! The chapters as the traceability rules see them, parsed with
//! pulldown-cmark (with its math extension, so that a `$$ … $$` display is
//! one `DisplayMath` event).
//!
//! This module knows Markdown, not the project's conventions: it turns a
//! chapter into the flat list of [`Block`]s that the rules of the parent
//! module walk through (anchors, displays, fenced code, and anything else
//! that stands between an anchor and what it must precede). HTML blocks such
//! as `<details><summary>…</summary>` are transparent: an anchor or a code
//! block inside `<details>` is seen exactly as outside.

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

/// What a chapter holds, in document order, for the traceability rules.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Block {
    /// An HTML anchor `<a id="ID">` (in an HTML block or inline).
    Anchor { id: String, line: usize },
    /// A display equation `$$ … $$`, with the LaTeX between the dollars.
    Display { latex: String, line: usize },
    /// A code block: its info string (empty for an indented block), its
    /// lines with their line numbers, the line where it starts, and whether
    /// a closing fence ends it (an unclosed fence runs to the end of the
    /// chapter).
    Code {
        info: String,
        lines: Vec<(usize, String)>,
        line: usize,
        closed: bool,
    },
    /// An mdBook include (`{{#include …}}`) outside any code block.
    Include { text: String, line: usize },
    /// A line of text that starts with `$$` but is no display equation (the
    /// display is never closed, or a blank line breaks it).
    UnclosedDisplay { line: usize },
    /// A code fence or a `$$` inside an HTML block: Markdown does not see
    /// either there (mdBook shows the fence as text, rustdoc never runs it).
    InsideHtml { what: &'static str, line: usize },
    /// Any other content (text, inline code or math, a rule, an image, …):
    /// it separates an anchor from the block that follows.
    Content { line: usize },
}

/// The 1-based line of each byte offset of a text.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Lines(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }

    /// The line of byte `offset`.
    fn of(&self, offset: usize) -> usize {
        self.0.partition_point(|&start| start <= offset)
    }
}

/// The options of every parse: CommonMark plus math.
fn parser(text: &str) -> Parser<'_> {
    Parser::new_ext(text, Options::ENABLE_MATH)
}

/// The ids of the `<a id="…">` anchors of a piece of HTML, with the number of
/// newlines before each.
fn anchor_ids(html: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (at, _) in html.match_indices("<a ") {
        let tag = &html[at..html[at..].find('>').map_or(html.len(), |e| at + e)];
        if let Some(p) = tag.find("id=\"") {
            let rest = &tag[p + 4..];
            if let Some(end) = rest.find('"') {
                out.push((rest[..end].to_string(), html[..at].matches('\n').count()));
            }
        }
    }
    out
}

/// The first mdBook include directive of a piece of text, with the number of
/// newlines before it.
pub(super) fn find_include(text: &str) -> Option<(&str, usize)> {
    let start = text
        .find("{{#include")
        .or_else(|| text.find("{{#rustdoc_include"))?;
    let rest = &text[start..];
    let end = rest.find("}}").map_or(rest.len(), |e| e + 2);
    Some((&rest[..end], text[..start].matches('\n').count()))
}

/// Whether the source of a fenced code block ends with a closing fence.
fn fence_closed(source: &str) -> bool {
    fn strip(l: &str) -> &str {
        l.trim_start_matches(|c: char| c == '>' || c.is_whitespace())
    }
    let mut lines = source.trim_end().lines();
    let Some(open) = lines.next().map(strip) else {
        return false;
    };
    let Some(mark) = open.chars().next().filter(|c| matches!(c, '`' | '~')) else {
        return false;
    };
    let width = open.chars().take_while(|&c| c == mark).count();
    lines.next_back().map(strip).is_some_and(|close| {
        let close = close.trim_end();
        close.len() >= width && close.chars().all(|c| c == mark)
    })
}

/// A chapter as a list of [`Block`]s.
pub(super) fn blocks(text: &str) -> Vec<Block> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    // The code block being read (a `Block::Code`).
    let mut code: Option<Block> = None;
    for (event, range) in parser(text).into_offset_iter() {
        let line = lines.of(range.start);
        if let Some(Block::Code {
            lines: code_lines, ..
        }) = code.as_mut()
        {
            match event {
                Event::Text(s) => {
                    for (k, l) in s.split_inclusive('\n').enumerate() {
                        code_lines.push((line + k, l.trim_end_matches('\n').to_string()));
                    }
                }
                Event::End(TagEnd::CodeBlock) => out.extend(code.take()),
                _ => {}
            }
            continue;
        }
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                // The range of the start event spans the whole block.
                let (info, closed) = match kind {
                    CodeBlockKind::Fenced(info) => (info.to_string(), fence_closed(&text[range])),
                    CodeBlockKind::Indented => (String::new(), true),
                };
                code = Some(Block::Code {
                    info,
                    lines: Vec::new(),
                    line,
                    closed,
                });
            }
            Event::Html(s) | Event::InlineHtml(s) => {
                for (id, k) in anchor_ids(&s) {
                    out.push(Block::Anchor { id, line: line + k });
                }
                for (k, l) in s.lines().enumerate() {
                    let l = l.trim_start();
                    if l.starts_with("```") || l.starts_with("~~~") {
                        out.push(Block::InsideHtml {
                            what: "a code fence",
                            line: line + k,
                        });
                    } else if l.contains("$$") {
                        out.push(Block::InsideHtml {
                            what: "a display equation",
                            line: line + k,
                        });
                    }
                }
            }
            Event::DisplayMath(latex) => out.push(Block::Display {
                latex: latex.to_string(),
                line,
            }),
            Event::Text(s) | Event::Code(s) => {
                if let Some((include, k)) = find_include(&s) {
                    out.push(Block::Include {
                        text: include.to_string(),
                        line: line + k,
                    });
                }
                // A `$$` that opens no display comes as text at a line start.
                let line_start = lines.0[line - 1];
                if text[line_start..range.start].trim().is_empty()
                    && text[range.start..].starts_with("$$")
                {
                    out.push(Block::UnclosedDisplay { line });
                } else if !s.trim().is_empty() {
                    out.push(Block::Content { line });
                }
            }
            Event::InlineMath(_)
            | Event::Rule
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_)
            | Event::Start(Tag::Image { .. }) => out.push(Block::Content { line }),
            _ => {}
        }
    }
    out
}

/// The links of a page, in order: `(text, destination)`.
pub(super) fn links(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut open: Option<(String, String)> = None;
    for event in parser(text) {
        match event {
            Event::Start(Tag::Link { dest_url, .. }) => {
                open = Some((String::new(), dest_url.to_string()));
            }
            Event::Text(s) | Event::Code(s) => {
                if let Some((title, _)) = open.as_mut() {
                    title.push_str(&s);
                }
            }
            Event::End(TagEnd::Link) => out.extend(open.take()),
            _ => {}
        }
    }
    out
}
