"""Shared helpers for the benchmark scripts: the JSON they write, generated room audio, text scoring.

The machine fingerprint comes from dual_teacher.hardware.fingerprint (re-exported here); percentiles and text
tables from dual_teacher.core (stats, table).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np

from dual_teacher.bench.data import trim_silence as trim_silence
from dual_teacher.core.stats import percentile as percentile
from dual_teacher.core.stats import summarize
from dual_teacher.hardware.fingerprint import fingerprint as fingerprint

REPO = Path(__file__).resolve().parent.parent
RATE = 16_000


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """A benchmark's results with this machine's fingerprint first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"machine": fingerprint(), **payload}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {path}\n")


def stats(values: list[float]) -> dict[str, Any]:
    """n, p50, p90 and max (seconds) of a sample (None when empty)."""
    return summarize(values).as_dict(keys=("n", "p50", "p90", "max"))


def fmt(x: float | None, digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


# ---- generated room audio (seeded) ---------------------------------------------------------------------
def _colored(rng: np.random.Generator, n: int, exponent: float) -> np.ndarray:
    """Noise with a 1/f^exponent power spectrum (1: pink, 2: brown), unit RMS."""
    spec = np.fft.rfft(rng.normal(size=n))
    f = np.fft.rfftfreq(n, 1 / RATE)
    f[0] = f[1]
    x = np.fft.irfft(spec / f ** (exponent / 2), n)
    return (x / (np.sqrt(np.mean(x**2)) + 1e-12)).astype(np.float32)


def _db(level_db: float) -> float:
    return float(10 ** (level_db / 20))


def room_tone(seconds: float, seed: int, level_db: float = -50.0) -> np.ndarray:
    """Quiet room: pink noise and 50 Hz mains hum with harmonics."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    hum = sum(np.sin(2 * np.pi * 50 * k * t + rng.uniform(0, 6.28)) / k for k in (1, 2, 3, 5))
    return (_colored(rng, n, 1.0) * _db(level_db) + hum * _db(level_db - 6)).astype(np.float32)


def noise_kinds(seconds_each: float, seed: int = 1234) -> dict[str, np.ndarray]:
    """Four kinds of non-speech: digital silence with dither, room tone, a fan, room noises (transients)."""
    rng = np.random.default_rng(seed)
    n = int(seconds_each * RATE)
    silence = (rng.normal(size=n) * 1e-4).astype(np.float32)
    tone = room_tone(seconds_each, seed + 1)
    fan = (_colored(rng, n, 2.0) * _db(-35) + _colored(rng, n, 0.0) * _db(-48)).astype(np.float32)
    fan += room_tone(seconds_each, seed + 2, -55)
    transients = room_tone(seconds_each, seed + 3, -48)
    t = 0.5
    while t < seconds_each - 1.0:
        i = int(t * RATE)
        kind = rng.integers(0, 4)
        if kind == 0:  # chair scrape: band-passed noise sweep, 0.3-0.9 s
            m = int(rng.uniform(0.3, 0.9) * RATE)
            burst = np.convolve(rng.normal(size=m), np.hanning(24), "same")
            burst *= np.sin(np.linspace(0, np.pi, m)) * _db(rng.uniform(-30, -18)) / (np.std(burst) + 1e-9)
        elif kind == 1:  # knock on a desk: decaying low resonance
            m = int(0.25 * RATE)
            tt = np.arange(m) / RATE
            burst = np.sin(2 * np.pi * rng.uniform(120, 300) * tt) * np.exp(-tt * 30) * _db(rng.uniform(-20, -10))
        elif kind == 2:  # paper rustle: high-passed noise, 0.2-0.6 s
            m = int(rng.uniform(0.2, 0.6) * RATE)
            burst = np.diff(rng.normal(size=m + 1)) * np.hanning(m) * _db(rng.uniform(-34, -24))
        else:  # a door closing: thump + rattle
            m = int(0.5 * RATE)
            tt = np.arange(m) / RATE
            burst = (np.sin(2 * np.pi * 60 * tt) + 0.3 * rng.normal(size=m)) * np.exp(-tt * 12) * _db(-16)
        transients[i : i + len(burst)] += burst[: len(transients) - i].astype(np.float32)
        t += rng.uniform(1.0, 4.0)
    return {"silence": silence, "room_tone": tone, "fan": fan, "room_noises": np.clip(transients, -1, 1)}


# ---- text scoring ----------------------------------------------------------------------------------------
_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
_ONES += "seventeen eighteen nineteen"
ONES = _ONES.split()
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
ABBREVIATIONS = {"mr": "mister", "mrs": "missus", "dr": "doctor", "st": "saint", "vs": "versus"}


def number_words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(ONES[int(d)] for d in str(n))


_ORDINAL = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def ordinal_words(n: int) -> str:
    *head, last = number_words(n).split()
    if last in _ORDINAL:
        last = _ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return " ".join([*head, last])


def normalize_en(text: str) -> list[str]:
    """Lower case; Mr./Mrs./Dr. spelled out; digits to words; punctuation dropped (apostrophes kept)."""
    t = text.casefold().replace("\u2019", "'").replace("&", " and ")
    t = re.sub(r"(\d),(\d{3})", r"\1\2", t)
    t = re.sub(r"(\d+)(st|nd|rd|th)\b", lambda m: " " + ordinal_words(int(m.group(1))) + " ", t)
    t = re.sub(r"\d+", lambda m: " " + number_words(int(m.group(0))) + " ", t)
    words = re.findall(r"[a-z]+(?:'[a-z]+)*", t.replace("-", " "))
    return [ABBREVIATIONS.get(w, w) for w in words]


def normalize_zh(text: str) -> list[str]:
    """Characters only: punctuation, spaces and symbols dropped (Simplified conversion happens in the ASR)."""
    import unicodedata

    return [ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch)[0] in "LN"]


def max_repeat_run(tokens: list[str], max_n: int = 12) -> int:
    """The longest run of one token or phrase repeated back to back (1 = no repetition)."""
    best = 1
    for n in range(1, max_n + 1):
        for i in range(len(tokens) - n):
            reps = 1
            while tokens[i + reps * n : i + (reps + 1) * n] == tokens[i : i + n]:
                reps += 1
            best = max(best, reps)
    return best
