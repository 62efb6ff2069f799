//! Reading the prose: the claim markers, the numbers they stand after, and the
//! numbers with a unit that no marker sources.

/// A `<!-- claim: KEY -->` marker and the number (or text) before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim {
    /// The file, relative to the crate root (`book/accuracy.md`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What the marker names: a key, or `KEY / KEY` (also `*`, `+`, `-`).
    pub expr: String,
    /// The number the marker stands after, if there is one since the
    /// previous marker of the line.
    pub number: Option<Number>,
    /// The prose of the line before the marker (since the previous marker),
    /// markup removed, for the claims whose value is text (a date, a machine).
    pub text_before: String,
}

/// A number as written in the prose.
#[derive(Debug, Clone, PartialEq)]
pub struct Number {
    /// As written (`1.0103`, `10⁵`, `13,568`).
    pub written: String,
    /// Its value.
    pub value: f64,
    /// Half the unit of its last written digit: a value that rounds to the
    /// written number lies within this of it (0 for an exact power like `2²⁴`).
    pub half_unit: f64,
    /// Significant digits written.
    pub significant: usize,
}

/// A number with a unit (or a date) that no marker follows.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsourced {
    /// The file, relative to the crate root.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// The number and its unit, as written.
    pub found: String,
}

/// Words that make a number a quantitative statement that needs a source.
/// A unit matches as a whole word, after optional spaces (or a hyphen:
/// `4-ulp`).
pub const UNITS: &[&str] = &[
    "ulp",
    "ulps",
    "ns",
    "µs",
    "ms",
    "s",
    "seconds",
    "second",
    "minutes",
    "minute",
    "min",
    "hours",
    "hour",
    "×",
    "%",
    "mutants",
    "mutant",
    "cases",
    "equations",
    "GB/s",
];

const MARKER: &str = "<!-- claim:";

/// The claims and the unsourced numbers of one Markdown file.
pub fn scan(file: &str, text: &str) -> (Vec<Claim>, Vec<Unsourced>, Vec<String>) {
    let mut claims = Vec::new();
    let mut unsourced = Vec::new();
    let mut errors = Vec::new();
    let mut fence: Option<String> = None;
    let mut display = false;
    let mut generated = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_start();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str()) {
                fence = None;
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(trimmed[..3].to_string());
            continue;
        }
        if is_generated_begin(trimmed) {
            generated = true;
            continue;
        }
        if is_generated_end(trimmed) {
            generated = false;
            continue;
        }
        if generated {
            continue;
        }
        // A display equation: its numbers are formulas, checked by the
        // equation checker, not claims.
        let dollars = trimmed.matches("$$").count();
        if display || dollars > 0 {
            if dollars % 2 == 1 {
                display = !display;
            }
            continue;
        }
        let (prose, markers) = match mask(line) {
            Ok(x) => x,
            Err(e) => {
                errors.push(format!("{file}:{n}: {e}"));
                continue;
            }
        };
        let numbers = numbers(&prose);
        // Bind each marker to the last number since the previous marker.
        let mut from = 0;
        let mut bound = Vec::new();
        for (at, expr) in &markers {
            let number = numbers
                .iter()
                .enumerate()
                .rfind(|(_, (s, e, _))| *s >= from && *e <= *at);
            if let Some((k, _)) = number {
                bound.push(k);
            }
            let text_before: String = prose[from..*at].iter().collect();
            claims.push(Claim {
                file: file.to_string(),
                line: n,
                expr: expr.clone(),
                number: number.map(|(_, (_, _, x))| x.clone()),
                text_before: text_before
                    .trim()
                    .trim_end_matches(['*', '_'])
                    .trim()
                    .into(),
            });
            from = *at;
        }
        // Every number with a unit needs a marker after it, with no other
        // number in between.
        for (k, (s, e, x)) in numbers.iter().enumerate() {
            if bound.contains(&k) {
                continue;
            }
            if let Some(unit) = unit_after(&prose, *e) {
                let _ = s;
                unsourced.push(Unsourced {
                    file: file.to_string(),
                    line: n,
                    found: format!("{} {unit}", x.written),
                });
            }
        }
        for date in dates(&prose) {
            let covered = markers.iter().any(|(at, _)| {
                *at >= date.1 && !prose[date.1..*at].iter().any(|c| c.is_ascii_digit())
            });
            if !covered {
                unsourced.push(Unsourced {
                    file: file.to_string(),
                    line: n,
                    found: date.0,
                });
            }
        }
    }
    (claims, unsourced, errors)
}

