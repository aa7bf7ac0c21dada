"""A small Chrome DevTools Protocol client: headless Chromium for tests, nothing else needed.

Launches the system's Chromium (Debian's ``chromium``) with a fresh profile, reads the port it
chose from ``DevToolsActivePort`` in that profile, and talks to it over one WebSocket with the
``websockets`` package's synchronous client. Pages are opened in their own browser contexts
(separate storage) and addressed by session id (``flatten`` mode), so one browser serves
several tests. Only what browser tests need is here: navigate, evaluate, wait for a condition,
type, press keys, click, screenshot, and the protocol events the browser sent (network
requests, console, exceptions).

Every wait has a deadline; nothing sleeps to synchronise. The browser runs in its own process
group, which :meth:`Browser.close` ends, renderers included.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

CHROMIUM_ENV = "QUANTVISTA_CHROMIUM"
"""Path of a Chromium/Chrome executable to use instead of the one on ``PATH``."""

FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in CI; the sandbox refuses root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    # Without these Chromium phones home (component updates, field trials, sync, ...), which
    # this machine cannot reach and a test must not depend on.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--mute-audio",
    "--hide-scrollbars",
    "--window-size=1280,800",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",  # let it choose; it writes the port to DevToolsActivePort
)


class CDPError(RuntimeError):
    """The browser answered a command with an error, or a page script threw."""


def find_chromium() -> str | None:
    """The Chromium to drive: ``$QUANTVISTA_CHROMIUM``, else the first on ``PATH``."""
    configured = os.environ.get(CHROMIUM_ENV)
    if configured:
        return configured
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Connection:
    """One DevTools WebSocket: commands wait for their answer; events are kept in order."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self._exit = ExitStack()  # websockets >= 17 wants connect() used as a context manager
        self._socket: ClientConnection = self._exit.enter_context(
            connect(url, max_size=None, open_timeout=timeout)
        )
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session_id: str | None = None,
        timeout: float = 10.0,
    ) -> dict[str, Any]:
        """Send a command and return its ``result``; events read meanwhile go to ``events``."""
        message: dict[str, Any] = {"id": next(self._ids), "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{method}: no answer from the browser in {timeout} s")
            reply = json.loads(self._socket.recv(timeout=remaining))
            if reply.get("id") == message["id"]:
                if "error" in reply:
                    raise CDPError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def close(self) -> None:
        self._exit.close()


