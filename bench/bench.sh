#!/usr/bin/env bash
# bench.sh is `make bench`: it installs wrk and nginx-light (Debian packages)
# when they are missing, then runs bench/run, which generates the scale
# dataset, measures both stores and nginx with wrk and writes
# docs/performance.md. Arguments are passed to bench/run (go run ./bench/run -h).
# Everything is bounded in time: about 10 minutes on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: installing ${missing[*]}"
	sudo=()
	[ "$(id -u)" -eq 0 ] || sudo=(sudo)
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
	# The package may start nginx as a service; the benchmark runs its own.
fi

exec timeout --signal=INT --kill-after=30s 20m go run ./bench/run "$@"
