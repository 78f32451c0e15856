"""The classic recipe a user would otherwise write with OpenCV, for comparison only:
resize the edit to the original, absdiff, grey, Otsu, open and close with a 5x5 ellipse.

usage: opencv_recipe.py CASES_DIR [--ecc] [--time N] [--whole] [--only NAME]
Writes opencv.png beside original.png / edited.png in every case folder; with --ecc, also
opencv_ecc.png: what a careful user writes for an edit in another frame (the edit resized onto the
original, findTransformECC with an affine model on grey levels, the edit warped by it, then the
same recipe); with --time, prints the
seconds per megapixel of the recipe (decode excluded) over N repeats instead; with --whole too,
of the whole command: reading both PNGs, the recipe and writing the mask.
"""
import pathlib
import sys
import time

import cv2
import numpy as np

KERNEL = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))


def recipe(original, edited):
    h, w = original.shape[:2]
    if edited.shape[:2] != (h, w):
        edited = cv2.resize(edited, (w, h), interpolation=cv2.INTER_LINEAR)
    diff = cv2.cvtColor(cv2.absdiff(original, edited), cv2.COLOR_BGR2GRAY)
    _, mask = cv2.threshold(diff, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, KERNEL)
    return cv2.morphologyEx(mask, cv2.MORPH_CLOSE, KERNEL)


def ecc_recipe(original, edited):
    h, w = original.shape[:2]
    if edited.shape[:2] != (h, w):
        edited = cv2.resize(edited, (w, h), interpolation=cv2.INTER_LINEAR)
    grey = lambda img: cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255.0
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 100, 1e-5)
    try:
        _, warp = cv2.findTransformECC(grey(original), grey(edited), warp, cv2.MOTION_AFFINE, criteria, None, 5)
        edited = cv2.warpAffine(edited, warp, (w, h), flags=cv2.INTER_LINEAR + cv2.WARP_INVERSE_MAP,
                                borderMode=cv2.BORDER_REPLICATE)
    except cv2.error:
        pass  # no convergence: the recipe on the plain resize, as a user's fallback would
    return recipe(original, edited)


def main():
    root = pathlib.Path(sys.argv[1])
    cases = sorted(p for p in root.iterdir() if (p / "original.png").exists())
    if "--only" in sys.argv:
        cases = [p for p in cases if p.name == sys.argv[sys.argv.index("--only") + 1]]
    if "--time" in sys.argv:
        repeats = int(sys.argv[sys.argv.index("--time") + 1])
        cv2.setNumThreads(1)
        whole = "--whole" in sys.argv
        for case in cases:
            o = cv2.imread(str(case / "original.png"))
            e = cv2.imread(str(case / "edited.png"))
            start = time.perf_counter()
            for _ in range(repeats):
                if whole:
                    o = cv2.imread(str(case / "original.png"))
                    e = cv2.imread(str(case / "edited.png"))
                    cv2.imwrite(str(case / "opencv.png"), recipe(o, e))
                elif "--ecc" in sys.argv:
                    ecc_recipe(o, e)
                else:
                    recipe(o, e)
            seconds = (time.perf_counter() - start) / repeats
            mp = o.shape[0] * o.shape[1] / 1e6
            print(f"{case.name} {mp:.2f} {seconds / mp:.5f}")
        return
    for case in cases:
        o = cv2.imread(str(case / "original.png"))
        e = cv2.imread(str(case / "edited.png"))
        cv2.imwrite(str(case / "opencv.png"), recipe(o, e))
        if "--ecc" in sys.argv:
            cv2.imwrite(str(case / "opencv_ecc.png"), ecc_recipe(o, e))


if __name__ == "__main__":
    main()
