//! The numbers and the figure of the chapter "How accurate is each function"
//! (`book/accuracy.md`), regenerated from the oracle.
//!
//! - The table between the markers `<!-- accuracy-table:begin -->` and
//!   `<!-- accuracy-table:end -->`: the largest measured error of each
//!   function and type over a fixed-seed run of every adversarial category
//!   ([`TABLE_CASES`] cases each) and the tiled batches. Fixed seeds make it
//!   deterministic, so that `cargo test` fails when the committed numbers are
//!   stale and `cargo xtask bless` rewrites them.
//! - `book/figures/accuracy-two-class-loss.svg`: the ulp error of the loss
//!   `−log ς([0, −d])₀` against `d` in `f64` for the source's naive form, the
//!   former stable form and the library's form.

use super::check_or_bless;
use super::figures::{MIN_TEXT, Swatch, WIDTH, font, legend_above, px, shrink};
use crate::accuracy::batch::batch_case;
use crate::accuracy::generators::{Category, case, log_uniform_count, target};
use crate::accuracy::measure::{
    Stat, Tally, ULP_BOUND, absolute_bound, absolute_test_bound, logits_case, ulp_bound,
};
use crate::oracle::{Logits, Measured, ulp_error_f64};
use plotters::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use softmax_cross_entropy::cross_entropy::{cross_entropy_class, cross_entropy_from_logits_class};
use softmax_cross_entropy::softmax::softmax_naive;

/// Cases per category and type in the table's fixed-seed run.
pub const TABLE_CASES: u32 = 16;

const CHAPTER: &str = "book/accuracy.md";
const BEGIN: &str = "<!-- accuracy-table:begin -->";
const END: &str = "<!-- accuracy-table:end -->";

