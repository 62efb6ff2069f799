//! `cargo xtask bench [--peers]`: the kernel benchmarks (criterion, in the
//! `benches` workspace member) pinned to one core, optionally with NumPy,
//! SciPy and jax.jit from a virtual environment under `target/`, and the
//! book's table (`book/benchmarks/kernels.md`) and plot
//! (`book/benchmarks/kernels.svg`) written from the results.

use crate::{Result, cargo, fail, run_command, show};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python packages of `--peers`, pinned.
const PEERS: &[&str] = &["numpy==2.4.6", "scipy==1.17.1", "jax[cpu]==0.10.2"];

/// The shapes of the table: `(rows, classes)`, as in `benches/src/lib.rs`.
const TABLE_SHAPES: [(usize, usize); 2] = [(4096, 1000), (100_000, 10)];
/// The sweep of the plot, as in `benches/src/lib.rs` and `benches/peers.py`.
const SWEEP_CLASSES: [usize; 6] = [10, 32, 100, 320, 1000, 3200];

/// One measurement: (group, tool, type, rows, classes) → ns per element.
type Key = (String, String, String, usize, usize);

pub fn run(root: &Path, args: &[String]) -> Result {
    let dir = root.join("book/benchmarks");
    let peers = match args {
        [] => false,
        [flag] if flag == "--peers" => true,
        [flag] if flag == "--replot" => return replot(&dir),
        [other, ..] => fail!("`bench` takes only --peers or --replot, not `{other}`"),
    };
    let pin = taskset();
    let mut results = BTreeMap::new();
    rust_benchmarks(root, pin.as_deref(), &mut results)?;
    let mut versions = String::new();
    if peers {
        versions = python_peers(root, pin.as_deref(), &mut results)?;
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| crate::Failure(format!("cannot create {}: {e}", dir.display())))?;
    let header = header(pin.is_some(), &versions);
    write(&dir.join(DATA), &save(&results, &header))?;
    write(&dir.join("kernels.md"), &table(&results, &header))?;
    write(&dir.join("kernels.svg"), &plot(&results, &header))?;
    let chapter = root.join("book/fast-kernel.md");
    let text = read(&chapter)?;
    write(&chapter, &splice(&text, &table(&results, &header))?)?;
    eprintln!(
        "wrote book/benchmarks/{DATA}, kernels.md, kernels.svg and the table of book/fast-kernel.md"
    );
    Ok(())
}

/// The measurements of the last run, next to the table and plot drawn from
/// them, so that the plot can be redrawn without measuring again.
const DATA: &str = "kernels.tsv";

/// `--replot`: the plot redrawn from the saved measurements, nothing run.
fn replot(dir: &Path) -> Result {
    let (results, header) = load(&read(&dir.join(DATA))?)?;
    write(&dir.join("kernels.svg"), &plot(&results, &header))?;
    eprintln!("wrote book/benchmarks/kernels.svg from book/benchmarks/{DATA}");
    Ok(())
}

/// The measurements as tab-separated lines under a `# header` line.
fn save(results: &BTreeMap<Key, f64>, header: &str) -> String {
    let mut out = format!("# {header}\n# group\ttool\ttype\trows\tclasses\tns_per_element\n");
    for ((group, tool, ty, rows, classes), ns) in results {
        let _ = writeln!(out, "{group}\t{tool}\t{ty}\t{rows}\t{classes}\t{ns}");
    }
    out
}

/// The inverse of [`save`].
fn load(text: &str) -> Result<(BTreeMap<Key, f64>, String)> {
    let mut lines = text.lines();
    let Some(header) = lines.next().and_then(|l| l.strip_prefix("# ")) else {
        fail!("book/benchmarks/{DATA}: no `# header` line");
    };
    let mut results = BTreeMap::new();
    for line in lines.filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let parsed = match f.as_slice() {
            [g, t, ty, r, c, ns] => r
                .parse()
                .ok()
                .zip(c.parse().ok())
                .zip(ns.parse().ok())
                .map(|((r, c), ns)| ((g.to_string(), t.to_string(), ty.to_string(), r, c), ns)),
            _ => None,
        };
        let Some((key, ns)) = parsed else {
            fail!("book/benchmarks/{DATA}: cannot read the line `{line}`");
        };
        results.insert(key, ns);
    }
    Ok((results, header.to_string()))
}

