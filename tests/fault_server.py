"""A loopback OpenAI-compatible server that injects faults, for the teacher's tests.

It listens on 127.0.0.1 only, answers from a replay file (so its good answers are the recorded
ones), and takes a script: the n-th request it receives (counted per server, from 0) gets the
fault ``faults[n]``, every other request a good answer. Busy answers (429, 503) carry
``Retry-After: retry_after`` and, if given, ``retry-after-ms`` (which the ``openai`` client
prefers: it keeps tests quick). Every loop in it is bounded (a drip
sends at most ``DRIP_BYTES`` bytes, a stall sleeps at most ``STALL_S``), handler threads are
daemons, and ``with FaultServer(...)`` shuts it down, so a test can never hang on it.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from spacy_juicer.teacher.models.replay import Replay

DRIP_BYTES = 40
DRIP_INTERVAL_S = 0.1
STALL_S = 2.0
SLOW_S = 0.4
FAULTS = ("429", "500", "503", "401", "404", "slow", "drip", "stall", "close", "nonjson", "htmltype", "nochoices",
          "nullusage", "empty", "list", "400")


class FaultServer:
    def __init__(self, answers: Path, faults: Optional[Dict[int, str]] = None, retry_after: str = "1",
                 retry_after_ms: Optional[str] = None) -> None:
        self.replay = Replay(answers)
        self.faults = dict(faults or {})
        self.retry_after = retry_after
        self.retry_after_ms = retry_after_ms
        self.log: List[Tuple[float, str, Optional[str], str]] = []  # (time, fault, auth, prompt)
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                prompt = body["messages"][-1]["content"]
                with owner._lock:
                    fault = owner.faults.get(len(owner.log), "")
                    owner.log.append((time.monotonic(), fault, self.headers.get("Authorization"), prompt))
                owner.respond(self, fault, prompt)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def __enter__(self) -> "FaultServer":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def prompts(self) -> List[str]:
        return [prompt for _, _, _, prompt in self.log]

    @staticmethod
    def send(handler, status: int, data: bytes, headers: Optional[Dict[str, str]] = None) -> None:
        headers = {"Content-Type": "application/json", **(headers or {})}
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(data)))
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(data)

    def respond(self, handler, fault: str, prompt: str) -> None:
        content: object = self.replay.answer(prompt)
        usage: object = {"prompt_tokens": 11, "completion_tokens": 7}
        if fault in ("429", "503"):
            headers = {"Retry-After": self.retry_after}
            if self.retry_after_ms is not None:
                headers["retry-after-ms"] = self.retry_after_ms
            return self.send(handler, int(fault), b'{"error": "busy"}', headers)
        if fault in ("500", "400", "401", "404"):
            return self.send(handler, int(fault), b'{"error": "boom"}')
        if fault == "close":
            handler.close_connection = True
            handler.connection.close()
            return None
        if fault == "slow":  # a good answer, late: requests in flight together overlap
            time.sleep(SLOW_S)
        if fault == "stall":
            time.sleep(STALL_S)
            handler.close_connection = True
            return None
        if fault == "nonjson":  # says JSON, is not
            return self.send(handler, 200, b"<html>502 Bad Gateway</html>")
        if fault == "htmltype":  # a proxy's error page, honestly labelled
            return self.send(handler, 200, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})
        if fault == "nochoices":
            return self.send(handler, 200, json.dumps({"choices": [], "usage": usage}).encode())
        if fault == "nullusage":
            usage = {"prompt_tokens": None, "completion_tokens": None}
        elif fault == "empty":
            content = ""
        elif fault == "list":
            text = str(content)
            content = [{"type": "text", "text": text[:5]}, {"type": "text", "text": text[5:]}]
        data = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}], "usage": usage}).encode()
        if fault == "drip":  # a byte at a time: each read is quick, the whole answer never ends in time
            handler.send_response(200)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            try:
                for i in range(min(DRIP_BYTES, len(data))):
                    handler.wfile.write(data[i : i + 1])
                    handler.wfile.flush()
                    time.sleep(DRIP_INTERVAL_S)
            except OSError:
                pass
            handler.close_connection = True
            return None
        return self.send(handler, 200, data)