class Page:
    """A tab in its own browser context, driven through a flattened session."""

    def __init__(self, connection: Connection, session_id: str, context_id: str) -> None:
        self._connection = connection
        self.session_id = session_id
        self.context_id = context_id

    def call(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        return self._connection.call(method, params, session_id=self.session_id, **kw)

    def events(self, method: str) -> list[dict[str, Any]]:
        """The ``params`` of every ``method`` event this page sent so far, oldest first."""
        self.call("Runtime.evaluate", {"expression": "0"})  # flush: events precede the answer
        return [
            event["params"]
            for event in self._connection.events
            if event.get("sessionId") == self.session_id and event["method"] == method
        ]

    def navigate(self, url: str, *, timeout: float = 15.0) -> None:
        """Open ``url`` and wait until its ``load`` event (scripts have run)."""
        self.call("Page.enable")
        result = self.call("Page.navigate", {"url": url}, timeout=timeout)
        if result.get("errorText"):
            raise CDPError(f"navigating to {url}: {result['errorText']}")
        self.wait_for("document.readyState === 'complete'", timeout=timeout, what="page load")

    def evaluate(self, expression: str, *, timeout: float = 10.0) -> Any:
        """The value of a JavaScript expression in the page (promises awaited)."""
        result = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            timeout=timeout,
        )
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CDPError(f"{expression!r} threw: {text}")
        return result["result"].get("value")

    def wait_for(
        self,
        expression: str,
        *,
        timeout: float = 10.0,
        what: str | None = None,
        describe: Callable[[], str] | None = None,
    ) -> Any:
        """Poll ``expression`` until it is truthy and return its value, or fail at the
        deadline saying what was awaited (and ``describe()``: what the page showed)."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() >= deadline:
                state = f"; page: {describe()}" if describe else ""
                raise TimeoutError(f"waited {timeout} s for {what or expression}{state}")
            time.sleep(0.05)  # poll interval, not a synchronisation: the deadline decides

    def center_of(self, selector: str) -> tuple[float, float]:
        """The viewport coordinates of the middle of the first element ``selector`` finds."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
        )
        if not box:
            raise CDPError(f"nothing on the page matches {selector!r}")
        return box[0], box[1]

    def click(self, selector: str) -> None:
        """A real mouse click (move, press, release) on the element's centre."""
        x, y = self.center_of(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1},
            )

    def press(self, key: str, code: str, key_code: int, *, modifiers: int = 0) -> None:
        """A key press (down, up) as the keyboard sends it; ``modifiers``: 1 Alt, 2 Ctrl,
        4 Meta, 8 Shift."""
        event = {
            "key": key,
            "code": code,
            "windowsVirtualKeyCode": key_code,
            "modifiers": modifiers,
        }
        self.call("Input.dispatchKeyEvent", {"type": "rawKeyDown", **event})
        self.call("Input.dispatchKeyEvent", {"type": "keyUp", **event})

    def insert_text(self, text: str) -> None:
        """Type ``text`` into the focused element, as an IME commit would."""
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport to ``path`` (written whole, then renamed into place)."""
        data = base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_bytes(data)
        partial.replace(path)
        return path


class Browser:
    """A headless Chromium process with its DevTools connection."""

    def __init__(self, process: subprocess.Popen[bytes], connection: Connection) -> None:
        self.process = process
        self.connection = connection

    @classmethod
    def launch(cls, executable: str, profile: Path, *, timeout: float = 20.0) -> Browser:
        """Start Chromium on a new, empty ``profile`` folder and connect to it."""
        profile.mkdir(parents=True, exist_ok=False)
        log = profile.parent / f"{profile.name}.log"
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,  # its own process group, ended whole by close()
            )
        try:
            url = _devtools_url(process, profile / "DevToolsActivePort", log, timeout)
            return cls(process, Connection(url, timeout=timeout))
        except BaseException:
            _end_process_group(process)
            raise

    def new_page(self) -> Page:
        """A blank tab in a fresh browser context (its own cookies and storage)."""
        context = self.connection.call("Target.createBrowserContext")["browserContextId"]
        target = self.connection.call(
            "Target.createTarget", {"url": "about:blank", "browserContextId": context}
        )["targetId"]
        session = self.connection.call(
            "Target.attachToTarget", {"targetId": target, "flatten": True}
        )["sessionId"]
        return Page(self.connection, session, context)

    def close_page(self, page: Page) -> None:
        """Close the tab and drop its browser context (its connections close with it)."""
        self.connection.call("Target.disposeBrowserContext", {"browserContextId": page.context_id})
        self.connection.events = [
            e for e in self.connection.events if e.get("sessionId") != page.session_id
        ]

    def close(self) -> None:
        """Close the connection and end the browser's process group (renderers too)."""
        try:
            self.connection.close()
        finally:
            _end_process_group(self.process)


def _devtools_url(
    process: subprocess.Popen[bytes], port_file: Path, log: Path, timeout: float
) -> str:
    """Wait for Chromium to write ``DevToolsActivePort`` (port, then browser path)."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise CDPError(
                f"chromium exited with {process.returncode} before DevTools was up:\n"
                + log.read_text(errors="replace")[-2000:]
            )
        lines = port_file.read_text().splitlines() if port_file.exists() else []
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{int(lines[0])}{lines[1]}"
        if time.monotonic() >= deadline:
            raise TimeoutError(f"chromium wrote no {port_file.name} in {timeout} s")
        time.sleep(0.05)  # poll interval


def _end_process_group(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM the browser's process group, then SIGKILL whatever is left of it (a hung
    browser, or renderers outliving it by a moment); the group holds only what we started."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=grace)