const BEGIN: &str = "<!-- BEGIN TABLE: cargo xtask bench -->";
const END: &str = "<!-- END TABLE -->";

/// The chapter with the text between its table markers replaced by `table`.
fn splice(chapter: &str, table: &str) -> Result<String> {
    let (Some(begin), Some(end)) = (chapter.find(BEGIN), chapter.find(END)) else {
        fail!("book/fast-kernel.md has no `{BEGIN}` … `{END}` markers");
    };
    if end < begin {
        fail!("book/fast-kernel.md: `{END}` before `{BEGIN}`");
    }
    Ok(format!(
        "{}{BEGIN}\n\n{}\n{}",
        &chapter[..begin],
        table.trim_end(),
        &chapter[end..]
    ))
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text)
        .map_err(|e| crate::Failure(format!("cannot write {}: {e}", path.display())))
}

/// `taskset -c 0` if there is a `taskset`.
fn taskset() -> Option<Vec<String>> {
    let ok = Command::new("taskset")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(vec!["taskset".into(), "-c".into(), "0".into()])
    } else {
        eprintln!("cargo xtask bench: no `taskset`: the benchmarks run unpinned");
        None
    }
}

fn pinned(pin: Option<&[String]>, program: &Path) -> Command {
    match pin {
        Some([first, rest @ ..]) => {
            let mut cmd = Command::new(first);
            cmd.args(rest).arg(program);
            cmd
        }
        _ => Command::new(program),
    }
}

/// Build the criterion benchmark (unpinned), run it pinned, read its estimates.
fn rust_benchmarks(
    root: &Path,
    pin: Option<&[String]>,
    results: &mut BTreeMap<Key, f64>,
) -> Result {
    let mut build = cargo();
    build.current_dir(root).args([
        "bench",
        "-p",
        "benches",
        "--bench",
        "kernels",
        "--no-run",
        "--message-format=json",
    ]);
    eprintln!("$ {}", show(&build));
    let output = build
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| crate::Failure(format!("could not start cargo: {e}")))?;
    if !output.status.success() {
        fail!("building the benchmarks failed");
    }
    let messages = String::from_utf8_lossy(&output.stdout);
    let Some(executable) = messages.lines().rev().find_map(|line| {
        line.contains("\"kind\":[\"bench\"]")
            .then(|| string_field(line, "executable"))
            .flatten()
    }) else {
        fail!("cargo did not name the benchmark executable");
    };
    let criterion_dir = root.join("target/criterion");
    let _ = std::fs::remove_dir_all(&criterion_dir);
    let mut run = pinned(pin, Path::new(&executable));
    run.current_dir(root)
        .env("CRITERION_HOME", &criterion_dir)
        .arg("--bench");
    run_command(&mut run)?;
    for file in find(&criterion_dir, "benchmark.json") {
        let Some(dir) = file.parent() else { continue };
        if dir.file_name().is_none_or(|n| n != "new") {
            continue;
        }
        let meta = read(&file)?;
        let estimates = read(&dir.join("estimates.json"))?;
        let (Some(id), Some(median)) = (
            string_field(&meta, "full_id"),
            number_after(&estimates, "\"median\"", "point_estimate"),
        ) else {
            fail!("cannot read {}", dir.display());
        };
        // softmax/kernel/f32/4096x1000
        let parts: Vec<&str> = id.split('/').collect();
        let [group, tool, ty, shape] = parts[..] else {
            fail!("unexpected benchmark id {id}");
        };
        let Some((rows, classes)) = shape
            .split_once('x')
            .and_then(|(r, c)| Some((r.parse::<usize>().ok()?, c.parse::<usize>().ok()?)))
        else {
            fail!("unexpected shape in {id}");
        };
        let key = (group.into(), tool.into(), ty.into(), rows, classes);
        results.insert(key, median / (rows * classes) as f64);
    }
    if results.is_empty() {
        fail!("no criterion results in {}", criterion_dir.display());
    }
    Ok(())
}

