//! The book's figures, drawn from the library's own functions with plotters'
//! SVG backend into `book/figures/`.
//!
//! Determinism: the SVG backend writes integer pixel coordinates and
//! `<text>` elements (no font files: without the `ttf` feature plotters only
//! *estimates* text extents from the character count, and the browser draws
//! the glyphs), so the output depends only on the computed values. Every
//! value is a library call at a fixed sample point; colours are quantized to
//! a ten-level scale whose boundaries lie far from the sampled values, so a
//! last-bit difference of `exp` between platforms cannot change a byte.

use super::check_or_bless;
use plotters::prelude::*;
use softmax_cross_entropy::{
    Error,
    logistic::{logistic, logistic_derivative},
    softmax::{softmax, softmax_naive},
};

type Drawn = Result<String, Box<dyn std::error::Error>>;

const FONT: &str = "sans-serif";

/// A ten-level sequential colour scale (viridis, sampled at the level
/// midpoints), light for P ≈ 1 so the text on the plot stays readable.
const LEVELS: [RGBColor; 10] = [
    RGBColor(0x48, 0x18, 0x6A),
    RGBColor(0x47, 0x2D, 0x7B),
    RGBColor(0x3B, 0x52, 0x8B),
    RGBColor(0x2C, 0x72, 0x8E),
    RGBColor(0x21, 0x91, 0x8C),
    RGBColor(0x28, 0xAE, 0x80),
    RGBColor(0x5E, 0xC9, 0x62),
    RGBColor(0xAD, 0xDC, 0x30),
    RGBColor(0xD8, 0xE2, 0x19),
    RGBColor(0xFD, 0xE7, 0x25),
];

const BLUE: RGBColor = RGBColor(0x1F, 0x77, 0xB4);
const ORANGE: RGBColor = RGBColor(0xFF, 0x7F, 0x0E);
const DARK_RED: RGBColor = RGBColor(0xC0, 0x1C, 0x28);

/// Figures are drawn at `SCALE` times their display size, so that plotters'
/// integer pixel coordinates are fine enough for smooth curves, and displayed
/// at the nominal size (see [`shrink`]).
const SCALE: u32 = 2;

/// A length of the nominal figure, in drawing pixels.
const fn px(v: u32) -> u32 {
    v * SCALE
}

/// Set the displayed size of a drawn SVG to its nominal size; the `viewBox`
/// keeps the drawing coordinates, so the browser scales the drawing down.
fn shrink(svg: String) -> String {
    let header_end = svg.find('>').expect("an <svg> header");
    let header = &svg[..header_end];
    let size = |name: &str| -> u32 {
        let start = header
            .find(&format!("{name}=\""))
            .expect("a size attribute")
            + name.len()
            + 2;
        let len = header[start..].find('"').expect("a closing quote");
        header[start..start + len].parse().expect("an integer size")
    };
    let (w, h) = (size("width"), size("height"));
    let old = format!("width=\"{w}\" height=\"{h}\"");
    let new = format!("width=\"{}\" height=\"{}\"", w / SCALE, h / SCALE);
    assert!(header.contains(&old), "unexpected SVG header: {header}");
    svg.replacen(&old, &new, 1)
}

/// Axis numbers with a true minus sign and no trailing `.0`.
fn number(v: f64) -> String {
    let s = if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    };
    s.replace('-', "\u{2212}")
}

/// `n + 1` equally spaced points of `[a, b]`, endpoints exact.
fn grid(a: f64, b: f64, n: usize) -> impl Iterator<Item = f64> {
    (0..=n).map(move |k| {
        if k == n {
            b
        } else {
            a + (b - a) * k as f64 / n as f64
        }
    })
}

/// The ten-level colour index of a probability.
fn level(p: f64) -> usize {
    assert!((0.0..=1.0).contains(&p), "not a probability: {p}");
    ((p * 10.0).floor() as usize).min(9)
}

