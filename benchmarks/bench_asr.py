"""Speed of the speech pipeline: real-time factor, partial and final latency, caption lag.

    python benchmarks/bench_asr.py --out asr_bench.json [--quick] [--data ../shared/data]

Real recorded utterances of about 2 s, 5 s and 15 s (from DIR/speech, silence trimmed; the 15 s ones are
two read sentences back to back) are each placed in generated room tone (1 s before, 2.5 s after) and
played in real time (an `ArraySource` paced on the wall clock) into a real `SpeechStage` with Whisper
tiny.en on `--threads` CPU threads:
- answer mode: the room microphone while a question is open (finals only) -> final latency = the moment
  the final transcript is ready minus the true end of speech (the end of the trimmed clip);
- caption mode: the lead teacher's audio (partials every second + finals) -> partial latency (ready minus
  the end of the audio it covers) and caption lag per word (first shown minus when it was spoken, from
  Whisper's word alignment of the clip), shown = in any caption, firm = in the stable part.
Both run alone and with a perception-like load in another process (numpy matmuls on one thread, 25 ms of
work per frame at 15 fps, like the pose pipeline in FIELD_NOTES; the perception stage itself is not built
yet). RTF = transcription compute seconds / audio seconds over the final jobs.

Baseline, same audio, same run: fixed 2 s chunks with no VAD, each transcribed on its own as it arrives
(compute measured, queueing simulated): final latency and the words it emits on the room tone.
No figure here is checked by the test suite; `--quick` is the smoke run.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import REPO, fingerprint, fmt, normalize_en, room_tone, stats, trim_silence

from dual_teacher.core import events as ev
from dual_teacher.core.table import print_table
from dual_teacher.inference.silero import load_silero_vad
from dual_teacher.lesson import commands as cmd
from dual_teacher.media.audio import ArraySource, decode_audio
from dual_teacher.runtime.speech_stage import SpeechConfig, SpeechStage
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber
from dual_teacher.speech.text import key, tokenize
from dual_teacher.speech.vad import SileroVad

TABLE_COLUMNS = (
    "condition/size/mode", "n", "final p50", "final p90", "partial p90", "lag shown p90", "lag firm p90", "RTF",
)  # fmt: skip

RATE = 16_000
LEAD_S, TAIL_S = 1.0, 2.5
SETS = {
    "2s": [["en_azure_whatstheweatherlike.wav"], ["en_ljspeech_LJ001-0002.flac"], ["en_sb_harvard_spk1_snt6.wav"]],
    "5s": [["en_ljspeech_LJ001-0004.flac"], ["en_ljspeech_LJ001-0006.flac"], ["en_sb_harvard_example5.wav"]],
    "15s": [
        ["en_ljspeech_LJ001-0001.flac", "en_ljspeech_LJ001-0004.flac"],
        ["en_ljspeech_LJ001-0003.flac", "en_ljspeech_LJ001-0004.flac"],
        ["en_ljspeech_LJ001-0005.flac", "en_ljspeech_LJ001-0006.flac"],
    ],
}
LOAD_SCRIPT = r"""
import json, os, signal, sys, time
import numpy as np
frame_ms, fps, out = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
a = np.random.default_rng(0).random((192, 192), dtype=np.float32)
def work(k):
    x = a
    for _ in range(k):
        x = np.tanh(x @ a * 0.01)
    return x
k, t = 1, 0.0
while t < frame_ms / 1000:
    k *= 2
    t0 = time.perf_counter(); work(k); t = time.perf_counter() - t0
k = max(1, int(k * frame_ms / 1000 / t))
frames, busy, start = 0, 0.0, time.perf_counter()
def stop(*_):
    el = time.perf_counter() - start
    json.dump({"frames": frames, "fps": frames / el, "busy_ms_per_frame": 1000 * busy / max(1, frames)}, open(out, "w"))
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
nxt = time.perf_counter()
while True:
    t0 = time.perf_counter(); work(k); busy += time.perf_counter() - t0; frames += 1
    nxt += 1 / fps
    time.sleep(max(0.0, nxt - time.perf_counter()))
