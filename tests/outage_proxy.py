"""A TCP proxy in front of a test database that a test can cut: every open connection is
dropped and new ones are refused, as when a database server is killed or the network to it
goes; ``restore()`` brings it back. Real PostgreSQL behind it, real clients in front of it."""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from pathlib import Path

from psycopg.conninfo import conninfo_to_dict, make_conninfo


class DatabaseProxy:
    def __init__(self, database_url: str) -> None:
        info = conninfo_to_dict(database_url)
        host, port = str(info.get("host") or "localhost"), int(info.get("port") or 5432)
        if host.startswith("/"):
            self._target: tuple[int, object] = (
                socket.AF_UNIX,
                str(Path(host) / f".s.PGSQL.{port}"),
            )
        else:
            self._target = (socket.AF_INET, (host, port))
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._listener.listen(64)
        info.update(host="127.0.0.1", port=str(self.port))
        self.url = "postgresql://" + _as_url_tail(make_conninfo(**info))
        self._open = threading.Event()
        self._open.set()
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Drop every connection and refuse new ones until :meth:`restore`."""
        self._open.clear()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
            self._sockets.clear()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self._closed = True
        self.cut()
        with contextlib.suppress(OSError):
            self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()  # refused, as a dead server's port would
                continue
            try:
                upstream = socket.socket(self._target[0], socket.SOCK_STREAM)
                upstream.connect(self._target[1])  # type: ignore[arg-type]
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 0.5)
                if not self._open.is_set():
                    return
                for source in ready:
                    data = source.recv(65536)
                    if not data:
                        return
                    (b if source is a else a).sendall(data)
        except OSError:
            return
        finally:
            for sock in (a, b):
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._sockets.difference_update((a, b))


def _as_url_tail(conninfo: str) -> str:
    """``user@host:port/dbname`` from a key=value conninfo (the tests' databases need no
    password or options)."""
    info = conninfo_to_dict(conninfo)
    user = info.get("user", "postgres")
    return f"{user}@{info['host']}:{info['port']}/{info.get('dbname', 'postgres')}"
