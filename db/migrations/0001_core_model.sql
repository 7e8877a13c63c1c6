-- The Détente data model: sources, actors, topics, events, policies, metrics and releases.
-- Closed vocabularies are CHECK constraints on text (not Postgres enums) so a new value is a
-- one-line migration; every filter, join and sort order the API uses has an index.

create extension if not exists pg_trgm;

create table source (
    id           bigint generated always as identity primary key,
    slug         text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title        text not null check (btrim(title) <> ''),
    publisher    text not null check (btrim(publisher) <> ''),
    url          text not null unique check (url ~ '^https?://[^\s/$.?#].[^\s]*$'),
    published_on date,
    published_precision text check (published_precision in ('DAY', 'MONTH', 'YEAR')),
    accessed_on  date not null,
    kind         text not null check (kind in ('OFFICIAL_DOCUMENT', 'NEWS', 'RESEARCH', 'DATASET', 'OTHER')),
    language     text not null check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]+)*$'),
    check ((published_on is null) = (published_precision is null))
);
create index source_title_idx on source (title, id);
create index source_published_idx on source (published_on, id);

create table actor (
    id          bigint generated always as identity primary key,
    slug        text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text not null check (btrim(name) <> ''),
    name_zh     text,
    kind        text not null check (kind in (
                    'STATE', 'GOVERNMENT_BODY', 'LEGISLATURE', 'REGULATOR', 'MILITARY', 'COMPANY',
                    'RESEARCH_ORGANISATION', 'MULTILATERAL_BODY', 'THINK_TANK_NGO', 'PERSON', 'REGION')),
    country     char(2) check (country ~ '^[A-Z]{2}$'),
    parent_id   bigint references actor (id) on delete set null,
    description text not null check (btrim(description) <> ''),
    aliases     text[] not null default '{}',
    check (parent_id is distinct from id)
);
create index actor_name_idx on actor (name, id);
create index actor_parent_idx on actor (parent_id);
create index actor_country_idx on actor (country);
create index actor_kind_idx on actor (kind);
create index actor_name_trgm_idx on actor using gin (name gin_trgm_ops);

create table topic (
    id          bigint generated always as identity primary key,
    slug        text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text not null unique check (btrim(name) <> ''),
    description text not null
);
create index topic_name_idx on topic (name, id);

create table event (
    id                bigint generated always as identity primary key,
    slug              text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title             text not null check (btrim(title) <> ''),
    summary           text not null check (btrim(summary) <> ''),
    date              date not null,
    date_precision    text not null check (date_precision in ('DAY', 'MONTH', 'YEAR')),
    end_date          date,
    end_date_precision text check (end_date_precision in ('DAY', 'MONTH', 'YEAR')),
    category          text not null check (category in (
                          'SUMMIT', 'DIALOGUE', 'AGREEMENT', 'RESOLUTION', 'STATEMENT',
                          'NATIONAL_STRATEGY', 'LEGISLATION', 'REGULATION', 'EXPORT_CONTROL',
                          'ENTITY_LISTING', 'SANCTION', 'INVESTIGATION', 'TARIFF',
                          'INVESTMENT_RESTRICTION', 'INVESTMENT', 'MODEL_RELEASE', 'PRODUCT_RELEASE',
                          'MARKET_MOVE', 'RESEARCH_COLLABORATION', 'TALENT_MOBILITY', 'MILITARY',
                          'OTHER')),
    stance            text not null check (stance in ('COOPERATIVE', 'COMPETITIVE', 'MIXED', 'NEUTRAL')),
    cooperation_score smallint not null check (cooperation_score between -10 and 10),
    score_rationale   text not null check (btrim(score_rationale) <> ''),
    significance      smallint not null check (significance between 1 and 5),
    confidence        text not null check (confidence in ('CONFIRMED', 'SINGLE_SOURCE', 'REPORTED', 'DISPUTED')),
    confidence_note   text,
    search            tsvector generated always as (
                          setweight(to_tsvector('english', title), 'A')
                          || setweight(to_tsvector('english', summary), 'B')) stored,
    check (end_date is null or end_date >= date),
    check ((end_date is null) = (end_date_precision is null))
);
create index event_date_idx on event (date, id);
create index event_title_idx on event (title, id);
create index event_significance_idx on event (significance, date, id);
create index event_score_idx on event (cooperation_score, date, id);
create index event_category_idx on event (category, date);
create index event_stance_idx on event (stance, date);
create index event_search_idx on event using gin (search);

