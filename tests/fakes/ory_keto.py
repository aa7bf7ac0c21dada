"""A fake Ory Keto — its read and write REST APIs on two ports of 127.0.0.1 — so that
``ory-client``'s ``PermissionApi`` and ``RelationshipApi`` run unchanged against it.

Follows **Ory Keto v26.2.0** (``spec/api.json`` and the handlers of github.com/ory/keto at tag
``v26.2.0``; the same operations ``ory-client`` 1.22.x calls):

read API (``serve.read``, 4466 in Keto)
  * ``GET /relation-tuples/check/openapi`` (``checkPermission``) and ``POST`` with the tuple as
    JSON body (``postCheckPermission``): ``200 {"allowed": bool}``; ``/relation-tuples/check``
    (``checkPermissionOrError``) answers a denial with ``403 {"allowed": false}``.
    Query: ``namespace``, ``object``, ``relation`` and either ``subject_id`` or all three
    ``subject_set.namespace|object|relation`` (``400`` otherwise: Keto's ``ErrIncompleteTuple``,
    ``ErrNilSubject``, ``ErrDuplicateSubject``, ``ErrIncompleteSubject``, ``ErrDroppedSubjectKey``);
    ``max-depth`` (``400`` if not an integer), clamped to ``max_read_depth`` as Keto does. An
    unknown namespace is answered ``allowed: false``, as Keto's check handler does.
  * ``GET /relation-tuples`` (``getRelationships``): any of the same filters, ``page_size``
    (1–1000, default 250), ``page_token``; ``200 {"relation_tuples": […], "next_page_token":
    ""|token}``; unknown namespace ``404`` (``Unknown namespace with name "…".``).
  * ``GET /namespaces``, ``/health/alive``, ``/health/ready``, ``/version``.

write API (``serve.write``, 4467 in Keto)
  * ``PUT /admin/relation-tuples`` (``createRelationship``): ``201`` with the tuple and a
    ``Location``; ``PATCH`` (``patchRelationships``): ``[{"action": "insert"|"delete",
    "relation_tuple": {…}}]``, validated first, then inserts before deletes in one transaction,
    ``204``; ``DELETE`` (``deleteRelationships``): query filters, ``namespace`` required, no
    other parameters, empty body, deletes every match, ``204``.

Errors are Ory's ``errorGeneric``: ``{"error": {"code", "status", "message", "reason"}}``.

Semantics: checks run the pure domain :func:`~bounded_contexts.support.domain.relations.check`
over the stored rows, which follows Keto's classic (non-strict, no OPL rewrites) engine. Rows
are a list: like Keto's table, which has no unique key, inserting a tuple twice stores it twice.

Known differences from Keto: no OPL rewrites, expand, batch check or gRPC; no
``max_read_width`` truncation (Keto stops expanding after 100 subject sets per level); page tokens
are plain offsets, not encrypted; listing order is insertion order (Keto: by a random row id);
tuples our domain refuses (e.g. a subject id containing ``:``, an empty subject-set relation) are
answered ``400`` on write and ``allowed: false`` on check.

Test controls: :attr:`FakeKeto.rows`, :attr:`FakeKeto.requests` (``(api, method, path,
query)`` of every request), ``outage`` (answer every request with that status),
``delay_s`` (wait before answering, to provoke client timeouts), :meth:`FakeKeto.stop`.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

from bounded_contexts.support.domain.relations import (
    DEFAULT_MAX_DEPTH,
    InvalidRelationTuple,
    RelationTuple,
    Subject,
    SubjectId,
    SubjectSet,
    check,
    effective_depth,
)
from bounded_contexts.support.domain.tuple_set import TupleSet

KETO_API_VERSION = "v26.2.0"
RELATION_QUERY_KEYS = (
    "namespace",
    "object",
    "relation",
    "subject_id",
    "subject_set.namespace",
    "subject_set.object",
    "subject_set.relation",
)
DEFAULT_PAGE_SIZE = 250


class KetoError(Exception):
    """An error answer: ``status``, Ory's ``message`` and ``reason``."""

    MESSAGES: ClassVar[dict[int, str]] = {
        400: "The request was malformed or contained invalid parameters",
        404: "The requested resource could not be found",
        500: "An internal server error occurred, please contact the system administrator",
    }

    def __init__(self, status: int, reason: str = "", message: str | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.message = message or self.MESSAGES.get(status, HTTPStatus(status).phrase)

    def body(self) -> dict[str, Any]:
        error = {"code": self.status, "status": HTTPStatus(self.status).phrase}
        error["message"] = self.message
        if self.reason:
            error["reason"] = self.reason
        return {"error": error}


# ------------------------------------------------------------------ Keto's wire format
def tuple_to_json(t: RelationTuple) -> dict[str, Any]:
    body: dict[str, Any] = {"namespace": t.namespace, "object": t.object, "relation": t.relation}
    if isinstance(t.subject, SubjectId):
        body["subject_id"] = t.subject.id
    else:
        s = t.subject
        body["subject_set"] = {"namespace": s.namespace, "object": s.object, "relation": s.relation}
    return body


def tuple_from_json(body: Any) -> RelationTuple:
    if not isinstance(body, dict):
        raise KetoError(400, "a relation tuple must be a JSON object")
    subject_id, subject_set = body.get("subject_id"), body.get("subject_set")
    if subject_id is None and subject_set is None:
        raise KetoError(400, message="subject is not allowed to be nil")
    try:
        subject: Subject = (
            SubjectId(subject_id)
            if subject_id is not None
            else SubjectSet(
                subject_set["namespace"], subject_set["object"], subject_set["relation"]
            )
        )
        return RelationTuple(
            body.get("namespace", ""), body.get("object", ""), body.get("relation", ""), subject
        )
    except (InvalidRelationTuple, KeyError, TypeError) as exc:
        raise KetoError(400, f"invalid relation tuple: {exc}") from None


def _query_subject(q: dict[str, str]) -> Subject | None:
    """Keto's ``RelationQuery.FromURLQuery`` rules for the subject."""
    if "subject" in q:
        raise KetoError(
            400, 'provide "subject_id" or "subject_set.*"; support for "subject" was dropped'
        )
    set_keys = [k for k in RELATION_QUERY_KEYS[4:] if k in q]
    if "subject_id" in q and set_keys:
        raise KetoError(400, message="exactly one of subject_set or subject_id has to be provided")
    if "subject_id" in q:
        return _subject(lambda: SubjectId(q["subject_id"]))
    if len(set_keys) == 3:
        return _subject(
            lambda: SubjectSet(
                q["subject_set.namespace"], q["subject_set.object"], q["subject_set.relation"]
            )
        )
    if set_keys:
        raise KetoError(
            400, message='incomplete subject, provide "subject_id" or a complete "subject_set.*"'
        )
    return None


class _NeverMatches(Exception):
    """A filter value our domain refuses: it matches no stored tuple."""


def _subject(make: Any) -> Subject:
    try:
        return make()
    except InvalidRelationTuple:
        raise _NeverMatches from None


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection the test cut (``stop``) is not an error worth a traceback."""


class FakeKeto:
    """Keto's read and write APIs; start with ``with FakeKeto() as keto:``."""

    def __init__(
        self,
        *,
        namespaces: Iterable[str] = ("accounts", "roles", "platform"),
        max_read_depth: int = DEFAULT_MAX_DEPTH,
    ) -> None:
        self.namespaces = tuple(namespaces)
        self.max_read_depth = max_read_depth
        self.rows: list[RelationTuple] = []
        self.requests: list[tuple[str, str, str, dict[str, str]]] = []
        self.outage: int | None = None
        self.delay_s = 0.0
        self._lock = threading.Lock()
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self._connections: set[socket.socket] = set()

    # ------------------------------------------------------------------ control
    def _url(self, api: str) -> str:
        if api not in self._servers:
            raise RuntimeError("the fake Keto is not started")
        host, port = self._servers[api].server_address[:2]
        return f"http://{host}:{port}"

    @property
    def read_url(self) -> str:
        return self._url("read")

    @property
    def write_url(self) -> str:
        return self._url("write")

    def seed(self, tuples: Iterable[RelationTuple]) -> None:
        with self._lock:
            self.rows.extend(tuples)

    def start(self) -> FakeKeto:
        for api in ("read", "write"):
            server = _QuietServer(("127.0.0.1", 0), self._handler(api))
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.02},
                name=f"fake-keto-{api}",
                daemon=True,
            )
            thread.start()
            self._servers[api] = server
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Close both ports and every open (keep-alive) connection: clients then get
        "connection refused", as from a Keto that went away."""
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        with self._lock:
            connections, self._connections = self._connections, set()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> FakeKeto:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ the API
    def _known(self, namespace: str) -> bool:
        return namespace in self.namespaces

    def _require_namespace(self, namespace: str | None) -> None:
        if namespace is not None and not self._known(namespace):
            raise KetoError(404, f'Unknown namespace with name "{namespace}".')

    def _check(self, q: dict[str, str], body: Any | None = None) -> bool:
        try:
            depth = int(q["max-depth"]) if "max-depth" in q else 0
        except ValueError:
            raise KetoError(
                400, message="unable to parse 'max-depth' query parameter to int"
            ) from None
        if body is not None:
            t = tuple_from_json(body)
            namespace, obj, relation, subject = t.namespace, t.object, t.relation, t.subject
        else:
            try:
                subject = _query_subject(q)
            except _NeverMatches:
                return False
            if subject is None:
                raise KetoError(400, message="subject is not allowed to be nil")
            if not all(k in q for k in ("namespace", "object", "relation")):
                raise KetoError(
                    400,
                    message='incomplete tuple, provide "namespace", "object", "relation", '
                    "and a subject",
                )
            namespace, obj, relation = q["namespace"], q["object"], q["relation"]
        if not self._known(namespace) or (
            isinstance(subject, SubjectSet) and not self._known(subject.namespace)
        ):
            return False
        with self._lock:
            source = TupleSet(self.rows)
        try:
            return check(
                source,
                namespace,
                obj,
                relation,
                subject,
                effective_depth(depth, self.max_read_depth),
            )
        except InvalidRelationTuple:
            return False

    def _matching(self, q: dict[str, str]) -> list[RelationTuple]:
        self._require_namespace(q.get("namespace"))
        try:
            subject = _query_subject(q)
        except _NeverMatches:
            return []
        if isinstance(subject, SubjectSet):
            self._require_namespace(subject.namespace)
        with self._lock:
            return [
                t
                for t in self.rows
                if all(getattr(t, k) == q[k] for k in ("namespace", "object", "relation") if k in q)
                and (subject is None or t.subject == subject)
            ]

    def _list(self, q: dict[str, str]) -> dict[str, Any]:
        try:
            size = int(q.get("page_size", DEFAULT_PAGE_SIZE))
            start = int(q.get("page_token") or 0)
        except ValueError:
            raise KetoError(400, "page_size and page_token must be integers here") from None
        if not 1 <= size <= 1000 or start < 0:
            raise KetoError(400, "page_size must be in 1..1000")
        found = self._matching(q)
        page = found[start : start + size]
        more = start + size < len(found)
        return {
            "relation_tuples": [tuple_to_json(t) for t in page],
            "next_page_token": str(start + size) if more else "",
        }

    def _patch(self, body: Any) -> None:
        if not isinstance(body, list):
            raise KetoError(400, "expected a JSON array of patches")
        inserts, deletes = [], []
        for delta in body:
            if not isinstance(delta, dict) or delta.get("relation_tuple") is None:
                raise KetoError(400, message="relation_tuple is missing")
            t = tuple_from_json(delta["relation_tuple"])
            action = delta.get("action")
            if action not in ("insert", "delete"):
                raise KetoError(400, message=f"unknown action {action}")
            self._require_namespace(t.namespace)
            if isinstance(t.subject, SubjectSet):
                self._require_namespace(t.subject.namespace)
            (inserts if action == "insert" else deletes).append(t)
        with self._lock:  # one transaction: inserts, then deletes (Keto's order)
            self.rows.extend(inserts)
            gone = set(deletes)
            self.rows[:] = [t for t in self.rows if t not in gone]

    def _create(self, body: Any) -> RelationTuple:
        t = tuple_from_json(body)
        self._require_namespace(t.namespace)
        with self._lock:
            self.rows.append(t)
        return t

    def _delete(self, q: dict[str, str], raw_keys: list[str], body: bytes) -> None:
        extra = [k for k in raw_keys if k not in RELATION_QUERY_KEYS]
        if extra:
            raise KetoError(400, f"query parameters {extra} are not allowed")
        if "namespace" not in q:
            raise KetoError(400, "the query parameter namespace is required")
        if body:
            raise KetoError(400, "the request body must be empty")
        doomed = set(self._matching(q))
        with self._lock:
            self.rows[:] = [t for t in self.rows if t not in doomed]

    # ------------------------------------------------------------------ HTTP
    def _handler(self, api: str) -> type[BaseHTTPRequestHandler]:
        keto = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Keto's Go server
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms stall

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                with keto._lock:
                    keto._connections.add(self.connection)

            def finish(self) -> None:
                with keto._lock:
                    keto._connections.discard(self.connection)
                super().finish()

            def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                raw = parse_qs(parts.query, keep_blank_values=True)
                q = {k: v[0] for k, v in raw.items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                keto.requests.append((api, method, parts.path, q))
                if keto.delay_s:
                    time.sleep(keto.delay_s)
                try:
                    if keto.outage is not None:
                        raise KetoError(keto.outage, "outage injected by the test")
                    self._route(method, parts.path, q, list(raw), body)
                except KetoError as exc:
                    self._send(exc.status, exc.body())

            def _json(self, body: bytes) -> Any:
                try:
                    return json.loads(body or b"null")
                except ValueError:
                    raise KetoError(400, "could not unmarshal json") from None

            def _route(
                self, method: str, path: str, q: dict[str, str], keys: list[str], body: bytes
            ) -> None:
                if path in ("/health/alive", "/health/ready") and method == "GET":
                    return self._send(200, {"status": "ok"})
                if path == "/version" and method == "GET":
                    return self._send(200, {"version": KETO_API_VERSION})
                if api == "read":
                    if path == "/namespaces" and method == "GET":
                        return self._send(
                            200, {"namespaces": [{"name": n} for n in keto.namespaces]}
                        )
                    if path in ("/relation-tuples/check/openapi", "/relation-tuples/check"):
                        if method not in ("GET", "POST"):
                            raise KetoError(405, "method not allowed")
                        payload = self._json(body) if method == "POST" else None
                        allowed = keto._check(q, payload)
                        mirror = path.endswith("/check") and not allowed
                        return self._send(403 if mirror else 200, {"allowed": allowed})
                    if path == "/relation-tuples" and method == "GET":
                        return self._send(200, keto._list(q))
                if api == "write" and path == "/admin/relation-tuples":
                    if method == "PUT":
                        t = keto._create(self._json(body))
                        location = "/relation-tuples?" + urlencode(
                            {k: v for k, v in _flat(tuple_to_json(t)).items()}
                        )
                        return self._send(201, tuple_to_json(t), {"Location": location})
                    if method == "PATCH":
                        keto._patch(self._json(body))
                        return self._send(204)
                    if method == "DELETE":
                        keto._delete(q, keys, body)
                        return self._send(204)
                raise KetoError(404, f"no route {method} {path} on Keto's {api} API")

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PUT(self) -> None:
                self._handle("PUT")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler


def _flat(body: dict[str, Any]) -> dict[str, str]:
    flat = {k: v for k, v in body.items() if isinstance(v, str)}
    for k, v in (body.get("subject_set") or {}).items():
        flat[f"subject_set.{k}"] = v
    return flat


@contextmanager
def running_keto(**options: Any) -> Iterator[FakeKeto]:
    with FakeKeto(**options) as keto:
        yield keto


__all__ = ["KETO_API_VERSION", "FakeKeto", "KetoError", "running_keto", "tuple_to_json"]