/// P(t = 1 | z) = softmax([z₁, z₂])₁ over [−10, 10]², as a heatmap of 60 × 60
/// cells. Horizontally adjacent cells of the same colour level are drawn as one
/// rectangle, which keeps the file small without changing a pixel.
fn two_class_probability() -> Drawn {
    const CELLS: usize = 60;
    const RANGE: f64 = 10.0;
    let step = 2.0 * RANGE / CELLS as f64;
    let edge = |k: usize| -RANGE + step * k as f64;

    // The colour level of every cell, row by row (z₂), from the library.
    let mut rows = Vec::with_capacity(CELLS);
    for j in 0..CELLS {
        let z2 = edge(j) + step / 2.0;
        let mut row = Vec::with_capacity(CELLS);
        for i in 0..CELLS {
            let z1 = edge(i) + step / 2.0;
            row.push(level(softmax(&[z1, z2])?[0]));
        }
        rows.push(row);
    }

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (px(720), px(600))).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled("P(t = 1 | z) for two classes, z = [z₁, z₂]", (FONT, px(24)))?;
        root.draw_text(
            "P(t = 1 | z) = e^z₁ / (e^z₁ + e^z₂) = softmax(&[z₁, z₂])[0];  P(t = 2 | z) = 1 − P(t = 1 | z)",
            &(FONT, px(15)).into_text_style(&root),
            (px(40) as i32, px(4) as i32),
        )?;
        let (plot, bar) = root
            .margin(px(26), px(6), px(6), px(6))
            .split_horizontally(px(590));

        let mut chart = ChartBuilder::on(&plot)
            .margin(px(12))
            .x_label_area_size(px(46))
            .y_label_area_size(px(56))
            .build_cartesian_2d(-RANGE..RANGE, -RANGE..RANGE)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| number(*v))
            .y_label_formatter(&|v| number(*v))
            .x_desc("z₁")
            .y_desc("z₂")
            .axis_desc_style((FONT, px(20)))
            .label_style((FONT, px(15)))
            .draw()?;
        let mut rects = Vec::new();
        for (j, row) in rows.iter().enumerate() {
            let mut start = 0;
            for i in 1..=CELLS {
                if i == CELLS || row[i] != row[start] {
                    // Each rectangle reaches half a cell into the next run
                    // and the next row, which are drawn later over it: no
                    // anti-aliasing seam between cells at any display scale.
                    let right = if i == CELLS {
                        edge(i)
                    } else {
                        edge(i) + step / 2.0
                    };
                    let top = if j + 1 == CELLS {
                        edge(j + 1)
                    } else {
                        edge(j + 1) + step / 2.0
                    };
                    rects.push(Rectangle::new(
                        [(edge(start), edge(j)), (right, top)],
                        LEVELS[row[start]].filled(),
                    ));
                    start = i;
                }
            }
        }
        chart.draw_series(rects)?;

        let mut scale = ChartBuilder::on(&bar)
            .margin_top(px(12))
            .margin_bottom(px(12 + 46))
            .margin_right(px(4))
            .y_label_area_size(px(62))
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        scale
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(11)
            .y_label_formatter(&|v| number(*v))
            .y_desc("P(t = 1 | z)")
            .axis_desc_style((FONT, px(16)))
            .label_style((FONT, px(13)))
            .draw()?;
        scale.draw_series(LEVELS.iter().enumerate().map(|(k, c)| {
            Rectangle::new(
                [(0.0, k as f64 / 10.0), (1.0, (k + 1) as f64 / 10.0)],
                c.filled(),
            )
        }))?;
        root.present()?;
    }
    Ok(shrink(svg))
}

/// σ(z) and σ(z)(1 − σ(z)) over [−10, 10].
fn logistic_figure() -> Drawn {
    const SAMPLES: usize = 200;
    let sigma = grid(-10.0, 10.0, SAMPLES)
        .map(|z| Ok((z, logistic(z)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let derivative = grid(-10.0, 10.0, SAMPLES)
        .map(|z| Ok((z, logistic_derivative(z)?)))
        .collect::<Result<Vec<_>, Error>>()?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (px(720), px(480))).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("The logistic function and its derivative", (FONT, px(24)))
            .margin(px(16))
            .x_label_area_size(px(46))
            .y_label_area_size(px(56))
            .build_cartesian_2d(-10.0..10.0, -0.02..1.02)?;
        chart
            .configure_mesh()
            .x_labels(11)
            .y_labels(6)
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.12))
            .x_label_formatter(&|v| number(*v))
            .y_label_formatter(&|v| number(*v))
            .x_desc("z")
            .axis_desc_style((FONT, px(20)))
            .label_style((FONT, px(15)))
            .draw()?;
        chart
            .draw_series(LineSeries::new(sigma, BLUE.stroke_width(px(3))))?
            .label("σ(z) = logistic(z)")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(24) as i32, y)],
                    BLUE.stroke_width(px(3)),
                )
            });
        chart
            .draw_series(LineSeries::new(derivative, ORANGE.stroke_width(px(3))))?
            .label("σ(z)(1 − σ(z)) = logistic_derivative(z)")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(24) as i32, y)],
                    ORANGE.stroke_width(px(3)),
                )
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .margin(px(12))
            .legend_area_size(px(34))
            .label_font((FONT, px(15)))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        root.present()?;
    }
    Ok(shrink(svg))
}

