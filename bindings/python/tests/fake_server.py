"""A scripted HTTP server for the answers the emulator never gives.

Run as a separate process (so it never competes for the test process's GIL):

    python fake_server.py

It prints its base URL as the first stdout line and serves until killed.
The first path segments choose the answer, and anything after them
(normally ``/v2/auth/login``) is ignored:

    /slow/<seconds>   wait, then answer 200 with the demo login body
    /status/<code>    answer <code> with a NestJS-style error body
    /minimal          200 with only accessToken, project and profile
    /jwt-exp          like /minimal, but the access token's payload has an `exp`
                      claim 600 s from now
    /garbage          200 application/json whose body is not JSON
    /reflect          401 whose message quotes the password that was sent
    /user-agent       401 whose message quotes the User-Agent header
    /hang             never answer (until the client gives up)
"""

from __future__ import annotations

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEMO_BODY = {
    "accessToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzbG93In0.c2lnbmF0dXJlLXNsb3c",
    "refreshToken": "eyJhbGciOiJIUzI1NiJ9.eyJ0eXAiOiJyZWZyZXNoIn0.c2lnbmF0dXJlLXJl",
    "expiresIn": 3600,
    "project": {
        "reference": "Project/f6f4da8d-93e8-8a08-220e-03b7810451d3",
        "display": "My Medical Project",
    },
    "profile": {
        "reference": "Patient/de5c57ff-7257-57b0-13ab-aab6f5f91498",
        "display": "Max Mustermann",
    },
}

HANG_LIMIT_SECONDS = 45.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(
        self, code: int, body: bytes, content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        request = self.rfile.read(length)
        parts = self.path.strip("/").split("/")
        kind = parts[0]
        if kind == "slow":
            time.sleep(float(parts[1]))
            self._send(200, json.dumps(DEMO_BODY).encode())
        elif kind == "status":
            code = int(parts[1])
            headers = {"Location": "https://elsewhere.example/"} if 300 <= code < 400 else {}
            body = {"statusCode": code, "message": f"scripted {code}", "error": "Scripted"}
            self._send(code, json.dumps(body).encode(), headers=headers)
        elif kind == "minimal":
            body = {k: v for k, v in DEMO_BODY.items() if k in ("accessToken", "project", "profile")}
            self._send(200, json.dumps(body).encode())
        elif kind == "jwt-exp":
            payload = json.dumps({"sub": "exp", "exp": int(time.time()) + 600}).encode()
            encoded = base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
            body = {k: v for k, v in DEMO_BODY.items() if k in ("project", "profile")}
            body["accessToken"] = f"eyJhbGciOiJIUzI1NiJ9.{encoded}.c2lnbmF0dXJl"
            self._send(200, json.dumps(body).encode())
        elif kind == "garbage":
            self._send(200, b"<html>not json</html>")
        elif kind == "reflect":
            password = json.loads(request).get("password", "")
            body = {"statusCode": 401, "message": f"wrong password {password}", "error": "Unauthorized"}
            self._send(401, json.dumps(body).encode())
        elif kind == "user-agent":
            agent = self.headers.get("User-Agent", "")
            body = {"statusCode": 401, "message": f"user agent [{agent}]", "error": "Unauthorized"}
            self._send(401, json.dumps(body).encode())
        elif kind == "hang":
            # Hold the connection open without answering; the client's total
            # timeout ends the wait well before this limit.
            time.sleep(HANG_LIMIT_SECONDS)
            self.close_connection = True
        else:
            self._send(404, b'{"statusCode":404,"message":"no script","error":"Not Found"}')


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 resets connections when 32 arrive at once.
    request_queue_size = 128


def main() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    host, port = server.server_address[:2]
    print(f"http://{host!s}:{port}", flush=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Exit when the parent closes our stdin (or kills us).
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
