#!/usr/bin/env bash
# scaleout.sh is `make scaleout`: it installs nginx-light (a Debian package)
# when it is missing (and then stops and disables the nginx service the
# package may start), builds bench/scaleout, and runs it bounded in time
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

# stop_system_nginx stops and disables the nginx service that installing
# the package may have started (the run starts its own nginx; a service on
# port 80 would outlive it). Called only when this script installed the
# package: an nginx that was there before is the machine's, not ours.
stop_system_nginx() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
		if systemctl is-active --quiet nginx; then
			log "stopping the nginx service the package started"
			as_root systemctl stop nginx || log "could not stop the nginx service"
		fi
		as_root systemctl disable --quiet nginx || log "could not disable the nginx service"
	elif [ -x /etc/init.d/nginx ]; then
		if /etc/init.d/nginx status >/dev/null 2>&1; then
			log "stopping the nginx service the package started"
			as_root /etc/init.d/nginx stop || log "could not stop the nginx service"
		fi
		as_root update-rc.d nginx disable >/dev/null 2>&1 || log "could not disable the nginx service"
	fi
}

had_nginx=true
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
	had_nginx=false
fi
if [ "$had_nginx" = false ]; then
	log "installing nginx-light"
	apt_install nginx-light
	stop_system_nginx
fi
if [ ! -x /usr/lib/postgresql/15/bin/pg_basebackup ]; then
	log "PostgreSQL 15 is not installed: run scripts/pg-setup.sh first"
	exit 1
fi

tmp="$(mktemp -d)"
bin="$tmp/scaleout"
# The trap is set before anything can fail, so that the folder goes also
# when the build fails (and then there is no run to clean up after).
cleanup() {
	status=$?
	if [ -x "$bin" ]; then
		"$bin" -cleanup "$@" || log "cleanup failed: run go run ./bench/scaleout -cleanup"
	fi
	rm -rf "$tmp"
	exit "$status"
}
trap 'cleanup "$@"' EXIT
trap 'exit 130' INT TERM HUP

go build -o "$bin" ./bench/scaleout
timeout --signal=INT --kill-after=60s 12m "$bin" "$@"
