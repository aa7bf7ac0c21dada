"""A JWKS fetched from a URL — Ory Oathkeeper's ``/.well-known/jwks.json`` (the public halves
of the ``id_token`` mutator's keys), or the gateway's own in the embedded mode.

* The set is cached for ``ttl_s``. When that has passed, :meth:`RemoteJwks.key` still answers
  from the cached set and starts one background fetch (stale-while-revalidate): the request
  path never waits for the network because a timer ran out.
* A token naming an unknown ``kid`` makes the verifier call :meth:`RemoteJwks.refresh` (on a
  worker thread), which fetches at once — so a rotated key is picked up with the first token
  that uses it — but at most once per ``min_refresh_interval_s``, so that a flood of tokens
  with made-up kids cannot turn the gateway into a load generator against Oathkeeper.
* A failed fetch (unreachable, timeout, non-200, not a JWKS, too big, no usable key) keeps the
  last good set and says so in the log (warning, at most once per attempt). Only when no set
  was ever fetched does a failure surface, as :class:`IdentityProviderUnavailable`: without any
  key every token would otherwise be refused as if forged.
* Keys are parsed once per fetch (:func:`gateway.identity.jwk.public_key_from_jwk`), which
  drops symmetric, encryption and mismatched keys with a warning.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from gateway.identity.jwk import UnusableJwk, public_key_from_jwk
from gateway.identity.model import IdentityProviderUnavailable, PublicKey

log = logging.getLogger(__name__)

MAX_JWKS_BYTES = 256 * 1024
MAX_KEYS = 100


class JwksFetchFailed(Exception):
    """One fetch of the JWKS went wrong; the message says how."""


def _start_daemon_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="jwks-refresh", daemon=True).start()


class RemoteJwks:
    """The keys published at ``url``, cached; see the module docstring for the rules."""

    def __init__(
        self,
        url: str,
        *,
        ttl_s: float = 300,
        min_refresh_interval_s: float = 10,
        timeout_s: float = 3.0,
        max_bytes: int = MAX_JWKS_BYTES,
        client: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
        spawn: Callable[[Callable[[], None]], None] = _start_daemon_thread,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the JWKS URL must be http(s), got {url!r}")
        if not (math.isfinite(ttl_s) and ttl_s > 0 and min_refresh_interval_s >= 0):
            raise ValueError("ttl_s must be > 0 and min_refresh_interval_s >= 0")
        self.url = url
        self.ttl_s, self.min_refresh_interval_s = ttl_s, min_refresh_interval_s
        self.max_bytes = max_bytes
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(timeout_s), follow_redirects=False
        )
        self._owns_client = client is None
        self._clock, self._spawn = clock, spawn
        self._keys: dict[str, PublicKey] = {}
        self._fetched_at: float | None = None  # of the set in use
        self._attempted_at: float | None = None  # of the last fetch, good or bad
        self._background = False
        self._lock = threading.Lock()
        self.fetches = 0
        """Fetches attempted (good or bad): what the rate limit bounds."""

    # -- KeySource ---------------------------------------------------------------------------

    def key(self, kid: str) -> PublicKey | None:
        fetched_at = self._fetched_at
        if fetched_at is not None and not self._background:
            now = self._clock()
            if now - fetched_at >= self.ttl_s and self._may_fetch(now):
                self._background = True
                try:
                    self._spawn(self._refresh_in_background)
                except RuntimeError:  # no thread to be had: the next lookup tries again
                    self._background = False
                    log.warning("identity: could not start a JWKS refresh", exc_info=True)
        return self._keys.get(kid)

    def refresh(self) -> None:
        """Fetch now unless a fetch was attempted less than ``min_refresh_interval_s`` ago.

        Raises :class:`IdentityProviderUnavailable` only while no set was ever fetched.
        """
        with self._lock:
            now = self._clock()
            if not self._may_fetch(now):
                log.debug("identity: JWKS refresh of %s skipped (rate limit)", self.url)
            else:
                self._fetch(now)
            if self._fetched_at is None:
                raise IdentityProviderUnavailable(f"no JWKS could be fetched from {self.url} yet")

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # -- internals ---------------------------------------------------------------------------

    def _may_fetch(self, now: float) -> bool:
        return self._attempted_at is None or now - self._attempted_at >= self.min_refresh_interval_s

    def _refresh_in_background(self) -> None:
        try:
            with self._lock:
                now = self._clock()
                if self._may_fetch(now):
                    self._fetch(now)
        finally:
            self._background = False

    def _fetch(self, now: float) -> None:
        """One attempt, under the lock: on success replace the set, else keep it and log."""
        self._attempted_at = now
        self.fetches += 1
        try:
            keys = self._download()
        except JwksFetchFailed as error:
            if self._fetched_at is None:
                log.warning("identity: fetching the JWKS from %s failed: %s", self.url, error)
            else:
                log.warning(
                    "identity: fetching the JWKS from %s failed: %s; keeping the last good set "
                    "(%d keys, fetched %.0f s ago)",
                    self.url,
                    error,
                    len(self._keys),
                    now - self._fetched_at,
                )
            return
        added = keys.keys() - self._keys.keys()
        removed = self._keys.keys() - keys.keys()
        if added or removed:
            log.info(
                "identity: JWKS from %s now has %d keys (added %s, removed %s)",
                self.url,
                len(keys),
                sorted(added) or "none",
                sorted(removed) or "none",
            )
        self._keys, self._fetched_at = keys, now

    def _download(self) -> dict[str, PublicKey]:
        try:
            with self._client.stream("GET", self.url, headers={"Accept": "application/json"}) as r:
                if r.status_code != 200:
                    raise JwksFetchFailed(f"HTTP {r.status_code}")
                body = bytearray()
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > self.max_bytes:
                        raise JwksFetchFailed(f"the document exceeds {self.max_bytes} bytes")
        except httpx.HTTPError as error:
            raise JwksFetchFailed(f"{type(error).__name__}: {error}") from None
        try:
            document = json.loads(bytes(body))
        except ValueError:
            raise JwksFetchFailed("the document is not JSON") from None
        return self._parse(document)

    def _parse(self, document: Any) -> dict[str, PublicKey]:
        entries = document.get("keys") if isinstance(document, Mapping) else None
        if not isinstance(entries, list):
            raise JwksFetchFailed('the document is not a JWKS (no "keys" list)')
        keys: dict[str, PublicKey] = {}
        for entry in entries[:MAX_KEYS]:
            kid = entry.get("kid") if isinstance(entry, Mapping) else None
            if not isinstance(kid, str) or not kid:
                log.warning("identity: JWKS %s: a key without a kid is ignored", self.url)
                continue
            if kid in keys:
                log.warning("identity: JWKS %s: duplicate kid %r; the first is kept", self.url, kid)
                continue
            try:
                key, leaked = public_key_from_jwk(entry)
            except UnusableJwk as error:
                log.warning("identity: JWKS %s: key %r ignored: %s", self.url, kid, error)
                continue
            if leaked:
                log.error(
                    "identity: JWKS %s publishes the PRIVATE part of key %r; only its public "
                    "half is used — rotate that key",
                    self.url,
                    kid,
                )
            keys[kid] = key
        if not keys:
            raise JwksFetchFailed("the JWKS holds no usable signature key")
        return keys
