//! The display equations that state notation rather than a value, so that
//! there is nothing to evaluate. Each has its reason; the appendix shows it.
//! Everything else is checked from its LaTeX, and this list must stay short
//! (the test `nine_in_ten_equations_are_checked` keeps it so).

/// Anchor, and why the equation is not evaluated.
pub const LISTED: &[(&str, &str)] = &[
    (
        "eq-likelihood-argmax",
        "an argmax over the parameters θ: it names the training objective, it has no sides to compare",
    ),
    (
        "eq-joint-conditional",
        "the product rule of probability for P(t, z | θ): a definition; the book models only P(t | z)",
    ),
    (
        "eq-likelihood-reduction",
        "argmaxes over θ of distributions of the data x, which the book does not model; the tests below it check the claim on examples",
    ),
    (
        "eq-exp-range-reduction",
        "its clause e^r ≈ 1 + r + r² P(r) names a minimax polynomial P whose coefficients the text does not give, and ln 2_hi, ln 2_lo are floats the text describes only in words, so the LaTeX does not fix the values to compare; the exp tests below it measure the kernel in ulps against a higher-precision reference",
    ),
    (
        "eq-log1p-normalizer",
        "the correction ρ/β is the rounding error of 1 + x over β = fl(1 + x), at most 2^-53 relative: a float evaluation rounds 1 + x itself, so it could not fail on that term; in exact arithmetic the approximation holds only to (ρ/β)^2/2 ≤ 2^-107, as ln(1 + ρ/β) ≈ ρ/β; the ln_1p tests below it measure the kernel in ulps against the oracle",
    ),
];

/// The reason an equation is not checked, if it is listed.
pub fn reason(anchor: &str) -> Option<&'static str> {
    LISTED.iter().find(|(a, _)| *a == anchor).map(|(_, r)| *r)
}
