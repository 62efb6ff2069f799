//! The grammar of the book's equations: from the token tree of [`super::tex`]
//! to clauses ([`Clause`]) of expression trees ([`Expr`]).
//!
//! An equation is a list of clauses, separated at the top level by a `\quad`
//! (or wider space), a comma, or the colon of "if i = j :". A clause is a
//! relation chain `a = b = c`, `0 < y_c = … < 1` (the rows of `aligned` and
//! `split` continue the chain of the row above); a *condition* after "for" or
//! "if", or in parentheses (`(i \neq j)`, `(C \ge 2, …)`); or the range of an
//! index, `c = 1 \cdots C`. Text other than the connectives "for", "if", "so
//! that" and the labels "(sum)", "(mean)" is an error, and so is every
//! construct this module does not know: nothing is guessed.
//!
//! Inside a term, juxtaposition is multiplication, except that a function
//! symbol (`\varsigma`, `\sigma`, `\xi`, `P`, `\mathcal L`, `\log`, `\ln`,
//! `\exp`, `\operatorname{diag}`, `\operatorname{fl}`, `\operatorname{log1p}`,
//! `\operatorname{round}`) followed by parentheses is
//! applied to them. `\sum`, `\prod`, `\max_d`, `\log` without parentheses,
//! the operators `\frac{\partial}{\partial z_j}`, `\frac{d}{ds}` and
//! `\nabla_{\mathbf z}` take the rest of the term as their operand, as in
//! print: `-\sum_j t_j \log y_j + 1` is `-(\sum_j (t_j \log y_j)) + 1`.

use super::tex::{EnvKind, Face, Tok};
use pulldown_latex::event::DelimiterType;

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A number as written (the text keeps its decimals, for `≈`).
    Num(f64, String),
    /// A symbol: `z`, `ς`, `ℒ`, `θ`, or a monospace name such as `MAX`.
    Var(String),
    /// `base_{i j}`: an entry, a row, or (for a name such as `Σ_C`) part of the name.
    Index(Box<Expr>, Vec<Expr>),
    /// `\mathbf 1`, the vector of ones.
    Ones,
    /// `\infty`.
    Infinity,
    /// `-a`.
    Neg(Box<Expr>),
    /// `a + b`.
    Add(Box<Expr>, Box<Expr>),
    /// `a - b`.
    Sub(Box<Expr>, Box<Expr>),
    /// `a b`, `a \cdot b`: scalar, matrix or outer product by shape.
    Mul(Box<Expr>, Box<Expr>),
    /// `a \odot b`.
    Hadamard(Box<Expr>, Box<Expr>),
    /// `\frac{a}{b}`, `a / b`.
    Div(Box<Expr>, Box<Expr>),
    /// `a^{b}`.
    Pow(Box<Expr>, Box<Expr>),
    /// `a^\top`.
    Transpose(Box<Expr>),
    /// `e^{a}`, `\exp a`.
    Exp(Box<Expr>),
    /// `\log a` (natural).
    Log(Box<Expr>),
    /// `f(a, b | c)`: the arguments, and how many stand before a `|`.
    Call(String, Vec<Expr>, Option<usize>),
    /// `f'(a)`: the derivative of a one-argument function.
    Prime(String, Box<Expr>),
    /// `t = c` as the argument of `P(…)`.
    Event(Box<Expr>, Box<Expr>),
    /// `\sum`, `\prod`, `\max` over an index.
    Big(Big),
    /// `\delta_{ij}`.
    Delta(Box<Expr>, Box<Expr>),
    /// `[a = b]`: 1 if true, else 0.
    Iverson(Box<Expr>, Box<Expr>),
    /// `\langle a, b \rangle`.
    Inner(Box<Expr>, Box<Expr>),
    /// `[a, b]`, `(a, b)`: a vector written out.
    List(Vec<Expr>),
    /// `(f(1), \dots, f(C))` or a `bmatrix` with `\vdots`: entry `k` is the
    /// template with `#` (where the first entry has `1` and the last `C`) set to `k`.
    Pattern(Box<Expr>),
    /// `\frac{\partial body}{\partial wrt}`, `\frac{d body}{d wrt}`.
    Partial(Box<Expr>, Box<Expr>),
    /// `\nabla_{wrt} body`.
    Gradient(Box<Expr>, Box<Expr>),
    /// `body \Big|_{var = value}`.
    At(Box<Expr>, String, Box<Expr>),
    /// `\mathbb R^{dims}`.
    Reals(Box<Expr>),
}

/// `\sum_{var = from}^{to} body`, `\sum_{var \neq except} body`, `\max_{var} body`.
#[derive(Debug, Clone, PartialEq)]
pub struct Big {
    /// `∑`, `∏` or `max`.
    pub op: BigOp,
    /// The index it binds.
    pub var: String,
    /// The lower bound (1 if not written).
    pub from: Option<Box<Expr>>,
    /// The upper bound (`C` if not written).
    pub to: Option<Box<Expr>>,
    /// `j \neq i`: the index value left out.
    pub except: Option<Box<Expr>>,
    /// `d : z_d < m`: the set-builder condition the index must meet.
    pub cond: Option<Box<Chain>>,
    /// The operand.
    pub body: Box<Expr>,
}

