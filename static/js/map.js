// map.js: the Leaflet map itself: view, the optional raster tiles configured
// on the server, and an attribution control that sets its text safely
// (Leaflet's own writes HTML, so data never goes through it).

const L = window.L;

/** STUDY_AREA is the dataset's area: [[south, west], [north, east]]. */
export const STUDY_AREA = [[34.3, 37.5], [37.35, 42.4]];

/** SHORT_ATTRIBUTION credits the data on the map; the page lists each layer's attribution in full. */
export const SHORT_ATTRIBUTION = 'controlmap contributors (CC BY 4.0), from the sources cited per feature; Natural Earth';

const MAX_BOUNDS = [[28, 30], [42, 52]];

const AttributionControl = L.Control.extend({
  options: { position: 'bottomright' },
  onAdd() {
    const div = L.DomUtil.create('div', 'leaflet-control-attribution cm-attribution');
    L.DomEvent.disableClickPropagation(div);
    this.div = div;
    this.render();
    return div;
  },
  setTexts(texts) {
    this.options.texts = texts;
    this.render();
  },
  render() {
    if (!this.div) return;
    this.div.replaceChildren();
    const a = document.createElement('a');
    a.href = 'https://leafletjs.com';
    a.textContent = 'Leaflet';
    a.rel = 'noopener noreferrer';
    a.target = '_blank';
    this.div.append(a);
    for (const t of this.options.texts || []) {
      if (t) this.div.append(document.createTextNode(` | ${t}`));
    }
  },
});

/**
 * createMap makes the map in el.
 * @param {HTMLElement} el
 * @param {object} o
 * @param {{lat:number, lon:number, zoom:number}|null} o.view
 * @param {number[]|null} o.bbox west, south, east, north
 * @param {string} [o.tileURL] raster tiles, only when the server configures them
 * @param {string} [o.tileAttribution]
 * @param {boolean} [o.scrollWheelZoom]
 */
export function createMap(el, { view = null, bbox = null, tileURL = '', tileAttribution = '', scrollWheelZoom = true } = {}) {
  const map = L.map(el, {
    attributionControl: false,
    zoomSnap: 0.5,
    minZoom: 5,
    maxZoom: 14,
    maxBounds: MAX_BOUNDS,
    scrollWheelZoom,
  });
  if (tileURL) {
    L.tileLayer(tileURL, { maxZoom: 18, crossOrigin: false }).addTo(map);
  }
  const attribution = new AttributionControl({ texts: [] });
  attribution.addTo(map);
  map.cmSetAttribution = (texts) => attribution.setTexts([tileAttribution, ...texts].filter(Boolean));
  map.cmSetAttribution([]);
  if (view) map.setView([view.lat, view.lon], view.zoom);
  else if (bbox) map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
  else map.fitBounds(STUDY_AREA);
  const zoomClass = () => {
    el.classList.toggle('cm-zoom-far', map.getZoom() < 8);
  };
  map.on('zoomend', zoomClass);
  zoomClass();
  return map;
}

/** currentView returns the map's view as {lat, lon, zoom}. */
export function currentView(map) {
  const c = map.getCenter();
  return { lat: c.lat, lon: c.lng, zoom: map.getZoom() };
}
