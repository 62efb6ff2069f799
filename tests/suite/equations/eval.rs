//! Evaluating an expression tree on the inputs a binding drew.
//!
//! Values are numbers, vectors (a column, or a row after `^\top`) and
//! matrices of [`Num`]: dual numbers with error bounds. Symbols are looked up
//! in the local scope (indices of sums, the free indices of the equation,
//! the parameters of a function), then in the equation's definitions and the
//! binding ([`Def`]), then `C` (the number of classes) and `n` (the number of
//! samples). A symbol found nowhere is an error, never a guess.
//!
//! A derivative `\frac{\partial A}{\partial z_j}` evaluates `A` with the
//! tangent of `z_j` set to 1 (a *seed*) and returns the tangent of the result;
//! everything `A` depends on (definitions, the crate's functions) is
//! evaluated again under that seed, so the derivative flows through them.

use super::grammar::{Big, BigOp, Expr};
use super::library::{self, Arg};
use super::num::Num;
use std::collections::HashMap;

/// A value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    /// A number.
    S(Num),
    /// A vector; `true` for a row.
    V(Vec<Num>, bool),
    /// A matrix, rows × columns, row-major.
    M(usize, usize, Vec<Num>),
    /// `\mathbb R^C`: the vectors of this length.
    Reals(usize),
}

impl Val {
    /// The numbers in it.
    pub fn entries(&self) -> Vec<Num> {
        match self {
            Val::S(n) => vec![*n],
            Val::V(v, _) | Val::M(_, _, v) => v.clone(),
            Val::Reals(_) => vec![],
        }
    }

    fn map(&self, f: impl Fn(Num) -> Num) -> Val {
        match self {
            Val::S(n) => Val::S(f(*n)),
            Val::V(v, row) => Val::V(v.iter().map(|x| f(*x)).collect(), *row),
            Val::M(r, c, v) => Val::M(*r, *c, v.iter().map(|x| f(*x)).collect()),
            Val::Reals(n) => Val::Reals(*n),
        }
    }

    /// A short description for messages: `0.25`, `[0.25, 0.75]`.
    pub fn show(&self) -> String {
        let f = |n: &Num| format!("{:.17}", n.v).trim_end_matches('0').to_string();
        match self {
            Val::S(n) => f(n),
            Val::V(v, _) => format!("[{}]", v.iter().map(f).collect::<Vec<_>>().join(", ")),
            Val::M(_, c, v) => format!(
                "[{}]",
                v.chunks(*c)
                    .map(|r| r.iter().map(f).collect::<Vec<_>>().join(", "))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Val::Reals(n) => format!("R^{n}"),
        }
    }

    fn scalar(&self, what: &str) -> Result<Num, String> {
        match self {
            Val::S(n) => Ok(*n),
            other => Err(format!("{what} must be a number, not {}", other.show())),
        }
    }
}

/// A crate function applied to LaTeX arguments, with an optional index of its result.
#[derive(Debug, Clone, PartialEq)]
pub struct RustCall {
    /// The function's name in [`library::NAMES`].
    pub name: String,
    /// The arguments: expressions, or `Sum`/`Mean`.
    pub args: Vec<RustArg>,
    /// `_{ic}` after the call.
    pub index: Option<Vec<Expr>>,
}

/// An argument of a [`RustCall`].
#[derive(Debug, Clone, PartialEq)]
pub enum RustArg {
    /// An expression.
    Expr(Expr),
    /// A batch reduction.
    Reduction(softmax_cross_entropy::batch::Reduction),
}

/// What a symbol stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Def {
    /// A drawn input.
    Input(Val),
    /// A LaTeX definition, with index parameters (`r_i := …`, `t_{ic} := …`).
    Tex(Vec<String>, Expr),
    /// A crate function's result.
    Rust(RustCall),
}

/// A function symbol's definition: parameter patterns and a body.
#[derive(Debug, Clone, PartialEq)]
pub struct FnDef {
    /// The parameter patterns: a symbol matches any argument; `t = c` matches
    /// an event `t = …` and binds `c`.
    pub params: Vec<Expr>,
    /// The position of `|` among the parameters.
    pub bar: Option<usize>,
    /// The body.
    pub body: FnBody,
}

