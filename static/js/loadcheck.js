// loadcheck.js: says in the map's place what failed when a script the map
// needs did not load (Leaflet, or the page's own module), instead of leaving
// an empty map. A classic script, deferred and placed after the page's
// module script, so it runs once Leaflet and the module have run or failed
// (deferred and module scripts run in document order). Every text is set with
// textContent.

(function loadcheck() {
  const body = document.body;
  const root = body.dataset.root || '';
  let what = '';
  if (typeof window.L === 'undefined') {
    what = `The map library could not be loaded (${root}/static/lib/leaflet/leaflet.js).`;
  } else if (body.dataset.started !== 'true') {
    const mod = document.querySelector('script[type="module"]');
    const src = mod ? new URL(mod.src, location.href).pathname : 'its module';
    what = `The map's script could not be loaded (${src}).`;
  }
  if (!what) return;
  const p = document.createElement('p');
  p.className = 'map-error';
  p.setAttribute('role', 'alert');
  p.textContent = `${what} Reload the page to try again.`;
  (document.getElementById('map') || document.querySelector('main') || body).append(p);
  body.dataset.ready = 'error';
  console.error(`controlmap: ${what}`);
}());
