//! The row loop of every kernel: block by block, each row's max, its
//! exponentials $e^{z_c - m}$ and its sum $R$, then the kernel's finishing
//! step ([`Finish`]) on the row, and the compensated total of the rows'
//! losses.

use super::compensated::{LossTotal, RowLoss, two_sum};
use super::dispatch::Kernel;
use super::float::KernelFloat;
use super::mul_add::MulAdd;
use super::row_sum::{SHORT_ROW, long_row_sum, row_sum};
use super::vector_math::ln_1p_f64;
use crate::{Result, check};
use pulp::Simd;

/// The largest and the smallest entry of a row, $(m, \min_c z_c)$; `-inf`
/// for a row of `-inf`. For a row with a NaN, some of its entries: such a
/// row goes to the reference functions whatever its max (its $R$ is NaN).
/// Long rows in vector registers.
#[inline(always)]
fn row_range<T: KernelFloat, S: Simd>(simd: S, z: &[T]) -> (T, T) {
    let larger = |a: T, b: T| if a > b { a } else { b };
    let smaller = |a: T, b: T| if a < b { a } else { b };
    if z.len() < SHORT_ROW {
        // Short rows: two lanes in registers.
        let (mut a, mut b) = (T::neg_infinity(), T::neg_infinity());
        let (mut c, mut d) = (T::infinity(), T::infinity());
        let pairs = z.chunks_exact(2);
        if let Some(&last) = pairs.remainder().first() {
            (a, c) = (last, last);
        }
        for p in pairs {
            (a, b) = (larger(p[0], a), larger(p[1], b));
            (c, d) = (smaller(p[0], c), smaller(p[1], d));
        }
        return (larger(a, b), smaller(c, d));
    }
    let (vectors, rest) = T::as_vectors::<S>(z);
    let (low, high) = (
        T::vsplat(simd, T::neg_infinity()),
        T::vsplat(simd, T::infinity()),
    );
    let ((mut a, mut b), (mut c, mut d)) = ((low, low), (high, high));
    let pairs = vectors.chunks_exact(2);
    for p in pairs {
        (a, b) = (T::vmax(simd, p[0], a), T::vmax(simd, p[1], b));
        (c, d) = (T::vmin(simd, p[0], c), T::vmin(simd, p[1], d));
    }
    // The odd vector last, so that the row is read in order (the hardware
    // prefetcher follows a row read from its start).
    if vectors.len() % 2 == 1 {
        let last = vectors[vectors.len() - 1];
        (a, c) = (T::vmax(simd, last, a), T::vmin(simd, last, c));
    }
    let (top, bottom) = (T::vmax(simd, a, b), T::vmin(simd, c, d));
    let top = T::lanes::<S>(&top).iter().chain(rest);
    let bottom = T::lanes::<S>(&bottom).iter().chain(rest);
    (
        top.fold(T::neg_infinity(), |m, &x| larger(x, m)),
        bottom.fold(T::infinity(), |m, &x| smaller(x, m)),
    )
}

/// Whether every $e^{z_c - m}$ of rows with this max and min is a normal
/// number (or the row holds a NaN), so that the short exponential
/// ([`crate::vector_math::VectorExp::exp_normal_with_tail`]) computes them: $\min_c z_c - m \ge$
/// [`crate::vector_math::VectorExp::NORMAL_LOW`] (rounded down, as every $z_c - m$ is).
#[inline(always)]
fn all_normal<T: KernelFloat>(max: T, min: T) -> bool {
    min - max >= T::NORMAL_LOW
}

/// $e^{z_c - m}$, with the rounding error of $z_c - m$ (TwoSum) carried
/// into the exponential: the one expression of every kernel, with the short
/// exponential, for rows where [`all_normal`] holds (other rows:
/// [`exp_shifted_scaled`]).
#[inline(always)]
fn exp_shifted<T: KernelFloat, A: MulAdd>(z: T, m: T) -> T {
    let (d, tail) = two_sum(z, -m);
    T::exp_normal_with_tail::<A>(d, tail)
}

