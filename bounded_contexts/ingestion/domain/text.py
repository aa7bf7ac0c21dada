"""Untrusted text made safe to keep: control characters found, escaped, and quoted briefly.

PostgreSQL ``text`` and ``jsonb`` cannot hold U+0000, and a lone surrogate cannot be encoded at
all, so neither may ever reach an event; the other C0/C1 controls are never part of a market
data row and are escaped too, so that a quarantined row reads the same in a terminal as in the
file. Tab is the one control a CSV field may carry.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\ud800-\udfff]")
_SHOWN = 32


def first_unsafe(text: str) -> tuple[int, str] | None:
    """Column (1-based) and character of the first control character or surrogate."""
    match = _UNSAFE.search(text)
    return None if match is None else (match.start() + 1, match.group())


def describe(char: str) -> str:
    """``U+0000 (NUL)``-style name of a character for a reason."""
    names = {"\x00": " (NUL)", "\r": " (carriage return)", "\n": " (line feed)"}
    return f"U+{ord(char):04X}{names.get(char, '')}"


def escape_unsafe(text: str) -> str:
    """``text`` with every control character and surrogate written as a backslash escape
    (``\\x00``, ``\\ud800``), everything else unchanged."""
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def shown(text: str) -> str:
    """``text`` quoted for a reason: escaped by ``repr`` (no control character or NUL reaches a
    message) and cut to a few dozen characters, so a 64 KiB field cannot bloat every log line."""
    if len(text) <= _SHOWN:
        return repr(text)
    return f"{text[:_SHOWN]!r}… ({len(text):,} characters)"
