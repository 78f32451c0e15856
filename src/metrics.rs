//! The standard referring-segmentation metrics, computed at the original resolution as LISA and
//! ReLA compute them:
//! - cIoU: sum of intersections over sum of unions over all samples;
//! - gIoU: mean per-sample IoU, where a sample whose prediction and truth are both empty counts 1;
//! - mIoU: mean per-sample IoU as LAVT computes it, where an empty union counts 0;
//! - Prec@t: share of samples whose IoU (gIoU's convention) is at least t.

use image::GrayImage;

pub const PRECISION_AT: [f64; 5] = [0.5, 0.6, 0.7, 0.8, 0.9];

/// Per-sample intersections and unions, in pixels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    samples: Vec<(u64, u64)>,
}

/// The figures for one set of samples, each a fraction in [0, 1]. As JSON:
/// `{"count": N, "ciou": f, "giou": f, "miou": f, "prec": {"0.5": f, ...}}`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Summary {
    pub count: usize,
    pub ciou: f64,
    pub giou: f64,
    pub miou: f64,
    /// Prec@t for each t of `PRECISION_AT`.
    #[serde(serialize_with = "by_threshold")]
    pub prec: [f64; 5],
}

fn by_threshold<S: serde::Serializer>(prec: &[f64; 5], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(prec.len()))?;
    for (t, p) in PRECISION_AT.iter().zip(prec) {
        map.serialize_entry(&format!("{t:.1}"), p)?;
    }
    map.end()
}

/// Intersection over union; two empty masks agree completely.
pub fn iou(intersection: u64, union: u64) -> f64 {
    if union == 0 {
        1.0
    } else {
        intersection as f64 / union as f64
    }
}

/// Intersection and union of a prediction and a truth of the same size (nonzero = inside).
pub fn overlap(pred: &GrayImage, truth: &GrayImage) -> (u64, u64) {
    pred.pixels()
        .zip(truth.pixels())
        .fold((0, 0), |(i, u), (p, t)| {
            let (a, b) = (p.0[0] > 0, t.0[0] > 0);
            (i + (a && b) as u64, u + (a || b) as u64)
        })
}

impl Tally {
    pub fn add(&mut self, intersection: u64, union: u64) {
        debug_assert!(intersection <= union);
        self.samples.push((intersection, union));
    }

    pub fn summary(&self) -> Summary {
        let n = self.samples.len();
        let mean = |f: &dyn Fn(u64, u64) -> f64| {
            if n == 0 {
                0.0
            } else {
                self.samples.iter().map(|&(i, u)| f(i, u)).sum::<f64>() / n as f64
            }
        };
        let iou_empty_is =
            |empty: f64| move |i: u64, u: u64| if u == 0 { empty } else { i as f64 / u as f64 };
        let (inter, union) = self
            .samples
            .iter()
            .fold((0u64, 0u64), |(a, b), &(i, u)| (a + i, b + u));
        let giou = iou_empty_is(1.0);
        Summary {
            count: n,
            ciou: if union == 0 {
                0.0
            } else {
                inter as f64 / union as f64
            },
            giou: mean(&giou),
            miou: mean(&iou_empty_is(0.0)),
            prec: PRECISION_AT.map(|t| mean(&|i, u| (giou(i, u) >= t) as u8 as f64)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_values_including_empty_masks() {
        let mut t = Tally::default();
        t.add(50, 100); // IoU 0.5
        t.add(90, 100); // IoU 0.9
        t.add(0, 0); // both empty: gIoU counts 1, mIoU counts 0
        t.add(0, 40); // a miss: IoU 0
        let s = t.summary();
        assert_eq!(s.count, 4);
        assert!(close(s.ciou, 140.0 / 240.0));
        assert!(close(s.giou, (0.5 + 0.9 + 1.0 + 0.0) / 4.0));
        assert!(close(s.miou, (0.5 + 0.9 + 0.0 + 0.0) / 4.0));
        // IoUs 0.5, 0.9, 1 (empty pair), 0.
        assert_eq!(s.prec, [0.75, 0.5, 0.5, 0.5, 0.5]);
        let json: serde_json::Value = serde_json::to_value(&s).unwrap();
        assert_eq!(json["prec"]["0.5"], 0.75);
        assert_eq!(json["prec"]["0.9"], 0.5);
        assert_eq!(json["count"], 4);
    }

    #[test]
    fn no_samples_gives_zeros_not_nan() {
        let s = Tally::default().summary();
        assert_eq!(
            (s.count, s.ciou, s.giou, s.miou, s.prec),
            (0, 0.0, 0.0, 0.0, [0.0; 5])
        );
    }

    #[test]
    fn overlap_counts_pixels() {
        let a = GrayImage::from_fn(4, 1, |x, _| image::Luma([if x < 2 { 255 } else { 0 }]));
        let b = GrayImage::from_fn(4, 1, |x, _| {
            image::Luma([if (1..3).contains(&x) { 255 } else { 0 }])
        });
        assert_eq!(overlap(&a, &b), (1, 3));
    }
}