/// The large operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BigOp {
    /// `\sum`.
    Sum,
    /// `\prod`.
    Product,
    /// `\max`.
    Max,
}

/// A relation between neighbours of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rel {
    /// `=`.
    Eq,
    /// `≠`.
    Ne,
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `≤`.
    Le,
    /// `≥`.
    Ge,
    /// `≈`, to the decimals written.
    Approx,
    /// `∈`.
    In,
}

/// A relation chain: `sides[0] rels[0] sides[1] rels[1] …`.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// The sides.
    pub sides: Vec<Expr>,
    /// The relations between neighbours.
    pub rels: Vec<Rel>,
}

/// What a clause says.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// A claim: every relation must hold.
    Claim(Chain),
    /// A condition ("for …", "if …", `(i \neq j)`): on indices alone it selects
    /// the cases of the claims; on inputs it must hold for the inputs the
    /// binding draws.
    Condition(Chain),
    /// `c = 1 \cdots C`: the index ranges over the classes.
    Range(String),
}

/// Parse one equation's tokens into clauses.
pub fn clauses(toks: Vec<Tok>) -> Result<Vec<Clause>, String> {
    let mut flat = Vec::new();
    for t in toks {
        match t {
            // The rows of `aligned`/`split` continue one another; their
            // `\quad` indents are layout, not separators.
            Tok::Env(EnvKind::Aligned, rows) => flat.extend(
                rows.into_iter()
                    .flatten()
                    .flatten()
                    .filter(|t| !matches!(t, Tok::Space(_))),
            ),
            t => flat.push(t),
        }
    }
    let mut out = Vec::new();
    let mut current: Vec<Tok> = Vec::new();
    let mut condition_next = false;
    let mut finish = |current: &mut Vec<Tok>, condition: &mut bool| -> Result<(), String> {
        let toks: Vec<Tok> = std::mem::take(current);
        if toks.is_empty() {
            return Ok(());
        }
        let was_condition = std::mem::replace(condition, false);
        out.extend(clause(toks, was_condition)?);
        Ok(())
    };
    let mut depth = 0usize;
    for (k, t) in flat.iter().enumerate() {
        if matches!(t, Tok::Delim(_, DelimiterType::Open)) {
            depth += 1;
        } else if closer(t).is_some() {
            depth = depth.saturating_sub(1);
        }
        if depth > 0 || closer(t).is_some() {
            if !matches!(t, Tok::Space(_)) {
                current.push(t.clone());
            }
            continue;
        }
        let ellipsis = |j: Option<usize>| {
            j.and_then(|j| flat.get(j))
                .is_some_and(|t| matches!(t, Tok::Sym('…' | '⋯', _)))
        };
        match t {
            Tok::Space(w) if *w >= 0.9 => finish(&mut current, &mut condition_next)?,
            Tok::Space(_) => {}
            Tok::Punct(',') if !ellipsis(k.checked_sub(1)) && !ellipsis(Some(k + 1)) => {
                finish(&mut current, &mut condition_next)?
            }
            Tok::Rel(r) if r == ":" => finish(&mut current, &mut condition_next)?,
            Tok::Text(text, Face::Plain) => match text.trim() {
                "for" | "if" => {
                    finish(&mut current, &mut condition_next)?;
                    condition_next = true;
                }
                "so that" | "where" | "with" | "and" => finish(&mut current, &mut condition_next)?,
                "(sum)" | "(mean)" | "&nbsp;" => {}
                other => return Err(format!("unknown text `\\text{{{other}}}`")),
            },
            t => current.push(t.clone()),
        }
    }
    finish(&mut current, &mut condition_next)?;
    Ok(out)
}

/// One clause: a parenthesized condition list, a range, or a chain.
fn clause(toks: Vec<Tok>, condition: bool) -> Result<Vec<Clause>, String> {
    if let [
        Tok::Delim('(', DelimiterType::Open),
        inner @ ..,
        Tok::Delim(')', DelimiterType::Close),
    ] = toks.as_slice()
        && matching_close(&toks, 0) == Some(toks.len() - 1)
    {
        if let [Tok::Group(g)] = inner
            && matches!(g.as_slice(), [Tok::Text(_, Face::Monospace)])
        {
            // `(\texttt{f64})`: the float type the line is about; our
            // evaluation is in f64.
            return Ok(vec![]);
        }
        return split_top(inner, |t| matches!(t, Tok::Punct(',')))
            .into_iter()
            .map(|part| Ok(Clause::Condition(chain(&part)?)))
            .collect();
    }
    if let Some(name) = range(&toks) {
        return Ok(vec![Clause::Range(name)]);
    }
    let c = chain(&toks)?;
    Ok(vec![if condition {
        Clause::Condition(c)
    } else {
        Clause::Claim(c)
    }])
}