/// Set up the virtual environment if needed, run `benches/peers.py` pinned;
/// returns the versions line.
fn python_peers(
    root: &Path,
    pin: Option<&[String]>,
    results: &mut BTreeMap<Key, f64>,
) -> Result<String> {
    let venv = root.join("target/peers-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("installed.txt");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(&PEERS.join(" ")) {
        let python3 = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
        run_command(Command::new(python3).args(["-m", "venv"]).arg(&venv))?;
        run_command(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(PEERS),
        )?;
        write(&stamp, &PEERS.join(" "))?;
    }
    let mut cmd = pinned(pin, &python);
    cmd.arg(root.join("benches/peers.py"));
    eprintln!("$ {}", show(&cmd));
    let output = cmd
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| crate::Failure(format!("could not start the peers: {e}")))?;
    if !output.status.success() {
        fail!("benches/peers.py failed");
    }
    let mut versions = String::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if line.contains("\"versions\"") {
            for key in ["python", "numpy", "scipy", "jax"] {
                let v = string_field(line, key).unwrap_or_default();
                let _ = write!(
                    versions,
                    "{}{key} {v}",
                    if versions.is_empty() { "" } else { ", " }
                );
            }
            continue;
        }
        let field = |k| string_field(line, k).unwrap_or_default();
        let number = |k| number_after(line, "{", k).unwrap_or(f64::NAN);
        let key = (
            field("group"),
            field("tool"),
            field("type"),
            number("rows") as usize,
            number("classes") as usize,
        );
        results.insert(key, number("ns_per_elem"));
    }
    Ok(versions)
}

/// The date (UTC), the machine and the versions, for the table and the plot.
fn header(pinned: bool, versions: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
        })
        .unwrap_or_else(|| std::env::consts::ARCH.into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mut h = format!(
        "Measured {} UTC on {cpu} ({cores} cores, shared), {}, process CPU time, median; {rustc}",
        today(),
        if pinned {
            "pinned to core 0 (`taskset -c 0`)"
        } else {
            "not pinned"
        },
    );
    if !versions.is_empty() {
        let _ = write!(h, "; {versions}");
    }
    h
}

/// Today's date, `YYYY-MM-DD` (UTC), from the system clock.
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn get(
    results: &BTreeMap<Key, f64>,
    group: &str,
    tool: &str,
    ty: &str,
    rows: usize,
    classes: usize,
) -> Option<f64> {
    results
        .get(&(group.into(), tool.into(), ty.into(), rows, classes))
        .copied()
        .filter(|x| x.is_finite())
}

