#!/usr/bin/env bash
# 30-controlmap-replication.sh lets the standby of docker-compose's scaleout
# profile stream from this server: the postgis/postgis image runs it once,
# from /docker-entrypoint-initdb.d, when it creates the cluster. Its
# pg_hba.conf allows replication connections on loopback only; this adds
# them from the compose network for POSTGRES_USER with its password, and
# creates the physical replication slot the standby streams through (so
# the primary keeps the WAL it still needs while it is down). Without the
# profile neither is used. Running it again is harmless.
set -euo pipefail

: "${POSTGRES_USER:=postgres}"
: "${PGDATA:?PGDATA must be set (the image sets it)}"

line="host replication $POSTGRES_USER all scram-sha-256"
if ! grep -qxF "$line" "$PGDATA/pg_hba.conf"; then
	printf '%s\n' "$line" >>"$PGDATA/pg_hba.conf"
fi
psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<'SQL'
SELECT pg_create_physical_replication_slot('controlmap_standby', true)
WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = 'controlmap_standby');
SQL
