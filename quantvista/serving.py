"""Serving GraphQL from a running platform: the one way ``demo`` and ``serve gateway`` do it.

The HTTP server blocks the main thread, so the database watch cannot raise there: a small
thread asks it twice a second and, once the database is lost, tells the server to exit; the
loss is then raised to the command, which ends with one line and a non-zero status. ``/readyz``
answers from the platform's readiness report.
"""

from __future__ import annotations

import threading

import uvicorn
from rich.console import Console

from gateway import create_app
from quantvista.config import Settings
from quantvista.platform import Platform
from quantvista.watchdog import DatabaseLost

WATCH_INTERVAL_S = 0.5


def serve_gateway(
    platform: Platform, database_url: str, settings: Settings, console: Console
) -> None:
    """Serve until interrupted (returns) or until the database is lost (raises)."""
    app = create_app(database_url, platform.execution_commands, readiness=platform.readiness)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_level="warning")
    )
    lost: list[DatabaseLost] = []
    done = threading.Event()

    def watch() -> None:
        while not done.wait(WATCH_INTERVAL_S):
            try:
                platform.check()
            except DatabaseLost as exc:
                lost.append(exc)
                server.should_exit = True
                return

    watcher = threading.Thread(target=watch, name="gateway-database-watch", daemon=True)
    watcher.start()
    console.print(
        f"GraphQL on [bold]http://{settings.http_host}:{settings.http_port}/graphql[/] "
        "(GraphiQL in a browser). Ctrl-C to stop."
    )
    try:
        server.run()
    finally:
        done.set()
        watcher.join()
    if lost:
        raise lost[0]
