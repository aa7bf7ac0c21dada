"""Give every GraphQL error an ``extensions.code``, and hide internal failures' details.

Our own refusals (:class:`~gateway.errors.GatewayError`) carry their code already. Every other
error is classified by where it arose:

* the query text does not parse                              -> ``GRAPHQL_PARSE_FAILED``
* a value does not fit its type (enum, scalar, input field),
  in the query text or in the variables                      -> ``BAD_USER_INPUT``
* the query does not fit the schema otherwise                -> ``GRAPHQL_VALIDATION_FAILED``
* anything that fails inside a resolver and is not ours      -> ``INTERNAL_SERVER_ERROR``,
  its message replaced (it may name tables or hosts); the full error goes to the log.

Values in the query text are checked by graphql-core's ``ValuesOfCorrectTypeRule`` during
validation; we swap in a subclass that tags its errors, so an unknown enum value gets the same
code whether it was written inline or sent as a variable.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension

from gateway.errors import (
    BAD_USER_INPUT,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
)

log = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "internal server error; the gateway log has the details"


class _ValuesOfCorrectTypeWithCode(ValuesOfCorrectTypeRule):
    def report_error(self, error: GraphQLError) -> None:
        if "code" not in (error.extensions or {}):
            error.extensions = {**(error.extensions or {}), "code": BAD_USER_INPUT}
        super().report_error(error)


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
        if result is not None and result.errors:
            result.errors = [self._with_code(error) for error in result.errors]

    def on_parse(self) -> Iterator[None]:
        yield
        if self.execution_context.pre_execution_errors:
            self._phase = "parse"

    def on_validate(self) -> Iterator[None]:
        yield
        if self.execution_context.pre_execution_errors:
            self._phase = "validation"

    def _with_code(self, error: GraphQLError) -> GraphQLError:
        if "code" in (error.extensions or {}):
            return error
        if self._phase == "parse":
            return _coded(error, GRAPHQL_PARSE_FAILED)
        if self._phase == "validation":
            return _coded(error, GRAPHQL_VALIDATION_FAILED)
        if error.path is None:
            # Execution-phase errors outside any field: variable values that do not coerce.
            return _coded(error, BAD_USER_INPUT)
        if error.original_error is not None and not isinstance(error.original_error, GraphQLError):
            return GraphQLError(
                INTERNAL_ERROR_MESSAGE,
                nodes=error.nodes,
                path=error.path,
                extensions={"code": INTERNAL_SERVER_ERROR},
            )
        return _coded(error, INTERNAL_SERVER_ERROR)


def _coded(error: GraphQLError, code: str) -> GraphQLError:
    error.extensions = {**(error.extensions or {}), "code": code}
    return error
