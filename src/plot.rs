//! Plots of training logs and evaluation results, drawn with plotters: PNG for the model card,
//! SVG for pages. Text uses the bundled DejaVu Sans, so a plot looks the same on every machine.

use crate::error::{Error, Result};
use plotters::prelude::*;
use plotters::style::FontStyle;

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

fn fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font, checked by the tests.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// One named series of (x, y) points.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// The columns of a CSV log with a header line, by name.
pub struct Log {
    header: Vec<String>,
    rows: Vec<Vec<f64>>,
}

impl Log {
    pub fn parse(text: &str) -> Result<Log> {
        let bad = |m: String| Error::BadOption(format!("training log: {m}"));
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header: Vec<String> = lines
            .next()
            .ok_or_else(|| bad("it is empty".into()))?
            .split(',')
            .map(|h| h.trim().to_string())
            .collect();
        let rows = lines
            .enumerate()
            .map(|(i, line)| {
                // An empty cell is a figure this run does not score (NaN, not drawn).
                let row: Vec<f64> = line
                    .split(',')
                    .map(|v| match v.trim() {
                        "" => Ok(f64::NAN),
                        v => v.parse::<f64>(),
                    })
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| bad(format!("line {} is not numbers: {line:?}", i + 2)))?;
                if row.len() != header.len() {
                    return Err(bad(format!(
                        "line {} has {} values for {} columns",
                        i + 2,
                        row.len(),
                        header.len()
                    )));
                }
                Ok(row)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Log { header, rows })
    }

    /// `y` against `x`, by column name.
    pub fn series(&self, x: &str, y: &str, name: &str) -> Result<Series> {
        let col = |c: &str| {
            self.header.iter().position(|h| h == c).ok_or_else(|| {
                Error::BadOption(format!(
                    "training log: no column {c:?} (it has {})",
                    self.header.join(", ")
                ))
            })
        };
        let (ix, iy) = (col(x)?, col(y)?);
        Ok(Series {
            name: name.into(),
            points: self
                .rows
                .iter()
                .map(|r| (r[ix], r[iy]))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect(),
        })
    }
}

// Ten apart (matplotlib's tab10): the experiment's arms are drawn in one figure.
const COLOURS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> std::result::Result<(), String> {
    let e = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    root.fill(&WHITE).map_err(e)?;
    let x_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0f64, f64::max);
    let y_max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .fold(0.0f64, f64::max)
        .max(1.0);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(0.0..x_max * 1.02, 0.0..y_max * 1.05)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(e)?;
    for (k, s) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                s.points.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(e)?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(s.points.iter().map(|&p| Circle::new(p, 3, colour.filled())))
            .map_err(e)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(e)?;
    root.present().map_err(e)
}

fn plot_error(m: String) -> Error {
    Error::Io {
        what: "plot".into(),
        reason: m,
    }
}

/// A line plot as PNG bytes.
pub fn lines_png(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    size: (u32, u32),
) -> Result<Vec<u8>> {
    fonts();
    let mut rgb = vec![0u8; (size.0 * size.1 * 3) as usize];
    let area = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
    draw(area, title, x_label, y_label, series).map_err(plot_error)?;
    let image = image::RgbImage::from_raw(size.0, size.1, rgb).expect("the buffer has the size");
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| plot_error(e.to_string()))?;
    Ok(out.into_inner())
}

/// A line plot as an SVG document.
pub fn lines_svg(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    size: (u32, u32),
) -> Result<String> {
    fonts();
    let mut svg = String::new();
    let area = SVGBackend::with_string(&mut svg, size).into_drawing_area();
    draw(area, title, x_label, y_label, series).map_err(plot_error)?;
    Ok(svg)
}

/// The figures a training log may hold, with their names on a plot: scores in percent first,
/// then edit precision in dB.
const SCORES: [(&str, &str); 5] = [
    ("val_ciou", "val cIoU"),
    ("val_giou", "val gIoU"),
    ("val_selection", "selection accuracy"),
    ("testA_ciou", "testA cIoU"),
    ("testB_ciou", "testB cIoU"),
];
const PRECISION: [(&str, &str); 2] = [
    ("psnr_outside", "PSNR outside the region"),
    ("psnr_inside", "PSNR inside the region"),
];

/// The learning curves of one or more runs' logs (`(run name, log text)`), as `editseg train`
/// writes them, against samples seen: the scores a log has, in percent, or where it has none
/// (the generator's prior) its edit precision in dB. Several runs share one plot, each series
/// named by its run.
pub fn learning_curve(logs: &[(&str, &str)]) -> Result<Vec<u8>> {
    let parsed = logs
        .iter()
        .map(|(name, text)| Log::parse(text).map(|l| (*name, l)))
        .collect::<Result<Vec<_>>>()?;
    let pick = |columns: &[(&str, &str)], scale: f64| -> Vec<Series> {
        let mut out = Vec::new();
        for (run, log) in &parsed {
            for (column, label) in columns {
                let Ok(mut s) = log.series("samples", column, label) else {
                    continue;
                };
                if s.points.is_empty() {
                    continue;
                }
                for p in &mut s.points {
                    p.0 /= 1000.0;
                    p.1 *= scale;
                }
                if parsed.len() > 1 {
                    s.name = format!("{run}: {label}");
                }
                out.push(s);
            }
        }
        out
    };
    let scores = pick(&SCORES, 100.0);
    let (series, y_label) = if scores.is_empty() {
        (pick(&PRECISION, 1.0), "dB")
    } else {
        (scores, "percent")
    };
    if series.is_empty() {
        return Err(Error::BadOption(
            "training log: no scores to plot (no val_ciou, testA_ciou, testB_ciou or psnr columns with values)".into(),
        ));
    }
    lines_png(
        "Learning curves: scores against samples seen",
        "training samples seen (thousands)",
        y_label,
        &series,
        (900, 520),
    )
}

/// Histograms of values in 0..=1, one series per colour side by side in each of `bins` bins,
/// as an SVG document (y: share of the series' values, in percent).
pub fn histogram_svg(
    title: &str,
    x_label: &str,
    series: &[(String, Vec<f64>)],
    bins: usize,
    size: (u32, u32),
) -> Result<String> {
    fonts();
    let shares: Vec<Vec<f64>> = series
        .iter()
        .map(|(_, values)| {
            let mut counts = vec![0usize; bins];
            for v in values {
                counts[((v.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1)] += 1;
            }
            counts
                .iter()
                .map(|&c| 100.0 * c as f64 / values.len().max(1) as f64)
                .collect()
        })
        .collect();
    let y_max = shares.iter().flatten().fold(1.0f64, |a, &b| a.max(b));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let e = |e: DrawingAreaErrorKind<std::io::Error>| plot_error(e.to_string());
        root.fill(&WHITE).map_err(e)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..1.0f64, 0.0..y_max * 1.1)
            .map_err(e)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc("share of samples, %")
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(e)?;
        let width = 1.0 / bins as f64;
        let slot = width / series.len().max(1) as f64;
        for (k, ((name, _), share)) in series.iter().zip(&shares).enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            chart
                .draw_series(share.iter().enumerate().map(|(b, &y)| {
                    let x0 = b as f64 * width + k as f64 * slot;
                    Rectangle::new(
                        [(x0 + 0.1 * slot, 0.0), (x0 + 0.9 * slot, y)],
                        colour.filled(),
                    )
                }))
                .map_err(e)?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 14, y + 5)], colour.filled())
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(e)?;
        root.present().map_err(e)?;
    }
    Ok(svg)
}
