#!/bin/bash
# The `postgres-replica` service (compose profile `cluster`): on its first boot (an empty data
# directory) it clones the primary with `pg_basebackup -R`, which writes standby.signal and
# primary_conninfo, so the server it then runs is a hot standby streaming from the primary.
# Runs as the image's `postgres` user. bench/pgserver.py makes the same pair from the embedded
# binaries for the tests and `make cluster`.
set -euo pipefail
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
export PGPASSWORD="$REPLICATION_PASSWORD"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    for attempt in $(seq 1 60); do
        rm -rf "${PGDATA:?}"/*
        if pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U "$REPLICATION_USER" -D "$PGDATA" -R -X stream -c fast; then
            break
        fi
        echo "primary not ready for a base backup (attempt $attempt); retrying" >&2
        sleep 2
    done
    [ -s "$PGDATA/PG_VERSION" ] || { echo "no base backup of $PRIMARY_HOST" >&2; exit 1; }
    chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
