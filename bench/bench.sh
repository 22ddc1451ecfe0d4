#!/usr/bin/env bash
# bench.sh is `make bench`: it installs wrk and nginx-light (Debian packages)
# when they are missing, then runs bench/run, which generates the scale
# dataset, measures both stores and nginx with wrk and writes
# docs/performance.md. Arguments are passed to bench/run (go run ./bench/run -h).
# Everything is bounded in time: about 10 minutes on a 2-core machine.
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

exec timeout --signal=INT --kill-after=30s 20m go run ./bench/run "$@"
