//! Just enough HTML and CSS lexing to find the links of a built book for
//! `check-links`: start tags with their attributes, the text of `<script>`
//! and `<style>`, the `url(...)`/`@import` of CSS. Comments are skipped.

/// A start tag or a raw-text element's content, with its byte offset.
pub enum Item {
    Tag(Tag),
    /// The content of a `<script>` or `<style>` element.
    RawText {
        element: String,
        text: String,
        offset: usize,
    },
}

pub struct Tag {
    /// Lower-case tag name.
    pub name: String,
    pub attrs: Vec<Attr>,
}

pub struct Attr {
    /// Lower-case attribute name.
    pub name: String,
    /// The value, with character references decoded.
    pub value: String,
    pub offset: usize,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|attr| attr.name == name)
    }
}

/// The start tags (and raw texts) of an HTML document, in order.
pub fn parse(html: &str) -> Vec<Item> {
    let bytes = html.as_bytes();
    let mut items = Vec::new();
    let mut i = 0;
    while let Some(lt) = find_from(html, i, "<") {
        i = lt + 1;
        let rest = &html[lt..];
        if rest.starts_with("<!--") {
            i = find_from(html, lt + 4, "-->").map_or(html.len(), |end| end + 3);
            continue;
        }
        if rest.starts_with("</") || rest.starts_with("<!") || rest.starts_with("<?") {
            i = find_from(html, lt, ">").map_or(html.len(), |end| end + 1);
            continue;
        }
        if !bytes.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue; // a stray `<` in text
        }
        let name_end = scan(bytes, i, |b| {
            b.is_ascii_alphanumeric() || b == b'-' || b == b':'
        });
        let name = html[i..name_end].to_ascii_lowercase();
        let (attrs, end, self_closing) = attributes(html, name_end);
        i = end;
        let raw = (name == "script" || name == "style") && !self_closing;
        let element = name.clone();
        items.push(Item::Tag(Tag { name, attrs }));
        if raw {
            let close = format!("</{element}");
            let stop = find_ascii_case_insensitive(html, i, &close).unwrap_or(html.len());
            items.push(Item::RawText {
                element,
                text: html[i..stop].to_owned(),
                offset: i,
            });
            i = stop;
        }
    }
    items
}

/// Parse attributes from `i` (just after the tag name) to the closing `>`.
/// Returns them, the offset after `>`, and whether the tag ended in `/>`.
fn attributes(html: &str, mut i: usize) -> (Vec<Attr>, usize, bool) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        i = scan(bytes, i, |b| b.is_ascii_whitespace());
        match bytes.get(i) {
            None => return (attrs, i, self_closing),
            Some(b'>') => return (attrs, i + 1, self_closing),
            Some(b'/') => {
                self_closing = true;
                i += 1;
                continue;
            }
            Some(_) => self_closing = false,
        }
        let name_start = i;
        i = scan(bytes, i, |b| {
            !b.is_ascii_whitespace() && !matches!(b, b'=' | b'>' | b'/')
        });
        if i == name_start {
            i += 1; // a lone `=`: skip it
            continue;
        }
        let name = html[name_start..i].to_ascii_lowercase();
        let after_name = scan(bytes, i, |b| b.is_ascii_whitespace());
        let (value, offset) = if bytes.get(after_name) == Some(&b'=') {
            let start = scan(bytes, after_name + 1, |b| b.is_ascii_whitespace());
            match bytes.get(start) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let end = scan(bytes, start + 1, |b| b != quote);
                    i = (end + 1).min(html.len());
                    (&html[start + 1..end], start + 1)
                }
                _ => {
                    i = scan(bytes, start, |b| !b.is_ascii_whitespace() && b != b'>');
                    (&html[start..i], start)
                }
            }
        } else {
            ("", name_start)
        };
        attrs.push(Attr {
            name,
            value: decode_entities(value),
            offset,
        });
    }
}

