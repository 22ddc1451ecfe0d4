// Data is text, never HTML: a facility whose name is an HTML payload, served
// from a copy of data/ through --data, is shown literally everywhere.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered, hostileDataDir, HOSTILE_NAME } from './helpers.js';

const alHol = '[data-collection="facilities"][data-key="al-hol"]';

describe('hostile data', { skip: browserSkip }, () => {
  let data;
  const app = serverAndBrowser(() => {
    data = hostileDataDir();
    return { dataDir: data.dir };
  });
  after(() => data?.cleanup());

  it('shows a name containing <img src=x onerror=alert(1)> as text', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-21&sel=facilities:al-hol`);
    await waitRendered(page, '2026-01-21');
    await page.waitForSelector('#panel:not([hidden])');
    assert.equal(await page.textContent('#panel-title'), HOSTILE_NAME);
    assert.equal(await page.textContent('#panel-body .name-ar'), '<script>alert(2)</script>');
    assert.ok((await page.textContent('#summary')).includes(`the Syrian government controlled ${HOSTILE_NAME}`));
    assert.equal(await page.getAttribute(alHol, 'aria-label'), `${HOSTILE_NAME}: Syrian government, handed over`);
    // The source whose URL is javascript: is text, not a link; its publisher is text.
    const body = await page.textContent('#panel-body');
    assert.ok(body.includes('<b>bold</b>: javascript link'));
    assert.equal(await page.locator('#panel-body a[href^="javascript:"]').count(), 0);
    // The tooltip too.
    await page.hover(alHol);
    await page.waitForSelector('.leaflet-tooltip:not(.cm-label)');
    assert.equal(await page.textContent('.leaflet-tooltip:not(.cm-label)'), HOSTILE_NAME);
    // In the widget, and in the Share dialog's title.
    await gotoReady(page, `${app.server.url}/embed?date=2026-01-21`);
    assert.ok((await page.textContent('#summary')).includes(HOSTILE_NAME));

    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.deepEqual(rec.dialogs, [], 'a dialog fired');
    assert.ok(!rec.requests.some((u) => new URL(u).pathname === '/x'), 'the payload image was requested');
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('lists the changed site by that name as text in the change view, on the map page and in the widget', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?since=2026-01-15&date=2026-01-25`);
    await page.waitForSelector('body[data-rendered-since="2026-01-15/2026-01-25"]');
    const li = page.locator('#changes-result li[data-site="al-hol"]');
    assert.equal(await li.locator('button').textContent(), HOSTILE_NAME);
    // In Arabic the widget names it by its Arabic name, a script tag: text too.
    await gotoReady(page, `${app.server.url}/embed?since=2026-01-15&date=2026-01-25&lang=ar`);
    await page.waitForSelector('body[data-rendered-since="2026-01-15/2026-01-25"]');
    assert.match(await page.textContent('#embed-changes li[data-site="al-hol"]'), /^<script>alert\(2\)<\/script>/);
    assert.equal(await page.locator('#embed-changes script, #embed-changes img').count(), 0);
    assert.deepEqual(rec.dialogs, [], 'a dialog fired');
    assert.ok(!rec.requests.some((u) => new URL(u).pathname === '/x'), 'the payload image was requested');
    assert.deepEqual(rec.errors, []);
    await context.close();
  });
});
