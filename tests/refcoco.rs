//! RefCOCO-format reading: the pickle and COCO json of `tests/refcoco/` (written by
//! scripts/make_refcoco_fixtures.py with Python's pickle and pycocotools), and every annotation's
//! mask equal, pixel for pixel, to the one pycocotools decodes.

#![cfg(not(target_arch = "wasm32"))]

use editseg::refcoco::{Dataset, Segmentation};
use editseg::Error;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/refcoco")
}

#[test]
fn polygons_and_compressed_and_plain_rle_decode_exactly_as_pycocotools_does() {
    let data = Dataset::open(&fixtures()).unwrap();
    assert_eq!(data.refs.len(), 25);
    let mut kinds = (0, 0);
    for r in &data.refs {
        let expected = image::open(fixtures().join(format!("expected/ann_{}.png", r.ann_id)))
            .unwrap()
            .to_luma8();
        let got = data.mask(r);
        let differing = got
            .pixels()
            .zip(expected.pixels())
            .filter(|(a, b)| (a.0[0] > 0) != (b.0[0] > 0))
            .count();
        assert_eq!(
            differing, 0,
            "annotation {}: {differing} pixels differ from pycocotools",
            r.ann_id
        );
        match data.annotations[&r.ann_id].segmentation {
            Segmentation::Polygons(_) => kinds.0 += 1,
            Segmentation::Rle(_) => kinds.1 += 1,
        }
    }
    assert_eq!(kinds, (23, 2));
}

#[test]
fn refs_keep_their_sentences_splits_and_images() {
    let data = Dataset::open(&fixtures()).unwrap();
    let r = &data.refs[4];
    assert_eq!(
        (r.ref_id, r.split.as_str(), r.sentences.len()),
        (4, "testA", 2)
    );
    assert_eq!(r.sentences[0].sent, "the object 4");
    assert_eq!(r.sentences[1].sent_id, 1009);
    assert!(data.image_path(r).unwrap().exists());
    assert_eq!(data.categories[&3], "star");
}

fn broken_copy(name: &str, change: impl Fn(&Path)) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("refcoco")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["refs(unc).p", "instances.json"] {
        std::fs::copy(fixtures().join(f), dir.join(f)).unwrap();
    }
    change(&dir);
    dir
}

#[test]
fn broken_files_are_named_in_the_error() {
    let no_pickle = broken_copy("no-pickle", |d| {
        std::fs::remove_file(d.join("refs(unc).p")).unwrap()
    });
    let err = Dataset::open(&no_pickle).err().unwrap();
    assert!(
        matches!(err, Error::FileMissing(_)) && err.to_string().contains("refs(unc).p"),
        "{err}"
    );

    let bad_json = broken_copy("bad-json", |d| {
        std::fs::write(d.join("instances.json"), "{\"images\": [").unwrap()
    });
    let err = Dataset::open(&bad_json).err().unwrap().to_string();
    assert!(
        err.contains("instances.json") && err.contains("not valid JSON"),
        "{err}"
    );

    let bad_pickle = broken_copy("bad-pickle", |d| {
        std::fs::write(d.join("refs(unc).p"), b"\x80\x02garbage").unwrap()
    });
    let err = Dataset::open(&bad_pickle).err().unwrap().to_string();
    assert!(
        err.contains("refs(unc).p") && err.contains("pickle"),
        "{err}"
    );
}
