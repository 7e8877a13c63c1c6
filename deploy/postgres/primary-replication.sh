#!/bin/bash
# Run by the postgres image on the first boot of the `postgres` service (docker-entrypoint-initdb.d):
# a role the streaming replica (`postgres-replica`, compose profile `cluster`) connects as, and the
# pg_hba.conf line that admits it (the image's `host all all all` does not cover replication).
# The image's defaults already stream: wal_level=replica, max_wal_senders=10.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v user="$REPLICATION_USER" -v password="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE :"user" WITH REPLICATION LOGIN PASSWORD :'password';
SQL
echo "host replication $REPLICATION_USER all scram-sha-256" >> "$PGDATA/pg_hba.conf"
