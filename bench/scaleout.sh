#!/usr/bin/env bash
# scaleout.sh is `make scaleout`: it installs nginx-light (a Debian package)
# when it is missing, builds bench/scaleout, and runs it bounded in time
# (SIGINT after 12 minutes, SIGKILL 60 s later). Whatever way the run ends,
# the trap runs `scaleout -cleanup`, which stops the standby, nginx and the
# replicas it started (by their pid files) and drops the database, role,
# replication slot and pg_hba.conf line it made on this machine's cluster.
# Arguments are passed to bench/scaleout (go run ./bench/scaleout -h).
# About 3 minutes on a 2-core machine; not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_PREFIX=scaleout
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	log "installing nginx-light"
	apt_install nginx-light
	# The package may start nginx as a service; the run starts its own.
fi
if [ ! -x /usr/lib/postgresql/15/bin/pg_basebackup ]; then
	log "PostgreSQL 15 is not installed: run scripts/pg-setup.sh first"
	exit 1
fi

bin="$(mktemp -d)/scaleout"
go build -o "$bin" ./bench/scaleout
cleanup() {
	status=$?
	"$bin" -cleanup "$@" || log "cleanup failed: run go run ./bench/scaleout -cleanup"
	rm -rf "$(dirname "$bin")"
	exit "$status"
}
trap 'cleanup "$@"' EXIT
trap 'exit 130' INT TERM HUP

timeout --signal=INT --kill-after=60s 12m "$bin" "$@"
