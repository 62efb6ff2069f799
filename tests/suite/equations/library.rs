//! The crate's functions, by name, for the bindings: `y = softmax(z)`,
//! `ξ(t, y) = cross_entropy(y, t)`, `code: jacobian_element(y, i, j)`.
//!
//! Each function runs on `autodiff::F1` dual numbers, so that a derivative in
//! the text (`\frac{\partial \xi}{\partial z_i}` with `ξ` bound to
//! `cross_entropy_from_logits`) differentiates the crate's own code. Indices
//! arrive 1-based, as the book writes them, and leave 0-based.
//!
//! A result carries the error budget of the book for the crate's functions:
//! `(C + 6)ε` on the scale `1 + |value|` (the quotient budget of chapter 1,
//! which bounds every function here: each is a few roundings per class), plus
//! the error its inputs already carry.

use super::eval::Val;
use super::num::Num;
use autodiff::F1;
use softmax_cross_entropy::batch::{self, Reduction};
use softmax_cross_entropy::{
    cross_entropy as ce, gradient, jacobian, likelihood, logistic, softmax,
};

/// An argument of a crate function.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A value.
    Val(Val),
    /// `Sum` or `Mean`.
    Reduction(Reduction),
}

/// Every function name a binding may use.
pub const NAMES: &[&str] = &[
    "softmax",
    "softmax_into",
    "softmax_naive",
    "softmax_from_exponentials",
    "log_sum_exp",
    "log_softmax",
    "softmax_derivative_same",
    "softmax_derivative_cross",
    "jacobian_element",
    "jacobian",
    "jacobian_into",
    "vector_jacobian_product",
    "vector_jacobian_product_into",
    "diagonal_quotient_rule",
    "diagonal_factored",
    "diagonal_complement",
    "off_diagonal_quotient_rule",
    "off_diagonal_product",
    "likelihood",
    "negative_log_likelihood",
    "cross_entropy",
    "cross_entropy_class",
    "cross_entropy_from_logits",
    "cross_entropy_from_logits_class",
    "batch_cross_entropy",
    "batch_cross_entropy_from_logits",
    "batch_cross_entropy_from_logits_classes",
    "batch_gradient_from_logits",
    "cross_entropy_gradient",
    "cross_entropy_gradient_from_logits",
    "cross_entropy_gradient_general",
    "chain_rule",
    "split_diagonal",
    "expanded",
    "merged",
    "factored",
    "normalized",
    "logistic",
    "logistic_derivative",
    "binary_cross_entropy",
    "binary_cross_entropy_from_logit",
    "two_class_quotient",
    "two_class_divided",
    "exp",
];

/// A shape error: the caller may try another overload.
pub const SHAPE: &str = "shape:";

fn dual(n: &Num) -> F1 {
    F1::new(n.v, n.d)
}

fn input_error(args: &[Arg]) -> (f64, f64) {
    let mut e = (0.0_f64, 0.0_f64);
    for a in args {
        if let Arg::Val(v) = a {
            for n in v.entries() {
                e = (e.0.max(n.ev), e.1.max(n.ed));
            }
        }
    }
    e
}

struct Call<'a> {
    name: &'a str,
    args: &'a [Arg],
    classes: usize,
}

impl Call<'_> {
    fn vector(&self, k: usize) -> Result<Vec<F1>, String> {
        match self.args.get(k) {
            Some(Arg::Val(Val::V(v, _))) => Ok(v.iter().map(dual).collect()),
            _ => Err(format!(
                "{SHAPE} {} needs a vector as argument {}",
                self.name,
                k + 1
            )),
        }
    }
    fn matrix(&self, k: usize) -> Result<(usize, usize, Vec<F1>), String> {
        match self.args.get(k) {
            Some(Arg::Val(Val::M(r, c, v))) => Ok((*r, *c, v.iter().map(dual).collect())),
            _ => Err(format!(
                "{SHAPE} {} needs a matrix as argument {}",
                self.name,
                k + 1
            )),
        }
    }
    fn scalar(&self, k: usize) -> Result<F1, String> {
        match self.args.get(k) {
            Some(Arg::Val(Val::S(n))) => Ok(dual(n)),
            _ => Err(format!(
                "{SHAPE} {} needs a number as argument {}",
                self.name,
                k + 1
            )),
        }
    }
    fn index(&self, k: usize) -> Result<usize, String> {
        let x = self.scalar(k)?.x;
        if x.fract() != 0.0 || x < 1.0 {
            return Err(format!(
                "{}: argument {} is not an index: {x}",
                self.name,
                k + 1
            ));
        }
        Ok(x as usize - 1)
    }
    fn indices(&self, k: usize) -> Result<Vec<usize>, String> {
        self.vector(k)?
            .iter()
            .map(|x| {
                if x.x.fract() != 0.0 || x.x < 1.0 {
                    Err(format!("{}: not an index: {}", self.name, x.x))
                } else {
                    Ok(x.x as usize - 1)
                }
            })
            .collect()
    }
    fn reduction(&self, k: usize) -> Result<Reduction, String> {
        match self.args.get(k) {
            Some(Arg::Reduction(r)) => Ok(*r),
            _ => Err(format!(
                "{} needs Sum or Mean as argument {}",
                self.name,
                k + 1
            )),
        }
    }
    fn arity(&self, n: usize) -> Result<(), String> {
        if self.args.len() == n {
            Ok(())
        } else {
            Err(format!("{SHAPE} {} takes {n} arguments", self.name))
        }
    }
}

