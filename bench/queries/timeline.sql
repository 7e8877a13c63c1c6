select date_trunc('quarter', r.month)::date as period_start, sum(r.events) as events,
       sum(r.cooperative) as cooperative, sum(r.competitive) as competitive,
       sum(r.score_sum)::float8 / sum(r.events) as score_mean,
       (array_agg(r.top_event_id order by r.top_significance desc, r.top_date desc, r.top_event_id desc))[1]
from event_month_rollup r group by 1 order by 1