/// The Markdown table: ns per element for each case and tool.
fn table(results: &BTreeMap<Key, f64>, header: &str) -> String {
    let mut md = format!(
        "<!-- Generated by `cargo xtask bench --peers`; do not edit. -->\n\n*{header}.*\n\n\
         | case | reference functions | **kernel** | NumPy stable | SciPy | jax.jit | floor: `np.exp(out=)` | jax.jit / kernel |\n\
         |---|---|---|---|---|---|---|---|\n"
    );
    let cell = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.2}"));
    for (group, title) in [
        ("softmax", "softmax"),
        ("loss_and_gradient", "loss + gradient"),
    ] {
        for (rows, classes) in TABLE_SHAPES {
            for ty in ["f32", "f64"] {
                let py = if ty == "f32" { "float32" } else { "float64" };
                let kernel = get(results, group, "kernel", ty, rows, classes);
                let jax = get(results, group, "jax", py, rows, classes);
                let ratio = match (jax, kernel) {
                    (Some(j), Some(k)) => format!("{:.2}×", j / k),
                    _ => "–".into(),
                };
                let _ = writeln!(
                    md,
                    "| {title}, {ty}, {rows}×{classes} | {} | **{}** | {} | {} | {} | {} | {ratio} |",
                    cell(get(results, group, "reference", ty, rows, classes)),
                    cell(kernel),
                    cell(get(results, group, "numpy", py, rows, classes)),
                    if group == "softmax" {
                        cell(get(results, group, "scipy", py, rows, classes))
                    } else {
                        "–".into()
                    },
                    cell(jax),
                    if group == "softmax" {
                        cell(get(results, "exp", "numpy", py, rows, classes))
                    } else {
                        "–".into()
                    },
                );
            }
        }
    }
    md.push_str(
        "\nAll figures are nanoseconds per element of the row-major N×C batch (lower is better).\n",
    );
    let (rows, classes) = TABLE_SHAPES[0];
    md.push_str(
        "\nWhat the run-time dispatch buys, ns per element of the same batch:\n\n\
         | exponential | `exp_into` (AVX2 and FMA here) | the same loop, baseline x86-64 | speed-up |\n\
         |---|---|---|---|\n",
    );
    for ty in ["f32", "f64"] {
        let fast = get(results, "exp", "dispatched", ty, rows, classes);
        let slow = get(results, "exp", "baseline", ty, rows, classes);
        let ratio = match (fast, slow) {
            (Some(f), Some(s)) => format!("{:.1}×", s / f),
            _ => "–".into(),
        };
        let _ = writeln!(md, "| `{ty}` | {} | {} | {ratio} |", cell(fast), cell(slow));
    }
    md
}

