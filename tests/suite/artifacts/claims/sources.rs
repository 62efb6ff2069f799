//! The committed artifacts that the prose may quote, read into one key → value
//! map. Each key's first segment names its artifact and the command that
//! regenerates it (CONTRIBUTING.md, "Numbers in the prose").

use std::collections::BTreeMap;
use std::path::Path;

/// A value of an artifact: a number, or text (a date, a machine).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A measured or counted number.
    Number(f64),
    /// A date, a machine, a version.
    Text(String),
}

/// Every key of every artifact, with the file it came from.
pub fn all(root: &Path) -> BTreeMap<String, (Value, &'static str)> {
    let mut map = BTreeMap::new();
    let mut put = |origin: &'static str, pairs: Vec<(String, Value)>| {
        for (k, v) in pairs {
            map.insert(k, (v, origin));
        }
    };
    let read = |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_default();
    put(
        "book/accuracy.md (cargo xtask bless)",
        accuracy(&read("book/accuracy.md")),
    );
    put(
        "book/benchmarks/kernels.tsv and run.tsv (cargo xtask bench --peers)",
        bench(
            &read("book/benchmarks/kernels.tsv"),
            &read("book/benchmarks/run.tsv"),
        ),
    );
    put(
        "mutants-summary.txt (cargo xtask mutants)",
        mutants(&read("mutants-summary.txt")),
    );
    put(
        "book/mutation-testing.md (cargo xtask equation-mutants)",
        equation_mutants(&read("book/mutation-testing.md")),
    );
    put(
        "book/measurements/*.tsv (see each file's header)",
        measurements(&root.join("book/measurements")),
    );
    put("the book's equations (tests/suite/equations/)", equations());
    put(
        "constants of tests/suite/ (the bound a test asserts)",
        suite_constants(&root.join("tests/suite")),
    );
    map
}

