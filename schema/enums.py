"""Every closed vocabulary of the model, as a GraphQL enum with a description per value."""

from __future__ import annotations

from enum import Enum

import strawberry

V = strawberry.enum_value


@strawberry.enum(description="How exactly a date is known: a day, a month, or only a year.")
class DatePrecision(Enum):
    DAY = V("DAY", description="Known to the day.")
    MONTH = V("MONTH", description="Known to the month; the date is the month's first day.")
    YEAR = V("YEAR", description="Known to the year; the date is 1 January of that year.")


@strawberry.enum(description="Where an event or policy sits on the cooperation–competition axis.")
class Stance(Enum):
    COOPERATIVE = V("COOPERATIVE", description="Brings the US and China to work together.")
    COMPETITIVE = V("COMPETITIVE", description="Sets them against each other.")
    MIXED = V("MIXED", description="Both at once, e.g. a renewal that also narrows scope.")
    NEUTRAL = V("NEUTRAL", description="No bearing on the two working together.")


@strawberry.enum(description="How sure the dataset is of a record.")
class Confidence(Enum):
    CONFIRMED = V("CONFIRMED", description="A primary source or two independent sources.")
    SINGLE_SOURCE = V("SINGLE_SOURCE", description="One secondary source only.")
    REPORTED = V("REPORTED", description="A claim the curators could not confirm; see its source.")
    DISPUTED = V("DISPUTED", description="Sources disagree; the confidence note says how.")


@strawberry.enum(description="What kind of actor this is.")
class ActorKind(Enum):
    STATE = V("STATE", description="A sovereign state or territory.")
    GOVERNMENT_BODY = V("GOVERNMENT_BODY", description="A ministry, department or agency.")
    LEGISLATURE = V("LEGISLATURE", description="A parliament, congress or one of its chambers.")
    REGULATOR = V("REGULATOR", description="A body that writes or enforces rules.")
    MILITARY = V("MILITARY", description="Armed forces or a defence body.")
    COMPANY = V("COMPANY", description="A business.")
    RESEARCH_ORGANISATION = V("RESEARCH_ORGANISATION", description="A university or lab.")
    MULTILATERAL_BODY = V("MULTILATERAL_BODY", description="The UN, the EU and the like.")
    THINK_TANK_NGO = V("THINK_TANK_NGO", description="A think tank or non-governmental group.")
    PERSON = V("PERSON", description="An individual.")
    REGION = V("REGION", description="The world or a group of countries, for aggregate metrics.")


@strawberry.enum(description="What kind of event this is.")
class EventCategory(Enum):
    SUMMIT = V("SUMMIT", description="A meeting of leaders or a summit conference.")
    DIALOGUE = V("DIALOGUE", description="Talks between governments or experts.")
    AGREEMENT = V("AGREEMENT", description="An agreement or joint commitment.")
    RESOLUTION = V("RESOLUTION", description="A resolution of the UN or another body.")
    STATEMENT = V("STATEMENT", description="A statement, declaration or initiative.")
    NATIONAL_STRATEGY = V("NATIONAL_STRATEGY", description="A national plan or strategy.")
    LEGISLATION = V("LEGISLATION", description="A bill introduced or a law passed.")
    REGULATION = V("REGULATION", description="A rule or regulatory measure.")
    EXPORT_CONTROL = V("EXPORT_CONTROL", description="An export control rule or licence decision.")
    ENTITY_LISTING = V("ENTITY_LISTING", description="Entities added to a restricted list.")
    SANCTION = V("SANCTION", description="A sanction or retaliatory listing.")
    INVESTIGATION = V("INVESTIGATION", description="A probe, review or prosecution.")
    TARIFF = V("TARIFF", description="A tariff or trade measure.")
    INVESTMENT_RESTRICTION = V("INVESTMENT_RESTRICTION", description="A limit on investment.")
    INVESTMENT = V("INVESTMENT", description="A fund, programme or large investment.")
    MODEL_RELEASE = V("MODEL_RELEASE", description="An AI model released.")
    PRODUCT_RELEASE = V("PRODUCT_RELEASE", description="A chip, device or product released.")
    MARKET_MOVE = V("MARKET_MOVE", description="A market reaction or commercial move.")
    RESEARCH_COLLABORATION = V("RESEARCH_COLLABORATION", description="Joint research or science ties.")
    TALENT_MOBILITY = V("TALENT_MOBILITY", description="Visas, students and researcher movement.")
    MILITARY = V("MILITARY", description="A defence or military-AI development.")
    OTHER = V("OTHER", description="Anything else.")


@strawberry.enum(description="An actor's part in an event.")
class Role(Enum):
    INITIATOR = V("INITIATOR", description="Took the action.")
    COUNTERPART = V("COUNTERPART", description="The other side of a bilateral act.")
    PARTICIPANT = V("PARTICIPANT", description="Took part.")
    TARGET = V("TARGET", description="Was acted upon: listed, controlled, investigated.")
    MEDIATOR = V("MEDIATOR", description="Brokered or hosted between the sides.")
    OBSERVER = V("OBSERVER", description="Watched without taking part.")


@strawberry.enum(description="The legal form of a policy.")
class Instrument(Enum):
    NATIONAL_STRATEGY = V("NATIONAL_STRATEGY", description="A national plan or strategy.")
    LEGISLATION = V("LEGISLATION", description="A statute or bill.")
    EXECUTIVE_ORDER = V("EXECUTIVE_ORDER", description="An executive order or memorandum.")
    REGULATION = V("REGULATION", description="A regulation or administrative rule.")
    EXPORT_CONTROL = V("EXPORT_CONTROL", description="An export control rule.")
    ENTITY_LISTING = V("ENTITY_LISTING", description="A listing of restricted entities.")
    INVESTMENT_SCREENING = V("INVESTMENT_SCREENING", description="Inbound or outbound investment rules.")
    FUNDING_PROGRAMME = V("FUNDING_PROGRAMME", description="A funding programme or fund.")
    INTERNATIONAL_AGREEMENT = V(
        "INTERNATIONAL_AGREEMENT", description="An international agreement, declaration or resolution."
    )
    STANDARD_GUIDANCE = V("STANDARD_GUIDANCE", description="A standard, guideline or principles.")
    TARIFF = V("TARIFF", description="A tariff measure.")


@strawberry.enum(description="Where a policy is in its life.")
class PolicyStatus(Enum):
    PROPOSED = V("PROPOSED", description="Proposed or introduced, not adopted.")
    ENACTED = V("ENACTED", description="Adopted, not yet in force.")
    IN_FORCE = V("IN_FORCE", description="In force.")
    AMENDED = V("AMENDED", description="In force as amended by a later instrument.")
    SUSPENDED = V("SUSPENDED", description="Suspended.")
    EXPIRED = V("EXPIRED", description="Lapsed at the end of its term.")
    REPEALED = V("REPEALED", description="Revoked or repealed.")


@strawberry.enum(description="What kind of document a source is.")
class SourceKind(Enum):
    OFFICIAL_DOCUMENT = V("OFFICIAL_DOCUMENT", description="From a government, court, UN body or company.")
    NEWS = V("NEWS", description="A news report.")
    RESEARCH = V("RESEARCH", description="A paper or research report.")
    DATASET = V("DATASET", description="A dataset or statistical table.")
    OTHER = V("OTHER", description="Anything else.")
