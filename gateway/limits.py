"""What one GraphQL operation may ask for: depth, aliases and cost, each refused with its own
code before anything is executed (OWASP API4, unrestricted resource consumption).

* **Depth** — nesting of fields, fragments expanded (``QUERY_TOO_DEEP``).
* **Aliases** — fields renamed in one operation; aliases are how one request asks for the same
  expensive list a hundred times (``TOO_MANY_ALIASES``).
* **Cost** — an estimate of the rows an operation can touch: every field costs 1, and a list
  field multiplies what it selects by its page size (``first``/``last``, from the literal or the
  variable; a list field without one by :data:`DEFAULT_LIST_SIZES`) (``QUERY_TOO_COMPLEX``).
  ``orders(first: 500)`` with each order's events costs ~35,000; a hundred of them, 3.5 million.

:class:`OperationLimits` runs before validation (it sets the operation's pre-execution errors,
so a refused document is neither validated nor executed), over HTTP and WebSocket alike, with
the request's variables known. Every error says the limit and the value. Introspection
(``__schema``, ``__type``) is exempt: it reads the static schema, and GraphiQL's own query is
deeper than any data query needs to be.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from gateway.arguments import MAX_PAGE_SIZE

QUERY_TOO_DEEP = "QUERY_TOO_DEEP"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"

DEFAULT_LIST_SIZES: Mapping[str, int] = {
    "orders": 50,
    "fills": 50,
    "quarantine": 50,
    "deadLetters": 50,
    "predictions": 100,
    "bars": 1000,
    "equityCurve": 1000,
    "instruments": 50,
    "accounts": 20,
    "positions": 20,
    "events": 10,
    "breaches": 5,
}
"""Rows a list field without ``first``/``last`` is assumed to return."""


@dataclass(frozen=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 30
    max_cost: int = 50_000


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    seen: frozenset[str] = frozenset(),
) -> Iterator[FieldNode]:
    """The fields selected here, fragments expanded (a fragment cycle is cut: validation
    refuses it anyway, but this runs before validation)."""
    if selection_set is None:
        return
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if not selection.name.value.startswith("__"):  # introspection: static, bounded
                yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in seen:
                yield from _fields(fragment.selection_set, fragments, seen | {name})


@dataclass
class _Measure:
    fragments: Mapping[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]

    def depth(self, selection_set: SelectionSetNode | None) -> int:
        return max(
            (1 + self.depth(f.selection_set) for f in _fields(selection_set, self.fragments)),
            default=0,
        )

    def aliases(self, selection_set: SelectionSetNode | None) -> int:
        return sum(
            (1 if f.alias is not None else 0) + self.aliases(f.selection_set)
            for f in _fields(selection_set, self.fragments)
        )

    def cost(self, selection_set: SelectionSetNode | None) -> int:
        total = 0
        for field in _fields(selection_set, self.fragments):
            inner = self.cost(field.selection_set)
            total += 1 + self.list_size(field) * inner
        return total

    def list_size(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value in ("first", "last"):
                return self._int(argument.value)
        return DEFAULT_LIST_SIZES.get(field.name.value, 1)

    def _int(self, node: Any) -> int:
        """A page size as asked: the literal, the variable's value, else the largest page."""
        value: Any = None
        if isinstance(node, IntValueNode):
            value = int(node.value)
        elif isinstance(node, VariableNode):
            value = self.variables.get(node.name.value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PAGE_SIZE:
            return max(value, 1)
        return MAX_PAGE_SIZE  # absent, out of range (refused later) or not an int


def limit_errors(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any] | None,
    limits: Limits,
) -> list[GraphQLError]:
    """The limits ``operation`` breaks, each as a coded error (empty when it is within all)."""
    measure = _Measure(fragments, variables or {})
    errors = []
    for code, name, limit, value in (
        (QUERY_TOO_DEEP, "depth", limits.max_depth, measure.depth(operation.selection_set)),
        (TOO_MANY_ALIASES, "aliases", limits.max_aliases, measure.aliases(operation.selection_set)),
        (QUERY_TOO_COMPLEX, "cost", limits.max_cost, measure.cost(operation.selection_set)),
    ):
        if value > limit:
            errors.append(
                GraphQLError(
                    f"the operation's {name} is {value}, over the limit of {limit}"
                    + (
                        ": ask for smaller pages (first/last) or fewer nested lists"
                        if code == QUERY_TOO_COMPLEX
                        else ""
                    ),
                    extensions={"code": code, "limit": limit, "value": value},
                )
            )
    return errors


def selected_operation(
    definitions: Sequence[Any], operation_name: str | None
) -> OperationDefinitionNode | None:
    """The operation a request runs (None when it names none the document has, or has
    several and names none: validation or the HTTP layer reports that)."""
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next(
        (o for o in operations if o.name is not None and o.name.value == operation_name), None
    )


class OperationLimits(SchemaExtension):
    """Refuses an operation over :class:`Limits` before it is validated or executed."""

    def __init__(self, limits: Limits) -> None:
        super().__init__()
        self.limits = limits

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            operation = selected_operation(document.definitions, context.operation_name)
            if operation is not None:
                fragments = {
                    d.name.value: d
                    for d in document.definitions
                    if isinstance(d, FragmentDefinitionNode)
                }
                errors = limit_errors(operation, fragments, context.variables, self.limits)
                if errors:
                    context.pre_execution_errors = errors  # validation is then skipped
        yield