fn fixed_runner() -> TestRunner {
    TestRunner::new_with_rng(
        Config {
            cases: TABLE_CASES,
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    )
}

/// The fixed-seed run for one type: every category, then tiled batches.
fn measure_type<T: Measured>(tally: &mut Tally) {
    for category in Category::ALL {
        let mut runner = fixed_runner();
        let cell = std::cell::RefCell::new(Tally::default());
        runner
            .run(&case::<T>(category), |(z, k, t)| {
                logits_case(&z, k, &t, &mut cell.borrow_mut());
                Ok(())
            })
            .unwrap();
        tally.merge(cell.into_inner());
    }
    let batches =
        (1..=4_usize, 1..=6_usize, log_uniform_count(1, 4096)).prop_flat_map(|(n, c, r)| {
            (
                Just(c),
                prop::collection::vec(
                    Category::Scaled
                        .logits::<T>()
                        .prop_map(move |z| (0..c).map(|i| z[i % z.len()]).collect::<Vec<T>>()),
                    n,
                ),
                prop::collection::vec(target::<T>(c), n),
                prop::collection::vec(0..c, n),
                Just(r),
            )
        });
    let cell = std::cell::RefCell::new(Tally::default());
    fixed_runner()
        .run(&batches, |(c, z, t, labels, r)| {
            batch_case(
                c,
                &z.concat(),
                &t.concat(),
                &labels,
                r,
                &mut cell.borrow_mut(),
            );
            Ok(())
        })
        .unwrap();
    tally.merge(cell.into_inner());
}

/// The measured table, as Markdown.
pub fn table() -> String {
    // The two types in parallel (each run has its own fixed seeds, and the
    // tally keeps maxima, so the result does not depend on the order).
    let (mut tally, other) = std::thread::scope(|scope| {
        let f32_run = scope.spawn(|| {
            let mut t = Tally::default();
            measure_type::<f32>(&mut t);
            t
        });
        let mut t = Tally::default();
        measure_type::<f64>(&mut t);
        (f32_run.join().expect("the f32 run"), t)
    });
    tally.merge(other);
    assert!(
        tally.violations.is_empty(),
        "{:#?}",
        &tally.violations[..tally.violations.len().min(5)]
    );
    // Every public float function, in the order of the book's chapters.
    let functions = [
        "softmax",
        "log_sum_exp",
        "log_softmax",
        "jacobian",
        "jacobian_element",
        "softmax_derivative_same",
        "softmax_derivative_cross",
        "vector_jacobian_product",
        "likelihood",
        "negative_log_likelihood",
        "cross_entropy",
        "cross_entropy_class",
        "cross_entropy_from_logits",
        "cross_entropy_from_logits_class",
        "logistic",
        "logistic_derivative",
        "binary_cross_entropy",
        "binary_cross_entropy_from_logit",
        "batch_cross_entropy_from_logits",
        "batch_cross_entropy_from_logits_classes",
        "batch_gradient_from_logits",
        "cross_entropy_gradient",
        "cross_entropy_gradient_from_logits",
        "cross_entropy_gradient_general",
    ];
    let ulps = |s: Option<&Stat>| match s {
        Some(s) if s.samples > 0 => format!("{:.2}", s.max_ulps),
        _ => "–".to_string(),
    };
    let abs = |s: Option<&Stat>| match s {
        Some(s) if s.ill_samples > 0 => format!("{:.2}", s.max_abs),
        _ => "–".to_string(),
    };
    // Two narrow tables rather than one wide one, so that each fits the
    // text column: the relative bound in ulp, then the absolute bound of the
    // ill-conditioned forms. "test" is the bound `cargo test` holds the
    // function to (its long-run worst case with a margin), "promise" the one
    // its documentation states.
    let mut relative = String::new();
    relative.push_str("| function | max ulp, `f32` | `f64` | test | promise |\n");
    relative.push_str("|---|---:|---:|---:|---:|\n");
    let mut absolute = String::new();
    absolute.push_str("| function | where | unit | max, `f32` | `f64` | test | promise |\n");
    absolute.push_str("|---|---|---|---:|---:|---:|---:|\n");
    let mut samples = 0;
    for f in functions {
        let s32 = tally.stats.get(&(f, "f32"));
        let s64 = tally.stats.get(&(f, "f64"));
        samples += s32.map_or(0, |s| s.samples + s.ill_samples)
            + s64.map_or(0, |s| s.samples + s.ill_samples);
        let measured_ulps = |s: Option<&Stat>| s.is_some_and(|s| s.samples > 0);
        if measured_ulps(s32) || measured_ulps(s64) {
            relative.push_str(&format!(
                "| `{f}` | {} | {} | {} | {ULP_BOUND} |\n",
                ulps(s32),
                ulps(s64),
                ulp_bound(f)
            ));
        }
        let (place, unit) = match f {
            "log_sum_exp" => ("m < 0 and log S > \\|lse\\|", "ε · log S"),
            "cross_entropy_gradient_from_logits" => (
                "soft targets, \\|y_c − t_c\\| < max(y_c, t_c)/2",
                "ε · max(y_c, t_c)",
            ),
            "cross_entropy_gradient_general" => ("everywhere", "ε · max(y_i Σt, t_i)"),
            "vector_jacobian_product" => ("everywhere", "ε · y_j (\\|v_j\\| + Σ\\|y_i v_i\\|)"),
            "batch_cross_entropy_from_logits" | "batch_cross_entropy_from_logits_classes" => (
                "N_sub rows with a subnormal loss",
                "N_sub · smallest subnormal",
            ),
            "likelihood" => ("while Π y^t is a normal float", "ε · C · Π y^t"),
            "negative_log_likelihood" => ("while Π y^t is a normal float", "ε · (C + ξ)"),
            _ => continue,
        };
        absolute.push_str(&format!(
            "| `{f}` | {place} | {unit} | {} | {} | {} | {} |\n",
            abs(s32),
            abs(s64),
            absolute_test_bound(f),
            absolute_bound(f)
        ));
    }
    let mut out = relative;
    out.push_str("\nWhere the formula itself is ill-conditioned, the bound is absolute:\n\n");
    out.push_str(&absolute);
    out.push_str(&format!(
        "\n{} categories × 2 types × {TABLE_CASES} cases (fixed seeds), plus {TABLE_CASES} tiled batches per type: {samples} measured results.\n",
        Category::ALL.len()
    ));
    out
}

/// The chapter with its table region replaced by `table`.
fn with_table(chapter: &str, table: &str) -> String {
    let begin = chapter
        .find(BEGIN)
        .expect("the chapter has the table's begin marker")
        + BEGIN.len();
    let end = chapter
        .find(END)
        .expect("the chapter has the table's end marker");
    format!("{}\n\n{table}\n{}", &chapter[..begin], &chapter[end..])
}

#[test]
fn accuracy_table_is_fresh() {
    let chapter = std::fs::read_to_string(super::root().join(CHAPTER)).expect("book/accuracy.md");
    check_or_bless(CHAPTER, &with_table(&chapter, &table()));
}

/// The three forms of `−log ς([0, −d])₀ = log(1 + e^{−d})` in `f64`.
fn forms(d: f64) -> [f64; 3] {
    let z = [0.0, -d];
    // The source: np.exp(z) / np.sum(np.exp(z)), then −log of the first entry.
    let naive =
        softmax_naive(&z).map_or(f64::NAN, |y| cross_entropy_class(&y, 0).unwrap_or(f64::NAN));
    // The former stable form: 0 − ((z₀ − m) − ln Σ e^{z − m}), the sum folded
    // left to right, with m = z₀ = 0.
    let m = z[0];
    let sum = z.iter().fold(0.0, |s, &x| s + (x - m).exp());
    let former = 0.0 - ((z[0] - m) - sum.ln());
    let library = cross_entropy_from_logits_class(&z, 0).unwrap();
    [naive, former, library]
}

/// The figure's curves: ulp error (floored at 10⁻²) against `d`.
fn curves() -> [Vec<(f64, f64)>; 3] {
    let mut out: [Vec<(f64, f64)>; 3] = Default::default();
    for k in 1..=240 {
        let d = k as f64 * 0.25;
        let truth = Logits::new(&[0.0, -d]).cross_entropy_class(0);
        for (curve, got) in out.iter_mut().zip(forms(d)) {
            curve.push((d, ulp_error_f64(got, &truth).clamp(1e-2, 1e18)));
        }
    }
    out
}

fn figure() -> Result<String, Box<dyn std::error::Error>> {
    let [naive, former, library] = curves();
    let mut svg = String::new();
    {
        // The book's figure style (artifacts::figures): drawn at twice the
        // nominal 480 px width, with text that stays 10 px high on a phone.
        let root = SVGBackend::with_string(&mut svg, (px(WIDTH), px(480))).into_drawing_area();
        root.fill(&WHITE)?;
        let styles = [
            (
                naive,
                RGBColor(0xFF, 0x7F, 0x0E),
                "naive: −log(e⁰ / (e⁰ + e^−d))",
            ),
            (
                former,
                RGBColor(0xC0, 0x1C, 0x28),
                "former: log(fl(1 + e^−d))",
            ),
            (library, RGBColor(0x1F, 0x77, 0xB4), "now: log1p(e^−d)"),
        ];
        let entries: Vec<(&str, Swatch)> = styles
            .iter()
            .map(|(_, color, label)| (*label, Swatch::Line(color.stroke_width(px(2)))))
            .collect();
        // The legend above the chart, outside the data.
        let area = legend_above(&root, "Error of log(1 + e^−d) in f64", &entries)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(px(8))
            .margin_right(px(20))
            .x_label_area_size(px(44))
            .y_label_area_size(px(58))
            .build_cartesian_2d(0.0..60.0, (1e-2..1e18).log_scale())?;
        chart
            .configure_mesh()
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.12))
            .x_labels(7)
            .y_labels(6)
            .y_label_formatter(&|v: &f64| format!("1e{}", v.log10().round()))
            .x_desc("d")
            .y_desc("error (ulp)")
            .axis_desc_style(font(19))
            .label_style(font(MIN_TEXT))
            .draw()?;
        let bound = RGBColor(0x55, 0x55, 0x55);
        chart.draw_series(LineSeries::new(
            [(0.0, ULP_BOUND), (60.0, ULP_BOUND)],
            bound.stroke_width(px(1)),
        ))?;
        for (points, color, _) in styles {
            chart.draw_series(LineSeries::new(points, color.stroke_width(px(1))))?;
        }
        root.present()?;
    }
    Ok(shrink(svg))
}

#[test]
fn figure_accuracy_two_class_loss_is_fresh() {
    let svg = figure().expect("the accuracy figure draws");
    assert!(svg.len() < 80_000, "the figure is {} bytes", svg.len());
    check_or_bless("book/figures/accuracy-two-class-loss.svg", &svg);
}

/// The figure's claims: the library's form stays within the bound for every
/// `d`; the two other forms leave it, and reach a loss of exactly 0 (an error
/// of the whole value) from `d = 37` on.
#[test]
fn accuracy_figure_claims() {
    let [naive, former, library] = curves();
    assert!(library.iter().all(|&(_, e)| e <= ULP_BOUND), "{library:?}");
    for curve in [naive, former] {
        assert!(curve.iter().any(|&(_, e)| e > 1e3));
        assert!(
            curve
                .iter()
                .filter(|&&(d, _)| d >= 37.0)
                .all(|&(_, e)| e >= 1e15)
        );
    }
    assert_eq!(forms(37.0)[1], 0.0);
}
