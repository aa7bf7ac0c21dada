"""The ``Authoriser`` port on Ory Keto, through ``ory-client`` 1.22.x.

Keto serves two APIs (v26.2.0: ``serve.read`` on 4466, ``serve.write`` on 4467): checks and
listing on the read URL (``ORY_KETO_READ_URL``), changes on the write URL
(``ORY_KETO_WRITE_URL``). Calls used:

- ``PermissionApi.check_permission`` — ``GET /relation-tuples/check/openapi`` (always 200 with
  ``{"allowed": …}``, unlike ``/relation-tuples/check``, which mirrors a denial as 403);
  ``max-depth`` is sent, Keto clamps it to its ``limit.max_read_depth``;
- ``RelationshipApi.get_relationships`` — ``GET /relation-tuples``, followed page by page;
- ``RelationshipApi.patch_relationships`` — ``PATCH /admin/relation-tuples``: several inserts
  or deletes in one transaction (what makes :meth:`KetoAuthoriser.write` atomic).

Keto has no reverse "list objects" call in its classic model, so :meth:`objects` runs the pure
reverse walk (:func:`~bounded_contexts.support.domain.relations.objects`) over listings by
subject — one request per set reached, for ``max_depth`` levels at most.

Keto keeps duplicate rows (its table has no unique key), so :meth:`write` inserts only the
tuples not already there; two concurrent writers can still both insert one, which changes no
answer, and :meth:`tuples` returns each tuple once.

Failures: no answer (refused, reset, timed out — urllib3 errors) and 5xx/429 answers raise
:class:`KetoUnavailable` (the gateway answers ``UNAVAILABLE``); any other refusal raises
:class:`~bounded_contexts.support.application.ports.AuthoriserError` with Keto's message.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from ory_client import ApiClient, Configuration
from ory_client.api.permission_api import PermissionApi
from ory_client.api.relationship_api import RelationshipApi
from ory_client.exceptions import ApiException
from ory_client.models.relationship import Relationship
from ory_client.models.relationship_patch import RelationshipPatch
from ory_client.models.subject_set import SubjectSet as KetoSubjectSet

from bounded_contexts.support.application.ports import AuthoriserError, AuthoriserUnavailable
from bounded_contexts.support.domain import relations
from bounded_contexts.support.domain.relations import (
    DEFAULT_MAX_DEPTH,
    InvalidRelationTuple,
    RelationTuple,
    Subject,
    SubjectId,
    SubjectSet,
)


class KetoUnavailable(AuthoriserUnavailable):
    """Keto did not answer, or answered that it cannot (5xx, 429)."""


@dataclass(frozen=True)
class KetoConfig:
    """Where Keto is and how long to wait for it.

    ``max_depth`` is sent with every check and bounds :meth:`KetoAuthoriser.objects`; keep it
    no larger than the server's ``limit.max_read_depth`` (Keto would lower it silently) and
    equal to the local store's, so that both stores answer alike."""

    read_url: str
    write_url: str
    connect_timeout_s: float = 1.0
    read_timeout_s: float = 2.0
    max_depth: int = DEFAULT_MAX_DEPTH
    access_token: str | None = None  # Ory Network project API key; self-hosted Keto has none
    page_size: int = 1000  # Keto's maximum

    def __post_init__(self) -> None:
        for name in ("read_url", "write_url"):
            url = getattr(self, name)
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"Keto {name} must be an http(s) URL, got {url!r}")
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            raise ValueError("Keto timeouts must be positive")
        if not 1 <= self.max_depth <= 65535:
            raise ValueError(f"max_depth must be in 1..65535 (Keto's limits), got {self.max_depth}")
        if not 1 <= self.page_size <= 1000:
            raise ValueError(f"page_size must be in 1..1000 (Keto's limits), got {self.page_size}")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> KetoConfig:
        """``ORY_KETO_READ_URL``, ``ORY_KETO_WRITE_URL`` (both required), ``ORY_API_KEY``."""
        env = os.environ if environ is None else environ
        missing = [v for v in ("ORY_KETO_READ_URL", "ORY_KETO_WRITE_URL") if not env.get(v)]
        if missing:
            raise ValueError(f"Keto is configured by {' and '.join(missing)}, which is not set")
        return cls(
            read_url=env["ORY_KETO_READ_URL"],
            write_url=env["ORY_KETO_WRITE_URL"],
            access_token=env.get("ORY_API_KEY") or None,
        )


