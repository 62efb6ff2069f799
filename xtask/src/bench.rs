//! `cargo xtask bench [--peers] [--quick] [--replot]`: every side measured
//! in one run, pinned to one core, in wall-clock time, and the book's
//! artifact, table and plot written from the samples.
//!
//! The sides are programs that speak the protocol of `benches/protocol/src/lib.rs`:
//! the kernels (`benches`, the workspace member), candle
//! (`benches/candle`, a workspace of its own), NumPy and jax
//! (`benches/peers.py`, in a virtual environment under `target/`). This
//! module only starts them, checks that they drew the same inputs, and
//! computes the statistics, once for all of them.
//!
//! The artifact (`book/benchmarks/`): `run.tsv` (`key<TAB>value`: date,
//! load, CPU, instruction set of each side, versions, protocol) and
//! `kernels.tsv` (one line per case: median, min, max, quartiles and every
//! sample, ns per element). The table (`kernels.md`, and the same between
//! the markers of `book/fast-kernel.md`) and the plot (`kernels.svg`) are
//! drawn from these two files only, so `--replot` redraws them without
//! measuring.

use crate::{Result, cargo, fail, show};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The batches of the table, `(rows, classes)` (issue 17's table).
const SHAPES: [(usize, usize); 4] = [(4096, 1000), (100_000, 10), (256, 32_000), (32, 128_256)];
/// The sides, in the table's order: the name in the protocol, the column.
const SIDES: [(&str, &str); 4] = [
    ("kernel", "**kernel**"),
    ("jax", "jax.jit"),
    ("numpy", "NumPy stable"),
    ("candle", "candle 0.9"),
];
/// The groups of the table: the name in the protocol, the row's title.
const GROUPS: [(&str, &str); 3] = [
    ("softmax", "softmax"),
    ("labels", "loss+grad, labels"),
    ("soft", "loss+grad, soft targets"),
];
const TYPES: [&str; 2] = ["f32", "f64"];
/// The pinned Python packages (the venv is reinstalled when this changes).
const REQUIREMENTS: &str = "benches/requirements.txt";
/// The environment variables removed from the peers' command only: set on
/// some machines for OpenBLAS, they are not NumPy's defaults.
const REMOVED_FOR_PEERS: [&str; 2] = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];

/// How much to measure.
struct Protocol {
    samples: usize,
    seconds: f64,
    core: String,
}

pub fn run(root: &Path, args: &[String]) -> Result {
    let (mut peers, mut quick, mut replot_only) = (false, false, false);
    for arg in args {
        match arg.as_str() {
            "--peers" => peers = true,
            "--quick" => quick = true,
            "--replot" => replot_only = true,
            other => fail!("`bench` takes --peers, --quick and --replot, not `{other}`"),
        }
    }
    let book = root.join("book/benchmarks");
    if replot_only {
        let run = load(&book)?;
        return draw(root, &book, &run);
    }
    let protocol = Protocol {
        samples: if quick { 5 } else { 7 },
        seconds: if quick { 0.02 } else { 0.2 },
        core: std::env::var("BENCH_CORE").unwrap_or_else(|_| "0".into()),
    };
    let started = std::time::Instant::now();
    let mut run = Run::start(root, &protocol, peers, quick)?;
    let pin = taskset(&protocol.core)?;
    // Everything is built (and the venv set up) before anything is timed.
    let kernels = build_kernels(root)?;
    let candle = if peers {
        Some(build_candle(root)?)
    } else {
        None
    };
    let python = if peers { Some(venv(root)?) } else { None };
    run.side(
        root,
        &pin,
        &kernels,
        &[],
        &protocol,
        &[("RAYON_NUM_THREADS", "1")],
    )?;
    if let Some(candle) = candle {
        run.side(
            root,
            &pin,
            &candle,
            &[],
            &protocol,
            &[("RAYON_NUM_THREADS", "1")],
        )?;
    }
    if let Some(python) = python {
        let script = root.join("benches/peers.py");
        run.side(root, &pin, &python, &[script], &protocol, &[])?;
    }
    run.finish(started.elapsed().as_secs_f64())?;
    let dir = if quick || !peers {
        root.join("target/bench")
    } else {
        book.clone()
    };
    save(&dir, &run)?;
    if dir == book {
        draw(root, &book, &run)
    } else {
        write(&dir.join("kernels.md"), &table(&run))?;
        write(&dir.join("kernels.svg"), &plot(&run))?;
        eprintln!(
            "wrote {} (run.tsv, kernels.tsv, kernels.md, kernels.svg); the book is written only \
             by a full run with --peers",
            dir.display()
        );
        Ok(())
    }
}