/// `c = 1 \cdots C`, `i = 1, \dots, C`.
fn range(toks: &[Tok]) -> Option<String> {
    let toks: Vec<&Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Punct(',') | Tok::Space(_)))
        .collect();
    match toks.as_slice() {
        [
            Tok::Sym(v, _),
            Tok::Rel(eq),
            Tok::Num(one, _),
            Tok::Sym('…' | '⋯', _),
            Tok::Sym('C', _),
        ] if eq == "=" && one == "1" => Some(v.to_string()),
        _ => None,
    }
}

fn rel_of(r: &str) -> Result<Rel, String> {
    Ok(match r {
        "=" => Rel::Eq,
        "≠" | "¬=" => Rel::Ne,
        "<" => Rel::Lt,
        ">" => Rel::Gt,
        "≤" => Rel::Le,
        "≥" => Rel::Ge,
        "≈" => Rel::Approx,
        "∈" => Rel::In,
        other => return Err(format!("unknown relation `{other}`")),
    })
}

/// A relation chain.
pub fn chain(toks: &[Tok]) -> Result<Chain, String> {
    let toks: Vec<Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Space(_)))
        .cloned()
        .collect();
    let mut sides = Vec::new();
    let mut rels = Vec::new();
    let mut start = 0;
    let mut k = 0;
    while k < toks.len() {
        if let Some(close) = opener_close(&toks, k)? {
            k = close + 1;
            continue;
        }
        if let Tok::Rel(r) = &toks[k] {
            sides.push(expr(&toks[start..k])?);
            rels.push(rel_of(r)?);
            start = k + 1;
        }
        k += 1;
    }
    sides.push(expr(&toks[start..])?);
    Ok(Chain { sides, rels })
}

/// Split at top-level tokens that satisfy `at` (outside parentheses).
fn split_top(toks: &[Tok], at: impl Fn(&Tok) -> bool) -> Vec<Vec<Tok>> {
    let mut parts = vec![Vec::new()];
    let mut k = 0;
    while k < toks.len() {
        if let Ok(Some(close)) = opener_close(toks, k) {
            parts
                .last_mut()
                .unwrap()
                .extend_from_slice(&toks[k..=close]);
            k = close + 1;
            continue;
        }
        if at(&toks[k]) {
            parts.push(Vec::new());
        } else {
            parts.last_mut().unwrap().push(toks[k].clone());
        }
        k += 1;
    }
    parts
}

/// The closing delimiter of a token, seen through a script on it (`)_c`).
fn closer(t: &Tok) -> Option<char> {
    match t {
        Tok::Delim(c, DelimiterType::Close) => Some(*c),
        Tok::Script { base, .. } => closer(base),
        _ => None,
    }
}

fn partner(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        '⟨' => '⟩',
        '{' => '}',
        other => other,
    }
}

/// If `toks[k]` opens a delimiter, the index of its closer.
fn opener_close(toks: &[Tok], k: usize) -> Result<Option<usize>, String> {
    match &toks[k] {
        Tok::Delim(_, DelimiterType::Open) => matching_close(toks, k)
            .map(Some)
            .ok_or_else(|| "an unclosed delimiter".to_string()),
        _ => Ok(None),
    }
}

fn matching_close(toks: &[Tok], k: usize) -> Option<usize> {
    let mut depth = 0;
    for (j, t) in toks.iter().enumerate().skip(k) {
        if matches!(t, Tok::Delim(_, DelimiterType::Open)) {
            depth += 1;
        } else if closer(t).is_some() {
            depth -= 1;
            if depth == 0 {
                let open = match &toks[k] {
                    Tok::Delim(c, _) => *c,
                    _ => return None,
                };
                return (closer(t) == Some(partner(open))).then_some(j);
            }
        }
    }
    None
}

/// The name of a symbol token.
pub fn sym_name(c: char, face: Face) -> String {
    match (c, face) {
        ('L', Face::Calligraphic) => "ℒ".into(),
        ('R', Face::DoubleStruck) => "ℝ".into(),
        (c, _) => c.to_string(),
    }
}

/// The symbols that are functions when followed by parentheses.
pub fn is_function_symbol(name: &str) -> bool {
    matches!(name, "ς" | "σ" | "ξ" | "P" | "ℒ")
}

/// An expression: signed terms.
pub fn expr(toks: &[Tok]) -> Result<Expr, String> {
    let toks: Vec<Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Space(_)))
        .filter(|t| !matches!(t, Tok::Text(s, _) if s == "&nbsp;"))
        .cloned()
        .collect();
    if toks.is_empty() {
        return Err("an empty expression".into());
    }
    let mut k = 0;
    let mut acc: Option<Expr> = None;
    let mut sign = '+';
    if let Tok::Bin(c @ ('+' | '−' | '-')) = toks[0] {
        sign = c;
        k = 1;
    }
    loop {
        let start = k;
        while k < toks.len() {
            if let Some(close) = opener_close(&toks, k)? {
                k = close + 1;
                continue;
            }
            if matches!(toks[k], Tok::Bin('+' | '−' | '-' | '±')) {
                break;
            }
            k += 1;
        }
        let t = term(&toks[start..k])?;
        acc = Some(match (acc, sign) {
            (None, '+') => t,
            (None, _) => Expr::Neg(Box::new(t)),
            (Some(a), '+') => Expr::Add(Box::new(a), Box::new(t)),
            (Some(a), '−' | '-') => Expr::Sub(Box::new(a), Box::new(t)),
            (Some(_), _) => return Err("`±` is not a value".into()),
        });
        if k >= toks.len() {
            return Ok(acc.unwrap());
        }
        if let Tok::Bin(c) = toks[k] {
            sign = c;
        }
        k += 1;
        if k >= toks.len() {
            return Err("an expression ends with an operator".into());
        }
    }
}

