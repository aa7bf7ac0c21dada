"""Per-principal rate limits (OWASP API4): a token bucket per caller and kind of operation.

Each authenticated principal has one bucket for queries (and subscriptions started) and one for
mutations — a burst of reads must not use up the right to cancel an order; callers without
credentials share nothing but are keyed by their address, with a lower limit. A bucket holds
up to ``burst`` tokens and refills at ``per_second``; a request that finds it empty is refused
at once (429, ``Retry-After``: the seconds until a token is back) — other principals are
unaffected. Buckets are kept for the most recent :data:`MAX_KEYS` callers (least recently seen
forgotten), so memory stays bounded whatever the number of callers.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_KEYS = 100_000


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError(f"a rate needs per_second > 0 and burst >= 1, got {self}")

    @classmethod
    def parse(cls, text: str, *, name: str) -> Rate:
        """``"50/100"``: 50 per second, bursts of 100."""
        rate, _, burst = text.partition("/")
        try:
            return cls(float(rate), int(burst or max(1, math.ceil(float(rate)))))
        except ValueError:
            raise ValueError(
                f"{name} must be <per second>/<burst> such as 50/100, got {text!r}"
            ) from None


@dataclass(frozen=True)
class RateLimits:
    """Defaults fit a person at a desk and a dashboard, not a load generator."""

    queries: Rate = field(default_factory=lambda: Rate(50, 100))
    mutations: Rate = field(default_factory=lambda: Rate(10, 20))
    anonymous: Rate = field(default_factory=lambda: Rate(5, 10))


class RateLimited(Exception):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"rate limit reached; retry in {retry_after_s:.2f} s")
        self.retry_after_s = retry_after_s


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, now: float) -> None:
        self.tokens, self.updated = tokens, now


class RateLimiter:
    """Thread-safe token buckets keyed by ``(caller, kind)``."""

    def __init__(self, limits: RateLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        self._buckets: OrderedDict[tuple[str, str], _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def admit(self, caller: str, kind: str, *, anonymous: bool) -> None:
        """Take one token for ``caller``'s ``kind`` (``"query"`` or ``"mutation"``), or raise
        :class:`RateLimited` with the time until one is back."""
        rate = (
            self.limits.anonymous
            if anonymous
            else (self.limits.mutations if kind == "mutation" else self.limits.queries)
        )
        key = (caller, "any" if anonymous else kind)
        now = self.clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(rate.burst, now)
                while len(self._buckets) > MAX_KEYS:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                bucket.tokens = min(
                    rate.burst, bucket.tokens + (now - bucket.updated) * rate.per_second
                )
                bucket.updated = now
            if bucket.tokens < 1:
                raise RateLimited((1 - bucket.tokens) / rate.per_second)
            bucket.tokens -= 1