/// A line that opens a generated region: its numbers are the generator's,
/// checked by the generator's own freshness test.
fn is_generated_begin(line: &str) -> bool {
    line.starts_with("<!--") && (line.contains(":begin -->") || line.contains("<!-- BEGIN "))
}

fn is_generated_end(line: &str) -> bool {
    line.starts_with("<!--") && (line.contains(":end -->") || line.contains("<!-- END "))
}

/// The line as characters, with inline code, inline math, link targets and
/// HTML comments blanked out (so that their numbers are not prose), and the
/// claim markers: (position in the characters, expression).
#[allow(clippy::type_complexity)]
fn mask(line: &str) -> Result<(Vec<char>, Vec<(usize, String)>), String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = chars.clone();
    let mut markers = Vec::new();
    let mut i = 0;
    let starts = |i: usize, s: &str| {
        let s: Vec<char> = s.chars().collect();
        chars.len() >= i + s.len() && chars[i..i + s.len()] == s[..]
    };
    while i < chars.len() {
        if starts(i, "<!--") {
            let end = (i + 4..chars.len())
                .find(|&j| starts(j, "-->"))
                .ok_or("an HTML comment that does not close on its line")?;
            let body: String = chars[i..end].iter().collect();
            if let Some(expr) = body.strip_prefix(MARKER) {
                let expr = expr.trim();
                if expr.is_empty() {
                    return Err("a claim marker without a key".into());
                }
                markers.push((i, expr.to_string()));
            } else if body.contains("claim") {
                return Err(format!(
                    "a comment that looks like a claim marker but is not `{MARKER} KEY -->`: {body}-->"
                ));
            }
            for c in &mut out[i..end + 3] {
                *c = ' ';
            }
            i = end + 3;
            continue;
        }
        let closing = match chars[i] {
            '`' => Some('`'),
            '$' => Some('$'),
            ']' if chars.get(i + 1) == Some(&'(') => Some(')'),
            _ => None,
        };
        if let Some(close) = closing {
            let open = if chars[i] == ']' { i + 1 } else { i };
            if let Some(end) = (open + 1..chars.len()).find(|&j| chars[j] == close) {
                for c in &mut out[open..=end] {
                    *c = ' ';
                }
                // Inline math that is only a number (`$1.9 \cdot 10^7$`,
                // `$2^{52}$`) stays visible as that number, so that a unit
                // after it (`$200$ ulp`) needs a source like any other.
                if close == '$' {
                    let body: String = chars[open + 1..end].iter().collect();
                    if let Some(number) = math_number(&body) {
                        for (k, c) in number.chars().enumerate() {
                            out[open + 1 + k] = c;
                        }
                    }
                }
                i = end + 1;
                continue;
            }
        }
        i += 1;
    }
    Ok((out, markers))
}

/// The number that an inline formula consists of, in the prose's notation
/// (`1.9 \cdot 10^7` → `1.9·10^7`, `2^{52}` → `2^{52}`); `None` for any
/// other formula. Never longer than the formula.
fn math_number(body: &str) -> Option<String> {
    let t = body
        .trim()
        .replace("\\cdot", "·")
        .replace("\\times", "×")
        .replace("{,}", ",");
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    let pure = !t.is_empty()
        && t.starts_with(|c: char| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || ".,·×^{}-".contains(c));
    (pure && t.chars().count() <= body.chars().count()).then_some(t)
}

const SUPERSCRIPTS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];

fn superscript_digit(c: char) -> Option<u32> {
    SUPERSCRIPTS.iter().position(|&s| s == c).map(|p| p as u32)
}

