"""A fake Ory Kratos public API — ``GET /sessions/whoami`` (operation ``toSession``) — served
over real HTTP on 127.0.0.1, so that ``ory-client``'s ``FrontendApi.to_session`` runs unchanged.

Follows **Ory Kratos v26.2.0** (``spec/api.json`` of github.com/ory/kratos at tag ``v26.2.0``),
the same ``toSession`` operation that ``ory-client`` 1.22.x (Ory API spec v1.22.87) calls:

* request: ``X-Session-Token: <token>``, or ``Cookie: ory_kratos_session=<value>`` (other
  cookies ignored), or ``Authorization: Bearer <token>`` — looked for in that order, as Kratos's
  ``ManagerHTTP.extractToken`` does;
* ``200``: a ``session`` object (``id``, ``active``, ``expires_at``, ``authenticated_at``,
  ``issued_at``, ``authenticator_assurance_level``, ``authentication_methods``, ``devices``,
  ``identity`` with ``id``, ``schema_id``, ``schema_url``, ``state``, ``traits``, addresses,
  ``metadata_public``), and the header ``X-Kratos-Authenticated-Identity-Id``;
* ``401``: an ``errorGeneric`` body, ``{"error": {"id": "session_inactive", "code": 401,
  "status": "Unauthorized", "reason": …, "message": …}}`` — for a missing, unknown, revoked or
  expired session (Kratos's ``Session.IsActive``: active, not expired, identity active);
* ``403``: ``errorGeneric`` with ``session_aal2_required`` when ``require_aal2`` is set and the
  session is ``aal1`` (Kratos's ``session.whoami.required_aal: highest_available``);
* any other path: ``404`` ``errorGeneric``.

Test controls: :meth:`FakeKratos.add_session`, :meth:`FakeKratos.revoke`, ``outage`` (answer
every request with that status, e.g. 500), ``corrupt`` (answer 200 with a body that is not a
session), :attr:`FakeKratos.whoami_requests` (the headers of
every whoami request, to count calls and check what was forwarded), and an injectable
``clock`` (UTC seconds) shared with the code under test so that expiry is deterministic.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

KRATOS_API_VERSION = "v26.2.0"
COOKIE_NAME = "ory_kratos_session"


def _iso(seconds: float) -> str:
    """RFC 3339 with microseconds and ``Z``, as Kratos (Go's ``time.Time``) writes them."""
    return (
        datetime.fromtimestamp(seconds, UTC)
        .isoformat(timespec="microseconds")
        .replace("+00:00", "Z")
    )


@dataclass
class FakeSession:
    """One Kratos session: a token for API clients and a cookie value for browsers."""

    identity_id: str
    traits: dict[str, Any]
    issued_at: float
    expires_at: float
    token: str = field(default_factory=lambda: "ory_st_" + secrets.token_urlsafe(24))
    cookie: str = field(default_factory=lambda: "MTc" + secrets.token_urlsafe(48))
    session_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    active: bool = True
    identity_state: str = "active"
    aal: str = "aal1"
    metadata_public: dict[str, Any] | None = None


class FakeKratos:
    """Kratos's public API for ``whoami``; start with ``with FakeKratos() as kratos:``."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.time,
        cookie_name: str = COOKIE_NAME,
        require_aal2: bool = False,
    ) -> None:
        self.clock = clock
        self.cookie_name = cookie_name
        self.require_aal2 = require_aal2
        self.outage: int | None = None
        self.corrupt = False
        """When set, whoami answers 200 with a body that is not a session (a broken proxy)."""
        self.whoami_requests: list[dict[str, str]] = []
        self._sessions: list[FakeSession] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the fake Kratos is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_session(
        self,
        *,
        traits: dict[str, Any] | None = None,
        lifespan_s: float = 3600,
        aal: str = "aal1",
        identity_id: str | None = None,
        metadata_public: dict[str, Any] | None = None,
    ) -> FakeSession:
        now = self.clock()
        session = FakeSession(
            identity_id=identity_id or str(uuid.uuid4()),
            traits=traits if traits is not None else {"email": "alice@example.com"},
            issued_at=now,
            expires_at=now + lifespan_s,
            aal=aal,
            metadata_public=metadata_public,
        )
        with self._lock:
            self._sessions.append(session)
        return session

    def revoke(self, session: FakeSession) -> None:
        session.active = False

    @property
    def whoami_calls(self) -> int:
        return len(self.whoami_requests)

    def start(self) -> FakeKratos:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-kratos",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeKratos:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the API -----------------------------------------------------------------------------

    def _find(self, headers: dict[str, str]) -> FakeSession | None:
        token = headers.get("x-session-token")
        cookie_value = None
        if not token and headers.get("cookie"):
            jar = SimpleCookie()
            try:
                jar.load(headers["cookie"])
            except CookieError:
                jar = SimpleCookie()
            morsel = jar.get(self.cookie_name)
            cookie_value = morsel.value if morsel is not None else None
        if not token and cookie_value is None:
            scheme, _, rest = headers.get("authorization", "").partition(" ")
            token = rest.strip() if scheme.lower() == "bearer" else None
        with self._lock:
            for session in self._sessions:
                if (token and secrets.compare_digest(session.token, token)) or (
                    cookie_value is not None
                    and secrets.compare_digest(session.cookie, cookie_value)
                ):
                    return session
        return None

    def _is_active(self, session: FakeSession) -> bool:
        return (
            session.active
            and session.expires_at > self.clock()
            and session.identity_state == "active"
        )

    def _session_body(self, session: FakeSession) -> dict[str, Any]:
        issued = _iso(session.issued_at)
        email = session.traits.get("email")
        addresses: dict[str, Any] = {}
        if isinstance(email, str):
            addresses = {
                "verifiable_addresses": [
                    {
                        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, email)),
                        "value": email,
                        "verified": False,
                        "via": "email",
                        "status": "sent",
                        "created_at": issued,
                        "updated_at": issued,
                    }
                ],
                "recovery_addresses": [
                    {
                        "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, email)),
                        "value": email,
                        "via": "email",
                        "created_at": issued,
                        "updated_at": issued,
                    }
                ],
            }
        return {
            "id": session.session_id,
            "active": True,
            "expires_at": _iso(session.expires_at),
            "authenticated_at": issued,
            "issued_at": issued,
            "authenticator_assurance_level": session.aal,
            "authentication_methods": [
                {"method": "password", "aal": "aal1", "completed_at": issued}
            ],
            "devices": [
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_OID, session.session_id)),
                    "ip_address": "127.0.0.1",
                    "user_agent": "quantvista-tests",
                    "location": "",
                }
            ],
            "identity": {
                "id": session.identity_id,
                "schema_id": "default",
                "schema_url": f"{self.url}/schemas/ZGVmYXVsdA",
                "state": session.identity_state,
                "state_changed_at": issued,
                "traits": session.traits,
                "metadata_public": session.metadata_public,
                "created_at": issued,
                "updated_at": issued,
                "organization_id": None,
                **addresses,
            },
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        kratos = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body in one segment, no 40 ms ACK wait

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _send(
                self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "private, no-cache, no-store, must-revalidate")
                for name, value in (extra or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, error_id: str, reason: str, message: str) -> None:
                phrase = self.responses.get(status, ("Error",))[0]
                self._send(
                    status,
                    {
                        "error": {
                            "id": error_id,
                            "code": status,
                            "status": phrase,
                            "reason": reason,
                            "message": message,
                        }
                    },
                )

            def do_GET(self) -> None:
                path = self.path.partition("?")[0]
                headers = {name.lower(): value for name, value in self.headers.items()}
                if path != "/sessions/whoami":
                    self._error(404, "not_found", "", "The requested resource could not be found")
                    return
                kratos.whoami_requests.append(headers)
                if kratos.outage is not None:
                    self._error(
                        kratos.outage,
                        "internal_server_error",
                        "",
                        "An internal server error occurred",
                    )
                    return
                if kratos.corrupt:
                    self._send(200, {"id": "not-a-uuid", "active": "maybe"})
                    return
                session = kratos._find(headers)
                if session is None or not kratos._is_active(session):
                    self._error(
                        401,
                        "session_inactive",
                        "No valid session credentials found in the request.",
                        "The request could not be authorized",
                    )
                    return
                if kratos.require_aal2 and session.aal != "aal2":
                    self._error(
                        403,
                        "session_aal2_required",
                        "An active session was found but it does not fulfil the Authenticator "
                        "Assurance Level.",
                        "The request was forbidden",
                    )
                    return
                self._send(
                    200,
                    kratos._session_body(session),
                    {"X-Kratos-Authenticated-Identity-Id": session.identity_id},
                )

        return Handler


@contextmanager
def running_kratos(**options: Any) -> Iterator[FakeKratos]:
    """``with running_kratos(clock=clock) as kratos:`` — a started fake, stopped afterwards."""
    with FakeKratos(**options) as kratos:
        yield kratos
