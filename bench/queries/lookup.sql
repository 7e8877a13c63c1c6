select e.slug, e.title, e.date,
  (select json_agg(json_build_object('role', ea.role, 'slug', a.slug, 'name', a.name))
     from event_actor ea join actor a on a.id = ea.actor_id where ea.event_id = e.id) as actors,
  (select json_agg(s.url) from event_source es join source s on s.id = es.source_id where es.event_id = e.id) as sources,
  (select json_agg(t.slug) from event_topic et join topic t on t.id = et.topic_id where et.event_id = e.id) as topics,
  (select json_agg(p.slug) from event_policy ep join policy p on p.id = ep.policy_id where ep.event_id = e.id) as policies
from event e where e.slug = $1
