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
# embedded store on the scale dataset); with DATABASE_URL set they default
# to none (PostGIS). Each line: the build, requests/s over the time the list
# took (wrk's own when the list lasted the whole run), wrk's p50, p90 and
# p99, and its errors and non-2xx answers when there were any.
set -euo pipefail
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[ $# -ge 3 ] || usage
before=$(realpath "$1") after=$(realpath "$2") case=$3
shift 3
rounds=3
if [ $# -gt 0 ] && [ "$1" != -- ]; then
	rounds=$1
	shift
fi
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "alternate: ROUNDS must be a positive number, not $rounds" >&2; usage; }
if [ $# -gt 0 ]; then
	[ "$1" = -- ] || usage
	shift
fi
args=("$@")
if [ ${#args[@]} -eq 0 ] && [ -z "${DATABASE_URL:-}" ]; then
	args=(--data tmp/bench/scale-seed1)
fi
cd "$(dirname "$0")/.."
lua=tmp/bench/case-$case.lua
[ -f "$lua" ] || { echo "alternate: $lua missing: run make bench (or go run ./bench/run -cases '^$case\$') first" >&2; exit 1; }
addr=127.0.0.1:18091
if curl -s -o /dev/null "http://$addr/"; then
	echo "alternate: something already listens on $addr" >&2
	exit 1
fi
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT
for _ in $(seq "$rounds"); do
	for which in before after; do
		bin=$before
		[ "$which" = after ] && bin=$after
		"$bin" serve --addr "$addr" --log-level warn ${args[@]+"${args[@]}"} >"tmp/bench/alternate-$which.log" 2>&1 &
		pid=$!
		ready=
		for _ in $(seq 600); do
			kill -0 "$pid" 2>/dev/null || break
			if curl -sf -o /dev/null "http://$addr/readyz"; then ready=1; break; fi
			sleep 0.2
		done
		[ -n "$ready" ] || { echo "alternate: $bin did not become ready (tmp/bench/alternate-$which.log)" >&2; exit 1; }
		out=$(wrk -t2 -c32 -d10s --latency -s "$lua" "http://$addr")
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
		echo "$which $(echo "$out" | awk '
			/Requests\/sec/ { r = $2 }
			$1 == "50%" { p50 = $2 } $1 == "90%" { p90 = $2 } $1 == "99%" { p99 = $2 }
			/elapsed_us/ { e = $2 } /requests in/ { n = $1 }
			/Socket errors/ { errs = " " $0 } /Non-2xx/ { bad = " non-2xx " $NF }
			END { if (e > 0) r = sprintf("%.0f", n / (e / 1e6)); print r, "req/s  p50", p50, " p90", p90, " p99", p99 errs bad }')"
	done
done
