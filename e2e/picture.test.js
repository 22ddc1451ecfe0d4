// The server's pictures where pages use them: the link preview (og:image)
// of the map page, the <noscript> image of the embed code, and the
// pictures the Share dialog offers; in Chromium against the real server and
// the shipped dataset.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered, serveHTML, REPO } from './helpers.js';

/** pngSize reads the width and height from a PNG's IHDR chunk. */
function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'not a PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

describe('pictures of a view', { skip: browserSkip }, () => {
  const app = serverAndBrowser();

  it("the map page's og:image answers a PNG of the declared size for the page's state", async () => {
    const { context, page, rec } = await openPage(app.browser);
    const state = 'date=2026-01-20&view=36.3,40.9,8&sel=facilities:al-hol&since=2026-01-15';
    await gotoReady(page, `${app.server.url}/?${state}`);
    const meta = async (p) => page.getAttribute(`meta[property="${p}"]`, 'content');
    const image = await meta('og:image');
    assert.ok(image, 'no og:image');
    const u = new URL(image);
    assert.equal(u.origin, app.server.url, 'og:image is not an absolute URL of this server');
    assert.equal(u.pathname, '/render.png');
    // The page's state: its date, the changes since, the selection, the view as a box.
    assert.equal(u.searchParams.get('date'), '2026-01-20');
    assert.equal(u.searchParams.get('since'), '2026-01-15');
    assert.equal(u.searchParams.get('feature'), 'facilities:al-hol');
    const [w, s, e, n] = u.searchParams.get('bbox').split(',').map(Number);
    assert.ok(w < 40.9 && 40.9 < e && s < 36.3 && 36.3 < n, `the box ${u.searchParams.get('bbox')} is not round the view`);
    assert.equal(await page.getAttribute('meta[name="twitter:card"]', 'content'), 'summary_large_image');
    assert.match(await meta('og:description'), /15 January 2026 to 20 January 2026/);
    const res = await page.request.get(image);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'image/png');
    const size = pngSize(await res.body());
    assert.deepEqual(size, { width: Number(await meta('og:image:width')), height: Number(await meta('og:image:height')) });
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it("saves the picture of the map page's default view on 20 January 2026 and of the changes since 15 January (README)", async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-20`);
    const dir = join(REPO, 'docs', 'screenshots');
    mkdirSync(dir, { recursive: true });
    for (const [name, q] of [['picture-2026-01-20.png', 'date=2026-01-20'], ['picture-changes-2026-01-15-2026-01-20.png', 'date=2026-01-20&since=2026-01-15']]) {
      const res = await page.request.get(`${app.server.url}/render.png?${q}`);
      assert.equal(res.status(), 200);
      const body = await res.body();
      assert.deepEqual(pngSize(body), { width: 1200, height: 675 });
      writeFileSync(join(dir, name), body);
    }
    await context.close();
  });

  it("the embed code's noscript image loads, linked to the live map, where scripts do not run", async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-20`);
    await waitRendered(page, '2026-01-20');
    await page.click('#share-open');
    await page.waitForSelector('#share-dialog[open]');
    const code = await page.inputValue('#share-iframe');
    const m = code.match(/<noscript><a href="([^"]+)"><img src="([^"]+)" width="(\d+)" height="(\d+)"/);
    assert.ok(m, `no noscript image in ${code}`);
    const unescape = (s) => s.replace(/&amp;/g, '&');
    assert.equal(new URL(unescape(m[1])).searchParams.get('date'), '2026-01-20');
    // The PNG and SVG the dialog offers.
    for (const [id, type] of [['#share-download-png', 'image/png'], ['#share-download-svg', 'image/svg+xml']]) {
      const href = await page.getAttribute(id, 'href');
      const res = await page.request.get(new URL(href, app.server.url).href);
      assert.equal(res.status(), 200, `${id}: ${href}`);
      assert.ok(res.headers()['content-type'].startsWith(type), `${id}: ${res.headers()['content-type']}`);
    }
    await context.close();

    // The code pasted into a page read with scripts off: the image loads.
    const host = await serveHTML(`<!doctype html><title>Article</title><p>Before.</p>${code}<p>After.</p>`);
    const reader = await app.browser.newContext({ javaScriptEnabled: false });
    try {
      const p = await reader.newPage();
      const loaded = p.waitForResponse((r) => new URL(r.url()).pathname === '/render.png');
      await p.goto(host.url);
      const res = await loaded;
      assert.equal(res.status(), 200);
      assert.deepEqual(pngSize(await res.body()), { width: Number(m[3]), height: Number(m[4]) });
      assert.equal(await p.getAttribute('noscript a, a', 'href'), unescape(m[1]));
    } finally {
      await reader.close();
      await host.close();
    }
  });
});
