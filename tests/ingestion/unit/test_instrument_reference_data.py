"""Instrument files are checked against the ISO standards through the libraries that keep them
(python-stdnum, pycountry, iso10383): a wrong check digit, an unknown country, MIC or currency,
a code in lower case or non-ASCII letters, or a duplicated id fails the file with its line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.ingestion.adapters.csv_replay import (
    CsvFormatError,
    read_instruments,
    sample_path,
)
from bounded_contexts.ingestion.adapters.mic_registry import CsvMicRegistry, mic_registry
from bounded_contexts.ingestion.domain.events import (
    DEFAULT_LOT_SIZE,
    DEFAULT_TICK_SIZE,
    InstrumentListed,
)
from bounded_contexts.ingestion.domain.reference_data import (
    PackagedMicRegistry,
    differing_terms,
    listing_problems,
)

HEADER = "instrument_id,isin,mic,currency,name\n"
SAP = "SAP,DE0007164600,XETR,EUR,SAP SE\n"


def write(tmp_path: Path, text: str, name: str = "instruments.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_instruments_are_valid_and_carry_their_lot_and_tick() -> None:
    listed = read_instruments(sample_path("instruments.csv"))
    assert len(listed) == 8
    assert {(i.lot_size, i.tick_size) for i in listed} == {(Decimal(1), Decimal("0.01"))}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("SAP,DE0007164601,XETR,EUR,SAP SE", "ISIN 'DE0007164601' has a wrong check digit"),
        ("SAP,ZZ0007164600,XETR,EUR,SAP SE", "starts with 'ZZ', not an ISO 3166 country"),
        ("SAP,de0007164600,XETR,EUR,SAP SE", "ISIN 'de0007164600' is not 2 capital letters"),
        ("SAP,DE000716460Ö,XETR,EUR,SAP SE", "ISIN 'DE000716460Ö' is not 2 capital letters"),
        ("SAP,DE00071646000,XETR,EUR,SAP SE", "is not 2 capital letters"),
        ("SAP,DE0007164600,ZZZZ,EUR,SAP SE", "MIC 'ZZZZ' is not in the ISO 10383 registry"),
        ("SAP,DE0007164600,xetr,EUR,SAP SE", "MIC 'xetr' is not 4 capital letters or digits"),
        ("SAP,DE0007164600,XOCH,EUR,SAP SE", "MIC 'XOCH' is expired in the ISO 10383 registry"),
        ("SAP,DE0007164600,XETR,XYZ,SAP SE", "currency 'XYZ' is not an ISO 4217 currency"),
        ("SAP,DE0007164600,XETR,eur,SAP SE", "currency 'eur' is not 3 capital letters"),
        ("SAP,DE0007164600,XETR,ÄÖÜ,SAP SE", "currency 'ÄÖÜ' is not 3 capital letters"),
        ("SA P,DE0007164600,XETR,EUR,SAP SE", "instrument_id 'SA P' is not 1-32 ASCII"),
        ("SÄP,DE0007164600,XETR,EUR,SAP SE", "instrument_id 'SÄP' is not 1-32 ASCII"),
        (f"{'S' * 33},DE0007164600,XETR,EUR,SAP SE", "is not 1-32 ASCII"),
        ("SAP,DE0007164600,XETR,EUR,SAP\u200bSE", "has a non-printable character"),
        (f"SAP,DE0007164600,XETR,EUR,{'n' * 201}", "name is 201 characters long"),
        ("SAP,,XETR,EUR,SAP SE", "missing isin"),
    ],
)
def test_a_listing_against_the_iso_rules_fails_the_file_with_its_line_and_reason(
    tmp_path: Path, row: str, reason: str
) -> None:
    path = write(tmp_path, HEADER + SAP.replace("SAP,", "SIE,", 1) + row + "\n")
    with pytest.raises(CsvFormatError, match=r"^instruments.csv line 3: ") as caught:
        read_instruments(path)
    assert reason in str(caught.value)


def test_every_problem_of_a_row_is_named_not_just_the_first(tmp_path: Path) -> None:
    with pytest.raises(CsvFormatError) as caught:
        read_instruments(write(tmp_path, HEADER + "SAP,DE0007164601,xetr,eur,SAP SE\n"))
    message = str(caught.value)
    assert "check digit" in message and "MIC 'xetr'" in message and "currency 'eur'" in message


def test_a_duplicate_instrument_id_fails_the_file_naming_both_lines(tmp_path: Path) -> None:
    text = HEADER + SAP + "SIE,DE0007236101,XETR,EUR,Siemens AG\n" + SAP
    with pytest.raises(
        CsvFormatError,
        match=r"^instruments.csv: instrument 'SAP' is listed twice, on lines 2 and 4$",
    ):
        read_instruments(write(tmp_path, text))


def test_lot_and_tick_size_are_read_when_given_and_default_when_absent(tmp_path: Path) -> None:
    text = "instrument_id,isin,mic,currency,name,lot_size,tick_size\n"
    text += "SAP,DE0007164600,XETR,EUR,SAP SE,10,0.005\nSIE,DE0007236101,XETR,EUR,Siemens,,\n"
    sap, sie = read_instruments(write(tmp_path, text))
    assert (sap.lot_size, sap.tick_size) == (Decimal(10), Decimal("0.005"))
    assert (sie.lot_size, sie.tick_size) == (DEFAULT_LOT_SIZE, DEFAULT_TICK_SIZE)
    (plain,) = read_instruments(write(tmp_path, HEADER + SAP, "plain.csv"))
    assert (plain.lot_size, plain.tick_size) == (DEFAULT_LOT_SIZE, DEFAULT_TICK_SIZE)


@pytest.mark.parametrize(
    ("sizes", "reason"),
    [
        ("0,0.01", "lot_size 0 is not positive"),
        ("1,-0.01", "tick_size -0.01 is not positive"),
        ("1,1e-2", "tick_size '1e-2' is not a number"),
        ("1_0,0.01", "lot_size '1_0' is not a number"),
        ("１,0.01", "only ASCII digits"),
        ("1,0.000000001", "tick_size has 9 digits after the point (at most 8)"),
        ("1" * 10 + ",0.01", "lot_size has 10 digits before the point (at most 9)"),
    ],
)
def test_a_bad_lot_or_tick_size_fails_the_file(tmp_path: Path, sizes: str, reason: str) -> None:
    text = "instrument_id,isin,mic,currency,name,lot_size,tick_size\n"
    text += f"SAP,DE0007164600,XETR,EUR,SAP SE,{sizes}\n"
    with pytest.raises(CsvFormatError, match=r"^instruments.csv line 2: ") as caught:
        read_instruments(write(tmp_path, text))
    assert reason in str(caught.value)


def test_an_instrument_file_with_a_bom_and_crlf_is_read(tmp_path: Path) -> None:
    path = tmp_path / "instruments.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + SAP).replace("\n", "\r\n").encode())
    assert [i.instrument_id for i in read_instruments(path)] == ["SAP"]


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"SAP,DE0007164600,XETR,EUR,SAP \xff SE\n", "undecodable line"),
        (b"SAP,DE0007164600,XETR,EUR,SAP\x00SE\n", "control character U+0000 (NUL)"),
        (b"SAP,DE0007164600,XETR,EUR,SAP SE,extra\n", "6 fields where the header has 5"),
        (b"SAP,DE0007164600,XETR,EUR," + b"n" * 70_000 + b"\n", "overlong line: 70,026 bytes"),
    ],
)
def test_an_unreadable_line_fails_an_instrument_file_with_its_number(
    tmp_path: Path, raw: bytes, reason: str
) -> None:
    path = tmp_path / "instruments.csv"
    path.write_bytes(HEADER.encode() + raw)
    with pytest.raises(CsvFormatError, match=r"^instruments.csv line 2: ") as caught:
        read_instruments(path)
    assert reason in str(caught.value)


def test_listings_built_in_code_are_checked_by_their_decimal_sizes_without_formatting() -> None:
    huge = InstrumentListed("SAP", "DE0007164600", "XETR", "EUR", "SAP", Decimal("1e999999999"))
    (problem,) = listing_problems(huge, PackagedMicRegistry())
    assert problem.startswith("lot_size needs 1000000000 digits before")
    nan = InstrumentListed("SAP", "DE0007164600", "XETR", "EUR", "SAP", tick_size=Decimal("NaN"))
    assert listing_problems(nan, PackagedMicRegistry()) == ["tick_size NaN is not finite"]


def test_two_listings_differ_on_the_terms_named_and_sizes_compare_by_value() -> None:
    a = InstrumentListed(
        "SAP", "DE0007164600", "XETR", "EUR", "SAP SE", Decimal(1), Decimal("0.01")
    )
    b = InstrumentListed("SAP", "DE0007164600", "XETR", "EUR", "SAP", Decimal(1), Decimal("0.010"))
    assert differing_terms(a, b) == ["name"]


def test_a_configured_iso_registry_file_decides_which_mics_exist(tmp_path: Path) -> None:
    registry_file = tmp_path / "ISO10383_MIC.csv"
    registry_file.write_bytes(
        b"\xef\xbb\xbf"
        b'"MIC","OPERATING MIC","OPRT/SGMT","MARKET NAME-INSTITUTION DESCRIPTION","STATUS"\r\n'
        b'"XETR","XETR","OPRT","XETRA","ACTIVE"\r\n'
        b'"XQQQ","XQQQ","OPRT","A VENUE REGISTERED AFTER THE PACKAGE","ACTIVE"\r\n'
        b'"XAMS","XAMS","OPRT","EURONEXT AMSTERDAM","EXPIRED"\r\n'
    )
    registry = mic_registry(registry_file)
    assert isinstance(registry, CsvMicRegistry)
    assert [registry.status(m) for m in ("XETR", "XQQQ", "XAMS", "XPAR")] == [
        "ACTIVE",
        "ACTIVE",
        "EXPIRED",
        None,
    ]
    path = write(tmp_path, HEADER + "NEW,DE0007164600,XQQQ,EUR,New\n")
    assert read_instruments(path, registry)[0].mic == "XQQQ"
    with pytest.raises(CsvFormatError, match="MIC 'XQQQ' is not in the ISO 10383 registry"):
        read_instruments(path)  # the package's snapshot does not know it
    amsterdam = write(tmp_path, HEADER + "ASML,NL0010273215,XAMS,EUR,ASML\n", "ams.csv")
    with pytest.raises(CsvFormatError, match="MIC 'XAMS' is expired"):
        read_instruments(amsterdam, registry)


def test_a_registry_file_without_a_status_column_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "MIC,NAME\nXETR,XETRA\n", "mics.csv")
    with pytest.raises(CsvFormatError, match=r"missing column\(s\) STATUS"):
        mic_registry(path)
    assert isinstance(mic_registry(None), PackagedMicRegistry)
