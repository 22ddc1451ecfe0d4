// Large layers as vector tiles: with a generated dataset whose points layer
// is above the threshold (tiles.js), the map draws the points from the
// server's MVT tiles of the date shown, with Leaflet.VectorGrid, while the
// small layers stay GeoJSON; a date in another epoch asks for that date's
// tiles; the layer panel's filter goes with the tiles; nothing is fetched
// from elsewhere and nothing fails.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, browserSkip, serverAndBrowser, openPage, gotoReady } from './helpers.js';

describe('vector tiles for large layers', { skip: browserSkip }, () => {
  let dir;
  const app = serverAndBrowser(() => {
    dir = mkdtempSync(join(tmpdir(), 'controlmap-e2e-scale-'));
    const gen = spawnSync('go', ['run', './cmd/controlmap', 'generate', '--seed', '2', '--out', dir, '--points', '6000',
      '--polygons', '20', '--min-vertices', '20', '--max-vertices', '60', '--facilities', '10', '--events', '5'],
    { cwd: REPO, encoding: 'utf8' });
    assert.equal(gen.status, 0, gen.stderr);
    return { dataDir: dir };
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws the points from tiles of the date and the rest as GeoJSON', async () => {
    const { context, page, rec } = await openPage(app.browser);
    const tileURLs = [];
    page.on('request', (r) => {
      if (r.url().includes('/tiles/')) tileURLs.push(r.url());
    });
    const date = '2026-01-15';
    await gotoReady(page, `${app.server.url}/?date=${date}&view=35.0,39.0,8`);
    await page.waitForSelector('.cm-tiles-points canvas', { timeout: 15000 });
    const pointTiles = tileURLs.filter((u) => u.includes('/collections/points/tiles/WebMercatorQuad/'));
    assert.ok(pointTiles.length > 0, `no tile of points was requested: ${tileURLs}`);
    // Tiles ask for the layer's last change on or before the date shown.
    for (const u of pointTiles) assert.match(u, /\/8\/\d+\/\d+\?datetime=\d{4}-\d{2}-\d{2}$/);
    // The points layer is not fetched as GeoJSON; the small layers are.
    const items = rec.requests.filter((u) => /\/collections\/\w+\/items\?/.test(u));
    assert.ok(!items.some((u) => u.includes('/collections/points/items?') && u.includes('limit=10000')), 'the points were fetched as GeoJSON');
    assert.ok(items.some((u) => u.includes('/collections/areas/items?')), 'the areas were not fetched as GeoJSON');
    // The canvas holds drawn pixels in the catalogue's colours.
    const painted = await page.evaluate(() => {
      for (const c of document.querySelectorAll('.cm-tiles-points canvas')) {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true;
      }
      return false;
    });
    assert.ok(painted, 'no tile canvas has a drawn pixel');
    assert.ok(await page.locator('#legend h3', { hasText: /points/i }).count() > 0, 'the legend lacks the points layer');

    // Another epoch: the tiles of that date are asked.
    const before = new Set(pointTiles.map((u) => new URL(u).searchParams.get('datetime')));
    tileURLs.length = 0;
    await gotoReady(page, `${app.server.url}/?date=2026-02-25&view=35.0,39.0,8`);
    await page.waitForSelector('.cm-tiles-points canvas', { timeout: 15000 });
    const after = new Set(tileURLs.filter((u) => u.includes('/points/tiles/')).map((u) => new URL(u).searchParams.get('datetime')));
    assert.ok(after.size > 0 && [...after].every((d) => !before.has(d)), `dates before ${[...before]} and after ${[...after]}`);

    assert.deepEqual(rec.errors, []);
    assert.deepEqual(rec.external, []);
    await context.close();
  });

  it('sends the layer panel\'s filter with the tiles, and the server draws fewer points', async () => {
    const { context, page, rec } = await openPage(app.browser);
    const tileURLs = [];
    page.on('request', (r) => {
      if (r.url().includes('/collections/points/tiles/')) tileURLs.push(r.url());
    });
    await gotoReady(page, `${app.server.url}/?date=2026-01-15&view=35.0,39.0,8&f.controller=sdf`);
    await page.waitForSelector('.cm-tiles-points canvas', { timeout: 15000 });
    assert.equal(await page.isChecked('input[name="filter-controller"][value="sdf"]'), true);
    assert.equal(await page.isChecked('input[name="filter-controller"][value="government"]'), false);
    assert.ok(tileURLs.length > 0, 'no tile of points was requested');
    for (const u of tileURLs) assert.equal(new URL(u).searchParams.get('filter'), `"controller" IN ('sdf')`, u);
    // The same tiles without the filter hold more.
    let filtered = 0;
    let all = 0;
    for (const u of tileURLs) {
      const plain = new URL(u);
      plain.searchParams.delete('filter');
      filtered += (await (await fetch(u)).arrayBuffer()).byteLength;
      all += (await (await fetch(plain)).arrayBuffer()).byteLength;
    }
    assert.ok(filtered > 0 && filtered < all, `filtered tiles ${filtered} bytes, unfiltered ${all}`);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });
});
