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
//!
//! Legibility: the book shows a figure at most at its nominal width
//! ([`WIDTH`] px) and, on the narrowest phone, at the 300 px of a 320 px
//! screen's column. Every text is at least [`MIN_TEXT`] nominal px, so that
//! it is at least 10 px high there (`cargo xtask browser-check` measures it,
//! and [`figures_text_is_legible_on_a_phone`] checks the files). Legends are
//! drawn above the chart ([`legend_above`]), never over the data.

use super::check_or_bless;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use softmax_cross_entropy::{
    Error,
    gradient::cross_entropy_gradient,
    jacobian::jacobian,
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

/// The nominal (largest displayed) width of every figure, in CSS px.
pub(super) const WIDTH: u32 = 480;

/// The smallest text of a figure, in nominal px: shown 300 px wide (the
/// column of a 320 px phone screen), a `WIDTH`-wide figure is scaled by
/// 300/480, and 17 × 300/480 = 10.6 px.
pub(super) const MIN_TEXT: u32 = 17;

/// The width of the narrowest column that shows a figure: a 320 px screen.
const NARROWEST_COLUMN: f64 = 300.0;

/// How a legend entry shows its series: a line of this style, or a box.
pub(super) enum Swatch {
    /// A short line.
    Line(ShapeStyle),
    /// A filled square.
    Box(RGBColor),
}

/// A caption, then one line per legend entry (its swatch and its label), at
/// the top of `root`, outside the chart; returns the area below them for the
/// chart.
pub(super) fn legend_above<'a>(
    root: &DrawingArea<SVGBackend<'a>, plotters::coord::Shift>,
    caption: &str,
    entries: &[(&str, Swatch)],
) -> Result<DrawingArea<SVGBackend<'a>, plotters::coord::Shift>, Box<dyn std::error::Error>> {
    let titled = root.titled(caption, font(20))?;
    let line = px(MIN_TEXT + 9);
    let (legend, chart) = titled.split_vertically(line * entries.len() as u32 + px(6));
    let style = font(MIN_TEXT)
        .into_text_style(root)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let x = px(66) as i32;
    for (k, (label, swatch)) in entries.iter().enumerate() {
        let y = (line * k as u32 + line / 2) as i32;
        match swatch {
            Swatch::Line(s) => {
                legend.draw(&PathElement::new(vec![(x, y), (x + px(24) as i32, y)], *s))?
            }
            Swatch::Box(c) => legend.draw(&Rectangle::new(
                [
                    (x + px(5) as i32, y - px(7) as i32),
                    (x + px(19) as i32, y + px(7) as i32),
                ],
                c.filled(),
            ))?,
        }
        legend.draw(&Text::new(
            label.to_string(),
            (x + px(32) as i32, y),
            style.clone(),
        ))?;
    }
    Ok(chart)
}

/// The running example of the book: z = (2, 1, 0.1), true class 1.
const RUNNING_Z: [f64; 3] = [2.0, 1.0, 0.1];
const RUNNING_T: [f64; 3] = [1.0, 0.0, 0.0];

/// Figures are drawn at `SCALE` times their display size, so that plotters'
/// integer pixel coordinates are fine enough for smooth curves, and displayed
/// at the nominal size (see [`shrink`]).
const SCALE: u32 = 2;

/// A length of the nominal figure, in drawing pixels.
pub(super) const fn px(v: u32) -> u32 {
    v * SCALE
}

