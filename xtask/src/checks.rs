//! The link check of the built book: every local link resolves (files and
//! `#fragments`). That the book loads nothing from another host is checked
//! in a real browser, which sees every request (`cargo xtask browser-check`).

use crate::html::{self, Item, Tag};
use crate::{Failure, Result, fail};
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// Attributes whose value is a URL (a link or a resource to load).
const URL_ATTRIBUTES: [&str; 11] = [
    "href",
    "src",
    "poster",
    "data",
    "action",
    "formaction",
    "cite",
    "background",
    "xlink:href",
    "manifest",
    "longdesc",
];

/// The HTML and CSS files of the build directory, sorted.
fn files(dir: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    if !dir.join("index.html").is_file() {
        fail!(
            "{} holds no built book: run `cargo xtask book` first",
            dir.display()
        );
    }
    let (mut html, mut css) = (Vec::new(), Vec::new());
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = std::fs::read_dir(&current)
            .map_err(|error| Failure(format!("cannot list {}: {error}", current.display())))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                match path.extension().and_then(|e| e.to_str()) {
                    Some("html" | "htm") => html.push(path),
                    Some("css") => css.push(path),
                    _ => {}
                }
            }
        }
    }
    html.sort();
    css.sort();
    Ok((html, css))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|error| Failure(format!("cannot read {}: {error}", path.display())))
}

/// The lower-case scheme of an absolute URL (`mailto`, `data`, `https`...).
fn scheme(url: &str) -> Option<String> {
    let colon = url.find(':')?;
    let scheme = &url[..colon];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then(|| scheme.to_ascii_lowercase())
}

// ---------------------------------------------------------------- links

/// One reference to check: where it is, and the URL as written.
struct Reference {
    line: usize,
    url: String,
    /// The directory relative URLs resolve against (relative to the book root).
    base: PathBuf,
}

/// Every relative `href`/`src`/`srcset`/`url()` of the built HTML and CSS
/// resolves to an existing file, and every `#fragment` into an HTML page is
/// an `id` (or `<a name>`) of that page.
pub fn links(dir: &Path) -> Result {
    let (html_files, css_files) = files(dir)?;
    let mut ids: HashMap<PathBuf, HashSet<String>> = HashMap::new();
    let mut references: Vec<(PathBuf, Reference)> = Vec::new();
    for file in &html_files {
        let text = read(file)?;
        let rel = file.strip_prefix(dir).unwrap_or(file).to_path_buf();
        let file_dir = rel.parent().map(Path::to_path_buf).unwrap_or_default();
        let items = html::parse(&text);
        // A <base href="/..."> (mdbook's 404 page) makes links root-relative.
        let base = items
            .iter()
            .find_map(|item| match item {
                Item::Tag(tag) if tag.name == "base" => tag.attr("href"),
                _ => None,
            })
            .map_or(file_dir.clone(), |href| {
                if href.value.starts_with('/') {
                    PathBuf::new()
                } else {
                    file_dir.join(&href.value)
                }
            });
        let mut page_ids = HashSet::new();
        for item in &items {
            match item {
                Item::Tag(tag) => {
                    page_ids.extend(tag.attr("id").map(|a| a.value.clone()));
                    if tag.name == "a" {
                        page_ids.extend(tag.attr("name").map(|a| a.value.clone()));
                    }
                    if tag.name == "base" {
                        continue;
                    }
                    for (offset, url) in tag_urls(tag) {
                        references.push((
                            rel.clone(),
                            Reference {
                                line: html::line_of(&text, offset),
                                url,
                                base: base.clone(),
                            },
                        ));
                    }
                }
                Item::RawText {
                    element,
                    text: css,
                    offset,
                } if element == "style" => {
                    for (at, url) in html::css_urls(css) {
                        references.push((
                            rel.clone(),
                            Reference {
                                line: html::line_of(&text, offset + at),
                                url,
                                base: base.clone(),
                            },
                        ));
                    }
                }
                Item::RawText { .. } => {}
            }
        }
        ids.insert(rel, page_ids);
    }
    for file in &css_files {
        let text = read(file)?;
        let rel = file.strip_prefix(dir).unwrap_or(file).to_path_buf();
        let base = rel.parent().map(Path::to_path_buf).unwrap_or_default();
        for (offset, url) in html::css_urls(&text) {
            references.push((
                rel.clone(),
                Reference {
                    line: html::line_of(&text, offset),
                    url,
                    base: base.clone(),
                },
            ));
        }
    }

    let mut broken = Vec::new();
    let mut checked = 0;
    for (file, reference) in &references {
        if let Some(problem) = check_reference(dir, file, reference, &ids) {
            broken.push(format!(
                "{}:{}: `{}`: {problem}",
                file.display(),
                reference.line,
                reference.url
            ));
        }
        checked += 1;
    }
    eprintln!(
        "check-links: {} HTML pages, {} stylesheets, {checked} local references checked, {} broken",
        html_files.len(),
        css_files.len(),
        broken.len()
    );
    if !broken.is_empty() {
        fail!(
            "broken links in {}:\n  {}",
            dir.display(),
            broken.join("\n  ")
        );
    }
    Ok(())
}

