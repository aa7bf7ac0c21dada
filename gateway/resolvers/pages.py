"""Relay cursor pagination over a projection's own sequence (``seq``), for every list.

Lists page by the store position of the event that created each row: positions follow commit
order and the projections apply events in that order, so a row appended while a client pages
always sorts after every row it has seen (oldest first) or before them (newest first, the
default) — never in between, so nothing is skipped or repeated. ``first``/``after`` walk forward
in the list's order, ``last``/``before`` back from its end; both bounds may be given.

A page reads one extra row to learn whether more follow in its direction; whether rows lie
the other way (``hasPreviousPage`` after a cursor, ``hasNextPage`` before one) and
``totalCount`` are asked of the database only when the client selects them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from gateway import arguments
from gateway.errors import BadUserInput
from gateway.ids import cursor_for, parse_cursor
from gateway.types import PageInfo, SortOrder

DEFAULT_PAGE = 50


@dataclass(frozen=True)
class PageRequest:
    """What a client asked for, checked: a size and direction, and the cursors' positions."""

    size: int
    forward: bool
    after: int | None
    before: int | None
    newest_first: bool

    @classmethod
    def of(
        cls,
        *,
        first: int | None,
        after: str | None,
        last: int | None,
        before: str | None,
        sort: SortOrder,
    ) -> PageRequest:
        if first is not None and last is not None:
            raise BadUserInput(
                "pass first (with after) or last (with before), not both", field="last"
            )
        forward = last is None
        size = arguments.page_size(
            first if forward and first is not None else (last or DEFAULT_PAGE),
            field="first" if forward else "last",
        )
        return cls(
            size=size,
            forward=forward,
            after=None if after is None else _cursor(after, "after"),
            before=None if before is None else _cursor(before, "before"),
            newest_first=sort is SortOrder.NEWEST_FIRST,
        )


def _cursor(value: str, field: str) -> int:
    if len(value) > arguments.MAX_IDENTIFIER_LENGTH:
        raise BadUserInput(
            f"invalid cursor of {len(value)} characters: pass a cursor returned by the same list",
            field=field,
        )
    return parse_cursor(value, field=field)


@dataclass(frozen=True)
class Filter:
    """``WHERE`` conditions with their parameters (``$1``… numbered by :meth:`sql`)."""

    conditions: tuple[tuple[str, Any], ...]

    def sql(self, start: int = 1) -> tuple[str, list[Any]]:
        """``"a = $1 AND b = ANY($2)"`` from ``(("a = {}", x), ("b = ANY({})", y))``."""
        parts, params = [], []
        for template, value in self.conditions:
            params.append(value)
            parts.append(template.format(f"${start + len(params) - 1}"))
        return " AND ".join(parts) or "TRUE", params


@dataclass
class Page:
    rows: Sequence[asyncpg.Record]
    page_info: PageInfo
    count: Callable[[], Awaitable[int]]


async def fetch_page(
    pool: asyncpg.Pool,
    *,
    columns: str,
    table: str,
    where: Filter,
    request: PageRequest,
) -> Page:
    """One page of ``table`` rows matching ``where``, ordered by ``seq`` as requested."""
    condition, params = where.sql()
    # The direction rows are read in: the list's own order forward, its reverse backward.
    descending = request.newest_first == request.forward
    bounds, bound_params = _bounds(request, start=len(params) + 1)
    limit = f"${len(params) + len(bound_params) + 1}"
    sql = (
        f"SELECT {columns} FROM {table} WHERE {condition}{bounds} "
        f"ORDER BY seq {'DESC' if descending else 'ASC'} LIMIT {limit}"
    )
    rows = await pool.fetch(sql, *params, *bound_params, request.size + 1)
    more = len(rows) > request.size
    rows = rows[: request.size]
    if not request.forward:
        rows = list(reversed(rows))

    async def exists_beyond(cursor: int | None, *, before_list_start: bool) -> bool:
        """Whether rows lie past ``cursor`` away from this page (at or beyond it)."""
        if cursor is None:
            return False
        toward_smaller = request.newest_first != before_list_start
        op = "<=" if toward_smaller else ">="
        return bool(
            await pool.fetchval(
                f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {condition} "
                f"AND seq {op} ${len(params) + 1})",
                *params,
                cursor,
            )
        )

    async def has_previous() -> bool:
        if not request.forward:
            return more
        return await exists_beyond(request.after, before_list_start=True)

    async def has_next() -> bool:
        if request.forward:
            return more
        return await exists_beyond(request.before, before_list_start=False)

    async def count() -> int:
        return int(await pool.fetchval(f"SELECT count(*) FROM {table} WHERE {condition}", *params))

    cursors = [cursor_for(row["seq"]) for row in rows]
    return Page(
        rows=rows,
        page_info=PageInfo(
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
            has_next=has_next,
            has_previous=has_previous,
        ),
        count=count,
    )


def _bounds(request: PageRequest, *, start: int) -> tuple[str, list[int]]:
    """``seq`` conditions for the cursors: ``after`` excludes it and everything before it in
    the list's order, ``before`` it and everything after."""
    parts, params = [], []
    if request.after is not None:
        params.append(request.after)
        parts.append(f" AND seq {'<' if request.newest_first else '>'} ${start + len(params) - 1}")
    if request.before is not None:
        params.append(request.before)
        parts.append(f" AND seq {'>' if request.newest_first else '<'} ${start + len(params) - 1}")
    return "".join(parts), params


def edges_of(page: Page, build: Callable[[asyncpg.Record], Any], edge: type) -> list[Any]:
    return [edge(cursor=cursor_for(row["seq"]), node=build(row)) for row in page.rows]
