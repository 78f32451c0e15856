//! Evaluation people can look at: one self-contained HTML file (images embedded as data URIs, no
//! network, opens from disk) with the score tables, plots drawn with plotters (on white cards, so
//! they read in light and dark mode), a gallery of the worst and of random samples, and where the
//! numbers came from. Two reports side by side with `compare`.

use crate::error::Result;
use crate::eval::{summarise, Predictions, Report, Sample};
use crate::metrics::{Summary, PRECISION_AT};
use crate::plot::{self, Series};
use crate::refcoco::{Dataset, Ref};
use crate::rng::Rng;
use crate::{imageio, render};
use base64::Engine as _;
use image::{imageops, GrayImage, Rgba, RgbaImage};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Where the numbers came from, printed at the top of the report.
pub struct Meta {
    pub command: String,
    /// What was scored: the data and the predictions.
    pub sources: Vec<(String, String)>,
}

/// Longest side of the gallery's pictures.
const THUMBNAIL: u32 = 220;

const STYLE: &str = "
  :root { color-scheme: light dark; --ink: #1d1d1f; --paper: #fff; --line: #d0d0d6; --dim: #666; }
  @media (prefers-color-scheme: dark) { :root { --ink: #e8e8ea; --paper: #18181b; --line: #3a3a40; --dim: #a0a0a8; } }
  body { font: 15px/1.45 system-ui, sans-serif; color: var(--ink); background: var(--paper); max-width: 78rem; margin: 1.5rem auto; padding: 0 1rem; }
  table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
  th, td { border: 1px solid var(--line); padding: 0.25rem 0.55rem; text-align: right; }
  th:first-child, td:first-child { text-align: left; }
  .meta { color: var(--dim); font-size: 0.9em; }
  .meta code { word-break: break-all; }
  .plots { display: flex; flex-wrap: wrap; gap: 1rem; }
  .plot { background: #fff; border-radius: 6px; padding: 4px; }
  .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 1rem; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem; }
  .card .pictures { display: flex; gap: 0.3rem; flex-wrap: wrap; }
  .card figure { margin: 0; font-size: 0.8em; color: var(--dim); }
  .card img { display: block; max-width: 110px; height: auto; image-rendering: pixelated; }
  .a { color: #1f77b4; } .b { color: #ff7f0e; }
";

/// Text safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn png_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

fn thumbnail(img: &RgbaImage) -> RgbaImage {
    let s = (THUMBNAIL as f64 / img.width().max(img.height()) as f64).min(1.0);
    let (w, h) = (
        ((img.width() as f64 * s).round() as u32).max(1),
        ((img.height() as f64 * s).round() as u32).max(1),
    );
    imageops::resize(img, w, h, imageops::FilterType::Triangle)
}

fn picture(label: &str, img: &RgbaImage) -> String {
    picture_raw(label, &thumbnail(img))
}

/// A picture already at the gallery's size.
fn picture_raw(label: &str, img: &RgbaImage) -> String {
    format!(
        "<figure><img alt=\"{label}\" src=\"{}\"><figcaption>{label}</figcaption></figure>",
        png_uri(&imageio::encode_png_rgba(img))
    )
}

/// The original with the predicted mask painted over it and the truth's outline in green, at
/// the gallery's size (the outline drawn there, two pixels wide, so that it shows).
fn mask_and_truth(original: &RgbaImage, mask: &GrayImage, truth: &GrayImage) -> RgbaImage {
    let mut out = thumbnail(&render::overlay(original, mask));
    let truth = imageops::resize(
        truth,
        out.width(),
        out.height(),
        imageops::FilterType::Nearest,
    );
    let inside = |x: i64, y: i64| {
        x >= 0
            && y >= 0
            && x < truth.width() as i64
            && y < truth.height() as i64
            && truth.get_pixel(x as u32, y as u32).0[0] > 0
    };
    for (x, y, p) in out.enumerate_pixels_mut() {
        let (x, y) = (x as i64, y as i64);
        if inside(x, y) && (-2..=2).any(|d| !inside(x + d, y) || !inside(x, y + d)) {
            *p = Rgba([40, 220, 60, 255]);
        }
    }
    out
}

fn summary_row(name: &str, s: &Summary) -> String {
    let prec: String = s
        .prec
        .iter()
        .map(|p| format!("<td>{:.2}</td>", 100.0 * p))
        .collect();
    format!(
        "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td>{prec}</tr>",
        escape(name),
        s.count,
        100.0 * s.ciou,
        100.0 * s.giou,
        100.0 * s.miou
    )
}

fn table_head(first: &str) -> String {
    let prec: String = PRECISION_AT
        .iter()
        .map(|t| format!("<th>Prec@{t:.1} %</th>"))
        .collect();
    format!("<tr><th>{first}</th><th>count</th><th>cIoU %</th><th>gIoU %</th><th>mIoU %</th>{prec}</tr>")
}

/// Prec@X against X, one line per named set of summaries.
fn precision_plot(lines: &[(String, &Summary)]) -> Result<String> {
    let series: Vec<Series> = lines
        .iter()
        .map(|(name, s)| Series {
            name: name.clone(),
            points: PRECISION_AT
                .iter()
                .zip(&s.prec)
                .map(|(&t, &p)| (t, 100.0 * p))
                .collect(),
        })
        .collect();
    plot::lines_svg(
        "Precision at an IoU threshold",
        "IoU threshold",
        "Prec, %",
        &series,
        (520, 340),
    )
}

fn header(title: &str, meta: &Meta) -> String {
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1><p class=\"meta\">",
        escape(title),
        escape(title)
    );
    let _ = write!(
        out,
        "EditSeg {} · {} · <code>{}</code>",
        env!("CARGO_PKG_VERSION"),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        escape(&meta.command)
    );
    for (what, value) in &meta.sources {
        let _ = write!(out, "<br>{}: <code>{}</code>", escape(what), escape(value));
    }
    out + "</p>"
}

/// One gallery card: the sample's pictures, sentence, IoU and, for edits, the diff's stats.
fn card(
    data: &Dataset,
    r: &Ref,
    sample: &Sample,
    pred: &Path,
    predictions: &Predictions,
) -> Result<String> {
    let original = imageio::read(&data.image_path(r)?)?;
    let truth = data.mask(r);
    let path = pred.join(format!("{}.png", sample.sent_id));
    let mut pictures = picture("original", &original);
    let mut facts = String::new();
    let mask = match predictions {
        Predictions::Masks => {
            let mask = image::DynamicImage::ImageRgba8(imageio::read(&path)?).to_luma8();
            pictures += &picture(
                "predicted mask",
                &image::DynamicImage::ImageLuma8(mask.clone()).to_rgba8(),
            );
            mask
        }
        Predictions::Edits(differ, ..) => {
            let edited = imageio::read(&path)?;
            let options = predictions.options_for(sample.sent_id);
            let out = pollster::block_on(differ.mask_from_edit(&original, &edited, &options))?;
            pictures += &picture("edit", &edited);
            pictures += &picture("change heat map", &out.heat);
            let s = &out.stats;
            facts = format!(
                "threshold {}{}, shift ({}, {}), drift gain [{:.2}, {:.2}, {:.2}] offset [{:.1}, {:.1}, {:.1}]",
                s.threshold,
                if s.threshold_auto { " (auto)" } else { "" },
                s.shift.0,
                s.shift.1,
                s.gain[0],
                s.gain[1],
                s.gain[2],
                s.offset[0],
                s.offset[1],
                s.offset[2]
            );
            out.mask
        }
    };
    pictures += &picture_raw(
        "mask (tinted), truth (green)",
        &mask_and_truth(&original, &mask, &truth),
    );
    Ok(format!(
        "<div class=\"card\" data-sent=\"{}\"><div class=\"pictures\">{pictures}</div>\
         <p>“{}” · sentence {} · {} · <b>IoU {:.3}</b><br><span class=\"meta\">{facts}</span></p></div>",
        sample.sent_id,
        escape(&sample.sentence),
        sample.sent_id,
        escape(&sample.split),
        sample.iou()
    ))
}

/// The report of one evaluation: tables, plots and a gallery of the `gallery` worst samples and
/// `gallery` random others (seeded: the same report each time).
pub fn html(
    report: &Report,
    data: &Dataset,
    pred: &Path,
    predictions: &Predictions,
    meta: &Meta,
    gallery: usize,
) -> Result<String> {
    let mut out = header("EditSeg evaluation", meta);
    let _ = write!(
        out,
        "<p class=\"meta\">{} sentences scored, {} predictions missing (counted as empty), {} skipped, {} edits redrawn by the editor (changed over most of the picture; scored all the same)</p>",
        report.samples.len(),
        report.missing.len(),
        report.skipped.len(),
        report.redrawn.len()
    );
    out += "<h2>Scores</h2><table id=\"scores\">";
    out += &table_head("split");
    for (name, s) in &report.splits {
        out += &summary_row(name, s);
    }
    out += &summary_row("overall", &report.overall);
    if let Some(seen) = &report.seen_pixels {
        out += &summary_row(
            &format!(
                "overall, over the pixels each edit showed ({} edits cropped by the editor)",
                report.cropped.len()
            ),
            &seen.overall,
        );
    }
    out += "</table>";
    if let Some(run) = &report.editor {
        out += &editor_section(run)?;
    }
    let mut lines: Vec<(String, &Summary)> =
        report.splits.iter().map(|(k, s)| (k.clone(), s)).collect();
    lines.push(("overall".into(), &report.overall));
    let ious: Vec<f64> = report.samples.iter().map(Sample::iou).collect();
    let _ = write!(
        out,
        "<h2>Plots</h2><div class=\"plots\"><div class=\"plot\">{}</div><div class=\"plot\">{}</div></div>",
        precision_plot(&lines)?,
        plot::histogram_svg(
            "IoU per sample",
            "IoU",
            &[("all samples".into(), ious)],
            10,
            (520, 340)
        )?
    );
    if !report.skipped.is_empty() {
        out += "<h2>Skipped</h2><ul>";
        for s in &report.skipped {
            let _ = write!(out, "<li>{}: {}</li>", escape(&s.what), escape(&s.reason));
        }
        out += "</ul>";
    }
    let refs: BTreeMap<u64, &Ref> = data.refs.iter().map(|r| (r.ref_id, r)).collect();
    let mut scored: Vec<&Sample> = report.samples.iter().filter(|s| !s.missing).collect();
    scored.sort_by(|a, b| a.iou().total_cmp(&b.iou()).then(a.sent_id.cmp(&b.sent_id)));
    let worst: Vec<&Sample> = scored.iter().take(gallery).copied().collect();
    let mut rest: Vec<&Sample> = scored.iter().skip(gallery).copied().collect();
    let mut rng = Rng::new(0);
    for i in (1..rest.len()).rev() {
        rest.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    rest.truncate(gallery);
    rest.sort_by_key(|s| s.sent_id);
    for (title, id, samples) in [
        ("The worst samples", "worst", worst),
        ("Random samples", "random", rest),
    ] {
        let _ = write!(out, "<h2>{title}</h2><div class=\"gallery\" id=\"{id}\">");
        for s in samples {
            out += &card(data, refs[&s.ref_id], s, pred, predictions)?;
        }
        out += "</div>";
    }
    Ok(out + "</body></html>\n")
}

/// Who edited, how the requests went, the figures over answered sentences, the failures and
/// the answers' latency.
fn editor_section(run: &crate::eval::EditorRun) -> Result<String> {
    let mut out = String::from("<h2>Editor</h2><table id=\"editor\">");
    let or_dash = |v: &Option<String>| escape(v.as_deref().unwrap_or("-"));
    let latency = run.latency_ms.as_ref().map_or("-".to_string(), |l| {
        format!(
            "median {:.1} s, 90 % {:.1} s, slowest {:.1} s ({} answers)",
            l.p50 / 1e3,
            l.p90 / 1e3,
            l.max / 1e3,
            l.count
        )
    });
    for (k, v) in [
        ("adapter", escape(&run.adapter)),
        ("endpoint", or_dash(&run.endpoint)),
        ("model", or_dash(&run.model)),
        ("template", escape(&run.template)),
        ("colour", escape(&run.color)),
        ("seed", run.seed.map_or("-".into(), |s| s.to_string())),
        ("sentences", run.sentences.to_string()),
        (
            "requests (retries)",
            format!("{} ({})", run.requests, run.retries),
        ),
        ("edits from earlier runs", run.reused.to_string()),
        ("failed", run.failed.len().to_string()),
        ("latency", latency),
    ] {
        let _ = write!(out, "<tr><th>{k}</th><td>{v}</td></tr>");
    }
    out += "</table><h3>Over the sentences the editor answered</h3><table id=\"answered\">";
    out += &table_head("split");
    for (name, s) in &run.answered.splits {
        out += &summary_row(name, s);
    }
    out += &summary_row("overall", &run.answered.overall);
    out += "</table>";
    if !run.failed.is_empty() {
        out += "<h3>Failures</h3><table id=\"failures\"><tr><th>sentence</th><th>class</th><th>the editor's message</th></tr>";
        for f in &run.failed {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                f.sent_id,
                f.class.name(),
                escape(&f.message)
            );
        }
        out += "</table>";
    }
    if let Some(l) = &run.latency_ms {
        let slowest = l.max.max(1e-3);
        let shares: Vec<f64> = run.latencies.iter().map(|v| v / slowest).collect();
        let _ = write!(
            out,
            "<div class=\"plot\">{}</div>",
            plot::histogram_svg(
                "Editor latency",
                &format!("share of the slowest answer ({:.1} s)", slowest / 1e3),
                &[("answers".into(), shares)],
                10,
                (520, 300)
            )?
        );
    }
    Ok(out)
}

/// Two evaluations side by side: `a` and `b` are `(name, samples)` as `eval --json` writes them.
/// The tables and plots in two colours, and the `most` sentences where they differ most.
pub fn compare(
    a: (&str, &[Sample]),
    b: (&str, &[Sample]),
    meta: &Meta,
    most: usize,
) -> Result<String> {
    let mut out = header("EditSeg evaluation: two editors compared", meta);
    let (sa, splits_a) = summarise(a.1);
    let (sb, splits_b) = summarise(b.1);
    out += "<h2>Scores</h2><table id=\"scores\">";
    out += &table_head("editor · split");
    for (name, overall, splits) in [(a.0, &sa, &splits_a), (b.0, &sb, &splits_b)] {
        for (split, s) in splits {
            out += &summary_row(&format!("{name} · {split}"), s);
        }
        out += &summary_row(&format!("{name} · overall"), overall);
    }
    out += "</table>";
    let iou = |s: &[Sample]| s.iter().map(Sample::iou).collect::<Vec<_>>();
    let _ = write!(
        out,
        "<h2>Plots</h2><div class=\"plots\"><div class=\"plot\">{}</div><div class=\"plot\">{}</div></div>",
        precision_plot(&[(a.0.into(), &sa), (b.0.into(), &sb)])?,
        plot::histogram_svg(
            "IoU per sample",
            "IoU",
            &[(a.0.into(), iou(a.1)), (b.0.into(), iou(b.1))],
            10,
            (520, 340)
        )?
    );
    let by_id: BTreeMap<u64, &Sample> = b.1.iter().map(|s| (s.sent_id, s)).collect();
    let mut pairs: Vec<(&Sample, &Sample)> =
        a.1.iter()
            .filter_map(|s| by_id.get(&s.sent_id).map(|t| (s, *t)))
            .collect();
    pairs.sort_by(|x, y| {
        (y.0.iou() - y.1.iou())
            .abs()
            .total_cmp(&(x.0.iou() - x.1.iou()).abs())
            .then(x.0.sent_id.cmp(&y.0.sent_id))
    });
    let _ = write!(
        out,
        "<h2>Where they differ most</h2><p class=\"meta\">{} sentences scored by both</p>\
         <table id=\"differ\"><tr><th>sentence</th><th>id</th><th class=\"a\">{} IoU</th><th class=\"b\">{} IoU</th></tr>",
        pairs.len(),
        escape(a.0),
        escape(b.0)
    );
    for (x, y) in pairs.into_iter().take(most) {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}</td></tr>",
            escape(&x.sentence),
            x.sent_id,
            x.iou(),
            y.iou()
        );
    }
    Ok(out + "</table></body></html>\n")
}

/// What `editseg eval-painter --report` shows beside the scores.
pub struct PainterRun<'a> {
    pub report: &'a crate::training::evaluate::Report,
    pub split: &'a str,
    /// The samples of the galleries, replayed: the worst first, then random others.
    pub worst: Vec<(
        &'a crate::training::evaluate::Scored,
        crate::training::evaluate::Replayed,
    )>,
    pub random: Vec<(
        &'a crate::training::evaluate::Scored,
        crate::training::evaluate::Replayed,
    )>,
    /// The weights' training log (CSV), for the learning curve.
    pub log: Option<String>,
}