/// Set the displayed size of a drawn SVG to its nominal size; the `viewBox`
/// keeps the drawing coordinates, so the browser scales the drawing down.
pub(super) fn shrink(svg: String) -> String {
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

/// A font of at least `nominal` CSS px at the figure's nominal width.
/// plotters' SVG backend writes `font-size` = size / 1.24 (its em box) and
/// drops the fraction of the size, so this asks for the next whole size
/// above `nominal` × `SCALE` × 1.24.
pub(super) fn font(nominal: u32) -> (&'static str, f64) {
    assert!(
        nominal >= MIN_TEXT,
        "text of {nominal} px is too small on a phone"
    );
    (FONT, (f64::from(nominal * SCALE) * 1.24).ceil())
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
        let root = SVGBackend::with_string(&mut svg, (px(WIDTH), px(440))).into_drawing_area();
        root.fill(&WHITE)?;
        let root = root.titled("P(t = 1 | z) for two classes", font(20))?;
        root.draw_text(
            "P(t = 1 | z) = e^z₁ / (e^z₁ + e^z₂)",
            &font(MIN_TEXT).into_text_style(&root),
            (px(60) as i32, px(2) as i32),
        )?;
        let (plot, bar) = root
            .margin(px(24), px(4), px(4), px(4))
            .split_horizontally(px(380));

        let mut chart = ChartBuilder::on(&plot)
            .margin(px(8))
            .x_label_area_size(px(40))
            .y_label_area_size(px(50))
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
            .axis_desc_style(font(19))
            .label_style(font(MIN_TEXT))
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
            .margin_top(px(8))
            .margin_bottom(px(8 + 40))
            .margin_right(px(4))
            .y_label_area_size(px(62))
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        scale
            .configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .y_labels(6)
            .y_label_formatter(&|v| number(*v))
            .y_desc("P(t = 1 | z)")
            .axis_desc_style(font(MIN_TEXT))
            .label_style(font(MIN_TEXT))
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

/// σ(x) and σ′(x) = σ(x)(1 − σ(x)) over [−10, 10] (chapter 4 calls the
/// logistic function's input x).
fn logistic_figure() -> Drawn {
    const SAMPLES: usize = 200;
    let sigma = grid(-10.0, 10.0, SAMPLES)
        .map(|x| Ok((x, logistic(x)?)))
        .collect::<Result<Vec<_>, Error>>()?;
    let derivative = grid(-10.0, 10.0, SAMPLES)
        .map(|x| Ok((x, logistic_derivative(x)?)))
        .collect::<Result<Vec<_>, Error>>()?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (px(WIDTH), px(400))).into_drawing_area();
        root.fill(&WHITE)?;
        let area = legend_above(
            &root,
            "The logistic function and its derivative",
            &[
                ("σ(x)", Swatch::Line(BLUE.stroke_width(px(3)))),
                (
                    "σ′(x) = σ(x)(1 − σ(x))",
                    Swatch::Line(ORANGE.stroke_width(px(3))),
                ),
            ],
        )?;
        let mut chart = ChartBuilder::on(&area)
            .margin(px(10))
            .margin_right(px(20))
            .x_label_area_size(px(40))
            .y_label_area_size(px(56))
            .build_cartesian_2d(-10.0..10.0, -0.02..1.02)?;
        chart
            .configure_mesh()
            .x_labels(6)
            .y_labels(6)
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.12))
            .x_label_formatter(&|v| number(*v))
            .y_label_formatter(&|v| number(*v))
            .x_desc("x")
            .y_desc("σ(x), σ′(x)")
            .axis_desc_style(font(19))
            .label_style(font(MIN_TEXT))
            .draw()?;
        chart.draw_series(LineSeries::new(sigma, BLUE.stroke_width(px(3))))?;
        chart.draw_series(LineSeries::new(derivative, ORANGE.stroke_width(px(3))))?;
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
        let root = SVGBackend::with_string(&mut svg, (px(WIDTH), px(430))).into_drawing_area();
        root.fill(&WHITE)?;
        let area = legend_above(
            &root,
            "The first output of softmax at (z, 0)",
            &[
                (
                    "naive: e^z / Σ e^z, as in the source",
                    Swatch::Line(ORANGE.mix(0.6).stroke_width(px(8))),
                ),
                (
                    "stable: e^(z − max z) / Σ e^(z − max z)",
                    Swatch::Line(BLUE.stroke_width(px(2))),
                ),
            ],
        )?;
        let mut chart = ChartBuilder::on(&area)
            .margin(px(10))
            .margin_right(px(20))
            .x_label_area_size(px(40))
            .y_label_area_size(px(56))
            .build_cartesian_2d(0.0..Z_MAX, 0.4..1.1)?;
        chart
            .configure_mesh()
            .x_labels(5)
            .y_labels(8)
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.12))
            .x_label_formatter(&|v| number(*v))
            .y_label_formatter(&|v| number(*v))
            .x_desc("z")
            .y_desc("y₁ = e^z / (e^z + e^0)")
            .axis_desc_style(font(19))
            .label_style(font(MIN_TEXT))
            .draw()?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(threshold, 0.4), (Z_MAX, 1.1)],
            DARK_RED.mix(0.12).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            [(threshold, 0.4), (threshold, 1.1)],
            DARK_RED.stroke_width(px(1)),
        ))?;
        chart.draw_series(LineSeries::new(naive, ORANGE.mix(0.6).stroke_width(px(8))))?;
        chart.draw_series(LineSeries::new(stable, BLUE.stroke_width(px(2))))?;
        chart.draw_series(std::iter::once(Cross::new(
            last,
            px(7),
            DARK_RED.stroke_width(px(3)),
        )))?;
        let style = font(MIN_TEXT).into_text_style(&root).color(&DARK_RED);
        for (k, line) in [
            format!("z > {threshold:.2} = ln(largest f64):"),
            "e^z overflows to ∞, and".to_string(),
            "the naive form fails".to_string(),
            "(NumPy: ∞ / ∞ = nan)".to_string(),
        ]
        .iter()
        .enumerate()
        {
            chart.draw_series(std::iter::once(Text::new(
                line.clone(),
                (330.0, 0.9 - 0.065 * k as f64),
                style.clone(),
            )))?;
        }
        root.present()?;
    }
    Ok(shrink(svg))
}