/// The table, the plot and the chapter's table, from a run.
fn draw(root: &Path, book: &Path, run: &Run) -> Result {
    write(&book.join("kernels.md"), &table(run))?;
    write(&book.join("kernels.svg"), &plot(run))?;
    let chapter = root.join("book/fast-kernel.md");
    let text = read(&chapter)?;
    write(&chapter, &splice(&text, &table(run))?)?;
    eprintln!(
        "wrote book/benchmarks/kernels.md, kernels.svg and the table of book/fast-kernel.md \
         from book/benchmarks/run.tsv and kernels.tsv"
    );
    Ok(())
}

/// One case of one side: its samples, ns per element.
#[derive(Debug, Clone, PartialEq)]
struct Case {
    calls: usize,
    samples: Vec<f64>,
}

impl Case {
    fn sorted(&self) -> Vec<f64> {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        s
    }
    /// The `p`-quantile with linear interpolation (NumPy's default).
    fn quantile(&self, p: f64) -> f64 {
        let s = self.sorted();
        let pos = p * (s.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
    }
    fn median(&self) -> f64 {
        self.quantile(0.5)
    }
    fn min(&self) -> f64 {
        self.sorted()[0]
    }
    fn max(&self) -> f64 {
        self.sorted()[self.samples.len() - 1]
    }
}

/// (group, side, type, rows, classes).
type Key = (String, String, String, usize, usize);

/// A run: what was measured, where, when, with what.
#[derive(Debug, Default, PartialEq)]
struct Run {
    meta: BTreeMap<String, String>,
    cases: BTreeMap<Key, Case>,
    /// The input check line of each side.
    inputs: Vec<(String, String)>,
}

impl Run {
    fn start(root: &Path, protocol: &Protocol, peers: bool, quick: bool) -> Result<Run> {
        let mut meta = BTreeMap::new();
        let mut set = |k: &str, v: String| meta.insert(k.to_string(), v);
        let (date, time) = now();
        set("date", date.clone());
        set("run", format!("{date}T{time}Z"));
        set(
            "command",
            format!(
                "cargo xtask bench{}{}",
                if peers { " --peers" } else { "" },
                if quick { " --quick" } else { "" }
            ),
        );
        set("load_before", load_average());
        set("cpu", cpu_model());
        set(
            "cores",
            std::thread::available_parallelism()
                .map_or(0, |n| n.get())
                .to_string(),
        );
        set("cpu_flags", cpu_flags());
        set("pinned", format!("taskset -c {}", protocol.core));
        set(
            "clock",
            "wall clock (Rust std::time::Instant, Python time.perf_counter_ns)".into(),
        );
        set(
            "protocol",
            format!(
                "per case: one call, a calibration sample, then {} samples of about {} s each, \
                 each the mean over its calls; ns per element of the batch",
                protocol.samples, protocol.seconds
            ),
        );
        set("samples", protocol.samples.to_string());
        set("sample_seconds", protocol.seconds.to_string());
        set("rustc", output(Command::new("rustc").arg("--version")));
        set(
            "commit",
            output(Command::new("git").current_dir(root).args([
                "describe",
                "--always",
                "--dirty",
                "--abbrev=12",
            ])),
        );
        let removed: Vec<String> = REMOVED_FOR_PEERS
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| format!("{k}={v}")))
            .collect();
        set(
            "removed_for_peers",
            if removed.is_empty() {
                "none was set".into()
            } else {
                removed.join(" ")
            },
        );
        Ok(Run {
            meta,
            ..Run::default()
        })
    }

    /// Run one side pinned, and read its lines.
    fn side(
        &mut self,
        root: &Path,
        pin: &[String],
        program: &Path,
        args: &[PathBuf],
        protocol: &Protocol,
        env: &[(&str, &str)],
    ) -> Result {
        let shapes: Vec<String> = SHAPES.iter().map(|(r, c)| format!("{r}x{c}")).collect();
        let mut cmd = Command::new(&pin[0]);
        cmd.current_dir(root)
            .args(&pin[1..])
            .arg(program)
            .args(args)
            .args(["--shapes", &shapes.join(",")])
            .args(["--samples", &protocol.samples.to_string()])
            .args(["--seconds", &protocol.seconds.to_string()])
            .envs(env.iter().copied());
        if !args.is_empty() {
            for k in REMOVED_FOR_PEERS {
                cmd.env_remove(k);
            }
        }
        eprintln!("$ {}", show(&cmd));
        let output = cmd
            .stderr(Stdio::inherit())
            .output()
            .map_err(|e| crate::Failure(format!("could not start `{}`: {e}", show(&cmd))))?;
        if !output.status.success() {
            fail!("`{}` failed ({})", show(&cmd), output.status);
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let before = self.cases.len();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["meta", "inputs", v] => self
                    .inputs
                    .push((program.display().to_string(), v.to_string())),
                ["meta", k, v] => {
                    self.meta.insert(k.to_string(), v.to_string());
                }
                ["time", g, s, ty, r, c, calls, samples] => {
                    let case = parse_case(r, c, calls, samples)
                        .ok_or_else(|| crate::Failure(format!("cannot read the line `{line}`")))?;
                    self.cases.insert(
                        (g.to_string(), s.to_string(), ty.to_string(), case.0, case.1),
                        case.2,
                    );
                }
                _ => fail!(
                    "`{}` printed a line outside the protocol: `{line}`",
                    show(&cmd)
                ),
            }
        }
        eprintln!(
            "{}: {} cases",
            args.first().map_or(program, PathBuf::as_path).display(),
            self.cases.len() - before
        );
        Ok(())
    }

    /// Check the inputs and the completeness, and record the end.
    fn finish(&mut self, seconds: f64) -> Result {
        let parsed =
            |v: &str| -> Vec<f64> { v.split(' ').filter_map(|x| x.parse().ok()).collect() };
        if let Some((first, v)) = self.inputs.first() {
            for (other, w) in &self.inputs[1..] {
                if parsed(v) != parsed(w) || parsed(v).len() != 4 {
                    fail!("the sides drew different inputs: {first} `{v}`, {other} `{w}`");
                }
            }
        }
        let sides: Vec<&String> = {
            let mut s: Vec<&String> = self.cases.keys().map(|k| &k.1).collect();
            s.dedup();
            s
        };
        for side in SIDES.iter().map(|s| s.0) {
            if !self.cases.keys().any(|k| k.1 == side) {
                continue;
            }
            for (group, _) in GROUPS {
                for ty in TYPES {
                    for (r, c) in SHAPES {
                        let key = (group.into(), side.into(), ty.into(), r, c);
                        if !self.cases.contains_key(&key) {
                            fail!("{side} measured no {group} {ty} {r}x{c} (sides: {sides:?})");
                        }
                    }
                }
            }
        }
        self.meta.insert("load_after".into(), load_average());
        self.meta.insert(
            "seconds".into(),
            format!("{seconds:.0} (the whole command)"),
        );
        Ok(())
    }

    fn get(&self, group: &str, side: &str, ty: &str, (r, c): (usize, usize)) -> Option<&Case> {
        self.cases
            .get(&(group.into(), side.into(), ty.into(), r, c))
    }

    /// The one-line description of the run, for the table and the plot.
    fn header(&self) -> String {
        let m = |k: &str| self.meta.get(k).map_or("?", String::as_str);
        format!(
            "Run {} on {} ({} cores), {}, load average before/after {} / {}; `{}`, wall \
             clock, median of {} samples of about {} s (commit {})",
            m("run"),
            m("cpu"),
            m("cores"),
            m("pinned"),
            first_field(m("load_before")),
            first_field(m("load_after")),
            m("command"),
            m("samples"),
            m("sample_seconds"),
            m("commit"),
        )
    }
}

