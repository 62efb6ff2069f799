//! Checking one equation: draw inputs, evaluate every side of every claim
//! for every value of its free indices, and compare.
//!
//! A claim's sides joined by `=` must all agree with one another, and with
//! the crate functions the binding pairs with the claim (`code:`); `<`, `≤`,
//! `≥`, `>` must hold, `≈` to the decimals written. The tolerance of a
//! comparison is twice the sum of the running error bounds of the two values
//! (see [`super::num`]). A condition on the free indices alone (`i \neq j`,
//! "if i = j") selects the cases; any other condition ("for t_c = [c = k]",
//! `C \ge 2`) must hold for the drawn inputs, so the binding cannot silently
//! draw inputs the text does not allow.

use super::bindings::{self, Binding, Rng};
use super::chapters::Equation;
use super::eval::{Def, Env, Val};
use super::grammar::{self, Chain, Clause, Expr, Rel};
use super::tex;
use std::collections::BTreeSet;

/// Random draws per equation (each with every value of the free indices).
pub const DRAWS: u64 = 12;

/// A parsed equation, ready to be checked.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The equation.
    pub equation: Equation,
    /// Its clauses.
    pub clauses: Vec<Clause>,
    /// Its binding.
    pub binding: Binding,
}

/// Parse an equation and its binding.
pub fn parse(eq: &Equation) -> Result<Parsed, String> {
    let toks = tex::tokens(&eq.latex)?;
    let clauses = grammar::clauses(toks)?;
    let text = eq
        .binding
        .as_deref()
        .ok_or("no binding: add `<!-- check: … -->` on the line after the closing `$$`")?;
    let binding = bindings::parse(text)?;
    Ok(Parsed {
        equation: eq.clone(),
        clauses,
        binding,
    })
}

/// The definitions an equation makes: a claim `x = …` whose left side is a
/// symbol the binding leaves free, such as `m = \max_d z_d` or `\Sigma_C =
/// \sum_d e^{z_d}`. The symbol is defined by the second side; with more sides
/// (`S = \sum_d e^{z_d - m} = 1 + R`) the rest of the chain is still a claim.
/// Returns the clause, the name, the definition, and whether the clause is
/// only a definition (two sides).
pub fn definitions(clauses: &[Clause], env: &Env) -> Vec<(usize, String, Def, bool)> {
    let mut out = Vec::new();
    for (k, c) in clauses.iter().enumerate() {
        let Clause::Claim(Chain { sides, rels }) = c else {
            continue;
        };
        if rels.is_empty() || rels.iter().any(|r| *r != Rel::Eq) {
            continue;
        }
        let name = match &sides[0] {
            Expr::Var(x) => Some(x.clone()),
            Expr::Index(b, idx) => match &**b {
                Expr::Var(x) if !env.is_bound(x) => Env::subscripted_name(x, idx),
                _ => None,
            },
            _ => None,
        };
        if let Some(name) = name.filter(|n| !env.is_bound(n) && !grammar::is_function_symbol(n)) {
            out.push((
                k,
                name,
                Def::Tex(vec![], sides[1].clone()),
                sides.len() == 2,
            ));
        }
    }
    out
}

/// Where symbols stand: as indices (subscripts, `\delta`, `[c = k]`, a sum's
/// `j \neq i`) or as values.
#[derive(Default)]
struct Uses {
    index: BTreeSet<String>,
    value: BTreeSet<String>,
}