/// A term: factors side by side, `\cdot`, `\odot`.
fn term(toks: &[Tok]) -> Result<Expr, String> {
    if toks.is_empty() {
        return Err("an empty term".into());
    }
    let mut acc: Option<Expr> = None;
    let mut hadamard = false;
    let mut divide = false;
    let mut k = 0;
    while k < toks.len() {
        let (factor, next) = match &toks[k] {
            Tok::Bin('⋅' | '·') => {
                k += 1;
                continue;
            }
            Tok::Bin('⊙') => {
                hadamard = true;
                k += 1;
                continue;
            }
            Tok::Sym('/', _) | Tok::Bin('/') | Tok::Punct('/') => {
                divide = true;
                k += 1;
                continue;
            }
            Tok::Script {
                base,
                sub: Some(sub),
                sup: None,
            } if matches!(**base, Tok::Delim('|', DelimiterType::Fence)) => {
                // `… \Big|_{s=0}`: evaluate what stands before at s = 0.
                let body = acc.take().ok_or("`|_{…}` with nothing before it")?;
                let c = chain(sub)?;
                let (Some(Expr::Var(var)), [Rel::Eq], Some(value)) =
                    (c.sides.first(), c.rels.as_slice(), c.sides.get(1))
                else {
                    return Err("`|_{…}` needs `var = value`".into());
                };
                acc = Some(Expr::At(
                    Box::new(body),
                    var.clone(),
                    Box::new(value.clone()),
                ));
                k += 1;
                continue;
            }
            _ => factor(toks, k)?,
        };
        acc = Some(match acc {
            None => factor,
            Some(a) if hadamard => Expr::Hadamard(Box::new(a), Box::new(factor)),
            Some(a) if divide => Expr::Div(Box::new(a), Box::new(factor)),
            Some(a) => Expr::Mul(Box::new(a), Box::new(factor)),
        });
        hadamard = false;
        divide = false;
        k = next;
    }
    if hadamard || divide {
        return Err("`\\odot` with nothing after it".into());
    }
    acc.ok_or_else(|| "an empty term".into())
}

/// The rest of a term, as the operand of a large operator or `\log`.
fn rest(toks: &[Tok], k: usize, what: &str) -> Result<(Expr, usize), String> {
    if k >= toks.len() {
        return Err(format!("{what} without an operand"));
    }
    Ok((term(&toks[k..])?, toks.len()))
}

