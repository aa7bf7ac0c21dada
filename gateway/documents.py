"""Parsed and validated documents, cached: clients send the same few query texts again and
again, and re-parsing and re-validating them took about half of the gateway's CPU (FACTS.md).

:func:`parse_document` is shared by the HTTP layer (which looks at a document's operations
before running it) and by :class:`DocumentCache`, the schema extension that hands the cached
document and validation result to each execution. A document that does not parse is not
cached; the schema then parses it itself and reports the syntax error as usual.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from graphql import DocumentNode, GraphQLError, parse, validate
from strawberry.extensions import SchemaExtension
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule

MAX_TOKENS = 5_000
"""Most lexical tokens in one document: far above any real query, far below a hostile one."""
CACHED_DOCUMENTS = 512


@lru_cache(maxsize=CACHED_DOCUMENTS)
def parse_document(query: str) -> DocumentNode:
    """The parsed document (raises ``GraphQLError`` on a syntax error or too many tokens)."""
    return parse(query, max_tokens=MAX_TOKENS)


@lru_cache(maxsize=CACHED_DOCUMENTS)
def _validation_errors(schema: object, document: DocumentNode, rules: tuple) -> list[GraphQLError]:  # type: ignore[type-arg]
    return validate(
        schema,  # type: ignore[arg-type]
        document,
        (*rules, MaybeNullValidationRule, OneOfInputValidationRule),
    )


class DocumentCache(SchemaExtension):
    """Parse and validate each distinct document once (Strawberry's parser and validation
    caches, with our token bound, and leaving alone an operation another extension has
    already refused)."""

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            try:
                context.graphql_document = parse_document(context.query)
            except GraphQLError:
                # Left to the schema, which reports it with its usual handling — under the
                # same token bound.
                context.parse_options["max_tokens"] = MAX_TOKENS
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.pre_execution_errors is None and context.graphql_document is not None:
            context.pre_execution_errors = list(
                _validation_errors(
                    context.schema._schema,
                    context.graphql_document,
                    tuple(context.validation_rules),
                )
            )
        yield
