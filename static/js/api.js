// api.js: fetches JSON from the server's API, caching each URL's answer so
// that scrubbing the date back and forth asks the server once per date.

/** createAPI returns the client for a server whose paths start at root. */
export function createAPI(root = '') {
  const cache = new Map();

  function getJSON(path, accept = 'application/json') {
    const url = root + path;
    let p = cache.get(url);
    if (!p) {
      p = fetch(url, { headers: { Accept: accept } }).then((r) => {
        if (!r.ok) throw new Error(`api: GET ${url}: HTTP ${r.status}`);
        return r.json();
      });
      // A failed request is not cached: the next call tries again.
      p.catch(() => cache.delete(url));
      cache.set(url, p);
    }
    return p;
  }

  return {
    /** root is the path the server's URLs start with. */
    root,
    getJSON,
    /** collections lists the catalogue (id, title, style, dated, group_key, ...). */
    async collections() {
      const r = await getJSON('/collections');
      return r.collections || [];
    },
    collection: (id) => getJSON(`/collections/${encodeURIComponent(id)}`),
    /** queryables lists the properties a filter on a collection may name. */
    queryables: (id) => getJSON(`/collections/${encodeURIComponent(id)}/queryables`, 'application/schema+json'),
    /**
     * items returns the GeoJSON features of a collection valid at datetime
     * (all when null) that match filter, a CQL2 text filter (all when null).
     */
    items(id, datetime, filter = null) {
      const q = new URLSearchParams();
      if (datetime) q.set('datetime', datetime);
      if (filter) q.set('filter', filter);
      q.set('limit', '10000');
      return getJSON(`/collections/${encodeURIComponent(id)}/items?${q}`, 'application/geo+json');
    },
    timeline: () => getJSON('/timeline'),
    /** areaSeries returns /analytics/area of a polygon collection: the area each controller held at every change. */
    areaSeries: (id) => getJSON(`/analytics/area?collection=${encodeURIComponent(id)}`),
    /**
     * changes returns /analytics/change of a collection between two dates:
     * the regions (polygons) or sites (points) that changed.
     */
    changes(id, from, to) {
      const q = new URLSearchParams({ collection: id, from, to });
      return getJSON(`/analytics/change?${q}`, 'application/geo+json');
    },
    /** clear forgets every cached answer (after the data changed). */
    clear: () => cache.clear(),
  };
}
