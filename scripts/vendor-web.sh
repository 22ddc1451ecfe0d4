#!/bin/sh
# vendor-web.sh checks, or with --update refreshes, the copies of Leaflet
# (static/lib/leaflet/: leaflet.js, leaflet.css, images/, LICENSE) and
# Leaflet.VectorGrid (static/lib/leaflet.vectorgrid/: the bundle, which
# holds its own pbf and vector-tile decoders, and README.md, which holds its
# Beerware licence and the third-party notices) that are committed in git and
# embedded into the Go binary. The build does not need it: a plain
# `go build ./cmd/controlmap` embeds the committed files.
#
#   sh scripts/vendor-web.sh            # exit 1 unless static/lib is
#                                       # byte for byte the npm packages
#   sh scripts/vendor-web.sh --update   # copy them from node_modules (after a
#                                       # version bump in package.json), then
#                                       # commit static/lib
#
# The versions are those of package-lock.json; npm ci runs first when
# node_modules is missing or older than package-lock.json. The Go test
# static/lib_test.go makes the same check in `make test`.
set -eu
cd "$(dirname "$0")/.."

mode=check
case "${1:-}" in
"") ;;
--update) mode=update ;;
*)
	echo "usage: sh scripts/vendor-web.sh [--update]" >&2
	exit 2
	;;
esac

# Never let an npm package download a browser (playwright-core does not, but
# be explicit).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "vendor-web: npm ci (node_modules missing or older than package-lock.json)"
	npm ci --no-audit --no-fund
fi

# copy_into DIR writes what static/lib must hold into DIR.
copy_into() {
	src=node_modules/leaflet
	for f in dist/leaflet.js dist/leaflet.css dist/images LICENSE; do
		if [ ! -e "$src/$f" ]; then
			echo "vendor-web: $src/$f missing after npm ci" >&2
			exit 1
		fi
	done
	mkdir -p "$1/leaflet"
	cp "$src/dist/leaflet.js" "$src/dist/leaflet.css" "$src/LICENSE" "$1/leaflet/"
	cp -R "$src/dist/images" "$1/leaflet/images"

	src=node_modules/leaflet.vectorgrid
	for f in dist/Leaflet.VectorGrid.bundled.min.js README.md; do
		if [ ! -e "$src/$f" ]; then
			echo "vendor-web: $src/$f missing after npm ci" >&2
			exit 1
		fi
	done
	mkdir -p "$1/leaflet.vectorgrid"
	cp "$src/dist/Leaflet.VectorGrid.bundled.min.js" "$src/README.md" "$1/leaflet.vectorgrid/"
}

versions="leaflet $(node -p "require('./node_modules/leaflet/package.json').version"), leaflet.vectorgrid $(node -p "require('./node_modules/leaflet.vectorgrid/package.json').version")"

if [ "$mode" = update ]; then
	rm -rf static/lib.tmp
	copy_into static/lib.tmp
	rm -rf static/lib
	mv static/lib.tmp static/lib
	echo "vendor-web: static/lib <- $versions; commit it"
	exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
copy_into "$tmp"
if ! diff -r "$tmp" static/lib; then
	echo "vendor-web: static/lib differs from the npm packages ($versions);" >&2
	echo "vendor-web: run sh scripts/vendor-web.sh --update and commit static/lib" >&2
	exit 1
fi
echo "vendor-web: static/lib is $versions, as in package-lock.json"
