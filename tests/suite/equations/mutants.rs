//! Equation mutants: typos made in the displayed LaTeX, each of which the
//! check must catch.
//!
//! The typos are the slips the source itself makes (its errata are mostly of
//! this kind) and the ones a reader would miss:
//!
//! - **swap index**: `_{ij}` → `_{ji}`, or one index letter replaced by
//!   another letter of the same equation (`z_d` → `z_c`);
//! - **flip sign**: a `+` written `-`, or a `-` written `+`;
//! - **sum bound**: `\sum_{d=1}` → `\sum_{d=2}`, `\sum_…^C` → `\sum_…^{C-1}`;
//! - **drop term**: a `+ term` or `- term` deleted;
//! - **swap fraction**: `\frac{a}{b}` → `\frac{b}{a}`;
//! - **move subscript**: an index moved to the nearest symbol before or
//!   after it that has none (`y_i (1 - y_i)` → `y (1_i - y_i)` is rejected,
//!   `-t_i + …` → `-t + …_i`…).
//!
//! The mutants are made on the text (pulldown-latex gives no source
//! positions), skipping command names and the arguments of `\text`,
//! `\texttt`, `\operatorname`, `\begin`, `\end`. Each mutant is parsed and
//! checked exactly as the chapter's equation is: it is *killed* when the
//! parser rejects it or when a comparison fails. A survivor is a hole, unless
//! it is listed in `equivalent-mutants.txt` with the proof that it states
//! the same thing.

/// One typo.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutant {
    /// The kind of typo.
    pub operator: &'static str,
    /// What changed, e.g. `` `_{ij}` → `_{ji}` (2nd) ``.
    pub description: String,
    /// The mutated LaTeX.
    pub latex: String,
}

/// Regions not to touch: command names and the arguments of text-like commands.
fn protected(latex: &str) -> Vec<bool> {
    let b = latex.as_bytes();
    let mut out = vec![false; b.len()];
    let mut k = 0;
    while k < b.len() {
        if b[k] == b'\\' {
            let start = k;
            k += 1;
            while k < b.len() && b[k].is_ascii_alphabetic() {
                k += 1;
            }
            if k == start + 1 && k < b.len() {
                k += 1; // `\,`, `\\`, `\{`
            }
            let name = &latex[start + 1..k];
            out[start..k].iter_mut().for_each(|x| *x = true);
            if matches!(
                name,
                "text" | "texttt" | "operatorname" | "begin" | "end" | "tag" | "mathbb"
            ) && k < b.len()
                && b[k] == b'{'
            {
                let close = matching(b, k).unwrap_or(b.len() - 1);
                out[k..=close].iter_mut().for_each(|x| *x = true);
                k = close + 1;
            }
            continue;
        }
        k += 1;
    }
    out
}

