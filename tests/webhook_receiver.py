"""A webhook receiver for tests: a real HTTP server on a loopback port that records every
request and answers what the test tells it to (`answer`: status by request number)."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Iterator

import orjson


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> dict:  # type: ignore[type-arg]
        return orjson.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    answer: Callable[[int], int] = lambda n: 204
    delay: float = 0.0

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 10,
                 pump: Callable[[], object] | None = None) -> list[Received]:
        """Until `predicate` holds over what arrived (calling `pump`, e.g. one worker pass,
        while waiting)."""
        deadline = time.monotonic() + timeout
        while not predicate(list(self.received)):
            if time.monotonic() > deadline:
                raise AssertionError(f"receiver got {len(self.received)} requests: "
                                     f"{[r.body[:80] for r in self.received]}")
            if pump is not None:
                pump()
            time.sleep(0.02)
        return list(self.received)


@contextlib.contextmanager
def receiving(path: str = "/hook") -> Iterator[Receiver]:
    lock = threading.Lock()
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            receiver = holder[0]
            if receiver.delay:
                time.sleep(receiver.delay)
            with lock:
                receiver.received.append(Received({k.lower(): v for k, v in
                                                   self.headers.items()}, body, time.time()))
                status = receiver.answer(len(receiver.received))
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}{path}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
