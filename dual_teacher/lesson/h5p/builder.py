"""The builder: turns content.json items into node tables, copying the media they use into the pack. The
content types it maps are in content_types.py; the Interactive Video around them in interactive_video.py."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from dual_teacher.lesson.archive import copy_entry
from dual_teacher.lesson.h5p import content_types as ct
from dual_teacher.lesson.h5p.package import KEYS, H5PWarning, Node, Package, field_map, library_name

Handler = Callable[["Builder", Mapping[str, Any], str, float | None, Mapping[str, Any]], list[Node]]

HANDLERS: dict[str, Handler] = {  # the H5P libraries that map, by name
    "H5P.MultiChoice": ct.multi_choice,
    "H5P.TrueFalse": ct.true_false,
    "H5P.SingleChoiceSet": ct.single_choice_set,
    "H5P.QuestionSet": ct.question_set,
    "H5P.Summary": ct.summary,
    "H5P.Blanks": ct.blanks,
    "H5P.Text": ct.text_slide,
    "H5P.AdvancedText": ct.text_slide,
    "H5P.Table": ct.text_slide,
    "H5P.Image": ct.image_slide,
    "H5P.Column": ct.column,
    "H5P.Video": ct.video_item,
}


class Builder:
    """Turns content.json items into node tables, copying the media they use into the pack."""

    def __init__(self, pkg: Package, out: Path, variant: str | None, video: Path | None) -> None:
        self.pkg = pkg
        self.out = out
        self.variant = variant
        self.video = video
        self.warnings: list[H5PWarning] = []
        self.counters: dict[str, int] = {}
        self.media: dict[str, str] = {}  # content path -> pack path
        self.total = 0
        self.where = ""  # the item being mapped and its time, for warnings raised by helpers
        self.when: float | None = None

    # -- helpers
    def warn(self, path: str, message: str, time_s: float | None = None) -> None:
        self.warnings.append(H5PWarning(path.lstrip("."), message, time_s))

    def new_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return f"{prefix}{self.counters[prefix]}"

    def text(self, s: str) -> str | dict[str, str]:
        return {self.variant: s} if self.variant else s

    def copy_media(self, rel: object, path: str, time_s: float | None) -> str | None:
        """Copy content/<rel> into the pack's media folder; None (with a warning) if it cannot be used."""
        if not isinstance(rel, str) or not rel:
            return None
        if re.match(r"^[a-z][a-z0-9+.-]*://", rel, re.I):
            self.warn(path, f"media at {rel} is on the web, not in the package: left out", time_s)
            return None
        pure = PurePosixPath(rel.split("#")[0])
        if pure.is_absolute() or ".." in pure.parts:
            self.warn(path, f"media path {rel!r} points outside the package's content folder: left out", time_s)
            return None
        entry = f"content/{pure.as_posix()}"
        if entry in self.media:
            return self.media[entry]
        info = self.pkg.info(entry)
        if info is None or info.is_dir():
            self.warn(path, f"media file {entry} is not in the package: left out", time_s)
            return None
        name = re.sub(r"[^A-Za-z0-9._-]", "_", pure.name) or "file"
        target = f"media/{name}"
        n = 1
        while target in self.media.values():
            n += 1
            target = f"media/{pure.stem}-{n}{pure.suffix}"
        (self.out / "media").mkdir(parents=True, exist_ok=True)
        self.total = copy_entry(self.pkg.zf, info, self.out / target, self.pkg.limits, self.total)
        self.media[entry] = target
        return target

    def dispatch(
        self, item: object, path: str, time_s: float | None = None, extra: Mapping[str, Any] | None = None
    ) -> list[Node]:
        """Map one `{library, params, metadata}` item."""
        if not isinstance(item, Mapping):
            self.warn(path, "not an H5P content item: left out", time_s)
            return []
        lib = library_name(item.get("library"))
        params = item.get("params")
        meta = item.get("metadata")
        handler = HANDLERS.get(lib)
        self.where, self.when = path, time_s
        if handler is None:
            kind = meta.get("contentType") if isinstance(meta, Mapping) else None
            name = f"{lib} ({kind})" if isinstance(kind, str) and kind else lib or "an item with no library"
            self.warn(path, f"{name} has no equivalent in a lesson pack: left out", time_s)
            return []
        ctx = {"metadata": meta if isinstance(meta, Mapping) else {}, **(extra or {})}
        return handler(self, params if isinstance(params, Mapping) else {}, path, time_s, ctx)

    def question(
        self,
        qtype: str,
        prompt: str,
        answer: object,
        title: str | None,
        choices: Sequence[str] = (),
        time_limit_s: float = 30.0,
    ) -> Node:
        node: Node = {"id": self.new_id("q"), "kind": "question", "qtype": qtype}
        if title:
            node["title"] = self.text(title)
        node["prompt"] = self.text(prompt)
        if len(set(choices)) < len(choices):
            self.warn(self.where, f"question {prompt[:40]!r} has choices that read the same: check them", self.when)
        if choices:
            node["choices"] = [{"key": KEYS[i], "text": self.text(c)} for i, c in enumerate(choices)]
        node["answer"] = answer
        node["time_limit_s"] = time_limit_s
        if qtype in ("single_choice", "true_false"):
            node["channels"] = ["spoken", "hand_poll", "teacher"]
        return node

    def slide(self, text: str | None, image: str | None, duration_s: float, title: str | None = None) -> Node:
        node: Node = {"id": self.new_id("slide"), "kind": "slide"}
        if title:
            node["title"] = self.text(title)
        if image:
            node["image"] = image
        if text:
            node["text"] = self.text(text)
        node["duration_s"] = duration_s
        return node

    def media_slide(self, params: Mapping[str, Any], path: str, time_s: float | None, prompt: str) -> list[Node]:
        """A question's picture, shown on a slide with the question text just before the question."""
        media = params.get("media")
        mtype = media.get("type") if isinstance(media, Mapping) else None
        if not isinstance(mtype, Mapping):
            return []
        lib = library_name(mtype.get("library"))
        mparams = field_map(mtype, "params")
        if lib == "H5P.Image":
            file = mparams.get("file")
            if not isinstance(file, Mapping):
                return []  # the editor's empty image placeholder
            image = self.copy_media(file.get("path"), f"{path}.media.type.params.file", time_s)
            return [self.slide(prompt, image, 6.0)] if image else []
        if lib:
            sources = mparams.get("sources") or mparams.get("files")
            if sources:
                self.warn(f"{path}.media", f"the question's {lib} media is not shown (only images are)", time_s)
        return []

    # -- questions

    def local_video(self) -> str:
        """Copy --video into the pack (once)."""
        assert self.video is not None
        key = f"--video:{self.video}"
        if key not in self.media:
            name = re.sub(r"[^A-Za-z0-9._-]", "_", self.video.name) or "video.mp4"
            (self.out / "media").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.video, self.out / "media" / name)
            self.media[key] = f"media/{name}"
        return self.media[key]
