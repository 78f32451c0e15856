"""The classic recipe a user would otherwise write with OpenCV, for comparison only:
resize the edit to the original, absdiff, grey, Otsu, open and close with a 5x5 ellipse.

usage: opencv_recipe.py CASES_DIR [--time N] [--whole] [--only NAME]
Writes opencv.png beside original.png / edited.png in every case folder; with --time, prints the
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


if __name__ == "__main__":
    main()
