select date_trunc('quarter', e.date)::date as period_start, count(*) as events,
       count(*) filter (where e.stance = 'COOPERATIVE') as cooperative,
       count(*) filter (where e.stance = 'COMPETITIVE') as competitive,
       avg(e.cooperation_score)::float8 as score_mean
from event e group by 1 order by 1
