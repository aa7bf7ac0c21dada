"""Learned arrays to bytes and back, deterministically, addressed by their sha256.

``numpy.savez`` stamps the current time into its zip entries, so the same weights would hash
differently on every save; this format does not: a JSON header (names, dtypes, shapes, in
sorted name order) followed by each array's little-endian bytes. Same arrays, same bytes,
same sha256 — which is what makes the registry's content address meaningful.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

import numpy as np

from .direction import ModelInputError

MAGIC = b"QVW1"
_DTYPES = {"float32": "<f4", "float64": "<f8", "int64": "<i8", "int32": "<i4", "int8": "i1"}


def encode_weights(arrays: Mapping[str, np.ndarray]) -> bytes:
    names = sorted(arrays)
    header: list[dict[str, object]] = []
    chunks: list[bytes] = []
    for name in names:
        array = np.asarray(arrays[name])
        kind = array.dtype.name
        if kind not in _DTYPES:
            raise ModelInputError(f"weight {name!r} has dtype {kind}, not one of {sorted(_DTYPES)}")
        data = np.ascontiguousarray(array, dtype=_DTYPES[kind]).tobytes()
        header.append({"name": name, "dtype": kind, "shape": list(array.shape)})
        chunks.append(data)
    head = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    return MAGIC + len(head).to_bytes(4, "little") + head + b"".join(chunks)


def decode_weights(blob: bytes) -> dict[str, np.ndarray]:
    if blob[:4] != MAGIC:
        raise ModelInputError("not a QuantVista weights blob (bad magic)")
    size = int.from_bytes(blob[4:8], "little")
    try:
        header = json.loads(blob[8 : 8 + size])
    except ValueError as exc:
        raise ModelInputError(f"weights header is unreadable: {exc}") from None
    offset = 8 + size
    arrays: dict[str, np.ndarray] = {}
    for entry in header:
        dtype = np.dtype(_DTYPES[entry["dtype"]])
        count = int(np.prod(entry["shape"], dtype=np.int64))
        end = offset + count * dtype.itemsize
        if end > len(blob):
            raise ModelInputError(f"weights blob is truncated at {entry['name']!r}")
        arrays[entry["name"]] = (
            np.frombuffer(blob[offset:end], dtype=dtype).reshape(entry["shape"]).copy()
        )
        offset = end
    if offset != len(blob):
        raise ModelInputError("weights blob has trailing bytes")
    return arrays


def weights_sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()
