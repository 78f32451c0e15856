"""Writes tests/refcoco/: a tiny RefCOCO-format dataset (refs(unc).p, instances.json, images/) and
the masks pycocotools decodes for every annotation (expected/ann_{id}.png), so the Rust decoder
is checked against pycocotools itself. Run once; the output is committed.

usage: python3 scripts/make_refcoco_fixtures.py   (needs numpy, opencv-python-headless, pycocotools)
"""
import json
import pathlib
import pickle

import cv2
import numpy as np
from pycocotools import mask as mask_utils

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "refcoco"
rng = np.random.default_rng(7)


def random_polygon(w, h, n):
    cx, cy = rng.uniform(0.2 * w, 0.8 * w), rng.uniform(0.2 * h, 0.8 * h)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radii = rng.uniform(0.15, 0.6) * min(w, h) * rng.uniform(0.5, 1.0, n)
    xs = np.clip(cx + radii * np.cos(angles), -2, w + 2)
    ys = np.clip(cy + radii * np.sin(angles), -2, h + 2)
    return [round(float(v), 2) for xy in zip(xs, ys) for v in xy]


def main():
    (OUT / "images").mkdir(parents=True, exist_ok=True)
    (OUT / "expected").mkdir(parents=True, exist_ok=True)
    images = [{"id": 1, "file_name": "scene1.png", "width": 40, "height": 30},
              {"id": 2, "file_name": "scene2.png", "width": 33, "height": 25},
              {"id": 3, "file_name": "scene3.png", "width": 64, "height": 48}]
    for im in images:
        pixels = rng.integers(0, 255, (im["height"], im["width"], 3), dtype=np.uint8)
        cv2.imwrite(str(OUT / "images" / im["file_name"]), pixels)
    anns = []
    # Polygons: one, two (merged), one touching the border, and many random ones.
    anns.append({"id": 10, "image_id": 1, "category_id": 1, "segmentation": [random_polygon(40, 30, 5)]})
    anns.append({"id": 11, "image_id": 1, "category_id": 2, "segmentation": [random_polygon(40, 30, 4), random_polygon(40, 30, 7)]})
    anns.append({"id": 12, "image_id": 2, "category_id": 1, "segmentation": [[0, 0, 32.9, 0.4, 20.5, 24.9, 0.2, 18.0]]})
    for k in range(20):
        anns.append({"id": 100 + k, "image_id": 3, "category_id": 3, "segmentation": [random_polygon(64, 48, int(rng.integers(3, 12)))]})
    # RLE, compressed and uncompressed.
    blob = np.zeros((25, 33), dtype=np.uint8)
    cv2.circle(blob, (15, 11), 8, 1, -1)
    blob[2:5, 25:31] = 1
    compressed = mask_utils.encode(np.asfortranarray(blob))
    anns.append({"id": 20, "image_id": 2, "category_id": 2, "iscrowd": 1,
                 "segmentation": {"size": [25, 33], "counts": compressed["counts"].decode("ascii")}})
    flat = blob.flatten(order="F")
    counts, current, run = [], 0, 0
    for v in flat:
        if v != current:
            counts.append(run)
            current, run = v, 0
        run += 1
    counts.append(run)
    anns.append({"id": 21, "image_id": 2, "category_id": 3, "iscrowd": 1,
                 "segmentation": {"size": [25, 33], "counts": counts}})
    for a in anns:
        im = next(i for i in images if i["id"] == a["image_id"])
        h, w = im["height"], im["width"]
        seg = a["segmentation"]
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
        elif isinstance(seg["counts"], list):
            rle = mask_utils.frPyObjects(seg, h, w)
        else:
            rle = {"size": seg["size"], "counts": seg["counts"].encode("ascii")}
        m = mask_utils.decode(rle)
        a["area"] = float(m.sum())
        a["bbox"] = [float(v) for v in mask_utils.toBbox(rle)]
        cv2.imwrite(str(OUT / "expected" / f"ann_{a['id']}.png"), m * 255)
    categories = [{"id": 1, "name": "ball"}, {"id": 2, "name": "box"}, {"id": 3, "name": "star"}]
    (OUT / "instances.json").write_text(json.dumps({"images": images, "annotations": anns, "categories": categories}))
    splits = ["val", "testA", "testB"]
    refs = []
    for n, a in enumerate(anns):
        refs.append({"ref_id": n, "ann_id": a["id"], "image_id": a["image_id"], "category_id": a["category_id"],
                     "split": splits[n % 3], "file_name": f"scene{a['image_id']}_{a['id']}.jpg",
                     "sentences": [{"sent_id": 1000 + 2 * n, "sent": f"the object {n}", "raw": f"The object {n}.",
                                    "tokens": ["the", "object", str(n)]},
                                   {"sent_id": 1001 + 2 * n, "sent": f"thing {n}", "raw": f"thing {n}",
                                    "tokens": ["thing", str(n)]}],
                     "sent_ids": [1000 + 2 * n, 1001 + 2 * n]})
    with open(OUT / "refs(unc).p", "wb") as f:
        pickle.dump(refs, f, protocol=2)


if __name__ == "__main__":
    main()