/// The body of a [`FnDef`].
#[derive(Debug, Clone, PartialEq)]
pub enum FnBody {
    /// A LaTeX expression in the parameters.
    Tex(Expr),
    /// A crate function of the parameters.
    Rust(RustCall),
}

/// The derivative being taken: the tangent of this input (or this entry of
/// it) is 1.
#[derive(Debug, Clone, PartialEq)]
struct Seed {
    name: String,
    at: Vec<usize>,
}

/// Everything an evaluation needs.
#[derive(Debug, Clone)]
pub struct Env {
    /// Symbols.
    pub defs: HashMap<String, Def>,
    /// Function symbols.
    pub funcs: HashMap<String, Vec<FnDef>>,
    /// `C`.
    pub classes: usize,
    /// `n`.
    pub rows: usize,
    locals: Vec<(String, Val, bool)>,
    seed: Option<Seed>,
}

type R<T> = Result<T, String>;

fn index_of(n: Num, what: &str) -> R<usize> {
    if n.v.fract() != 0.0 || n.v < 1.0 || n.d != 0.0 {
        return Err(format!("{what} is not an index: {}", n.v));
    }
    Ok(n.v as usize)
}

impl Env {
    /// An environment with no symbols.
    pub fn new(classes: usize, rows: usize) -> Env {
        Env {
            defs: HashMap::new(),
            funcs: HashMap::new(),
            classes,
            rows,
            locals: Vec::new(),
            seed: None,
        }
    }

    /// Evaluate `e` with `name` bound to `value` (an index of the equation).
    pub fn with_local<T>(&mut self, name: &str, value: Val, f: impl FnOnce(&mut Env) -> T) -> T {
        self.locals.push((name.to_string(), value, false));
        let out = f(self);
        self.locals.pop();
        out
    }

    /// Bind a free index of the equation to a value (1-based).
    pub fn locals_push(&mut self, name: &str, value: usize) {
        self.locals
            .push((name.to_string(), Val::S(Num::exact(value as f64)), false));
    }

    /// Unbind the last free index.
    pub fn locals_pop(&mut self) {
        self.locals.pop();
    }

    /// The value of a crate function call of a binding.
    pub fn rust_call(&mut self, call: &RustCall) -> R<Val> {
        self.rust(call)
    }

    /// Is `name` bound (locally, by a definition, or as `C`/`n`)?
    pub fn is_bound(&self, name: &str) -> bool {
        self.locals.iter().any(|(n, _, _)| n == name)
            || self.defs.contains_key(name)
            || self.funcs.contains_key(name)
            || matches!(name, "C" | "n")
    }

    fn apply_seed(&self, name: &str, v: Val) -> R<Val> {
        let Some(seed) = &self.seed else { return Ok(v) };
        if seed.name != name {
            return Ok(v);
        }
        let hit = |k: usize, mut n: Num| {
            n.d = if Some(k) == seed_flat(&seed.at, &v) {
                1.0
            } else {
                0.0
            };
            n
        };
        fn seed_flat(at: &[usize], v: &Val) -> Option<usize> {
            match (v, at) {
                (Val::S(_), []) => Some(0),
                (Val::V(..), [i]) => Some(*i),
                (Val::M(_, c, _), [i, j]) => Some(i * c + j),
                _ => None,
            }
        }
        if seed_flat(&seed.at, &v).is_none() {
            return Err(format!(
                "cannot differentiate with respect to {name} at {:?}",
                seed.at
            ));
        }
        Ok(match &v {
            Val::S(n) => Val::S(hit(0, *n)),
            Val::V(x, row) => Val::V(
                x.iter().enumerate().map(|(k, n)| hit(k, *n)).collect(),
                *row,
            ),
            Val::M(r, c, x) => Val::M(
                *r,
                *c,
                x.iter().enumerate().map(|(k, n)| hit(k, *n)).collect(),
            ),
            other => other.clone(),
        })
    }

