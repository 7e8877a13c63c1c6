select e.slug, e.title, e.date from event e where e.slug = $1