/// A factor starting at `toks[k]`; returns it and the index after it.
fn factor(toks: &[Tok], k: usize) -> Result<(Expr, usize), String> {
    let t = &toks[k];
    match t {
        Tok::Num(n, Face::Bold) if n == "1" => Ok((Expr::Ones, k + 1)),
        Tok::Num(n, _) => Ok((number(n)?, k + 1)),
        Tok::Sym('∞', _) => Ok((Expr::Infinity, k + 1)),
        Tok::Sym('#', _) => {
            // `\#\{d : z_d = m\}`: how many indices meet the condition, a
            // sum of 1 over the set.
            let (Some(Tok::Delim('{', DelimiterType::Open)), Some(close)) =
                (toks.get(k + 1), matching_close(toks, k + 1))
            else {
                return Err("`\\#` must count a set `\\{d : …\\}`".into());
            };
            let (var, _, _, cond) = bounds(&toks[k + 2..close])?;
            if cond.is_none() {
                return Err("`\\#` must count a set `\\{d : …\\}`".into());
            }
            let one = Expr::Num(1.0, "1".into());
            Ok((
                Expr::Big(Big {
                    op: BigOp::Sum,
                    var,
                    from: None,
                    to: None,
                    except: None,
                    cond,
                    body: Box::new(one),
                }),
                close + 1,
            ))
        }
        Tok::Sym('|', _) | Tok::Delim('|', _) => {
            // `|x|`: the absolute value, up to the next bar.
            let close = (k + 1..toks.len())
                .find(|&j| matches!(toks[j], Tok::Sym('|', _) | Tok::Delim('|', _)))
                .ok_or("an unclosed `|`")?;
            let inner = expr(&toks[k + 1..close])?;
            Ok((Expr::Call("abs".into(), vec![inner], None), close + 1))
        }
        Tok::Sym(c, face) => {
            let name = sym_name(*c, *face);
            symbol(toks, k, name, None, None)
        }
        Tok::Text(name, Face::Monospace) => Ok((Expr::Var(name.clone()), k + 1)),
        Tok::Group(inner) => match inner.as_slice() {
            [Tok::Text(name, Face::Monospace)] => Ok((Expr::Var(name.clone()), k + 1)),
            [Tok::Sym(c, face)] => symbol(toks, k, sym_name(*c, *face), None, None),
            [Tok::Num(n, Face::Bold)] if n == "1" => Ok((Expr::Ones, k + 1)),
            _ => Ok((expr(inner)?, k + 1)),
        },
        Tok::Func(f) => function(toks, k, f, None, None),
        Tok::Frac(num, den) => fraction(toks, k, num, den),
        Tok::Delim(open, DelimiterType::Open) => {
            let close = matching_close(toks, k).ok_or("an unclosed delimiter")?;
            let inner = &toks[k + 1..close];
            let value = match open {
                '(' => parenthesized(inner)?,
                '[' => bracketed(inner)?,
                '⟨' => {
                    let parts = split_top(inner, |t| matches!(t, Tok::Punct(',')));
                    match parts.as_slice() {
                        [a, b] => Expr::Inner(Box::new(expr(a)?), Box::new(expr(b)?)),
                        _ => return Err("`\\langle a, b \\rangle` needs two entries".into()),
                    }
                }
                other => return Err(format!("unknown delimiter `{other}`")),
            };
            Ok((scripted(value, &toks[close])?, close + 1))
        }
        Tok::LeftRight(Some('['), Some(']'), inner) => match inner.as_slice() {
            [Tok::Env(EnvKind::Matrix, rows)] => Ok((column(rows)?, k + 1)),
            _ => Ok((bracketed(inner)?, k + 1)),
        },
        Tok::LeftRight(Some('('), Some(')'), inner) => Ok((parenthesized(inner)?, k + 1)),
        Tok::Script { base, sub, sup } => script(toks, k, base, sub.as_deref(), sup.as_deref()),
        other => Err(format!("unexpected `{}`", show(other))),
    }
}

fn number(n: &str) -> Result<Expr, String> {
    let v: f64 = n.parse().map_err(|_| format!("not a number: {n}"))?;
    Ok(Expr::Num(v, n.to_string()))
}

/// Apply the scripts of a closing delimiter (`(…)_c`, `(…)^2`) to the group.
fn scripted(value: Expr, close: &Tok) -> Result<Expr, String> {
    match close {
        Tok::Script { sub, sup, .. } => {
            let mut v = value;
            if let Some(sub) = sub {
                v = Expr::Index(Box::new(v), indices(sub)?);
            }
            if let Some(sup) = sup {
                v = power(v, sup)?;
            }
            Ok(v)
        }
        _ => Ok(value),
    }
}

fn power(base: Expr, sup: &[Tok]) -> Result<Expr, String> {
    match sup {
        [Tok::Sym('⊤', _)] => Ok(Expr::Transpose(Box::new(base))),
        _ => {
            if base == Expr::Var("e".into()) {
                Ok(Expr::Exp(Box::new(expr(sup)?)))
            } else {
                Ok(Expr::Pow(Box::new(base), Box::new(expr(sup)?)))
            }
        }
    }
}

/// The indices of a subscript: `{ic}` is `i, c`; `{k_i}` is one index.
fn indices(sub: &[Tok]) -> Result<Vec<Expr>, String> {
    if sub.iter().any(|t| matches!(t, Tok::Bin(_))) {
        return Ok(vec![expr(sub)?]);
    }
    sub.iter()
        .filter(|t| !matches!(t, Tok::Space(_)))
        .map(|t| match t {
            Tok::Num(n, _) => number(n),
            Tok::Sym(c, f) => Ok(Expr::Var(sym_name(*c, *f))),
            Tok::Script { .. } | Tok::Group(_) => expr(std::slice::from_ref(t)),
            other => Err(format!("unexpected `{}` in a subscript", show(other))),
        })
        .collect()
}

/// `(a)`, or `(a, b, …)`, or `(f(1), \dots, f(C))`.
fn parenthesized(inner: &[Tok]) -> Result<Expr, String> {
    let parts = split_top(inner, |t| matches!(t, Tok::Punct(',')));
    if parts.len() == 1 {
        return expr(inner);
    }
    list(parts)
}

fn list(parts: Vec<Vec<Tok>>) -> Result<Expr, String> {
    let dots = |p: &Vec<Tok>| matches!(p.as_slice(), [Tok::Sym('…' | '⋯' | '⋮', _)]);
    match parts.as_slice() {
        [first, d, last] if dots(d) => Ok(Expr::Pattern(Box::new(template(
            &expr(first)?,
            &expr(last)?,
        )?))),
        _ if parts.iter().any(dots) => {
            Err("`\\dots` must stand between a first and a last entry".into())
        }
        _ => Ok(Expr::List(
            parts.iter().map(|p| expr(p)).collect::<Result<_, _>>()?,
        )),
    }
}