def _api_client(url: str, config: KetoConfig) -> ApiClient:
    configuration = Configuration(host=url.rstrip("/"), access_token=config.access_token)
    # One immediate retry on a connection error or a dropped keep-alive connection; none on
    # a timeout's second half, so a hung Keto costs at most about twice the read timeout.
    configuration.retries = urllib3.Retry(  # type: ignore[assignment]
        total=1, connect=1, read=1, status=0, redirect=0, backoff_factor=0
    )
    return ApiClient(configuration)


def _to_keto(t: RelationTuple) -> Relationship:
    if isinstance(t.subject, SubjectId):
        return Relationship(
            namespace=t.namespace, object=t.object, relation=t.relation, subject_id=t.subject.id
        )
    s = t.subject
    return Relationship(
        namespace=t.namespace,
        object=t.object,
        relation=t.relation,
        subject_set=KetoSubjectSet(namespace=s.namespace, object=s.object, relation=s.relation),
    )


def _from_keto(r: Relationship) -> RelationTuple:
    subject: Subject
    if r.subject_set is not None:
        s = r.subject_set
        subject = SubjectSet(s.namespace, s.object, s.relation)
    elif r.subject_id is not None:
        subject = SubjectId(r.subject_id)
    else:
        raise AuthoriserError(f"Keto returned a relationship without a subject: {r.to_dict()}")
    return RelationTuple(r.namespace, r.object, r.relation, subject)


