"""A live HLS stream on 127.0.0.1 for tests and benchmarks: a sliding-window playlist over pre-cut segments.

The playlist advances with wall time like a real live broadcast (no #EXT-X-ENDLIST; the media sequence grows),
wrapping around the segments with a discontinuity. `stop()` kills the server (connections are refused);
`start()` brings it back on the same port, where the broadcast has moved on in the meantime.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import av


def cut_segments(video: Path, out_dir: Path, segment_s: float = 1.0) -> list[tuple[str, float]]:
    """Remux `video` into MPEG-TS segments (cut at key frames); returns (file name, duration) in order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    playlist = out_dir / "vod.m3u8"
    with av.open(str(video)) as src:
        out = av.open(
            str(playlist),
            mode="w",
            format="hls",
            options={
                "hls_time": str(segment_s),
                "hls_list_size": "0",
                "hls_segment_filename": str(out_dir / "s%04d.ts"),
            },
        )
        streams = {s.index: out.add_stream_from_template(s) for s in src.streams if s.type in ("video", "audio")}
        for packet in src.demux():
            if packet.dts is None or packet.stream.index not in streams:
                continue
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
        out.close()
    segments: list[tuple[str, float]] = []
    duration = 0.0
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line.split(":", 1)[1].rstrip(","))
        elif line and not line.startswith("#"):
            segments.append((line, duration))
    return segments


class LiveHls:
    def __init__(self, folder: Path, segments: list[tuple[str, float]], window: int = 4) -> None:
        self.folder = folder
        self.segments = segments
        self.window = window
        self.port = 0
        self.requests = 0
        self.frozen = threading.Event()  # set: requests hang without an answer (a link that silently drops)
        self._t0 = time.monotonic()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/live.m3u8"

    def playlist(self) -> str:
        seg_s = max(d for _, d in self.segments)
        now_index = int((time.monotonic() - self._t0) / seg_s)
        first = max(0, now_index - self.window + 1)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{int(seg_s + 0.999)}"]
        lines.append(f"#EXT-X-MEDIA-SEQUENCE:{first}")
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{first // len(self.segments)}")
        for i in range(first, now_index + 1):
            name, dur = self.segments[i % len(self.segments)]
            if i > first and i % len(self.segments) == 0:
                lines.append("#EXT-X-DISCONTINUITY")
            lines += [f"#EXTINF:{dur:.3f},", name]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                owner.requests += 1
                while owner.frozen.is_set() and owner._server is not None:
                    time.sleep(0.05)
                if self.path.startswith("/live.m3u8"):
                    body, ctype = owner.playlist().encode(), "application/vnd.apple.mpegurl"
                else:
                    path = owner.folder / self.path.lstrip("/").split("?")[0]
                    if not path.is_file() or path.parent != owner.folder:
                        self.send_error(404)
                        return
                    body, ctype = path.read_bytes(), "video/mp2t"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a player hanging up mid-segment is expected here

        server = Server(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="test-hls", daemon=True)
        self._thread.start()

    def freeze(self) -> None:
        self.frozen.set()

    def thaw(self) -> None:
        self.frozen.clear()

    def stop(self) -> None:
        self.frozen.clear()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None