/// `[c = k]` (Iverson) or `[z_1, z_2]` (a vector).
fn bracketed(inner: &[Tok]) -> Result<Expr, String> {
    if inner.iter().any(|t| matches!(t, Tok::Rel(_))) {
        let c = chain(inner)?;
        return match (c.sides.as_slice(), c.rels.as_slice()) {
            ([a, b], [Rel::Eq]) => Ok(Expr::Iverson(Box::new(a.clone()), Box::new(b.clone()))),
            _ => Err("an Iverson bracket must be `[a = b]`".into()),
        };
    }
    list(split_top(inner, |t| matches!(t, Tok::Punct(','))))
}

/// A `bmatrix` with one column.
fn column(rows: &[Vec<Vec<Tok>>]) -> Result<Expr, String> {
    let parts: Vec<Vec<Tok>> = rows
        .iter()
        .map(|cells| match cells.as_slice() {
            [cell] => Ok(cell.clone()),
            _ => Err("a matrix with more than one column".to_string()),
        })
        .collect::<Result<_, _>>()?;
    list(parts)
}

/// A symbol, and what follows it: an application, a prime, scripts.
fn symbol(
    toks: &[Tok],
    k: usize,
    name: String,
    sub: Option<&[Tok]>,
    sup: Option<&[Tok]>,
) -> Result<(Expr, usize), String> {
    if name == "δ" {
        let sub = sub.ok_or("`\\delta` needs a subscript")?;
        return match indices(sub)?.as_slice() {
            [i, j] => Ok((Expr::Delta(Box::new(i.clone()), Box::new(j.clone())), k + 1)),
            _ => Err("`\\delta` needs two indices".into()),
        };
    }
    if name == "∇" {
        let sub = sub.ok_or("`\\nabla` needs a subscript")?;
        let wrt = expr(sub)?;
        let (body, next) = rest(toks, k + 1, "`\\nabla`")?;
        return Ok((Expr::Gradient(Box::new(wrt), Box::new(body)), next));
    }
    if name == "ℝ" {
        let sup = sup.ok_or("`\\mathbb R` needs its dimension as a superscript")?;
        return Ok((Expr::Reals(Box::new(expr(sup)?)), k + 1));
    }
    if matches!(name.as_str(), "∂" | "…" | "⋯" | "⋮" | "|" | "′") {
        return Err(format!("unexpected `{name}`"));
    }
    let mut next = k + 1;
    let mut e = Expr::Var(name.clone());
    if is_function_symbol(&name) && sub.is_none() && sup.is_none() {
        let prime = matches!(toks.get(next), Some(Tok::Sym('′', _)));
        if prime {
            next += 1;
        }
        if let Some(Tok::Delim('(', DelimiterType::Open)) = toks.get(next) {
            let close = matching_close(toks, next).ok_or("an unclosed `(`")?;
            let (args, bar) = arguments(&toks[next + 1..close])?;
            e = if prime {
                match <[Expr; 1]>::try_from(args) {
                    Ok([a]) => Expr::Prime(name, Box::new(a)),
                    Err(_) => return Err("a primed function takes one argument".into()),
                }
            } else {
                Expr::Call(name, args, bar)
            };
            return Ok((scripted(e, &toks[close])?, close + 1));
        }
        if prime {
            return Err(format!("`{name}'` must be applied"));
        }
    }
    if let Some(sub) = sub {
        e = Expr::Index(Box::new(e), indices(sub)?);
    }
    if let Some(sup) = sup {
        e = power(e, sup)?;
    }
    Ok((e, next))
}

/// The arguments of `f(…)`: split at commas, with the position of a `|`.
fn arguments(inner: &[Tok]) -> Result<(Vec<Expr>, Option<usize>), String> {
    let mut args = Vec::new();
    let mut bar = None;
    for (n, group) in split_top(inner, |t| matches!(t, Tok::Sym('|', _)))
        .into_iter()
        .enumerate()
    {
        if n == 1 {
            bar = Some(args.len());
        } else if n > 1 {
            return Err("two `|` in one argument list".into());
        }
        for part in split_top(&group, |t| matches!(t, Tok::Punct(','))) {
            args.push(argument(&part)?);
        }
    }
    Ok((args, bar))
}

/// One argument; `t = c` (an event, inside `P(…)`) is allowed here.
fn argument(toks: &[Tok]) -> Result<Expr, String> {
    let c = chain(toks)?;
    match (c.sides.as_slice(), c.rels.as_slice()) {
        ([a], []) => Ok(a.clone()),
        ([a, b], [Rel::Eq]) => Ok(Expr::Event(Box::new(a.clone()), Box::new(b.clone()))),
        _ => Err("an argument with a relation other than `t = c`".into()),
    }
}

