-- One act, counted once. An event may name the earlier event whose act it carries out (a rule
-- implementing a leaders' deal, a control entering into force, an order cutting agreed tariffs):
-- both stay records, each with its own score, but the cooperation index counts the act once,
-- through the event it implements. `counted_in_index` says which events the index counts.
--
-- One level only: an implementing event names an event that itself implements nothing. The
-- composite foreign key enforces it in both directions: `implements_target` is true exactly when
-- the row implements something, and must match the target's `counted_in_index`, so a row cannot
-- point at an implementing event, and an event others implement cannot start implementing one
-- (its `counted_in_index` would change under a referencing row). Checked at commit, so a load
-- may move links around within its transaction.

alter table event
    add column implements_event_id bigint references event (id) on delete set null,
    add column counted_in_index boolean not null generated always as (implements_event_id is null) stored,
    add column implements_target boolean
        generated always as (case when implements_event_id is not null then true end) stored,
    add constraint event_implements_not_self check (implements_event_id <> id),
    add constraint event_id_counted_key unique (id, counted_in_index),
    add constraint event_implements_one_level
        foreign key (implements_event_id, implements_target) references event (id, counted_in_index)
        deferrable initially deferred;
create index event_implements_idx on event (implements_event_id, date, id);

-- The rollup holds the index, so it counts only the events the index counts.
create or replace function refresh_event_month_rollup() returns trigger language plpgsql as $$
begin
    delete from event_month_rollup;
    insert into event_month_rollup
    select date_trunc('month', e.date)::date,
           count(*),
           count(*) filter (where e.stance = 'COOPERATIVE'),
           count(*) filter (where e.stance = 'COMPETITIVE'),
           count(*) filter (where e.stance = 'MIXED'),
           count(*) filter (where e.stance = 'NEUTRAL'),
           sum(e.cooperation_score),
           (array_agg(e.significance order by e.significance desc, e.date desc, e.id desc))[1],
           (array_agg(e.date order by e.significance desc, e.date desc, e.id desc))[1],
           (array_agg(e.id order by e.significance desc, e.date desc, e.id desc))[1]
    from event e
    where e.counted_in_index
    group by 1;
    return null;
end;
$$;

-- Every event implements nothing when the column is added, so the stored rollup is already
-- right; the next change to events recomputes it with the new rule.