/// A diverging colour scale (ColorBrewer RdBu) in bins of 0.05 of |v|, up to
/// 0.25: blue below zero, red above. The running example's Jacobian entries
/// lie at least 0.005 from every bin edge.
const NEGATIVE: [RGBColor; 5] = [
    RGBColor(0xD1, 0xE5, 0xF0),
    RGBColor(0x92, 0xC5, 0xDE),
    RGBColor(0x43, 0x93, 0xC3),
    RGBColor(0x21, 0x66, 0xAC),
    RGBColor(0x05, 0x30, 0x61),
];
const POSITIVE: [RGBColor; 5] = [
    RGBColor(0xFD, 0xDB, 0xC7),
    RGBColor(0xF4, 0xA5, 0x82),
    RGBColor(0xD6, 0x60, 0x4D),
    RGBColor(0xB2, 0x18, 0x2B),
    RGBColor(0x67, 0x00, 0x1F),
];

/// The bin of a Jacobian entry on the diverging scale, and its colour.
fn diverging(v: f64) -> (usize, RGBColor) {
    assert!(v.abs() < 0.25, "outside the colour scale: {v}");
    let bin = ((v.abs() / 0.05).floor() as usize).min(4);
    (
        bin,
        if v < 0.0 {
            NEGATIVE[bin]
        } else {
            POSITIVE[bin]
        },
    )
}

/// A value with three decimals and a true minus sign.
fn decimals(v: f64, places: usize) -> String {
    format!("{v:.places$}").replace('-', "\u{2212}")
}