fn uses(e: &Expr, bound: &mut Vec<String>, as_index: bool, out: &mut Uses) {
    use Expr::*;
    let go =
        |e: &Expr, idx: bool, bound: &mut Vec<String>, out: &mut Uses| uses(e, bound, idx, out);
    match e {
        Var(x) => {
            if !bound.contains(x) {
                if as_index {
                    out.index.insert(x.clone());
                } else {
                    out.value.insert(x.clone());
                }
            }
        }
        Num(..) | Ones | Infinity | Reals(_) => {}
        Index(b, idx) => {
            go(b, as_index, bound, out);
            for i in idx {
                go(i, true, bound, out);
            }
        }
        Delta(a, b) | Iverson(a, b) => {
            go(a, true, bound, out);
            go(b, true, bound, out);
        }
        Neg(a) | Transpose(a) | Exp(a) | Log(a) | Prime(_, a) | Pattern(a) => {
            go(a, as_index, bound, out)
        }
        Add(a, b)
        | Sub(a, b)
        | Mul(a, b)
        | Hadamard(a, b)
        | Div(a, b)
        | Pow(a, b)
        | Inner(a, b) => {
            go(a, as_index, bound, out);
            go(b, as_index, bound, out);
        }
        Event(a, b) => {
            go(a, as_index, bound, out);
            go(b, true, bound, out);
        }
        Partial(a, w) | Gradient(w, a) => {
            go(a, as_index, bound, out);
            go(w, as_index, bound, out);
        }
        Call(_, args, _) => args.iter().for_each(|a| go(a, as_index, bound, out)),
        List(items) => items.iter().for_each(|a| go(a, as_index, bound, out)),
        At(body, var, value) => {
            go(value, as_index, bound, out);
            bound.push(var.clone());
            go(body, as_index, bound, out);
            bound.pop();
        }
        Big(b) => {
            let grammar::Big {
                var,
                from,
                to,
                except,
                cond,
                body,
                ..
            } = b;
            for x in [from, to].into_iter().flatten() {
                go(x, as_index, bound, out);
            }
            if let Some(x) = except {
                go(x, true, bound, out);
            }
            bound.push(var.clone());
            for side in cond.iter().flat_map(|c| &c.sides) {
                go(side, as_index, bound, out);
            }
            go(body, as_index, bound, out);
            bound.pop();
        }
    }
}

/// The free indices of an equation: symbols in index position that nothing
/// binds. Each ranges over `1..C`. A free index used as a value too (as in
/// `\varsigma(\mathbf z + c\mathbf 1)_c`) is an error: one letter, two meanings.
fn free_indices(p: &Parsed, env: &Env) -> Result<Vec<String>, String> {
    let mut u = Uses::default();
    let mut conditions = Uses::default();
    for c in &p.clauses {
        match c {
            Clause::Claim(ch) => ch
                .sides
                .iter()
                .for_each(|s| uses(s, &mut vec![], false, &mut u)),
            Clause::Condition(ch) => ch
                .sides
                .iter()
                .for_each(|s| uses(s, &mut vec![], true, &mut conditions)),
            Clause::Range(v) => {
                conditions.index.insert(v.clone());
            }
        }
    }
    let free: Vec<String> = u
        .index
        .iter()
        .chain(&conditions.index)
        .filter(|x| !env.is_bound(x))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for x in &free {
        if u.value.contains(x) {
            return Err(format!(
                "the index {x} is also used as a value: one letter, two meanings"
            ));
        }
    }
    Ok(free)
}

fn tolerance(a: super::num::Num, b: super::num::Num) -> f64 {
    2.0 * (a.ev + b.ev)
}

fn decimals(e: &Expr) -> Option<i32> {
    match e {
        Expr::Num(_, t) => Some(t.split_once('.').map_or(0, |(_, d)| d.len() as i32)),
        Expr::Neg(a) => decimals(a),
        _ => None,
    }
}