fn first_field(s: &str) -> &str {
    s.split(' ').next().unwrap_or(s)
}

fn parse_case(r: &str, c: &str, calls: &str, samples: &str) -> Option<(usize, usize, Case)> {
    let samples: Vec<f64> = samples
        .split(',')
        .map(|s| s.parse().ok().filter(|x: &f64| x.is_finite() && *x > 0.0))
        .collect::<Option<_>>()?;
    if samples.is_empty() {
        return None;
    }
    Some((
        r.parse().ok()?,
        c.parse().ok()?,
        Case {
            calls: calls.parse().ok()?,
            samples,
        },
    ))
}

const CASE_COLUMNS: &str =
    "group\tside\ttype\trows\tclasses\tmedian_ns\tmin_ns\tmax_ns\tq1_ns\tq3_ns\tcalls\tsamples_ns";

/// `run.tsv` and `kernels.tsv` in `dir`.
fn save(dir: &Path, run: &Run) -> Result {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::Failure(format!("cannot create {}: {e}", dir.display())))?;
    let mut meta = String::from("key\tvalue\n");
    for (k, v) in &run.meta {
        let _ = writeln!(meta, "{k}\t{}", v.replace(['\t', '\n'], " "));
    }
    let mut cases = format!("{CASE_COLUMNS}\n");
    for ((g, s, ty, r, c), case) in &run.cases {
        let samples: Vec<String> = case.samples.iter().map(|x| format!("{x:.4}")).collect();
        let _ = writeln!(
            cases,
            "{g}\t{s}\t{ty}\t{r}\t{c}\t{:.4}\t{:.4}\t{:.4}\t{:.4}\t{:.4}\t{}\t{}",
            case.median(),
            case.min(),
            case.max(),
            case.quantile(0.25),
            case.quantile(0.75),
            case.calls,
            samples.join(",")
        );
    }
    write(&dir.join("run.tsv"), &meta)?;
    write(&dir.join("kernels.tsv"), &cases)
}

