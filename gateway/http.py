"""GraphQL over HTTP, as the GraphQL Foundation's specification (draft) describes it.

* ``POST /graphql`` with ``Content-Type: application/json`` (anything else: 415); ``GET
  /graphql?query=…&variables=…&operationName=…`` for queries only — a mutation over GET is
  405 with ``Allow: POST``; a subscription over HTTP is 405 too (it is served over WebSocket).
* The response media type follows ``Accept``: ``application/graphql-response+json`` when the
  client accepts it (then a request that could not run — malformed, unparsable, invalid, over
  a limit — is 400, and one that ran is 200 even with field errors), else ``application/json``
  (always 200 for GraphQL-level errors, as legacy clients expect); neither acceptable: 406.
* Every failure, transport ones included, has the same body: ``{"errors": [{"message": …,
  "extensions": {"code": …}}]}`` — never a framework's ``{"detail": …}``.
* A document with several operations must name one (``operationName``); a name it does not
  hold is refused.
* Automatic persisted queries (Apollo's protocol): ``extensions.persistedQuery.sha256Hash``
  alone runs the document registered under that hash (``PERSISTED_QUERY_NOT_FOUND`` until a
  request has sent it with the hash once); with an allow-list configured, only the documents
  in it run, by hash or by text (``PERSISTED_QUERY_NOT_ALLOWED``).
* Limits: body size (413), batch size, and a time budget for queries (504 ``TIMEOUT``); depth,
  aliases and cost are checked by the schema (:mod:`gateway.limits`). Mutations are never cut
  off by the time budget: a command already handed to the write side may be recorded, and the
  client must learn its outcome.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from graphql import GraphQLError, OperationDefinitionNode, OperationType
from strawberry.types import ExecutionResult

from gateway.documents import parse_document
from gateway.errors import BAD_USER_INPUT

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"

BAD_REQUEST = "BAD_REQUEST"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
NOT_ACCEPTABLE = "NOT_ACCEPTABLE"
UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
BATCH_TOO_LARGE = "BATCH_TOO_LARGE"
TIMEOUT = "TIMEOUT"
RATE_LIMITED = "RATE_LIMITED"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"

REQUEST_ERROR_CODES = frozenset(
    {
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "QUERY_TOO_DEEP",
        "QUERY_TOO_COMPLEX",
        "TOO_MANY_ALIASES",
        BAD_USER_INPUT,
    }
)


@dataclass(frozen=True)
class HttpLimits:
    max_body_bytes: int = 256 * 1024
    max_batch: int = 10
    query_timeout_s: float = 10.0
    persisted_queries: int = 1000
    """Documents remembered by hash for automatic persisted queries (least recent forgotten)."""


class RequestRefused(Exception):
    """The request cannot be run at all; answered with ``status`` and one coded error."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.headers = status, code, dict(headers or {})


def error_body(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code, **extensions}}]}


def refusal_response(refused: RequestRefused, media_type: str = APPLICATION_JSON) -> Response:
    return Response(
        json.dumps(error_body(refused.code, str(refused))),
        status_code=refused.status,
        media_type=media_type,
        headers=refused.headers,
    )


# -- content negotiation ----------------------------------------------------------------------


def response_media_type(accept: str | None) -> str:
    """``application/graphql-response+json`` if accepted (it is preferred), else
    ``application/json``; a missing ``Accept`` is taken as ``application/json``."""
    if not accept:
        return APPLICATION_JSON
    ranges = []
    for part in accept.split(","):
        media, *params = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))

    def accepted(media_type: str, *, exactly: bool = False) -> float:
        main = media_type.split("/")[0]
        candidates = (media_type,) if exactly else (media_type, f"{main}/*", "*/*")
        for candidate in candidates:
            for media, quality in ranges:
                if media == candidate:
                    return quality
        return 0.0

    # The new media type only when the client names it (a wildcard is a legacy client's
    # "anything": it gets application/json, as the specification advises).
    named = accepted(GRAPHQL_RESPONSE_JSON, exactly=True)
    if named > 0 and named >= accepted(APPLICATION_JSON, exactly=True):
        return GRAPHQL_RESPONSE_JSON
    best = APPLICATION_JSON if accepted(APPLICATION_JSON) > 0 else GRAPHQL_RESPONSE_JSON
    if accepted(best) <= 0:
        raise RequestRefused(
            406,
            NOT_ACCEPTABLE,
            f"the response is {GRAPHQL_RESPONSE_JSON} or {APPLICATION_JSON}; Accept allows neither",
        )
    return best


