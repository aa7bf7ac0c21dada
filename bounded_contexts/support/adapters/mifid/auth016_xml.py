"""RTS 22 transaction reports as an ISO 20022 business file: ``BizData`` (head.003.001.01) ->
``Hdr/AppHdr`` (head.001.001.01) -> ``Pyld/Document/FinInstrmRptgTxRpt`` (auth.016.001.01),
one ``Tx/New`` per report, then one ``Tx/Cxl`` per cancellation.

The bytes depend on the reports alone: elements in a fixed order, UTF-8, two-space indents, no
clock. ``BizMsgIdr`` is ``QV`` + the reporting date + 16 hex digits of the SHA-256 of the
payload document, and ``CreDt`` the moment the latest fact in the file was recorded (given by
the caller), so writing the same day twice gives the same file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path

from lxml import etree

from bounded_contexts.support.domain.mifid.formats import utc_seconds
from bounded_contexts.support.domain.mifid.transactions import (
    CancellationReport,
    PartyId,
    Side,
    TransactionReport,
    WithinFirm,
)

HEAD003 = "urn:iso:std:iso:20022:tech:xsd:head.003.001.01"
HEAD001 = "urn:iso:std:iso:20022:tech:xsd:head.001.001.01"
MESSAGE_DEFINITION = "auth.016.001.01"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_HERE = Path(__file__).parent


def render_document(
    reports: Sequence[TransactionReport],
    cancellations: Sequence[CancellationReport],
    namespace: str,
) -> etree._Element:
    """The ``Document`` payload (auth.016.001.01)."""
    e = _Builder(namespace)
    document = e.root("Document")
    body = e.sub(document, "FinInstrmRptgTxRpt")
    # Cancellations first: a corrected execution is cancelled and sent again under the same
    # reference in one file, and the receiver applies the records in order.
    for cancellation in cancellations:
        cxl = e.sub(e.sub(body, "Tx"), "Cxl")
        e.text(cxl, "TxId", cancellation.transaction_reference)
        e.text(cxl, "ExctgPty", cancellation.executing_entity)
        e.text(cxl, "SubmitgPty", cancellation.submitting_entity)
    for report in reports:
        _new(e, e.sub(e.sub(body, "Tx"), "New"), report)
    return document


def render_file(
    reports: Sequence[TransactionReport],
    cancellations: Sequence[CancellationReport],
    *,
    namespace: str,
    sender: str,
    receiver: str,
    day: date,
    created_ns: int,
) -> tuple[bytes, str]:
    """The whole business file and its ``BizMsgIdr``."""
    document = render_document(reports, cancellations, namespace)
    digest = hashlib.sha256(etree.tostring(document, encoding="UTF-8")).hexdigest()
    message_id = f"QV{day:%Y%m%d}{digest[:16].upper()}"
    h3 = _Builder(HEAD003)
    business = h3.root("BizData")
    h1 = _Builder(HEAD001)
    header = h1.root("AppHdr")
    for tag, identifier in (("Fr", sender), ("To", receiver)):
        party = h1.sub(h1.sub(h1.sub(h1.sub(header, tag), "OrgId"), "Id"), "OrgId")
        h1.text(h1.sub(party, "Othr"), "Id", identifier)
    h1.text(header, "BizMsgIdr", message_id)
    h1.text(header, "MsgDefIdr", MESSAGE_DEFINITION)
    h1.text(header, "CreDt", utc_seconds(created_ns))
    h3.sub(business, "Hdr").append(header)
    h3.sub(business, "Pyld").append(document)
    etree.indent(business, space="  ")
    body = etree.tostring(business, encoding="UTF-8")
    return XML_DECLARATION + body + b"\n", message_id


def structure_problems(content: bytes, namespace: str) -> list[str]:
    """Check a file against QuantVista's structural subset schemas (not ESMA's XSD): the
    envelope and header, then the payload. Empty when it conforms."""
    root = etree.fromstring(content)
    problems = []
    envelope = _envelope_schema()
    if not envelope.validate(root):
        problems += [f"envelope line {e.line}: {e.message}" for e in envelope.error_log]
    payload = root.find(f"{{{HEAD003}}}Pyld/{{{namespace}}}Document")
    if payload is None:
        return [*problems, f"no Pyld/Document in namespace {namespace}"]
    schema = _payload_schema(namespace)
    if not schema.validate(payload):
        problems += [f"payload line {e.line}: {e.message}" for e in schema.error_log]
    return problems


class _Builder:
    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self._names: dict[str, str] = {}  # tag -> "{namespace}tag", built once per tag

    def _name(self, tag: str) -> str:
        name = self._names.get(tag)
        if name is None:
            name = self._names[tag] = f"{{{self.ns}}}{tag}"
        return name

    def root(self, tag: str) -> etree._Element:
        return etree.Element(self._name(tag), nsmap={None: self.ns})

    def sub(self, parent: etree._Element, tag: str) -> etree._Element:
        return etree.SubElement(parent, self._name(tag))

    def text(self, parent: etree._Element, tag: str, value: str) -> etree._Element:
        element = self.sub(parent, tag)
        element.text = value
        return element


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _new(e: _Builder, new: etree._Element, r: TransactionReport) -> None:
    e.text(new, "TxId", r.transaction_reference)
    e.text(new, "ExctgPty", r.executing_entity)
    e.text(new, "InvstmtPtyInd", _flag(r.investment_firm))
    e.text(new, "SubmitgPty", r.submitting_entity)
    _side(e, e.sub(new, "Buyr"), r.buyer)
    _side(e, e.sub(new, "Sellr"), r.seller)
    e.text(e.sub(new, "OrdrTrnsmssn"), "TrnsmssnInd", _flag(r.transmission))
    tx = e.sub(new, "Tx")
    e.text(tx, "TradDt", r.trading_datetime)
    e.text(tx, "TradgCpcty", r.trading_capacity)
    e.text(e.sub(tx, "Qty"), "Unit", r.quantity)
    amount = e.text(e.sub(e.sub(e.sub(tx, "Pric"), "Pric"), "MntryVal"), "Amt", r.price)
    amount.set("Ccy", r.price_currency)
    e.text(tx, "TradVn", r.venue)
    if r.branch_membership_country:
        e.text(tx, "CtryOfBrnch", r.branch_membership_country)
    if r.venue_transaction_id:
        e.text(tx, "TradPlcMtchgId", r.venue_transaction_id)
    e.text(e.sub(new, "FinInstrm"), "Id", r.isin)
    if r.investment_decision is not None:
        _within_firm(e, e.sub(new, "InvstmtDcsnPrsn"), r.investment_decision)
    _within_firm(e, e.sub(new, "ExctgPrsn"), r.execution)
    extra = e.sub(new, "AddtlAttrbts")
    if r.short_selling:
        e.text(extra, "ShrtSellgInd", r.short_selling)
    e.text(extra, "SctiesFincgTxInd", _flag(r.securities_financing))


def _side(e: _Builder, parent: etree._Element, side: Side) -> None:
    owner = e.sub(parent, "AcctOwnr")
    _party(e, e.sub(owner, "Id"), side.owner)
    if side.country_of_branch:
        e.text(owner, "CtryOfBrnch", side.country_of_branch)
    if side.decision_maker is not None:
        _party(e, e.sub(parent, "DcsnMakr"), side.decision_maker)


def _party(e: _Builder, parent: etree._Element, party: PartyId) -> None:
    if party.kind in ("LEI", "MIC"):
        e.text(parent, party.kind, party.id)
        return
    person = e.sub(parent, "Prsn")
    e.text(person, "FrstNm", party.first_names or "")
    e.text(person, "Nm", party.surnames or "")
    e.text(person, "BirthDt", party.birth_date or "")
    _person_code(e, person, party.id, party.scheme or "")


def _within_firm(e: _Builder, parent: etree._Element, who: WithinFirm) -> None:
    if who.kind == "ALGO":
        e.text(parent, "Algo", who.id)
    elif who.kind == "CLIENT":
        e.text(parent, "Clnt", "NORE")
    else:
        person = e.sub(parent, "Prsn")
        e.text(person, "CtryOfBrnch", who.country_of_branch or "")
        _person_code(e, person, who.id, who.scheme or "")


def _person_code(e: _Builder, parent: etree._Element, identifier: str, scheme: str) -> None:
    other = e.sub(parent, "Othr")
    e.text(other, "Id", identifier)
    # NIDN and CCPT are ISO 20022 codes; CONCAT is ESMA's own scheme, given as proprietary.
    e.text(e.sub(other, "SchmeNm"), "Prtry" if scheme == "CONCAT" else "Cd", scheme)


@cache
def _envelope_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(_HERE / "envelope_subset.xsd")))


@cache
def _payload_schema(namespace: str) -> etree.XMLSchema:
    text = (_HERE / "auth016_subset.xsd").read_text(encoding="utf-8")
    return etree.XMLSchema(etree.fromstring(text.replace("@NAMESPACE@", namespace).encode()))
