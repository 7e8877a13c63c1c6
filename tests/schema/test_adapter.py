"""The graphql-core and strawberry internals in schema/compiled/adapter.py are still there, in
the versions pinned, and the hook into graphql-core's execution fires."""

from __future__ import annotations

import importlib.metadata
from typing import Any

import asyncpg
from graphql import GraphQLObjectType, OperationDefinitionNode, parse

from api.database import create_pool
from api.settings import Settings
from schema.build import build_schema
from schema.compiled import adapter
from schema.compiled.adapter import GroupedFieldSet, RootFieldsHook
from schema.compiled.executor import STATS, CompiledExecutor
from schema.context import new_context


def test_the_installed_libraries_are_the_versions_the_adapter_is_written_for() -> None:
    assert importlib.metadata.version("graphql-core") == adapter.GRAPHQL_CORE_VERSION
    assert importlib.metadata.version("strawberry-graphql") == adapter.STRAWBERRY_VERSION


def test_the_hook_overrides_a_method_graphql_core_still_has() -> None:
    # A renamed hook would leave the override uncalled and every query on the general executor.
    for name in ("execute_collected_root_fields", "handle_field_error"):
        defined = [c for c in RootFieldsHook.__mro__[1:] if name in vars(c)]
        assert defined and defined[0].__module__.startswith("graphql."), (name, defined)
    assert issubclass(CompiledExecutor, RootFieldsHook)


async def test_the_hook_fires_and_the_plan_answers(release_url: str, settings: Settings) -> None:
    calls: list[list[str]] = []

    class Recording(CompiledExecutor):
        def run_root(self, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Any:
            calls.append(list(grouped_field_set))
            return super().run_root(root_type, grouped_field_set)

    schema = build_schema()
    schema.execution_context_class = Recording
    pool: asyncpg.Pool = await create_pool(release_url, settings)
    try:
        compiled = STATS.compiled
        result = await schema.execute(
            "{ first: events(first: 1) { nodes { slug } } __typename }",
            context_value=new_context(pool, "t"),
        )
    finally:
        await pool.close()
    assert result.errors is None and result.data is not None
    assert len(result.data["first"]["nodes"]) == 1 and result.data["__typename"] == "Query"
    assert calls == [["first", "__typename"]]
    assert STATS.compiled == compiled + 1


def test_leaf_arguments_are_those_strawberry_passes_on_unconverted() -> None:
    schema = build_schema()._schema
    events = schema.query_type.fields["events"] if schema.query_type else None
    assert events is not None
    leaves = adapter.leaf_arguments(schema, events.extensions["strawberry-definition"])
    # Scalars and enums (graphql-core hands over the Python enum member) pass unconverted.
    assert {"first", "after", "last", "before", "orderBy", "search"} <= set(leaves)
    assert "filter" not in leaves  # an input type: strawberry builds its dataclass


def test_the_executor_internals_the_adapter_reaches_are_there() -> None:
    # schema/execution.py builds executors, coerces variables and reads errors only through it.
    schema = build_schema()._schema
    document = parse("query($n: Int) { events(first: $n) { totalCount } }")
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    coerced = adapter.coerce_variables(schema, operation, {"n": 3})
    assert not isinstance(coerced, list) and coerced.coerced == {"n": 3}
    refused = adapter.coerce_variables(schema, operation, {"n": "three"})
    assert isinstance(refused, list) and "Int cannot represent" in refused[0].message
    built = adapter.build_executor(CompiledExecutor, schema, document, None, {"n": 3}, None)
    assert isinstance(built, CompiledExecutor) and built.collected() == []
    assert callable(built.execute_field) and issubclass(adapter.GENERAL_EXECUTOR, adapter.Executor)
