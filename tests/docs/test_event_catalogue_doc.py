"""docs/events.md, the public event catalogue, keeps up with the code.

The truth is the code: ``events.catalogue.default_catalogue()`` (every event type, its context,
stream, current version and upcasters), ``events.schema_gen.payload_schema`` (the fields of the
current version) and the schema files under ``events/schemas/``. The page must have, for every
type of the catalogue:

* a ``### <Type> v<current version>`` heading under its context's ``## <context>`` heading,
  and no heading for a type or version that is not current;
* under it, a ``| field | type | notes |`` table with a row for every field of the current
  schema (a value object's fields as ``<field>.<name>``, or ``<field>[].<name>`` for the items
  of an array), its type written as this page writes types, and no row for a field the schema
  does not have;
* a row in its context's ``| event type | stream | version | schema file |`` table naming its
  stream, its current version and its schema file, then every older schema file on disk;
* a row in the "Versions and upcasting" table if it has more than one version, naming every
  upcaster step.

The "Who consumes what" table names every policy, saga and projection with the streams it
subscribes to (every stream of each upstream context) and, for projections, its tables. The
current schema file on disk must name the fields the code does, so the tables agree with the
files too. Pure: reads files and imports modules, nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bounded_contexts.decision.policies.on_price_direction_predicted import (
    OnPriceDirectionPredicted,
)
from bounded_contexts.execution.policies.on_market_and_decisions import ExecutionPolicy
from bounded_contexts.intelligence.policies.on_bar_closed import OnBarClosed
from bounded_contexts.prediction.policies.on_indicators_updated import OnIndicatorsUpdated
from bounded_contexts.prediction.policies.on_retrain_requested import OnRetrainRequested
from bounded_contexts.support.policies.notify_on_execution import NotificationPolicy
from events.catalogue import SCHEMA_DIR, default_catalogue, schema_path
from events.domain import DomainEvent
from events.schema_gen import DECIMAL_PATTERN, UUID_PATTERN, payload_schema
from projections.registry import all_projections
from sagas.trade_lifecycle.saga import TradeLifecycleSaga

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "events.md"
DOC_NAME = "docs/events.md"

EVENT_CLASSES: list[type[DomainEvent]] = list(default_catalogue())
CURRENT: dict[str, int] = {c.event_type(): c.SCHEMA_VERSION for c in EVENT_CLASSES}

# Every consumer of an upstream store that ``quantvista.platform.Platform.build`` wires, besides
# the projections (taken from ``projections.registry.all_projections()``).
POLICIES: tuple[Any, ...] = (
    OnBarClosed,
    OnIndicatorsUpdated,
    OnRetrainRequested,
    OnPriceDirectionPredicted,
    ExecutionPolicy,
    TradeLifecycleSaga,
    NotificationPolicy,
)

_EVENT_HEADING = re.compile(r"^(?P<type>[A-Za-z][A-Za-z0-9]*) v(?P<version>[0-9]+)$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_CODE = re.compile(r"`([^`]+)`")
_TOPIC = re.compile(r"`([a-z][a-z0-9-]*)/([a-z][a-z0-9-]*)`")


# -- reading the page ------------------------------------------------------------------------
@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    line: int  # 1-based line of the header


@dataclass
class Section:
    title: str
    level: int
    line: int  # 1-based line of the heading
    parent: str | None  # the enclosing ``##`` title, for a ``###`` section
    body: list[tuple[int, str]] = field(default_factory=list)

    def tables(self) -> list[Table]:
        tables: list[Table] = []
        block: list[tuple[int, str]] = []
        for number, text in [*self.body, (0, "")]:
            if text.lstrip().startswith("|"):
                block.append((number, text))
                continue
            if len(block) >= 2:
                header = _cells(block[0][1])
                rows = [_cells(t) for _, t in block[2:]]
                tables.append(Table(header, rows, block[0][0]))
            block = []
        return tables


def _cells(row: str) -> list[str]:
    inner = row.strip()
    inner = inner.removeprefix("|").removesuffix("|")
    return [c.strip() for c in _CELL_SPLIT.split(inner)]


def _read_sections() -> list[Section]:
    sections: list[Section] = []
    current: Section | None = None
    parent: str | None = None
    in_fence = False
    for number, text in enumerate(DOC.read_text(encoding="utf-8").splitlines(), start=1):
        if text.startswith("```"):
            in_fence = not in_fence
        match = None if in_fence else re.match(r"^(#{2,3}) (.+?)\s*$", text)
        if match:
            level, title = len(match.group(1)), match.group(2)
            if level == 2:
                parent = title
            current = Section(title, level, number, parent if level == 3 else None)
            sections.append(current)
        elif current is not None:
            current.body.append((number, text))
    return sections


SECTIONS = _read_sections()


def _h2(title: str) -> Section | None:
    return next((s for s in SECTIONS if s.level == 2 and s.title == title), None)


def _event_sections() -> dict[str, list[Section]]:
    """``###`` sections by the type their heading names."""
    found: dict[str, list[Section]] = {}
    for section in SECTIONS:
        match = _EVENT_HEADING.match(section.title) if section.level == 3 else None
        if match:
            found.setdefault(match.group("type"), []).append(section)
    return found


