// The layer panel's filters (controller, status, claim status, kind): CQL2
// filters on the map's requests, in the URL, the share link and the widget,
// in Chromium against the real server; with the shipped dataset, and with a
// copy whose event kinds hold a quote, markup, a comma and a percent sign.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered, runAxe } from './helpers.js';

const DATE = '2026-01-21';
const CONTROLLED = ['facilities', 'control_areas', 'crossings'];
const drawn = (id, extra = '') => `[data-collection="${id}"]${extra}`;

/** count returns how many features of collection id are drawn, with attribute selector extra. */
const count = (page, id, extra = '') => page.locator(drawn(id, extra)).count();

/** catalogue fetches /collections from the page: Map id -> collection. */
async function catalogue(page) {
  const list = await page.evaluate(async () => (await (await fetch('/collections', { headers: { Accept: 'application/json' } })).json()).collections);
  return new Map(list.map((c) => [c.id, c]));
}

/** filterOf returns the filter parameter of the last request for items of collection id, or null when none had one. */
function filterOf(rec, id) {
  const urls = rec.requests.filter((u) => new URL(u).pathname === `/collections/${id}/items`);
  const withFilter = urls.filter((u) => new URL(u).searchParams.has('filter'));
  return withFilter.length ? new URL(withFilter[withFilter.length - 1]).searchParams.get('filter') : null;
}

/** waitFilters waits until the map has drawn the filters given as f.PROPERTY parameters ("" for none). */
function waitFilters(page, params) {
  return page.waitForSelector(`body[data-rendered-filters="${params.replace(/"/g, '\\"')}"]`);
}