/// The `gallery` worst and `gallery` random sample numbers of a painter's report (seeded).
pub fn painter_gallery(
    report: &crate::training::evaluate::Report,
    gallery: usize,
) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..report.samples.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&report.samples[a], &report.samples[b]);
        x.iou().total_cmp(&y.iou()).then(x.index.cmp(&y.index))
    });
    let worst: Vec<usize> = order.iter().take(gallery).copied().collect();
    let mut rest: Vec<usize> = order.iter().skip(gallery).copied().collect();
    let mut rng = Rng::new(0);
    for i in (1..rest.len()).rev() {
        rest.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    rest.truncate(gallery);
    rest.sort_unstable();
    (worst, rest)
}

/// The report of `editseg eval-painter`: scores overall and per kind of expression, selection
/// accuracy, plots (with the learning curve when the log is given) and galleries.
pub fn painter_html(run: &PainterRun, meta: &Meta) -> Result<String> {
    use crate::training::evaluate::KINDS;
    let r = run.report;
    let mut out = header("EditSeg painter evaluation", meta);
    out += "<h2>Scores</h2><table id=\"scores\">";
    out += &table_head("split · kind of expression");
    out += &summary_row(run.split, &r.summary);
    for (kind, s) in KINDS.iter().zip(&r.kinds) {
        if s.count > 0 {
            out += &summary_row(&format!("{} · {kind}", run.split), s);
        }
    }
    out += "</table>";
    let _ = write!(
        out,
        "<p>Selection accuracy (the object the mask overlaps most is the named one) <b>{:.1}%</b>; \
         cIoU when the right object is selected {:.2}% ({} samples); PSNR of the edit outside the \
         target {:.1} dB.</p>",
        100.0 * r.selection,
        100.0 * r.when_selected.ciou,
        r.when_selected.count,
        r.psnr_outside
    );
    let mut lines: Vec<(String, &Summary)> = vec![(run.split.to_string(), &r.summary)];
    for (kind, s) in KINDS.iter().zip(&r.kinds) {
        if s.count > 0 {
            lines.push((kind.to_string(), s));
        }
    }
    let ious: Vec<f64> = r.samples.iter().map(|s| s.iou()).collect();
    let _ = write!(
        out,
        "<h2>Plots</h2><div class=\"plots\"><div class=\"plot\">{}</div><div class=\"plot\">{}</div>",
        precision_plot(&lines)?,
        plot::histogram_svg("IoU per sample", "IoU", &[(run.split.into(), ious)], 10, (520, 340))?
    );
    if let Some(log) = &run.log {
        let _ = write!(
            out,
            "<div class=\"plot\"><img alt=\"learning curve\" src=\"{}\" width=\"520\"></div>",
            png_uri(&plot::learning_curve(&[("run", log)])?)
        );
    }
    out += "</div>";
    for (title, id, cards) in [
        ("The worst samples", "worst", &run.worst),
        ("Random samples", "random", &run.random),
    ] {
        let _ = write!(out, "<h2>{title}</h2><div class=\"gallery\" id=\"{id}\">");
        for (s, p) in cards {
            let _ = write!(
                out,
                "<div class=\"card\" data-sample=\"{}\"><div class=\"pictures\">{}{}{}</div>\
                 <p>“{}” · sample {} · {} · <b>IoU {:.3}</b>{}</p></div>",
                s.index,
                picture("picture", &p.picture),
                picture("painter's edit", &p.edit),
                picture_raw(
                    "mask (tinted), truth (green)",
                    &mask_and_truth(&p.picture, &p.mask, &p.truth)
                ),
                escape(&s.expression),
                s.index,
                s.kind,
                s.iou(),
                if s.selected {
                    ""
                } else {
                    " · <b>another object selected</b>"
                }
            );
        }
        out += "</div>";
    }
    Ok(out + "</body></html>\n")
}
