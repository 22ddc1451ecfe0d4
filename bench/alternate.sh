#!/usr/bin/env bash
# bench/alternate.sh: two builds of controlmap, one after the other, on the
# list of one cold case of `make bench`, a fresh server (an empty cache) for
# each run, so that a change is measured against its parent on the same
# machine in the same minutes.
#
#   bench/alternate.sh BEFORE AFTER CASE [ROUNDS] [-- SERVE ARGS...]
#
# BEFORE and AFTER are controlmap binaries; CASE is a case id whose list
# `make bench` wrote (tmp/bench/case-CASE.lua); ROUNDS (default 3) pairs
# are run. SERVE ARGS default to `--data tmp/bench/scale-seed1` (the
# embedded store on the scale dataset); give `--` and others, with
# DATABASE_URL set, for PostGIS. Each line: the build, requests/s over the
# time the list took (wrk's own when the list lasted the whole run), and
# wrk's p50, p90 and p99.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
fi
before=$1 after=$2 case=$3
rounds=${4:-3}
shift $(( $# >= 4 ? 4 : 3 ))
[ "${1:-}" = "--" ] && shift
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--data tmp/bench/scale-seed1)
lua=tmp/bench/case-$case.lua
[ -f "$lua" ] || { echo "alternate: $lua missing: run make bench (or go run ./bench/run -cases '^$case\$') first" >&2; exit 1; }
addr=127.0.0.1:18091
for _ in $(seq "$rounds"); do
	for which in before after; do
		bin=$before
		[ "$which" = after ] && bin=$after
		"$bin" serve --addr "$addr" --log-level warn "${args[@]}" >tmp/bench/alternate.log 2>&1 &
		pid=$!
		ready=
		for _ in $(seq 600); do
			if curl -sf -o /dev/null "http://$addr/readyz"; then ready=1; break; fi
			sleep 0.2
		done
		[ -n "$ready" ] || { kill "$pid"; echo "alternate: $bin did not become ready (tmp/bench/alternate.log)" >&2; exit 1; }
		out=$(wrk -t2 -c32 -d10s --latency -s "$lua" "http://$addr")
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		echo "$which $(echo "$out" | awk '
			/Requests\/sec/ { r = $2 }
			$1 == "50%" { p50 = $2 } $1 == "90%" { p90 = $2 } $1 == "99%" { p99 = $2 }
			/elapsed_us/ { e = $2 } /requests in/ { n = $1 }
			END { if (e > 0) r = sprintf("%.0f", n / (e / 1e6)); print r, "req/s  p50", p50, " p90", p90, " p99", p99 }')"
	done
done
