"""The algorithm registry (RTS 22 Art. 8(3)): every algorithm that decides or executes for the
firm is reported by an identifier that is unique, stable and never reused.

An algorithm is named by what it is — ``<strategy>/<model version>`` for a decision algorithm
(``TradeDecided.algo_id``), ``<code>-v<n>`` for the execution algorithm — so a new model or
code version is a new algorithm. Its code is derived from the name (``QV`` and 16 base-32
characters of its SHA-256), so the same algorithm gets the same code in every replay and
every process; the registry records it the first time the algorithm acts
(``AlgorithmRegistered``). Each code is its own aggregate: once claimed, no other name can ever
be given it, by this process or another (the store's optimistic concurrency refuses the second
claim). In the astronomically unlikely case that two names hash to the same code, the later one
takes the next candidate (``name#1``, ``name#2``, ...), which is again deterministic given the
log.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Collection

from bounded_contexts.execution.domain.events import AlgorithmRegistered, AlgorithmRole
from events.domain import Aggregate, DomainEvent

ALGORITHM_NAMESPACE = uuid.UUID("a1c0de00-5e9a-4b1f-9d3e-7f6b2c4d8e10")
CODE_PREFIX = "QV"
CODE_LENGTH = 16
"""Base-32 characters after the prefix: 80 bits, so collisions are a theory, handled anyway."""
MAX_CANDIDATES = 1000


class AlgorithmCodeExhausted(RuntimeError):
    """No free code among the candidates (only possible with a test's tiny code length)."""


def candidate_code(name: str, attempt: int = 0, *, length: int = CODE_LENGTH) -> str:
    """The ``attempt``-th candidate code of an algorithm name: ``QV`` + base-32 of SHA-256."""
    key = name if attempt == 0 else f"{name}#{attempt}"
    digest = base64.b32encode(hashlib.sha256(key.encode()).digest()).decode()
    return CODE_PREFIX + digest[:length]


def algorithm_aggregate_id(algo_code: str) -> uuid.UUID:
    return uuid.uuid5(ALGORITHM_NAMESPACE, algo_code)


class RegisteredAlgorithm(Aggregate):
    """One algorithm code and the algorithm it belongs to, for good."""

    def _init_state(self) -> None:
        self.algo_code = ""
        self.name = ""

    @classmethod
    def register(
        cls, algo_code: str, name: str, role: AlgorithmRole, first_order_id: uuid.UUID | None
    ) -> RegisteredAlgorithm:
        algorithm = cls(algorithm_aggregate_id(algo_code))
        algorithm._init_state()
        algorithm._record(AlgorithmRegistered(algo_code, name, role, first_order_id))
        return algorithm

    def apply(self, event: DomainEvent) -> None:
        match event:
            case AlgorithmRegistered():
                self.algo_code, self.name = event.algo_code, event.name
            case _:
                super().apply(event)


class AlgorithmRegistry:
    """Codes by algorithm name and names by code, as the execution store records them."""

    def __init__(self, *, code_length: int = CODE_LENGTH) -> None:
        self.code_length = code_length
        self.by_name: dict[str, str] = {}
        self.by_code: dict[str, str] = {}

    def learn(self, algorithm: RegisteredAlgorithm) -> None:
        self.by_name.setdefault(algorithm.name, algorithm.algo_code)
        self.by_code[algorithm.algo_code] = algorithm.name

    def code_for(
        self,
        name: str,
        role: AlgorithmRole,
        first_order_id: uuid.UUID | None,
        *,
        taken: Collection[str] = (),
    ) -> tuple[str, RegisteredAlgorithm | None]:
        r"""The code of ``name``, and the registration to record if it never acted before.

        Nothing is learnt here: the caller :meth:`learn`\ s the registration once the order it
        comes with is recorded, so a refused command leaves the registry as it was. ``taken``
        holds codes of registrations pending in the same command."""
        known = self.by_name.get(name)
        if known is not None:
            return known, None
        if not name:
            raise ValueError("an algorithm needs a name")
        for attempt in range(MAX_CANDIDATES):
            code = candidate_code(name, attempt, length=self.code_length)
            if code not in self.by_code and code not in taken:
                return code, RegisteredAlgorithm.register(code, name, role, first_order_id)
        raise AlgorithmCodeExhausted(f"no free algorithm code for {name!r}")
