"""`dual-teacher pack validate | schema | import-h5p | preview | build`: lesson pack tools."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dual_teacher.cli.common import app_config, gui_available
from dual_teacher.core.errors import DualTeacherError


def cmd_pack_validate(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.loader import validate_pack

    worst = 0
    for raw in args.paths:
        pack, problems = validate_pack(Path(raw))
        for p in problems:
            print(p)
        if pack is None:
            worst = 1
            print(f"{raw}: INVALID, {len(problems)} problem(s)", file=sys.stderr)
        else:
            m = pack.manifest
            media_s = sum((i.duration_s or 0.0) for i in pack.media.values() if i.kind == "video")
            print(f"{raw}: OK: {m.id}, {len(m.nodes)} nodes, {len(pack.media)} media file(s), {media_s:.0f} s of video")
            pack.close()
    return worst


def cmd_pack_schema(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.schema import json_schema

    text = json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_pack_build(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.archive import zip_folder
    from dual_teacher.lesson.loader import validate_pack

    pack, problems = validate_pack(Path(args.folder))
    for p in problems:
        print(p)
    if pack is None:
        print(f"{args.folder}: not built, fix the problems above", file=sys.stderr)
        return 1
    pack.close()
    made = zip_folder(Path(args.folder), Path(args.out))
    print(f"wrote {made}")
    return 0


def cmd_pack_import_h5p(args: argparse.Namespace) -> int:
    from dual_teacher.lesson.h5p import H5PImportError, import_h5p

    try:
        result = import_h5p(Path(args.file), Path(args.out), Path(args.video) if args.video else None)
    except H5PImportError as exc:
        shown = {str(w) for w in exc.warnings}
        for w in exc.warnings:
            print(f"warning: {w}")
        print(f"error: {exc}", file=sys.stderr)
        for problem in exc.problems[:50]:
            if problem not in shown:
                print(f"  {problem}", file=sys.stderr)
        return 1
    for w in result.warnings:
        print(f"warning: {w}")
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(result.node_kinds.items()))
    print(f"{args.out}: OK: {result.pack_id} from {result.main_library}: {result.nodes} nodes ({kinds}), ", end="")
    print(f"{len(result.questions)} question(s), {len(result.warnings)} warning(s)")
    return 0


def cmd_pack_preview(args: argparse.Namespace) -> int:
    cfg = app_config(args)
    lang = args.lang or cfg.language
    pack = Path(args.pack)
    if not gui_available():
        raise DualTeacherError("the preview needs the GUI (PySide6)", hint="install dual-teacher with its GUI extra")
    if args.screenshots:
        from dual_teacher.qt.preview import screenshot_nodes

        shots = screenshot_nodes(pack, Path(args.screenshots), lang)
        for shot in shots:
            late = f" (waited {shot.waited_s:.1f} s, timed out)" if shot.timed_out else ""
            print(f"{shot.node_id:<12} {shot.kind:<9} {shot.file or 'nothing of its own to show'}{late}")
        print(f"{sum(1 for s in shots if s.file)} screenshot(s) in {args.screenshots}")
        return 0
    from dual_teacher.runtime.launch import has_display

    if not has_display():
        raise DualTeacherError("no display to open the preview on", hint="use --screenshots DIR to render every node")
    from dual_teacher.qt.preview import run_preview

    return run_preview(pack, lang, args.node)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pack = sub.add_parser("pack", help="lesson pack tools").add_subparsers(
        dest="pack_command", required=True, metavar="PACK_COMMAND"
    )
    validate = pack.add_parser("validate", help="check packs; prints FILE:LINE: key: message per problem")
    validate.add_argument("paths", nargs="+")
    validate.set_defaults(func=cmd_pack_validate)
    schema = pack.add_parser("schema", help="print or write the JSON Schema of lesson.toml")
    schema.add_argument("--out")
    schema.set_defaults(func=cmd_pack_schema)
    h5p = pack.add_parser("import-h5p", help="turn an H5P package (.h5p) into a lesson pack folder")
    h5p.add_argument("file", help="the .h5p file")
    h5p.add_argument("--out", required=True, help="the pack folder to write (new or empty)")
    h5p.add_argument("--video", help="a local copy of an Interactive Video's video when the package links to it")
    h5p.set_defaults(func=cmd_pack_import_h5p)

    preview = pack.add_parser("preview", help="the classroom display of a pack with a control strip; reloads on save")
    preview.add_argument("pack", help="the pack folder")
    preview.add_argument("--node", help="start at this node")
    preview.add_argument("--lang", choices=["en", "zh-Hans"], help="display language (default from the config)")
    preview.add_argument("--screenshots", metavar="DIR", help="render every node offscreen into DIR and exit")
    preview.set_defaults(func=cmd_pack_preview)

    build = pack.add_parser("build", help="validate a pack folder and zip it")
    build.add_argument("folder")
    build.add_argument("--out", required=True)
    build.set_defaults(func=cmd_pack_build)
