"""Accuracy of the speech pipeline: WER (English, tiny.en), CER (Mandarin, base), hallucinations, loops.

    python benchmarks/eval_asr.py --data ../shared/data --out asr_eval.json [--quick]

Each clip of DIR/speech/references.tsv goes through the live path's VAD gate, segmenter, faster-whisper
adapter and guards (`dual_teacher.speech.pipeline.transcribe_offline`): finals only, on the CPU.

Text normalisation (stated, applied to reference and hypothesis alike):
- en: case-folded; "Mr./Mrs./Dr./St." spelled out; digits to English words ("8" -> "eight"); hyphens split;
  punctuation dropped, apostrophes inside words kept; "oh" (or "o") next to a digit word is the digit zero
  ("nine oh two", digits read one by one, which an ASR writes "9 0 2"); a number of two or more digits in a
  hypothesis also counts as read digit by digit where that matches better ("790" = "seven nine zero").
  A reference with "(normalized: X)" is scored against both spellings and the better one counts.
  WER = word edits / reference words, summed over clips.
- zh: CER over characters; punctuation, spaces and symbols dropped; Simplified output is the ASR's job
  (not corrected here).
Skipped, with the reason printed: clips whose reference says "(no full reference) ... must contain X"
(only one keyword is known: reported as keyword checks, e.g. the hotwords and the shopping-command clips), the
mixed English/German clip (no exact German reference). The stereo clip is scored per channel.

Parity: in the same run every clip is also decoded by the plain library on the same weights
(`faster_whisper.WhisperModel.transcribe(beam_size=5, condition_on_previous_text=False)`, its own 30 s
windows, no VAD; Mandarin through the same OpenCC t2s), scored the same way. The per-clip table says where the
project is worse than the plain library by more than one word (en) or two characters (zh); the corpus figures
of both are reported side by side (`parity`). `--no-plain` skips it.

Hallucinations: words emitted on generated, seeded non-speech (digital silence with dither, room tone
with mains hum, a fan, room noises: chair scrapes, knocks, paper, doors), 10 minutes by default, through
the same path. The same audio in plain 30 s windows without the VAD gate is reported for comparison.
Loops: clips of 10 s and more, counting repetition-guard triggers and the longest repeated run left.
Speech rate: each hypothesis' syllables per voiced second (Silero windows >= 0.5), and for each mostly
invented hypothesis how many exactly decoded clips are as fast (`speech_rate`): whether "text too long for
the voiced audio" could tell hallucinations from speech in this data.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import (
    fingerprint,
    fmt,
    max_repeat_run,
    noise_kinds,
    normalize_en,
    normalize_zh,
)

from dual_teacher.bench.figures import word_error_counts
from dual_teacher.core.stats import median
from dual_teacher.media.audio import decode_audio
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber, to_simplified
from dual_teacher.speech.pipeline import transcribe_offline
from dual_teacher.speech.plain_whisper import PlainWhisper
from dual_teacher.speech.text import tokenize
from dual_teacher.speech.vad import WINDOW_S, SileroVad

QUICK_EN = ("en_sb_harvard_spk1_snt1.wav", "en_ps_goforward.wav", "en_ljspeech_LJ001-0002.flac")
QUICK_ZH = ("zh_sr_za_ziji_de_jiao.flac",)
SKIP = {
    "mixed_en_de_fw_multilingual.mp3": "mixed English/German, no exact German reference",
}
PARITY_SLACK = {"en": 1, "zh": 2}  # words / characters worse than the plain library that still count as parity
DIGIT_WORDS = frozenset(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))
_KEYWORD = re.compile(r"must contain (?:the word )?'?([^'\s]+)'?\s*$")


def keyword_of(reference: str) -> str | None:
    """The one known word of a weak "(no full reference) ... must contain X" reference, else None."""
    if not reference.startswith("(no full reference)"):
        return None
    m = _KEYWORD.search(reference)
    return m.group(1) if m else None


def read_references(data: Path) -> list[dict[str, str]]:
    with (data / "speech" / "references.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def reference_variants(ref: str) -> list[str]:
    m = re.search(r"\(normalized:\s*([^)]*)\)", ref)
    if not m:
        return [ref]
    return [ref[: m.start()].strip(), m.group(1).strip()]


def items(
    rows: list[dict[str, str]], quick: bool, only: list[str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """(clips to score, skipped with reason). The stereo clip becomes two items, one per channel."""
    out: list[dict[str, Any]] = []
    skipped = []
    for row in rows:
        name, lang, ref = row["file"], row["language"], row["reference"]
        if quick and name not in QUICK_EN + QUICK_ZH:
            continue
        if only is not None and name not in only:
            continue
        if name in SKIP:
            skipped.append({"file": name, "reason": SKIP[name]})
            continue
        if keyword_of(ref) is not None:
            skipped.append({"file": name, "reason": f"only the keyword {keyword_of(ref)!r} is known: keyword check"})
            continue
        if lang not in ("en", "zh"):
            skipped.append({"file": name, "reason": f"language {lang!r}"})
            continue
        if "LEFT channel:" in ref:
            m = re.match(r"LEFT channel:\s*(.*?)\s*\|\s*RIGHT channel:\s*(.*)", ref)
            if m:
                out.append({"file": name, "lang": lang, "refs": [m.group(1)], "channel": 0, "id": name + "#L"})
                out.append({"file": name, "lang": lang, "refs": [m.group(2)], "channel": 1, "id": name + "#R"})
                continue
        out.append({"file": name, "lang": lang, "refs": reference_variants(ref), "channel": None, "id": name})
    return out, skipped


def spoken_zeros(words: list[str]) -> list[str]:
    """Normalised English words with "oh"/"o" read as a digit ("one nine oh two") written "zero", as an ASR
    writes "0" there: only next to a digit word. The same mapping on both sides, so an interjection ("oh")
    spelled alike in reference and hypothesis still matches."""
    out = list(words)
    for i, w in enumerate(out):
        before = out[i - 1] if i > 0 else ""
        after = out[i + 1] if i + 1 < len(out) else ""
        if w in ("oh", "o") and (before in DIGIT_WORDS or after in DIGIT_WORDS):
            out[i] = "zero"
    return out


def normalize_en_scored(text: str) -> list[str]:
    """The English scoring form: `normalize_en`, then spoken zeros (see the module docstring)."""
    return spoken_zeros(normalize_en(text))


def number_readings(text: str) -> list[str]:
    """A text as written, and, where it has a number of two or more digits, with those numbers read digit by
    digit ("790" is "seven nine zero" as often as "seven hundred ninety"): an ASR writes either for either."""
    spelled = re.sub(r"(?<![\d,.])\d{2,}(?![\d,.]\d)", lambda m: " ".join(m.group(0)), text)
    return [text] if spelled == text else [text, spelled]


def score(lang: str, refs: list[str], hyp: str) -> tuple[int, int, str]:
    """(edits, reference length, reference used) for the best-matching reference spelling and reading of the
    hypothesis's numbers (`number_readings`; the same rule for the project and the plain library)."""
    norm = normalize_en_scored if lang == "en" else normalize_zh
    hyps = [norm(h) for h in (number_readings(hyp) if lang == "en" else [hyp])]
    best = min(
        ((min(word_error_counts(norm(r), h) for h in hyps), len(norm(r)), r) for r in refs),
        key=lambda x: x[0] / max(1, x[1]),
    )
    return best