fn matching(b: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (k, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The subscripts: (start of `_`, end exclusive, content).
fn subscripts(latex: &str, prot: &[bool]) -> Vec<(usize, usize, String)> {
    let b = latex.as_bytes();
    let mut out = Vec::new();
    for k in 0..b.len() {
        if b[k] != b'_' || prot[k] || k + 1 >= b.len() {
            continue;
        }
        if b[k + 1] == b'{' {
            if let Some(close) = matching(b, k + 1) {
                out.push((k, close + 1, latex[k + 2..close].to_string()));
            }
        } else if b[k + 1].is_ascii_alphanumeric() {
            out.push((k, k + 2, latex[k + 1..k + 2].to_string()));
        }
    }
    out
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

fn splice(s: &str, from: usize, to: usize, with: &str) -> String {
    format!("{}{}{}", &s[..from], with, &s[to..])
}

/// Every mutant of one equation's LaTeX.
pub fn mutants(latex: &str) -> Vec<Mutant> {
    let prot = protected(latex);
    let b = latex.as_bytes();
    let mut out = Vec::new();
    let mut push = |operator, description: String, text: String| {
        if text != latex {
            out.push(Mutant {
                operator,
                description,
                latex: text,
            });
        }
    };
    let subs = subscripts(latex, &prot);
    // The index letters of the equation: single lowercase letters in subscripts.
    let mut letters: Vec<char> = subs
        .iter()
        .flat_map(|(_, _, s)| s.chars())
        .filter(|c| c.is_ascii_lowercase())
        .collect();
    letters.sort();
    letters.dedup();

    // Swap index.
    let mut seen = std::collections::HashMap::new();
    for (start, end, content) in &subs {
        let n = seen.entry(content.clone()).or_insert(0);
        *n += 1;
        let chars: Vec<char> = content.chars().collect();
        if chars.len() == 2 && chars.iter().all(|c| c.is_ascii_alphabetic()) {
            let swapped: String = [chars[1], chars[0]].iter().collect();
            push(
                "swap index",
                format!("`_{{{content}}}` → `_{{{swapped}}}` ({})", ordinal(*n)),
                splice(latex, *start, *end, &format!("_{{{swapped}}}")),
            );
        }
        for (pos, c) in chars.iter().enumerate() {
            if !c.is_ascii_lowercase()
                || (chars.len() > 1 && !chars.iter().all(|c| c.is_ascii_alphabetic()))
            {
                continue;
            }
            let k = letters.iter().position(|l| l == c).unwrap();
            let other = letters[(k + 1) % letters.len()];
            if other == *c {
                continue;
            }
            let mut new = chars.clone();
            new[pos] = other;
            let new: String = new.into_iter().collect();
            push(
                "swap index",
                format!("`_{{{content}}}` → `_{{{new}}}` ({})", ordinal(*n)),
                splice(latex, *start, *end, &format!("_{{{new}}}")),
            );
        }
    }

    // Flip sign.
    let (mut plus, mut minus) = (0, 0);
    for k in 0..b.len() {
        if prot[k] {
            continue;
        }
        match b[k] {
            b'+' => {
                plus += 1;
                push(
                    "flip sign",
                    format!("`+` → `-` ({})", ordinal(plus)),
                    splice(latex, k, k + 1, "-"),
                );
            }
            b'-' => {
                minus += 1;
                push(
                    "flip sign",
                    format!("`-` → `+` ({})", ordinal(minus)),
                    splice(latex, k, k + 1, "+"),
                );
            }
            _ => {}
        }
    }

    // Sum bound.
    let mut n = 0;
    for op in ["\\sum", "\\prod"] {
        for (at, _) in latex.match_indices(op) {
            n += 1;
            let after = at + op.len();
            if latex[after..].starts_with("_{") {
                let close = matching(b, after + 1).unwrap_or(after + 1);
                let sub = &latex[after + 2..close];
                if let Some(lo) = sub.strip_suffix("=1") {
                    push(
                        "sum bound",
                        format!("`{op}_{{{sub}}}` → `{op}_{{{lo}=2}}` ({})", ordinal(n)),
                        splice(latex, after + 2, close, &format!("{lo}=2")),
                    );
                }
                let rest = &latex[close + 1..];
                // The upper bound: `^{…}` or a single `^C`.
                let upper = if let Some(r) = rest.strip_prefix("^{") {
                    r.find('}').map(|e| (close + 3, close + 3 + e, true))
                } else if rest.starts_with('^') && rest.len() > 1 {
                    Some((close + 2, close + 3, false))
                } else {
                    None
                };
                if let Some((s, e, braced)) = upper {
                    let hi = &latex[s..e];
                    let with = if braced {
                        format!("{hi}-1")
                    } else {
                        format!("{{{hi}-1}}")
                    };
                    push(
                        "sum bound",
                        format!("`{op}…^{{{hi}}}` → `{op}…^{{{hi}-1}}` ({})", ordinal(n)),
                        splice(latex, s, e, &with),
                    );
                }
            }
        }
    }

    // Drop term: a binary + or - and the term after it.
    let mut dropped = 0;
    for k in 0..b.len() {
        if prot[k] || !(b[k] == b'+' || b[k] == b'-') {
            continue;
        }
        let before = latex[..k].trim_end();
        let binary = before
            .chars()
            .last()
            .is_some_and(|c| !matches!(c, '{' | '(' | '=' | ',' | '&' | '[' | '<' | '>'))
            && !before.ends_with("\\quad")
            && !before.ends_with("\\left(");
        if !binary {
            continue;
        }
        let mut depth = 0i32;
        let mut end = b.len();
        let mut j = k + 1;
        while j < b.len() {
            let c = b[j];
            if !prot[j] {
                match c {
                    b'{' | b'(' | b'[' => depth += 1,
                    b'}' | b')' | b']' => {
                        if depth == 0 {
                            end = j;
                            break;
                        }
                        depth -= 1;
                    }
                    b'+' | b'-' | b'=' | b'<' | b'>' | b',' | b'&' if depth == 0 => {
                        end = j;
                        break;
                    }
                    _ => {}
                }
            } else if depth == 0
                && (latex[j..].starts_with("\\quad")
                    || latex[j..].starts_with("\\qquad")
                    || latex[j..].starts_with("\\\\")
                    || latex[j..].starts_with("\\right")
                    || latex[j..].starts_with("\\bigr")
                    || latex[j..].starts_with("\\Bigr")
                    || latex[j..].starts_with("\\approx")
                    || latex[j..].starts_with("\\ge")
                    || latex[j..].starts_with("\\le")
                    // The end of an `aligned` block that a row of a long
                    // equation ends (the term is dropped, not the block).
                    || latex[j..].starts_with("\\end"))
            {
                end = j;
                break;
            }
            j += 1;
        }
        dropped += 1;
        let term = latex[k..end].trim().replace('\n', " ");
        push(
            "drop term",
            format!("`{term}` dropped ({})", ordinal(dropped)),
            splice(latex, k, end, " "),
        );
    }

    // Swap fraction.
    let mut fr = 0;
    for op in ["\\frac", "\\tfrac"] {
        for (at, _) in latex.match_indices(op) {
            if op == "\\frac" && latex[..at].ends_with('t') {
                continue;
            }
            let open = at + op.len();
            if b.get(open) != Some(&b'{') {
                continue;
            }
            let Some(c1) = matching(b, open) else {
                continue;
            };
            if b.get(c1 + 1) != Some(&b'{') {
                continue;
            }
            let Some(c2) = matching(b, c1 + 1) else {
                continue;
            };
            fr += 1;
            let (num, den) = (&latex[open + 1..c1], &latex[c1 + 2..c2]);
            push(
                "swap fraction",
                format!("`{op}{{{num}}}{{{den}}}` upside down ({})", ordinal(fr)),
                splice(latex, open, c2 + 1, &format!("{{{den}}}{{{num}}}")),
            );
        }
    }

    // Move subscript: an index (not a sum's bound) moved to the nearest
    // symbol of the same side, before or after it, that stands alone (no
    // script, not inside a script).
    let mut in_script = vec![false; b.len()];
    for k in 0..b.len() {
        if (b[k] == b'_' || b[k] == b'^') && !prot[k] && b.get(k + 1) == Some(&b'{') {
            if let Some(close) = matching(b, k + 1) {
                in_script[k..=close].iter_mut().for_each(|x| *x = true);
            }
        } else if (b[k] == b'_' || b[k] == b'^') && !prot[k] && k + 1 < b.len() {
            in_script[k..=k + 1].iter_mut().for_each(|x| *x = true);
        }
    }
    let alone = |j: usize| {
        let c = b[j];
        c.is_ascii_alphabetic()
            && c != b'e'
            && !prot[j]
            && !in_script[j]
            && !matches!(b.get(j + 1), Some(b'_' | b'^'))
            && !(j > 0 && (b[j - 1].is_ascii_alphabetic() || b[j - 1] == b'\\'))
    };
    // A side ends at `=`. An alignment tab `&` is layout: the same equation
    // broken over more rows (for a phone's column) has the same mutants.
    let stop = |j: usize| b[j] == b'=';
    let mut moved = 0;
    for (start, end, content) in &subs {
        if content.contains('=') || content.contains('\\') {
            continue;
        }
        let sub = &latex[*start..*end];
        // `\mathbf{t}_i` → `\mathbf{t_i}` is the same symbol: not a move.
        let same = |between: &str| {
            between
                .chars()
                .all(|c| c == '{' || c == '}' || c.is_whitespace())
        };
        let next = (*end..b.len())
            .take_while(|&j| !stop(j))
            .find(|&j| alone(j))
            .filter(|&j| !same(&latex[*end..j]));
        let previous = (0..*start)
            .rev()
            .take_while(|&j| !stop(j))
            .find(|&j| alone(j))
            .filter(|&j| !same(&latex[j + 1..*start]));
        if let Some(j) = next {
            moved += 1;
            let text = format!(
                "{}{}{}{}",
                &latex[..*start],
                &latex[*end..=j],
                sub,
                &latex[j + 1..]
            );
            push(
                "move subscript",
                format!(
                    "`{sub}` moved to the next `{}` ({})",
                    &latex[j..=j],
                    ordinal(moved)
                ),
                text,
            );
        }
        if let Some(j) = previous {
            moved += 1;
            let text = format!(
                "{}{}{}{}",
                &latex[..=j],
                sub,
                &latex[j + 1..*start],
                &latex[*end..]
            );
            push(
                "move subscript",
                format!(
                    "`{sub}` moved to the previous `{}` ({})",
                    &latex[j..=j],
                    ordinal(moved)
                ),
                text,
            );
        }
    }
    out
}