/// The SVG plot: ns per element against C (log scale), `f32`, one panel per
/// group (stacked), one line per tool. Like the book's other figures it is
/// 480 px wide at most and its smallest text is 14 px, so that it is still
/// 10 px high in a phone's 350 px column.
fn plot(results: &BTreeMap<Key, f64>, header: &str) -> String {
    const W: f64 = 480.0;
    const FONT: f64 = 14.0;
    let (left, panel_w, panel_h) = (64.0, 396.0, 200.0);
    let tools = [
        ("kernel", "f32", "#d62728", "kernel (this crate)"),
        ("reference", "f32", "#7f7f7f", "reference functions"),
        ("numpy", "float32", "#1f77b4", "NumPy stable"),
        ("jax", "float32", "#2ca02c", "jax.jit"),
    ];
    // The caption, wrapped to the width (about 0.55 em per character).
    let mut caption: Vec<String> = vec![String::new()];
    for word in escape(header).split(' ') {
        let last = caption.last_mut().expect("one line");
        if !last.is_empty()
            && (last.chars().count() + 1 + word.chars().count()) as f64 * FONT * 0.55 > W - 16.0
        {
            caption.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    let title_lines = [
        "ns per element against the number of classes C",
        "(f32, about 2^20 entries per batch)",
    ];
    let mut y0 = 22.0;
    let mut body = String::new();
    for line in title_lines {
        let _ = writeln!(
            body,
            "<text font-size=\"16\" x=\"{}\" y=\"{y0}\" text-anchor=\"middle\">{line}</text>",
            W / 2.0
        );
        y0 += 20.0;
    }
    let (c_min, c_max) = (10f64.log10(), 3200f64.log10());
    for (group, title) in [
        ("softmax", "softmax"),
        ("loss_and_gradient", "loss + gradient (mean)"),
    ] {
        let top = y0 + 24.0;
        let bottom = top + panel_h;
        let series: Vec<Vec<(f64, f64)>> = tools
            .iter()
            .map(|(tool, ty, _, _)| {
                SWEEP_CLASSES
                    .iter()
                    .filter_map(|&c| {
                        get(results, group, tool, ty, (1 << 20) / c, c).map(|v| (c as f64, v))
                    })
                    .collect()
            })
            .collect();
        let y_max = nice(
            series
                .iter()
                .flatten()
                .map(|&(_, v)| v)
                .fold(1.0_f64, f64::max),
        );
        let x = |c: f64| left + (c.log10() - c_min) / (c_max - c_min) * panel_w;
        let y = |v: f64| bottom - v / y_max * (bottom - top);
        let _ = writeln!(
            body,
            "<text font-size=\"15\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{title}</text>\n\
             <line x1=\"{left}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"black\"/>\n\
             <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"black\"/>",
            left + panel_w / 2.0,
            top - 8.0,
            left + panel_w
        );
        for &c in &SWEEP_CLASSES {
            let _ = writeln!(
                body,
                "<line x1=\"{0:.1}\" y1=\"{bottom}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"black\"/><text x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{c}</text>",
                x(c as f64),
                bottom + 4.0,
                bottom + 19.0
            );
        }
        for i in 0..=4 {
            let v = y_max * i as f64 / 4.0;
            let _ = writeln!(
                body,
                "<line x1=\"{}\" y1=\"{1:.1}\" x2=\"{left}\" y2=\"{1:.1}\" stroke=\"black\"/><line x1=\"{left}\" y1=\"{1:.1}\" x2=\"{2}\" y2=\"{1:.1}\" stroke=\"#ddd\"/><text x=\"{3}\" y=\"{4:.1}\" text-anchor=\"end\">{v}</text>",
                left - 4.0,
                y(v),
                left + panel_w,
                left - 6.0,
                y(v) + 5.0
            );
        }
        let _ = writeln!(
            body,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">C</text><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 {} {})\">ns per element</text>",
            left + panel_w / 2.0,
            bottom + 36.0,
            left - 44.0,
            (top + bottom) / 2.0,
            left - 44.0,
            (top + bottom) / 2.0
        );
        for (points, (_, _, colour, _)) in series.iter().zip(&tools) {
            if points.is_empty() {
                continue;
            }
            let path: Vec<String> = points
                .iter()
                .map(|&(c, v)| format!("{:.1},{:.1}", x(c), y(v)))
                .collect();
            let _ = writeln!(
                body,
                "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>",
                path.join(" ")
            );
            for &(c, v) in points {
                let _ = writeln!(
                    body,
                    "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{colour}\"/>",
                    x(c),
                    y(v)
                );
            }
        }
        y0 = bottom + 44.0;
    }
    // The legend: two columns of two.
    for (i, (_, _, colour, label)) in tools.iter().enumerate() {
        let lx = 20.0 + (i % 2) as f64 * 230.0;
        let ly = y0 + 10.0 + (i / 2) as f64 * 22.0;
        let _ = writeln!(
            body,
            "<line x1=\"{lx}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"{colour}\" stroke-width=\"3\"/><text x=\"{2}\" y=\"{3}\">{label}</text>",
            ly - 5.0,
            lx + 24.0,
            lx + 30.0,
            ly
        );
    }
    y0 += 10.0 + 2.0 * 22.0 + 6.0;
    for line in &caption {
        let _ = writeln!(
            body,
            "<text x=\"{}\" y=\"{y0}\" text-anchor=\"middle\">{line}</text>",
            W / 2.0
        );
        y0 += 18.0;
    }
    let h = y0;
    // Every text names its size, so that the browser check measures it.
    let body = body.replace("<text x=", &format!("<text font-size=\"{FONT}\" x="));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" \
         font-family=\"sans-serif\" font-size=\"{FONT}\">\n<rect width=\"{W}\" height=\"{h}\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

/// The smallest of 1, 2, 2.5, 5 times a power of ten at least `x`.
fn nice(x: f64) -> f64 {
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|&v| v >= x)
        .unwrap_or(10.0 * p)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('`', "")
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| crate::Failure(format!("cannot read {}: {e}", path.display())))
}

/// Every file named `name` under `dir`.
fn find(dir: &Path, name: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n == name) {
                out.push(path);
            }
        }
    }
    out
}

