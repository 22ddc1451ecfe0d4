#!/bin/sh
# vendor-web.sh installs the frontend's npm packages (exact versions from
# package-lock.json) and copies Leaflet into static/vendor/leaflet/ and
# Leaflet.VectorGrid (vector tiles for large layers; Beerware licence, with
# pbf and vector-tile, BSD) into static/vendor/leaflet.vectorgrid/, which the
# Go binary embeds. Idempotent: npm ci runs only when node_modules is missing
# or older than package-lock.json; the copy is redone every time (it is small).
# static/vendor/ is generated and not committed.
set -eu
cd "$(dirname "$0")/.."

# Never let an npm package download a browser (playwright-core does not, but
# be explicit).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "vendor-web: npm ci (node_modules missing or older than package-lock.json)"
	npm ci --no-audit --no-fund
fi

src=node_modules/leaflet/dist
dst=static/vendor/leaflet
if [ ! -f "$src/leaflet.js" ]; then
	echo "vendor-web: $src/leaflet.js missing after npm ci" >&2
	exit 1
fi
rm -rf "$dst.tmp"
mkdir -p "$dst.tmp"
cp "$src/leaflet.js" "$src/leaflet.css" "$dst.tmp/"
cp -R "$src/images" "$dst.tmp/images"
cp node_modules/leaflet/LICENSE "$dst.tmp/LICENSE" 2>/dev/null || true
rm -rf "$dst"
mv "$dst.tmp" "$dst"
echo "vendor-web: leaflet $(node -p "require('./node_modules/leaflet/package.json').version") -> $dst"

# Leaflet.VectorGrid: the bundle holds its own pbf and vector-tile decoders.
src=node_modules/leaflet.vectorgrid
dst=static/vendor/leaflet.vectorgrid
if [ ! -f "$src/dist/Leaflet.VectorGrid.bundled.min.js" ]; then
	echo "vendor-web: $src/dist/Leaflet.VectorGrid.bundled.min.js missing after npm ci" >&2
	exit 1
fi
rm -rf "$dst.tmp"
mkdir -p "$dst.tmp"
cp "$src/dist/Leaflet.VectorGrid.bundled.min.js" "$dst.tmp/"
# The licence (Beerware) and the third-party notices are in the README.
cp "$src/README.md" "$dst.tmp/README.md"
rm -rf "$dst"
mv "$dst.tmp" "$dst"
echo "vendor-web: leaflet.vectorgrid $(node -p "require('./node_modules/leaflet.vectorgrid/package.json').version") -> $dst"