describe('filters on the map', { skip: browserSkip }, () => {
  const app = serverAndBrowser();

  it('unchecking a controller (by keyboard) removes its features, filters the requests with CQL2 and goes into the URL', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=${DATE}`);
    await waitRendered(page, DATE);
    await waitFilters(page, '');
    const cols = await catalogue(page);
    const order = cols.get('facilities').style.order;
    assert.ok(order.includes('sdf'), 'the catalogue has no controller sdf');

    const before = {};
    for (const id of CONTROLLED) before[id] = { all: await count(page, id), sdf: await count(page, id, '[data-controller="sdf"]') };
    assert.ok(before.facilities.sdf > 0 && before.control_areas.sdf > 0, `nothing of the SDF drawn: ${JSON.stringify(before)}`);
    const eventsBefore = await count(page, 'events');
    assert.ok(eventsBefore > 0);
    assert.equal(await page.isVisible('#filter-note'), false);
    assert.equal(await page.isVisible('#filter-clear'), false);
    assert.equal(await page.textContent('#filter-status'), 'No filter: every value is shown.');

    // Keyboard only: open the Controller group, Space on the SDF's checkbox.
    const group = 'details[data-property="controller"]';
    await page.focus(`${group} summary`);
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute(group, 'open'), '');
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/collections/facilities/items' && new URL(r.url()).searchParams.has('filter'));
    await page.focus('input[name="filter-controller"][value="sdf"]');
    await page.keyboard.press('Space');
    const kept = order.filter((v) => v !== 'sdf');
    await waitFilters(page, `f.controller=${kept.join(',')}`);

    // The map: nothing of the SDF's; everything else as before; events (no controller) untouched.
    for (const id of CONTROLLED) {
      assert.equal(await count(page, id, '[data-controller="sdf"]'), 0, `${id}: SDF features still drawn`);
      assert.equal(await count(page, id), before[id].all - before[id].sdf, `${id}: other features lost`);
    }
    assert.equal(await count(page, 'events'), eventsBefore);
    assert.equal(filterOf(rec, 'events'), null, 'the events were filtered by a property they do not have');

    // The requests carry the CQL2 filter, and the server answered with fewer features.
    const want = `"controller" IN (${kept.map((v) => `'${v}'`).join(',')})`;
    for (const id of CONTROLLED) assert.equal(filterOf(rec, id), want, id);
    const res = await answer;
    const filtered = await res.json();
    const unfilteredURL = new URL(res.url());
    unfilteredURL.searchParams.delete('filter');
    const unfiltered = await (await fetch(unfilteredURL)).json();
    assert.ok(filtered.features.length > 0 && filtered.features.length < unfiltered.features.length,
      `filtered ${filtered.features.length}, unfiltered ${unfiltered.features.length}`);
    assert.ok(filtered.features.every((f) => f.properties.controller !== 'sdf'));

    // The state: URL, words, the note on the map, the share link.
    assert.equal(new URL(page.url()).searchParams.get('f.controller'), kept.join(','));
    assert.equal(await page.textContent('#filter-status'), `Filtered: ${kept.length} of ${order.length} controllers.`);
    assert.match(await page.textContent(`${group} .filter-count`), new RegExp(`\\(${kept.length} of ${order.length}\\)`));
    assert.equal(await page.isVisible('#filter-note'), true);
    assert.match(await page.textContent('#filter-note'), /Filtered: 6 of 7 controllers/);
    assert.match(await page.textContent('#summary'), /Filtered: 6 of 7 controllers\.$/);
    await page.click('#share-open');
    assert.equal(new URL(await page.inputValue('#share-link')).searchParams.get('f.controller'), kept.join(','));
    await page.keyboard.press('Escape');
    assert.deepEqual(rec.errors, []);
    assert.deepEqual(rec.external, []);
    await context.close();
  });

  it('a shared link restores the checkboxes and the filtered map, the widget too; Clear filters shows everything again', async () => {
    const { context, page, rec } = await openPage(app.browser);
    // Roj camp was the SDF's: selected, it is not on the filtered map.
    await gotoReady(page, `${app.server.url}/?date=${DATE}&f.controller=government&sel=facilities:roj-camp`);
    await waitFilters(page, 'f.controller=government');
    assert.equal(await page.textContent('#panel-body'), 'Not on the map on 21 January 2026 with the filters chosen.');
    const boxes = await page.$$eval('input[name="filter-controller"]', (els) => els.map((e) => [e.value, e.checked]));
    assert.ok(boxes.length >= 7, `only ${boxes.length} controller checkboxes`);
    for (const [v, on] of boxes) assert.equal(on, v === 'government', `checkbox ${v}`);
    assert.equal(await page.getAttribute('details[data-property="controller"]', 'open'), '', 'the filtered group is closed');
    assert.equal(await page.getAttribute('details[data-property="kind"]', 'open'), null);
    const gov = await count(page, 'facilities', '[data-controller="government"]');
    assert.ok(gov > 0);
    assert.equal(await count(page, 'facilities'), gov);
    assert.equal(await count(page, 'control_areas'), await count(page, 'control_areas', '[data-controller="government"]'));
    assert.equal(filterOf(rec, 'facilities'), `"controller" IN ('government')`);
    assert.deepEqual(await runAxe(page), []);

    // The widget from the Share / Embed dialog is filtered the same way and says so.
    await page.click('#share-open');
    const iframe = await page.inputValue('#share-iframe');
    const src = iframe.match(/src="([^"]+)"/)[1].replace(/&amp;/g, '&');
    assert.equal(new URL(src).searchParams.get('f.controller'), 'government');
    await page.keyboard.press('Escape');
    const widget = await context.newPage();
    await gotoReady(widget, src);
    await waitRendered(widget, DATE);
    assert.equal(await count(widget, 'facilities'), gov);
    assert.equal(await count(widget, 'facilities', '[data-controller="sdf"]'), 0);
    assert.equal(await widget.isVisible('#embed-filter'), true);
    assert.match(await widget.textContent('#embed-filter'), /^Filtered, showing only: Syrian government$/);
    assert.equal(new URL(await widget.getAttribute('#embed-full', 'href')).searchParams.get('f.controller'), 'government');
    await widget.close();

    // Clear filters: every box checked, the URL without filters, everything drawn.
    await page.click('#filter-clear');
    await waitFilters(page, '');
    assert.equal(new URL(page.url()).searchParams.has('f.controller'), false);
    assert.ok(await page.$$eval('input[name="filter-controller"]', (els) => els.every((e) => e.checked)));
    assert.ok(await count(page, 'facilities', '[data-controller="sdf"]') > 0, 'the SDF\'s facilities did not come back');
    assert.equal(await page.isVisible('#filter-clear'), false);
    assert.equal(await page.isVisible('#filter-note'), false);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('filters only the layers that have the property: None of the kinds, then prisons only', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=${DATE}`);
    await waitFilters(page, '');
    const areas = await count(page, 'control_areas');
    // A prison is drawn as a square (symbols.js), a camp as a circle.
    const prisons = await page.locator(`${drawn('facilities')} rect.cm-body`).count();
    assert.ok(prisons > 0 && prisons < await count(page, 'facilities'));
    await page.click('details[data-property="kind"] summary');
    await page.click('button[aria-label="None: kind"]');
    await waitFilters(page, 'f.kind=');
    assert.equal(await count(page, 'facilities'), 0);
    assert.equal(await count(page, 'events'), 0);
    assert.equal(await page.locator('#events li').count(), 0, 'the events list is not filtered');
    assert.equal(await count(page, 'control_areas'), areas, 'the areas (no kind) were filtered');
    assert.equal(filterOf(rec, 'control_areas'), null);
    assert.equal(filterOf(rec, 'facilities'), 'FALSE');
    await page.check('input[name="filter-kind"][value="prison"]');
    await waitFilters(page, 'f.kind=prison');
    assert.equal(filterOf(rec, 'facilities'), `"kind" IN ('prison')`);
    // Events have no kind "prison": none is kept.
    assert.equal(filterOf(rec, 'events'), 'FALSE');
    assert.equal(await count(page, 'events'), 0);
    assert.equal(await count(page, 'facilities'), prisons, 'not the prisons drawn before');
    assert.equal(await page.locator(`${drawn('facilities')} rect.cm-body`).count(), prisons, 'a camp is drawn');
    assert.equal(await page.textContent('#filter-status'), 'Filtered: 1 of 11 kinds.');
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('ignores unknown properties and values in the URL', async () => {
    const { context, page, rec } = await openPage(app.browser);
    const q = 'f.controller=bogus,%3Cimg%20src%3Dx%3E&f.nope=1&f.claim_status=confirmed,nope,%27%29%20OR%20TRUE%20--';
    await gotoReady(page, `${app.server.url}/?date=${DATE}&${q}`);
    await waitFilters(page, 'f.claim_status=confirmed');
    const url = new URL(page.url());
    assert.deepEqual([...url.searchParams.keys()].filter((k) => k.startsWith('f.')), ['f.claim_status']);
    assert.equal(url.searchParams.get('f.claim_status'), 'confirmed');
    assert.ok(await page.$$eval('input[name="filter-controller"]', (els) => els.every((e) => e.checked)), 'an unknown controller filtered the map');
    assert.equal(filterOf(rec, 'facilities'), `"claim_status" IN ('confirmed')`);
    const claims = await page.$$eval('[data-claim]', (els) => els.map((e) => e.getAttribute('data-claim')));
    assert.ok(claims.length > 0 && claims.every((c) => c === 'confirmed'), `claims drawn: ${claims}`);
    const api = rec.requests.filter((u) => new URL(u).pathname.startsWith('/collections'));
    assert.ok(api.length > 0 && !api.some((u) => /bogus|nope|OR%20TRUE|OR\+TRUE/.test(u)), 'an unknown value reached a request');
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });
});