def syllables(lang: str, text: str) -> int:
    """Syllables of a text: a character each in Mandarin; vowel groups per normalised English word (a silent
    final e not counted), at least one per word. An estimate, good to about one syllable in ten."""
    if lang == "zh":
        return len(normalize_zh(text))
    count = 0
    for word in normalize_en(text):
        n = len(re.findall(r"[aeiouy]+", word))
        if word.endswith("e") and not word.endswith(("le", "ee", "ye")) and n > 1:
            n -= 1
        count += max(1, n)
    return count


def speech_rate(vad: SileroVad, audio: np.ndarray, lang: str, hyp: str) -> dict[str, float | None]:
    """Voiced seconds of the clip (Silero windows at 0.5 or more) and the hypothesis' syllables per voiced
    second: text far too long for the audio it came from would be a hallucination (see `rate_summary`)."""
    vad.reset()
    voiced = float(np.count_nonzero(vad.process(audio) >= 0.5)) * WINDOW_S
    rate = syllables(lang, hyp) / voiced if voiced > 0 else None
    return {"voiced_s": round(voiced, 2), "syllables_per_voiced_s": None if rate is None else round(rate, 2)}


def rate_summary(per_clip: list[dict[str, Any]]) -> dict[str, Any]:
    """Per language, the test of a rate check ("text far too long for the voiced audio is a hallucination"):
    the fastest hypothesis among clips decoded without an error, and for each clip whose hypothesis is mostly
    invented (more edits than reference units) its rate and how many exact clips are at least as fast (the
    correct text a limit that drops it would drop too)."""
    out: dict[str, Any] = {}
    for lang in ("en", "zh"):
        recs = [r for r in per_clip if r["lang"] == lang and r["syllables_per_voiced_s"] is not None]
        exact = [r for r in recs if r["edits"] == 0 and r["hypothesis"]]
        if not exact:
            continue
        top = max(exact, key=lambda r: r["syllables_per_voiced_s"])
        out[lang] = {
            "exact_clips": len(exact),
            "max_on_exact_clips": top["syllables_per_voiced_s"],
            "clip": top["clip"],
            "invented": [
                {
                    "clip": r["clip"],
                    "rate": r["syllables_per_voiced_s"],
                    "edits": r["edits"],
                    "ref_units": r["ref_units"],
                    "exact_clips_as_fast": sum(
                        x["syllables_per_voiced_s"] >= r["syllables_per_voiced_s"] for x in exact
                    ),
                }
                for r in recs
                if r["edits"] > r["ref_units"]
            ],
        }
    return out