/// The numbers of a masked line: (start, end, number), positions in chars.
pub fn numbers(chars: &[char]) -> Vec<(usize, usize, Number)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let prev = i.checked_sub(1).map(|p| chars[p]);
        if !c.is_ascii_digit() || prev.is_some_and(|p| p.is_alphanumeric() || p == '.' || p == '_')
        {
            i += 1;
            continue;
        }
        // A minus sign right before the digits, itself after a space, an
        // opening bracket or `=`, belongs to the number: `x = −5.88`.
        let negative = prev.is_some_and(|p| p == '−' || p == '-')
            && i.checked_sub(2)
                .map(|q| chars[q])
                .is_none_or(|q| q.is_whitespace() || matches!(q, '(' | '[' | '='));
        let start = if negative { i - 1 } else { i };
        let mut digits = String::new();
        let mut decimals: Option<usize> = None;
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                digits.push(c);
                if let Some(d) = &mut decimals {
                    *d += 1;
                }
                i += 1;
            } else if (c == ',' || c == '\u{2009}' || c == '\u{202f}')
                && decimals.is_none()
                && chars
                    .get(i + 1..i + 4)
                    .is_some_and(|g| g.iter().all(char::is_ascii_digit))
                && !chars.get(i + 4).is_some_and(char::is_ascii_digit)
            {
                i += 1; // a thousands separator
            } else if c == '.'
                && decimals.is_none()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            {
                decimals = Some(0);
                digits.push('.');
                i += 1;
            } else {
                break;
            }
        }
        let mantissa: f64 = digits.parse().unwrap_or(f64::NAN);
        let decimals = decimals.unwrap_or(0);
        let significant = digits
            .chars()
            .filter(char::is_ascii_digit)
            .skip_while(|&d| d == '0')
            .count()
            .max(1);
        let mantissa = if negative { -mantissa } else { mantissa };
        let mut value = mantissa;
        let mut half_unit = 0.5 * 10f64.powi(-(decimals as i32));
        // A power: 10⁵, 2^{24}, 10^-8; or a scale: 1.5·10⁴, 3.4 · 10^9.
        let (power, after) = power_at(chars, i);
        if let Some(p) = power {
            value = mantissa.powi(p);
            half_unit = 0.0;
            i = after;
        } else {
            let mut j = i;
            while chars.get(j) == Some(&' ') {
                j += 1;
            }
            if matches!(chars.get(j), Some('·' | '×')) {
                let mut k = j + 1;
                while chars.get(k) == Some(&' ') {
                    k += 1;
                }
                if chars.get(k) == Some(&'1')
                    && chars.get(k + 1) == Some(&'0')
                    && let (Some(p), after) = power_at(chars, k + 2)
                {
                    value = mantissa * 10f64.powi(p);
                    half_unit *= 10f64.powi(p);
                    i = after;
                }
            }
        }
        out.push((
            start,
            i,
            Number {
                written: chars[start..i].iter().collect(),
                value,
                half_unit,
                significant,
            },
        ));
    }
    out
}

/// An exponent at `i`: superscript digits (`⁵`, `⁻⁸`) or `^5`, `^{24}`,
/// `^-8`; and the position after it.
fn power_at(chars: &[char], mut i: usize) -> (Option<i32>, usize) {
    let start = i;
    let mut sign = 1;
    if chars.get(i) == Some(&'^') {
        i += 1;
        let braced = chars.get(i) == Some(&'{');
        if braced {
            i += 1;
        }
        if matches!(chars.get(i), Some('-' | '−')) {
            sign = -1;
            i += 1;
        }
        let d0 = i;
        while chars.get(i).is_some_and(char::is_ascii_digit) {
            i += 1;
        }
        if i == d0 || (braced && chars.get(i) != Some(&'}')) {
            return (None, start);
        }
        let p: i32 = chars[d0..i].iter().collect::<String>().parse().unwrap_or(0);
        if braced {
            i += 1;
        }
        return (Some(sign * p), i);
    }
    if chars.get(i) == Some(&'⁻') {
        sign = -1;
        i += 1;
    }
    let mut p = 0i32;
    let d0 = i;
    while let Some(d) = chars.get(i).and_then(|&c| superscript_digit(c)) {
        p = 10 * p + d as i32;
        i += 1;
    }
    if i == d0 {
        (None, start)
    } else {
        (Some(sign * p), i)
    }
}

/// The unit right after a number ending at `end`, if any.
fn unit_after(chars: &[char], end: usize) -> Option<&'static str> {
    let mut i = end;
    while matches!(chars.get(i), Some(' ' | '\u{a0}' | '\u{2009}' | '-')) {
        i += 1;
    }
    UNITS
        .iter()
        .filter(|u| {
            let u: Vec<char> = u.chars().collect();
            chars.len() >= i + u.len()
                && chars[i..i + u.len()] == u[..]
                && !chars.get(i + u.len()).is_some_and(|c| c.is_alphanumeric())
                // `4096×1000`, `N×C` and `3 × 3` are sizes, not ratios.
                && !(u[0] == '×' && {
                    let mut k = i + 1;
                    while chars.get(k) == Some(&' ') {
                        k += 1;
                    }
                    chars.get(k).is_some_and(char::is_ascii_digit)
                        || chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())
                })
        })
        .max_by_key(|u| u.len())
        .copied()
}

