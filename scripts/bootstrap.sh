#!/usr/bin/env bash
# Set up everything this project needs on a fresh Debian/Ubuntu machine, then run one job.
#   bash scripts/bootstrap.sh demo [dual-teacher demo options]   -> the demo class (headless without a display)
#   bash scripts/bootstrap.sh test                               -> every check and test
# Idempotent: a second run installs nothing new and re-renders nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
job="${1:-demo}"
shift || true

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ---- 1. system packages: narration voice, Chinese font, virtual display + the libraries Qt's xcb plugin needs,
#         a headless browser + its driver for the lead dashboard's browser test
apt_packages=(espeak-ng fonts-wqy-microhei fonts-dejavu-core xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
  libxcb-image0 libxcb-render-util0 libxcb-xinerama0 libxcb-shape0 libxcb-randr0 libxcb-xkb1 libxkbcommon-x11-0
  libegl1 libgl1 libfontconfig1 libdbus-1-3 libportaudio2 chromium chromium-driver)
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    say "installing system packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  say "not a Debian system: install espeak-ng, a CJK font (WenQuanYi Micro Hei) and Xvfb yourself"
fi

# ---- 2. Python environment (.venv), pinned by requirements/lock.txt
py="${PYTHON:-python3}"
"$py" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || {
  echo "Python 3.11 or newer is needed (found $("$py" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 1; }
[ -x .venv/bin/python ] || { say "creating .venv"; "$py" -m venv .venv; }
# The ONNX Runtime flavour (DUAL_TEACHER_ORT=cpu|cuda|openvino|directml|qnn|migraphx): they all install the same
# `onnxruntime` import package, so exactly one may be present; faster-whisper's dependency on the plain
# `onnxruntime` would pull the CPU build back in, hence --no-deps for the swap.
ort="${DUAL_TEACHER_ORT:-cpu}"
stamp=.venv/.dual-teacher-installed
want="$( (cat requirements/lock.txt pyproject.toml; echo "$ort") | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "installing Python packages (pinned)"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements/lock.txt
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  if [ "$ort" != cpu ]; then
    pin="$(.venv/bin/python - "$ort" <<'PY'
import sys, tomllib
extras = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]
if sys.argv[1] not in extras:
    sys.exit(f"unknown DUAL_TEACHER_ORT={sys.argv[1]}; choose cpu, cuda, openvino, directml, qnn or migraphx")
print(extras[sys.argv[1]][0])
PY
)"
    say "switching ONNX Runtime to $pin"
    .venv/bin/python -m pip uninstall -q -y onnxruntime
    .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "$pin"
  fi
  echo "$want" > "$stamp"
fi

# ---- 3. demo lesson media, rendered from text (cached)
.venv/bin/python lesson_packs/render_demo.py --out lesson_packs/demo/media >&2
# ---- 3b. the display's and console's translations (ui/i18n/*.ts -> .qm with Qt's lrelease)
.venv/bin/python -m dual_teacher.qt.i18n >&2

# ---- 4. on-device models: TFLite -> ONNX conversion + parity check in their own venv (cached), Whisper assembly
.venv/bin/dual-teacher models build >&2
# ---- 4b. the benchmark's MediaPipe peer in its own venv (pinned; once): benchmark runs never install anything
if [ "$job" = test ]; then .venv/bin/dual-teacher bench setup-peers >&2 || say "MediaPipe peer not set up: bench reports it as skipped"; fi

# ---- 5. the job
case "$job" in
  demo) exec .venv/bin/dual-teacher demo "$@" ;;
  test) exec bash scripts/check.sh "$@" ;;
  *) echo "usage: bash scripts/bootstrap.sh demo|test [options]" >&2; exit 2 ;;
esac