# -- request parameters -----------------------------------------------------------------------


@dataclass(frozen=True)
class GraphQLParams:
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


def _params(raw: Any) -> GraphQLParams:
    if not isinstance(raw, dict):
        raise RequestRefused(400, BAD_REQUEST, "the request body must be a JSON object (or a list)")
    query, variables = raw.get("query"), raw.get("variables")
    operation_name, extensions = raw.get("operationName"), raw.get("extensions")
    if query is not None and not isinstance(query, str):
        raise RequestRefused(400, BAD_REQUEST, "`query` must be a string")
    if variables is not None and not isinstance(variables, dict):
        raise RequestRefused(400, BAD_REQUEST, "`variables` must be an object or null")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestRefused(400, BAD_REQUEST, "`operationName` must be a string or null")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestRefused(400, BAD_REQUEST, "`extensions` must be an object or null")
    return GraphQLParams(query, variables, operation_name, extensions)


def _json_parameter(text: str | None, name: str) -> Any:
    if text is None or text == "":
        return None
    try:
        return json.loads(text)
    except ValueError:
        raise RequestRefused(400, BAD_REQUEST, f"`{name}` must be JSON") from None


def get_params(request: Request) -> GraphQLParams:
    q = request.query_params
    return _params(
        {
            "query": q.get("query"),
            "variables": _json_parameter(q.get("variables"), "variables"),
            "operationName": q.get("operationName") or None,
            "extensions": _json_parameter(q.get("extensions"), "extensions"),
        }
    )


async def post_params(request: Request, limits: HttpLimits) -> list[GraphQLParams] | GraphQLParams:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != APPLICATION_JSON:
        raise RequestRefused(
            415,
            UNSUPPORTED_MEDIA_TYPE,
            f"POST a JSON body with Content-Type: {APPLICATION_JSON} (got "
            f"{content_type or 'none'})",
        )
    body = await _bounded_body(request, limits.max_body_bytes)
    try:
        raw = json.loads(body)
    except ValueError:
        raise RequestRefused(400, BAD_REQUEST, "the request body is not valid JSON") from None
    if isinstance(raw, list):
        if not raw:
            raise RequestRefused(400, BAD_REQUEST, "an empty batch")
        if len(raw) > limits.max_batch:
            raise RequestRefused(
                400,
                BATCH_TOO_LARGE,
                f"a batch of {len(raw)} operations; at most {limits.max_batch} are allowed",
            )
        return [_params(item) for item in raw]
    return _params(raw)