/// `\log` and `\ln` (both natural), `\exp`, `\max_d`, `\operatorname{diag}`,
/// `\operatorname{fl}`, `\operatorname{log1p}`, `\operatorname{round}`.
fn function(
    toks: &[Tok],
    k: usize,
    f: &str,
    sub: Option<&[Tok]>,
    sup: Option<&[Tok]>,
) -> Result<(Expr, usize), String> {
    match f {
        "max" if sub.is_none() && sup.is_none() => match toks.get(k + 1) {
            Some(Tok::Delim('(', DelimiterType::Open)) => {
                let close = matching_close(toks, k + 1).ok_or("an unclosed `(`")?;
                let (args, bar) = arguments(&toks[k + 2..close])?;
                if bar.is_some() || args.len() != 2 {
                    return Err("`\\max(a, b)` takes two arguments".into());
                }
                Ok((Expr::Call("max".into(), args, None), close + 1))
            }
            _ => Err("`\\max` needs its index as a subscript, or `(a, b)`".into()),
        },
        "max" => {
            let sub = sub.ok_or("`\\max` needs its index as a subscript")?;
            let (var, from, except, cond) = bounds(sub)?;
            let to = sup.map(expr).transpose()?.map(Box::new);
            let (body, next) = rest(toks, k + 1, "`\\max`")?;
            Ok((
                Expr::Big(Big {
                    op: BigOp::Max,
                    var,
                    from,
                    to,
                    except,
                    cond,
                    body: Box::new(body),
                }),
                next,
            ))
        }
        _ if sup.is_some() => Err(format!("`\\{f}` with a superscript")),
        _ if sub.is_some() => Err(format!("`\\{f}` with a subscript")),
        "log" | "ln" | "exp" | "diag" | "fl" | "log1p" | "round" => {
            let (arg, next) = match toks.get(k + 1) {
                Some(Tok::Delim('(', DelimiterType::Open)) => {
                    let close = matching_close(toks, k + 1).ok_or("an unclosed `(`")?;
                    if closer(&toks[close]).is_some() && matches!(toks[close], Tok::Script { .. }) {
                        // `\log(x)^2` and the like: not in the book; refuse.
                        return Err(format!("a script on the parentheses of `\\{f}`"));
                    }
                    (expr(&toks[k + 2..close])?, close + 1)
                }
                _ if matches!(f, "log" | "ln" | "exp") => rest(toks, k + 1, f)?,
                _ => {
                    return Err(format!(
                        "`\\operatorname{{{f}}}` must be applied to parentheses"
                    ));
                }
            };
            let e = match f {
                "log" | "ln" => Expr::Log(Box::new(arg)),
                "exp" => Expr::Exp(Box::new(arg)),
                other => Expr::Call(other.to_string(), vec![arg], None),
            };
            Ok((e, next))
        }
        other => Err(format!("unknown function `\\{other}`")),
    }
}

/// A fraction, or a derivative written as one.
fn fraction(toks: &[Tok], k: usize, num: &[Tok], den: &[Tok]) -> Result<(Expr, usize), String> {
    let num: Vec<Tok> = num
        .iter()
        .filter(|t| !matches!(t, Tok::Space(_)))
        .cloned()
        .collect();
    let den: Vec<Tok> = den
        .iter()
        .filter(|t| !matches!(t, Tok::Space(_)))
        .cloned()
        .collect();
    let derivative = match (num.first(), den.as_slice()) {
        (Some(Tok::Sym('∂', _)), [Tok::Sym('∂', _), wrt @ ..]) => Some(wrt.to_vec()),
        (Some(Tok::Sym('d', _)), [Tok::Sym('d', _), Tok::Sym(x, f)]) => {
            Some(vec![Tok::Sym(*x, *f)])
        }
        (_, [Tok::Sym('∂', _), ..]) => return Err("`\\partial` in a denominator only".into()),
        _ => None,
    };
    let Some(wrt) = derivative else {
        return Ok((
            Expr::Div(Box::new(expr(&num)?), Box::new(expr(&den)?)),
            k + 1,
        ));
    };
    let wrt = expr(&wrt)?;
    if num.len() == 1 {
        let (body, next) = rest(toks, k + 1, "a derivative operator")?;
        return Ok((Expr::Partial(Box::new(body), Box::new(wrt)), next));
    }
    Ok((
        Expr::Partial(Box::new(expr(&num[1..])?), Box::new(wrt)),
        k + 1,
    ))
}

/// The index of a large operator, its lower bound, the value it leaves out,
/// and a set-builder condition.
type Bounds = (
    String,
    Option<Box<Expr>>,
    Option<Box<Expr>>,
    Option<Box<Chain>>,
);

/// The subscript of `\sum`, `\prod`, `\max`: `j`, `j = 1`, `j \neq i`, or
/// the set builder `d : z_d < m` (the indices in `1..C` that meet the condition).
fn bounds(sub: &[Tok]) -> Result<Bounds, String> {
    if let Some(colon) = sub
        .iter()
        .position(|t| matches!(t, Tok::Rel(r) if r == ":"))
    {
        let var = match expr(&sub[..colon])? {
            Expr::Var(v) => v,
            _ => return Err("a set builder `d : …` binds one index".into()),
        };
        let cond = chain(&sub[colon + 1..])?;
        if cond.rels.is_empty() {
            return Err("a set builder `d : …` needs a relation after the colon".into());
        }
        return Ok((var, None, None, Some(Box::new(cond))));
    }
    let c = chain(sub)?;
    match (c.sides.as_slice(), c.rels.as_slice()) {
        ([Expr::Var(v)], []) => Ok((v.clone(), None, None, None)),
        ([Expr::Var(v), lo], [Rel::Eq]) => Ok((v.clone(), Some(Box::new(lo.clone())), None, None)),
        ([Expr::Var(v), x], [Rel::Ne]) => Ok((v.clone(), None, Some(Box::new(x.clone())), None)),
        _ => Err("a sum's subscript must be `j`, `j = 1`, `j \\neq i` or `d : …`".into()),
    }
}

