// When a script the map needs does not load, the map page and the widget say
// what failed in the map's place (static/js/loadcheck.js) instead of showing
// an empty map. Chromium against the real server, with the script's request
// aborted.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkip, serverAndBrowser, openPage, gotoReady } from './helpers.js';

/** openBroken opens path with every request for a URL matching blocked aborted. */
async function openBroken(app, path, blocked) {
  const { context, page } = await openPage(app.browser);
  await page.route(blocked, (route) => route.abort('failed'));
  await page.goto(`${app.server.url}${path}`);
  await page.waitForSelector('body[data-ready]');
  return { context, page };
}

describe('a script that does not load', { skip: browserSkip }, () => {
  const app = serverAndBrowser();

  for (const path of ['/', '/embed']) {
    it(`${path}: without Leaflet, the map says the map library could not be loaded`, async () => {
      const { context, page } = await openBroken(app, path, '**/static/lib/leaflet/leaflet.js');
      assert.equal(await page.getAttribute('body', 'data-ready'), 'error');
      const msg = page.locator('#map .map-error[role="alert"]');
      assert.equal(await msg.count(), 1);
      assert.ok(await msg.isVisible(), 'the message is not visible');
      assert.match(await msg.textContent(), /^The map library could not be loaded \(\/static\/lib\/leaflet\/leaflet\.js\)\./);
      await context.close();
    });
  }

  it('/: without one of its modules, the map names its script', async () => {
    const { context, page } = await openBroken(app, '/', '**/static/js/map.js');
    const msg = page.locator('#map .map-error');
    assert.ok(await msg.isVisible(), 'no visible message');
    assert.match(await msg.textContent(), /^The map's script could not be loaded \(\/static\/js\/main\.js\)\./);
    await context.close();
  });

  it('/embed: without its module, the widget names its script', async () => {
    const { context, page } = await openBroken(app, '/embed', '**/static/js/embed.js');
    assert.match(await page.locator('#map .map-error').textContent(), /\(\/static\/js\/embed\.js\)/);
    await context.close();
  });

  for (const path of ['/', '/embed']) {
    it(`${path}: when everything loads, there is no message`, async () => {
      const { context, page, rec } = await openPage(app.browser);
      await gotoReady(page, `${app.server.url}${path}`);
      assert.equal(await page.locator('.map-error').count(), 0);
      assert.deepEqual(rec.errors, []);
      assert.ok(rec.requests.some((u) => new URL(u).pathname === '/static/js/loadcheck.js'), 'loadcheck.js not requested');
      await context.close();
    });
  }
});