/// The inverse of [`save`] (the statistics are recomputed from the samples).
fn load(dir: &Path) -> Result<Run> {
    let mut run = Run::default();
    let meta = read(&dir.join("run.tsv"))?;
    for line in meta.lines().skip(1) {
        let Some((k, v)) = line.split_once('\t') else {
            fail!("{}/run.tsv: cannot read `{line}`", dir.display());
        };
        run.meta.insert(k.into(), v.into());
    }
    let cases = read(&dir.join("kernels.tsv"))?;
    let mut lines = cases.lines();
    if lines.next() != Some(CASE_COLUMNS) {
        fail!(
            "{}/kernels.tsv: not the columns `{CASE_COLUMNS}`",
            dir.display()
        );
    }
    for line in lines {
        let f: Vec<&str> = line.split('\t').collect();
        let parsed = match f.as_slice() {
            [g, s, ty, r, c, _, _, _, _, _, calls, samples] => {
                parse_case(r, c, calls, samples).map(|(r, c, case)| ((*g, *s, *ty, r, c), case))
            }
            _ => None,
        };
        let Some(((g, s, ty, r, c), case)) = parsed else {
            fail!("{}/kernels.tsv: cannot read `{line}`", dir.display());
        };
        run.cases
            .insert((g.into(), s.into(), ty.into(), r, c), case);
    }
    Ok(run)
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

fn fmt_ns(x: f64) -> String {
    if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// How two cases compare: `a` faster (its slowest sample below `b`'s
/// fastest), slower, or within each other's range.
fn verdict(a: &Case, b: &Case) -> std::cmp::Ordering {
    if a.max() < b.min() {
        std::cmp::Ordering::Less
    } else if a.min() > b.max() {
        std::cmp::Ordering::Greater
    } else {
        std::cmp::Ordering::Equal
    }
}

/// The Markdown table, its notes and the counts they rest on.
fn table(run: &Run) -> String {
    let mut md = format!(
        "<!-- Generated by `cargo xtask bench --peers` from book/benchmarks/run.tsv and \
         kernels.tsv; do not edit. -->\n\n*{}.*\n\n| case |",
        run.header()
    );
    for (_, title) in SIDES {
        let _ = write!(md, " {title} |");
    }
    md.push_str(" kernel / jax.jit | spread |\n|---|");
    md.push_str(&"---|".repeat(SIDES.len() + 2));
    md.push('\n');
    for (group, title) in GROUPS {
        for shape in SHAPES {
            for ty in TYPES {
                let _ = write!(md, "| {title}, {ty}, {}×{} |", shape.0, shape.1);
                let mut spread: f64 = 0.0;
                for (side, _) in SIDES {
                    let cell = run.get(group, side, ty, shape).map_or("–".into(), |c| {
                        spread = spread.max((c.max() - c.min()) / c.median());
                        let v = fmt_ns(c.median());
                        if side == "kernel" {
                            format!("**{v}**")
                        } else {
                            v
                        }
                    });
                    let _ = write!(md, " {cell} |");
                }
                let ratio = match (
                    run.get(group, "kernel", ty, shape),
                    run.get(group, "jax", ty, shape),
                ) {
                    (Some(k), Some(j)) => {
                        let r = format!("{:.2}", k.median() / j.median());
                        match verdict(k, j) {
                            std::cmp::Ordering::Less => format!("**{r}**"),
                            std::cmp::Ordering::Greater => r,
                            std::cmp::Ordering::Equal => format!("{r} (overlap)"),
                        }
                    }
                    _ => "–".into(),
                };
                let _ = writeln!(md, " {ratio} | {:.0}% |", spread * 100.0);
            }
        }
    }
    md.push_str(
        "\nNanoseconds per element of the row-major N×C batch, the median of the samples \
         (lower is better). kernel / jax.jit in **bold**: every sample of the kernel was faster \
         than every sample of jax.jit; \"(overlap)\": the two ranges of samples overlap. \
         Spread: the widest range of samples (max − min) of the row, relative to its median.\n",
    );
    md.push_str(
        "\nFloors on the same core, ns per element: a copy of the batch, and NumPy's \
         exponential into a preallocated array.\n\n\
         | batch | copy, Rust `copy_from_slice` | `np.copyto` | `np.exp(out=)` |\n|---|---|---|---|\n",
    );
    for shape in SHAPES {
        for ty in TYPES {
            let cell = |g: &str, s: &str| {
                run.get(g, s, ty, shape)
                    .map_or("–".into(), |c| fmt_ns(c.median()))
            };
            let _ = writeln!(
                md,
                "| {ty}, {}×{} | {} | {} | {} |",
                shape.0,
                shape.1,
                cell("copy", "kernel"),
                cell("copy", "numpy"),
                cell("exp", "numpy")
            );
        }
    }
    md.push_str(&paths(run));
    md.push_str("\nWhat each side ran:\n\n");
    for (side, key) in [
        ("kernel", "isa.kernel"),
        ("jax.jit", "isa.jax"),
        ("NumPy", "isa.numpy"),
        ("candle", "isa.candle"),
    ] {
        if let Some(v) = run.meta.get(key) {
            let _ = writeln!(md, "- {side}: {v}.");
        }
    }
    let versions: Vec<String> = [
        "rustc", "candle", "python", "numpy", "jax", "jaxlib", "optax",
    ]
    .iter()
    .filter_map(|k| {
        let v = run.meta.get(*k)?;
        Some(format!("{k} {}", v.strip_prefix("rustc ").unwrap_or(v)))
    })
    .collect();
    if !versions.is_empty() {
        let _ = writeln!(md, "- Versions: {}.", versions.join(", "));
    }
    md.push_str(&summary(run));
    md
}

/// The kernels on each path of this processor: the default (`kernel`) and
/// each other path held by `with_instruction_set` (`kernel_avx2`, …).
fn paths(run: &Run) -> String {
    let mut held: Vec<&str> = run
        .cases
        .keys()
        .filter_map(|k| k.1.strip_prefix("kernel_"))
        .collect();
    held.sort_unstable();
    held.dedup();
    if held.is_empty() {
        return String::new();
    }
    let default = run
        .meta
        .get("isa.kernel")
        .and_then(|v| v.split(' ').next())
        .unwrap_or("default");
    let mut md = format!(
        "\nThe kernels held to each instruction set this processor has \
         (`fused::with_instruction_set`), ns per element:\n\n| case | {default} (default) |"
    );
    for h in &held {
        let _ = write!(md, " {h} |");
    }
    md.push_str("\n|---|---|");
    md.push_str(&"---|".repeat(held.len()));
    md.push('\n');
    for (group, title) in &GROUPS[..2] {
        for shape in SHAPES {
            for ty in TYPES {
                let cell = |side: &str| {
                    run.get(group, side, ty, shape)
                        .map_or("–".into(), |c| fmt_ns(c.median()))
                };
                let _ = write!(
                    md,
                    "| {title}, {ty}, {}×{} | {} |",
                    shape.0,
                    shape.1,
                    cell("kernel")
                );
                for h in &held {
                    let _ = write!(md, " {} |", cell(&format!("kernel_{h}")));
                }
                md.push('\n');
            }
        }
    }
    md
}

/// The counts the chapter's sentences cite, computed from the run.
fn summary(run: &Run) -> String {
    let mut md = String::from("\nCounted from the samples:\n\n");
    let compare = |group: &str, other: &str| {
        let (mut less, mut more, mut tie, mut ratios) = (0, 0, 0, Vec::new());
        for shape in SHAPES {
            for ty in TYPES {
                if let (Some(k), Some(o)) = (
                    run.get(group, "kernel", ty, shape),
                    run.get(group, other, ty, shape),
                ) {
                    match verdict(k, o) {
                        std::cmp::Ordering::Less => less += 1,
                        std::cmp::Ordering::Greater => more += 1,
                        std::cmp::Ordering::Equal => tie += 1,
                    }
                    ratios.push(k.median() / o.median());
                }
            }
        }
        let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ratios.iter().copied().fold(0.0, f64::max);
        (less, more, tie, lo, hi, ratios.len())
    };
    for (group, title) in GROUPS {
        for (other, name) in [("jax", "jax.jit"), ("numpy", "NumPy"), ("candle", "candle")] {
            let (less, more, tie, lo, hi, n) = compare(group, other);
            if n == 0 {
                continue;
            }
            let _ = writeln!(
                md,
                "- {title}, kernel against {name}: faster in {less} of {n} cases, slower in {more}, \
                 ranges overlapping in {tie}; kernel / {name} from {lo:.2} to {hi:.2}."
            );
        }
    }
    let mut soft = Vec::new();
    for shape in SHAPES {
        for ty in TYPES {
            if let (Some(s), Some(l)) = (
                run.get("soft", "kernel", ty, shape),
                run.get("labels", "kernel", ty, shape),
            ) {
                soft.push(s.median() / l.median());
            }
        }
    }
    if !soft.is_empty() {
        let _ = writeln!(
            md,
            "- The kernel's soft targets against its class labels: from {:.2} to {:.2} times the time.",
            soft.iter().copied().fold(f64::INFINITY, f64::min),
            soft.iter().copied().fold(0.0, f64::max)
        );
    }
    let shape = SHAPES[0];
    if let (Some(k), Some(e)) = (
        run.get("softmax", "kernel", "f32", shape),
        run.get("exp", "numpy", "f32", shape),
    ) {
        let _ = writeln!(
            md,
            "- softmax f32 {}×{}: the kernel takes {:.2} times the `np.exp(out=)` floor.",
            shape.0,
            shape.1,
            k.median() / e.median()
        );
    }
    md
}

/// The SVG plot: ns per element (log scale) against C (log scale) at the
/// four batches of the table, `f32`, one panel per group, one line per side.
/// Like the book's other figures it is 480 px wide and its smallest text is
/// 14 px, so that it is still 10 px high in a phone's 350 px column.
fn plot(run: &Run) -> String {
    const W: f64 = 480.0;
    const FONT: f64 = 14.0;
    let (left, panel_w, panel_h) = (64.0, 396.0, 180.0);
    let sides = [
        ("kernel", "#d62728", "kernel (this crate)"),
        ("jax", "#2ca02c", "jax.jit"),
        ("numpy", "#1f77b4", "NumPy stable"),
        ("candle", "#ff7f0e", "candle 0.9"),
    ];
    let mut caption: Vec<String> = vec![String::new()];
    for word in escape(&run.header()).split(' ') {
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
    let mut shapes = SHAPES.to_vec();
    shapes.sort_by_key(|s| s.1);
    let title_lines = [
        "ns per element against the number of classes C",
        "(f32, the batches of the table; both axes logarithmic)",
    ];
    let mut y0 = 22.0;
    let mut body = String::new();
    for line in title_lines {
        let _ = writeln!(
            body,
            "<text font-size=\"15\" x=\"{}\" y=\"{y0}\" text-anchor=\"middle\">{}</text>",
            W / 2.0,
            escape(line)
        );
        y0 += 20.0;
    }
    let c_min = (shapes[0].1 as f64).log10() - 0.15;
    let c_max = (shapes[shapes.len() - 1].1 as f64).log10() + 0.25;
    for (group, title) in GROUPS {
        let top = y0 + 24.0;
        let bottom = top + panel_h;
        let series: Vec<Vec<(f64, f64)>> = sides
            .iter()
            .map(|(side, _, _)| {
                shapes
                    .iter()
                    .filter_map(|&s| {
                        run.get(group, side, "f32", s)
                            .map(|c| (s.1 as f64, c.median()))
                    })
                    .collect()
            })
            .collect();
        let values: Vec<f64> = series.iter().flatten().map(|&(_, v)| v).collect();
        let lo = values
            .iter()
            .copied()
            .fold(1.0_f64, f64::min)
            .log10()
            .floor();
        let hi = values
            .iter()
            .copied()
            .fold(1.0_f64, f64::max)
            .log10()
            .ceil()
            .max(lo + 1.0);
        let x = |c: f64| left + (c.log10() - c_min) / (c_max - c_min) * panel_w;
        let y = |v: f64| bottom - (v.log10() - lo) / (hi - lo) * (bottom - top);
        let _ = writeln!(
            body,
            "<text font-size=\"15\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n\
             <line x1=\"{left}\" y1=\"{bottom}\" x2=\"{}\" y2=\"{bottom}\" stroke=\"black\"/>\n\
             <line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{bottom}\" stroke=\"black\"/>",
            left + panel_w / 2.0,
            top - 8.0,
            escape(title),
            left + panel_w
        );
        for &(_, c) in &shapes {
            let _ = writeln!(
                body,
                "<line x1=\"{0:.1}\" y1=\"{bottom}\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"black\"/><text x=\"{0:.1}\" y=\"{2}\" text-anchor=\"middle\">{c}</text>",
                x(c as f64),
                bottom + 4.0,
                bottom + 19.0
            );
        }
        let mut e = lo;
        while e <= hi {
            let v = 10f64.powf(e);
            let label = if e < 0.0 {
                format!("{v:.*}", (-e) as usize)
            } else {
                format!("{v:.0}")
            };
            let _ = writeln!(
                body,
                "<line x1=\"{}\" y1=\"{1:.1}\" x2=\"{left}\" y2=\"{1:.1}\" stroke=\"black\"/><line x1=\"{left}\" y1=\"{1:.1}\" x2=\"{2}\" y2=\"{1:.1}\" stroke=\"#ddd\"/><text x=\"{3}\" y=\"{4:.1}\" text-anchor=\"end\">{label}</text>",
                left - 4.0,
                y(v),
                left + panel_w,
                left - 6.0,
                y(v) + 5.0
            );
            e += 1.0;
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
        for (points, (_, colour, _)) in series.iter().zip(&sides) {
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
    for (i, (_, colour, label)) in sides.iter().enumerate() {
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

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace(['`', '*'], "")
}

// ---- building and setting up the sides ---------------------------------------

/// `taskset -c CORE`, or a clear error: unpinned numbers are not comparable.
fn taskset(core: &str) -> Result<Vec<String>> {
    let ok = Command::new("taskset")
        .args(["-c", core, "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        fail!(
            "`taskset -c {core} true` failed: install util-linux's taskset, or set BENCH_CORE to a \
             core this process may use; the benchmark does not run unpinned"
        );
    }
    Ok(vec!["taskset".into(), "-c".into(), core.into()])
}

/// Build the kernels' side (release); its executable.
fn build_kernels(root: &Path) -> Result<PathBuf> {
    let mut build = cargo();
    build.current_dir(root).args([
        "build",
        "--release",
        "-p",
        "benches",
        "--bin",
        "kernels",
        "--message-format=json-render-diagnostics",
    ]);
    executable(&mut build, "kernels")
}

/// Build candle's side: its own workspace and lockfile, its own target
/// directory, for this processor (`-C target-cpu=native`, see
/// `benches/candle/src/main.rs`).
fn build_candle(root: &Path) -> Result<PathBuf> {
    let mut build = cargo();
    build
        .current_dir(root)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("RUSTFLAGS", "-C target-cpu=native")
        .args([
            "build",
            "--release",
            "--locked",
            "--manifest-path",
            "benches/candle/Cargo.toml",
            "--target-dir",
            "target/candle",
            "--message-format=json-render-diagnostics",
        ]);
    executable(&mut build, "candle-peer")
}

fn executable(build: &mut Command, name: &str) -> Result<PathBuf> {
    eprintln!("$ {}", show(build));
    let output = build
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| crate::Failure(format!("could not start cargo: {e}")))?;
    if !output.status.success() {
        fail!("`{}` failed", show(build));
    }
    let messages = String::from_utf8_lossy(&output.stdout);
    messages
        .lines()
        .rev()
        .filter(|l| {
            l.contains("\"reason\":\"compiler-artifact\"")
                && l.contains(&format!("\"name\":\"{name}\""))
        })
        .find_map(|l| string_field(l, "executable"))
        .map(PathBuf::from)
        .ok_or_else(|| crate::Failure(format!("cargo did not name the executable `{name}`")))
}

/// The virtual environment of the Python peers (`target/peers-venv`), set
/// up or brought to `benches/requirements.txt`; its python.
fn venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/peers-venv");
    let python = venv.join("bin/python");
    let stamp = venv.join("installed-requirements.txt");
    let wanted = read(&root.join(REQUIREMENTS))?;
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    let python3 = std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into());
    if !python.exists() {
        let mut create = Command::new(&python3);
        create.args(["-m", "venv"]).arg(&venv);
        if !create.status().is_ok_and(|s| s.success()) {
            fail!(
                "could not create the peers' virtual environment with `{} -m venv {}`: the \
                 peers need Python 3 with its venv module (Debian: apt-get install python3-venv), \
                 or PYTHON set to such a python",
                python3.to_string_lossy(),
                venv.display()
            );
        }
    }
    let mut install = Command::new(&python);
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(root.join(REQUIREMENTS));
    eprintln!("$ {}", show(&install));
    if !install.status().is_ok_and(|s| s.success()) {
        fail!(
            "could not install the pinned peers ({REQUIREMENTS}) into {}: pip needs PyPI (or a \
             mirror set by PIP_INDEX_URL); if the environment is broken, delete it and run again",
            venv.display()
        );
    }
    write(&stamp, &wanted)?;
    Ok(python)
}

// ---- the machine -----------------------------------------------------------

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_string()))
        })
        .unwrap_or_else(|| std::env::consts::ARCH.into())
}

