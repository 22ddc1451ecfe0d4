#!/usr/bin/env bash
# standby.sh starts the standby of docker-compose's scaleout profile: on
# first start it copies the primary (service db) with pg_basebackup through
# the slot 30-controlmap-replication.sh created, and -R makes it a standby
# streaming from there; then it runs PostgreSQL as a hot standby. PostGIS
# comes with the copy (the extension lives in the database; the image has
# its library). It runs as root only to own the data folder, then as
# postgres.
set -euo pipefail

: "${PGDATA:=/var/lib/postgresql/data}"
: "${PRIMARY_HOST:=db}"
: "${PRIMARY_USER:=postgres}"
: "${PGPASSWORD:?set PGPASSWORD to POSTGRES_PASSWORD of the primary}"
export PGPASSWORD

mkdir -p "$PGDATA"
chown postgres:postgres "$PGDATA"
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
	until pg_isready -q -h "$PRIMARY_HOST" -U "$PRIMARY_USER"; do sleep 1; done
	gosu postgres pg_basebackup -h "$PRIMARY_HOST" -U "$PRIMARY_USER" -D "$PGDATA" \
		-R -X stream -c fast -S controlmap_standby
	# Tell the primary which rows the standby's queries still read, so that
	# replaying a VACUUM does not cancel them (a cancelled query is a 503).
	printf '%s\n' "hot_standby_feedback = on" | gosu postgres tee -a "$PGDATA/postgresql.auto.conf" >/dev/null
fi
exec gosu postgres postgres
