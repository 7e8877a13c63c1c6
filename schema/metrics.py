"""The Metric type and its Observations: time series such as private AI investment by year."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

import strawberry

from db.aggregates import series_summary
from db.metrics import MetricFilter as DbMetricFilter
from db.metrics import ObservationFilter as DbObservationFilter
from db.paging import Row
from schema.aggregates import SeriesSummary
from schema.context import Context, Info
from schema.enums import Confidence, DatePrecision
from schema.errors import BadRequest
from schema.events import check_known
from schema.globalid import to_global_id
from schema.lists import ToOne, relation_field, to_one_field
from schema.node import Node
from schema.orders import ObservationOrder, SourceOrder
from schema.ranges import DateRange, date_range


@strawberry.input(description="Conditions on observations; every condition given must hold.")
class ObservationFilter:
    date: DateRange | None = strawberry.field(default=None, description="Observations dated in this range.")
    entity: list[str] | None = strawberry.field(
        default=None, description="Observations of any of these entities (actor slugs)."
    )

    def to_db(self) -> DbObservationFilter:
        date_from, date_to = date_range(self.date, "date")
        return DbObservationFilter(
            date_from=date_from, date_to=date_to, entity_slugs=tuple(self.entity or ())
        )


async def _observation_filter(context: Context, f: ObservationFilter | None) -> DbObservationFilter | None:
    return f.to_db() if f is not None else None


@strawberry.input(description="Conditions on metrics; every condition given must hold.")
class MetricFilter:
    entity: list[str] | None = strawberry.field(
        default=None, description="Metrics with observations for any of these entities (actor slugs)."
    )
    search: str | None = strawberry.field(
        default=None, description="Substring of the metric's name, description or slug."
    )

    async def to_db(self, context: Context) -> DbMetricFilter:
        if self.search is not None and not self.search.strip():
            raise BadRequest("search must not be empty")
        if self.entity:
            await check_known(context, "actor", set(self.entity), "entity")
        return DbMetricFilter(entity_slugs=tuple(self.entity or ()), search=self.search)


@strawberry.type(description="One value of a metric, for one entity at one date, with its source.")
class Observation(Node):
    metric_pk: strawberry.Private[int]
    entity_pk: strawberry.Private[int]
    source_pk: strawberry.Private[int]
    date: dt.date = strawberry.field(
        description="The date the value is for; read with `datePrecision` (a yearly value is "
        "dated 1 January)."
    )
    date_precision: DatePrecision = strawberry.field(description="How exactly `date` is known.")
    value: float = strawberry.field(description="The value, in the metric's unit.")
    confidence: Confidence = strawberry.field(description="How sure the dataset is of this value.")
    note: str | None = strawberry.field(description="Revisions, caveats, disagreements.")

    id_columns: ClassVar[tuple[str, ...]] = ("metric_slug", "entity_slug", "date")

    @classmethod
    def global_id_of(cls, row: Row) -> strawberry.ID:
        key = f"{row['metric_slug']}/{row['entity_slug']}/{row['date'].isoformat()}"
        return strawberry.ID(to_global_id("Observation", key))

    entity = to_one_field(
        ToOne("actor", "entity_id"),
        "entity_pk",
        ("schema.actors", "Actor"),
        "What the value is of (usually a country).",
    )
    source = to_one_field(
        ToOne("source", "source_id"), "source_pk", ("schema.sources", "Source"), "The source of this value."
    )
    metric = to_one_field(
        ToOne("metric", "metric_id"),
        "metric_pk",
        ("schema.metrics", "Metric"),
        "The metric this is a value of.",
    )


@strawberry.type(description="A measured quantity, observed over time for one or more entities.")
class Metric(Node):
    pk: strawberry.Private[int]
    slug: str = strawberry.field(description="Stable, human-readable identifier.")
    name: str = strawberry.field(description="Name of the metric.")
    description: str = strawberry.field(description="What is measured, and how.")
    unit: str = strawberry.field(description="What one unit of `value` means, e.g. USD billions.")

    observations = relation_field(
        "metric.observations",
        ("schema.metrics", "Observation"),
        "The values of this metric, oldest first by default.",
        order=ObservationOrder,
        filter_type=ObservationFilter,
        filter_description="Only observations matching this.",
        convert=_observation_filter,
    )

    @strawberry.field(
        description="First and latest value, change, percent change, min and max of this "
        "metric for one entity over a date range; null when it has no observations there."
    )
    async def summary(
        self,
        info: Info,
        entity: Annotated[str, strawberry.argument(description="The entity's actor slug.")],
        date: Annotated[
            DateRange | None, strawberry.argument(description="Only observations in this range.")
        ] = None,
    ) -> SeriesSummary | None:
        date_from, date_to = date_range(date, "date")
        row = await series_summary(info.context.pool, self.pk, entity, date_from, date_to)
        return SeriesSummary.from_row(row) if row else None

    sources = relation_field(
        "metric.sources",
        ("schema.sources", "Source"),
        "The sources that define this metric.",
        order=SourceOrder,
    )
