"""State containers of the streaming form and their snapshot encoding.

Every streaming object keeps its whole state in ``__slots__`` holding plain data (numbers,
strings, None, lists, deques) or nested state objects. That makes a snapshot mechanical and
complete: ``snapshot()`` walks the slots, ``restore()`` rebuilds them, and a restored object
continues bit for bit like the original, because nothing lives outside the slots.

Running window sums use Neumaier's compensated summation (an improved Kahan sum): adding the new
value and subtracting the evicted one keeps the rounding error of the running total at a few ulps
however long the stream runs, so streaming values stay equal to the batch form (which sums every
window afresh) to ~1e-15 relative instead of drifting. That keeps each update O(1) without ever
re-summing the window.
"""

from __future__ import annotations

from collections import deque
from typing import Any, ClassVar, Self

from .errors import InvalidSnapshotError

SNAPSHOT_FORMAT = "quantvista.indicators.v1"

_REGISTRY: dict[str, type[Stateful]] = {}


def _slots_of(cls: type) -> tuple[str, ...]:
    names: list[str] = []
    for klass in reversed(cls.__mro__):
        names.extend(klass.__dict__.get("__slots__", ()))
    return tuple(names)


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Stateful):
        return value.encode_state()
    if isinstance(value, deque):
        return {"deque": [_encode(item) for item in value]}
    if isinstance(value, list | tuple):
        return [_encode(item) for item in value]
    raise TypeError(f"cannot snapshot a value of type {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "deque" in value:
            return deque(_decode(item) for item in value["deque"])
        kind = value.get("kind")
        cls = _REGISTRY.get(kind) if isinstance(kind, str) else None
        if cls is None:
            raise InvalidSnapshotError(f"snapshot names an unknown state kind {kind!r}")
        return cls.decode_state(value)
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


class Stateful:
    """Base of every object whose state can be snapshotted; subclasses register by name."""

    __slots__ = ()
    _slot_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._slot_names = _slots_of(cls)
        _REGISTRY[cls.__name__] = cls

    def encode_state(self) -> dict[str, Any]:
        """Plain, JSON-serialisable description of this object's whole state."""
        return {
            "kind": type(self).__name__,
            "state": {name: _encode(getattr(self, name)) for name in self._slot_names},
        }

    @classmethod
    def decode_state(cls, data: dict[str, Any]) -> Self:
        """Rebuild an object from :meth:`encode_state` output, checking kind and fields."""
        if data.get("kind") != cls.__name__:
            raise InvalidSnapshotError(
                f"snapshot is of kind {data.get('kind')!r}, cannot restore a {cls.__name__}"
            )
        state = data.get("state")
        if not isinstance(state, dict) or set(state) != set(cls._slot_names):
            raise InvalidSnapshotError(
                f"snapshot of {cls.__name__} must hold exactly the fields {sorted(cls._slot_names)}"
            )
        obj = cls.__new__(cls)
        for name in cls._slot_names:
            object.__setattr__(obj, name, _decode(state[name]))
        return obj


class NeumaierSum(Stateful):
    """Compensated running sum (Neumaier 1974): ``total + compensation`` is the exact sum up to
    a few ulps regardless of how many values were added and subtracted."""

    __slots__ = ("compensation", "total")

    def __init__(self) -> None:
        self.total = 0.0
        self.compensation = 0.0

    def add(self, value: float) -> None:
        """Add ``value`` (pass a negative value to subtract)."""
        total = self.total
        updated = total + value
        if abs(total) >= abs(value):
            self.compensation += (total - updated) + value
        else:
            self.compensation += (value - updated) + total
        self.total = updated

    @property
    def value(self) -> float:
        """The compensated sum."""
        return self.total + self.compensation


class RollingSum(Stateful):
    """Sum of the last ``period`` values: a ring buffer plus a compensated running sum, O(1)."""

    __slots__ = ("count", "head", "period", "sum", "window")

    def __init__(self, period: int) -> None:
        self.period = period
        self.window: list[float] = [0.0] * period
        self.head = 0
        self.count = 0
        self.sum = NeumaierSum()

    def push(self, value: float) -> None:
        """Append ``value``, evicting the oldest once the window is full."""
        if self.count == self.period:
            head = self.head
            self.sum.add(-self.window[head])
            self.window[head] = value
            self.head = head + 1 if head + 1 < self.period else 0
        else:
            self.window[self.count] = value
            self.count += 1
        self.sum.add(value)

    @property
    def full(self) -> bool:
        """True once ``period`` values have been pushed."""
        return self.count == self.period

    @property
    def value(self) -> float:
        """Sum of the values in the window."""
        return self.sum.value

    def oldest(self) -> float:
        """The value that the next push will evict (only meaningful when full)."""
        return self.window[self.head]


class RollingExtremum(Stateful):
    """Maximum (or minimum) of the last ``period`` values with a monotonic deque: each value is
    appended and removed at most once, so a push costs O(1) amortised and never rescans."""

    __slots__ = ("candidates", "index", "keep_maximum", "period")

    def __init__(self, period: int, keep_maximum: bool) -> None:
        self.period = period
        self.keep_maximum = keep_maximum
        self.candidates: deque[list[float]] = deque()
        self.index = 0

    def push(self, value: float) -> float:
        """Append ``value`` and return the extremum of the last ``period`` values."""
        candidates = self.candidates
        if self.keep_maximum:
            while candidates and candidates[-1][1] <= value:
                candidates.pop()
        else:
            while candidates and candidates[-1][1] >= value:
                candidates.pop()
        candidates.append([self.index, value])
        if candidates[0][0] <= self.index - self.period:
            candidates.popleft()
        self.index += 1
        return candidates[0][1]
