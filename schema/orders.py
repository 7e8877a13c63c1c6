"""How each list can be ordered. Every ordering ends with the row's id, so it is total and
cursors stay valid; each value names a db ordering of the same name."""

from __future__ import annotations

from enum import Enum

import strawberry

V = strawberry.enum_value


@strawberry.enum(description="How to order a list of events. Ties break on the event's id.")
class EventOrder(Enum):
    DATE_DESC = V("DATE_DESC", description="Newest first (the default).")
    DATE_ASC = V("DATE_ASC", description="Oldest first.")
    TITLE_ASC = V("TITLE_ASC", description="By title, A to Z.")
    SIGNIFICANCE_DESC = V("SIGNIFICANCE_DESC", description="Most significant first, then newest.")
    COOPERATION_SCORE_ASC = V("COOPERATION_SCORE_ASC", description="Most competitive first, then oldest.")
    COOPERATION_SCORE_DESC = V("COOPERATION_SCORE_DESC", description="Most cooperative first, then newest.")


@strawberry.enum(description="How to order a list of policies. Ties break on the policy's id.")
class PolicyOrder(Enum):
    ANNOUNCED_DESC = V("ANNOUNCED_DESC", description="Newest first (the default); undated last.")
    ANNOUNCED_ASC = V("ANNOUNCED_ASC", description="Oldest first; undated first.")
    TITLE_ASC = V("TITLE_ASC", description="By title, A to Z.")


@strawberry.enum(description="How to order a list of actors. Ties break on the actor's id.")
class ActorOrder(Enum):
    NAME_ASC = V("NAME_ASC", description="By name, A to Z (the default).")
    NAME_DESC = V("NAME_DESC", description="By name, Z to A.")


@strawberry.enum(description="How to order a list of sources. Ties break on the source's id.")
class SourceOrder(Enum):
    TITLE_ASC = V("TITLE_ASC", description="By title, A to Z (the default).")
    PUBLISHED_DESC = V("PUBLISHED_DESC", description="Newest first; undated last.")


@strawberry.enum(description="How to order a list of metrics or topics. Ties break on the id.")
class NameOrder(Enum):
    NAME_ASC = V("NAME_ASC", description="By name, A to Z (the default).")
    NAME_DESC = V("NAME_DESC", description="By name, Z to A.")


@strawberry.enum(description="How to order a metric's observations.")
class ObservationOrder(Enum):
    DATE_ASC = V("DATE_ASC", description="Oldest first (the default), as a time series reads.")
    DATE_DESC = V("DATE_DESC", description="Newest first.")


def order_name(order: Enum | None) -> str | None:
    return str(order.value) if order is not None else None
