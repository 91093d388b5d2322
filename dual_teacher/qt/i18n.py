"""Translations of the classroom display and the console through Qt's translation system.

Sources are `ui/i18n/dual_teacher_<locale>.ts` (English is the source language: `qsTr("...")` in QML).
The set-up script compiles them to `.qm` beside the sources (`python -m dual_teacher.qt.i18n`); when a
`.qm` is missing or older than its `.ts` (an edited checkout, a read-only install) it is compiled at run
time with Qt's `lrelease` into the cache folder. Update the sources after changing texts with
`bash scripts/update_translations.sh`.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from dual_teacher.config import cache_dir
from dual_teacher.resources import resource_dir

log = logging.getLogger(__name__)

LOCALES = {"en": "en", "zh-Hans": "zh_CN"}


def ts_dir() -> Path:
    return resource_dir("ui") / "i18n"


def lrelease_path() -> Path | None:
    import PySide6

    base = Path(PySide6.__file__).resolve().parent
    for candidate in (base / "lrelease", base / "Qt" / "libexec" / "lrelease", base / "lrelease.exe"):
        if candidate.is_file():
            return candidate
    return None


def compile_ts(ts: Path, qm: Path) -> bool:
    exe = lrelease_path()
    if exe is None:
        log.warning("Qt lrelease not found; the %s translation is not available", ts.stem)
        return False
    qm.parent.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [str(exe), "-silent", str(ts), "-qm", str(qm)], capture_output=True, text=True, check=False, timeout=60
    )
    if done.returncode != 0 or not qm.is_file():
        log.warning("lrelease failed on %s: %s", ts, done.stderr.strip())
        return False
    return True


def qm_for(lang: str) -> Path | None:
    """The compiled translation for `lang` (English too: its plural forms), compiling it first when needed;
    None when there is none or it cannot be built."""
    locale = LOCALES.get(lang, lang.replace("-", "_"))
    ts = ts_dir() / f"dual_teacher_{locale}.ts"
    if not ts.is_file():
        return None
    beside = ts.with_suffix(".qm")
    if beside.is_file() and beside.stat().st_mtime >= ts.stat().st_mtime:
        return beside
    cached = cache_dir() / "i18n" / beside.name
    if cached.is_file() and cached.stat().st_mtime >= ts.stat().st_mtime:
        return cached
    for target in (beside, cached):
        try:
            if compile_ts(ts, target):
                return target
        except OSError as exc:
            log.info("cannot write %s: %s", target, exc)
    return None


def install_translators(app: QCoreApplication, lang: str) -> list[QTranslator]:
    """Load the app's and Qt's own translations for `lang` into `app`; keep the returned objects alive."""
    installed: list[QTranslator] = []
    qm = qm_for(lang)
    ours = QTranslator(app)
    if qm is not None and ours.load(str(qm)):
        app.installTranslator(ours)
        installed.append(ours)
    if lang == "en":
        return installed
    qt = QTranslator(app)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt.load(QLocale(LOCALES.get(lang, lang)), "qtbase", "_", qt_dir):
        app.installTranslator(qt)
        installed.append(qt)
    return installed


def main(argv: list[str] | None = None) -> int:
    """Compile every `.ts` under ui/i18n to a `.qm` beside it (the set-up script runs this)."""
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]) if argv else ts_dir()
    ok = True
    for ts in sorted(folder.glob("*.ts")):
        ok = compile_ts(ts, ts.with_suffix(".qm")) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
