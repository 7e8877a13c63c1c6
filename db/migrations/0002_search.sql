-- Full-text search over sources, and name matching (trigram, prefix) for actors: names, Chinese
-- names, slugs and aliases, so `search` finds "Huawei", "华为" and "huawei-technologies" alike.

alter table source add column search tsvector generated always as (
    setweight(to_tsvector('english', title), 'A')
    || setweight(to_tsvector('english', publisher), 'B')) stored;
create index source_search_idx on source using gin (search);

alter table actor add column search tsvector generated always as (
    setweight(to_tsvector('english', name), 'A')
    || setweight(to_tsvector('english', description), 'C')) stored;
create index actor_search_idx on actor using gin (search);
create index actor_name_zh_trgm_idx on actor using gin (name_zh gin_trgm_ops);
create index actor_slug_trgm_idx on actor using gin (slug gin_trgm_ops);
