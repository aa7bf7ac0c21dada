"""Serve an ASGI app with uvicorn on a free loopback port, in a background thread.

A browser needs a real server: FastAPI's TestClient never opens a socket. The socket is bound
here (port 0: the kernel picks a free one) and handed to uvicorn, so two test runs at once
never race for a port. Startup and shutdown are awaited with deadlines.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn


@contextmanager
def serve(app: Any, *, timeout: float = 15.0) -> Iterator[str]:
    """Run ``app`` (its lifespan included) and yield its base URL, ``http://127.0.0.1:PORT``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"uvicorn-{port}", daemon=True
    )
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped during startup (see the log above)")
            if time.monotonic() >= deadline:
                raise TimeoutError(f"uvicorn did not start in {timeout} s")
            time.sleep(0.02)  # poll interval
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
        if thread.is_alive():
            raise RuntimeError(f"uvicorn on port {port} did not stop in {timeout} s")