async def _bounded_body(request: Request, max_bytes: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(max_bytes: int) -> RequestRefused:
    return RequestRefused(413, REQUEST_TOO_LARGE, f"the request body is over {max_bytes:,} bytes")


# -- persisted queries ------------------------------------------------------------------------


class PersistedQueries:
    """Automatic persisted queries (hash -> document, least recently used forgotten) and an
    optional allow-list that, when set, is the only source of documents."""

    def __init__(self, capacity: int, allowlist: Mapping[str, str] | None = None) -> None:
        self.capacity = capacity
        self.allowlist = dict(allowlist) if allowlist is not None else None
        self._known: OrderedDict[str, str] = OrderedDict()
        if self.allowlist is not None:
            for digest, query in self.allowlist.items():
                if sha256(query) != digest:
                    raise ValueError(f"allow-list entry {digest[:12]}… does not hash to its key")

    def resolve(self, params: GraphQLParams) -> str:
        """The document to run (raises when there is none, or it is not allowed)."""
        persisted = (params.extensions or {}).get("persistedQuery")
        digest = None
        if persisted is not None:
            if not isinstance(persisted, dict) or persisted.get("version") != 1:
                raise RequestRefused(400, BAD_REQUEST, "persistedQuery must be {version: 1, …}")
            digest = persisted.get("sha256Hash")
            if not isinstance(digest, str) or len(digest) != 64:
                raise RequestRefused(400, BAD_REQUEST, "persistedQuery.sha256Hash must be hex")
        if self.allowlist is not None:
            return self._allowed(params.query, digest)
        if params.query is None:
            if digest is None:
                raise RequestRefused(400, BAD_REQUEST, "the request has no `query`")
            query = self._known.get(digest)
            if query is None:
                raise RequestRefused(
                    200,
                    PERSISTED_QUERY_NOT_FOUND,
                    "PersistedQueryNotFound: send it again with its `query`",
                )
            self._known.move_to_end(digest)
            return query
        if digest is not None:
            if sha256(params.query) != digest:
                raise RequestRefused(
                    400, BAD_REQUEST, "persistedQuery.sha256Hash is not the hash of `query`"
                )
            self._known[digest] = params.query
            self._known.move_to_end(digest)
            while len(self._known) > self.capacity:
                self._known.popitem(last=False)
        return params.query

    def _allowed(self, query: str | None, digest: str | None) -> str:
        assert self.allowlist is not None
        key = digest if digest is not None else (None if query is None else sha256(query))
        allowed = None if key is None else self.allowlist.get(key)
        if allowed is None or (query is not None and query != allowed):
            raise RequestRefused(
                400,
                PERSISTED_QUERY_NOT_ALLOWED,
                "this gateway runs only the documents in its allow-list",
            )
        return allowed


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- running one operation --------------------------------------------------------------------


def operation_of(query: str, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation the request selects, checked against the document; None when the
    document does not parse (the schema reports the syntax error)."""
    try:
        document = parse_document(query)
    except GraphQLError:
        return None
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        if len(operations) > 1:
            raise RequestRefused(
                400,
                BAD_REQUEST,
                f"the document has {len(operations)} operations: name the one to run in "
                "`operationName`",
            )
        return operations[0] if operations else None
    for operation in operations:
        if operation.name is not None and operation.name.value == operation_name:
            return operation
    raise RequestRefused(
        400, BAD_REQUEST, f"the document has no operation named {operation_name[:100]!r}"
    )


Execute = Callable[[str, GraphQLParams, OperationType], Awaitable[ExecutionResult]]


async def run_operation(
    params: GraphQLParams,
    *,
    method: str,
    persisted: PersistedQueries,
    execute: Execute,
    limits: HttpLimits,
    admit: Callable[[OperationDefinitionNode | None], None] = lambda operation: None,
) -> dict[str, Any]:
    """Run one operation; returns its response body (raises :class:`RequestRefused`).
    ``admit`` is asked before anything runs (the caller's rate limit, its credentials); it
    raises to refuse."""
    query = persisted.resolve(params)
    operation = operation_of(query, params.operation_name)
    kind = OperationType.QUERY if operation is None else operation.operation
    admit(operation)
    if kind is OperationType.SUBSCRIPTION:
        raise RequestRefused(
            405,
            METHOD_NOT_ALLOWED,
            "subscriptions are served over WebSocket (graphql-transport-ws) on this path",
            {"Allow": "GET, POST"},
        )
    if kind is OperationType.MUTATION and method == "GET":
        raise RequestRefused(
            405, METHOD_NOT_ALLOWED, "mutations must be sent with POST", {"Allow": "POST"}
        )
    if kind is OperationType.MUTATION:
        result = await execute(query, params, kind)  # never cut off: see the module doc
    else:
        try:
            result = await asyncio.wait_for(execute(query, params, kind), limits.query_timeout_s)
        except TimeoutError:
            raise RequestRefused(
                504,
                TIMEOUT,
                f"the query did not finish within {limits.query_timeout_s:g} s; ask for less",
            ) from None
    return result_body(result)


def result_body(result: ExecutionResult) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.data is not None or not result.errors or _ran(result):
        body["data"] = result.data
    if result.extensions:
        body["extensions"] = result.extensions
    return body


def _ran(result: ExecutionResult) -> bool:
    """Whether execution started (field errors have a path; request errors have none)."""
    return any(error.path is not None for error in result.errors or ())


def status_for(body: dict[str, Any], media_type: str) -> int:
    """200, or 400 for a request that could not run when the client speaks the new media
    type (its body then has no ``data``)."""
    if media_type == GRAPHQL_RESPONSE_JSON and "data" not in body:
        return 400
    return 200
