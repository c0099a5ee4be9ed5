"""A local Slack incoming-webhook endpoint for tests: scripted statuses, every body kept."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class SlackReceiver:
    """A webhook endpoint on 127.0.0.1 answering with scripted status codes (then 200),
    recording every JSON body it got."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses: list[int] = list(statuses or [])
        self.bodies: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            """Answers POSTs with the next scripted status."""

            def do_POST(self):  # pylint: disable=invalid-name  # http.server's naming
                """Record the JSON body, reply with the scripted status."""
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_args):
                """Keep test output quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/s3cr3t"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()
