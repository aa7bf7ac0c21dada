"""The formats of RTS 22 (Annex I Table 1) and ISO 20022, checked and written exactly.

Each ``check_*`` returns ``None`` for a valid value or the reason it is not, so that a caller
can attach the field number (:class:`~.fields.Problem`). Identifiers with check digits are
checked with ``python-stdnum`` (LEI: ISO 17442, MOD 97-10; ISIN: ISO 6166), codes against the
ISO lists ``pycountry`` ships (ISO 4217 currencies, ISO 3166 countries). The checks are pure
and the same few identifiers recur in every record, so their answers are cached.

Decimals are written in the ``DECIMAL-n/m`` format: at most ``n`` significant digits, ``m`` of
them after the point, **rounded half up** (never truncated) to ``m`` places, without an
exponent and without trailing zeros. Timestamps are UTC with exactly six fractional digits and
a ``Z``: ``YYYY-MM-DDThh:mm:ss.ffffffZ``, from integer nanoseconds (floored to the microsecond,
the finest granularity RTS 25 asks a report to carry).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry
from stdnum import isin as stdnum_isin
from stdnum import lei as stdnum_lei
from stdnum.exceptions import ValidationError

MIC_PATTERN = re.compile(r"^[A-Z0-9]{4}$")
TRANSACTION_REFERENCE_PATTERN = re.compile(r"^[A-Z0-9]{1,52}$")
VENUE_TRANSACTION_ID_PATTERN = re.compile(r"^[A-Za-z0-9]{1,52}$")
ALGO_CODE_PATTERN = re.compile(r"^[A-Z0-9]{1,50}$")
PERSON_CODE_PATTERN = re.compile(r"^[A-Z]{2}[A-Z0-9#]{1,33}$")
PERSON_SCHEMES = ("NIDN", "CCPT", "CONCAT")
NAME_PATTERN = re.compile(r"^[^\x00-\x1f,]{1,140}$")


class FormatError(ValueError):
    """A value cannot be written in the format its field requires."""


@functools.lru_cache(maxsize=4096)
def check_lei(value: str | None) -> str | None:
    if not value:
        return "no LEI"
    try:
        stdnum_lei.validate(value)
    except ValidationError as error:
        return f"LEI {value!r} is not a valid ISO 17442 code ({error})"
    if stdnum_lei.compact(value) != value:
        return f"LEI {value!r} must be 20 upper-case letters and digits without spaces"
    return None


@functools.lru_cache(maxsize=4096)
def check_isin(value: str | None) -> str | None:
    if not value:
        return "no ISIN"
    try:
        stdnum_isin.validate(value)
    except ValidationError as error:
        return f"ISIN {value!r} is not a valid ISO 6166 code ({error})"
    if stdnum_isin.compact(value) != value:
        return f"ISIN {value!r} must be 12 upper-case letters and digits without spaces"
    return None


def check_mic(value: str | None) -> str | None:
    if not value or not MIC_PATTERN.match(value):
        return f"{value!r} is not a MIC (ISO 10383: four upper-case letters or digits)"
    return None


@functools.lru_cache(maxsize=4096)
def check_currency(value: str | None) -> str | None:
    if not value or not value.isupper() or len(value) != 3:
        return f"{value!r} is not an ISO 4217 currency code"
    if pycountry.currencies.get(alpha_3=value) is None:
        return f"{value!r} is not an ISO 4217 currency code"
    return None


@functools.lru_cache(maxsize=4096)
def check_country(value: str | None) -> str | None:
    if not value or not value.isupper() or len(value) != 2:
        return f"{value!r} is not an ISO 3166-1 alpha-2 country code"
    if pycountry.countries.get(alpha_2=value) is None:
        return f"{value!r} is not an ISO 3166-1 alpha-2 country code"
    return None


def check_algo_code(value: str | None) -> str | None:
    if not value or not ALGO_CODE_PATTERN.match(value):
        return f"algorithm code {value!r} must be 1 to 50 upper-case letters and digits"
    return None


@functools.lru_cache(maxsize=4096)
def check_person_code(value: str | None, scheme: str | None) -> str | None:
    """A natural person's national identifier (RTS 22 Art. 6): the country of nationality,
    then the national id, passport number or ``CONCAT`` code (country, birth date, five
    letters of the first name, five of the surname, ``#``-padded: 20 characters)."""
    if scheme not in PERSON_SCHEMES:
        return f"identifier scheme {scheme!r} must be one of {', '.join(PERSON_SCHEMES)}"
    if not value or not PERSON_CODE_PATTERN.match(value):
        return (
            f"national identifier {value!r} must be a country code followed by up to 33 "
            "upper-case letters, digits or '#'"
        )
    if (reason := check_country(value[:2])) is not None:
        return f"national identifier {value!r} does not start with a country: {reason}"
    if scheme == "CONCAT" and len(value) != 20:
        return f"CONCAT identifier {value!r} must be 20 characters long"
    return None


def check_name(value: str | None) -> str | None:
    if not value or not NAME_PATTERN.match(value):
        return f"name {value!r} must be 1 to 140 characters, without commas or control characters"
    return None


def check_date(value: str | None) -> str | None:
    try:
        datetime.strptime(value or "", "%Y-%m-%d")
    except ValueError:
        return f"date {value!r} must be YYYY-MM-DD"
    return None


def decimal_text(value: Decimal, digits: int, fraction: int, *, positive: bool = True) -> str:
    """``value`` in the ``DECIMAL-digits/fraction`` format, rounded half up to ``fraction``
    places; :class:`FormatError` if it is not finite, not positive (when asked), or needs more
    than ``digits`` significant digits once rounded."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise FormatError(f"{value!r} is not a finite decimal")
    try:
        rounded = value.quantize(Decimal(1).scaleb(-fraction), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise FormatError(f"{value} has more than {digits} digits") from None
    if positive and rounded <= 0:
        raise FormatError(f"{value} must be positive (after rounding to {fraction} places)")
    text = format(rounded, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    whole, _, part = text.lstrip("-").partition(".")
    significant = len(whole.lstrip("0")) + len(part)
    if significant > digits:
        raise FormatError(
            f"{value} needs {significant} digits; the format allows {digits} "
            f"({fraction} after the point)"
        )
    return text


def utc_timestamp(ts_ns: int) -> str:
    """``YYYY-MM-DDThh:mm:ss.ffffffZ`` of integer UTC nanoseconds (floored to the µs)."""
    seconds, rest = divmod(int(ts_ns), 1_000_000_000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{rest // 1000:06d}Z"


def utc_seconds(ts_ns: int) -> str:
    """``YYYY-MM-DDThh:mm:ssZ`` (the application header's creation date)."""
    moment = datetime.fromtimestamp(int(ts_ns) // 1_000_000_000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


TIMESTAMP_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def check_timestamp(value: str) -> str | None:
    if not TIMESTAMP_PATTERN.match(value):
        return f"{value!r} is not a UTC date-time with six fractional digits"
    return None