/// The vector extensions that /proc/cpuinfo lists.
fn cpu_flags() -> String {
    let flags = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("flags")).map(String::from))
        .unwrap_or_default();
    let wanted: Vec<&str> = flags
        .split_whitespace()
        .filter(|f| f.starts_with("avx") || *f == "fma" || f.starts_with("sse4"))
        .collect();
    if wanted.is_empty() {
        "not listed".into()
    } else {
        wanted.join(" ")
    }
}

/// `/proc/loadavg`: the 1, 5 and 15 minute load averages.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "not available".into())
}

fn output(cmd: &mut Command) -> String {
    cmd.output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Today's date `YYYY-MM-DD` and the time `HH:MM` (UTC), from the system clock.
fn now() -> (String, String) {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
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
    let s = secs % 86_400;
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}", s / 3600, s % 3600 / 60),
    )
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text)
        .map_err(|e| crate::Failure(format!("cannot write {}: {e}", path.display())))
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| crate::Failure(format!("cannot read {}: {e}", path.display())))
}

/// The string value of `"key":"value"` in a line of JSON (no escapes needed here).
fn string_field(json: &str, key: &str) -> Option<String> {
    let pattern = format!("\"{key}\":");
    let rest = json[json.find(&pattern)? + pattern.len()..].trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(samples: &[f64]) -> Case {
        Case {
            calls: 3,
            samples: samples.to_vec(),
        }
    }

    #[test]
    fn statistics_splicing_and_dates() {
        // NumPy: np.quantile([5, 1, 4, 2, 3], [0.25, 0.5, 0.75]) == [2, 3, 4];
        // np.quantile([1, 2, 3, 10], 0.5) == 2.5, 0.25 -> 1.75.
        let c = case(&[5.0, 1.0, 4.0, 2.0, 3.0]);
        assert_eq!(
            (c.quantile(0.25), c.median(), c.quantile(0.75)),
            (2.0, 3.0, 4.0)
        );
        assert_eq!((c.min(), c.max()), (1.0, 5.0));
        let d = case(&[1.0, 2.0, 3.0, 10.0]);
        assert_eq!((d.median(), d.quantile(0.25)), (2.5, 1.75));
        assert_eq!(
            verdict(&case(&[1.0, 2.0]), &case(&[2.5, 3.0])),
            std::cmp::Ordering::Less
        );
        assert_eq!(
            verdict(&case(&[1.0, 2.6]), &case(&[2.5, 3.0])),
            std::cmp::Ordering::Equal
        );
        assert_eq!(
            verdict(&case(&[3.5]), &case(&[2.5, 3.0])),
            std::cmp::Ordering::Greater
        );
        let (date, time) = now();
        assert_eq!((date.len(), time.len()), (10, 5));
        let chapter = format!("a\n{BEGIN}\nold\n{END}\nb\n");
        assert_eq!(
            splice(&chapter, "new\n").ok().as_deref(),
            Some(format!("a\n{BEGIN}\n\nnew\n{END}\nb\n").as_str())
        );
        assert!(splice("no markers", "x").is_err());
        assert_eq!(
            parse_case("2", "3", "1", "1.5,2"),
            Some((2, 3, case(&[1.5, 2.0]))).map(|(r, c, mut k)| {
                k.calls = 1;
                (r, c, k)
            })
        );
        assert!(parse_case("2", "3", "1", "1.5,NaN").is_none());
        assert!(parse_case("2", "3", "1", "").is_none());
    }

    /// A run saved and read back is the same run, and the plot drawn from it
    /// is legible on a phone: its smallest text at least 10 px high when
    /// shown 350 px wide, as the browser check requires of every figure.
    #[test]
    fn saved_runs_read_back_and_replot_legibly() {
        let mut run = Run::default();
        run.meta.insert("cpu".into(), "A CPU".into());
        run.meta.insert("run".into(), "2026-12-04T20:00Z".into());
        for (k, (side, _)) in SIDES.iter().enumerate() {
            for (group, _) in GROUPS {
                for ty in TYPES {
                    for (r, c) in SHAPES {
                        let base = 0.5 + k as f64 + c as f64 / 1e5;
                        run.cases.insert(
                            (group.into(), side.to_string(), ty.into(), r, c),
                            case(&[base, base * 1.01, base * 0.99, base * 1.02, base]),
                        );
                    }
                }
            }
        }
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        assert!(save(&dir, &run).is_ok());
        let back = load(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        let Ok(back) = back else {
            panic!("the saved run cannot be read back");
        };
        // The samples are saved to 4 decimals, which these are.
        assert_eq!(back.meta, run.meta);
        assert_eq!(back.cases.len(), run.cases.len());
        for (k, c) in &run.cases {
            let b = &back.cases[k];
            assert!(
                c.samples
                    .iter()
                    .zip(&b.samples)
                    .all(|(x, y)| (x - y).abs() < 1e-4),
                "{k:?}"
            );
        }
        run.cases.insert(
            (
                "softmax".into(),
                "kernel_avx2".into(),
                "f32".into(),
                4096,
                1000,
            ),
            case(&[0.75]),
        );
        run.meta
            .insert("isa.kernel".into(), "avx512 (the default)".into());
        let md = table(&run);
        assert!(md.contains("| case | avx512 (default) | avx2 |"), "{md}");
        assert!(
            md.contains("| softmax, f32, 4096×1000 | 0.51 | 0.75 |"),
            "{md}"
        );
        run.cases.remove(&(
            "softmax".into(),
            "kernel_avx2".into(),
            "f32".into(),
            4096,
            1000,
        ));
        assert!(
            md.contains(
                "| softmax, f32, 4096×1000 | **0.51** | 1.51 | 2.51 | 3.51 | **0.34** | 3% |"
            ),
            "{md}"
        );
        assert!(
            md.contains("softmax, kernel against jax.jit: faster in 8 of 8 cases"),
            "{md}"
        );
        let svg = plot(&run);
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
        assert!(svg.contains("A CPU"), "the caption is kept");
        assert_eq!(svg.matches("<circle").count(), 3 * 4 * 4);
    }
}
