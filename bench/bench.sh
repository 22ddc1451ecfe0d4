#!/usr/bin/env bash
# bench.sh is `make bench`: it installs wrk and nginx-light (Debian packages)
# when they are missing, then runs bench/run, which generates the scale
# dataset, measures both stores and nginx with wrk and writes
# docs/performance.md. Arguments are passed to bench/run (go run ./bench/run -h).
# Everything is bounded in time: about 15 minutes on a 2-core machine
# (bounded at 30), about 25 with the reference servers (bounded at 50); the
# territory analytics cases (h-) take several of those minutes, and the
# picture cases (i-) about five more.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG_PREFIX=bench
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	apt_install "${missing[@]}"
	# The package may start nginx as a service; the benchmark runs its own.
fi

# With the reference servers (PG_FEATURESERV_BIN, PG_TILESERV_BIN; see
# bench/README.md) the run measures them too and takes longer.
limit=30m
if [ -n "${PG_FEATURESERV_BIN:-}${PG_TILESERV_BIN:-}" ]; then
	limit=50m
fi
exec timeout --signal=INT --kill-after=30s "$limit" go run ./bench/run "$@"