/// Decode the character references that occur in attribute values.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `%XX` decoding (for paths and fragments of links).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = &bytes[i + 1..i + 3];
            if hex.iter().all(u8::is_ascii_hexdigit) {
                let hex = std::str::from_utf8(hex).unwrap_or("0");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `url(...)` and `@import "..."` references of a stylesheet, with offsets.
pub fn css_urls(css: &str) -> Vec<(usize, String)> {
    let css = blank_css_comments(css);
    let lower = css.to_ascii_lowercase();
    let bytes = css.as_bytes();
    let mut urls = Vec::new();
    let mut i = 0;
    while let Some(at) = find_from(&lower, i, "url(") {
        let start = scan(bytes, at + 4, |b| b.is_ascii_whitespace());
        let (value, end) = match bytes.get(start) {
            Some(&quote @ (b'"' | b'\'')) => {
                let end = scan(bytes, start + 1, |b| b != quote);
                (&css[start + 1..end], end)
            }
            _ => {
                let end = scan(bytes, start, |b| b != b')');
                (css[start..end].trim_end(), end)
            }
        };
        urls.push((start, value.to_owned()));
        i = end.max(at + 4);
    }
    let mut i = 0;
    while let Some(at) = find_from(&lower, i, "@import") {
        let start = scan(bytes, at + 7, |b| b.is_ascii_whitespace());
        if let Some(&quote @ (b'"' | b'\'')) = bytes.get(start) {
            let end = scan(bytes, start + 1, |b| b != quote);
            urls.push((start + 1, css[start + 1..end].to_owned()));
        }
        i = at + 7;
    }
    urls
}

/// The stylesheet with its `/* comments */` replaced by spaces (offsets kept).
fn blank_css_comments(css: &str) -> String {
    let mut out = String::with_capacity(css.len());
    let mut chars = css.char_indices().peekable();
    let mut quote = None;
    while let Some((_, c)) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == '\\' {
                    if let Some((_, escaped)) = chars.next() {
                        out.push(escaped);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '/' && chars.peek().is_some_and(|&(_, next)| next == '*') => {
                chars.next();
                out.push_str("  ");
                let mut previous = ' ';
                for (_, c) in chars.by_ref() {
                    out.push(if c == '\n' { '\n' } else { ' ' });
                    out.extend(std::iter::repeat_n(' ', c.len_utf8() - 1));
                    if previous == '*' && c == '/' {
                        break;
                    }
                    previous = c;
                }
            }
            None => {
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// 1-based line number of a byte offset.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn scan(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

fn find_from(haystack: &str, from: usize, needle: &str) -> Option<usize> {
    haystack.get(from..)?.find(needle).map(|at| at + from)
}

fn find_ascii_case_insensitive(haystack: &str, from: usize, needle: &str) -> Option<usize> {
    let needle = needle.as_bytes();
    let bytes = haystack.as_bytes();
    (from..bytes.len().saturating_sub(needle.len()) + 1)
        .find(|&at| bytes[at..at + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
        parse(html)
            .into_iter()
            .filter_map(|item| match item {
                Item::Tag(tag) => Some((
                    tag.name,
                    tag.attrs.into_iter().map(|a| (a.name, a.value)).collect(),
                )),
                Item::RawText { .. } => None,
            })
            .collect()
    }

    #[test]
    fn tags_and_attributes() {
        let html = r#"<!DOCTYPE html><!-- <a href="x"> --><A HREF='a.html#b' class=c disabled>t</A>
            <img src="i&amp;j.png"/><p title="1 &lt; 2">"#;
        let found = tags(html);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].0, "a");
        assert_eq!(
            found[0].1,
            [
                ("href".to_owned(), "a.html#b".to_owned()),
                ("class".to_owned(), "c".to_owned()),
                ("disabled".to_owned(), String::new())
            ]
        );
        assert_eq!(found[1].1, [("src".to_owned(), "i&j.png".to_owned())]);
        assert_eq!(found[2].1, [("title".to_owned(), "1 < 2".to_owned())]);
    }

    #[test]
    fn script_content_is_raw_text() {
        let items = parse(r#"<script>var a = "<a href='no'>";</SCRIPT><b id="x">"#);
        assert_eq!(items.len(), 3);
        match &items[1] {
            Item::RawText { element, text, .. } => {
                assert_eq!(element, "script");
                assert_eq!(text, r#"var a = "<a href='no'>";"#);
            }
            Item::Tag(_) => panic!("expected the script's text"),
        }
    }

    #[test]
    fn css_references_without_comments() {
        let css = r#"/* see https://example.org */ @import "a.css"; b{background:url( 'x.png' )}
            @font-face{src:url(fonts/k.woff2) format("woff2")} i{content:"/*"} j{u:url(y.svg)}"#;
        let urls: Vec<String> = css_urls(css).into_iter().map(|(_, url)| url).collect();
        assert_eq!(urls, ["x.png", "fonts/k.woff2", "y.svg", "a.css"]);
    }

    #[test]
    fn decoding() {
        assert_eq!(
            decode_entities("a&amp;b&#x41;&#66;&unknown;&"),
            "a&bAB&unknown;&"
        );
        assert_eq!(percent_decode("a%20b%zz%4"), "a b%zz%4");
    }
}
