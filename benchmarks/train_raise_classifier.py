"""Does a small learned classifier beat the geometric raise rule? Leave-one-source-out, on the annotated data.

    python benchmarks/train_raise_classifier.py --data ../shared/data --out results/raise_classifier.json
        [--annotations benchmarks/annotations/perception.json] [--epochs 300] [--seed 0] [--quick]

Examples: every person the pipeline finds with a pose (`analyse_still`, the product's default settings) in the
annotated images and GIF frames, matched per person to the annotation (eval_perception's matching): label 1 when
matched to an annotated raised hand, 0 when matched to an annotated person without one (unmatched people are
left out: their truth is unknown). Features: both arms' wrist, elbow and index finger relative to their shoulder
and the nose relative to the mid-shoulder, in units of the person's scale, the arm points' visibilities, and the
palm cue's verdict (an upright palm above the head).

Model: a 2-layer MLP (PyTorch, 32 hidden units), class-weighted BCE, trained with augmentation (left-right mirror,
scale jitter +-10 %, point noise 3 % of the scale, small rotations). Evaluation: leave one *source* out (a source is
the repository / photo series in the manifest): the model is trained on every other source and scored on the
held-out one; the rule (pose verdict OR palm cue, what the pipeline does) is scored on the same examples. The
product keeps the rule unless the classifier's pooled leave-one-source-out F1 is higher; this script only reports.
Deterministic for a seed (torch.manual_seed, one thread). Frames stay in memory; only the JSON is written.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageSequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from _common import write_json  # noqa: E402

from dual_teacher.core.table import print_table  # noqa: E402
from dual_teacher.perception.evaluation import Annotation, MatchCounts, PredictedHead, in_any, match  # noqa: E402
from dual_teacher.perception.model_set import PerceptionModels  # noqa: E402
from dual_teacher.perception.models import (  # noqa: E402
    LEFT_ELBOW,
    LEFT_INDEX,
    LEFT_SHOULDER,
    LEFT_WRIST,
    NOSE,
    RIGHT_ELBOW,
    RIGHT_INDEX,
    RIGHT_SHOULDER,
    RIGHT_WRIST,
    PoseLandmarks,
)
from dual_teacher.perception.people import person_scale  # noqa: E402
from dual_teacher.perception.pipeline import RoomPerception  # noqa: E402

DEFAULT_ANNOTATIONS = REPO / "benchmarks" / "annotations" / "perception.json"
ARMS = ((LEFT_SHOULDER, LEFT_ELBOW, LEFT_WRIST, LEFT_INDEX), (RIGHT_SHOULDER, RIGHT_ELBOW, RIGHT_WRIST, RIGHT_INDEX))


def raw_points(lm: PoseLandmarks) -> tuple[np.ndarray, np.ndarray, float]:
    """(9, 2) points: nose, then per arm shoulder, elbow, wrist, index; (9,) visibilities; the person's scale."""
    idx = [NOSE] + [i for arm in ARMS for i in arm]
    pts = np.array([lm.xy(i) for i in idx], dtype=np.float64)
    vis = np.array([min(lm.visibility[i], lm.presence[i]) for i in idx], dtype=np.float64)
    return pts, vis, person_scale(lm)


def features(pts: np.ndarray, vis: np.ndarray, scale: float, palm: float) -> np.ndarray:
    nose, left, right = pts[0], pts[1:5], pts[5:9]
    mid = (left[0] + right[0]) / 2
    out = [*(nose - mid) / scale]
    for arm in (left, right):
        for p in arm[1:]:
            out += [*(p - arm[0]) / scale]
    out += [*vis[1:], palm]
    return np.asarray(out, dtype=np.float32)


def mirror(pts: np.ndarray, vis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = pts.copy()
    p[:, 0] = -p[:, 0]
    order = [0, 5, 6, 7, 8, 1, 2, 3, 4]
    return p[order], vis[order]


def augment(
    rng: np.random.Generator, pts: np.ndarray, vis: np.ndarray, scale: float, palm: float, n: int
) -> list[np.ndarray]:
    out = [features(pts, vis, scale, palm)]
    for k in range(n):
        p, v = mirror(pts, vis) if k % 2 == 0 else (pts, vis)
        angle = math.radians(rng.uniform(-8, 8))
        rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
        c = p.mean(axis=0)
        p = (p - c) @ rot.T * rng.uniform(0.9, 1.1) + c + rng.normal(0, 0.03 * scale, p.shape)
        out.append(features(p, v, scale, palm))
    return out


def collect(data: Path, annotations: dict[str, Any], models: PerceptionModels, quick: bool) -> list[dict[str, Any]]:
    room = RoomPerception(models)
    rows: list[dict[str, Any]] = []
    keys = sorted(annotations)
    if quick:
        keys = [k for k in keys if annotations[k].get("raised")][:3]
    frames_by_file: dict[str, list[int | None]] = {}
    for key in keys:
        file, _, frame = key.partition("#")
        frames_by_file.setdefault(file, []).append(int(frame) if frame else None)
    for file, picks in frames_by_file.items():
        path = data / file
        if not path.is_file():
            continue
        with Image.open(path) as img:
            if getattr(img, "n_frames", 1) <= 1:
                images = [(None, img.convert("RGB"))]
            else:
                images = [(i, f.convert("RGB")) for i, f in enumerate(ImageSequence.Iterator(img)) if i in picks]
        for index, im in images:
            key = file if index is None else f"{file}#{index}"
            entry = annotations[key]
            if (im.width, im.height) != (int(entry["width"]), int(entry["height"])):
                continue
            ann = Annotation.from_json(entry)
            result = room.analyse_still(np.asarray(im))
            people = [p for p in result.people if p.landmarks is not None]
            heads = [PredictedHead(p.head[0], p.head[1], p.head[2], False) for p in people]
            raised = {i for i, _ in match(heads, ann.raised)}
            known = {i for i, _ in match(heads, ann.people)} | raised
            for i, p in enumerate(people):
                if i not in known or (i not in raised and in_any((p.head[0], p.head[1]), ann.dense)):
                    continue
                assert p.landmarks is not None
                pts, vis, scale = raw_points(p.landmarks)
                rows.append(
                    {
                        "source": ann.source or file,
                        "key": key,
                        "label": int(i in raised),
                        "rule": int(bool(p.raised)),
                        "palm": float("palm" in p.raised_by),
                        "pts": pts,
                        "vis": vis,
                        "scale": scale,
                    }
                )
    return rows


def train(
    x: np.ndarray, y: np.ndarray, epochs: int, seed: int
) -> Any:  # the torch module (typed loosely: torch is a benchmark-only dependency)
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    pos = max(float(y.sum()), 1.0)
    weight = torch.tensor([(len(y) - pos) / pos])
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=weight)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.float32))[:, None]
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        opt.step()
    return model