/// $2^K e^{z_c - m}$ ([`crate::vector_math::VectorExp::exp_scaled_with_tail`]):
/// the terms of a row some of whose terms fall below the normal range, so
/// that its $R$ is summed from normal numbers rather than from terms each
/// rounded to a subnormal (or to 0).
#[inline(always)]
fn exp_shifted_scaled<T: KernelFloat, A: MulAdd>(z: T, m: T) -> T {
    let (d, tail) = two_sum(z, -m);
    T::exp_scaled_with_tail::<A>(d, tail)
}

/// $2^{-K}$, which turns [`exp_shifted_scaled`]'s terms back into
/// $e^{z_c - m}$: in `f64` for the sum $R$, in `T` for the row's outputs.
#[inline(always)]
fn unscale<T: KernelFloat>() -> (f64, T) {
    let scale = 2.0_f64.powi(-T::SCALE);
    (scale, T::narrow(scale))
}

/// Where some $z_c - m$ of the rows is below
/// [`crate::vector_math::VectorExp::NORMAL_LOW`]: the terms $2^K e^{z_c -
/// m}$, then each row's $R$ summed from them and scaled by $2^{-K}$ once,
/// then the terms scaled back, each rounded once (the bits of the unscaled
/// exponential).
#[inline(always)]
fn scaled_rows<T: KernelFloat, A: MulAdd>(
    z: &[T],
    maxima: impl Fn(usize) -> T,
    out: &mut [T],
    mut sum: impl FnMut(&[T], f64),
) {
    for (i, (o, &z)) in out.iter_mut().zip(z).enumerate() {
        *o = exp_shifted_scaled::<T, A>(z, maxima(i));
    }
    let (scale, scale_t) = unscale::<T>();
    sum(out, scale);
    for o in out.iter_mut() {
        *o = *o * scale_t;
    }
}

/// One long row: $e^{z_c - m}$ into `out` (one vector loop), then the row's
/// $R$ ([`long_row_sum`], while the row is in the L1 cache); summed from
/// scaled terms where some term is below the normal range.
#[inline(always)]
fn exp_row<T: KernelFloat, A: MulAdd, S: Simd>(
    simd: S,
    z: &[T],
    (m, min): (T, T),
    out: &mut [T],
) -> f64 {
    if all_normal(m, min) {
        for (o, &z) in out.iter_mut().zip(z) {
            *o = exp_shifted::<T, A>(z, m);
        }
        return long_row_sum(simd, z, out, m, 1.0);
    }
    let mut rest = 0.0;
    scaled_rows::<T, A>(
        z,
        |_| m,
        out,
        |e, scale| {
            rest = long_row_sum(simd, z, e, m, scale);
        },
    );
    rest
}

/// One row's normalizer, as the finishing step of each kernel sees it.
#[derive(Clone, Copy)]
pub(crate) struct Row<T> {
    /// The row's index in the batch.
    pub(crate) index: usize,
    /// $m = \max_d z_d$.
    pub(crate) max: T,
    /// $R = S - 1$, finite.
    pub(crate) rest: f64,
    /// $1/S$.
    pub(crate) inv_s: f64,
    /// $\log S = \operatorname{log1p}(R)$.
    pub(crate) log_s: f64,
}

/// What a kernel does with a row once its exponentials are in `out`.
pub(crate) trait Finish<T: KernelFloat> {
    /// The fast path: turn `e = e^{z − m}` into the row's output in place and
    /// return the row's loss (0 where there is none), or `None` to hand the
    /// row to [`Finish::reference`].
    fn fast(&mut self, row: Row<T>, z: &[T], e: &mut [T]) -> Option<f64>;
    /// The reference route: the functions of the earlier modules, with their
    /// typed errors, for a row the fast path does not take.
    fn reference(&mut self, index: usize, z: &[T], out: &mut [T]) -> Result<RowLoss>;
    /// The reduction's weight $w$ of the losses: 1, or $1/N$ for the mean.
    fn weight(&self) -> f64 {
        1.0
    }
}