/// Dates `YYYY-MM-DD` of a masked line: (date, end position).
fn dates(chars: &[char]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let shape = "dddd-dd-dd";
    for i in 0..chars.len().saturating_sub(shape.len() - 1) {
        let w = &chars[i..i + shape.len()];
        let fits = w.iter().zip(shape.chars()).all(|(&c, s)| {
            if s == 'd' {
                c.is_ascii_digit()
            } else {
                c == '-'
            }
        });
        let free = |c: Option<&char>| !c.is_some_and(|c| c.is_alphanumeric());
        if fits && free(i.checked_sub(1).map(|p| &chars[p])) && free(chars.get(i + shape.len())) {
            out.push((w.iter().collect(), i + shape.len()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan1(line: &str) -> (Vec<Claim>, Vec<Unsourced>) {
        let (c, u, e) = scan("x.md", line);
        assert!(e.is_empty(), "{e:?}");
        (c, u)
    }

    #[test]
    fn claims_bind_to_the_number_before_them() {
        let (c, u) = scan1(
            "at most 1.0103 ulp<!-- claim: a --> and 13,568 cases<!-- claim: b -->, `7 ulp` $9 ulp$",
        );
        assert!(u.is_empty(), "{u:?}");
        assert_eq!(c.len(), 2);
        let a = c[0].number.as_ref().unwrap();
        assert_eq!((a.value, a.significant), (1.0103, 5));
        assert!((a.half_unit - 0.00005).abs() < 1e-12);
        assert_eq!(c[1].number.as_ref().unwrap().value, 13568.0);
    }

    #[test]
    fn powers_and_scales_are_read() {
        let (c, _) = scan1(
            "10⁵<!-- claim: a --> 2^{24}<!-- claim: b --> 1.5·10⁴<!-- claim: c --> 10^-8<!-- claim: d -->",
        );
        let v: Vec<f64> = c.iter().map(|c| c.number.as_ref().unwrap().value).collect();
        assert_eq!(v, [1e5, 16777216.0, 1.5e4, 1e-8]);
        assert_eq!(c[0].number.as_ref().unwrap().half_unit, 0.0);
        assert!((c[2].number.as_ref().unwrap().half_unit - 500.0).abs() < 1e-9);
        let (c, _) = scan1("at x = −5.88<!-- claim: a -->, 3-4<!-- claim: b -->");
        let v: Vec<f64> = c.iter().map(|c| c.number.as_ref().unwrap().value).collect();
        assert_eq!(v, [-5.88, 4.0]);
    }

    #[test]
    fn numbers_with_units_and_dates_need_a_marker() {
        let (_, u) =
            scan1("took 1.5× as long, 4-ulp, 3 ns, on 2026-12-01, 4096×1000, 3 × 3 matrix");
        let found: Vec<&str> = u.iter().map(|u| u.found.as_str()).collect();
        assert_eq!(found, ["1.5 ×", "4 ulp", "3 ns", "2026-12-01"]);
        let (_, u) = scan1("on 2026-12-01<!-- claim: bench.date -->, 3 ns<!-- claim: k -->");
        assert!(u.is_empty(), "{u:?}");
    }

    #[test]
    fn code_math_and_generated_regions_are_not_prose() {
        let text =
            "```rust\nlet x = 3 ns;\n```\n$$\n4 ulp\n$$\n<!-- t:begin -->\n5 ulp\n<!-- t:end -->\n";
        let (c, u, e) = scan("x.md", text);
        assert!(
            c.is_empty() && u.is_empty() && e.is_empty(),
            "{c:?} {u:?} {e:?}"
        );
    }

    #[test]
    fn a_number_in_inline_math_with_a_unit_needs_a_source() {
        let (_, u) = scan1(
            "off by $1.9 \\cdot 10^7$ ulp, $2^{52}$ ulp, $2r/\\varepsilon$ ulp, $10^5$ classes",
        );
        let found: Vec<&str> = u.iter().map(|u| u.found.as_str()).collect();
        assert_eq!(found, ["1.9·10^7 ulp", "2^{52} ulp"]);
        let (c, u) = scan1("off by $1.9 \\cdot 10^7$ ulp<!-- claim: k -->");
        assert!(u.is_empty());
        assert_eq!(c[0].number.as_ref().unwrap().value, 1.9e7);
    }

    #[test]
    fn a_malformed_marker_is_an_error() {
        let (_, _, e) = scan("x.md", "3 ns<!-- claims: k -->");
        assert_eq!(e.len(), 1, "{e:?}");
    }
}