/// A scripted token: `x_i`, `e^{…}`, `\sum_{…}^{…}`, `\max_d`, `(…)_c`.
fn script(
    toks: &[Tok],
    k: usize,
    base: &Tok,
    sub: Option<&[Tok]>,
    sup: Option<&[Tok]>,
) -> Result<(Expr, usize), String> {
    match base {
        Tok::LargeOp(op) => {
            let op = match op {
                '∑' => BigOp::Sum,
                '∏' => BigOp::Product,
                other => return Err(format!("unknown large operator `{other}`")),
            };
            let sub = sub.ok_or("`\\sum`/`\\prod` needs its index as a subscript")?;
            let (var, from, except, cond) = bounds(sub)?;
            let to = sup.map(expr).transpose()?.map(Box::new);
            let (body, next) = rest(toks, k + 1, "a sum or product")?;
            Ok((
                Expr::Big(Big {
                    op,
                    var,
                    from,
                    to,
                    except,
                    cond,
                    body: Box::new(body),
                }),
                next,
            ))
        }
        Tok::Func(f) => function(toks, k, f, sub, sup),
        Tok::Sym(c, face) => symbol(toks, k, sym_name(*c, *face), sub, sup),
        Tok::Group(inner) if matches!(inner.as_slice(), [Tok::Sym(_, _)]) => {
            let [Tok::Sym(c, face)] = inner.as_slice() else {
                unreachable!()
            };
            symbol(toks, k, sym_name(*c, *face), sub, sup)
        }
        Tok::Num(..) | Tok::Group(_) => {
            let (mut e, _) = factor(std::slice::from_ref(base), 0)?;
            if let Some(sub) = sub {
                e = Expr::Index(Box::new(e), indices(sub)?);
            }
            if let Some(sup) = sup {
                e = power(e, sup)?;
            }
            Ok((e, k + 1))
        }
        Tok::Text(t, _) => Err(format!(
            "`{t}` with a script (an operator this grammar does not evaluate)"
        )),
        other => Err(format!("unexpected `{}` with a script", show(other))),
    }
}

/// A short rendering of a token for error messages.
pub fn show(t: &Tok) -> String {
    match t {
        Tok::Sym(c, _) => c.to_string(),
        Tok::Num(n, _) => n.clone(),
        Tok::Func(f) => format!("\\{f}"),
        Tok::LargeOp(c) | Tok::Bin(c) | Tok::Punct(c) | Tok::Delim(c, _) => c.to_string(),
        Tok::Rel(r) => r.clone(),
        Tok::Text(t, _) => format!("\\text{{{t}}}"),
        Tok::Space(_) => "space".into(),
        Tok::Group(_) => "{…}".into(),
        Tok::Frac(..) => "\\frac".into(),
        Tok::Script { base, .. } => format!("{}_…", show(base)),
        Tok::LeftRight(..) => "\\left…\\right".into(),
        Tok::Env(..) => "an environment".into(),
    }
}

/// The template of `first, \dots, last`: `first` with `#` wherever it has
/// `1` and `last` has `C`; they must agree everywhere else.
fn template(first: &Expr, last: &Expr) -> Result<Expr, String> {
    use Expr::*;
    let pair = |a: &Expr, b: &Expr| template(a, b).map(Box::new);
    Ok(match (first, last) {
        (Num(one, _), Var(c)) if *one == 1.0 && c == "C" => Var("#".into()),
        (a, b) if a == b => a.clone(),
        (Index(a, i), Index(b, j)) if i.len() == j.len() => Index(
            pair(a, b)?,
            i.iter()
                .zip(j)
                .map(|(x, y)| template(x, y))
                .collect::<Result<_, _>>()?,
        ),
        (Call(f, a, bar), Call(g, b, bar2)) if f == g && a.len() == b.len() && bar == bar2 => Call(
            f.clone(),
            a.iter()
                .zip(b)
                .map(|(x, y)| template(x, y))
                .collect::<Result<_, _>>()?,
            *bar,
        ),
        (Event(a, b), Event(c, d)) => Event(pair(a, c)?, pair(b, d)?),
        (Exp(a), Exp(b)) => Exp(pair(a, b)?),
        (Neg(a), Neg(b)) => Neg(pair(a, b)?),
        _ => {
            return Err(format!(
                "the first and last entries around `\\dots` differ by more than 1 → C: {first:?} … {last:?}"
            ));
        }
    })
}