/// Rows per block: whole rows, about 2048 entries, so that a block of logits
/// and outputs stays in the L1 cache between the passes.
fn rows_per_block(classes: usize) -> usize {
    (2048 / classes).max(1)
}

/// Run a kernel over every row, block by block. Rows of at least
/// [`SHORT_ROW`] entries: the max, then [`exp_row`]. Shorter rows: (1) the
/// max of each row of the block, written over the row's outputs, (2) the
/// exponentials of the whole block in one vector loop, (3) each row's $R$.
/// Then each row's finishing step. `z` is `None` for the in-place kernels,
/// which read the logits from `out` (copied block by block); `first_row` is
/// the index in the batch of the first row of `out`. Returns the
/// compensated sum of the rows' losses ([`LossTotal`]).
#[inline(always)]
fn run_rows<T: KernelFloat, A: MulAdd, F: Finish<T>, S: Simd>(
    simd: S,
    z: Option<&[T]>,
    out: &mut [T],
    classes: usize,
    first_row: usize,
    finish: &mut F,
) -> Result<LossTotal> {
    let per_block = rows_per_block(classes);
    let block = per_block * classes;
    let mut maxima = vec![T::zero(); per_block];
    let mut rests = vec![0.0_f64; per_block];
    let (mut inv_ss, mut log_ss) = (vec![0.0_f64; per_block], vec![0.0_f64; per_block]);
    let mut scratch = Vec::new();
    let mut total = LossTotal::default();
    for (b, out_block) in out.chunks_mut(block).enumerate() {
        let z_block: &[T] = match z {
            Some(z) => &z[b * block..b * block + out_block.len()],
            None => {
                scratch.clear();
                scratch.extend_from_slice(out_block);
                &scratch
            }
        };
        let rows = || z_block.chunks_exact(classes);
        if classes >= SHORT_ROW {
            let outs = out_block.chunks_exact_mut(classes);
            for (((z_row, out_row), m), rest) in rows().zip(outs).zip(&mut maxima).zip(&mut rests) {
                let range = row_range(simd, z_row);
                *m = range.0;
                *rest = exp_row::<T, A, S>(simd, z_row, range, out_row);
            }
        } else {
            let mut normal = true;
            for ((z_row, out_row), m) in rows()
                .zip(out_block.chunks_exact_mut(classes))
                .zip(&mut maxima)
            {
                let (max, min) = row_range(simd, z_row);
                normal &= all_normal(max, min);
                *m = max;
                out_row.fill(max);
            }
            let sums = |e: &[T], scale: f64, rests: &mut [f64]| {
                let outs = e.chunks_exact(classes);
                for (((z_row, e_row), &m), rest) in rows().zip(outs).zip(&maxima).zip(rests) {
                    *rest = row_sum(simd, z_row, e_row, m, scale);
                }
            };
            if normal {
                for (o, &z) in out_block.iter_mut().zip(z_block) {
                    *o = exp_shifted::<T, A>(z, *o);
                }
                sums(out_block, 1.0, &mut rests);
            } else {
                let max_of = |i: usize| maxima[i / classes];
                scaled_rows::<T, A>(z_block, max_of, out_block, |e, scale| {
                    sums(e, scale, &mut rests)
                });
            }
        }
        // 1/S and log S of every row of the block, in one vector loop.
        let rows_here = out_block.len() / classes;
        for ((&rest, inv_s), log_s) in rests
            .iter()
            .zip(&mut inv_ss)
            .zip(&mut log_ss)
            .take(rows_here)
        {
            let rest = if rest.is_finite() { rest } else { 0.0 };
            *inv_s = 1.0 / (1.0 + rest);
            *log_s = ln_1p_f64::<A>(rest);
        }
        let outs = out_block.chunks_exact_mut(classes);
        let normalizers = maxima.iter().zip(&rests).zip(inv_ss.iter().zip(&log_ss));
        for (r, ((z_row, out_row), ((&max, &rest), (&inv_s, &log_s)))) in
            rows().zip(outs).zip(normalizers).enumerate()
        {
            let index = first_row + b * per_block + r;
            let fast = if rest.is_finite() && max.is_finite() {
                finish.fast(
                    Row {
                        index,
                        max,
                        rest,
                        inv_s,
                        log_s,
                    },
                    z_row,
                    out_row,
                )
            } else {
                None
            };
            let loss = match fast {
                Some(loss) => RowLoss::Plain(loss),
                None => {
                    #[cfg(test)]
                    REFERENCE_ROWS.with(|n| n.set(n.get() + 1));
                    finish.reference(index, z_row, out_row)?
                }
            };
            total.add(loss);
        }
    }
    Ok(total)
}