def _join(lang: str, parts: list[str]) -> str:
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


def plain_text(plain: PlainWhisper | None, audio: np.ndarray, lang: str) -> str | None:
    """The plain library's text (beam 5, no conditioning on previous text, Mandarin through OpenCC t2s)."""
    if plain is None:
        return None
    text = plain.transcribe(audio, lang, beam_size=5, condition_on_previous_text=False)
    return to_simplified(text) if lang == "zh" else text


def run_clips(
    args: argparse.Namespace,
    transcribers: dict[str, FasterWhisperTranscriber],
    plains: dict[str, PlainWhisper | None],
) -> dict[str, Any]:
    rows = read_references(args.data)
    clips, skipped = items(rows, args.quick, args.only)
    vad = SileroVad()
    per_clip = []
    loops = []
    print(f"{'clip':46} {'lang':4} {'err':>6} {'plain':>6}  reference -> hypothesis (| plain library)")
    for item in clips:
        if item["lang"] == "zh" and args.no_zh:
            continue
        lang = item["lang"]
        audio = decode_audio(args.data / "speech" / item["file"], item["channel"])
        vad.reset()
        t0 = time.perf_counter()
        results = transcribe_offline(
            audio, transcribers[lang], vad, prompt_with_previous=not args.no_prompt, full_window=not args.short_window
        )
        took = time.perf_counter() - t0
        hyp_parts = [t.text for _, t in results if t.text]
        hyp = _join(lang, hyp_parts)
        edits, n, ref = score(lang, item["refs"], hyp)
        rate = edits / max(1, n)
        duration = len(audio) / 16_000
        plain_hyp = plain_text(plains.get(lang), audio, lang)
        plain_edits = None if plain_hyp is None else score(lang, item["refs"], plain_hyp)[0]
        record = {
            "clip": item["id"],
            "lang": lang,
            "seconds": round(duration, 2),
            "reference": ref,
            "hypothesis": hyp,
            "edits": edits,
            "ref_units": n,
            "error_rate": round(rate, 4),
            "plain_hypothesis": plain_hyp,
            "plain_edits": plain_edits,
            "utterances": len(results),
            "looped_utterances": sum(t.looped for _, t in results),
            "dropped_segments": sum(t.dropped_segments for _, t in results),
            "compute_s": round(took, 3),
        }
        record.update(speech_rate(vad, audio, lang, hyp))
        per_clip.append(record)
        plain_rate = "" if plain_edits is None else f"{plain_edits / max(1, n):6.1%}"
        print(f"{item['id'][:46]:46} {lang:4} {rate:6.1%} {plain_rate:>6}  {ref}\n{'':65}-> {hyp}")
        if plain_hyp is not None and plain_hyp != hyp:
            print(f"{'':65} | {plain_hyp}")
        if duration >= 10:
            toks = [t for part in hyp_parts for t in tokenize(part)]
            loops.append(
                {
                    "clip": item["id"],
                    "seconds": round(duration, 1),
                    "guard_triggers": record["looped_utterances"],
                    "segments_dropped": record["dropped_segments"],
                    "longest_repeat_run": max_repeat_run([t.casefold() for t in toks]),
                }
            )
    keyword_checks = []
    for row in rows:
        word = keyword_of(row["reference"])
        lang = row["language"]
        if word is None or args.quick or lang not in transcribers or (lang == "zh" and args.no_zh):
            continue
        vad.reset()
        audio = decode_audio(args.data / "speech" / row["file"])
        hyp = _join(lang, [t.text for _, t in transcribe_offline(audio, transcribers[lang], vad)])
        plain_hyp = plain_text(plains.get(lang), audio, lang)
        found = word.casefold() in hyp.casefold().replace(" ", "")
        plain_found = None if plain_hyp is None else word.casefold() in plain_hyp.casefold().replace(" ", "")
        keyword_checks.append(
            {"clip": row["file"], "keyword": word, "found": found, "hypothesis": hyp, "plain_found": plain_found}
        )
        print(f"{row['file'][:46]:46} {lang:4} keyword {word!r} {'found' if found else 'NOT found'} ({hyp})")
    out: dict[str, Any] = {"skipped": skipped, "per_clip": per_clip, "loops": loops, "keyword_checks": keyword_checks}
    for lang, metric in (("en", "wer"), ("zh", "cer")):
        recs = [r for r in per_clip if r["lang"] == lang]
        edits = sum(r["edits"] for r in recs)
        units = sum(r["ref_units"] for r in recs)
        plain_recs = [r for r in recs if r["plain_edits"] is not None]
        out[lang] = {
            "clips": len(recs),
            metric: (edits / units) if units else None,
            "ref_units": units,
            "model": transcribers[lang].options.model,
            "median_clip_" + metric: median([r["error_rate"] for r in recs]),
            "plain_" + metric: (sum(r["plain_edits"] for r in plain_recs) / units) if plain_recs and units else None,
        }
    out["parity"] = parity(per_clip)
    out["speech_rate"] = rate_summary(per_clip)
    return out