/// The string value of `"key":"value"` in a line of JSON (no escapes needed here).
fn string_field(json: &str, key: &str) -> Option<String> {
    let pattern = format!("\"{key}\":");
    let rest = json[json.find(&pattern)? + pattern.len()..].trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

/// The number of `"key":` after the first `anchor` in a JSON text.
fn number_after(json: &str, anchor: &str, key: &str) -> Option<f64> {
    let from = json.find(anchor)?;
    let pattern = format!("\"{key}\":");
    let rest = json[from..][json[from..].find(&pattern)? + pattern.len()..].trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_and_dates() {
        let line = r#"{"group": "softmax", "tool": "jax", "rows": 4096, "ns_per_elem": 1.25e-1}"#;
        let compact = line.replace(": ", ":");
        assert_eq!(string_field(&compact, "tool").as_deref(), Some("jax"));
        assert_eq!(number_after(&compact, "{", "rows"), Some(4096.0));
        assert_eq!(number_after(&compact, "{", "ns_per_elem"), Some(0.125));
        let estimates = r#"{"mean":{"point_estimate":5.0},"median":{"confidence_interval":{},"point_estimate":4.5}}"#;
        assert_eq!(
            number_after(estimates, "\"median\"", "point_estimate"),
            Some(4.5)
        );
        assert_eq!(today().len(), 10);
        assert_eq!(nice(3.2), 5.0);
        assert_eq!(nice(0.7), 1.0);
        let chapter = format!("a\n{BEGIN}\nold\n{END}\nb\n");
        assert_eq!(
            splice(&chapter, "new\n").ok().as_deref(),
            Some(format!("a\n{BEGIN}\n\nnew\n{END}\nb\n").as_str())
        );
        assert!(splice("no markers", "x").is_err());
    }

    /// The saved measurements read back as written, and the plot drawn from
    /// them legible on a phone: its smallest text at least 10 px high when
    /// shown 350 px wide, as the browser check requires of every figure.
    #[test]
    fn saved_measurements_replot_legibly() {
        let mut results = BTreeMap::new();
        for (k, &c) in SWEEP_CLASSES.iter().enumerate() {
            let key = |tool: &str, ty: &str| {
                (
                    "softmax".to_string(),
                    tool.to_string(),
                    ty.to_string(),
                    (1 << 20) / c,
                    c,
                )
            };
            results.insert(key("kernel", "f32"), 1.5 + k as f64);
            results.insert(key("jax", "float32"), 0.25 * k as f64);
        }
        let header = "Measured today on a machine, pinned";
        let Ok((back, back_header)) = load(&save(&results, header)) else {
            panic!("the saved measurements cannot be read back");
        };
        assert_eq!((back, back_header.as_str()), (results.clone(), header));
        assert!(load("no header\n").is_err());
        assert!(load("# h\nsoftmax\tkernel\tf32\tx\t10\t1.0\n").is_err());
        let svg = plot(&results, header);
        let width: f64 = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|r| r.split(' ').next()?.parse().ok())
            .expect("a viewBox");
        let texts = svg.matches("<text ").count();
        let sizes: Vec<f64> = svg
            .split("<text ")
            .skip(1)
            .filter_map(|t| {
                t.split("font-size=\"")
                    .nth(1)?
                    .split('"')
                    .next()?
                    .parse()
                    .ok()
            })
            .collect();
        assert_eq!(sizes.len(), texts, "every text names its size");
        let smallest = sizes.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(smallest * 350.0 / width >= 10.0, "{smallest} in {width}");
        assert!(svg.contains("Measured today"), "the caption is kept");
        assert_eq!(svg.matches("<circle").count(), 12);
    }
}
