#!/usr/bin/env bash
# pg-setup.sh makes the local PostgreSQL 15 ready for the PostGIS test suite:
# it installs postgresql-15-postgis-3 if the extension is missing, starts the
# cluster if it is not accepting connections, and checks that
# CREATE EXTENSION postgis works in a throwaway database. Safe to run again.
#
# Environment: PGHOST (default 127.0.0.1), PGPORT (5432), PGUSER (postgres).
set -euo pipefail

PGHOST="${PGHOST:-127.0.0.1}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-postgres}"
export PGHOST PGPORT PGUSER

control=/usr/share/postgresql/15/extension/postgis.control

LOG_PREFIX=pg-setup
# shellcheck source=scripts/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

if [ ! -f "$control" ]; then
	log "PostGIS is not installed ($control missing): installing postgresql-15-postgis-3"
	apt_install postgresql-15-postgis-3
fi

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
	log "PostgreSQL is not accepting connections on $PGHOST:$PGPORT: starting cluster 15/main"
	as_root pg_ctlcluster --skip-systemctl-redirect 15 main start || true
	for _ in $(seq 1 30); do
		pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
		sleep 1
	done
	if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
		log "PostgreSQL did not come up on $PGHOST:$PGPORT"
		exit 1
	fi
fi

db="controlmap_pgsetup_$$"
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"; }
cleanup() { psql_admin -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; }
trap cleanup EXIT

psql_admin -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "CREATE EXTENSION postgis; CREATE EXTENSION btree_gist;"
version="$(psql -X -At -d "$db" -c 'SELECT postgis_lib_version()')"
log "ok: PostgreSQL on $PGHOST:$PGPORT with PostGIS $version"
