"""Running one operation: parse and validate through the caches, the input and cost limits,
then its plan (graphql-core's executor is built only to compile a plan on an operation's first
run, for resolver steps, and for what no plan serves) — without strawberry's
per-request machinery (its extension runner, execution context and result conversion), which
cost a quarter of a lookup's server CPU (py-spy, 2026-12-01) for two extensions whose work is
done here directly: `RequestGuard`'s checks and `CodedErrors`' codes and masking.

Strawberry's `Schema.execute` still answers what this path does not take on (no query text,
an operation it cannot name, anything but a query, an explicit list of allowed operation
types), so those keep exactly the answers they had.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    located_error,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.types import ExecutionResult

from schema.compiled.adapter import (
    GENERAL_EXECUTOR,
    Executor,
    VariableValues,
    build_executor,
    coerce_variables,
)
from schema.compiled.executor import CompiledExecutor, HandedBack, known_plan, run_plan
from schema.compiled.plan import OperationPlan, RootField
from schema.context import Context
from schema.errors import PublicError, coded

if TYPE_CHECKING:
    from schema.build import DetenteSchema


def _query_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """The operation to run when it is a query this path can name unambiguously, else None."""
    found = None
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        named = definition.name.value if definition.name is not None else None
        if operation_name is None or named == operation_name:
            if found is not None:
                return None  # several: graphql-core and strawberry word that error
            found = definition
    if found is None or found.operation is not OperationType.QUERY:
        return None
    return found


async def run_operation(
    schema: DetenteSchema,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    context: Any,
) -> ExecutionResult | None:
    """The operation's result, its errors coded and masked and logged; None when strawberry's
    own path must answer it (see the module's docstring)."""
    documents = schema.documents
    graphql_schema = schema._schema
    try:
        document = documents.parse(query)
        operation = _query_operation(document, operation_name)
        if operation is None:
            return None
        errors = documents.validate(graphql_schema, query, document, [])  # graphql-core's rules
        if not errors:
            documents.checked_cost(graphql_schema, query, document, variables, operation_name)
    except GraphQLError as error:  # unparsable, or over a limit
        return _finish(schema, None, [error], context)
    except Exception:  # a RecursionError, say: answered as strawberry's path answers it
        return None
    if errors:
        return _finish(schema, None, errors, context)
    executor_class = schema.execution_context_class or GENERAL_EXECUTOR

    def build(executor_class: type[Executor[Any]]) -> Executor[Any] | list[GraphQLError]:
        return build_executor(executor_class, graphql_schema, document, context, variables, operation_name)

    if issubclass(executor_class, CompiledExecutor) and isinstance(context, Context):
        coerced = coerce_variables(graphql_schema, operation, variables)
        if isinstance(coerced, list):  # variables that do not coerce to their types
            return _finish(schema, None, coerced, context)
        plan = known_plan(graphql_schema, operation, document.definitions, coerced)
        if plan is not None:
            compiled = executor_class

            def resolver_executor() -> CompiledExecutor:  # only if a root field is a resolver step
                built = build(compiled)
                assert isinstance(built, CompiledExecutor)  # the variables coerced already
                return built

            answered = await _planned(graphql_schema, plan, coerced, context, resolver_executor)
            if answered is not None:
                return _finish(schema, *answered, context)
            # Handed back: the general executor answers, without the plan.
            executor_class = GENERAL_EXECUTOR
    executor = build(executor_class)
    if isinstance(executor, list):  # variables that do not coerce to their types
        return _finish(schema, None, executor, context)
    result = executor.execute_operation()
    if isinstance(result, Awaitable):
        result = await result
    assert isinstance(result, GraphQLExecutionResult)  # no incremental delivery is enabled
    return _finish(schema, result.data, list(result.errors or ()), context)


async def _planned(
    schema: GraphQLSchema,
    plan: OperationPlan,
    variables: VariableValues,
    context: Context,
    build: Callable[[], CompiledExecutor],
) -> tuple[dict[str, Any] | None, list[GraphQLError]] | None:
    """A known plan run without graphql-core's executor, root fields' errors located and
    nulled as it does; the executor is built only for resolver steps (and keeps their errors,
    taken in order). None when handed back."""
    errors: list[GraphQLError] = []
    executor: CompiledExecutor | None = None
    taken = 0

    def take_resolver_errors() -> None:
        nonlocal taken
        if executor is not None:
            found = executor.collected()
            errors.extend(found[taken:])
            taken = len(found)

    def root_error(key: str, error: PublicError) -> None:
        root = plan.by_key[key]
        located = located_error(error, root.nodes, [key])
        if not root.nullable:
            raise located
        errors.append(located)

    async def resolve(root: RootField) -> Any:
        nonlocal executor
        if executor is None:
            executor = build()
        query = schema.query_type
        assert query is not None
        try:
            return await executor.resolve_root(query, root.key, root.details)
        finally:
            take_resolver_errors()

    try:
        return await run_plan(schema, plan, context, variables, root_error, resolve), errors
    except GraphQLError as error:  # a non-null root field's error nulls the whole data
        return None, [*errors, error]
    except HandedBack:
        return None


def _finish(
    schema: DetenteSchema, data: dict[str, Any] | None, errors: list[GraphQLError], context: Any
) -> ExecutionResult:
    if not errors:
        return ExecutionResult(data=data, errors=None)
    schema.log_errors(errors, context)
    return ExecutionResult(data=data, errors=coded(errors, getattr(context, "request_id", None)))
