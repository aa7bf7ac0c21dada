"""Benchmark: the cost of authentication per request — bearer JWT verification with a cached
key, and a Kratos session check cached vs uncached.

(a) ``JwtAuthenticator.authenticate`` of one RS256 (RSA-2048) token issued by the embedded
    identity provider, its key cached (``LocalKeyPair``, then ``RemoteJwks`` after its first
    fetch from a JWKS served on 127.0.0.1): header parse, key lookup, key/algorithm fit,
    signature, claims, a read-only ``Identity``. Awaited in a loop on one asyncio event loop,
    as the gateway does per request. References measured in the same run: PyJWT's own
    ``jwt.decode`` of the same token with the same parsed key object, issuer and audience (the
    ratio ours / PyJWT is the figure to read), PyJWT's ``decode`` handed the PEM text instead
    (what not caching parsed keys would cost), and the bare RSA signature check
    (``cryptography``), the floor under any JWT library.
(b) ``KratosSessionAuthenticator.authenticate`` of a session token against the local fake
    Kratos (``tests/fakes/ory_kratos.py``, real HTTP on 127.0.0.1): uncached (``cache_ttl_s=0``:
    ``ory-client``'s ``to_session`` on a worker thread, every time) and cached (an LRU lookup by
    SHA-256 of the token). Reference: the same ``GET /sessions/whoami`` with urllib3 directly
    (the HTTP round trip alone, without ory-client or the thread hop).

Each figure is the median of 5 rounds, the variants taking turns within a round; (a) also
gives the process's CPU time per call, which a busy machine disturbs less than wall time.
Target (issue 8): token verification < 100 µs with a cached key. Nothing is asserted; figures
move ±30 % with machine load. Run with ``.venv/bin/python bench/bench_identity.py`` (about
20 s).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import urllib3
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes

from gateway.identity import (
    DEFAULT_AUDIENCE,
    DEFAULT_ISSUER,
    JwtAuthenticator,
    LocalKeyPair,
    RemoteJwks,
    issue_token,
    jwks,
)
from gateway.identity.kratos import KratosSessionAuthenticator
from tests.fakes.ory_kratos import FakeKratos

ROUNDS = 5
JWT_CALLS = 5_000
KRATOS_UNCACHED_CALLS = 300
KRATOS_CACHED_CALLS = 20_000
TARGET_US = 100.0


def medians_us(
    runs: dict[str, tuple[int, Callable[[int], None]]],
) -> tuple[dict[str, float], dict[str, float]]:
    """Median over :data:`ROUNDS` of the µs per call of each ``run(calls)``, after a warm-up:
    wall-clock, and CPU time of this process (less disturbed by other processes on a busy
    machine; meaningful where the work runs in this process's own thread).

    The variants take turns within each round, so that a burst of load from elsewhere on the
    machine slows all of them alike and the ratios stay readable.
    """
    for calls, run in runs.values():
        run(max(1, calls // 10))
    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(ROUNDS):
        for name, (calls, run) in runs.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            run(calls)
            wall[name].append((time.perf_counter() - started) / calls * 1e6)
            cpu[name].append((time.process_time() - started_cpu) / calls * 1e6)
    return (
        {name: statistics.median(values) for name, values in wall.items()},
        {name: statistics.median(values) for name, values in cpu.items()},
    )


def authenticate_loop(authenticator: Any, headers: dict[str, str]) -> Callable[[int], None]:
    def run(calls: int) -> None:
        async def loop() -> None:
            for _ in range(calls):
                if await authenticator.authenticate(headers, {}) is None:
                    raise RuntimeError("not authenticated")

        asyncio.run(loop())

    return run


def serve_json(document: dict[str, Any]) -> tuple[str, Callable[[], None]]:
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body in one segment, no 40 ms ACK wait

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    host, port = server.server_address[:2]

    def stop() -> None:
        server.shutdown()
        server.server_close()

    return f"http://{host}:{port}/.well-known/jwks.json", stop


def bench_jwt() -> None:
    with tempfile.TemporaryDirectory() as directory:
        keys = LocalKeyPair(Path(directory) / "identity")
        token = issue_token(keys, "trader-1", ttl_s=3600, extra_claims={"roles": ["trader"]})
        headers = {"authorization": f"Bearer {token}"}
        kid, private_key = keys.signing_key()
        public_key = private_key.public_key()
        pem = public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        local = JwtAuthenticator(keys, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE)
        url, stop = serve_json(jwks(keys))
        remote_keys = RemoteJwks(url)
        remote = JwtAuthenticator(remote_keys, issuer=DEFAULT_ISSUER, audience=DEFAULT_AUDIENCE)
        decoder = jwt.PyJWT()

        def pyjwt_decode(key: Any) -> Callable[[int], None]:
            def run(calls: int) -> None:
                for _ in range(calls):
                    decoder.decode(
                        token,
                        key,
                        algorithms=["RS256"],
                        audience=DEFAULT_AUDIENCE,
                        issuer=DEFAULT_ISSUER,
                    )

            return run

        signing_input, _, signature_segment = token.rpartition(".")
        signature = jwt.utils.base64url_decode(signature_segment)

        def bare_rsa(calls: int) -> None:
            message = signing_input.encode()
            for _ in range(calls):
                public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

        try:
            us, cpu = medians_us(
                {
                    "local": (JWT_CALLS, authenticate_loop(local, headers)),
                    "remote": (JWT_CALLS, authenticate_loop(remote, headers)),
                    "pyjwt": (JWT_CALLS, pyjwt_decode(public_key)),
                    "pyjwt_pem": (JWT_CALLS // 5, pyjwt_decode(pem)),
                    "floor": (JWT_CALLS, bare_rsa),
                }
            )
        finally:
            remote_keys.close()
            stop()
    rows = [
        ("local", "JwtAuthenticator.authenticate, LocalKeyPair"),
        ("remote", "JwtAuthenticator.authenticate, RemoteJwks"),
        ("pyjwt", "PyJWT decode, same parsed key (reference)"),
        ("pyjwt_pem", "PyJWT decode, PEM parsed per call"),
        ("floor", "RSA signature check alone (floor)"),
    ]
    print(f"(a) bearer JWT, RS256 / RSA-2048, key {kid[:12]}… cached (median of {ROUNDS})")
    print(f"    {'':47s} {'wall':>8s}    {'CPU':>8s}")
    for name, label in rows:
        print(f"    {label + ':':47s} {us[name]:8.1f} us {cpu[name]:8.1f} us")
    for name, label in (("pyjwt", "PyJWT decode"), ("floor", "RSA check alone")):
        ratio, ratio_cpu = us["local"] / us[name], cpu["local"] / cpu[name]
        caption = f"ratio ours (LocalKeyPair) / {label}:"
        print(f"    {caption:47s} {ratio:8.2f}    {ratio_cpu:8.2f}")
    verdict = "met" if us["local"] < TARGET_US else "NOT met"
    verdict_cpu = "met" if cpu["local"] < TARGET_US else "NOT met"
    print(
        f"    target < {TARGET_US:.0f} us with a cached key: {verdict} (wall), {verdict_cpu} (CPU)"
    )


def bench_kratos() -> None:
    with FakeKratos() as kratos:
        session = kratos.add_session(traits={"email": "trader@example.com"})
        headers = {"x-session-token": session.token}
        uncached = KratosSessionAuthenticator(kratos.url, cache_ttl_s=0)
        cached = KratosSessionAuthenticator(kratos.url, cache_ttl_s=3600)
        http = urllib3.PoolManager()

        def raw(calls: int) -> None:
            for _ in range(calls):
                response = http.request(
                    "GET",
                    f"{kratos.url}/sessions/whoami",
                    headers={"X-Session-Token": session.token, "Accept": "application/json"},
                )
                if response.status != 200:
                    raise RuntimeError(response.status)

        counted = {"uncached": 0, "cached": 0}

        def counting(name: str, run: Callable[[int], None]) -> Callable[[int], None]:
            def counted_run(calls: int) -> None:
                before = kratos.whoami_calls
                run(calls)
                counted[name] += kratos.whoami_calls - before

            return counted_run

        us, _ = medians_us(
            {
                "uncached": (
                    KRATOS_UNCACHED_CALLS,
                    counting("uncached", authenticate_loop(uncached, headers)),
                ),
                "cached": (
                    KRATOS_CACHED_CALLS,
                    counting("cached", authenticate_loop(cached, headers)),
                ),
                "raw": (KRATOS_UNCACHED_CALLS, raw),
            }
        )
        uncached_us, cached_us, raw_us = us["uncached"], us["cached"], us["raw"]
        asked, asked_cached = counted["uncached"], counted["cached"]
    print(f"(b) Kratos session token against the local fake (median of {ROUNDS})")
    print(
        f"    uncached (ory-client to_session on a thread):      {uncached_us:8.1f} us"
        f"   ({asked} requests to Kratos)"
    )
    print(
        f"    cached (LRU by token hash):                        {cached_us:8.1f} us"
        f"   ({asked_cached} request(s) to Kratos)"
    )
    print(f"    urllib3 GET /sessions/whoami alone (reference):    {raw_us:8.1f} us")
    print(f"    ratio uncached / bare HTTP round trip:             {uncached_us / raw_us:8.2f}")
    print(f"    ratio cached / uncached:                           {cached_us / uncached_us:8.3f}")


def main() -> None:
    bench_jwt()
    bench_kratos()


if __name__ == "__main__":
    main()