/// The URLs of a tag's attributes: those of the URL attributes, and those
/// inside `srcset`, `style` and `<meta content="0; url=...">`.
fn tag_urls(tag: &Tag) -> Vec<(usize, String)> {
    let mut urls = Vec::new();
    for attr in &tag.attrs {
        if URL_ATTRIBUTES.contains(&attr.name.as_str()) {
            urls.push((attr.offset, attr.value.clone()));
        } else if attr.name == "srcset" || attr.name == "imagesrcset" {
            for candidate in attr.value.split(',') {
                if let Some(url) = candidate.split_whitespace().next() {
                    urls.push((attr.offset, url.to_owned()));
                }
            }
        } else if attr.name == "style" {
            urls.extend(
                html::css_urls(&attr.value)
                    .into_iter()
                    .map(|(_, url)| (attr.offset, url)),
            );
        } else if attr.name == "content" && attr.value.to_ascii_lowercase().contains("url=") {
            // <meta http-equiv="refresh" content="0; url=...">
            let at = attr.value.to_ascii_lowercase().find("url=").unwrap_or(0) + 4;
            urls.push((attr.offset, attr.value[at..].trim().to_owned()));
        }
    }
    urls
}

/// Why a reference is broken, or `None` if it is fine or not local.
fn check_reference(
    dir: &Path,
    file: &Path,
    reference: &Reference,
    ids: &HashMap<PathBuf, HashSet<String>>,
) -> Option<String> {
    let url = reference.url.trim();
    if scheme(url).is_some() || url.starts_with("//") {
        return None; // not a file of the book: the browser check blocks other hosts
    }
    let (path_and_query, fragment) = match url.split_once('#') {
        Some((path, fragment)) => (path, Some(fragment)),
        None => (url, None),
    };
    let path = path_and_query.split('?').next().unwrap_or_default();
    let path = html::percent_decode(path);
    let target = if path.is_empty() {
        file.to_path_buf()
    } else {
        let joined = match path.strip_prefix('/') {
            Some(absolute) => PathBuf::from(absolute),
            None => reference.base.join(&path),
        };
        match normalize(&joined) {
            Some(target) => target,
            None => return Some("leaves the book's directory".to_owned()),
        }
    };
    let mut on_disk = dir.join(&target);
    let mut target = target;
    if on_disk.is_dir() {
        on_disk = on_disk.join("index.html");
        target = target.join("index.html");
    }
    if !on_disk.is_file() {
        return Some(format!("{} does not exist", target.display()));
    }
    let fragment = html::percent_decode(fragment.unwrap_or_default());
    if fragment.is_empty() {
        return None;
    }
    match ids.get(&target) {
        Some(page_ids) if page_ids.contains(&fragment) => None,
        Some(_) => Some(format!("no id=\"{fragment}\" in {}", target.display())),
        None => None, // not an HTML page: no fragments to check
    }
}

/// Resolve `.` and `..`; `None` if the path climbs out of the root.
fn normalize(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizing() {
        assert_eq!(
            normalize(Path::new("a/./b/../c.html")),
            Some(PathBuf::from("a/c.html"))
        );
        assert_eq!(normalize(Path::new("a/../../etc")), None);
    }

    /// A tiny built book with one of each kind of broken link.
    #[test]
    fn links_on_a_scratch_book() {
        let dir = std::env::temp_dir().join(format!("xtask-checks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("css")).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write(
            "index.html",
            r##"<html><head><link rel="stylesheet" href="css/a.css"></head><body>
            <h1 id="top">T</h1><a href="#top">ok</a><a href="page.html#sec">ok</a>
            <svg xmlns="http://www.w3.org/2000/svg"><!-- https://fontawesome.com --></svg>
            <script>/* https://x.example */ var p = "page.html";</script></body></html>"##,
        );
        write(
            "page.html",
            r#"<h2 id="sec">S</h2><img srcset="css/a.css 1x, index.html 2x">"#,
        );
        write(
            "css/a.css",
            "/* https://license.example */ b{background:url(../page.html)}",
        );
        links(&dir).unwrap_or_else(|Failure(m)| panic!("{m}"));

        write(
            "page.html",
            r#"<h2 id="sec">S</h2><a href="index.html#nope">x</a><img src="gone.png">
            <a href="https://example.org">x</a><script>fetch("https://api.example/x")</script>"#,
        );
        write(
            "css/a.css",
            "@import url(//cdn.example/k.css); b{background:url(missing.png)}",
        );
        let Err(Failure(message)) = links(&dir) else {
            panic!("links passed")
        };
        assert!(
            message.contains("page.html:1: `index.html#nope`: no id=\"nope\""),
            "{message}"
        );
        assert!(
            message.contains("page.html:1: `gone.png`: gone.png does not exist"),
            "{message}"
        );
        assert!(message.contains("css/a.css:1: `missing.png`"), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
