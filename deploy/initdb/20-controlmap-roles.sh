#!/usr/bin/env bash
# 20-controlmap-roles.sh sets up controlmap's two database roles. The
# postgis/postgis image runs it once, from /docker-entrypoint-initdb.d, when
# it creates a new database cluster (after its own 10_postgis.sh):
#
#   controlmap_owner   owns the database: migrations and imports
#                      (CONTROLMAP_ADMIN_DATABASE_URL).
#   controlmap_reader  may read what controlmap_owner creates and nothing
#                      else, in read-only transactions: the server's role
#                      (DATABASE_URL).
#
# Passwords come from CONTROLMAP_OWNER_PASSWORD and CONTROLMAP_READER_PASSWORD;
# CONTROLMAP_OWNER_ROLE and CONTROLMAP_READER_ROLE rename the roles (tests use
# that). Running it again is harmless: roles are created only when missing,
# and passwords and grants are set again.
set -euo pipefail

: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${CONTROLMAP_OWNER_ROLE:=controlmap_owner}"
: "${CONTROLMAP_READER_ROLE:=controlmap_reader}"
: "${CONTROLMAP_OWNER_PASSWORD:?set CONTROLMAP_OWNER_PASSWORD}"
: "${CONTROLMAP_READER_PASSWORD:?set CONTROLMAP_READER_PASSWORD}"

psql -X -q -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
	-v db="$POSTGRES_DB" \
	-v owner="$CONTROLMAP_OWNER_ROLE" \
	-v reader="$CONTROLMAP_READER_ROLE" \
	-v owner_password="$CONTROLMAP_OWNER_PASSWORD" \
	-v reader_password="$CONTROLMAP_READER_PASSWORD" <<'SQL'
SET client_min_messages = warning;

-- Extensions that need a superuser; the migrations then find them in place.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS btree_gist;

SELECT format('CREATE ROLE %I', :'owner')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I', :'reader')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'owner_password';
ALTER ROLE :"reader" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'reader_password';

-- The owner may create tables, functions and trusted extensions in the
-- database (in PostgreSQL 15 the public schema belongs to the database owner).
ALTER DATABASE :"db" OWNER TO :"owner";

-- The reader connects and reads, and every transaction it runs is read-only.
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO :"reader";
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
	GRANT SELECT ON TABLES TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
	GRANT SELECT ON SEQUENCES TO :"reader";
ALTER ROLE :"reader" IN DATABASE :"db" SET default_transaction_read_only = on;
SQL
echo "controlmap: roles $CONTROLMAP_OWNER_ROLE and $CONTROLMAP_READER_ROLE ready in database $POSTGRES_DB"
