-- Monthly rollup of events for the unfiltered cooperation index (`timeline` without a filter):
-- a full-table aggregate grows with the data, the rollup does not. A statement-level trigger
-- recomputes it after any change to events (the data changes only when a release is loaded), so
-- it can never be stale.

create table event_month_rollup (
    month            date primary key,
    events           integer not null,
    cooperative      integer not null,
    competitive      integer not null,
    mixed            integer not null,
    neutral          integer not null,
    score_sum        bigint not null,
    top_significance smallint not null,
    top_date         date not null,
    top_event_id     bigint not null
);

create function refresh_event_month_rollup() returns trigger language plpgsql as $$
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
    group by 1;
    return null;
end;
$$;

create trigger event_month_rollup_refresh
    after insert or update or delete or truncate on event
    for each statement execute function refresh_event_month_rollup();

insert into event_month_rollup
select date_trunc('month', e.date)::date, count(*),
       count(*) filter (where e.stance = 'COOPERATIVE'), count(*) filter (where e.stance = 'COMPETITIVE'),
       count(*) filter (where e.stance = 'MIXED'), count(*) filter (where e.stance = 'NEUTRAL'),
       sum(e.cooperation_score),
       (array_agg(e.significance order by e.significance desc, e.date desc, e.id desc))[1],
       (array_agg(e.date order by e.significance desc, e.date desc, e.id desc))[1],
       (array_agg(e.id order by e.significance desc, e.date desc, e.id desc))[1]
from event e group by 1;
