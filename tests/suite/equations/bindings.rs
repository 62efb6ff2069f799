//! The binding of an equation: the one line after its closing `$$`,
//!
//! ```text
//! <!-- check: z ∈ R^C; y = softmax(z); ς(x) = softmax(x) -->
//! ```
//!
//! says what the symbols of the equation stand for. Items are separated by
//! `;` (a `\;` inside LaTeX does not separate):
//!
//! | item | meaning |
//! |---|---|
//! | `z ∈ R^C`, `x ∈ R`, `Z ∈ R^{n×C}` | draw random logits: uniform in [-5, 5] in half the draws, in [-s, s] with s log-uniform in [5, 50] in the other half |
//! | `z ∈ (a, b)^C` | draw a vector with entries uniform in (a, b) |
//! | `v ∈ R_+^C` | draw non-negative entries (uniform in [0, 3]) |
//! | `z ∈ {-2..2}^C` | draw integer entries, so that ties (at the max too) are frequent |
//! | `t ∈ Δ^C`, `T ∈ Δ^{n×C}` | draw a probability distribution (each row one) |
//! | `z ∈ (709.8, 800)` | draw a number from an interval |
//! | `k ∈ 1..C`, `k ∈ (1..C)^n`, `i ∈ 1..n` | draw a class index, one per sample, or a sample index |
//! | `k ∈ argmax(z)` | the index of the largest entry of `z` (drawn before) |
//! | `C ∈ 2..5`, `n ∈ 1..3`, `C = 2` | the number of classes / samples (default `C ∈ 2..5`, `n ∈ 1..3`; in the wide draws `C ∈ 2..9`, `n ∈ 1..4`) |
//! | `y = softmax(z)` | a crate function's result (LaTeX arguments; `Sum`/`Mean` for a batch reduction; `_{…}` after the call indexes it) |
//! | `ξ(t, y) = cross_entropy(y, t)` | a function symbol that stands for a crate function |
//! | `r_i := \log \sum_{d \neq i} e^{z_d}` | a LaTeX definition (index parameters allowed) |
//! | `P(t=c\|z) := \varsigma(\mathbf z)_c` | a function symbol defined in LaTeX (parameters may be patterns) |
//! | `Σ_C from (4.1)` | take the definition of `Σ_C` from equation (4.1) |
//! | `code: f(…), g(…)` | the crate functions the chapter shows for this equation: each must equal the first claim; `code2:` the second claim |
//!
//! Greek letters may be typed as Unicode (`ς`, `σ`, `ξ`, `Σ`) or as commands.

use super::eval::{Def, Env, FnBody, FnDef, RustArg, RustCall, Val};
use super::grammar::{self, Expr};
use super::num::Num;
use super::tex;
use softmax_cross_entropy::batch::Reduction;

/// How an input is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    /// A number in `[lo, hi]`; `(−∞, ∞)`: the default logits, whose range
    /// depends on the draw ([`DEFAULT_LOGITS`]).
    Interval(f64, f64),
    /// A vector of `C` numbers in `[lo, hi]` (`(−∞, ∞)`: as for [`Domain::Interval`]).
    Vector(f64, f64),
    /// A vector of `C` integers in `lo..=hi`: ties, at the max too, are frequent.
    Integers(i64, i64),
    /// An `n × C` matrix of numbers in `[lo, hi]` (`(−∞, ∞)`: as for [`Domain::Interval`]).
    Matrix(f64, f64),
    /// A probability distribution over the `C` classes.
    Distribution,
    /// `n` distributions, one per row.
    Distributions,
    /// A class index in `1..C`.
    Class,
    /// `n` class indices.
    Classes,
    /// A sample (row) index in `1..n`.
    Row,
    /// The index of the largest entry of a vector drawn before.
    Argmax(String),
}

