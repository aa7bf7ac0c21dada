"""The prediction context's one-event aggregates (a forecast, a drift reading, a training
request): see :mod:`events.facts`."""

from __future__ import annotations

import uuid

from events.facts import Fact as _Fact


class Fact(_Fact):
    NAMESPACE = uuid.UUID("0c7d5a0e-2b8e-4f5c-9a51-6f1e8d2c4b39")