/// The naive formula next to the stable one on z = [z, 0], z ∈ [0, 800]: the
/// naive one stops where e^z overflows f64.
fn naive_overflow() -> Drawn {
    const SAMPLES: usize = 400;
    const Z_MAX: f64 = 800.0;
    let stable = grid(0.0, Z_MAX, SAMPLES)
        .map(|z| Ok((z, softmax(&[z, 0.0])?[0])))
        .collect::<Result<Vec<_>, Error>>()?;
    let mut naive = Vec::new();
    let mut first_error = None;
    for z in grid(0.0, Z_MAX, SAMPLES) {
        match softmax_naive(&[z, 0.0]) {
            Ok(y) => naive.push((z, y[0])),
            Err(e) => {
                assert_eq!(
                    e,
                    Error::Overflow { index: 0, value: z },
                    "unexpected error"
                );
                first_error = Some(z);
                break;
            }
        }
    }
    let (mut ok, mut err) = (
        naive.last().ok_or("naive never works")?.0,
        first_error.ok_or("naive never overflows")?,
    );
    // Bisect the threshold with the library itself: the largest z where the
    // naive formula still returns a value.
    while ok < err {
        let mid = ok + (err - ok) / 2.0;
        if mid == ok || mid == err {
            break;
        }
        if softmax_naive(&[mid, 0.0]).is_ok() {
            ok = mid;
        } else {
            err = mid;
        }
    }
    let threshold = ok;
    assert!(
        (709.0..710.0).contains(&threshold),
        "ln(f64::MAX) ≈ 709.78, got {threshold}"
    );
    let last = *naive.last().ok_or("no naive value")?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (px(720), px(480))).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                "First output of softmax([z, 0]): naive vs stable",
                (FONT, px(24)),
            )
            .margin(px(16))
            .x_label_area_size(px(46))
            .y_label_area_size(px(56))
            .build_cartesian_2d(0.0..Z_MAX, 0.4..1.1)?;
        chart
            .configure_mesh()
            .x_labels(9)
            .y_labels(8)
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.12))
            .x_label_formatter(&|v| number(*v))
            .y_label_formatter(&|v| number(*v))
            .x_desc("z")
            .y_desc("y₁ = e^z / (e^z + e^0)")
            .axis_desc_style((FONT, px(18)))
            .label_style((FONT, px(15)))
            .draw()?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(threshold, 0.4), (Z_MAX, 1.1)],
            DARK_RED.mix(0.12).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            [(threshold, 0.4), (threshold, 1.1)],
            DARK_RED.stroke_width(px(1)),
        ))?;
        chart
            .draw_series(LineSeries::new(naive, ORANGE.mix(0.6).stroke_width(px(8))))?
            .label("softmax_naive: e^z / Σ e^z, as in the source")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(24) as i32, y)],
                    ORANGE.mix(0.6).stroke_width(px(8)),
                )
            });
        chart
            .draw_series(LineSeries::new(stable, BLUE.stroke_width(px(2))))?
            .label("softmax: e^(z − max z) / Σ e^(z − max z)")
            .legend(|(x, y)| {
                PathElement::new(
                    vec![(x, y), (x + px(24) as i32, y)],
                    BLUE.stroke_width(px(2)),
                )
            });
        chart.draw_series(std::iter::once(Cross::new(
            last,
            px(9),
            DARK_RED.stroke_width(px(3)),
        )))?;
        let style = (FONT, px(15)).into_text_style(&root).color(&DARK_RED);
        for (k, line) in [
            format!("z > {threshold:.2} = ln(f64::MAX):"),
            "e^z = inf, softmax_naive".to_string(),
            "returns Err(Overflow)".to_string(),
            "(NumPy: inf / inf = nan)".to_string(),
        ]
        .iter()
        .enumerate()
        {
            chart.draw_series(std::iter::once(Text::new(
                line.clone(),
                (455.0, 0.8 - 0.045 * k as f64),
                style.clone(),
            )))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .margin(px(14))
            .legend_area_size(px(34))
            .label_font((FONT, px(15)))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .draw()?;
        root.present()?;
    }
    Ok(shrink(svg))
}

fn check(name: &str, drawn: Drawn) {
    let svg = drawn.unwrap_or_else(|e| panic!("cannot draw {name}: {e}"));
    assert!(
        svg.len() < 80_000,
        "{name} is {} bytes: keep figures small",
        svg.len()
    );
    check_or_bless(&format!("book/figures/{name}"), &svg);
}

#[test]
fn figure_two_class_probability_is_fresh() {
    check("two-class-probability.svg", two_class_probability());
}

#[test]
fn figure_logistic_is_fresh() {
    check("logistic.svg", logistic_figure());
}

#[test]
fn figure_naive_overflow_is_fresh() {
    check("naive-overflow.svg", naive_overflow());
}

#[test]
fn figures_are_deterministic() {
    // Drawing twice gives the same bytes (no clock, no random ids, no hash order).
    assert_eq!(
        two_class_probability().unwrap(),
        two_class_probability().unwrap()
    );
    assert_eq!(naive_overflow().unwrap(), naive_overflow().unwrap());
}
