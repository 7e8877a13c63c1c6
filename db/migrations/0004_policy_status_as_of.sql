-- A policy's status is a claim at a date: the day the latest source confirms it (status_as_of),
-- the stated end of a suspension or temporary status (status_until) and a note on what is not
-- known. Whether a stated end has passed unconfirmed depends on today, so it is computed per
-- request (db/policies.py), never stored. A release says how far its sources reach.

alter table policy
    add column status_as_of date,
    add column status_until date,
    add column status_note  text check (status_note is null or btrim(status_note) <> '');

alter table release
    add column coverage_ends date;
