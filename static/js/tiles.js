// tiles.js: large layers as vector tiles. A layer with more features than
// TILE_THRESHOLD (the scale dataset's 100,000 points) is not fetched as one
// GeoJSON document but drawn from the server's Mapbox Vector Tiles
// (/collections/{id}/tiles/WebMercatorQuad/{z}/{y}/{x}?datetime=D, with the
// layer panel's CQL2 filter as filter=) by
// Leaflet.VectorGrid on canvas, with the catalogue's colours. The library is
// loaded only when a layer needs it.

import { colorFor, claimEdge, isDoubtful } from './layers.js';

const L = window.L;

/** TILE_THRESHOLD: layers with more features than this are drawn from tiles. */
export const TILE_THRESHOLD = 5000;

let loading = null;

/** loadVectorGrid loads Leaflet.VectorGrid once (from static/lib). */
export function loadVectorGrid(root) {
  if (L.vectorGrid) return Promise.resolve();
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const s = document.createElement('script');
      s.src = `${root}/static/lib/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js`;
      s.onload = () => {
        // VectorGrid 1.3 calls L.DomEvent.fakeStop, which Leaflet 1.8 removed.
        if (!L.DomEvent.fakeStop) L.DomEvent.fakeStop = L.DomEvent.stopPropagation;
        resolve();
      };
      s.onerror = () => {
        loading = null;
        reject(new Error('tiles: Leaflet.VectorGrid did not load'));
      };
      document.head.append(s);
    });
  }
  return loading;
}

/**
 * tileURL is the tile template of a collection at date d (every date when
 * null) with a CQL2 text filter (none when null).
 */
export function tileURL(root, id, d, filter = null) {
  const q = new URLSearchParams();
  if (d) q.set('datetime', d);
  if (filter) q.set('filter', filter);
  const qs = q.toString();
  return `${root}/collections/${encodeURIComponent(id)}/tiles/WebMercatorQuad/{z}/{y}/{x}${qs ? `?${qs}` : ''}`;
}

/**
 * tileStyle is the VectorGrid style of a collection: by geometry, the same
 * colours and weights as its GeoJSON layers.
 */
export function tileStyle(col) {
  return (props, zoom, dimension) => {
    const c = colorFor(col.style, props);
    if (dimension === 1) {
      const base = { radius: zoom >= 10 ? 4 : 2.5, fill: true, fillColor: c, fillOpacity: 0.9, color: '#ffffff', weight: zoom >= 10 ? 1 : 0.5, opacity: 0.9 };
      // A point claimed by one party or disputed: a dark dotted outline.
      return isDoubtful(props) ? { ...base, color: '#111111', weight: 1.2, dashArray: '1 2' } : base;
    }
    if (dimension === 2) return { color: c, weight: 2, opacity: 0.9, ...claimEdge(props, true) };
    return { color: c, weight: 1.2, opacity: 0.9, fill: true, fillColor: c, fillOpacity: 0.32, ...claimEdge(props) };
  };
}

/** vectorTiles returns the Leaflet layer of collection id's tiles at date d, filtered by filter. */
export function vectorTiles(root, id, col, d, { pane, filter = null } = {}) {
  const url = tileURL(root, id, d, filter);
  const layer = L.vectorGrid.protobuf(url, {
    rendererFactory: L.canvas.tile,
    vectorTileLayerStyles: { [id]: tileStyle(col) },
    interactive: false,
    maxNativeZoom: 22,
    pane: pane || 'overlayPane',
    className: `cm-tiles cm-tiles-${id}`,
  });
  layer.cmTileURL = url;
  return layer;
}
