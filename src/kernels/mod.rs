//! The fast kernels, one module per idea. The public ones are re-exported
//! at the crate root under their old paths: [`crate::fused`] (the public
//! functions), [`crate::vector_math`] (the exponential and the logarithm)
//! and [`crate::online_normalizer`] (the one-pass normalizer of the book).
//!
//! Dependencies run one way, from the public functions down:
//! `fused` → `finish` → `rows` → `row_sum` → `float` → `lanes`,
//! `vector_math` → `dispatch` → `mul_add`; `compensated` at the bottom.

mod compensated;
mod dispatch;
mod finish;
mod float;
pub mod fused;
mod lanes;
mod mul_add;
pub mod online_normalizer;
mod row_sum;
mod rows;
pub mod vector_math;

#[cfg(test)]
mod tests;