// Event kinds that must be escaped everywhere: in CQL2 ('' for '), in the
// URL (a comma and a percent sign inside a value) and in the page (text).
const QUOTED = "it's <b>bold</b>";
const COMMA = 'a,b%2C';

describe('filters on values that need escaping', { skip: browserSkip }, () => {
  let dir;
  const app = serverAndBrowser(() => {
    dir = mkdtempSync(join(tmpdir(), 'controlmap-e2e-filters-'));
    cpSync(join(REPO, 'data'), dir, { recursive: true });
    const cat = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8'));
    const events = cat.collections.find((c) => c.id === 'events');
    events.style.colors[QUOTED] = '#111111';
    events.style.colors[COMMA] = '#222222';
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(cat));
    const file = join(dir, 'events.geojson');
    const fc = JSON.parse(readFileSync(file, 'utf8'));
    const byId = (id) => fc.features.find((f) => f.id === id);
    byId('2026-01-18-troops-enter-raqqa').properties.kind = QUOTED;
    byId('2026-01-20-renewed-ceasefire').properties.kind = COMMA;
    writeFileSync(file, JSON.stringify(fc));
    return { dataDir: dir };
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends quotes doubled, keeps commas and markup in the URL, and shows them as text', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=${DATE}`);
    await waitFilters(page, '');
    await page.click('details[data-property="kind"] summary');
    const label = page.locator('details[data-property="kind"] label', { has: page.locator(`input[value="${QUOTED.replace(/"/g, '\\"')}"]`) });
    assert.equal(await label.textContent(), QUOTED);
    assert.equal(await page.locator('#filters b').count(), 0, 'a value was rendered as HTML');

    await page.click('button[aria-label="None: kind"]');
    await waitFilters(page, 'f.kind=');
    await page.check(`input[name="filter-kind"][value="${QUOTED}"]`);
    await page.check(`input[name="filter-kind"][value="${COMMA}"]`);
    await page.waitForFunction(() => (new URL(location.href).searchParams.get('f.kind') || '').split(',').length === 2);
    const param = new URL(page.url()).searchParams.get('f.kind');
    // The kinds come in the catalogue's order (the style's colours).
    assert.deepEqual(param.split(',').map(decodeURIComponent).sort(), [QUOTED, COMMA].sort());
    await page.waitForSelector('body[data-rendered-filters^="f.kind="]');
    // In the catalogue's order, whichever it is; the quote doubled.
    const got = filterOf(rec, 'events');
    const quoted = "'it''s <b>bold</b>'";
    assert.ok([`"kind" IN (${quoted},'${COMMA}')`, `"kind" IN ('${COMMA}',${quoted})`].includes(got), `events filter ${got}`);
    await page.waitForFunction(() => document.querySelectorAll('#events li').length === 2);
    const names = await page.$$eval('#events .event-kind', (els) => els.map((e) => e.textContent).sort());
    assert.deepEqual(names, [COMMA, QUOTED].sort());
    assert.equal(await page.locator('[data-collection="events"]').count(), 2);

    // The link restores both values.
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('body[data-rendered-filters^="f.kind="]');
    const checked = await page.$$eval('input[name="filter-kind"]:checked', (els) => els.map((e) => e.value).sort());
    assert.deepEqual(checked, [COMMA, QUOTED].sort());
    assert.equal(await page.locator('[data-collection="events"]').count(), 2);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });
});