def parity(per_clip: list[dict[str, Any]]) -> dict[str, Any]:
    """Per clip: the project's edits against the plain library's; worse = more than PARITY_SLACK worse."""
    rows = []
    for r in per_clip:
        if r["plain_edits"] is None:
            continue
        delta = r["edits"] - r["plain_edits"]
        rows.append(
            {
                "clip": r["clip"],
                "lang": r["lang"],
                "ref_units": r["ref_units"],
                "ours": r["edits"],
                "plain": r["plain_edits"],
                "delta": delta,
                "worse": delta > PARITY_SLACK[r["lang"]],
            }
        )
    return {
        "slack": PARITY_SLACK,
        "plain": "faster_whisper.WhisperModel.transcribe(beam_size=5, condition_on_previous_text=False) + OpenCC t2s",
        "clips": len(rows),
        "worse": [x["clip"] for x in rows if x["worse"]],
        "better": sum(x["delta"] < 0 for x in rows),
        "equal": sum(x["delta"] == 0 for x in rows),
        "worse_within_slack": sum(x["delta"] > 0 and not x["worse"] for x in rows),
        "rows": rows,
    }


def print_parity(p: dict[str, Any]) -> None:
    if not p["rows"]:
        return
    print(f"\nparity with the plain library ({p['plain']}), per clip: edits ours / plain")
    print(f"{'clip':46} {'lang':4} {'units':>5} {'ours':>5} {'plain':>5} {'delta':>6}")
    for x in p["rows"]:
        mark = "  WORSE" if x["worse"] else ""
        counts = f"{x['ref_units']:5d} {x['ours']:5d} {x['plain']:5d} {x['delta']:+6d}"
        print(f"{x['clip'][:46]:46} {x['lang']:4} {counts}{mark}")
    print(
        f"{p['clips']} clips: {p['better']} better, {p['equal']} equal, "
        f"{p['worse_within_slack']} worse by at most the slack, {len(p['worse'])} worse beyond it"
    )


