select e.slug, e.title, e.date from event e
where (e.date, e.id) < ($1::date, $2::bigint)
order by e.date desc, e.id desc limit 20