/// The softmax Jacobian J = diag(y) − y yᵀ of the running example
/// z = (2, 1, 0.1), as a 3 × 3 heat map with its values, from `jacobian`.
fn running_example_jacobian() -> Drawn {
    let y = softmax(&RUNNING_Z)?;
    let j = jacobian(&y)?;
    let c = RUNNING_Z.len();
    assert_eq!(j.len(), c * c);

    let cell = px(92) as i32;
    let (left, top) = (px(64) as i32, px(88) as i32);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (px(WIDTH), px(372))).into_drawing_area();
        root.fill(&WHITE)?;
        let centred = |size: u32| {
            font(size)
                .into_text_style(&root)
                .pos(Pos::new(HPos::Center, VPos::Center))
        };
        root.draw(&Text::new(
            "Softmax Jacobian ∂yᵢ/∂zⱼ at z = (2, 1, 0.1)",
            (px(WIDTH / 2) as i32, px(14) as i32),
            centred(20),
        ))?;
        root.draw(&Text::new(
            "J = diag(y) − y yᵀ, y = softmax(z)",
            (px(WIDTH / 2) as i32, px(38) as i32),
            centred(MIN_TEXT),
        ))?;
        for k in 0..c {
            let at = left + cell * k as i32 + cell / 2;
            root.draw(&Text::new(
                format!("j = {}", k + 1),
                (at, top - px(14) as i32),
                centred(18),
            ))?;
            root.draw(&Text::new(
                format!("i = {}", k + 1),
                (left - px(30) as i32, top + cell * k as i32 + cell / 2),
                centred(18),
            ))?;
        }
        for row in 0..c {
            for col in 0..c {
                let v = j[row * c + col];
                let (bin, colour) = diverging(v);
                let (x, y0) = (left + cell * col as i32, top + cell * row as i32);
                root.draw(&Rectangle::new(
                    [(x, y0), (x + cell, y0 + cell)],
                    colour.filled(),
                ))?;
                root.draw(&Rectangle::new(
                    [(x, y0), (x + cell, y0 + cell)],
                    WHITE.stroke_width(px(1)),
                ))?;
                let ink = if bin >= 2 { WHITE } else { BLACK };
                root.draw(&Text::new(
                    decimals(v, 3),
                    (x + cell / 2, y0 + cell / 2),
                    centred(18).color(&ink),
                ))?;
            }
        }
        // The colour scale: ten bins from −0.25 (bottom) to 0.25 (top).
        let (bar_x, bar_w, bin_h) = (px(370) as i32, px(22) as i32, px(27) as i32);
        let bar_top = top;
        let colours: Vec<RGBColor> = POSITIVE
            .iter()
            .rev()
            .chain(NEGATIVE.iter())
            .copied()
            .collect();
        for (k, colour) in colours.iter().enumerate() {
            let y0 = bar_top + bin_h * k as i32;
            root.draw(&Rectangle::new(
                [(bar_x, y0), (bar_x + bar_w, y0 + bin_h)],
                colour.filled(),
            ))?;
        }
        let label = font(MIN_TEXT)
            .into_text_style(&root)
            .pos(Pos::new(HPos::Left, VPos::Center));
        for (k, v) in [0.2, 0.1, 0.0, -0.1, -0.2].iter().enumerate() {
            let y0 = bar_top + bin_h * (1 + 2 * k as i32);
            root.draw(&PathElement::new(
                vec![(bar_x + bar_w, y0), (bar_x + bar_w + px(4) as i32, y0)],
                BLACK.stroke_width(px(1)),
            ))?;
            root.draw(&Text::new(
                decimals(*v, 1),
                (bar_x + bar_w + px(8) as i32, y0),
                label.clone(),
            ))?;
        }
        root.present()?;
    }
    Ok(shrink(svg))
}

