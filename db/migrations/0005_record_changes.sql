-- What each release did to each record: added, changed or removed, so a local copy can be
-- reconciled (`/v1/changes`, `changes(since:)`). The seed loader writes both tables in the
-- transaction that loads the release. `record_state` holds each record's current fingerprint
-- (SHA-256 of its seed record, links included; a metric's includes its observations);
-- `record_change` is the history, removed records kept as tombstones.

create table record_state (
    kind        text not null check (kind in ('event', 'policy', 'actor', 'metric', 'source', 'topic')),
    slug        text not null,
    fingerprint text not null,
    primary key (kind, slug)
);

create table record_change (
    id         bigint generated always as identity primary key,
    release_id bigint not null references release (id) on delete cascade,
    kind       text not null check (kind in ('event', 'policy', 'actor', 'metric', 'source', 'topic')),
    slug       text not null,
    change     text not null check (change in ('ADDED', 'CHANGED', 'REMOVED'))
);
create index record_change_release_idx on record_change (release_id, kind, slug);

-- The data changelog (seeds/CHANGELOG.md) as it was when the release was loaded, so the
-- release's package is rebuilt from the database alone, byte for byte.
alter table release add column changelog text;
