"""When a failed delivery is tried again: exponential backoff with a cap, a bounded number
of attempts, and a jitter that is deterministic.

The delay after attempt *n* is ``initial_s * multiplier ** (n - 1)``, capped at
``max_delay_s``, then moved by up to ``± jitter`` of itself. The jitter spreads the retries
of many notifications failing together (a receiver that was down) so they do not all come
back in the same second; it is derived from the delivery's id and the attempt (a hash), not
drawn from a global random source, so the same failure is always retried at the same time
(ARCHITECTURE principle 3).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

NS_PER_S = 1_000_000_000


@dataclass(frozen=True)
class RetrySchedule:
    """The defaults retry for about 45 minutes (5, 10, 20, … 1,280 s between attempts, each
    ± 10 %), long enough for a receiver's restart or deployment, short enough that a notice
    still means something when it arrives.

    Attributes:
    max_attempts: attempts in all, the first included (then the delivery gives up).
    initial_s: delay after the first failed attempt.
    multiplier: growth of the delay per further failure.
    max_delay_s: the cap on one delay.
    jitter: fraction of a delay it may move, either way (0: none).
    """

    max_attempts: int = 10
    initial_s: float = 5.0
    multiplier: float = 2.0
    max_delay_s: float = 3600.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.initial_s <= 0 or self.max_delay_s < self.initial_s:
            raise ValueError("delays must be positive and max_delay_s at least initial_s")
        if self.multiplier < 1:
            raise ValueError("multiplier must be at least 1 (the delay never shrinks)")
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter must lie in [0, 1)")

    def delay_ns(self, attempt: int, key: str = "") -> int | None:
        """Nanoseconds to wait after failed attempt ``attempt`` (1-based); None when it was
        the last one allowed."""
        if attempt < 1:
            raise ValueError(f"attempts count from 1, got {attempt}")
        if attempt >= self.max_attempts:
            return None
        base = min(self.max_delay_s, self.initial_s * self.multiplier ** (attempt - 1))
        delay = base * (1 + self.jitter * _spread(key, attempt))
        return round(min(self.max_delay_s, delay) * NS_PER_S)

    def next_attempt_at(self, failed_at_ns: int, attempt: int, key: str = "") -> int | None:
        delay = self.delay_ns(attempt, key)
        return None if delay is None else failed_at_ns + delay


def _spread(key: str, attempt: int) -> float:
    """A number in [-1, 1), the same for the same key and attempt."""
    digest = hashlib.sha256(f"{key}/{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**63 - 1.0