class KetoAuthoriser:
    """Checks and tuples in Ory Keto (see the module docstring)."""

    def __init__(self, config: KetoConfig) -> None:
        self.config = config
        self._read = _api_client(config.read_url, config)
        self._write = _api_client(config.write_url, config)
        self._permissions = PermissionApi(self._read)
        self._listing = RelationshipApi(self._read)
        self._changes = RelationshipApi(self._write)
        self._timeout = (config.connect_timeout_s, config.read_timeout_s)

    def close(self) -> None:
        for client in (self._read, self._write):
            client.rest_client.pool_manager.clear()

    # ------------------------------------------------------------------------ checks
    def check(self, namespace: str, object: str, relation: str, subject_id: str) -> bool:
        # Refuse what can never be granted before asking (as the local store does).
        SubjectSet(namespace, object, relation)
        SubjectId(subject_id)
        with self._calling("check", self.config.read_url):
            result = self._permissions.check_permission(
                namespace=namespace,
                object=object,
                relation=relation,
                subject_id=subject_id,
                max_depth=self.config.max_depth,
                _request_timeout=self._timeout,
            )
        return result.allowed is True

    def objects(self, namespace: str, relation: str, subject_id: str) -> frozenset[str]:
        source = _KetoReverseSource(self)
        return relations.objects(
            source, namespace, relation, SubjectId(subject_id), self.config.max_depth
        )

    # ----------------------------------------------------------------------- changes
    def write(self, tuples: Iterable[RelationTuple]) -> None:
        wanted = list(dict.fromkeys(tuples))
        missing = [t for t in wanted if not self._exists(t)]
        self._patch("insert", missing)

    def delete(self, tuples: Iterable[RelationTuple]) -> None:
        self._patch("delete", list(dict.fromkeys(tuples)))

    def _patch(self, action: str, tuples: Sequence[RelationTuple]) -> None:
        if not tuples:
            return
        patches = [RelationshipPatch(action=action, relation_tuple=_to_keto(t)) for t in tuples]
        with self._calling(f"{action} of {len(patches)} tuples", self.config.write_url):
            self._changes.patch_relationships(patches, _request_timeout=self._timeout)

    def _exists(self, t: RelationTuple) -> bool:
        return bool(self._list(_query(t.namespace, t.object, t.relation, t.subject), page_size=1))

    # ----------------------------------------------------------------------- reading
    def tuples(
        self,
        namespace: str | None = None,
        object: str | None = None,
        relation: str | None = None,
        subject_id: str | None = None,
        *,
        subject_set: SubjectSet | None = None,
    ) -> list[RelationTuple]:
        if subject_id is not None and subject_set is not None:
            raise ValueError("give subject_id or subject_set, not both")
        subject = SubjectId(subject_id) if subject_id is not None else subject_set
        found = self._list(_query(namespace, object, relation, subject))
        return sorted(set(found), key=RelationTuple.key)

    def _list(self, query: dict[str, str], *, page_size: int | None = None) -> list[RelationTuple]:
        """Every matching tuple (or the first page only, when ``page_size`` is given)."""
        found: list[RelationTuple] = []
        token: str | None = None
        while True:
            with self._calling("listing relationships", self.config.read_url):
                page = self._listing.get_relationships(
                    page_size=page_size or self.config.page_size,
                    page_token=token,
                    _request_timeout=self._timeout,
                    **query,
                )
            try:
                found.extend(_from_keto(r) for r in page.relation_tuples or [])
            except InvalidRelationTuple as exc:  # written by someone else, outside our rules
                raise AuthoriserError(
                    f"Keto at {self.config.read_url} holds a tuple QuantVista cannot use: {exc}"
                ) from exc
            token = page.next_page_token or None
            if token is None or page_size is not None:
                return found

    # ----------------------------------------------------------------------- plumbing
    @contextlib.contextmanager
    def _calling(self, what: str, url: str) -> Iterator[None]:
        try:
            yield
        except urllib3.exceptions.HTTPError as exc:
            raise KetoUnavailable(f"Keto at {url} did not answer the {what}: {exc}") from exc
        except ApiException as exc:
            status = exc.status or 0
            detail = _error_message(exc)
            if status >= 500 or status == 429:
                raise KetoUnavailable(
                    f"Keto at {url} cannot answer the {what} now: {status} {detail}"
                ) from exc
            raise AuthoriserError(f"Keto at {url} refused the {what}: {status} {detail}") from exc
        except (ValueError, TypeError) as exc:  # a 2xx body that is not what the API says
            raise AuthoriserError(
                f"Keto at {url} answered the {what} with nonsense: {exc}"
            ) from exc


def _query(
    namespace: str | None, object: str | None, relation: str | None, subject: Subject | None
) -> dict[str, str]:
    """``get_relationships`` keyword arguments for a filter."""
    query = {
        k: v
        for k, v in (("namespace", namespace), ("object", object), ("relation", relation))
        if v is not None
    }
    if isinstance(subject, SubjectId):
        query["subject_id"] = subject.id
    elif isinstance(subject, SubjectSet):
        query["subject_set_namespace"] = subject.namespace
        query["subject_set_object"] = subject.object
        query["subject_set_relation"] = subject.relation
    return query


def _error_message(exc: ApiException) -> str:
    """Keto's ``errorGeneric`` message and reason (read from the body: ``ory-client``'s model
    of it is Ory Network's, which has no ``reason``), else the HTTP reason phrase."""
    try:
        error = json.loads(exc.body or "")["error"]
        parts = [error.get("message"), error.get("reason")]
    except (ValueError, TypeError, KeyError, AttributeError):
        parts = [exc.reason]
    return "; ".join(str(p) for p in parts if p)[:300]


class _KetoReverseSource:
    """:class:`~relations.ReverseTupleSource` by listing the tuples of each subject."""

    def __init__(self, keto: KetoAuthoriser) -> None:
        self._keto = keto

    def sets_containing(self, subjects: Sequence[Subject]) -> Iterable[SubjectSet]:
        for subject in subjects:
            for t in self._keto._list(_query(None, None, None, subject)):
                yield t.relation_set


__all__ = ["KetoAuthoriser", "KetoConfig", "KetoUnavailable"]
