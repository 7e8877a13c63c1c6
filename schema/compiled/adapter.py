"""Every graphql-core and strawberry internal the compiled executor leans on, in one place.

graphql-core's public API does not offer a hook for running the root fields of an operation
another way, nor the field collection it uses; these are internals of graphql-core 3.3
(`ExecutionContext.execute_collected_root_fields`, `execute_field`, `collected_errors`,
`collect_subfields`, `get_argument_values`, `get_variable_values`, `handle_field_error`) and
of strawberry (its execution context class, its awaitable check, `convert_arguments` and the
leaf-type tests it makes).
Both libraries are pinned in pyproject.toml to the versions tests/schema/test_adapter.py checks:
a release that renames or reshapes one of these fails that test instead of silently turning
every query back to the general executor.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeGuard, cast

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
)
from graphql.execution.collect_fields import (
    DeferUsage,
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_subfields,
)
from graphql.execution.executor import Executor
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Path
from strawberry.execution import optimized_is_awaitable
from strawberry.relay.types import GlobalID
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import _is_leaf_type, _is_optional_leaf_type, convert_arguments
from strawberry.types.field import StrawberryField

__all__ = [
    "GENERAL_EXECUTOR",
    "MAX_COERCION_ERRORS",
    "Executor",
    "FieldDetailsList",
    "FragmentDetails",
    "GroupedFieldSet",
    "RootFieldsHook",
    "VariableValues",
    "build_executor",
    "coerce_variables",
    "leaf_arguments",
    "python_arguments",
    "subfields",
]

# The versions this module is written against (tests/schema/test_adapter.py compares them
# with what is installed, and pyproject.toml pins the same).
GRAPHQL_CORE_VERSION = "3.3.2"
STRAWBERRY_VERSION = "0.341.2"


def subfields(
    schema: GraphQLSchema,
    fragments: dict[str, FragmentDetails],
    variables: VariableValues,
    operation: OperationDefinitionNode,
    type_: GraphQLObjectType,
    details: FieldDetailsList,
) -> dict[str, FieldDetailsList]:
    """The selections under `details` on `type_`, by response key, fragments merged."""
    return collect_subfields(schema, fragments, variables, operation, type_, details).grouped_field_set


# graphql-core's executor as strawberry runs it (its resolve info), without plans.
GENERAL_EXECUTOR = StrawberryGraphQLCoreExecutionContext
MAX_COERCION_ERRORS = 50  # graphql-core's default, which strawberry's path keeps
# strawberry's quicker awaitable check (what its path hands graphql-core), typed as graphql-core asks.
_IS_AWAITABLE = cast("Callable[[Any], TypeGuard[Awaitable[Any]]]", optimized_is_awaitable)


def coerce_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, raw: dict[str, Any] | None
) -> VariableValues | list[GraphQLError]:
    """The operation's variables coerced to their types, as graphql-core's executor coerces
    them, or the errors of those that do not coerce."""
    return get_variable_values(
        schema, operation.variable_definitions or (), raw or {}, max_errors=MAX_COERCION_ERRORS
    )


def build_executor(
    executor_class: type[Executor[Any]],
    schema: GraphQLSchema,
    document: DocumentNode,
    context: Any,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> Executor[Any] | list[GraphQLError]:
    """graphql-core's executor for the operation (or the errors of variables that do not
    coerce), built as strawberry's path builds it."""
    return executor_class.build(
        schema, document, None, context, variables, operation_name, is_awaitable=_IS_AWAITABLE
    )


def leaf_arguments(schema: GraphQLSchema, strawberry_field: StrawberryField) -> dict[str, str]:
    """GraphQL name -> Python name of the field's arguments whose value strawberry passes on as
    graphql-core coerced it (scalars other than GlobalID, optional or not): no conversion."""
    converter = schema._strawberry_schema.schema_converter  # type: ignore[attr-defined]
    registry, names = converter.scalar_registry, converter.config.name_converter
    return {
        names.from_argument(argument): argument.python_name
        for argument in strawberry_field.arguments
        if _is_leaf_type(argument.type, registry, skip_classes=(GlobalID,))
        or _is_optional_leaf_type(argument.type, registry, skip_classes=(GlobalID,))
    }


def python_arguments(
    schema: GraphQLSchema,
    definition: GraphQLField,
    node: FieldNode,
    strawberry_field: StrawberryField,
    variables: VariableValues,
    leaves: dict[str, str],
) -> dict[str, Any]:
    """A field's arguments as its resolver would receive them (strawberry's Python values).
    `leaves` (from leaf_arguments) are renamed only; strawberry converts the others (its
    conversion cost 7% of a page's CPU when every argument was a leaf)."""
    raw = get_argument_values(definition, node, variables)
    if all(name in leaves for name in raw):
        return {leaves[name]: value for name, value in raw.items()}
    converter = schema._strawberry_schema.schema_converter  # type: ignore[attr-defined]
    return convert_arguments(
        raw, strawberry_field.arguments, scalar_registry=converter.scalar_registry, config=converter.config
    )


class RootFieldsHook(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context with the root fields' execution handed to `run_root`,
    which returns the data (or an awaitable of it), or None to let graphql-core run them."""

    def run_root(self, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Any:
        return None

    def execute_collected_root_fields(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: GroupedFieldSet,
        serially: bool,
        new_defer_usages: Sequence[DeferUsage],
    ) -> Any:
        result = None
        if not serially and not new_defer_usages:
            result = self.run_root(root_type, grouped_field_set)
        if result is None:
            return super().execute_collected_root_fields(
                root_type, root_value, grouped_field_set, serially, new_defer_usages
            )
        return result

    async def general(self, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet) -> Any:
        """The root fields run by graphql-core's general executor."""
        result = super().execute_collected_root_fields(
            root_type, self.root_value, grouped_field_set, False, ()
        )
        if isinstance(result, Awaitable):
            return await result
        return result

    async def resolve_root(self, root_type: GraphQLObjectType, key: str, details: FieldDetailsList) -> Any:
        """One root field resolved (and completed) by graphql-core, its errors recorded as for
        any field of the operation: a resolver step inside a plan."""
        value = self.execute_field(root_type, self.root_value, details, Path(None, key, root_type.name), None)
        if isinstance(value, Awaitable):
            return await value
        return value

    def collected(self) -> list[GraphQLError]:
        """The field errors recorded so far, in order."""
        return self.collected_errors.errors

    def root_field_error(
        self, root_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet, key: str, error: Exception
    ) -> None:
        """Records a root field's error as graphql-core does (located at the field, with its
        path); raises the located error when the field cannot be null."""
        details = grouped_field_set[key]
        definition = root_type.fields[details[0].node.name.value]
        self.handle_field_error(error, definition.type, details, Path(None, key, root_type.name))
