select e.slug, e.title, e.date from event e
where e.search @@ websearch_to_tsquery('english', 'export controls')
  and e.category = any(array['EXPORT_CONTROL', 'TARIFF', 'REGULATION'])
order by e.date desc, e.id desc limit 20
