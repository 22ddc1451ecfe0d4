// An optional raster basemap: with --tile-url the page loads tiles from that
// host (allowed by its CSP, and from nowhere else) and shows the configured
// attribution as text.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { browserSkip, serverAndBrowser, openPage, gotoReady, freePort } from './helpers.js';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const ATTRIBUTION = 'Tiles © <b>Test</b> & co';

describe('raster tiles', { skip: browserSkip }, () => {
  let tiles;
  let tileURL;
  const tileRequests = [];
  const app = serverAndBrowser(async () => {
    const port = await freePort();
    tiles = createServer((req, res) => {
      tileRequests.push(req.url);
      if (!/^\/\d+\/\d+\/\d+\.png$/.test(req.url)) {
        res.writeHead(404);
        res.end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'image/png' });
      res.end(PNG);
    });
    await new Promise((r) => tiles.listen(port, '127.0.0.1', r));
    tileURL = `http://127.0.0.1:${port}/{z}/{x}/{y}.png`;
    return { extraArgs: ['--tile-url', tileURL, '--tile-attribution', ATTRIBUTION] };
  });
  after(() => new Promise((r) => (tiles ? tiles.close(r) : r())));

  it('loads tiles from the configured host only, with its attribution as text', async () => {
    const { context, page, rec } = await openPage(app.browser);
    const res = await page.goto(`${app.server.url}/?date=2026-01-21`);
    const csp = res.headers()['content-security-policy'];
    assert.match(csp, new RegExp(`img-src 'self' data: ${tileURL.slice(0, tileURL.indexOf('/{z}')).replace(/\./g, '\\.')};`));
    await gotoReady(page, `${app.server.url}/?date=2026-01-21`);
    await page.waitForSelector('img.leaflet-tile-loaded');
    // The offline basemap's countries are unfilled, so the tiles show through.
    assert.equal(await page.getAttribute('path[data-collection="basemap"][data-fid="country-syria"]', 'fill-opacity'), '0');
    assert.ok(tileRequests.some((u) => /^\/\d+\/\d+\/\d+\.png$/.test(u)), 'no tile was requested');
    assert.match(await page.textContent('.cm-attribution'), /Tiles © <b>Test<\/b> & co/);
    assert.equal(await page.locator('.cm-attribution b').count(), 0);
    assert.deepEqual(rec.errors, []);
    assert.deepEqual(rec.external, []);
    await context.close();
  });
});