/// A key segment from a label: lower case, runs of other characters as `_`.
pub fn slug(label: &str) -> String {
    let mut s = String::new();
    for c in label.trim().chars() {
        if c.is_alphanumeric() {
            s.extend(c.to_lowercase());
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    s.trim_end_matches('_').to_string()
}

fn value(cell: &str) -> Value {
    let t = cell.trim().trim_matches('*').replace(',', "");
    t.parse()
        .map_or_else(|_| Value::Text(cell.trim().to_string()), Value::Number)
}

/// The accuracy table of `book/accuracy.md` (written by `cargo xtask bless`,
/// kept fresh by `accuracy_table_is_fresh`): `accuracy.ulp.FUNCTION.f32`,
/// `….f64`, `….test`, `….promise` from the first table; `accuracy.abs.FUNCTION.…` from
/// the second; `accuracy.cases`, `accuracy.results` from its last line.
fn accuracy(chapter: &str) -> Vec<(String, Value)> {
    let Some(region) = chapter
        .split("<!-- accuracy-table:begin -->")
        .nth(1)
        .and_then(|r| r.split("<!-- accuracy-table:end -->").next())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let names = ["ulp", "abs"];
    for (t, table) in tables(region).iter().enumerate() {
        let prefix = names.get(t).map_or(format!("t{}", t + 1), |s| (*s).into());
        for (row, header, cell) in table_cells(table) {
            out.push((format!("accuracy.{prefix}.{row}.{header}"), value(&cell)));
        }
    }
    // "9 categories × 2 types × 16 cases (fixed seeds), plus 16 tiled batches
    // per type: 13568 measured results."
    for line in region.lines() {
        if let Some((head, tail)) = line.split_once(" measured results") {
            let _ = tail;
            let words: Vec<&str> = head.split_whitespace().collect();
            if let Some(n) = words.last() {
                out.push(("accuracy.results".into(), value(n.trim_end_matches(':'))));
            }
            let num_before = |word: &str| {
                words
                    .windows(2)
                    .find(|w| w[1].trim_matches(|c: char| !c.is_alphanumeric()) == word)
                    .map(|w| value(w[0]))
            };
            for (key, word) in [
                ("accuracy.categories", "categories"),
                ("accuracy.cases", "cases"),
                ("accuracy.batches", "tiled"),
            ] {
                if let Some(v) = num_before(word) {
                    out.push((key.into(), v));
                }
            }
        }
    }
    out
}

/// The Markdown tables of a text, each as its lines.
fn tables(text: &str) -> Vec<Vec<&str>> {
    let mut out: Vec<Vec<&str>> = Vec::new();
    let mut open = false;
    for line in text.lines() {
        if line.trim_start().starts_with('|') {
            if !open {
                out.push(Vec::new());
                open = true;
            }
            out.last_mut().unwrap().push(line);
        } else {
            open = false;
        }
    }
    out
}

fn split_row(line: &str) -> Vec<String> {
    // `\|` is a pipe inside a cell.
    let l = line.trim().trim_start_matches('|').trim_end_matches('|');
    l.replace("\\|", "\u{0}")
        .split('|')
        .map(|c| c.replace('\u{0}', "|").trim().to_string())
        .collect()
}

/// (row key, column key, cell) for every body cell: the row key is the slug
/// of the first cell, the column key the last code span of the header (`f32`)
/// or else the header's slug.
fn table_cells(lines: &[&str]) -> Vec<(String, String, String)> {
    let Some((head, body)) = lines.split_first() else {
        return Vec::new();
    };
    let headers: Vec<String> = split_row(head)
        .iter()
        .map(|h| match h.rsplit('`').nth(1) {
            Some(code) if h.matches('`').count() >= 2 => slug(code),
            _ => slug(h),
        })
        .collect();
    let mut out = Vec::new();
    for line in body.iter().skip(1) {
        let cells = split_row(line);
        let Some(row) = cells.first().map(|c| slug(c)) else {
            continue;
        };
        for (h, c) in headers.iter().zip(&cells).skip(1) {
            out.push((row.clone(), h.clone(), c.clone()));
        }
    }
    out
}

/// `book/benchmarks/kernels.tsv` (one line per case, under a header of
/// column names): `bench.GROUP.SIDE.TYPE.ROWSxCLASSES`, the median in ns per
/// element, and `….min`, `….max`, `….q1`, `….q3`; `book/benchmarks/run.tsv`
/// (`key<TAB>value`): `bench.run.KEY` for each of its keys (the load
/// average `bench.run.load_before` as its 1-minute figure), and
/// `bench.date` and `bench.machine` (its `date` and `cpu`).
fn bench(cases: &str, run: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut lines = cases.lines();
    let columns: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let at = |name: &str| columns.iter().position(|c| *c == name);
    if let (Some(g), Some(s), Some(t), Some(r), Some(c)) = (
        at("group"),
        at("side"),
        at("type"),
        at("rows"),
        at("classes"),
    ) {
        for line in lines {
            let f: Vec<&str> = line.split('\t').collect();
            if f.len() != columns.len() {
                continue;
            }
            let key = format!("bench.{}.{}.{}.{}x{}", f[g], f[s], f[t], f[r], f[c]);
            for (column, suffix) in [
                ("median_ns", ""),
                ("min_ns", ".min"),
                ("max_ns", ".max"),
                ("q1_ns", ".q1"),
                ("q3_ns", ".q3"),
            ] {
                if let Some(i) = at(column) {
                    out.push((format!("{key}{suffix}"), value(f[i])));
                }
            }
        }
    }
    for line in run.lines().skip(1) {
        let Some((k, v)) = line.split_once('\t') else {
            continue;
        };
        let v = if k.starts_with("load_") {
            v.split(' ').next().unwrap_or(v)
        } else {
            v
        };
        out.push((format!("bench.run.{k}"), value(v)));
        match k {
            "date" => out.push(("bench.date".into(), Value::Text(v.into()))),
            "cpu" => out.push(("bench.machine".into(), Value::Text(v.into()))),
            _ => {}
        }
    }
    out
}

/// `mutants-summary.txt`: `mutants.tested`, `mutants.caught`, `mutants.missed`,
/// `mutants.unviable`, `mutants.timeouts`, `mutants.equivalent`.
fn mutants(summary: &str) -> Vec<(String, Value)> {
    summary
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let at = words.iter().position(|w| w.parse::<f64>().is_ok())?;
            let label = words[..at].join(" ");
            let label = label.strip_prefix("mutants ").unwrap_or(&label);
            Some((format!("mutants.{}", slug(label)), value(words[at])))
        })
        .collect()
}