/// Compare two values under a relation; `Err` says how they disagree.
fn relate(a: &Val, b: &Val, rel: Rel, approx: Option<i32>) -> Result<(), String> {
    if rel == Rel::In {
        return match (a, b) {
            (Val::V(v, _), Val::Reals(n)) if v.len() == *n && v.iter().all(|x| x.v.is_finite()) => {
                Ok(())
            }
            _ => Err(format!("{} is not in {}", a.show(), b.show())),
        };
    }
    let (x, y) = (a.entries(), b.entries());
    let same_shape = match (a, b) {
        (Val::S(_), Val::S(_)) => true,
        // A row equals only a row, a column only a column.
        (Val::V(_, row), Val::V(_, row2)) => x.len() == y.len() && row == row2,
        (Val::M(r, c, _), Val::M(r2, c2, _)) => (r, c) == (r2, c2),
        _ => false,
    };
    if !same_shape {
        return Err(format!(
            "{} and {} have different shapes",
            a.show(),
            b.show()
        ));
    }
    for (p, q) in x.iter().zip(&y) {
        let tol = tolerance(*p, *q);
        let diff = p.v - q.v;
        let ok = match rel {
            Rel::Eq if p.v.is_infinite() || q.v.is_infinite() => p.v == q.v,
            Rel::Eq => diff.abs() <= tol,
            Rel::Ne => diff.abs() > tol,
            // Strict: the computed sides must differ in the stated
            // direction (a tolerance would let `0 < y_c` pass at y_c = 0).
            Rel::Lt => diff < 0.0,
            Rel::Le => diff <= tol,
            Rel::Gt => diff > 0.0,
            Rel::Ge => -diff <= tol,
            Rel::Approx => diff.abs() <= 0.5 * 10f64.powi(-approx.unwrap_or(0)) + tol,
            Rel::In => unreachable!(),
        };
        if !ok {
            return Err(format!(
                "{} {} {} fails (difference {:e}, tolerance {:e})",
                a.show(),
                rel_text(rel),
                b.show(),
                diff,
                tol
            ));
        }
    }
    Ok(())
}

fn rel_text(r: Rel) -> &'static str {
    match r {
        Rel::Eq => "=",
        Rel::Ne => "≠",
        Rel::Lt => "<",
        Rel::Gt => ">",
        Rel::Le => "≤",
        Rel::Ge => "≥",
        Rel::Approx => "≈",
        Rel::In => "∈",
    }
}

/// Check a chain; `code` holds the values of the paired crate functions.
fn check_chain(env: &mut Env, ch: &Chain, code: &[(String, Val)]) -> Result<(), String> {
    let mut vals = Vec::new();
    for (k, s) in ch.sides.iter().enumerate() {
        vals.push(
            env.eval(s)
                .map_err(|e| format!("side {} `{}`: {e}", k + 1, render(s)))?,
        );
    }
    let side = |k: usize| format!("side {} `{}`", k + 1, render(&ch.sides[k]));
    // Neighbours under their relation; every pair of a run of `=`.
    for k in 0..ch.rels.len() {
        let approx = decimals(&ch.sides[k + 1]).or(decimals(&ch.sides[k]));
        relate(&vals[k], &vals[k + 1], ch.rels[k], approx)
            .map_err(|e| format!("{} vs {}: {e}", side(k), side(k + 1)))?;
    }
    let mut start = 0;
    for k in 0..=ch.rels.len() {
        if k == ch.rels.len() || ch.rels[k] != Rel::Eq {
            for a in start..=k {
                for b in a + 1..=k {
                    relate(&vals[a], &vals[b], Rel::Eq, None)
                        .map_err(|e| format!("{} vs {}: {e}", side(a), side(b)))?;
                }
            }
            start = k + 1;
        }
    }
    // The crate's functions are compared with the first side of the first
    // run of `=` (in `0 < y_c = … < 1`, with `y_c`).
    let first = ch.rels.iter().position(|r| *r == Rel::Eq).unwrap_or(0);
    for (name, v) in code {
        let loose = |v: &Val| match v {
            Val::V(x, _) => Val::V(x.clone(), false),
            other => other.clone(),
        };
        relate(&loose(&vals[first]), &loose(v), Rel::Eq, None)
            .map_err(|e| format!("{} vs the crate's `{name}`: {e}", side(first)))?;
    }
    Ok(())
}

