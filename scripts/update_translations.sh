#!/usr/bin/env bash
# After changing texts in ui/*.qml: refresh the translation sources, translate the new entries (Qt Linguist:
# .venv/bin/pyside6-linguist ui/i18n/dual_teacher_zh_CN.ts), then compile them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/pyside6-lupdate ui -extensions qml -no-obsolete -locations none \
  -ts ui/i18n/dual_teacher_zh_CN.ts ui/i18n/dual_teacher_en.ts
.venv/bin/python -m dual_teacher.qt.i18n
