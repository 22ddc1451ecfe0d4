// The map page (/) in Chromium against the real server and the shipped dataset.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered, runAxe, REPO } from './helpers.js';

const SDF = '#e3b505';
const GOVERNMENT = '#c0392b';
const alHol = '[data-collection="facilities"][data-key="al-hol"]';

/** areas lists the drawn control areas as {fid, controller, d}. */
function areas(page) {
  return page.$$eval('path[data-collection="control_areas"]', (els) => els.map((e) => ({
    fid: e.getAttribute('data-fid'), controller: e.getAttribute('data-controller'), d: e.getAttribute('d'),
  })).sort((a, b) => a.fid.localeCompare(b.fid)));
}

describe('map page', { skip: browserSkip }, () => {
  const app = serverAndBrowser();

  it('loads with no console errors and no request leaving localhost', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/`);
    // Use it a little: change the date, open a feature, open the dialog.
    await page.fill('#date-input', '2026-01-20');
    await waitRendered(page, '2026-01-20');
    await page.click(alHol);
    await page.waitForSelector('#panel:not([hidden])');
    await page.click('#share-open');
    await page.waitForSelector('#share-dialog[open]');
    await page.keyboard.press('Escape');
    assert.deepEqual(rec.errors, []);
    assert.deepEqual(rec.external, [], 'requests left localhost');
    const paths = rec.requests.map((u) => new URL(u).pathname);
    for (const want of ['/', '/static/lib/leaflet/leaflet.js', '/static/js/main.js', '/collections', '/timeline', '/collections/facilities/items']) {
      assert.ok(paths.includes(want), `no request for ${want} recorded; got ${paths.join(' ')}`);
    }
    await context.close();
  });

  it('moving the date from 2026-01-16 to 2026-01-22 changes al-Hol camp and the areas of control, without flicker', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-16`);
    await waitRendered(page, '2026-01-16');
    assert.equal(await page.getAttribute(alHol, 'data-controller'), 'sdf');
    assert.equal(await page.getAttribute(`${alHol} .cm-body`, 'fill'), SDF);
    const before16 = await areas(page);
    assert.ok(before16.length > 0, 'no control areas drawn on 2026-01-16');

    // Record how many areas are drawn after every DOM change: never zero.
    await page.evaluate(() => {
      window.cmAreaCounts = [];
      new MutationObserver(() => {
        window.cmAreaCounts.push(document.querySelectorAll('path[data-collection="control_areas"]').length);
      }).observe(document.getElementById('map'), { childList: true, subtree: true });
    });
    await page.fill('#date-input', '2026-01-22');
    await waitRendered(page, '2026-01-22');

    assert.equal(await page.getAttribute(alHol, 'data-controller'), 'government');
    assert.equal(await page.getAttribute(`${alHol} .cm-body`, 'fill'), GOVERNMENT);
    assert.equal(await page.textContent('#date-words'), '22 January 2026');
    const after22 = await areas(page);
    assert.notDeepEqual(after22.map((a) => a.fid), before16.map((a) => a.fid), 'the same area versions are drawn');
    const gov = (list) => list.filter((a) => a.controller === 'government').map((a) => a.d).join();
    assert.notEqual(gov(after22), gov(before16), 'the government area did not change shape');
    const counts = await page.evaluate(() => window.cmAreaCounts);
    assert.ok(counts.length > 0 && counts.every((n) => n > 0), `areas vanished during the swap: ${counts}`);

    // Scrubbing back to a date seen before asks the server nothing new.
    const n = rec.requests.length;
    await page.fill('#date-input', '2026-01-16');
    await waitRendered(page, '2026-01-16');
    assert.equal(await page.getAttribute(`${alHol} .cm-body`, 'fill'), SDF);
    const again = rec.requests.slice(n).filter((u) => u.includes('/items'));
    assert.deepEqual(again, [], 'cached dates were fetched again');
    assert.match(await page.textContent('#summary'), /^On 16 January 2026 the SDF controlled .*al-Hol camp/);
    await context.close();
  });

  it('keeps the state in the URL and restores it on reload', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-21`);
    await page.uncheck('input[name="layer"][value="events"]');
    await page.click('.leaflet-control-zoom-in');
    await page.waitForFunction(() => new URL(location.href).searchParams.has('view'));
    await page.click(alHol);
    await page.waitForSelector('#panel:not([hidden])');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('sel') === 'facilities:al-hol');
    const url1 = new URL(page.url());
    assert.equal(url1.searchParams.get('date'), '2026-01-21');
    assert.ok(!url1.searchParams.get('layers').split(',').includes('events'));
    assert.ok(url1.searchParams.get('layers').split(',').includes('facilities'));
    const box1 = await page.locator(alHol).boundingBox();

    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await waitRendered(page, '2026-01-21');
    const url2 = new URL(page.url());
    for (const k of ['date', 'view', 'layers', 'sel']) assert.equal(url2.searchParams.get(k), url1.searchParams.get(k), `parameter ${k}`);
    assert.equal(await page.textContent('#date-words'), '21 January 2026');
    assert.equal(await page.isChecked('input[name="layer"][value="events"]'), false);
    assert.equal(await page.locator('[data-collection="events"]').count(), 0);
    assert.equal(await page.textContent('#panel-title'), 'al-Hol camp');
    assert.match(await page.textContent('#panel-body'), /Controlled by: Syrian government/);
    const box2 = await page.locator(alHol).boundingBox();
    assert.ok(Math.abs(box1.x - box2.x) < 2 && Math.abs(box1.y - box2.y) < 2, `view differs: ${JSON.stringify([box1, box2])}`);
    await context.close();
  });

  it('shows a feature\'s details: Arabic name, status on the date, figures and sources', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-21&sel=facilities:al-hol`);
    await page.waitForSelector('#panel:not([hidden])');
    assert.equal(await page.textContent('#panel-title'), 'al-Hol camp');
    const ar = page.locator('#panel-body .name-ar');
    assert.equal(await ar.getAttribute('lang'), 'ar');
    assert.equal(await ar.getAttribute('dir'), 'rtl');
    assert.equal(await ar.textContent(), 'مخيم الهول');
    const body = await page.textContent('#panel-body');
    assert.match(body, /On 21 January 2026: Controlled by: Syrian government; status: handed over/);
    assert.match(body, /population: about 24,000 people \(21 January 2026, Middle East Eye\)/);
    const hrefs = await page.$$eval('#panel-body .sources a', (as) => as.map((a) => a.href));
    assert.ok(hrefs.every((h) => /^https?:/.test(h)), `non-http source links: ${hrefs}`);
    // An estimated position says so.
    await page.click('[data-collection="facilities"][data-key="al-aqtan-prison"]');
    await page.waitForFunction(() => document.getElementById('panel-title').textContent !== 'al-Hol camp');
    assert.match(await page.textContent('#panel-body'), /Estimated position/);
    assert.match(await page.textContent('#panel-body'), /status: besieged/);
    await context.close();
  });

  it('moves the date and the view to an event chosen in the list', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-02-05`);
    const btn = page.locator('#events .event', { hasText: 'Troops enter Raqqa' });
    await btn.click();
    await waitRendered(page, '2026-01-18');
    assert.equal(await page.textContent('#date-words'), '18 January 2026');
    assert.equal(await btn.getAttribute('aria-current'), 'date');
    assert.equal(await page.textContent('#panel-title'), 'Troops enter Raqqa');
    await page.waitForFunction(() => new URL(location.href).searchParams.has('view'));
    const view = new URL(page.url()).searchParams.get('view').split(',').map(Number);
    assert.ok(Math.abs(view[0] - 35.95) < 0.3 && Math.abs(view[1] - 39.01) < 0.3, `view ${view} is not at Raqqa`);
    await context.close();
  });

  it('can be used by keyboard alone: skip link, slider, buttons', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-16`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'date-range');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused slider has no visible outline');
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
    await waitRendered(page, '2026-01-22');
    assert.equal(await page.getAttribute('#date-range', 'aria-valuetext'), '22 January 2026');
    assert.equal(await page.getAttribute(`${alHol} .cm-body`, 'fill'), GOVERNMENT);
    await page.waitForFunction(() => document.getElementById('date-live').textContent === 'Showing: 22 January 2026');
    await page.keyboard.press('Home');
    await waitRendered(page, '2026-01-01');
    await page.keyboard.press('End');
    const end = await page.getAttribute('#date-input', 'max');
    await waitRendered(page, end);

    // Shift+Tab back to "Previous change" ("Next change" is disabled at the
    // end, so out of the tab order); Enter steps to the previous change.
    for (let i = 0; i < 4 && (await page.evaluate(() => document.activeElement.id)) !== 'date-prev'; i++) {
      await page.keyboard.press('Shift+Tab');
    }
    assert.equal(await page.evaluate(() => document.activeElement.id), 'date-prev');
    await page.keyboard.press('Enter');
    await page.waitForFunction((e) => document.body.dataset.renderedDate < e, end);
    assert.ok(await page.evaluate(() => document.activeElement.matches(':focus-visible')), 'the button has no visible focus');

    // Markers are reachable and open the panel with Enter.
    await page.focus(alHol);
    await page.keyboard.press('Enter');
    await page.waitForSelector('#panel:not([hidden])');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'panel-title');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#panel', { state: 'hidden' });
    await context.close();
  });

  it('plays through the days and pauses', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-19`);
    await page.focus('#date-play');
    await page.keyboard.press('Space');
    assert.equal(await page.getAttribute('#date-play', 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute('#date-play', 'aria-label'), 'Pause');
    await waitRendered(page, '2026-01-20');
    await waitRendered(page, '2026-01-21');
    await page.keyboard.press('Space');
    assert.equal(await page.getAttribute('#date-play', 'aria-pressed'), 'false');
    const stopped = await page.inputValue('#date-input');
    assert.ok(stopped >= '2026-01-21', `stopped at ${stopped}`);
    await context.close();
  });

  it('has no serious or critical axe-core violations', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-21&sel=facilities:al-hol`);
    await page.waitForSelector('#panel:not([hidden])');
    assert.deepEqual(await runAxe(page), []);
    await page.click('#share-open');
    await page.waitForSelector('#share-dialog[open]');
    assert.deepEqual(await runAxe(page), []);
    await context.close();
  });

  it('saves screenshots of two dates at desktop and phone sizes', async () => {
    const dir = join(REPO, 'docs', 'screenshots');
    mkdirSync(dir, { recursive: true });
    const sizes = { desktop: { width: 1280, height: 800 }, phone: { width: 375, height: 812 } };
    for (const [name, viewport] of Object.entries(sizes)) {
      for (const d of ['2026-01-16', '2026-02-05']) {
        const { context, page, rec } = await openPage(app.browser, { viewport, reducedMotion: 'reduce' });
        await gotoReady(page, `${app.server.url}/?date=${d}&sel=facilities:al-hol`);
        await waitRendered(page, d);
        await page.waitForSelector('#panel:not([hidden])');
        if (name === 'phone') {
          // Nothing wider than the phone: no horizontal scrolling.
          const wide = await page.evaluate(() => document.documentElement.scrollWidth);
          assert.ok(wide <= viewport.width, `page is ${wide}px wide on a ${viewport.width}px phone`);
        }
        await page.evaluate(() => document.activeElement && document.activeElement.blur());
        await page.screenshot({ path: join(dir, `map-${d}-${name}.png`) });
        assert.deepEqual(rec.errors, []);
        await context.close();
      }
    }
  });
});