    fn lookup(&mut self, name: &str) -> R<Val> {
        if let Some((_, v, seedable)) = self.locals.iter().rev().find(|(n, _, _)| n == name) {
            let (v, seedable) = (v.clone(), *seedable);
            return if seedable {
                self.apply_seed(name, v)
            } else {
                Ok(v)
            };
        }
        match self.defs.get(name).cloned() {
            Some(Def::Input(v)) => self.apply_seed(name, v),
            Some(Def::Tex(params, body)) => match params.len() {
                0 => self.eval(&body),
                1 => {
                    let mut out = Vec::new();
                    for k in 1..=self.classes {
                        let v =
                            self.with_local(&params[0], Val::S(Num::exact(k as f64)), |env| {
                                env.eval(&body)
                            })?;
                        out.push(v.scalar(name)?);
                    }
                    Ok(Val::V(out, false))
                }
                2 => {
                    let mut out = Vec::new();
                    for i in 1..=self.rows {
                        for k in 1..=self.classes {
                            self.locals.push((
                                params[0].clone(),
                                Val::S(Num::exact(i as f64)),
                                false,
                            ));
                            let v =
                                self.with_local(&params[1], Val::S(Num::exact(k as f64)), |env| {
                                    env.eval(&body)
                                });
                            self.locals.pop();
                            out.push(v?.scalar(name)?);
                        }
                    }
                    Ok(Val::M(self.rows, self.classes, out))
                }
                _ => Err(format!("{name}: too many index parameters")),
            },
            Some(Def::Rust(call)) => self.rust(&call),
            None => match name {
                "C" => Ok(Val::S(Num::exact(self.classes as f64))),
                "n" => Ok(Val::S(Num::exact(self.rows as f64))),
                "f64::MAX" => Ok(Val::S(Num::exact(f64::MAX))),
                "f32::MAX" => Ok(Val::S(Num::exact(f32::MAX as f64))),
                _ => Err(format!("the symbol {name} is not bound")),
            },
        }
    }

    fn rust(&mut self, call: &RustCall) -> R<Val> {
        let mut args = Vec::new();
        for a in &call.args {
            args.push(match a {
                RustArg::Expr(e) => Arg::Val(self.eval(e)?),
                RustArg::Reduction(r) => Arg::Reduction(*r),
            });
        }
        let v = library::call(&call.name, &args, self.classes)?;
        match &call.index {
            Some(idx) => self.index_value(v, idx),
            None => Ok(v),
        }
    }

    fn index_value(&mut self, v: Val, idx: &[Expr]) -> R<Val> {
        let mut ks = Vec::new();
        for e in idx {
            ks.push(index_of(self.eval(e)?.scalar("an index")?, "a subscript")?);
        }
        let out_of = |k: usize, n: usize| -> R<()> {
            if k > n {
                Err(format!("index {k} out of range 1..{n}"))
            } else {
                Ok(())
            }
        };
        match (&v, ks.as_slice()) {
            (Val::V(x, _), [k]) => {
                out_of(*k, x.len())?;
                Ok(Val::S(x[k - 1]))
            }
            (Val::M(r, c, x), [i, j]) => {
                out_of(*i, *r)?;
                out_of(*j, *c)?;
                Ok(Val::S(x[(i - 1) * c + j - 1]))
            }
            (Val::M(r, c, x), [i]) => {
                out_of(*i, *r)?;
                Ok(Val::V(x[(i - 1) * c..i * c].to_vec(), false))
            }
            _ => Err(format!("cannot index {} by {ks:?}", v.show())),
        }
    }