/// y = softmax(z), the one-hot target t and the gradient y − t of the
/// running example, as grouped bars, from `softmax` and
/// `cross_entropy_gradient`.
fn running_example_gradient() -> Drawn {
    let y = softmax(&RUNNING_Z)?;
    let g = cross_entropy_gradient(&y, &RUNNING_T)?;
    const GREY: RGBColor = RGBColor(0x88, 0x88, 0x88);
    let series: [(&str, &[f64], RGBColor); 3] = [
        ("y = softmax(z)", &y, BLUE),
        ("t (true class 1)", &RUNNING_T, GREY),
        ("y − t = ∂ξ/∂z", &g, DARK_RED),
    ];
    const BAR: f64 = 0.26;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (px(WIDTH), px(440))).into_drawing_area();
        root.fill(&WHITE)?;
        let entries: Vec<(&str, Swatch)> = series
            .iter()
            .map(|(name, _, colour)| (*name, Swatch::Box(*colour)))
            .collect();
        let area = legend_above(
            &root,
            "y, t and the gradient y − t at z = (2, 1, 0.1)",
            &entries,
        )?;
        let mut chart = ChartBuilder::on(&area)
            .margin(px(10))
            .x_label_area_size(px(40))
            .y_label_area_size(px(56))
            .build_cartesian_2d(0.5..3.5, -0.5..1.2)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(3)
            .y_labels(6)
            .max_light_lines(0)
            .bold_line_style(BLACK.mix(0.12))
            .x_label_formatter(&|v| format!("c = {v:.0}"))
            .y_label_formatter(&|v| number(*v))
            .x_desc("class c")
            .axis_desc_style(font(19))
            .label_style(font(MIN_TEXT))
            .draw()?;
        chart.draw_series(LineSeries::new(
            [(0.5, 0.0), (3.5, 0.0)],
            BLACK.stroke_width(px(1)),
        ))?;
        for (s, (_, values, colour)) in series.iter().enumerate() {
            let offset = (s as f64 - 1.0) * BAR;
            chart.draw_series(values.iter().enumerate().map(|(k, &v)| {
                let x = k as f64 + 1.0 + offset;
                Rectangle::new([(x - BAR / 2.0, 0.0), (x + BAR / 2.0, v)], colour.filled())
            }))?;
            if s == 1 {
                continue; // t is 1 or 0: the bars say it
            }
            let style = font(MIN_TEXT)
                .into_text_style(&root)
                .pos(Pos::new(HPos::Center, VPos::Center));
            chart.draw_series(values.iter().enumerate().map(|(k, &v)| {
                let x = k as f64 + 1.0 + offset;
                let y_text = if v >= 0.0 { v + 0.07 } else { v - 0.07 };
                Text::new(decimals(v, 2), (x, y_text), style.clone())
            }))?;
        }
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
fn figure_running_example_jacobian_is_fresh() {
    check("running-example-jacobian.svg", running_example_jacobian());
}

#[test]
fn figure_running_example_gradient_is_fresh() {
    check("running-example-gradient.svg", running_example_gradient());
}

/// Every text of every figure is at least 10 px high when the figure is
/// shown 300 px wide (the text column of a 320 px phone screen).
#[test]
fn figures_text_is_legible_on_a_phone() {
    for (name, drawn) in [
        ("two-class-probability", two_class_probability()),
        ("logistic", logistic_figure()),
        ("naive-overflow", naive_overflow()),
        ("running-example-jacobian", running_example_jacobian()),
        ("running-example-gradient", running_example_gradient()),
    ] {
        let svg = drawn.unwrap_or_else(|e| panic!("cannot draw {name}: {e}"));
        let view_width: f64 = attribute(&svg, "viewBox=\"0 0 ")
            .split(' ')
            .next()
            .and_then(|w| w.parse().ok())
            .expect("a viewBox");
        let sizes: Vec<f64> = svg
            .match_indices("font-size=\"")
            .map(|(at, _)| {
                attribute(&svg[at..], "font-size=\"")
                    .parse()
                    .expect("a size")
            })
            .collect();
        assert!(!sizes.is_empty(), "{name} has no text");
        let smallest =
            sizes.iter().copied().fold(f64::INFINITY, f64::min) * NARROWEST_COLUMN / view_width;
        assert!(
            smallest >= 10.0,
            "{name}: the smallest text is {smallest:.1} px high at {NARROWEST_COLUMN} px wide"
        );
    }
}

/// The value after `prefix` up to the next `"`.
fn attribute<'a>(text: &'a str, prefix: &str) -> &'a str {
    let start = text.find(prefix).expect("the attribute") + prefix.len();
    let len = text[start..].find('"').expect("a closing quote");
    &text[start..start + len]
}

#[test]
fn figures_are_deterministic() {
    // Drawing twice gives the same bytes (no clock, no random ids, no hash order).
    assert_eq!(
        two_class_probability().unwrap(),
        two_class_probability().unwrap()
    );
    assert_eq!(naive_overflow().unwrap(), naive_overflow().unwrap());
    assert_eq!(
        running_example_jacobian().unwrap(),
        running_example_jacobian().unwrap()
    );
}
