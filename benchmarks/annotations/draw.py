"""Draw the perception annotation back on the images, to check it by eye.

    python benchmarks/annotations/draw.py [--data ../shared/data] [--out /tmp/annot_check] [--only TEXT]

Reads `perception.json` (next to this script, or `--annotations FILE`), opens each annotated image (or GIF
frame `video/NAME.gif#K`) from `--data`, and writes one PNG per entry to `--out`: every person's head point as a
green ring with its number, raised hands as a red ring with "R", dense regions as orange boxes with the
approximate number of people inside, and a header line with the counts next to ground_truth.tsv's. `--only`
keeps entries whose key contains TEXT. The output folder must be outside the repository (the images are not
the project's to ship). Prints one line per entry and the totals.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont, ImageSequence

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DEFAULT_OUT = Path("/tmp/annot_check")


def load_frame(data: Path, key: str) -> Image.Image:
    """The RGB image an annotation key names: `images/NAME` or `video/NAME.gif#K` (frame K)."""
    name, _, frame = key.partition("#")
    with Image.open(data / name) as img:
        if not frame:
            return img.convert("RGB")
        k = int(frame)
        for i, f in enumerate(ImageSequence.Iterator(img)):
            if i == k:
                return f.convert("RGB")
    raise ValueError(f"{key}: the file has fewer than {k + 1} frames")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(10, size))


def render(img: Image.Image, entry: dict[str, Any], truth: str = "") -> Image.Image:
    """A copy of `img` with the entry's points and regions drawn on it and a header line above it."""
    w, h = img.size
    unit = max(3, round(min(w, h) / 90))
    font = _font(unit * 3)
    header = max(24, unit * 5)
    out = Image.new("RGB", (w, h + header), (0, 0, 0))
    out.paste(img, (0, header))
    draw = ImageDraw.Draw(out)
    for x0, y0, x1, y1 in entry.get("dense", []):
        draw.rectangle((x0, y0 + header, x1, y1 + header), outline=(255, 150, 0), width=max(2, unit // 2))
    if entry.get("dense"):
        x0, y0 = entry["dense"][0][:2]
        draw.text(
            (x0 + unit, y0 + header + unit), f"dense ~{entry.get('dense_people', 0)}", fill=(255, 150, 0), font=font
        )
    raised = [tuple(p) for p in entry.get("raised", [])]
    for i, (x, y) in enumerate(entry.get("people", []), start=1):
        up = any(abs(x - rx) <= 2 and abs(y - ry) <= 2 for rx, ry in raised)
        colour = (255, 40, 40) if up else (40, 255, 40)
        r = unit * 2 if up else unit
        yy = y + header
        draw.ellipse((x - r, yy - r, x + r, yy + r), outline=(0, 0, 0), width=max(3, unit // 2 + 2))
        draw.ellipse((x - r, yy - r, x + r, yy + r), outline=colour, width=max(2, unit // 2))
        label = f"{i}R" if up else str(i)
        draw.text((x + r + 1, yy - r), label, fill=colour, font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    dense = f" + dense ~{entry['dense_people']}" if entry.get("dense_people") else ""
    text = f"people {len(entry.get('people', []))}{dense}, raised {len(raised)}, scene {entry.get('scene')}  {truth}"
    draw.text((4, 2), text, fill=(255, 255, 255), font=font)
    return out


def read_truth(data: Path) -> dict[str, dict[str, str]]:
    path = data / "images" / "ground_truth.tsv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--data", type=Path, default=REPO.parent / "shared" / "data", help="folder in the ../shared/data layout"
    )
    ap.add_argument("--annotations", type=Path, default=HERE / "perception.json")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder, outside the repository")
    ap.add_argument("--only", default="", help="draw only entries whose key contains this text")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if out == REPO or REPO in out.parents:
        print(f"--out {out} is inside the repository; choose a folder outside it (default {DEFAULT_OUT})")
        return 2
    try:
        doc = json.loads(args.annotations.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        print(f"cannot read the annotations {args.annotations}: {e}")
        return 2
    if not (args.data / "images").is_dir():
        print(f"--data {args.data} has no images/ folder; pass the folder that holds images/ and video/")
        return 2
    truth = read_truth(args.data)
    out.mkdir(parents=True, exist_ok=True)
    totals = [0, 0, 0]
    for key, entry in sorted(doc["images"].items()):
        if args.only not in key:
            continue
        name = key.partition("#")[0]
        row = truth.get(name, {})
        tsv = f"(tsv people {row.get('people', '?')}, raised {row.get('raised_hands', '?')})" if row else ""
        try:
            img = load_frame(args.data, key)
        except (OSError, ValueError) as e:
            print(f"{key}: cannot open ({e}); skipped")
            continue
        target = out / (Path(name).stem + (f"_f{key.partition('#')[2]}" if "#" in key else "") + ".png")
        render(img, entry, tsv).save(target)
        people, raised, dense = len(entry["people"]), len(entry["raised"]), int(entry.get("dense_people", 0))
        totals[0] += people
        totals[1] += dense
        totals[2] += raised
        print(f"{key:60s} people {people:3d} + dense {dense:3d}  raised {raised:2d}  {tsv}  -> {target}")
    print(f"total: people {totals[0]} + dense {totals[1]}, raised {totals[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