/// The report of `cargo xtask equation-mutants` in `book/mutation-testing.md`:
/// `equation-mutants.OPERATOR.COLUMN` (`equation-mutants.total.mutants`) and
/// `equation-mutants.survivors`.
fn equation_mutants(chapter: &str) -> Vec<(String, Value)> {
    let Some(block) = chapter
        .split("<!-- cargo xtask equation-mutants writes the block below -->")
        .nth(1)
        .and_then(|b| {
            b.split("<!-- end of the equation-mutants report -->")
                .next()
        })
    else {
        return Vec::new();
    };
    let mut lines = block
        .lines()
        .filter(|l| !l.starts_with("```") && !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Vec::new();
    };
    let columns: Vec<&str> = header.split_whitespace().skip(1).collect();
    let mut out = Vec::new();
    for line in lines {
        if let Some(n) = line.strip_prefix("survivors:") {
            out.push(("equation-mutants.survivors".into(), value(n)));
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words
            .iter()
            .position(|w| w.parse::<f64>().is_ok())
            .unwrap_or(words.len());
        let op = slug(&words[..at].join(" "));
        for (c, v) in columns.iter().zip(&words[at..]) {
            out.push((format!("equation-mutants.{op}.{c}"), value(v)));
        }
    }
    out
}

/// `book/measurements/NAME.tsv`: lines `KEY<TAB>VALUE` (after `#` comments
/// that say which command writes the file), as `NAME.KEY`.
fn measurements(dir: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    for path in files {
        if path.extension().is_none_or(|e| e != "tsv") {
            continue;
        }
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            if let Some((k, v)) = line.split_once('\t') {
                let v = v.split('\t').next().unwrap_or(v);
                out.push((format!("{name}.{}", k.trim()), value(v)));
            }
        }
    }
    out
}

/// Counts of the book's display equations: `equations.displayed`,
/// `equations.checked` (from their LaTeX), `equations.notation` (listed in
/// `tests/suite/equations/notation.rs`).
fn equations() -> Vec<(String, Value)> {
    let all = crate::equations::status();
    let checked = all
        .iter()
        .filter(|(_, s)| *s == crate::equations::Status::Checked)
        .count();
    vec![
        (
            "equations.displayed".into(),
            Value::Number(all.len() as f64),
        ),
        ("equations.checked".into(), Value::Number(checked as f64)),
        (
            "equations.notation".into(),
            Value::Number((all.len() - checked) as f64),
        ),
    ]
}

/// Numeric `const`s of the suite's files: `const.PATH.NAME`, where PATH is
/// the file under `tests/suite/` without `.rs` (`const.fused.KERNEL_BOUND`,
/// `const.accuracy/measure.ULP_BOUND`). A sentence that states a test's bound
/// quotes the constant the test asserts.
fn suite_constants(dir: &Path) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(dir).unwrap().with_extension("");
            let rel = rel.to_string_lossy().replace('\\', "/");
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for line in text.lines() {
                let l = line
                    .trim_start()
                    .trim_start_matches("pub ")
                    .trim_start_matches("(crate) ");
                let Some(rest) = l.strip_prefix("const ") else {
                    continue;
                };
                let Some((name, rest)) = rest.split_once(':') else {
                    continue;
                };
                let Some((_, v)) = rest.split_once('=') else {
                    continue;
                };
                let v = v.trim().trim_end_matches(';').replace('_', "");
                let v = v.trim_end_matches("f64").trim_end_matches("f32");
                let v = v.trim_end_matches("usize").trim_end_matches("u32");
                if let Ok(x) = v.trim().parse::<f64>() {
                    out.push((format!("const.{rel}.{}", name.trim()), Value::Number(x)));
                }
            }
        }
    }
    out
}