/// A parsed binding.
#[derive(Debug, Clone, Default)]
pub struct Binding {
    /// Inputs, in order.
    pub inputs: Vec<(String, Domain)>,
    /// Symbols defined by the binding.
    pub defs: Vec<(String, Def)>,
    /// Function symbols defined by the binding.
    pub funcs: Vec<(String, FnDef)>,
    /// `X from (K.M)`: names and tags.
    pub from: Vec<(String, String)>,
    /// Code items: the claim (1-based) and the call.
    pub code: Vec<(usize, RustCall)>,
    /// The range of `C`.
    pub classes: (usize, usize),
    /// The range of `n`.
    pub rows: (usize, usize),
}

/// Split at `sep` outside parentheses and braces, and not after a backslash.
fn split(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut depth = 0i32;
    let mut prev = ' ';
    for ch in s.chars() {
        match ch {
            '(' | '{' | '[' => depth += 1,
            ')' | '}' | ']' => depth -= 1,
            _ => {}
        }
        if ch == sep && depth == 0 && prev != '\\' {
            out.push(String::new());
        } else {
            out.last_mut().unwrap().push(ch);
        }
        prev = ch;
    }
    out.into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Parse a LaTeX snippet of a binding as an expression (or a function
/// application with patterns).
pub fn latex(s: &str) -> Result<Expr, String> {
    let toks = tex::tokens(s).map_err(|e| format!("`{s}`: {e}"))?;
    let c = grammar::chain(&toks).map_err(|e| format!("`{s}`: {e}"))?;
    match <[Expr; 1]>::try_from(c.sides) {
        Ok([e]) => Ok(e),
        Err(_) => Err(format!(
            "`{s}`: a relation where an expression was expected"
        )),
    }
}

fn range(s: &str) -> Result<(usize, usize), String> {
    let (a, b) = s
        .split_once("..")
        .ok_or_else(|| format!("`{s}` is not a range a..b"))?;
    let p = |x: &str| {
        x.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{s}`: not a number"))
    };
    Ok((p(a)?, p(b)?))
}

/// The default range of logits (`z ∈ R^C`, `x ∈ R`, `Z ∈ R^{n×C}`) in the
/// local draws; the wide draws scale it up to ten times.
pub const DEFAULT_LOGITS: (f64, f64) = (-5.0, 5.0);
/// The default range of `C`, and its upper end in the wide draws.
pub const DEFAULT_CLASSES: (usize, usize) = (2, 5);
/// See [`DEFAULT_CLASSES`].
pub const WIDE_CLASSES: usize = 9;
/// The default range of `n`, and its upper end in the wide draws.
pub const DEFAULT_ROWS: (usize, usize) = (1, 3);
/// See [`DEFAULT_ROWS`].
pub const WIDE_ROWS: usize = 4;

fn domain(s: &str) -> Result<Domain, String> {
    let s: String = s.split_whitespace().collect();
    Ok(match s.as_str() {
        "R" => Domain::Interval(f64::NEG_INFINITY, f64::INFINITY),
        "R^C" => Domain::Vector(f64::NEG_INFINITY, f64::INFINITY),
        "R_+^C" => Domain::Vector(0.0, 3.0),
        "R^{n×C}" => Domain::Matrix(f64::NEG_INFINITY, f64::INFINITY),
        "Δ^C" => Domain::Distribution,
        "Δ^{n×C}" => Domain::Distributions,
        "1..C" => Domain::Class,
        "1..n" => Domain::Row,
        _ if s.starts_with("argmax(") && s.ends_with(')') => {
            Domain::Argmax(s["argmax(".len()..s.len() - 1].to_string())
        }
        "(1..C)^n" => Domain::Classes,
        _ if s.starts_with('{') && s.ends_with("}^C") => {
            let bad = || format!("unknown domain `{s}`");
            let (a, b) = s[1..s.len() - 3].split_once("..").ok_or_else(bad)?;
            let p = |x: &str| x.parse::<i64>().map_err(|_| bad());
            let (a, b) = (p(a)?, p(b)?);
            if a > b {
                return Err(bad());
            }
            Domain::Integers(a, b)
        }
        _ if s.starts_with('(') && s.ends_with(")^C") => {
            let bad = || format!("unknown domain `{s}`");
            let (a, b) = s[1..s.len() - 3].split_once(',').ok_or_else(bad)?;
            let p = |x: &str| x.parse::<f64>().map_err(|_| bad());
            Domain::Vector(p(a)?, p(b)?)
        }
        _ => {
            let inner = s
                .strip_prefix('(')
                .and_then(|x| x.strip_suffix(')'))
                .ok_or_else(|| format!("unknown domain `{s}`"))?;
            let (a, b) = inner
                .split_once(',')
                .ok_or_else(|| format!("unknown domain `{s}`"))?;
            let p = |x: &str| {
                x.parse::<f64>()
                    .map_err(|_| format!("unknown domain `{s}`"))
            };
            Domain::Interval(p(a)?, p(b)?)
        }
    })
}

/// `name(args)` optionally followed by `_{…}`.
pub fn rust_call(s: &str) -> Result<RustCall, String> {
    let open = s.find('(').ok_or_else(|| format!("`{s}` is not a call"))?;
    let name = s[..open].trim().to_string();
    if !super::library::NAMES.contains(&name.as_str()) {
        return Err(format!(
            "`{name}` is not a crate function known to the bindings"
        ));
    }
    let mut depth = 0;
    let mut close = None;
    for (k, ch) in s.char_indices().skip_while(|(k, _)| *k < open) {
        match ch {
            '(' | '{' => depth += 1,
            ')' | '}' => {
                depth -= 1;
                if depth == 0 {
                    close = Some(k);
                    break;
                }
            }
            _ => {}
        }
    }
    let close = close.ok_or_else(|| format!("`{s}`: unclosed `(`"))?;
    let args = split(&s[open + 1..close], ',')
        .into_iter()
        .map(|a| match a.as_str() {
            "Sum" => Ok(RustArg::Reduction(Reduction::Sum)),
            "Mean" => Ok(RustArg::Reduction(Reduction::Mean)),
            _ => latex(&a).map(RustArg::Expr),
        })
        .collect::<Result<_, _>>()?;
    let rest = s[close + 1..].trim();
    let index = if rest.is_empty() {
        None
    } else {
        match latex(&format!("q{rest}"))? {
            Expr::Index(_, idx) => Some(idx),
            _ => return Err(format!("`{s}`: only a subscript may follow a call")),
        }
    };
    Ok(RustCall { name, args, index })
}

/// The name a left-hand side defines, and its index parameters.
fn target(e: &Expr) -> Result<(String, Vec<String>), String> {
    match e {
        Expr::Var(x) => Ok((x.clone(), vec![])),
        Expr::Index(b, idx) => {
            let Expr::Var(x) = &**b else {
                return Err("a definition of something not a symbol".into());
            };
            // `Σ_C` (a name) or `r_i`, `t_{ic}` (parameters).
            if idx
                .iter()
                .all(|i| matches!(i, Expr::Var(v) if v != "C" && v != "n"))
            {
                let params = idx
                    .iter()
                    .map(|i| match i {
                        Expr::Var(v) => v.clone(),
                        _ => unreachable!(),
                    })
                    .collect();
                Ok((x.clone(), params))
            } else {
                Ok((
                    Env::subscripted_name(x, idx).ok_or("a bad subscript")?,
                    vec![],
                ))
            }
        }
        _ => Err("a definition of something not a symbol".into()),
    }
}

/// Parse a binding line.
pub fn parse(text: &str) -> Result<Binding, String> {
    let mut b = Binding {
        classes: DEFAULT_CLASSES,
        rows: DEFAULT_ROWS,
        ..Binding::default()
    };
    for item in split(text, ';') {
        let fail = |e: String| format!("binding item `{item}`: {e}");
        if let Some(rest) = item.strip_prefix("code") {
            let (n, calls) = rest
                .split_once(':')
                .ok_or_else(|| fail("`code:` lacks its colon".into()))?;
            let n = if n.trim().is_empty() {
                1
            } else {
                n.trim()
                    .parse()
                    .map_err(|_| fail("bad claim number".into()))?
            };
            for c in split(calls, ',') {
                b.code.push((n, rust_call(&c).map_err(fail)?));
            }
        } else if let Some((lhs, tag)) = item.split_once(" from ") {
            let tag = tag
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .to_string();
            let (name, _) = target(&latex(lhs.trim()).map_err(fail)?).map_err(fail)?;
            b.from.push((name, tag));
        } else if let Some((lhs, dom)) = item.split_once('∈') {
            let lhs = lhs.trim();
            match lhs {
                "C" => b.classes = range(dom).map_err(fail)?,
                "n" => b.rows = range(dom).map_err(fail)?,
                _ => {
                    let (name, params) = target(&latex(lhs).map_err(fail)?).map_err(fail)?;
                    if !params.is_empty() {
                        return Err(fail("an input with indices".into()));
                    }
                    b.inputs.push((name, domain(dom).map_err(fail)?));
                }
            }
        } else if let Some((lhs, rhs)) = item.split_once(":=") {
            let body = latex(rhs.trim()).map_err(fail)?;
            match latex(lhs.trim()).map_err(fail)? {
                Expr::Call(f, params, bar) => b.funcs.push((
                    f,
                    FnDef {
                        params,
                        bar,
                        body: FnBody::Tex(body),
                    },
                )),
                other => {
                    let (name, params) = target(&other).map_err(fail)?;
                    b.defs.push((name, Def::Tex(params, body)));
                }
            }
        } else if let Some((lhs, rhs)) = item.split_once('=') {
            let (lhs, rhs) = (lhs.trim(), rhs.trim());
            if lhs == "C" || lhs == "n" {
                let k: usize = rhs.parse().map_err(|_| fail("not a number".into()))?;
                if lhs == "C" {
                    b.classes = (k, k)
                } else {
                    b.rows = (k, k)
                }
                continue;
            }
            let call = rust_call(rhs).map_err(fail)?;
            match latex(lhs).map_err(fail)? {
                Expr::Call(f, params, bar) => b.funcs.push((
                    f,
                    FnDef {
                        params,
                        bar,
                        body: FnBody::Rust(call),
                    },
                )),
                other => {
                    let (name, params) = target(&other).map_err(fail)?;
                    if !params.is_empty() {
                        return Err(fail(
                            "a crate function's result with index parameters".into(),
                        ));
                    }
                    b.defs.push((name, Def::Rust(call)));
                }
            }
        } else {
            return Err(fail(
                "not an item of a binding (see CONTRIBUTING.md)".into(),
            ));
        }
    }
    Ok(b)
}

/// A small deterministic generator (SplitMix64), so that a failure can be
/// reproduced from the equation and the draw number.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for one equation and one draw.
    pub fn new(anchor: &str, draw: u64) -> Rng {
        let h = anchor.bytes().fold(0xcbf29ce484222325_u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100000001b3)
        });
        Rng(h ^ draw.wrapping_mul(0x9E3779B97F4A7C15))
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[lo, hi]`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }
    /// Uniform in `lo..=hi`.
    pub fn int(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }
}

fn distribution(rng: &mut Rng, c: usize) -> Vec<Num> {
    let w: Vec<f64> = (0..c).map(|_| rng.uniform(0.05, 1.0)).collect();
    let s: f64 = w.iter().sum();
    // Normalized, then the last entry takes the rest so that the sum is 1
    // within an ulp or two (the crate accepts |Σt − 1| ≤ √ε).
    let mut t: Vec<f64> = w.iter().map(|x| x / s).collect();
    let head: f64 = t[..c - 1].iter().sum();
    t[c - 1] = 1.0 - head;
    t.into_iter().map(Num::exact).collect()
}

impl Binding {
    /// Draw the sizes and the inputs, and build the environment.
    pub fn environment(&self, rng: &mut Rng) -> Env {
        // Half the draws are local (the default sizes, logits in
        // [-5, 5]); the other half reach further: logits of a scale
        // log-uniform in [5, 50], and, where the binding leaves the sizes to
        // their defaults, up to WIDE_CLASSES classes and WIDE_ROWS rows.
        let wide = rng.int(0, 1) == 1;
        let scale = if wide {
            5.0 * 10f64.powf(rng.uniform(0.0, 1.0))
        } else {
            5.0
        };
        let widen = |(a, b): (f64, f64)| {
            // (−∞, ∞) stands for the default logits (`R`, `R^C`, `R^{n×C}`).
            if (a, b) == (f64::NEG_INFINITY, f64::INFINITY) {
                (
                    DEFAULT_LOGITS.0 * scale / 5.0,
                    DEFAULT_LOGITS.1 * scale / 5.0,
                )
            } else {
                (a, b)
            }
        };
        let classes = match self.classes {
            DEFAULT_CLASSES if wide => (DEFAULT_CLASSES.0, WIDE_CLASSES),
            r => r,
        };
        let rows = match self.rows {
            DEFAULT_ROWS if wide => (DEFAULT_ROWS.0, WIDE_ROWS),
            r => r,
        };
        let c = rng.int(classes.0, classes.1);
        let n = rng.int(rows.0, rows.1);
        let mut env = Env::new(c, n);
        for (name, dom) in &self.inputs {
            let v = match dom {
                Domain::Interval(a, b) => {
                    let (a, b) = widen((*a, *b));
                    Val::S(Num::exact(rng.uniform(a, b)))
                }
                Domain::Vector(a, b) => {
                    let (a, b) = widen((*a, *b));
                    Val::V(
                        (0..c).map(|_| Num::exact(rng.uniform(a, b))).collect(),
                        false,
                    )
                }
                Domain::Integers(a, b) => Val::V(
                    (0..c)
                        .map(|_| {
                            let k = rng.int(0, (b - a) as usize) as i64;
                            Num::exact((a + k) as f64)
                        })
                        .collect(),
                    false,
                ),
                Domain::Matrix(a, b) => {
                    let (a, b) = widen((*a, *b));
                    Val::M(
                        n,
                        c,
                        (0..n * c).map(|_| Num::exact(rng.uniform(a, b))).collect(),
                    )
                }
                Domain::Distribution => Val::V(distribution(rng, c), false),
                Domain::Distributions => {
                    Val::M(n, c, (0..n).flat_map(|_| distribution(rng, c)).collect())
                }
                Domain::Class => Val::S(Num::exact(rng.int(1, c) as f64)),
                Domain::Row => Val::S(Num::exact(rng.int(1, n) as f64)),
                Domain::Argmax(of) => match env.defs.get(of) {
                    Some(Def::Input(Val::V(v, _))) => {
                        let k = (0..v.len()).fold(0, |k, j| if v[j].v > v[k].v { j } else { k });
                        Val::S(Num::exact(k as f64 + 1.0))
                    }
                    _ => panic!("`{name} ∈ argmax({of})`: draw the vector {of} first"),
                },
                Domain::Classes => Val::V(
                    (0..n).map(|_| Num::exact(rng.int(1, c) as f64)).collect(),
                    false,
                ),
            };
            env.defs.insert(name.clone(), Def::Input(v));
        }
        for (name, def) in &self.defs {
            env.defs.insert(name.clone(), def.clone());
        }
        for (name, f) in &self.funcs {
            env.funcs.entry(name.clone()).or_default().push(f.clone());
        }
        env
    }
}