fn inputs(env: &Env) -> String {
    let mut names: Vec<_> = env
        .defs
        .iter()
        .filter_map(|(n, d)| match d {
            Def::Input(v) => Some(format!("{n} = {}", v.show())),
            _ => None,
        })
        .collect();
    names.sort();
    format!(
        "C = {}, n = {}, {}",
        env.classes,
        env.rows,
        names.join(", ")
    )
}

/// Check an equation on `draws` random draws.
pub fn check(p: &Parsed, all: &[Parsed], draws: u64) -> Result<(), String> {
    for draw in 0..draws {
        let mut rng = Rng::new(&p.equation.anchor, draw);
        let mut env = p.binding.environment(&mut rng);
        for (name, tag) in &p.binding.from {
            let other = all
                .iter()
                .find(|o| &o.equation.tag == tag)
                .ok_or_else(|| format!("`{name} from ({tag})`: no equation ({tag})"))?;
            let def = definitions(&other.clauses, &env)
                .into_iter()
                .find(|(_, n, _, _)| n == name)
                .ok_or_else(|| format!("`{name} from ({tag})`: ({tag}) does not define {name}"))?;
            env.defs.insert(name.clone(), def.2);
        }
        let defs = definitions(&p.clauses, &env);
        let skip: BTreeSet<usize> = defs.iter().filter(|d| d.3).map(|d| d.0).collect();
        for (_, name, def, _) in defs {
            env.defs.insert(name, def);
        }
        let free = free_indices(p, &env)?;
        let claims: Vec<(usize, &Chain)> = p
            .clauses
            .iter()
            .enumerate()
            .filter(|(k, _)| !skip.contains(k))
            .filter_map(|(_, c)| match c {
                Clause::Claim(ch) => Some(ch),
                _ => None,
            })
            .enumerate()
            .map(|(n, ch)| (n + 1, ch))
            .collect();
        if claims.is_empty() {
            return Err("nothing to check: every clause is a definition or a condition".into());
        }
        if let Some((n, _)) = p.binding.code.iter().find(|(n, _)| *n > claims.len()) {
            return Err(format!(
                "`code{n}:` but the equation has {} claim(s)",
                claims.len()
            ));
        }
        let c = env.classes;
        let cases = c.pow(free.len() as u32);
        let mut checked_cases = 0;
        for case in 0..cases {
            let values: Vec<usize> = (0..free.len())
                .map(|k| case / c.pow(k as u32) % c + 1)
                .collect();
            let at = free
                .iter()
                .zip(&values)
                .map(|(x, v)| format!("{x} = {v}"))
                .collect::<Vec<_>>()
                .join(", ");
            let context = |e: String, env: &Env| format!("{e}\n  at {at}; {}", inputs(env));
            for (x, v) in free.iter().zip(&values) {
                env.locals_push(x, *v);
            }
            let outcome = check_case(&mut env, p, &free, &claims);
            let outcome = outcome.map_err(|e| context(e, &env));
            for _ in &free {
                env.locals_pop();
            }
            checked_cases += outcome? as usize;
        }
        if checked_cases == 0 {
            return Err(format!(
                "no value of the indices {free:?} satisfies the conditions (C = {c})"
            ));
        }
    }
    Ok(())
}

/// One value of the free indices (already bound): `Ok(false)` if a condition
/// on the indices excludes it, `Ok(true)` if every claim holds.
fn check_case(
    env: &mut Env,
    p: &Parsed,
    free: &[String],
    claims: &[(usize, &Chain)],
) -> Result<bool, String> {
    for clause in &p.clauses {
        let Clause::Condition(ch) = clause else {
            continue;
        };
        let mut u = Uses::default();
        ch.sides
            .iter()
            .for_each(|s| uses(s, &mut vec![], false, &mut u));
        let on_indices = u.index.iter().chain(&u.value).all(|x| free.contains(x));
        match check_chain(env, ch, &[]) {
            Ok(()) => {}
            Err(_) if on_indices => return Ok(false),
            Err(e) => return Err(format!("the condition `{}` fails: {e}", render_chain(ch))),
        }
    }
    for (n, ch) in claims {
        let mut code = Vec::new();
        for (m, call) in &p.binding.code {
            if m == n {
                code.push((
                    call.name.clone(),
                    env.rust_call(call).map_err(|e| format!("code: {e}"))?,
                ));
            }
        }
        check_chain(env, ch, &code).map_err(|e| format!("claim {n}: {e}"))?;
    }
    Ok(true)
}

