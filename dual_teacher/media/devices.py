"""List cameras and microphones without opening them (for `dual-teacher doctor` and the set-up view)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from dual_teacher.core.errors import DeviceUnavailable


@dataclasses.dataclass(frozen=True)
class Device:
    kind: str  # "camera" or "microphone"
    id: str
    name: str
    detail: str = ""


def list_cameras(sys_root: Path = Path("/sys/class/video4linux")) -> list[Device]:
    """V4L2 capture devices (Linux); names from sysfs."""
    out = []
    for node in sorted(sys_root.glob("video*")):
        name_file = node / "name"
        name = name_file.read_text(encoding="utf-8").strip() if name_file.is_file() else node.name
        index_file = node / "index"
        index = index_file.read_text(encoding="utf-8").strip() if index_file.is_file() else "0"
        if index != "0":  # other indices of one camera are metadata nodes, not picture streams
            continue
        out.append(Device("camera", f"/dev/{node.name}", name))
    return out


def list_microphones() -> list[Device]:
    """Input devices PortAudio can open; raises DeviceUnavailable when sounddevice/PortAudio is missing."""
    from dual_teacher.media.audio import _import_sounddevice

    sd = _import_sounddevice()
    out = []
    for i, dev in enumerate(sd.query_devices()):
        if int(dev.get("max_input_channels", 0)) > 0:
            rate = int(dev.get("default_samplerate", 0))
            out.append(
                Device("microphone", str(i), str(dev.get("name", i)), f"{dev['max_input_channels']} ch, {rate} Hz")
            )
    if not out:
        raise DeviceUnavailable("no microphone found", hint="plug in a USB microphone or check the sound settings")
    return out
