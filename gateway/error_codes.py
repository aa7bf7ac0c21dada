"""Give every GraphQL error an ``extensions.code``, and hide internal failures' details.

Our own refusals (:class:`~gateway.errors.GatewayError`) carry their code already. Every other
error is classified by where it arose:

* the query text does not parse                              -> ``GRAPHQL_PARSE_FAILED``
* a value does not fit its type (enum, scalar, input field),
  in the query text or in the variables                      -> ``BAD_USER_INPUT``
* the query does not fit the schema otherwise                -> ``GRAPHQL_VALIDATION_FAILED``
* a resolver could not reach the read-model database
  (refused, reset, timed out, pool closed)                   -> ``UNAVAILABLE``
  (a mutation's own field reports the write side's outage itself, see
  :mod:`gateway.resolvers.commands`)
* anything that fails inside a resolver and is not ours      -> ``INTERNAL_SERVER_ERROR``,
  its message replaced (it may name tables or hosts) by one carrying an error id; the full
  error goes to the log under the same id, so support can find it.

A value that does not fit its type also gets ``extensions.field``: the argument path of a
literal in the query text (``input.quantity``), or the variable and the path inside it
(``input.quantity`` for ``$input``). Messages are cut to :data:`MAX_MESSAGE` characters,
because graphql-core appends the offending value (``found: '999…'``) verbatim.

Values in the query text are checked by graphql-core's ``ValuesOfCorrectTypeRule`` during
validation; we swap in a subclass that tags its errors, so an unknown enum value gets the same
code whether it was written inline or sent as a variable.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import asyncpg
from graphql import (
    SKIP,
    ArgumentNode,
    GraphQLError,
    ObjectFieldNode,
    ValueNode,
    ValuesOfCorrectTypeRule,
    VisitorAction,
)
from graphql.utilities.validate_input_value import validate_input_literal
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from events.store import StoreUnavailable
from gateway.errors import (
    BAD_USER_INPUT,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
    UNAVAILABLE,
)

log = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "internal server error; the gateway log has the details"
UNAVAILABLE_MESSAGE = (
    "the read-model database is unreachable; nothing was read, try again when it is back"
)
MAX_MESSAGE = 500

DATABASE_UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, no route (ConnectionError is one)
    TimeoutError,  # connect or command timeout
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.CannotConnectNowError,  # server starting up or shutting down
    asyncpg.InterfaceError,  # pool closing, connection closed under us
    StoreUnavailable,
)
"""Failures of a query resolver that mean "the database is not there", not "a bug"."""

_VARIABLE_PATH = re.compile(r"Variable '\$(\w+)' has invalid value(?: at ((?:\.\w+|\[\d+\])+))?")


def _argument_path(ancestors: Sequence[Any]) -> list[str]:
    """Names of the arguments and input fields enclosing a literal: ``["input"]``."""
    return [
        node.name.value for node in ancestors if isinstance(node, ArgumentNode | ObjectFieldNode)
    ]


def _printed(path: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in path)


class _ValuesOfCorrectTypeWithCode(ValuesOfCorrectTypeRule):
    """Tags literal errors with ``BAD_USER_INPUT`` and the literal's path (``input.quantity``).

    graphql-core checks a whole literal from the outermost value node it enters, passing the
    path inside that value to its error callback but dropping it before ``report_error``; so
    each ``enter_*`` hook stashes the enclosing argument names and :meth:`is_valid_value_node`
    (the same check as the library's) keeps the inner path.
    """

    _outer: Sequence[str] = ()

    def is_valid_value_node(self, node: ValueNode, input_type: Any) -> VisitorAction:
        if input_type:

            def on_error(error: GraphQLError, path: list[str | int]) -> None:
                extensions = dict(error.extensions or {})
                extensions.setdefault("code", BAD_USER_INPUT)
                field = _printed([*self._outer, *path])
                if field:
                    extensions.setdefault("field", field)
                error.extensions = extensions
                self.report_error(_bounded(error))

            validate_input_literal(
                node, input_type, on_error, None, None, self.context.hide_suggestions
            )
        return SKIP


def _stashing(name: str) -> Any:
    inherited = getattr(ValuesOfCorrectTypeRule, name)

    def enter(
        self: _ValuesOfCorrectTypeWithCode,
        node: ValueNode,
        key: Any = None,
        parent: Any = None,
        path: Any = None,
        ancestors: Sequence[Any] = (),
    ) -> VisitorAction:
        self._outer = _argument_path([*ancestors, parent])
        return inherited(self, node, key, parent, path, ancestors)

    enter.__name__ = name
    return enter


for _kind in ("null", "list", "object", "enum", "int", "float", "string", "boolean"):
    setattr(
        _ValuesOfCorrectTypeWithCode,
        f"enter_{_kind}_value",
        _stashing(f"enter_{_kind}_value"),
    )


class ErrorCodes(SchemaExtension):
    """Schema extension implementing the classification in the module docstring."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            _ValuesOfCorrectTypeWithCode if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        )
        self._phase = "execution"
        yield
        result = context.result
        if result is None:
            return
        errors = [self._with_code(error) for error in result.errors or ()]
        # Errors a resolver reported beside the data it returned (a rejected order).
        errors += getattr(context.context, "reported_errors", None) or []
        result.errors = errors or None

    def on_parse(self) -> Iterator[None]:
        yield
        if self.execution_context.pre_execution_errors:
            self._phase = "parse"

    def on_validate(self) -> Iterator[None]:
        yield
        if self.execution_context.pre_execution_errors:
            self._phase = "validation"

    def _reads(self, error: GraphQLError) -> bool:
        """Whether the failed field reads the read models: every field but a mutation's root
        field, which calls the write side's port (whose outage arrives as ``StoreUnavailable``,
        translated by the resolver; any other failure of the port stays internal)."""
        is_mutation = self.execution_context.operation_type is OperationType.MUTATION
        return not (is_mutation and error.path is not None and len(error.path) == 1)

    def _with_code(self, error: GraphQLError) -> GraphQLError:
        if error.path is None:
            _name_variable_field(error)
        if "code" in (error.extensions or {}):
            return _bounded(error)
        if self._phase == "parse":
            return _coded(error, GRAPHQL_PARSE_FAILED)
        if self._phase == "validation":
            return _coded(error, GRAPHQL_VALIDATION_FAILED)
        if error.path is None:
            # Execution-phase errors outside any field: variable values that do not coerce.
            return _bounded(_coded(error, BAD_USER_INPUT))
        if isinstance(error.original_error, DATABASE_UNREACHABLE) and self._reads(error):
            return GraphQLError(
                UNAVAILABLE_MESSAGE,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": UNAVAILABLE},
            )
        if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
            error_id = getattr(error, "quantvista_error_id", None) or uuid.uuid4().hex[:16]
            return GraphQLError(
                f"{INTERNAL_ERROR_MESSAGE} (error id {error_id})",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": INTERNAL_SERVER_ERROR, "errorId": error_id},
            )
        return _coded(error, INTERNAL_SERVER_ERROR)


def _name_variable_field(error: GraphQLError) -> None:
    """Add ``field`` (``input.quantity``) to an error about a value in the variables.

    graphql-core keeps that path only in the message it writes
    (``Variable '$input' has invalid value at .quantity: …``), so it is read from there.
    """
    match = _VARIABLE_PATH.match(error.message)
    if match is not None and "field" not in (error.extensions or {}):
        inner = (match[2] or "").replace("[", ".").replace("]", "")
        error.extensions = {**(error.extensions or {}), "field": match[1] + inner}


def _bounded(error: GraphQLError) -> GraphQLError:
    """The error with its message cut to :data:`MAX_MESSAGE` characters (module doc)."""
    if len(error.message) <= MAX_MESSAGE:
        return error
    error.message = f"{error.message[:MAX_MESSAGE]}... ({len(error.message)} characters)"
    return error


def _coded(error: GraphQLError, code: str) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code}
    return error
