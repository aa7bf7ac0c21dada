"""What the prediction context's use cases need from the outside world."""

from __future__ import annotations

from typing import Protocol


class WeightsStore(Protocol):
    """Model weights, content-addressed: ``put`` returns the blob's sha256, ``get`` gives the
    very bytes back (and refuses a blob whose hash no longer matches)."""

    def put(self, blob: bytes, *, family: str) -> str: ...

    def get(self, sha256: str) -> bytes: ...
