"""Spoken answers on real voices: accuracy, false answers from non-answers, end of speech -> AnswerHeard latency.

    python benchmarks/bench_answers.py --data ../shared/data --out results/bench_answers.json [--quick] [--no-load]

Every trial is a question built as a lesson pack builds it (`QuestionNode` -> the engine's `answer_space` ->
`ListenForAnswer`), opened on a real `SpeechStage` whose room channel speaks the trial's language (the
language routing a class uses: English on tiny.en, Mandarin on the multilingual base model). One recording is
placed in generated room tone (1 s before, 2.5 s after) and played in real time (100 ms chunks, like a
microphone) into the room channel. Answers are scored by the lesson engine's own `normalize` / `is_correct`.

- answer trials: the real answer clips of DIR/speech, each inside a question whose answer space holds the
  right answer and distractors: the 15 speechocean762 children (Mandarin-first, aged 6-12) reading numbers
  digit by digit (numeric questions), yes/no sentences (true/false) and single words (a single-choice
  question whose other choices are distractor words), two adult yes/no clips; Mandarin: the adult keyword
  clips (豪猪, and the four words of the multiple-keywords clip, cut at its pauses) as single-choice
  questions, and a short phrase as a short-answer question.
- non-answer trials (any AnswerHeard is a false answer): read sentences, a film line, long Mandarin read
  speech, a Mandarin filler, English speech on a Mandarin channel, silence and generated room noise, each
  inside one of the questions above (rotating); and "echo" trials: an answer clip while the lesson video's
  captions say the same words (the lead teacher, not a student).

Latency: the moment the stage emitted AnswerHeard minus the true end of speech (the end of the trimmed clip).
With perception running (default; `--no-load` to skip): the perception-like load of bench_asr.py (25 ms of
numpy work per frame at 15 fps in another process). "reused": answers whose final took the decode and the
rescoring of a speculative final (the room decodes an utterance 0.3 s into its 0.5 s hang-over). Writes JSON
and prints a table per language.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import fingerprint, fmt, noise_kinds, percentile, room_tone, trim_silence

from dual_teacher.core import events as ev
from dual_teacher.core.table import print_table
from dual_teacher.lesson import commands as cmd
from dual_teacher.lesson.engine import LessonEngine, answer_space
from dual_teacher.lesson.schema import LessonPack, QuestionNode, text_in
from dual_teacher.media.audio import ArraySource, decode_audio
from dual_teacher.runtime.speech_stage import SpeechConfig, SpeechStage
from dual_teacher.speech.asr import AsrConfig, FasterWhisperTranscriber
from dual_teacher.speech.routing import plan_channels

RATE = 16_000
LEAD_S, TAIL_S = 1.0, 2.5


def _q(qid: str, qtype: str, answer: Any, choices: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"kind": "question", "id": qid, "qtype": qtype, "prompt": "?", "answer": answer}
    if choices:
        node["choices"] = [{"key": k, "text": t} for k, t in choices]
    return node


def _words(qid: str, right: str, others: list[str]) -> dict[str, Any]:
    keys = "ABC"
    texts = sorted([right, *others])
    return _q(qid, "single_choice", keys[texts.index(right)], list(zip(keys, texts, strict=False)))


_ZH4 = [("A", {"zh-Hans": "豪猪", "en": "porcupine"}), ("B", {"zh-Hans": "咖啡", "en": "coffee"}),
        ("C", {"zh-Hans": "你好", "en": "hello"}), ("D", {"zh-Hans": "水饺", "en": "dumplings"})]  # fmt: skip

# (clip, question) per answer trial; a clip "FILE#k" is the k-th word of FILE cut at its pauses
ANSWERS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "en": [
        ("en_so762_001110040_one_seven.wav", _q("n17", "numeric", 17)),
        ("en_so762_014220038_four_seven.wav", _q("n47", "numeric", 47)),
        ("en_so762_014650041_six_five.wav", _q("n65", "numeric", 65)),
        ("en_so762_015030030_five_four.wav", _q("n54", "numeric", 54)),
        ("en_so762_000440045_eight_zero_two.wav", _q("n802", "numeric", 802)),
        ("en_so762_000060049_zero_three_five.wav", _q("n35", "numeric", 35)),
        ("en_so762_000530054_one_nine_four.wav", _q("n194", "numeric", 194)),
        ("en_so762_021790043_seven_nine_zero.wav", _q("n790", "numeric", 790)),
        ("en_so762_000960167_yes_a_lake.wav", _q("tf_yes1", "true_false", True)),
        ("en_so762_001040173_no_i_am_not.wav", _q("tf_no1", "true_false", False)),
        ("en_so762_038370052_yes_that_is_right.wav", _q("tf_yes2", "true_false", True)),
        ("en_tflm_yes_1000ms.wav", _q("tf_yes3", "true_false", True)),
        ("en_tflm_no_1000ms.wav", _q("tf_no2", "true_false", False)),
        ("en_so762_000030175_yummy.wav", _words("w_yummy", "yummy", ["sorry", "happy"])),
        ("en_so762_000010168_bye.wav", _words("w_bye", "bye", ["hello", "thanks"])),
        ("en_so762_001310148_car.wav", _words("w_car", "car", ["bus", "bike"])),
        ("en_so762_000050175_good_job.wav", _words("w_job", "good job", ["thank you", "well done"])),
    ],
    "zh": [
        ("zh_porcupine_haozhu.wav", _q("zh_a", "single_choice", "A", _ZH4)),
        ("zh_porcupine_multiple_keywords_zh.wav#0", _q("zh_a2", "single_choice", "A", _ZH4)),
        ("zh_porcupine_multiple_keywords_zh.wav#1", _q("zh_b", "single_choice", "B", _ZH4)),
        ("zh_porcupine_multiple_keywords_zh.wav#2", _q("zh_c", "single_choice", "C", _ZH4)),
        ("zh_porcupine_multiple_keywords_zh.wav#3", _q("zh_d", "single_choice", "D", _ZH4)),
        ("zh_sr_za_ziji_de_jiao.flac", _q("zh_short", "short_answer", ["砸自己的脚"])),
    ],
}
NON_ANSWERS: dict[str, list[str]] = {
    "en": [
        "en_sb_harvard_spk1_snt1.wav", "en_sb_harvard_spk1_snt2.wav", "en_sb_harvard_spk1_snt3.wav",
        "en_sb_harvard_spk1_snt4.wav", "en_sb_harvard_spk1_snt5.wav", "en_sb_harvard_spk1_snt6.wav",
        "en_sb_harvard_example1.wav", "en_sb_harvard_example5.wav", "en_ljspeech_LJ001-0004.flac",
        "en_librivox_sense_and_sensibility-0880.wav", "en_ps_goforward.wav", "en_azure_whatstheweatherlike.wav",
        "en_cosyvoice_harrypotter_child.wav", "en_porcupine_porcupine.wav", "@silence", "@room_noises", "@fan",
    ],
    "zh": [
        "zh_aishell_BAC009S0724W0121.wav", "zh_aishell_BAC009S0764W0121.wav", "zh_kimi_asr_example.wav",
        "zh_paddlespeech_zh_demo.wav", "zh_funasr_asr_example_zh.wav", "zh_wenet_nst_ID002.wav",
        "zh_wenet_nst_ID003.wav", "en_so762_001110040_one_seven.wav", "en_so762_000960167_yes_a_lake.wav",
        "en_sb_harvard_spk1_snt2.wav", "@silence", "@room_noises",
    ],
}  # fmt: skip
ECHO: dict[str, list[tuple[str, str]]] = {  # (answer clip, what the lesson video says meanwhile)
    "en": [
        ("en_so762_001110040_one_seven.wav", "Let's count on: fifteen, sixteen, one seven. Yes, seventeen!"),
        ("en_tflm_yes_1000ms.wav", "Is seven more than five? Yes."),
    ],
    "zh": [("zh_porcupine_haozhu.wav", "这是什么动物？豪猪。")],
}
QUICK = {"en": 2, "zh": 1}


def _pack(nodes: list[dict[str, Any]]) -> LessonPack:
    return LessonPack.model_validate(
        {
            "schema_version": 1,
            "id": "bench-answers",
            "title": "answers",
            "nodes": [*nodes, {"kind": "end", "id": "end"}],
        }
    )


def _split_words(audio: np.ndarray, min_gap_s: float = 0.12) -> list[np.ndarray]:
    """Cut a recording of isolated words at its pauses (frame energy 30 dB under the loudest frame)."""
    frame = 320
    n = len(audio) // frame
    db = 10 * np.log10(np.mean(audio[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    voiced = db > db.max() - 30
    words, start, quiet = [], None, 0
    for i, v in enumerate(voiced):
        if v:
            start = i if start is None else start
            quiet = 0
        elif start is not None:
            quiet += 1
            if quiet * frame / RATE >= min_gap_s:
                words.append(audio[start * frame : (i - quiet + 1) * frame])
                start, quiet = None, 0
    if start is not None:
        words.append(audio[start * frame :])
    return [w for w in words if len(w) > 0.15 * RATE]


def load_clip(data: Path, name: str, seed: int) -> np.ndarray:
    """The trimmed speech of a clip ("FILE#k": k-th word), or a generated non-speech sound ("@kind")."""
    if name.startswith("@"):
        kind = name[1:]
        return np.zeros(4 * RATE, np.float32) if kind == "silence" else noise_kinds(4.0, seed)[kind]
    file, _, part = name.partition("#")
    audio = decode_audio(data / "speech" / file)
    if part:
        return trim_silence(_split_words(audio)[int(part)])
    return trim_silence(audio)


@dataclasses.dataclass
class Trial:
    lang: str
    kind: str  # answer | non_answer | echo
    clip: str
    question: dict[str, Any]
    caption: str | None = None


def trials(lang: str, quick: bool) -> list[Trial]:
    answers = ANSWERS[lang][: QUICK[lang]] if quick else ANSWERS[lang]
    out = [Trial(lang, "answer", clip, q) for clip, q in answers]
    questions = [q for _, q in ANSWERS[lang]]
    non = NON_ANSWERS[lang][: QUICK[lang]] if quick else NON_ANSWERS[lang]
    out += [Trial(lang, "non_answer", clip, questions[i % len(questions)]) for i, clip in enumerate(non)]
    if not quick:
        by_clip = dict(ANSWERS[lang])
        out += [Trial(lang, "echo", clip, by_clip[clip], caption) for clip, caption in ECHO[lang]]
    return out


def run_trial(trial: Trial, data: Path, transcriber: FasterWhisperTranscriber, seed: int) -> dict[str, Any]:
    speech = load_clip(data, trial.clip, seed)
    lead = room_tone(LEAD_S, seed)
    tail = room_tone(TAIL_S, seed + 1)
    audio = np.concatenate([lead, speech + room_tone(len(speech) / RATE, seed + 2)[: len(speech)], tail])
    speech_end = LEAD_S + len(speech) / RATE
    pack = _pack([trial.question])
    engine = LessonEngine(pack)
    q = pack.node(trial.question["id"])
    assert isinstance(q, QuestionNode)
    plan = plan_channels("zh-Hans" if trial.lang == "zh" else "en")
    captions = [(LEAD_S, trial.caption)] if trial.caption else []  # the cue starts with the room speech
    stage = SpeechStage(
        room=ArraySource(audio, name="room", pace="realtime"),
        config=SpeechConfig.from_plan(plan, cpu_threads=transcriber.options.cpu_threads),
        transcribers={f"{transcriber.options.model}/{transcriber.options.language}": transcriber},
        warm_up=False,
        keep_records=16,
        captions=lambda item: captions,
    )
    if trial.caption:
        stage.handle(cmd.PlayVideo("intro", "intro.mp4", 0.0, None), 0.0)
    display = "zh-Hans" if trial.lang == "zh" else "en"  # the class's language, as the engine resolves texts
    choices = tuple((c.key, text_in(c.text, display)) for c in q.choices)
    if q.qtype == "true_false":
        choices = (("true", "✓"), ("false", "✗"))
    stage.handle(cmd.ListenForAnswer(q.id, q.qtype, choices, answer_space(q)), 0.0)
    stage.start()
    room = stage.sources["room"]
    stage.wait_idle(len(audio) / RATE + 60)
    events = stage.poll(0.0)
    stage.stop()
    heard = [e for e in events if isinstance(e, ev.AnswerHeard)]
    started = getattr(room, "started_at", None) or 0.0
    latency = None
    parts: dict[str, float] = {}
    reused = False
    for r in stage.records:
        if any(isinstance(e, ev.AnswerHeard) for e in r.events):
            # an answer from an earlier utterance of the clip ("No, ... I am not") is timed from the end of
            # that utterance (the segmenter's), the last one from the true end of the clip's speech
            end = speech_end if r.audio_end >= speech_end - 0.05 else r.speech_end
            latency = r.done - (started + end)
            # where the time goes: the segmenter's hang-over (until the job is queued), the wait for the
            # ASR thread, the decode, then answer matching and rescoring
            parts = {
                "hangover_s": round(r.queued - (started + end), 3),
                "wait_s": round(r.started - r.queued, 3),
                "decode_s": round(r.decoded - r.started, 3),
                "answer_s": round(r.done - r.decoded, 3),
            }
            reused = r.reused
            break
    answer = heard[-1].answer if heard else None
    key = engine.normalize(q, answer) if answer is not None else None
    correct = key is not None and engine.is_correct(q, key)
    return {
        "lang": trial.lang,
        "kind": trial.kind,
        "clip": trial.clip,
        "question": q.id,
        "qtype": q.qtype,
        "expected": list(q.correct_keys()),
        "answer": answer,
        "confidence": heard[-1].confidence if heard else None,
        "answers_heard": len(heard),
        "correct": correct,
        "latency_s": None if latency is None else round(latency, 3),
        "latency_parts": parts,
        "speculation_reused": reused,  # the final took a speculative final's decode and rescoring
        "speech_s": round(len(speech) / RATE, 2),
        "rescored": stage._back["room"].rescored,
        "echoes": stage._back["room"].echoes,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ans = [r for r in rows if r["kind"] == "answer"]
    non = [r for r in rows if r["kind"] != "answer"]
    lat = [r["latency_s"] for r in ans if r["latency_s"] is not None]
    return {
        "answer_clips": len(ans),
        "right": sum(r["correct"] for r in ans),
        "wrong": sum(r["answer"] is not None and not r["correct"] for r in ans),
        "missed": sum(r["answer"] is None for r in ans),
        "accuracy": (sum(r["correct"] for r in ans) / len(ans)) if ans else None,
        "non_answer_clips": len(non),
        "false_answers": sum(r["answers_heard"] for r in non),
        "latency_p50_s": percentile(lat, 50) if lat else None,
        "latency_p90_s": percentile(lat, 90) if lat else None,
        "latency_n": len(lat),
        # p90 of each part of end of speech -> AnswerHeard (hang-over, wait, decode, matching + rescoring)
        "latency_parts_p90_s": {
            k: percentile([r["latency_parts"][k] for r in ans if r["latency_parts"]], 90)
            for k in ("hangover_s", "wait_s", "decode_s", "answer_s")
        }
        if any(r["latency_parts"] for r in ans)
        else None,
        "rescored": sum(r["rescored"] for r in rows),
        "speculation_reused": sum(r.get("speculation_reused", False) for r in ans),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="folder with speech/ (the ../shared/data layout)")
    parser.add_argument("--out", type=Path, required=True, help="JSON results")
    parser.add_argument("--quick", action="store_true", help="a few trials per language, no load (smoke test)")
    parser.add_argument("--no-load", action="store_true", help="without the perception-like load")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--lang", nargs="*", default=["en", "zh"], choices=["en", "zh"])
    parser.add_argument(
        "--kinds", nargs="*", default=["answer", "non_answer", "echo"], choices=["answer", "non_answer", "echo"]
    )
    args = parser.parse_args(argv)
    if not (args.data / "speech").is_dir():
        parser.error(f"{args.data}/speech not found")
    t_start = time.perf_counter()
    load = None
    if not (args.quick or args.no_load):
        from bench_asr import PerceptionLoad

        load = PerceptionLoad()
    rows: list[dict[str, Any]] = []
    try:
        for lang in args.lang:
            transcriber = FasterWhisperTranscriber(AsrConfig.for_language(lang, cpu_threads=args.threads))
            transcriber.warmup()
            print(f"\n{lang}: {'kind':10} {'clip':42} {'expected':>10} {'heard':>10} {'conf':>5} {'latency':>8}")
            for i, trial in enumerate(trials(lang, args.quick)):
                if trial.kind not in args.kinds:
                    continue
                row = run_trial(trial, args.data, transcriber, seed=100 + i)
                rows.append(row)
                lat = fmt(row["latency_s"], 2) if row["latency_s"] is not None else "-"
                mark = "ok" if (row["correct"] if trial.kind == "answer" else row["answers_heard"] == 0) else "XX"
                print(
                    f"{mark:2} {trial.kind:10} {trial.clip[:42]:42} {','.join(row['expected'])[:10]:>10} "
                    f"{str(row['answer'])[:10]:>10} {fmt(row['confidence'], 2):>5} {lat:>8}",
                    flush=True,
                )
    finally:
        load_info = load.stop() if load is not None else None
    summary = {lang: summarize([r for r in rows if r["lang"] == lang]) for lang in args.lang}
    result = {
        "summary": summary,
        "trials": rows,
        "config": {
            "quick": args.quick,
            "perception_load": load_info,
            "threads": args.threads,
            "room_segmenter": dataclasses.asdict(SpeechConfig().room.segmenter),
            "min_answer_confidence": SpeechConfig().room.min_answer_confidence,
            "speculate_after_s": SpeechConfig().room.speculate_after_s,
        },
        "wall_s": round(time.perf_counter() - t_start, 1),
        "fingerprint": fingerprint(),
    }
    table = [
        {
            "lang": lang,
            "right": f"{s['right']} of {s['answer_clips']}",
            "accuracy": fmt(s["accuracy"] * 100, 0) + "%" if s["accuracy"] is not None else "-",
            "wrong": s["wrong"],
            "missed": s["missed"],
            "false/non-answers": f"{s['false_answers']} of {s['non_answer_clips']}",
            "p50 s": fmt(s["latency_p50_s"], 2),
            "p90 s": fmt(s["latency_p90_s"], 2),
            "rescored": s["rescored"],
            "reused": f"{s['speculation_reused']} of {s['latency_n']}",
        }
        for lang, s in summary.items()
    ]
    print()
    columns = [
        "lang", "right", "accuracy", "wrong", "missed", "false/non-answers", "p50 s", "p90 s", "rescored", "reused"
    ]  # fmt: skip
    print_table(table, columns, right=columns[1:])
    for lang, s in summary.items():
        if s["latency_parts_p90_s"]:
            print(
                f"{lang:4} latency p90 by part: "
                + ", ".join(f"{k[:-2]} {fmt(v, 2)}" for k, v in s["latency_parts_p90_s"].items())
            )
    print(f"perception-like load: {'on' if load_info else 'off'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