/// A compact, LaTeX-like rendering of an expression for messages.
pub fn render(e: &Expr) -> String {
    use Expr::*;
    let r = |e: &Expr| render(e);
    let idx = |v: &[Expr]| v.iter().map(render).collect::<Vec<_>>().join("");
    match e {
        Num(_, t) => t.clone(),
        Var(x) => x.clone(),
        Index(b, i) => format!("{}_{{{}}}", r(b), idx(i)),
        Ones => "1".into(),
        Infinity => "∞".into(),
        Neg(a) => format!("-{}", r(a)),
        Add(a, b) => format!("{} + {}", r(a), r(b)),
        Sub(a, b) => format!("{} - ({})", r(a), r(b)),
        Mul(a, b) => format!("({})({})", r(a), r(b)),
        Hadamard(a, b) => format!("{} ⊙ {}", r(a), r(b)),
        Div(a, b) => format!("({})/({})", r(a), r(b)),
        Pow(a, b) => format!("({})^{{{}}}", r(a), r(b)),
        Transpose(a) => format!("{}^⊤", r(a)),
        Exp(a) => format!("e^{{{}}}", r(a)),
        Log(a) => format!("log({})", r(a)),
        Call(f, a, bar) => {
            let mut parts: Vec<String> = a.iter().map(render).collect();
            if let Some(k) = bar {
                parts.insert(*k, "|".into());
            }
            format!(
                "{f}({})",
                parts
                    .join(", ")
                    .replace(", |, ", " | ")
                    .replace("|, ", "| ")
            )
        }
        Prime(f, a) => format!("{f}'({})", r(a)),
        Event(a, b) => format!("{} = {}", r(a), r(b)),
        Big(b) => {
            let op = match b.op {
                grammar::BigOp::Sum => "∑",
                grammar::BigOp::Product => "∏",
                grammar::BigOp::Max => "max",
            };
            let lo = match (&b.from, &b.except) {
                _ if b.cond.is_some() => {
                    format!("{}: {}", b.var, render_chain(b.cond.as_deref().unwrap()))
                }
                (Some(f), _) => format!("{}={}", b.var, r(f)),
                (_, Some(x)) => format!("{}≠{}", b.var, r(x)),
                _ => b.var.clone(),
            };
            let hi =
                b.to.as_ref()
                    .map(|t| format!("^{}", r(t)))
                    .unwrap_or_default();
            format!("{op}_{{{lo}}}{hi} {}", r(&b.body))
        }
        Delta(a, b) => format!("δ_{{{}{}}}", r(a), r(b)),
        Iverson(a, b) => format!("[{} = {}]", r(a), r(b)),
        Inner(a, b) => format!("⟨{}, {}⟩", r(a), r(b)),
        List(v) => format!("({})", v.iter().map(render).collect::<Vec<_>>().join(", ")),
        Pattern(t) => format!("({} for # = 1…C)", r(t)),
        Partial(a, w) => format!("∂({})/∂{}", r(a), r(w)),
        Gradient(w, a) => format!("∇_{}({})", r(w), r(a)),
        At(a, v, x) => format!("{}|_{{{v}={}}}", r(a), r(x)),
        Reals(d) => format!("R^{}", r(d)),
    }
}

fn render_chain(ch: &Chain) -> String {
    let mut s = render(&ch.sides[0]);
    for (rel, side) in ch.rels.iter().zip(&ch.sides[1..]) {
        s += &format!(" {} {}", rel_text(*rel), render(side));
    }
    s
}