def ungated_words(audio: np.ndarray, transcriber: FasterWhisperTranscriber) -> int:
    """Words from plain 30 s windows with no VAD gate (the naive way), for comparison."""
    words = 0
    for i in range(0, len(audio), 30 * 16_000):
        words += len(normalize_en(transcriber.transcribe(audio[i : i + 30 * 16_000]).text))
    return words


def run_noise(args: argparse.Namespace, transcriber: FasterWhisperTranscriber) -> dict[str, Any]:
    seconds_each = args.noise_seconds / 4
    vad = SileroVad()
    by_kind = {}
    print(f"\n{'non-speech':14} {'seconds':>8} {'utterances':>10} {'words':>6} {'ungated words':>14}  text")
    for kind, audio in noise_kinds(seconds_each).items():
        vad.reset()
        results = transcribe_offline(audio, transcriber, vad)
        text = " ".join(t.text for _, t in results if t.text)
        words = len(normalize_en(text))
        ungated = ungated_words(audio, transcriber) if not args.quick else None
        by_kind[kind] = {
            "seconds": seconds_each,
            "utterances_passed_vad": len(results),
            "words": words,
            "text": text,
            "ungated_words": ungated,
        }
        print(f"{kind:14} {seconds_each:8.0f} {len(results):10d} {words:6d} {ungated!s:>14}  {text[:60]}")
    return {
        "seconds": args.noise_seconds,
        "by_kind": by_kind,
        "words": sum(k["words"] for k in by_kind.values()),
        "model": transcriber.options.model,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with speech/references.tsv")
    parser.add_argument("--out", type=Path, required=True, help="JSON results")
    parser.add_argument("--quick", action="store_true", help="4 clips and 20 s of non-speech (smoke test)")
    parser.add_argument("--noise-seconds", type=float, default=600.0, help="generated non-speech (default 600)")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads for CTranslate2 (default 2)")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument(
        "--encoder-context", type=float, default=AsrConfig().encoder_context_s, help="seconds; 30 = Whisper's window"
    )
    parser.add_argument("--no-zh", action="store_true", help="skip Mandarin (saves loading the base model)")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain-library parity decode")
    parser.add_argument("--no-prompt", action="store_true", help="don't prompt with the previous final text")
    parser.add_argument(
        "--short-window", action="store_true", help="finals on the --encoder-context window (as the room's answers)"
    )
    parser.add_argument(
        "--no-final-timestamps", action="store_true", help="finals text-only (AsrConfig.timestamps_in_finals off)"
    )
    parser.add_argument("--only", nargs="*", default=None, help="score only these clip files (a subset)")
    args = parser.parse_args(argv)
    if args.quick:
        args.noise_seconds = min(args.noise_seconds, 20.0)
    if not (args.data / "speech" / "references.tsv").is_file():
        parser.error(f"{args.data}/speech/references.tsv not found")
    t_start = time.perf_counter()
    common = {
        "cpu_threads": args.threads,
        "beam_size": args.beam,
        "encoder_context_s": args.encoder_context,
        "timestamps_in_finals": not args.no_final_timestamps,
    }
    transcribers = {
        "en": FasterWhisperTranscriber(AsrConfig.for_language("en", **common)),
        "zh": FasterWhisperTranscriber(AsrConfig.for_language("zh", **common)),
    }
    plains: dict[str, PlainWhisper | None] = {
        lang: None
        if args.no_plain
        else PlainWhisper(t.model_dir, t.options.device, t.options.compute_type, t.options.cpu_threads)
        for lang, t in transcribers.items()
    }
    clips = run_clips(args, transcribers, plains)
    noise = run_noise(args, transcribers["en"])
    result = {
        "en": clips["en"],
        "zh": clips["zh"],
        "hallucinated_words": noise["words"],
        "hallucination": noise,
        "loops": clips["loops"],
        "keyword_checks": clips["keyword_checks"],
        "parity": clips["parity"],
        "speech_rate": clips["speech_rate"],
        "skipped": clips["skipped"],
        "per_clip": clips["per_clip"],
        "normalisation": {
            "en": "casefold; Mr/Mrs/Dr/St spelled out; digits to English words; hyphens split; punctuation "
            "dropped (inner apostrophes kept); 'oh'/'o' next to a digit word is 'zero'; best of the reference's "
            "'(normalized: ...)' spellings",
            "zh": "characters only; punctuation, spaces, symbols dropped; no Traditional->Simplified fix-up",
        },
        "config": {
            "quick": args.quick,
            "asr": {lang: vars(t.options) for lang, t in transcribers.items()},
            "pipeline": "Silero VAD v6 + energy assist -> StreamingSegmenter (the teacher channel's) -> "
            "FasterWhisperTranscriber (previous final as prompt) -> guards",
        },
        "wall_s": round(time.perf_counter() - t_start, 1),
        "fingerprint": fingerprint(),
    }
    en, zh = clips["en"], clips["zh"]
    print_parity(clips["parity"])

    def pct(x: float | None) -> str:
        return fmt(x and x * 100, 1) + "%" if x is not None else "-"

    print(f"\n{'metric':28} {'ours':>8} {'plain':>8}  clips")
    print(f"{'WER en (' + en['model'] + ')':28} {pct(en['wer']):>8} {pct(en['plain_wer']):>8}  {en['clips']}")
    print(f"{'CER zh (' + zh['model'] + ')':28} {pct(zh['cer']):>8} {pct(zh['plain_cer']):>8}  {zh['clips']}")
    kw = clips["keyword_checks"]
    if kw:
        found, plain_found = sum(k["found"] for k in kw), sum(bool(k["plain_found"]) for k in kw)
        print(f"{'keywords found':28} {found:>8} {plain_found:>8}  {len(kw)}")
    for lang, r in clips["speech_rate"].items():
        for x in r["invented"]:
            print(
                f"{'syllables/voiced s ' + lang:28} {x['rate']:8.1f}  {x['clip']} ({x['edits']} edits of "
                f"{x['ref_units']}): {x['exact_clips_as_fast']} of {r['exact_clips']} exact clips as fast "
                f"(fastest {r['max_on_exact_clips']:.1f}, {r['clip']})"
            )
    print(f"{'hallucinated words':28} {noise['words']:8d}  {args.noise_seconds:.0f} s of non-speech")
    print(
        f"{'loops left (run > 3)':28} {sum(1 for x in clips['loops'] if x['longest_repeat_run'] > 3):8d}  "
        f"{len(clips['loops'])} clips >= 10 s"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
