"""A local fake of FCM's HTTP v1 send endpoint and Google's OAuth token endpoint.

Used by bench/push_fanout.py and the real-worker test (tests/notifications/test_worker.py):
both run the real firebase-admin SDK against it through settings.FCM_ENDPOINT and a
generated service-account key whose `token_uri` points here. It answers with FCM's real
bodies. Behaviour is chosen per token, so the caller knows what to expect:
  - tokens starting with "dead-": 404 UNREGISTERED, every time;
  - tokens starting with "flaky-": 503 UNAVAILABLE the first time, then accepted;
  - anything else: accepted, after `--latency-ms`.
POST /_outage {"seconds": s, "mode": "503" | "hang"}: for the next s seconds every send
is answered 503 UNAVAILABLE ("503"), or held `hang_seconds` (default 15, past the client's
timeout) and then answered 503 ("hang"): FCM down for minutes, for the chaos benchmark.
GET /_stats answers {"accepted": {token: count}, "requests": n, "unregistered": n,
"unavailable": n, "outage_rejected": n, "token_requests": n}; POST /_reset clears the
counters (and ends an outage).

Run: python bench/fake_fcm.py --port 0 --latency-ms 20   (prints "PORT <n>" when ready)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections import Counter

UNREGISTERED_BODY = {
    "error": {
        "code": 404,
        "message": "Requested entity was not found.",
        "status": "NOT_FOUND",
        "details": [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNREGISTERED",
            }
        ],
    }
}
UNAVAILABLE_BODY = {
    "error": {
        "code": 503,
        "message": "The service is currently unavailable.",
        "status": "UNAVAILABLE",
        "details": [
            {
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNAVAILABLE",
            }
        ],
    }
}


def service_account_info(*, token_uri: str, project_id: str = "voisinage-test") -> dict:
    """A freshly generated service-account key (no network needed to make or use it)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "0123456789abcdef0123456789abcdef01234567",
        "private_key": pem,
        "client_email": f"firebase-adminsdk@{project_id}.iam.gserviceaccount.com",
        "client_id": "100000000000000000000",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }


class FakeFcm:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.reset()

    def reset(self) -> None:
        self.accepted: Counter[str] = Counter()
        self.flaked: set[str] = set()
        self.requests = 0
        self.unregistered = 0
        self.unavailable = 0
        self.token_requests = 0
        self.message_counter = 0
        self.outage_until = 0.0
        self.outage_mode = "503"
        self.hang_seconds = 15.0
        self.outage_rejected = 0

    async def answer(self, method: str, path: str, body: bytes) -> tuple[int, dict, dict]:
        if path == "/token" and method == "POST":
            self.token_requests += 1
            return (
                200,
                {"access_token": "fake-access-token", "expires_in": 3600, "token_type": "Bearer"},
                {},
            )
        if path == "/_stats":
            return (
                200,
                {
                    "accepted": dict(self.accepted),
                    "requests": self.requests,
                    "unregistered": self.unregistered,
                    "unavailable": self.unavailable,
                    "outage_rejected": self.outage_rejected,
                    "token_requests": self.token_requests,
                },
                {},
            )
        if path == "/_reset" and method == "POST":
            self.reset()
            return 200, {}, {}
        if path == "/_outage" and method == "POST":
            options = json.loads(body or b"{}")
            self.outage_until = time.monotonic() + float(options.get("seconds", 60))
            self.outage_mode = options.get("mode", "503")
            self.hang_seconds = float(options.get("hang_seconds", 15))
            return 200, {}, {}
        if path.endswith("/messages:send") and method == "POST":
            self.requests += 1
            if time.monotonic() < self.outage_until:
                self.outage_rejected += 1
                if self.outage_mode == "hang":
                    await asyncio.sleep(self.hang_seconds)
                return 503, UNAVAILABLE_BODY, {}
            if self.latency:
                await asyncio.sleep(self.latency)
            message = json.loads(body)["message"]
            token = message.get("token") or message.get("fid") or ""
            if token.startswith("dead-"):
                self.unregistered += 1
                return 404, UNREGISTERED_BODY, {}
            if token.startswith("flaky-") and token not in self.flaked:
                self.flaked.add(token)
                self.unavailable += 1
                return 503, UNAVAILABLE_BODY, {}
            self.accepted[token] += 1
            self.message_counter += 1
            project = path.split("/")[3]
            return 200, {"name": f"projects/{project}/messages/0:{self.message_counter}"}, {}
        return 404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}}, {}

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, path, _ = line.decode("latin-1").split(" ", 2)
                length = 0
                close = False
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value.strip())
                    elif name == "connection" and value.strip().lower() == "close":
                        close = True
                body = await reader.readexactly(length) if length else b""
                status, payload, headers = await self.answer(method, path.split("?")[0], body)
                data = json.dumps(payload).encode()
                reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}.get(status, "X")
                extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                writer.write(
                    f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; "
                    f"charset=UTF-8\r\nContent-Length: {len(data)}\r\n{extra}\r\n".encode()
                    + data
                )
                await writer.drain()
                if close:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()


async def _serve(port: int, latency: float) -> None:
    fake = FakeFcm(latency)
    server = await asyncio.start_server(fake.handle, "127.0.0.1", port, backlog=2048)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


class FakeFcmProcess:
    """Runs the fake in its own process (its own CPU and GIL), for tests and the bench."""

    def __init__(self, *, latency_ms: float = 0.0) -> None:
        self.latency_ms = latency_ms
        self.process: subprocess.Popen | None = None
        self.url = ""

    def __enter__(self) -> FakeFcmProcess:
        self.process = subprocess.Popen(
            [
                sys.executable,
                os.path.abspath(__file__),
                "--port",
                "0",
                "--latency-ms",
                str(self.latency_ms),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            self.process.kill()
            raise RuntimeError(f"fake FCM did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"
        return self

    def __exit__(self, *exc) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def stats(self) -> dict:
        import requests

        return requests.get(f"{self.url}/_stats", timeout=30).json()

    def reset(self) -> None:
        import requests

        requests.post(f"{self.url}/_reset", timeout=30)

    def outage(self, seconds: float, *, mode: str = "503", hang_seconds: float = 15.0) -> None:
        """Every send answered 503 (or held, then 503) for the next `seconds`."""
        import requests

        requests.post(
            f"{self.url}/_outage",
            json={"seconds": seconds, "mode": mode, "hang_seconds": hang_seconds},
            timeout=30,
        )

    def wait_for(self, predicate, *, timeout: float = 30.0, interval: float = 0.2) -> dict:
        deadline = time.monotonic() + timeout
        stats = self.stats()
        while not predicate(stats) and time.monotonic() < deadline:
            time.sleep(interval)
            stats = self.stats()
        return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port, args.latency_ms / 1000))


if __name__ == "__main__":
    main()
