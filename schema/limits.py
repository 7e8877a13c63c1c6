"""Every limit a GraphQL request is held to, defined once with its default and its meaning.

The HTTP layer's limits (body sizes, timeouts, connections) are in `api/settings.py`; these are
the ones the schema enforces. Each can be set from the environment under its name in capitals
(`MAX_COST=50000`; `api.settings.limits_from_environment`); the README's Limits table lists
them, and a test holds the table to these definitions.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# A parsed document holds about 120 bytes of syntax tree per character of a dense query
# (measured with tracemalloc on 150 aliased connections); caches of documents weigh them so.
AST_BYTES_PER_CHAR = 120


class QueryLimits(BaseModel):
    model_config = ConfigDict(frozen=True)

    max_depth: int = Field(
        10, ge=1, description="Nesting of fields in one operation (introspection not counted)."
    )
    max_cost: int = Field(
        100_000,
        ge=1,
        description="Objects a query may return: each connection's `first`/`last` (default 20) and each "
        "list of ids multiplies the cost of what is selected under it.",
    )
    max_aliases: int = Field(30, ge=1, description="Aliases in one document.")
    max_tokens: int = Field(2000, ge=1, description="Lexical tokens in one document.")
    max_document_bytes: int = Field(
        65_536,
        ge=1,
        description="Length of a document (UTF-8 bytes); a longer one is refused before parsing.",
    )
    max_expanded_fields: int = Field(
        5_000,
        ge=1,
        description="Fields in an operation once every fragment spread is expanded (spreads that fan out "
        "are small on the wire and exponential when expanded).",
    )
    max_list_items: int = Field(
        100,
        ge=1,
        description="Items in any one list input (an `or`, `ids`, an enum list), inline or in variables.",
    )
    max_input_depth: int = Field(
        16, ge=1, description="Nesting of an input value (objects and lists inside each other)."
    )
    max_search_chars: int = Field(
        200, ge=1, description="Characters in a `search` string, root or in a filter."
    )
    max_string_chars: int = Field(
        1_000, ge=1, description="Characters in any other string input (slugs, ids, cursors, dates)."
    )
    document_cache_entries: int = Field(
        1_024, ge=1, description="Documents kept parsed, validated and planned (each cache)."
    )
    document_cache_bytes: int = Field(
        64 * 2**20,
        ge=1,
        description=f"Bytes each document cache may hold ({AST_BYTES_PER_CHAR} bytes a document character).",
    )


DEFAULT_LIMITS = QueryLimits()