"""


class PerceptionLoad:
    """A separate process doing `frame_ms` of single-threaded numpy work per frame at `fps`."""

    def __init__(self, frame_ms: float = 25.0, fps: float = 15.0) -> None:
        self.out = Path(f"/tmp/dt-perception-load-{os.getpid()}.json")
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LOAD_SCRIPT, str(frame_ms), str(fps), str(self.out)], env=env
        )
        time.sleep(1.0)  # calibration

    def stop(self) -> dict[str, Any]:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)
        try:
            data: dict[str, Any] = json.loads(self.out.read_text())
            self.out.unlink()
        except (OSError, ValueError):
            data = {}
        return data


def load_utterances(data: Path, quick: bool) -> dict[str, list[tuple[str, np.ndarray]]]:
    sets = {"2s": SETS["2s"][:1]} if quick else SETS
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    for label, groups in sets.items():
        out[label] = []
        for files in groups:
            parts = [trim_silence(decode_audio(data / "speech" / f)) for f in files]
            gap = np.zeros(int(0.15 * RATE), np.float32)
            audio = np.concatenate([p if i == 0 else np.concatenate([gap, p]) for i, p in enumerate(parts)])
            out[label].append(("+".join(files), audio.astype(np.float32)))
    return out


def _signal(utt: np.ndarray, seed: int) -> np.ndarray:
    n_lead, n_tail = int(LEAD_S * RATE), int(TAIL_S * RATE)
    sig = room_tone(LEAD_S + len(utt) / RATE + TAIL_S, seed)[: n_lead + len(utt) + n_tail].copy()
    sig[n_lead : n_lead + len(utt)] += utt
    return sig


def trial(
    mode: str,
    utt: np.ndarray,
    words: list[tuple[str, float, float]],
    transcriber: FasterWhisperTranscriber,
    vad_runner: Any,
    seed: int,
) -> dict[str, Any]:
    sig = _signal(utt, seed)
    name = "room" if mode == "answer" else "teacher"
    source = ArraySource(sig, name=name, pace="realtime")
    kwargs: dict[str, Any] = {"room": source} if mode == "answer" else {"teacher": source}
    stage = SpeechStage(
        **kwargs,
        config=SpeechConfig(),
        transcribers={"en": transcriber},
        vad_factory=lambda: SileroVad(vad_runner),
        keep_records=10_000,
        warm_up=False,
    )
    if mode == "answer":
        stage.handle(cmd.ListenForAnswer("bench", "short_answer", ()), 0.0)
    stage.start()
    stage.wait_idle(len(sig) / RATE + 30)
    stage.stop()
    health = stage.speech_health()
    assert source.started_at is not None
    t_audio0 = source.started_at
    true_end = LEAD_S + len(utt) / RATE
    records = list(stage.records)
    finals = [r for r in records if r.final]
    partials = [r for r in records if not r.final]
    out: dict[str, Any] = {
        "audio_dropped": health.audio_dropped,
        "partials_superseded": health.partials_superseded,
        "final_jobs": len(finals),
        "compute_s": sum(r.done - r.started for r in finals),
        "final_audio_s": sum(r.audio_s for r in finals),
    }
    if finals:
        last = max(finals, key=lambda r: r.speech_end)
        out["final_latency"] = last.done - (t_audio0 + true_end)
        out["vad_end_error"] = last.speech_end - true_end
    out["partial_latency"] = [r.done - (t_audio0 + r.audio_end) for r in partials]
    if mode == "caption":
        out.update(caption_lag(records, words, t_audio0))
        out["final_text"] = " ".join(r.text or "" for r in sorted(finals, key=lambda r: r.utterance))
    return out


def caption_lag(records: list[Any], words: list[tuple[str, float, float]], t_audio0: float) -> dict[str, Any]:
    """Per word: first time it was shown (any caption) / firm (stable part), minus when it was spoken."""
    timeline = []  # (time, utterance, tokens, stable tokens, final)
    for r in sorted(records, key=lambda r: r.done):
        for e in r.events:
            if isinstance(e, ev.CaptionUpdated):
                timeline.append((r.done, e.utterance, tokenize(e.text), tokenize(e.stable), e.final))
    finals = {u: toks for _, u, toks, _, final in timeline if final}
    offsets, final_tokens, n = {}, [], 0
    for u in sorted(finals):
        offsets[u] = n
        final_tokens += finals[u]
        n += len(finals[u])
    spoken = [(key(w), LEAD_S + end) for w, _, end in words if key(w)]
    matcher = difflib.SequenceMatcher(a=[key(t) for t in final_tokens], b=[k for k, _ in spoken], autojunk=False)
    # when each final token was first shown / firm: a caption shows it when one of the caption's tokens is
    # aligned to it (per utterance, by sequence alignment: a final that writes "woodcutters" where the partials
    # wrote "wood cutters" must not make every later word count as unseen until the final)
    first_shown: dict[int, float] = {}
    first_firm: dict[int, float] = {}
    for t, u, toks, stable, _ in timeline:
        if u not in offsets:
            continue
        mine = [key(x) for x in finals[u]]
        for part, seen in ((toks, first_shown), (stable, first_firm)):
            m = difflib.SequenceMatcher(a=[key(x) for x in part], b=mine, autojunk=False)
            for blk in m.get_matching_blocks():
                for d in range(blk.size):
                    seen.setdefault(offsets[u] + blk.b + d, t)
    shown_lag, firm_lag = [], []
    for block in matcher.get_matching_blocks():
        for d in range(block.size):
            i, j = block.a + d, block.b + d
            spoken_at = t_audio0 + spoken[j][1]
            if i in first_shown:
                shown_lag.append(first_shown[i] - spoken_at)
            if i in first_firm:
                firm_lag.append(first_firm[i] - spoken_at)
    return {"caption_lag_shown": shown_lag, "caption_lag_firm": firm_lag}


def baseline(utt: np.ndarray, transcriber: FasterWhisperTranscriber, seed: int, chunk_s: float = 2.0) -> dict[str, Any]:
    """Fixed chunks, no VAD, each decoded alone when complete; queueing simulated on measured compute."""
    sig = _signal(utt, seed)
    true_end = LEAD_S + len(utt) / RATE
    n = int(chunk_s * RATE)
    free_at, latency, noise_words, compute = 0.0, None, 0, 0.0
    for i in range(0, len(sig), n):
        piece = sig[i : i + n]
        ready = (i + len(piece)) / RATE
        t = transcriber.transcribe(piece)
        compute += t.seconds
        done = max(ready, free_at) + t.seconds
        free_at = done
        if i / RATE >= true_end or (i + len(piece)) / RATE <= LEAD_S:
            noise_words += len(normalize_en(t.text))
        if latency is None and (i + len(piece)) / RATE >= true_end:
            latency = done - true_end
    return {"final_latency": latency, "noise_words": noise_words, "compute_s": compute, "audio_s": len(sig) / RATE}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--quick", action="store_true", help="one 2 s utterance, alone, answer + caption mode")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--beam", type=int, default=5, help="beam size of final transcriptions")
    parser.add_argument(
        "--encoder-context", type=float, default=AsrConfig().encoder_context_s, help="seconds; 30 = Whisper's window"
    )
    parser.add_argument("--no-perception", action="store_true", help="skip the runs under perception load")
    parser.add_argument(
        "--no-final-timestamps", action="store_true", help="caption finals text-only (AsrConfig.timestamps_in_finals)"
    )
    args = parser.parse_args(argv)
    if not (args.data / "speech").is_dir():
        parser.error(f"{args.data}/speech not found (the shared evaluation data)")
    t_start = time.perf_counter()
    options = AsrConfig.for_language(
        "en",
        cpu_threads=args.threads,
        beam_size=args.beam,
        encoder_context_s=args.encoder_context,
        timestamps_in_finals=not args.no_final_timestamps,
    )
    transcriber = FasterWhisperTranscriber(options)
    transcriber.load()
    transcriber.warmup()
    reference = FasterWhisperTranscriber(AsrConfig.for_language("en", cpu_threads=args.threads))
    vad_runner = load_silero_vad()
    utterances = load_utterances(args.data, args.quick)
    alignments = {name: reference.word_times(audio) for group in utterances.values() for name, audio in group}
    conditions = ["alone"] if (args.quick or args.no_perception) else ["alone", "perception"]
    results: dict[str, Any] = {}
    load_stats: dict[str, Any] = {}
    for cond in conditions:
        load = PerceptionLoad() if cond == "perception" else None
        try:
            for label, group in utterances.items():
                for mode in ("answer", "caption"):
                    trials = []
                    for seed, (name, audio) in enumerate(group):
                        r = trial(mode, audio, alignments[name], transcriber, vad_runner, seed)
                        r["clip"] = name
                        trials.append(r)
                    results[f"{cond}/{label}/{mode}"] = trials
                results[f"{cond}/{label}/baseline"] = [
                    {"clip": name, **baseline(audio, transcriber, seed)} for seed, (name, audio) in enumerate(group)
                ]
        finally:
            if load is not None:
                load_stats[cond] = load.stop()
    summary: dict[str, Any] = {}
    table: list[dict[str, Any]] = []
    for k, trials in results.items():
        final = [t["final_latency"] for t in trials if t.get("final_latency") is not None]
        row: dict[str, Any] = {"utterances": len(trials), "final_latency": stats(final)}
        if k.endswith("baseline"):
            row["noise_words"] = sum(t["noise_words"] for t in trials)
            row["rtf"] = sum(t["compute_s"] for t in trials) / max(1e-9, sum(t["audio_s"] for t in trials))
        else:
            row["partial_latency"] = stats([x for t in trials for x in t["partial_latency"]])
            row["rtf"] = sum(t["compute_s"] for t in trials) / max(1e-9, sum(t["final_audio_s"] for t in trials))
            row["audio_dropped"] = sum(sum(t["audio_dropped"].values()) for t in trials)
            row["vad_end_error"] = stats([t["vad_end_error"] for t in trials if "vad_end_error" in t])
            if k.endswith("caption"):
                row["caption_lag_shown"] = stats([x for t in trials for x in t["caption_lag_shown"]])
                row["caption_lag_firm"] = stats([x for t in trials for x in t["caption_lag_firm"]])
        summary[k] = row
        table.append(
            {
                "condition/size/mode": k,
                "n": len(trials),
                "final p50": fmt(row["final_latency"]["p50"]),
                "final p90": fmt(row["final_latency"]["p90"]),
                "partial p90": fmt(row.get("partial_latency", {}).get("p90")),
                "lag shown p90": fmt(row.get("caption_lag_shown", {}).get("p90")),
                "lag firm p90": fmt(row.get("caption_lag_firm", {}).get("p90")),
                "RTF": fmt(row["rtf"]),
            }
        )
    print_table(table, list(TABLE_COLUMNS), right=TABLE_COLUMNS[1:])
    answer_final = [
        t["final_latency"]
        for k, ts in results.items()
        if k.endswith("/answer")
        for t in ts
        if t.get("final_latency") is not None
    ]
    lag = [x for k, ts in results.items() if k.endswith("/caption") for t in ts for x in t["caption_lag_shown"]]
    out = {
        "summary": summary,
        "goals": {
            "answer_final_latency_p90_s": stats(answer_final)["p90"],
            "answer_final_latency_n": len(answer_final),
            "caption_lag_shown_p90_s": stats(lag)["p90"],
            "caption_lag_n_words": len(lag),
        },
        "perception_load": load_stats,
        "trials": results,
        "config": {
            "quick": args.quick,
            "asr": vars(options),
            "speech": "SpeechConfig() defaults (room: hang-over 0.5 s, pre-roll 0.4 s; teacher: hang-over 1.0 s, "
            "turns up to 25 s, partials every 1 s)",
            "lead_s": LEAD_S,
            "tail_s": TAIL_S,
            "conditions": conditions,
            "perception_load": "separate process, numpy matmul on 1 thread, 25 ms/frame at 15 fps",
            "baseline": "fixed 2 s chunks, no VAD, beam as --beam, queueing simulated on measured compute",
        },
        "wall_s": round(time.perf_counter() - t_start, 1),
        "fingerprint": fingerprint(),
    }
    print(
        f"answer final latency p90 {fmt(out['goals']['answer_final_latency_p90_s'])} s "
        f"({len(answer_final)} utterances); caption lag p90 {fmt(out['goals']['caption_lag_shown_p90_s'])} s "
        f"({len(lag)} words)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