enum Out {
    S(F1),
    V(Vec<F1>),
    M(usize, usize, Vec<F1>),
}

/// Call the crate function `name`.
pub fn call(name: &str, args: &[Arg], classes: usize) -> Result<Val, String> {
    let c = Call {
        name,
        args,
        classes,
    };
    let e =
        |r: softmax_cross_entropy::Result<F1>| r.map(Out::S).map_err(|e| format!("{name}: {e}"));
    let ev = |r: softmax_cross_entropy::Result<Vec<F1>>| {
        r.map(Out::V).map_err(|e| format!("{name}: {e}"))
    };
    let square = |r: softmax_cross_entropy::Result<Vec<F1>>, n: usize| {
        r.map(|v| Out::M(n, n, v))
            .map_err(|e| format!("{name}: {e}"))
    };
    let n_args = match name {
        "softmax"
        | "softmax_into"
        | "softmax_naive"
        | "softmax_from_exponentials"
        | "log_sum_exp"
        | "log_softmax"
        | "softmax_derivative_same"
        | "jacobian"
        | "jacobian_into"
        | "logistic"
        | "logistic_derivative"
        | "exp" => 1,
        "batch_cross_entropy"
        | "batch_cross_entropy_from_logits"
        | "batch_cross_entropy_from_logits_classes"
        | "batch_gradient_from_logits"
        | "jacobian_element"
        | "off_diagonal_quotient_rule"
        | "off_diagonal_product"
        | "chain_rule"
        | "split_diagonal"
        | "expanded"
        | "merged"
        | "factored"
        | "normalized" => 3,
        _ => 2,
    };
    c.arity(n_args)?;
    let out = match name {
        // A matrix argument to softmax is a batch: softmax of each row.
        "softmax" | "softmax_into" if matches!(args.first(), Some(Arg::Val(Val::M(..)))) => {
            let (r, k, z) = c.matrix(0)?;
            let mut out = Vec::with_capacity(z.len());
            for row in z.chunks(k) {
                out.extend(softmax::softmax(row).map_err(|e| format!("{name}: {e}"))?);
            }
            Out::M(r, k, out)
        }
        "softmax" => ev(softmax::softmax(&c.vector(0)?))?,
        "softmax_into" => {
            let z = c.vector(0)?;
            let mut out = vec![F1::cst(0.0); z.len()];
            softmax::softmax_into(&z, &mut out).map_err(|e| format!("{name}: {e}"))?;
            Out::V(out)
        }
        "softmax_naive" => ev(softmax::softmax_naive(&c.vector(0)?))?,
        "softmax_from_exponentials" => ev(softmax::softmax_from_exponentials(&c.vector(0)?))?,
        "log_sum_exp" => e(softmax::log_sum_exp(&c.vector(0)?))?,
        "log_softmax" => ev(softmax::log_softmax(&c.vector(0)?))?,
        "exp" => Out::V(
            c.vector(0)?
                .iter()
                .map(|x| num_traits::Float::exp(*x))
                .collect(),
        ),
        "softmax_derivative_same" => e(jacobian::softmax_derivative_same(c.scalar(0)?))?,
        "softmax_derivative_cross" => e(jacobian::softmax_derivative_cross(
            c.scalar(0)?,
            c.scalar(1)?,
        ))?,
        "jacobian_element" => e(jacobian::jacobian_element(
            &c.vector(0)?,
            c.index(1)?,
            c.index(2)?,
        ))?,
        "jacobian" => {
            let y = c.vector(0)?;
            square(jacobian::jacobian(&y), y.len())?
        }
        "jacobian_into" => {
            let y = c.vector(0)?;
            let mut out = vec![F1::cst(0.0); y.len() * y.len()];
            jacobian::jacobian_into(&y, &mut out).map_err(|e| format!("{name}: {e}"))?;
            Out::M(y.len(), y.len(), out)
        }
        "vector_jacobian_product" => ev(jacobian::vector_jacobian_product(
            &c.vector(0)?,
            &c.vector(1)?,
        ))?,
        "vector_jacobian_product_into" => {
            let y = c.vector(0)?;
            let mut out = vec![F1::cst(0.0); y.len()];
            jacobian::vector_jacobian_product_into(&y, &c.vector(1)?, &mut out)
                .map_err(|e| format!("{name}: {e}"))?;
            Out::V(out)
        }
        "diagonal_quotient_rule" => e(jacobian::steps::diagonal_quotient_rule(
            &c.vector(0)?,
            c.index(1)?,
        ))?,
        "diagonal_factored" => e(jacobian::steps::diagonal_factored(
            &c.vector(0)?,
            c.index(1)?,
        ))?,
        "diagonal_complement" => e(jacobian::steps::diagonal_complement(
            &c.vector(0)?,
            c.index(1)?,
        ))?,
        "off_diagonal_quotient_rule" => e(jacobian::steps::off_diagonal_quotient_rule(
            &c.vector(0)?,
            c.index(1)?,
            c.index(2)?,
        ))?,
        "off_diagonal_product" => e(jacobian::steps::off_diagonal_product(
            &c.vector(0)?,
            c.index(1)?,
            c.index(2)?,
        ))?,
        "likelihood" => e(likelihood::likelihood(&c.vector(0)?, &c.vector(1)?))?,
        "negative_log_likelihood" => e(likelihood::negative_log_likelihood(
            &c.vector(0)?,
            &c.vector(1)?,
        ))?,
        "cross_entropy" => e(ce::cross_entropy(&c.vector(0)?, &c.vector(1)?))?,
        "cross_entropy_class" => e(ce::cross_entropy_class(&c.vector(0)?, c.index(1)?))?,
        "cross_entropy_from_logits" => {
            e(ce::cross_entropy_from_logits(&c.vector(0)?, &c.vector(1)?))?
        }
        "cross_entropy_from_logits_class" => e(ce::cross_entropy_from_logits_class(
            &c.vector(0)?,
            c.index(1)?,
        ))?,
        "batch_cross_entropy" => {
            let (_, k, y) = c.matrix(0)?;
            e(batch::batch_cross_entropy(
                &y,
                &c.matrix(1)?.2,
                k,
                c.reduction(2)?,
            ))?
        }
        "batch_cross_entropy_from_logits" => {
            let (_, k, z) = c.matrix(0)?;
            e(batch::batch_cross_entropy_from_logits(
                &z,
                &c.matrix(1)?.2,
                k,
                c.reduction(2)?,
            ))?
        }
        "batch_cross_entropy_from_logits_classes" => {
            let (_, k, z) = c.matrix(0)?;
            e(batch::batch_cross_entropy_from_logits_classes(
                &z,
                &c.indices(1)?,
                k,
                c.reduction(2)?,
            ))?
        }
        "batch_gradient_from_logits" => {
            let (r, k, z) = c.matrix(0)?;
            let g = batch::batch_gradient_from_logits(&z, &c.matrix(1)?.2, k, c.reduction(2)?)
                .map_err(|e| format!("{name}: {e}"))?;
            Out::M(r, k, g)
        }
        "cross_entropy_gradient" => ev(gradient::cross_entropy_gradient(
            &c.vector(0)?,
            &c.vector(1)?,
        ))?,
        "cross_entropy_gradient_from_logits" => ev(gradient::cross_entropy_gradient_from_logits(
            &c.vector(0)?,
            &c.vector(1)?,
        ))?,
        "cross_entropy_gradient_general" => ev(gradient::cross_entropy_gradient_general(
            &c.vector(0)?,
            &c.vector(1)?,
        ))?,
        "chain_rule" | "split_diagonal" | "expanded" | "merged" | "factored" | "normalized" => {
            let f = match name {
                "chain_rule" => gradient::steps::chain_rule::<F1>,
                "split_diagonal" => gradient::steps::split_diagonal::<F1>,
                "expanded" => gradient::steps::expanded::<F1>,
                "merged" => gradient::steps::merged::<F1>,
                "factored" => gradient::steps::factored::<F1>,
                _ => gradient::steps::normalized::<F1>,
            };
            e(f(&c.vector(0)?, &c.vector(1)?, c.index(2)?))?
        }
        "logistic" => e(logistic::logistic(c.scalar(0)?))?,
        "logistic_derivative" => e(logistic::logistic_derivative(c.scalar(0)?))?,
        "binary_cross_entropy" => e(logistic::binary_cross_entropy(c.scalar(0)?, c.scalar(1)?))?,
        "binary_cross_entropy_from_logit" => e(logistic::binary_cross_entropy_from_logit(
            c.scalar(0)?,
            c.scalar(1)?,
        ))?,
        "two_class_quotient" => e(logistic::steps::two_class_quotient(
            c.scalar(0)?,
            c.scalar(1)?,
        ))?,
        "two_class_divided" => e(logistic::steps::two_class_divided(
            c.scalar(0)?,
            c.scalar(1)?,
        ))?,
        other => return Err(format!("no crate function `{other}` (see library::NAMES)")),
    };
    let (ev_in, ed_in) = input_error(args);
    let budget = (c.classes as f64 + 6.0) * f64::EPSILON;
    let num = |x: F1| Num {
        v: x.x,
        d: x.dx,
        ev: (budget + ev_in) * (1.0 + x.x.abs()),
        ed: (budget + ed_in + ev_in) * (1.0 + x.dx.abs()),
    };
    Ok(match out {
        Out::S(x) => Val::S(num(x)),
        Out::V(v) => Val::V(v.into_iter().map(num).collect(), false),
        Out::M(r, k, v) => Val::M(r, k, v.into_iter().map(num).collect()),
    })
}
