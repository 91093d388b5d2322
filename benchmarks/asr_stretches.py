"""Where a short clip's words come from: the clip decoded whole, and with only one voiced stretch left in.

    python benchmarks/asr_stretches.py --data ../shared/data --out results/asr_stretches.json [--max-s 6]

For every clip of DIR/speech/references.tsv up to `--max-s` seconds long (the keyword and short answer clips):
- its voiced stretches: Silero windows at 0.5 or more, gaps under 0.3 s joined, stretches of one window
  (32 ms) dropped;
- its final text through the live path (`transcribe_offline`, as `eval_asr.py` decodes it);
- for each stretch, the text of the clip with every other stretch replaced by the clip's own quietest 0.5 s
  (the same noise floor, no speech): which words that stretch gives.
A clip with words but no voiced stretch is a hallucination on non-speech; a clip with more voiced stretches
than its reference has words says the reference names only part of what is said (a keyword reference).
Nothing here is fitted; it is a diagnosis, printed as a table and written as JSON.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import write_json

from dual_teacher.core.table import print_table
from dual_teacher.media.audio import decode_audio
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber
from dual_teacher.speech.pipeline import transcribe_offline
from dual_teacher.speech.vad import WINDOW_S, SileroVad

RATE = 16_000
JOIN_S = 0.3
MIN_STRETCH_S = 0.06
QUIET_S = 0.5


def stretches(probs: np.ndarray, threshold: float = 0.5) -> list[tuple[float, float]]:
    """Voiced stretches (start, end) in seconds from Silero window probabilities: gaps under `JOIN_S`
    joined, stretches under `MIN_STRETCH_S` dropped."""
    out: list[list[float]] = []
    for i, p in enumerate(probs):
        if p < threshold:
            continue
        start, end = i * WINDOW_S, (i + 1) * WINDOW_S
        if out and start - out[-1][1] < JOIN_S:
            out[-1][1] = end
        else:
            out.append([start, end])
    return [(round(s, 2), round(e, 2)) for s, e in out if e - s >= MIN_STRETCH_S]


def quietest(audio: np.ndarray, seconds: float = QUIET_S) -> np.ndarray:
    """The clip's quietest `seconds` (lowest RMS, 0.05 s steps): its own noise floor."""
    n = min(len(audio), int(seconds * RATE))
    step = max(1, int(0.05 * RATE))
    starts = range(0, max(1, len(audio) - n + 1), step)
    best = min(starts, key=lambda s: float(np.mean(audio[s : s + n] ** 2)))
    return audio[best : best + n]


def only_stretch(audio: np.ndarray, spans: list[tuple[float, float]], keep: int, floor: np.ndarray) -> np.ndarray:
    """The clip with every stretch but `keep` replaced by `floor` (tiled), a little wider than the stretch."""
    out = audio.copy()
    for k, (s, e) in enumerate(spans):
        if k == keep:
            continue
        a, b = max(0, int((s - 0.1) * RATE)), min(len(out), int((e + 0.1) * RATE))
        out[a:b] = np.resize(floor, b - a)
    return out


def reference_units(lang: str, reference: str) -> int:
    """Words (en) or characters (zh) of a reference: at most that many voiced stretches can be what it says."""
    units = [ch for ch in reference if "\u4e00" <= ch <= "\u9fff"] if lang == "zh" else reference.split()
    return max(1, len(units))


def decode(audio: np.ndarray, transcriber: FasterWhisperTranscriber, vad: SileroVad) -> str:
    vad.reset()
    return " ".join(t.text for _, t in transcribe_offline(audio, transcriber, vad) if t.text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder with speech/references.tsv")
    ap.add_argument("--out", type=Path, required=True, help="JSON results file")
    ap.add_argument("--max-s", type=float, default=6.0, help="clips up to this long")
    ap.add_argument("--only", default="", help="only clips whose file name contains this")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    refs = args.data / "speech" / "references.tsv"
    if not refs.is_file():
        ap.error(f"{refs} not found")
    with refs.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if args.only in r["file"]]
    rows = [r for r in rows if r["language"] in ("en", "zh")]
    transcribers: dict[str, FasterWhisperTranscriber] = {}
    vad = SileroVad()
    clips: list[dict[str, Any]] = []
    for row in rows:
        audio = decode_audio(args.data / "speech" / row["file"])
        seconds = len(audio) / RATE
        if seconds > args.max_s:
            continue
        lang = row["language"]
        if lang not in transcribers:
            transcribers[lang] = FasterWhisperTranscriber(AsrConfig.for_language(lang, cpu_threads=args.threads))
        t = transcribers[lang]
        vad.reset()
        spans = stretches(vad.process(audio))
        floor = quietest(audio)
        whole = decode(audio, t, vad)
        alone = []  # one stretch alone would be the whole clip again: decoded only where there are two or more
        if len(spans) > 1:
            alone = [decode(only_stretch(audio, spans, k, floor), t, vad) for k in range(len(spans))]
        clips.append(
            {
                "clip": row["file"],
                "lang": lang,
                "seconds": round(seconds, 2),
                "reference": row["reference"],
                "stretches": spans,
                "text": whole,
                "stretch_texts": alone,
                "words_without_speech": len(whole.split()) if not spans else 0,
            }
        )
    print_table(
        [
            {
                **c,
                "reference": c["reference"][:40],
                "text": c["text"][:60],
                "stretches": " ".join(f"{s:.2f}-{e:.2f}" for s, e in c["stretches"]) or "none",
                "each alone": " | ".join(c["stretch_texts"]) or "-",
            }
            for c in clips
        ],
        ["clip", "seconds", "reference", "stretches", "text", "each alone"],
    )
    hallucinated = sum(c["words_without_speech"] for c in clips)
    more = [c["clip"] for c in clips if len(c["stretches"]) > reference_units(c["lang"], c["reference"])]
    print(f"\n{len(clips)} clips up to {args.max_s:g} s: {hallucinated} words from clips with no voiced stretch")
    print(f"more voiced stretches than reference words: {', '.join(more) or 'none'}")
    write_json(
        args.out,
        {
            "max_s": args.max_s,
            "clips": clips,
            "words_without_speech": hallucinated,
            "more_stretches_than_reference_words": more,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
