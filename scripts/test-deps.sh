#!/usr/bin/env bash
# test-deps.sh installs and starts what `make test` needs on a Debian machine,
# and does nothing for what is already there, so it is safe to run every time:
#   - PostgreSQL with PostGIS, started (scripts/pg-setup.sh);
#   - gdal-bin (ogrinfo, ogr2ogr), chromium, docker-compose and nginx-light
#     (bench/scaleout checks its generated nginx.conf with nginx -t) from Debian;
#   - the npm packages of package-lock.json (npm ci) when node_modules is
#     missing or older than the lock file.
# It never downloads a browser: the npm packages drive Debian's /usr/bin/chromium.
# Run it as root, or as a user who may sudo.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/.."

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
export PUPPETEER_SKIP_DOWNLOAD=1
export DEBIAN_FRONTEND=noninteractive

LOG_PREFIX=test-deps
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# PostgreSQL and PostGIS.
if [ -f scripts/pg-setup.sh ]; then
	bash scripts/pg-setup.sh
else
	log "scripts/pg-setup.sh not found: PostgreSQL/PostGIS not checked"
fi

# Debian packages, each checked by the command it provides.
missing=()
need() { # need COMMAND PACKAGE...
	if ! command -v "$1" >/dev/null 2>&1; then
		missing+=("${@:2}")
	fi
}
need ogrinfo gdal-bin
need chromium chromium fonts-liberation
need docker-compose docker-compose
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
	missing+=(nginx-light)
fi
need node nodejs
need npm npm
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing ${missing[*]}"
	apt_install "${missing[@]}"
fi

# npm packages, pinned by package-lock.json.
if [ -f package-lock.json ]; then
	# npm ci writes node_modules/.package-lock.json; compare with that.
	if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
		log "npm ci (node_modules missing or older than package-lock.json)"
		npm ci --no-audit --no-fund
	fi
fi

log "ok"
