"""The checks every document passes before it runs: its length, parsing (cached), validation
(cached), the size and shape of its inputs, and its expanded size, depth and cost.

Both caches are bounded by entries and bytes and keyed by the document's text; an answer to a
document that failed is never kept, so unparsable or invalid text cannot fill them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, specified_rules, validate
from strawberry.extensions import SchemaExtension

from schema.bounded import BoundedCache
from schema.cost import LimitError, check_inputs, operation_cost, shape_rule
from schema.limits import AST_BYTES_PER_CHAR, QueryLimits


class Documents:
    """Parsed and validated documents of one schema, by text."""

    def __init__(self, limits: QueryLimits) -> None:
        self.limits = limits
        self.shape_rule = shape_rule(limits)
        self.parsed: BoundedCache[str, DocumentNode] = BoundedCache(
            limits.document_cache_entries, limits.document_cache_bytes, "parser"
        )
        self.valid: BoundedCache[str, bool] = BoundedCache(
            limits.document_cache_entries, limits.document_cache_bytes, "validation"
        )
        # The measures depend on the variables too (page sizes, id lists): kept per document,
        # operation and variables. Clients repeat the same few (a REST route, a page of 50), and
        # measuring costs ~0.15 ms a request (cProfile of the page of 50).
        self.measured: BoundedCache[bytes, int] = BoundedCache(
            limits.document_cache_entries, limits.document_cache_bytes, "measures"
        )

    def checked_cost(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> int:
        """The operation's cost once its inputs and its cost pass their limits (check_inputs,
        then operation_cost; raises their LimitError; its size, aliases and depth are held to
        theirs by validation, `shape_rule`), remembered for passing operations: the same
        document, operation and variables pass again."""
        try:
            key = orjson.dumps([query, operation_name, variables], option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a variable orjson cannot write: measured every time
            return self._measure(schema, document, variables, operation_name)
        cost = self.measured.get(key)
        if cost is None:
            cost = self._measure(schema, document, variables, operation_name)
            self.measured.put(key, cost, 2 * len(key))
        return cost

    def _measure(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        variables: dict[str, Any] | None,
        operation_name: str | None,
    ) -> int:
        check_inputs(document, variables, self.limits)
        return operation_cost(schema, document, variables, operation_name, self.limits)

    def check_length(self, query: str) -> None:
        size = len(query.encode("utf-8", "surrogatepass"))
        if size > self.limits.max_document_bytes:
            raise LimitError(
                f"the document is {size} bytes long, over the limit of {self.limits.max_document_bytes}",
                "QUERY_TOO_LARGE",
                bytes=size,
                limit=self.limits.max_document_bytes,
            )

    def parse(self, query: str) -> DocumentNode:
        """The document for `query`; raises a GraphQLError (syntax, length, tokens)."""
        document = self.parsed.get(query)
        if document is None:
            self.check_length(query)
            try:
                document = parse(query, max_tokens=self.limits.max_tokens)
            except GraphQLError as error:
                # Raised from the parse hook, the error misses the coding step: code it here.
                error.extensions = {"code": "GRAPHQL_PARSE_FAILED", **(error.extensions or {})}
                raise
            self.parsed.put(query, document, len(query) * AST_BYTES_PER_CHAR)
        return document

    def validate(
        self, schema: GraphQLSchema, query: str, document: DocumentNode, rules: list[type]
    ) -> list[GraphQLError]:
        if self.valid.get(query):
            return []
        errors = validate(schema, document, list(dict.fromkeys([*specified_rules, *rules, self.shape_rule])))
        if not errors:
            self.valid.put(query, True, 2 * len(query))
        return errors


class RequestGuard(SchemaExtension):
    """Parses and validates through the caches, then applies the input, size, depth and cost
    limits; a refusal names the limit and the value found, with a stable code."""

    def __init__(self, documents: Documents) -> None:
        super().__init__()
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            context.graphql_document = self.documents.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None and context.query is not None:
            schema = context.schema._schema
            errors = self.documents.validate(schema, context.query, document, list(context.validation_rules))
            if not errors:
                try:
                    self.documents.checked_cost(
                        schema, context.query, document, context.variables, context.operation_name
                    )
                except LimitError as error:
                    errors = [error]
            context.pre_execution_errors = errors
        yield
