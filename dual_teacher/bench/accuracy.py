"""The accuracy gate of `dual-teacher bench` (the decisions are in gate.py): the chosen profile against a CPU
fp32 reference on the same real inputs. Raw model outputs on the stored inputs of the model build, the
perception pipeline on frames of a real classroom video, and the transcripts of the utterances."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dual_teacher.bench import gate
from dual_teacher.bench.figures import word_error_counts
from dual_teacher.bench.monitor import UsageWindow
from dual_teacher.bench.results import FLAT, Usage
from dual_teacher.bench.setup import Rig
from dual_teacher.inference.runner import OnnxRunner
from dual_teacher.perception.model_set import PerceptionModels
from dual_teacher.perception.people import person_scale
from dual_teacher.perception.pipeline import RoomPerception
from dual_teacher.perception.results import FrameResult
from dual_teacher.speech.asr import FasterWhisperTranscriber
from dual_teacher.speech.text import keys, tokenize

REFERENCE = {"providers": ["CPUExecutionProvider"], "variant": "fp32", "asr_compute_type": "float32"}


def words(text: str) -> list[str]:
    """The words of a transcript as the ASR scoring compares them."""
    return keys(tokenize(text))


@dataclasses.dataclass(frozen=True)
class Accuracy:
    valid: bool
    failed: tuple[str, ...]
    rule: str
    reference: Mapping[str, Any]
    frames: str
    checks: tuple[gate.GateCheck, ...]
    usage: Usage = dataclasses.field(metadata=FLAT)


def run_gate(rig: Rig) -> Accuracy:
    w = UsageWindow(rig.monitor)
    progress = rig.progress
    checks: list[gate.GateCheck] = []
    progress.update(0.05, "loading the CPU fp32 reference")
    reference = PerceptionModels.load(
        rig.registry, threads=rig.profile.threads, providers=("CPUExecutionProvider",), variant="fp32"
    )
    refs = {r.name: r for r in reference.runners}
    for runner in rig.models.runners:
        checks += _raw_checks(rig, runner, refs[runner.name])
    progress.update(0.3, "perception vs reference")
    video = next((s for s in rig.streams if s.kind == "video"), rig.streams[0])
    frames = [video.frames[i % len(video.frames)] for i in range(rig.budget.gate_frames)]
    ours, theirs = RoomPerception(rig.models, fanout=rig.fanout), RoomPerception(reference)
    got_counts, ref_counts, errors = [], [], []
    ref_posed = 0  # reference people with body landmarks (a person only the face detector found has none)
    for i, frame in enumerate(frames):
        a, b = ours.process(frame, i / rig.fps), theirs.process(frame, i / rig.fps)
        got_counts.append(a.count)
        ref_counts.append(b.count)
        ref_poses = poses(b)
        ref_posed += len(ref_poses)
        errors += gate.match_poses(ref_poses, poses(a))
        progress.update(0.3 + 0.4 * (i + 1) / len(frames), f"frame {i + 1}/{len(frames)}")
    checks.append(gate.count_check(ref_counts, got_counts))
    checks.append(gate.landmark_check(errors, ref_posed))
    del reference, refs, theirs
    progress.update(0.7, "ASR vs reference")
    checks.append(_asr_check(rig))
    valid, failed = gate.decide(checks)
    if not valid:
        progress.note("accuracy gate FAILED: " + "; ".join(failed))
    return Accuracy(
        valid=valid,
        failed=tuple(failed),
        rule=(gate.__doc__ or "").split("\n\n")[1].replace("\n", " ").strip(),
        reference=REFERENCE,
        frames=f"{len(frames)} frames of {video.name}",
        checks=tuple(checks),
        usage=w.usage(),
    )


def _raw_checks(rig: Rig, runner: OnnxRunner, reference: OnnxRunner) -> list[gate.GateCheck]:
    npz = rig.registry.cache / f"{runner.name}.parity.npz"
    feeds: list[dict[str, np.ndarray]] = []
    if npz.is_file():
        with np.load(npz) as data:
            arrays = {k[len("input:") :]: data[k] for k in data.files if k.startswith("input:")}
        n = min(rig.budget.gate_inputs, min(a.shape[0] for a in arrays.values()))
        feeds = [{k: a[i : i + 1] for k, a in arrays.items()} for i in range(n)]
    if not feeds:
        rig.notes.append(f"{runner.name}: no stored real inputs; the raw gate used random inputs")
        feeds = [reference.example_inputs(seed=i) for i in range(max(1, rig.budget.gate_inputs))]
    names = [o.name for o in reference.outputs]
    diff = dict.fromkeys(names, 0.0)
    scale = dict.fromkeys(names, 0.0)
    in_types = {i.name: i.dtype for i in runner.inputs}
    for feed in feeds:
        cast_feed = {k: (v.astype(np.float16) if in_types.get(k) == "tensor(float16)" else v) for k, v in feed.items()}
        got = runner.run(cast_feed)
        want = reference.run(feed)
        for name, g, r in zip(names, got, want, strict=True):
            d = np.abs(g.astype(np.float64) - r.astype(np.float64))
            diff[name] = max(diff[name], float(np.max(d)) if d.size else 0.0)
            scale[name] = max(scale[name], float(np.max(np.abs(r))) if r.size else 0.0)
    return [gate.raw_output_check(runner.name, n, diff[n], scale[n], rig.variant, len(feeds)) for n in names]


def _asr_check(rig: Rig) -> gate.GateCheck:
    clips = rig.clips[: max(1, rig.budget.gate_clips)]
    options = dataclasses.replace(rig.transcriber.options, device="cpu", compute_type="float32")
    reference = FasterWhisperTranscriber(options, model_dir=rig.transcriber.model_dir)
    n_words = ref_errors = got_errors = 0
    with_truth = all(c.truth for c in clips)
    for clip in clips:
        got = words(rig.transcriber.transcribe(clip.audio).text)
        want = words(reference.transcribe(clip.audio).text)
        if with_truth:
            truth = words(clip.truth or "")
            n_words += len(truth)
            ref_errors += word_error_counts(truth, want)
            got_errors += word_error_counts(truth, got)
        else:
            n_words += len(want)
            got_errors += word_error_counts(want, got)
    against = "ground truth" if with_truth else "the reference's transcripts"
    return gate.asr_check(n_words, ref_errors, got_errors, against, len(clips))


def poses(result: FrameResult) -> Sequence[gate.Pose]:
    """The body landmarks of the people a frame result has (a person only the face detector found has none)."""
    out = []
    for p in result.people:
        lm = p.landmarks
        if lm is None:
            continue
        visible = (lm.visibility[:33] >= 0.5) & (lm.presence[:33] >= 0.5)
        out.append(gate.Pose(lm.points[:33, :2].astype(np.float32), visible, person_scale(lm)))
    return out