    /// A canonical name for a subscripted symbol, such as `Σ_C`.
    pub fn subscripted_name(base: &str, idx: &[Expr]) -> Option<String> {
        let parts: Option<Vec<String>> = idx
            .iter()
            .map(|e| match e {
                Expr::Var(v) => Some(v.clone()),
                Expr::Num(_, t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        Some(format!("{base}_{}", parts?.join("")))
    }

    /// Evaluate an expression.
    pub fn eval(&mut self, e: &Expr) -> R<Val> {
        use Expr::*;
        match e {
            Num(v, _) => Ok(Val::S(super::num::Num::literal(*v))),
            Var(name) => self.lookup(name),
            Index(base, idx) => {
                if let Var(b) = &**base {
                    if let Some(name) = Self::subscripted_name(b, idx)
                        && self.defs.contains_key(&name)
                    {
                        return self.lookup(&name);
                    }
                    if let Some(Def::Tex(params, body)) = self.defs.get(b).cloned()
                        && !params.is_empty()
                    {
                        if params.len() != idx.len() {
                            return Err(format!("{b} takes {} indices", params.len()));
                        }
                        let mut vals = Vec::new();
                        for x in idx {
                            vals.push(self.eval(x)?);
                        }
                        let depth = self.locals.len();
                        for (p, v) in params.iter().zip(vals) {
                            self.locals.push((p.clone(), v, false));
                        }
                        let out = self.eval(&body);
                        self.locals.truncate(depth);
                        return out;
                    }
                }
                let v = self.eval(base)?;
                self.index_value(v, idx)
            }
            Ones => Ok(Val::V(
                vec![super::num::Num::exact(1.0); self.classes],
                false,
            )),
            Infinity => Ok(Val::S(super::num::Num::exact(f64::INFINITY))),
            Neg(a) => Ok(self.eval(a)?.map(|x| x.neg())),
            Add(a, b) => self.elementwise(a, b, "+", |x, y| x.add(y)),
            Sub(a, b) => self.elementwise(a, b, "−", |x, y| x.sub(y)),
            Hadamard(a, b) => self.elementwise(a, b, "⊙", |x, y| x.mul(y)),
            Mul(a, b) => {
                let (x, y) = (self.eval(a)?, self.eval(b)?);
                product(x, y)
            }
            Div(a, b) => {
                let x = self.eval(a)?;
                let y = self.eval(b)?.scalar("a denominator")?;
                Ok(x.map(|n| n.div(y)))
            }
            Pow(a, b) => {
                let y = self.eval(b)?.scalar("an exponent")?;
                Ok(self.eval(a)?.map(|x| x.pow(y)))
            }
            Transpose(a) => Ok(match self.eval(a)? {
                Val::V(v, row) => Val::V(v, !row),
                Val::M(r, c, v) => {
                    let mut t = v.clone();
                    for i in 0..r {
                        for j in 0..c {
                            t[j * r + i] = v[i * c + j];
                        }
                    }
                    Val::M(c, r, t)
                }
                other => return Err(format!("cannot transpose {}", other.show())),
            }),
            Exp(a) => Ok(self.eval(a)?.map(|x| x.exp())),
            Log(a) => {
                // log(x^y) = y log x: a power such as 2^{-1075} lies outside
                // the float range, its logarithm does not.
                if let Pow(x, y) = &**a {
                    let x = self.eval(x)?.scalar("the base of a power")?;
                    if x.v > 0.0 {
                        let y = self.eval(y)?.scalar("an exponent")?;
                        return Ok(Val::S(y.mul(x.ln())));
                    }
                }
                Ok(self.eval(a)?.map(|x| x.ln()))
            }
            Call(f, args, bar) => self.call(f, args, *bar),
            Prime(f, a) => {
                let x = self.eval(a)?.scalar("the argument of a derivative")?;
                if x.d != 0.0 {
                    return Err(format!(
                        "{f}' of an argument that depends on the derivative's variable"
                    ));
                }
                let seeded = super::num::Num { d: 1.0, ..x };
                let arg = Expr::Var("#prime".into());
                self.locals.push(("#prime".into(), Val::S(seeded), false));
                let out = self.call(f, std::slice::from_ref(&arg), None);
                self.locals.pop();
                let r = out?.scalar("a primed function's value")?;
                Ok(Val::S(super::num::Num {
                    v: r.d,
                    d: 0.0,
                    ev: r.ed,
                    ed: 0.0,
                }))
            }
            Event(..) => Err("an event `t = c` outside `P(…)`".into()),
            Big(b) => self.big(b),
            Delta(i, j) => {
                let (i, j) = (
                    self.eval(i)?.scalar("δ's index")?,
                    self.eval(j)?.scalar("δ's index")?,
                );
                Ok(Val::S(super::num::Num::exact(if i.v == j.v {
                    1.0
                } else {
                    0.0
                })))
            }
            Iverson(a, b) => {
                let (a, b) = (
                    self.eval(a)?.scalar("[a = b]")?,
                    self.eval(b)?.scalar("[a = b]")?,
                );
                Ok(Val::S(super::num::Num::exact(if a.v == b.v {
                    1.0
                } else {
                    0.0
                })))
            }
            Inner(a, b) => match (self.eval(a)?, self.eval(b)?) {
                (Val::V(x, _), Val::V(y, _)) if x.len() == y.len() => Ok(Val::S(dot(&x, &y))),
                (x, y) => Err(format!(
                    "⟨{}, {}⟩ of two vectors of one length",
                    x.show(),
                    y.show()
                )),
            },
            List(items) => {
                let mut out = Vec::new();
                for x in items {
                    out.push(self.eval(x)?.scalar("an entry of a vector")?);
                }
                Ok(Val::V(out, false))
            }
            Pattern(t) => {
                let mut out = Vec::new();
                for k in 1..=self.classes {
                    let v =
                        self.with_local("#", Val::S(super::num::Num::exact(k as f64)), |env| {
                            env.eval(t)
                        })?;
                    out.push(v.scalar("an entry of a vector")?);
                }
                Ok(Val::V(out, false))
            }
            Partial(body, wrt) => {
                let (name, at) = self.variable(wrt)?;
                self.derivative(body, name, at)
            }
            Gradient(wrt, body) => {
                let Var(name) = &**wrt else {
                    return Err("∇ with respect to something not a vector symbol".into());
                };
                let name = self.resolve_alias(name);
                let n = match self.lookup(&name)? {
                    Val::V(v, _) => v.len(),
                    other => return Err(format!("∇ with respect to {}", other.show())),
                };
                let mut out = Vec::new();
                for j in 0..n {
                    out.push(
                        self.derivative(body, name.clone(), vec![j])?
                            .scalar("∇ of a non-scalar")?,
                    );
                }
                Ok(Val::V(out, false))
            }
            At(body, var, value) => {
                let v = self.eval(value)?;
                self.locals.push((var.clone(), v, true));
                let out = self.eval(body);
                self.locals.pop();
                out
            }
            Reals(dim) => {
                let n = index_of(self.eval(dim)?.scalar("a dimension")?, "a dimension")?;
                Ok(Val::Reals(n))
            }
        }
    }

    fn resolve_alias(&self, name: &str) -> String {
        match self.defs.get(name) {
            Some(Def::Tex(p, Expr::Var(other))) if p.is_empty() => self.resolve_alias(other),
            _ => name.to_string(),
        }
    }

    /// The variable of a derivative: `x`, `z_j`, `z_{ic}`.
    fn variable(&mut self, wrt: &Expr) -> R<(String, Vec<usize>)> {
        match wrt {
            Expr::Var(x) => Ok((self.resolve_alias(x), vec![])),
            Expr::Index(b, idx) => {
                let Expr::Var(x) = &**b else {
                    return Err("a derivative with respect to an expression".into());
                };
                let mut at = Vec::new();
                for e in idx {
                    at.push(index_of(self.eval(e)?.scalar("an index")?, "a subscript")? - 1);
                }
                Ok((self.resolve_alias(x), at))
            }
            _ => Err("a derivative with respect to an expression".into()),
        }
    }

    fn derivative(&mut self, body: &Expr, name: String, at: Vec<usize>) -> R<Val> {
        // An input, or a variable that an evaluation bar `|_{s=0}` inside
        // the body binds.
        let variable = match self.defs.get(&name) {
            Some(Def::Input(_)) => true,
            Some(_) => false,
            None => !self.funcs.contains_key(&name),
        };
        if !variable {
            return Err(format!(
                "a derivative with respect to {name}, which is not an input"
            ));
        }
        if self.seed.is_some() {
            return Err("a derivative inside a derivative".into());
        }
        self.seed = Some(Seed { name, at });
        let out = self.eval(body);
        self.seed = None;
        Ok(out?.map(|n| super::num::Num {
            v: n.d,
            d: 0.0,
            ev: n.ed,
            ed: 0.0,
        }))
    }

    fn elementwise(&mut self, a: &Expr, b: &Expr, op: &str, f: impl Fn(Num, Num) -> Num) -> R<Val> {
        let (x, y) = (self.eval(a)?, self.eval(b)?);
        match (&x, &y) {
            (Val::S(p), Val::S(q)) => Ok(Val::S(f(*p, *q))),
            (Val::V(p, row), Val::V(q, _)) if p.len() == q.len() => Ok(Val::V(
                p.iter().zip(q).map(|(s, t)| f(*s, *t)).collect(),
                *row,
            )),
            (Val::M(r, c, p), Val::M(r2, c2, q)) if (r, c) == (r2, c2) => Ok(Val::M(
                *r,
                *c,
                p.iter().zip(q).map(|(s, t)| f(*s, *t)).collect(),
            )),
            _ => Err(format!("{} {op} {}: shapes differ", x.show(), y.show())),
        }
    }

    fn range(&mut self, b: &Big) -> R<Vec<usize>> {
        let from = match &b.from {
            Some(e) => index_of(self.eval(e)?.scalar("a bound")?, "a sum's lower bound")?,
            None => 1,
        };
        let to = match &b.to {
            Some(e) => {
                let n = self.eval(e)?.scalar("a bound")?;
                if n.v.fract() != 0.0 || n.v < 0.0 {
                    return Err(format!("a sum's upper bound is not an index: {}", n.v));
                }
                n.v as usize
            }
            None => self.classes,
        };
        let except = match &b.except {
            Some(e) => Some(index_of(self.eval(e)?.scalar("an index")?, "an index")?),
            None => None,
        };
        let ks: Vec<usize> = (from..=to).filter(|k| Some(*k) != except).collect();
        let Some(cond) = &b.cond else {
            return Ok(ks);
        };
        let mut out = Vec::new();
        for k in ks {
            let holds =
                self.with_local(&b.var, Val::S(Num::exact(k as f64)), |env| env.holds(cond))?;
            if holds {
                out.push(k);
            }
        }
        Ok(out)
    }

    /// Does a set-builder condition (`z_d < m`, `z_d = m`) hold? Compared
    /// exactly: the index sets of the book's conditions (`z_d = m` with `m`
    /// one of the `z_d`) are decided by the values, not up to rounding.
    fn holds(&mut self, cond: &super::grammar::Chain) -> R<bool> {
        use super::grammar::Rel;
        let mut vals = Vec::new();
        for side in &cond.sides {
            vals.push(
                self.eval(side)?
                    .scalar("a side of a set-builder condition")?
                    .v,
            );
        }
        Ok(cond.rels.iter().enumerate().all(|(k, rel)| {
            let (a, b) = (vals[k], vals[k + 1]);
            match rel {
                Rel::Eq => a == b,
                Rel::Ne => a != b,
                Rel::Lt => a < b,
                Rel::Gt => a > b,
                Rel::Le => a <= b,
                Rel::Ge => a >= b,
                Rel::Approx | Rel::In => false,
            }
        }))
    }

    fn big(&mut self, b: &Big) -> R<Val> {
        let ks = self.range(b)?;
        let mut acc: Option<Num> = None;
        for k in ks {
            let v = self.with_local(&b.var, Val::S(Num::exact(k as f64)), |env| {
                env.eval(&b.body)
            })?;
            let x = v.scalar("the operand of a sum, product or max")?;
            acc = Some(match (acc, b.op) {
                (None, _) => x,
                (Some(a), BigOp::Sum) => a.add(x),
                (Some(a), BigOp::Product) => a.mul(x),
                (Some(a), BigOp::Max) => a.max(x),
            });
        }
        Ok(Val::S(acc.unwrap_or(Num::exact(match b.op {
            BigOp::Sum => 0.0,
            BigOp::Product => 1.0,
            BigOp::Max => f64::NEG_INFINITY,
        }))))
    }

    fn call(&mut self, f: &str, args: &[Expr], bar: Option<usize>) -> R<Val> {
        match f {
            "fl" => {
                // fl(x): the float that the evaluation produces, exactly.
                let [a] = args else {
                    return Err("fl takes one argument".into());
                };
                return Ok(self.eval(a)?.map(|n| Num {
                    ev: 0.0,
                    ed: 0.0,
                    ..n
                }));
            }
            "log1p" => {
                let [a] = args else {
                    return Err("log1p takes one argument".into());
                };
                return Ok(self.eval(a)?.map(|n| n.ln_1p()));
            }
            "round" => {
                let [a] = args else {
                    return Err("round takes one argument".into());
                };
                // An integer, exact; flat, so its derivative is 0.
                return Ok(self.eval(a)?.map(|n| super::num::Num::exact(n.v.round())));
            }
            "abs" => {
                let [a] = args else {
                    return Err("|x| of one argument".into());
                };
                return Ok(self.eval(a)?.map(|n| if n.v < 0.0 { n.neg() } else { n }));
            }
            "max" => {
                let [a, b] = args else {
                    return Err("max(a, b) takes two arguments".into());
                };
                let (a, b) = (self.eval(a)?.scalar("max")?, self.eval(b)?.scalar("max")?);
                return Ok(Val::S(a.max(b)));
            }
            "diag" => {
                let [a] = args else {
                    return Err("diag takes one argument".into());
                };
                let Val::V(v, _) = self.eval(a)? else {
                    return Err("diag of something not a vector".into());
                };
                let n = v.len();
                let mut m = vec![Num::exact(0.0); n * n];
                for (k, x) in v.into_iter().enumerate() {
                    m[k * n + k] = x;
                }
                return Ok(Val::M(n, n, m));
            }
            _ => {}
        }
        let defs = self
            .funcs
            .get(f)
            .cloned()
            .ok_or_else(|| format!("the function {f} is not bound"))?;
        let mut last_error = format!("no definition of {f} matches its arguments");
        for def in defs {
            if def.params.len() != args.len() || def.bar != bar {
                continue;
            }
            let depth = self.locals.len();
            let mut matched = true;
            for (p, a) in def.params.iter().zip(args) {
                match (p, a) {
                    (Expr::Var(name), a) if !matches!(a, Expr::Event(..)) => {
                        // Arguments that cannot be evaluated (θ in ℒ(θ | t, z))
                        // are fine as long as the body does not use them.
                        if let Ok(v) = self.eval(a) {
                            self.locals.push((name.clone(), v, false));
                        }
                    }
                    (Expr::Event(pv, pc), Expr::Event(av, ac)) if pv == av => match &**pc {
                        Expr::Var(c) => {
                            let v = self.eval(ac)?;
                            self.locals.push((c.clone(), v, false));
                        }
                        _ => matched = false,
                    },
                    (p, a) => matched &= p == a,
                }
            }
            if !matched {
                self.locals.truncate(depth);
                continue;
            }
            let out = match &def.body {
                FnBody::Tex(body) => self.eval(body),
                FnBody::Rust(call) => self.rust(call),
            };
            self.locals.truncate(depth);
            match out {
                Err(e) if e.starts_with(library::SHAPE) => last_error = e,
                other => return other,
            }
        }
        Err(last_error)
    }
}

fn dot(x: &[Num], y: &[Num]) -> Num {
    x.iter()
        .zip(y)
        .map(|(a, b)| a.mul(*b))
        .reduce(|a, b| a.add(b))
        .unwrap_or(Num::exact(0.0))
}

/// Side-by-side product, by shape.
fn product(x: Val, y: Val) -> R<Val> {
    Ok(match (x, y) {
        (Val::S(a), other) => other.map(|b| a.mul(b)),
        (other, Val::S(b)) => other.map(|a| a.mul(b)),
        // A column times a row: the outer product.
        (Val::V(a, false), Val::V(b, true)) => {
            let mut m = Vec::new();
            for p in &a {
                for q in &b {
                    m.push(p.mul(*q));
                }
            }
            Val::M(a.len(), b.len(), m)
        }
        // A row times a column: the inner product.
        (Val::V(a, true), Val::V(b, false)) if a.len() == b.len() => Val::S(dot(&a, &b)),
        (Val::V(a, true), Val::M(r, c, m)) if a.len() == r => {
            let v = (0..c)
                .map(|j| dot(&a, &(0..r).map(|i| m[i * c + j]).collect::<Vec<_>>()))
                .collect();
            Val::V(v, true)
        }
        (Val::M(r, c, m), Val::V(b, false)) if b.len() == c => Val::V(
            (0..r).map(|i| dot(&m[i * c..(i + 1) * c], &b)).collect(),
            false,
        ),
        (x, y) => return Err(format!("cannot multiply {} by {}", x.show(), y.show())),
    })
}