def _table_with_header(section: Section, first: str) -> list[Table]:
    return [t for t in section.tables() if t.header and t.header[0].lower() == first]


def _code_of(cell: str) -> str | None:
    """The cell's text when it is exactly one code span (``\\`name\\```), else None."""
    match = re.fullmatch(r"`([^`]+)`", cell)
    return match.group(1) if match else None


# -- what the code says ----------------------------------------------------------------------
def doc_type(schema: dict[str, Any]) -> str:
    """A JSON Schema (as ``payload_schema`` writes it) in the words of this page."""
    if "anyOf" in schema:
        return " or ".join(doc_type(option) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema["type"]
    if kind == "string":
        patterns = {DECIMAL_PATTERN: "decimal (string)", UUID_PATTERN: "UUID (string)"}
        return patterns.get(schema.get("pattern"), "string")
    if kind == "number":
        return "number (JSON float)"
    if kind == "array":
        return "array of " + doc_type(schema["items"])
    if kind == "object":
        if "properties" in schema:  # a value object: its fields are rows of their own
            return "object"
        return "object of " + doc_type(schema["additionalProperties"])
    return str(kind)  # integer, boolean, null


def expected_fields(properties: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(row name, type) of every field, a value object's fields right after it."""
    for name, schema in properties.items():
        yield prefix + name, doc_type(schema)
        for option in schema.get("anyOf", [schema]):
            if option.get("type") == "object" and "properties" in option:
                yield from expected_fields(option["properties"], f"{prefix}{name}.")
            items = option.get("items", {}) if option.get("type") == "array" else {}
            if items.get("type") == "object" and "properties" in items:
                yield from expected_fields(items["properties"], f"{prefix}{name}[].")


def versions_on_disk(cls: type[DomainEvent]) -> list[int]:
    pattern = re.compile(rf"^{re.escape(cls.event_type())}\.v([0-9]+)\.json$")
    found = (pattern.match(p.name) for p in (SCHEMA_DIR / cls.CONTEXT).glob("*.json"))
    return sorted(int(m.group(1)) for m in found if m)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _streams_of(context: str) -> list[str]:
    return sorted({c.STREAM for c in EVENT_CLASSES if context == c.CONTEXT})


def _label(cls: type[DomainEvent]) -> str:
    return f"{cls.event_type()} v{cls.SCHEMA_VERSION}"


parametrize_events = pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda c: c.event_type())


# -- the tests -------------------------------------------------------------------------------
def test_the_page_and_the_catalogue_are_there() -> None:
    assert DOC.is_file(), f"{DOC_NAME} is missing"
    assert EVENT_CLASSES, "default_catalogue() lists no event type"


@parametrize_events
def test_every_type_has_a_section_at_its_current_version(cls: type[DomainEvent]) -> None:
    name, version = cls.event_type(), cls.SCHEMA_VERSION
    sections = _event_sections().get(name, [])
    current = [s for s in sections if s.title == f"{name} v{version}"]
    if not current:
        others = ", ".join(f"'### {s.title}' (line {s.line})" for s in sections)
        hint = f"; it has {others}: raise it to v{version} and update its table" if others else ""
        pytest.fail(
            f"{DOC_NAME}: no section '### {name} v{version}' for {cls.CONTEXT}.{name}, "
            f"current version {version}{hint}",
            pytrace=False,
        )
    assert len(current) == 1, (
        f"{DOC_NAME}: '### {name} v{version}' appears {len(current)} times "
        f"(lines {', '.join(str(s.line) for s in current)})"
    )
    assert current[0].parent == cls.CONTEXT, (
        f"{DOC_NAME}: '### {name} v{version}' (line {current[0].line}) is under "
        f"'## {current[0].parent}', but {name} is recorded by the {cls.CONTEXT!r} context: "
        f"move it under '## {cls.CONTEXT}'"
    )


def test_no_heading_names_a_type_or_version_that_is_not_current() -> None:
    wrong = []
    for section in (s for s in SECTIONS if s.level == 3):
        match = _EVENT_HEADING.match(section.title)
        if match is None:
            wrong.append(
                f"line {section.line}: '### {section.title}' is not '### <Type> v<N>' "
                "(### headings on this page are event types; use #### for anything else)"
            )
            continue
        name, version = match.group("type"), int(match.group("version"))
        if name not in CURRENT:
            wrong.append(f"line {section.line}: '### {section.title}': no event type {name!r}")
        elif version != CURRENT[name]:
            wrong.append(
                f"line {section.line}: '### {section.title}': {name} is at v{CURRENT[name]} "
                f"(v{version} is not current)"
            )
    assert not wrong, f"{DOC_NAME} has headings the catalogue does not have:\n" + "\n".join(wrong)


@parametrize_events
def test_the_field_table_lists_every_field_of_the_current_schema(cls: type[DomainEvent]) -> None:
    heading = _label(cls)
    section = next((s for s in SECTIONS if s.level == 3 and s.title == heading), None)
    if section is None:
        pytest.skip(f"no section '### {heading}' (reported by the section test)")
    tables = _table_with_header(section, "field")
    assert tables, f"{DOC_NAME}: '### {heading}' (line {section.line}) has no '| field |' table"
    documented: dict[str, tuple[str, int]] = {}
    for table in tables:
        for offset, row in enumerate(table.rows, start=2):
            name = _code_of(row[0])
            assert name is not None and len(row) >= 2, (
                f"{DOC_NAME}: '### {heading}', table at line {table.line}: row "
                f"{offset - 1} does not start with a `field` cell and a type: {row}"
            )
            documented[name] = (row[1], table.line + offset)
    expected = dict(expected_fields(payload_schema(cls)["properties"]))
    problems = [
        f"field `{name}` ({kind}) of {cls.event_type()} v{cls.SCHEMA_VERSION} is missing"
        for name, kind in expected.items()
        if name not in documented
    ]
    problems += [
        f"field `{name}` (line {line}) has type '{written}'; the schema says '{expected[name]}'"
        for name, (written, line) in documented.items()
        if name in expected and written != expected[name]
    ]
    problems += [
        f"field `{name}` (line {line}) is not in the current schema of {cls.event_type()}"
        for name, (_, line) in documented.items()
        if name not in expected
    ]
    assert not problems, f"{DOC_NAME}, '### {heading}':\n" + "\n".join(problems)


@parametrize_events
def test_the_context_table_names_stream_version_and_schema_files(cls: type[DomainEvent]) -> None:
    name = cls.event_type()
    context = _h2(cls.CONTEXT)
    assert context is not None, f"{DOC_NAME}: no '## {cls.CONTEXT}' section for {name}"
    rows = [
        (table.line, row)
        for table in _table_with_header(context, "event type")
        for row in table.rows
        if _code_of(row[0]) == name
    ]
    assert len(rows) == 1, (
        f"{DOC_NAME}: '## {cls.CONTEXT}' needs exactly one row for `{name}` in its "
        f"'| event type | stream | version | schema file |' table; found {len(rows)}"
    )
    line, row = rows[0]
    assert len(row) >= 4, f"{DOC_NAME}: the row of `{name}` (table at line {line}): {row}"
    stream, version, files = _code_of(row[1]), row[2], _CODE.findall(row[3])
    current_file = _relative(schema_path(cls, cls.SCHEMA_VERSION))
    older = [_relative(schema_path(cls, v)) for v in versions_on_disk(cls)]
    older = [f for f in older if f != current_file]
    assert stream == cls.STREAM, f"{DOC_NAME}: `{name}` travels on `{cls.STREAM}`, not {row[1]}"
    assert version == str(cls.SCHEMA_VERSION), (
        f"{DOC_NAME}: `{name}` is at version {cls.SCHEMA_VERSION}, the table says {version}"
    )
    assert files[:1] == [current_file], (
        f"{DOC_NAME}: the schema file of `{name}` is `{current_file}`, the table names {files[:1]}"
    )
    assert sorted(files[1:]) == sorted(older), (
        f"{DOC_NAME}: `{name}`'s older schema files on disk are {older or 'none'}, the table "
        f"lists {files[1:] or 'none'} (write them as '(older: `...`)')"
    )


def test_the_context_tables_list_no_type_the_catalogue_does_not_have() -> None:
    wrong = []
    for context in sorted({c.CONTEXT for c in EVENT_CLASSES}):
        section = _h2(context)
        if section is None:
            continue  # reported per type
        own = {c.event_type() for c in EVENT_CLASSES if context == c.CONTEXT}
        for table in _table_with_header(section, "event type"):
            wrong += [
                f"'## {context}' (table at line {table.line}) lists {row[0]}, not a type of "
                f"the {context} context"
                for row in table.rows
                if _code_of(row[0]) not in own
            ]
    assert not wrong, f"{DOC_NAME}:\n" + "\n".join(wrong)


def _versions_rows() -> dict[str, list[str]]:
    section = _h2("Versions and upcasting")
    assert section is not None, f"{DOC_NAME}: no '## Versions and upcasting' section"
    tables = _table_with_header(section, "type")
    assert tables, f"{DOC_NAME}: '## Versions and upcasting' has no '| type |' table"
    return {(_code_of(row[0]) or row[0]): row for table in tables for row in table.rows}


@parametrize_events
def test_the_versions_table_names_every_version_and_upcaster(cls: type[DomainEvent]) -> None:
    name, rows = cls.event_type(), _versions_rows()
    on_disk = versions_on_disk(cls)
    if on_disk == [1] and cls.SCHEMA_VERSION == 1:
        assert name not in rows, (
            f"{DOC_NAME}: the versions table has a row for `{name}`, which has only v1 "
            "('every other type' covers it)"
        )
        return
    assert name in rows, (
        f"{DOC_NAME}: the versions table has no row for `{name}` (versions on disk: "
        f"{', '.join(f'v{v}' for v in on_disk)})"
    )
    row = rows[name]
    written = ", ".join(f"v{v}" for v in on_disk) + " (current)"
    assert row[1] == written, f"{DOC_NAME}: versions of `{name}`: '{row[1]}', expected '{written}'"
    missing = [
        f"v{n} -> v{n + 1}" for n in sorted(cls.UPCASTERS) if f"v{n} -> v{n + 1}" not in row[2]
    ]
    assert not missing, (
        f"{DOC_NAME}: the versions table does not describe {name}'s upcaster {missing}"
    )


def test_the_versions_table_names_only_types_with_several_versions() -> None:
    known = {c.event_type() for c in EVENT_CLASSES}
    stale = [name for name in _versions_rows() if name not in known and name != "every other type"]
    assert not stale, f"{DOC_NAME}: the versions table names types not in the catalogue: {stale}"


@parametrize_events
def test_the_current_schema_file_has_the_fields_of_the_code(cls: type[DomainEvent]) -> None:
    path = schema_path(cls, cls.SCHEMA_VERSION)
    assert path.is_file(), f"{_label(cls)}: no schema file {_relative(path)}"
    on_disk = json.loads(path.read_text(encoding="utf-8"))["properties"]
    assert on_disk == payload_schema(cls)["properties"], (
        f"{_relative(path)} and the code of {_label(cls)} disagree on the fields; the "
        "tables follow the code: run `quantvista schemas export` (or raise the version)"
    )


def test_the_consumers_table_matches_the_code() -> None:
    section = _h2("Who consumes what")
    assert section is not None, f"{DOC_NAME}: no '## Who consumes what' section"
    rows = {
        (_code_of(row[0]) or row[0]): row
        for table in _table_with_header(section, "consumer (subscription name)")
        for row in table.rows
    }
    consumers = {p.name: p for p in [*POLICIES, *all_projections()]}
    problems = [f"no row for `{name}`" for name in consumers if name not in rows]
    problems += [
        f"row `{name}` names no consumer of the code" for name in rows if name not in consumers
    ]
    for name, consumer in consumers.items():
        if name not in rows:
            continue
        row = rows[name]
        expected = {(u, s) for u in consumer.upstreams for s in _streams_of(u)}
        written = set(_TOPIC.findall(row[1]))
        if written != expected:
            problems.append(
                f"`{name}` subscribes to {sorted(f'{u}/{s}' for u, s in expected)}, the row "
                f"names {sorted(f'{u}/{s}' for u, s in written)}"
            )
        tables = getattr(consumer, "tables", ())
        problems += [
            f"`{name}` writes `{t}`, the row does not say so"
            for t in tables
            if f"`{t}`" not in row[2]
        ]
    assert not problems, f"{DOC_NAME}, 'Who consumes what':\n" + "\n".join(problems)