def predict(model: Any, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.no_grad():
        out: np.ndarray = (torch.sigmoid(model(torch.from_numpy(x))).numpy()[:, 0] >= 0.5).astype(int)
    return out


def counts(pred: np.ndarray, label: np.ndarray) -> MatchCounts:
    return MatchCounts(
        int(((pred == 1) & (label == 1)).sum()),
        int(((pred == 1) & (label == 0)).sum()),
        int(((pred == 0) & (label == 1)).sum()),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--annotations", type=Path, default=DEFAULT_ANNOTATIONS)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--augment", type=int, default=8, help="augmented copies per training example")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="3 images, 30 epochs (smoke run)")
    args = ap.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print(
            "PyTorch is not installed: bash scripts/bootstrap.sh test installs it (requirements/lock.txt)",
            file=sys.stderr,
        )
        return 2
    annotations: dict[str, Any] = json.loads(args.annotations.read_text(encoding="utf-8"))["images"]
    started = time.perf_counter()
    models = PerceptionModels.load(threads=2)
    rows = collect(args.data, annotations, models, args.quick)
    epochs = 30 if args.quick else args.epochs
    sources = sorted({r["source"] for r in rows})
    rng = np.random.default_rng(args.seed)
    table: list[dict[str, Any]] = []
    pooled_model, pooled_rule = MatchCounts(0, 0, 0), MatchCounts(0, 0, 0)
    for held in sources:
        train_rows = [r for r in rows if r["source"] != held]
        test_rows = [r for r in rows if r["source"] == held]
        if not train_rows or not any(r["label"] for r in train_rows):
            continue
        xs, ys = [], []
        for r in train_rows:
            for f in augment(rng, r["pts"], r["vis"], r["scale"], r["palm"], args.augment):
                xs.append(f)
                ys.append(r["label"])
        model = train(np.stack(xs), np.asarray(ys), epochs, args.seed)
        x_test = np.stack([features(r["pts"], r["vis"], r["scale"], r["palm"]) for r in test_rows])
        label = np.asarray([r["label"] for r in test_rows])
        m = counts(predict(model, x_test), label)
        rule = counts(np.asarray([r["rule"] for r in test_rows]), label)
        pooled_model, pooled_rule = pooled_model + m, pooled_rule + rule
        table.append(
            {
                "held-out source": held,
                "people": len(test_rows),
                "raised": int(label.sum()),
                "model tp/fp/fn": f"{m.tp}/{m.fp}/{m.fn}",
                "rule tp/fp/fn": f"{rule.tp}/{rule.fp}/{rule.fn}",
            }
        )
    print_table(table, ["held-out source", "people", "raised", "model tp/fp/fn", "rule tp/fp/fn"])

    def fig(m: MatchCounts) -> dict[str, Any]:
        return {"precision": m.precision, "recall": m.recall, "f1": m.f1, "tp": m.tp, "fp": m.fp, "fn": m.fn}

    summary = {"classifier": fig(pooled_model), "rule": fig(pooled_rule)}
    for name, s in summary.items():
        f1 = "-" if s["f1"] is None else f"{s['f1']:.2f}"
        print(f"{name}: leave-one-source-out F1 {f1} (tp {s['tp']}, fp {s['fp']}, fn {s['fn']})")
    better = (summary["classifier"]["f1"] or 0.0) > (summary["rule"]["f1"] or 0.0)
    verdict = "beats" if better else "does not beat"
    print(f"({len(rows)} people from {len(sources)} sources; the classifier {verdict} the rule)")
    write_json(
        args.out,
        {
            "examples": len(rows),
            "positives": sum(r["label"] for r in rows),
            "sources": sources,
            "leave_one_source_out": summary,
            "classifier_beats_rule": better,
            "per_source": table,
            "epochs": epochs,
            "augment": args.augment,
            "seed": args.seed,
            "seconds": round(time.perf_counter() - started, 1),
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
