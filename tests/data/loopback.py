"""A loopback HTTP file server with fault injection, standing in for GitHub and COCO.

Faults are set per path: fail with a status a number of times, always 404, or cut the
connection after some bytes (an interrupted download). Range requests are honoured so
resumption can be observed; every request is logged for assertions.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@dataclass
class Faults:
    fail_times: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (status, times)
    cut_after: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before closing (once)
    override: dict[str, bytes] = field(default_factory=dict)  # path -> body served instead


class ServedOnLoopback:
    """A handler class served on a free loopback port while used as a context manager."""

    def serve(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ServedOnLoopback:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class LoopbackServer(ServedOnLoopback):
    def __init__(self, root: Path):
        self.root = Path(root)
        self.faults = Faults()
        self.requests: list[tuple[str, str | None]] = []  # (path, Range header)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                path = self.path.lstrip("/")
                with server._lock:
                    server.requests.append((path, self.headers.get("Range")))
                    status_times = server.faults.fail_times.get(path)
                    if status_times and status_times[1] > 0:
                        server.faults.fail_times[path] = (status_times[0], status_times[1] - 1)
                        self.send_error(status_times[0])
                        return
                    cut = server.faults.cut_after.pop(path, None)
                body = server.faults.override.get(path)
                if body is None:
                    file = (server.root / path).resolve()
                    if server.root.resolve() not in file.parents or not file.is_file():
                        self.send_error(404)
                        return
                    body = file.read_bytes()
                start = 0
                rng = self.headers.get("Range")
                if rng and rng.startswith("bytes=") and rng.endswith("-"):
                    start = int(rng[6:-1])
                    if start >= len(body):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                payload = body[start:]
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if cut is not None:
                    self.wfile.write(payload[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(payload)

        self.serve(Handler)

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p == path)


def refused_url() -> str:
    """A loopback base URL whose port nobody listens on: connections are refused at once,
    standing in for an unreachable server without touching the network."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