create table policy (
    id              bigint generated always as identity primary key,
    slug            text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    title           text not null check (btrim(title) <> ''),
    title_zh        text,
    issuer_id       bigint not null references actor (id),
    jurisdiction    text not null check (jurisdiction ~ '^([A-Z]{2}|INTL)$'),
    instrument      text not null check (instrument in (
                        'NATIONAL_STRATEGY', 'LEGISLATION', 'EXECUTIVE_ORDER', 'REGULATION',
                        'EXPORT_CONTROL', 'ENTITY_LISTING', 'INVESTMENT_SCREENING',
                        'FUNDING_PROGRAMME', 'INTERNATIONAL_AGREEMENT', 'STANDARD_GUIDANCE',
                        'TARIFF')),
    status          text not null check (status in (
                        'PROPOSED', 'ENACTED', 'IN_FORCE', 'AMENDED', 'SUSPENDED', 'EXPIRED',
                        'REPEALED')),
    announced_on    date,
    effective_on    date,
    ended_on        date,
    summary         text not null check (btrim(summary) <> ''),
    official_url    text check (official_url ~ '^https?://[^\s/$.?#].[^\s]*$'),
    stance          text not null check (stance in ('COOPERATIVE', 'COMPETITIVE', 'MIXED', 'NEUTRAL')),
    confidence      text not null check (confidence in ('CONFIRMED', 'SINGLE_SOURCE', 'REPORTED', 'DISPUTED')),
    confidence_note text,
    search          tsvector generated always as (
                        setweight(to_tsvector('english', title), 'A')
                        || setweight(to_tsvector('english', summary), 'B')) stored,
    check (ended_on is null or announced_on is null or ended_on >= announced_on)
);
create index policy_announced_idx on policy (announced_on, id);
create index policy_title_idx on policy (title, id);
create index policy_issuer_idx on policy (issuer_id);
create index policy_instrument_idx on policy (instrument);
create index policy_status_idx on policy (status);
create index policy_search_idx on policy using gin (search);

create table metric (
    id          bigint generated always as identity primary key,
    slug        text not null unique check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text not null check (btrim(name) <> ''),
    description text not null check (btrim(description) <> ''),
    unit        text not null check (btrim(unit) <> '')
);
create index metric_name_idx on metric (name, id);

create table observation (
    id             bigint generated always as identity primary key,
    metric_id      bigint not null references metric (id) on delete cascade,
    entity_id      bigint not null references actor (id),
    date           date not null,
    date_precision text not null check (date_precision in ('DAY', 'MONTH', 'YEAR')),
    value          double precision not null check (value = value),  -- rejects NaN
    source_id      bigint not null references source (id),
    confidence     text not null check (confidence in ('CONFIRMED', 'SINGLE_SOURCE', 'REPORTED', 'DISPUTED')),
    note           text,
    unique (metric_id, entity_id, date)
);
create index observation_metric_date_idx on observation (metric_id, date, id);
create index observation_entity_idx on observation (entity_id);
create index observation_source_idx on observation (source_id);

-- Link tables. Each has its pair as primary key (the forward join) and an index for the
-- reverse direction.
create table event_actor (
    event_id bigint not null references event (id) on delete cascade,
    actor_id bigint not null references actor (id) on delete cascade,
    role     text not null check (role in ('INITIATOR', 'COUNTERPART', 'PARTICIPANT', 'TARGET', 'MEDIATOR', 'OBSERVER')),
    primary key (event_id, actor_id, role)
);
create index event_actor_actor_idx on event_actor (actor_id, event_id);

create table event_policy (
    event_id  bigint not null references event (id) on delete cascade,
    policy_id bigint not null references policy (id) on delete cascade,
    primary key (event_id, policy_id)
);
create index event_policy_policy_idx on event_policy (policy_id, event_id);

create table event_topic (
    event_id bigint not null references event (id) on delete cascade,
    topic_id bigint not null references topic (id) on delete cascade,
    primary key (event_id, topic_id)
);
create index event_topic_topic_idx on event_topic (topic_id, event_id);

create table event_source (
    event_id  bigint not null references event (id) on delete cascade,
    source_id bigint not null references source (id) on delete cascade,
    primary key (event_id, source_id)
);
create index event_source_source_idx on event_source (source_id, event_id);

create table policy_topic (
    policy_id bigint not null references policy (id) on delete cascade,
    topic_id  bigint not null references topic (id) on delete cascade,
    primary key (policy_id, topic_id)
);
create index policy_topic_topic_idx on policy_topic (topic_id, policy_id);

create table policy_source (
    policy_id bigint not null references policy (id) on delete cascade,
    source_id bigint not null references source (id) on delete cascade,
    primary key (policy_id, source_id)
);
create index policy_source_source_idx on policy_source (source_id, policy_id);

create table actor_source (
    actor_id  bigint not null references actor (id) on delete cascade,
    source_id bigint not null references source (id) on delete cascade,
    primary key (actor_id, source_id)
);
create index actor_source_source_idx on actor_source (source_id, actor_id);

create table metric_source (
    metric_id bigint not null references metric (id) on delete cascade,
    source_id bigint not null references source (id) on delete cascade,
    primary key (metric_id, source_id)
);

-- One row per load that changed the data; the API's `release` is the newest.
create table release (
    id           bigint generated always as identity primary key,
    version      text not null check (version ~ '^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$'),
    released_on  date not null,
    notes        text not null,
    license      text not null,
    content_hash text not null,
    row_counts   jsonb not null,
    loaded_at    timestamptz not null default now()
);
create index release_loaded_idx on release (loaded_at desc, id desc);