/// A kernel and its data, for the dispatch.
pub(crate) struct Rows<'a, T, F> {
    pub(crate) z: Option<&'a [T]>,
    pub(crate) out: &'a mut [T],
    pub(crate) classes: usize,
    pub(crate) first_row: usize,
    pub(crate) finish: F,
}

impl<T: KernelFloat, F: Finish<T>> Kernel for Rows<'_, T, F> {
    type Output = Result<LossTotal>;

    #[inline(always)]
    fn run<A: MulAdd, S: Simd>(mut self, simd: S) -> Result<LossTotal> {
        run_rows::<T, A, F, S>(
            simd,
            self.z,
            self.out,
            self.classes,
            self.first_row,
            &mut self.finish,
        )
    }
}

/// Batches of fewer entries than this run as one part, on the calling
/// thread; larger ones in parts of about [`PART`] entries.
const SPLIT_FROM: usize = 1 << 16;

/// The entries of one part of a large batch (whole rows, at least one).
const PART: usize = 1 << 15;

/// Check the shape and run a kernel with the calling thread's instruction
/// set. A batch of [`SPLIT_FROM`] entries or more is cut into parts of
/// whole rows, about [`PART`] entries each, a cut that depends only on the
/// shape; with the feature `parallel` the parts run on rayon's threads. The
/// parts' loss totals are added in the order of the parts, so the result is
/// the same bits for every thread count; the first error in row order is
/// returned.
pub(crate) fn run_batch<T: KernelFloat, F: Finish<T> + Clone + Send + Sync>(
    z: Option<&[T]>,
    out: &mut [T],
    classes: usize,
    finish: F,
) -> Result<f64> {
    check::batch_rows(out.len(), classes)?;
    let weight = finish.weight();
    let set = super::dispatch::instruction_set();
    let part_rows = if out.len() < SPLIT_FROM {
        out.len() / classes
    } else {
        (PART / classes).max(1)
    };
    let part = part_rows * classes;
    let run_part = |(p, out): (usize, &mut [T])| {
        let z = z.map(|z| &z[p * part..p * part + out.len()]);
        let rows = Rows {
            z,
            out,
            classes,
            first_row: p * part_rows,
            finish: finish.clone(),
        };
        super::dispatch::run_on(set, rows)
    };
    let totals = parts(out, part, run_part);
    let mut total = LossTotal::default();
    for t in totals {
        total.merge(t?);
    }
    Ok(total.weighted(weight))
}

/// `run` on each part of `out` (`part` entries each, the last shorter), in
/// parallel where the feature `parallel` is on; the results in order.
#[cfg(feature = "parallel")]
fn parts<T: Send, R: Send>(
    out: &mut [T],
    part: usize,
    run: impl Fn((usize, &mut [T])) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    if out.len() <= part {
        return vec![run((0, out))];
    }
    out.par_chunks_mut(part).enumerate().map(run).collect()
}

/// `run` on each part of `out` in order (no feature `parallel`).
#[cfg(not(feature = "parallel"))]
fn parts<T: Send, R: Send>(
    out: &mut [T],
    part: usize,
    run: impl Fn((usize, &mut [T])) -> R + Sync + Send,
) -> Vec<R> {
    out.chunks_mut(part).enumerate().map(run).collect()
}

#[cfg(test)]
thread_local! {
    /// Rows this thread's kernels handed to the reference functions.
    pub(crate) static REFERENCE_ROWS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
