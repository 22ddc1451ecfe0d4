// Live data: the map page and the widget pick up a change to the served data
// without a reload (static/js/live.js polls /version).

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered, REPO } from './helpers.js';

const alHol = '[data-collection="facilities"][data-key="al-hol"]';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const addDays = (d, n) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);

/** reloadFolder sends SIGHUP and waits until /version differs from before. */
async function reloadFolder(server, before) {
  server.signal('SIGHUP');
  for (let i = 0; ; i++) {
    const v = await (await fetch(`${server.url}/version`)).json();
    if (v.version !== before.version) return v;
    if (i === 300) throw new Error(`e2e: /version unchanged 30 s after SIGHUP:\n${server.log()}`);
    await sleep(100);
  }
}

const pathIs = (p) => (u) => new URL(u).pathname === p;

describe('live data', { skip: browserSkip }, () => {
  let dir;
  const app = serverAndBrowser(() => {
    dir = mkdtempSync(join(tmpdir(), 'controlmap-live-'));
    cpSync(join(REPO, 'data'), join(dir, 'data'), { recursive: true });
    return { dataDir: join(dir, 'data') };
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('redraws the date shown when the data changes, without reloading the page', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-22`);
    await waitRendered(page, '2026-01-22');
    assert.equal(await page.getAttribute(alHol, 'data-controller'), 'government');
    await page.evaluate(() => { window.cmNotReloaded = true; });
    const v0 = await (await fetch(`${app.server.url}/version`)).json();

    // An editor's correction: al-Hol held by the SDF from 21 January, an
    // enclave in the government's area (the loader refuses a differing
    // controller without a status that explains it).
    const file = join(dir, 'data', 'facilities.geojson');
    const fc = JSON.parse(readFileSync(file, 'utf8'));
    const f = fc.features.find((x) => x.id === 'al-hol-2026-01-21');
    Object.assign(f.properties, { controller: 'sdf', status: 'enclave' });
    writeFileSync(file, JSON.stringify(fc));
    await reloadFolder(app.server, v0);

    // The page polls every 15 s and whenever it becomes visible again.
    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await page.waitForSelector(`${alHol}[data-controller="sdf"]`, { timeout: 10000 });
    assert.equal(await page.evaluate(() => window.cmNotReloaded), true, 'the page was reloaded');
    assert.match(await page.textContent('#summary'), /al-Hol camp/);
    const versionPolls = rec.requests.filter((u) => new URL(u).pathname === '/version');
    assert.ok(versionPolls.length >= 2, `the page asked /version ${versionPolls.length} times`);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('adds new dates to the slider and new events to the list, keeping the date, view and selection', async () => {
    const { context, page, rec } = await openPage(app.browser);
    const view = '36.5000,40.5000,8';
    await gotoReady(page, `${app.server.url}/?date=2026-01-22&view=${view}&sel=facilities:al-hol`);
    await waitRendered(page, '2026-01-22');
    await page.waitForSelector('#panel:not([hidden])');
    await page.evaluate(() => { window.cmNotReloaded = true; });
    const ticks0 = await page.$$eval('#date-tickmarks .tick', (ts) => ts.map((t) => t.dataset.date));
    const events0 = await page.$$eval('#events li', (ls) => ls.length);
    const max0 = Number(await page.getAttribute('#date-range', 'max'));
    const range0 = await page.inputValue('#date-range');
    assert.ok(!ticks0.includes('2026-01-27') && !ticks0.includes('2026-02-20'), `ticks already there: ${ticks0}`);
    const v0 = await (await fetch(`${app.server.url}/version`)).json();

    // Two new events on new dates: one inside the slider's span, one after
    // its end (which extends it). One name is also an HTML payload.
    const hostile = 'Late report <img src=x onerror=alert(1)>';
    const file = join(dir, 'data', 'events.geojson');
    const fc = JSON.parse(readFileSync(file, 'utf8'));
    const add = (id, date, name) => {
      const f = structuredClone(fc.features[0]);
      f.id = id;
      delete f.properties.date_end;
      Object.assign(f.properties, { name, date, valid_from: date, valid_to: date });
      fc.features.push(f);
    };
    add('2026-01-27-live-test', '2026-01-27', 'Live test event');
    add('2026-02-20-live-test', '2026-02-20', hostile);
    writeFileSync(file, JSON.stringify(fc));
    await reloadFolder(app.server, v0);

    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await page.waitForSelector('#date-tickmarks .tick[data-date="2026-02-20"]', { timeout: 10000 });
    await page.waitForFunction((n) => document.querySelectorAll('#events li').length === n, events0 + 2);
    await waitRendered(page, '2026-01-22');
    assert.equal(await page.evaluate(() => window.cmNotReloaded), true, 'the page was reloaded');

    // The slider: two new ticks, a longer span, the same date in the same place.
    const ticks1 = await page.$$eval('#date-tickmarks .tick', (ts) => ts.map((t) => t.dataset.date));
    assert.deepEqual(ticks1, [...ticks0, '2026-01-27', '2026-02-20'].sort());
    assert.equal(Number(await page.getAttribute('#date-range', 'max')), max0 + 7, 'span not extended to 20 February');
    assert.equal(await page.getAttribute('#date-input', 'max'), '2026-02-20');
    assert.equal(await page.inputValue('#date-range'), range0, 'the slider moved');
    assert.equal(await page.inputValue('#date-input'), '2026-01-22');
    assert.equal(await page.getAttribute('#date-range', 'aria-valuetext'), '22 January 2026');
    assert.equal(await page.getAttribute('#date-words', 'data-date'), '2026-01-22');
    assert.equal(await page.isDisabled('#date-next'), false);

    // The list: both events, in date order, escaped, later than the date shown.
    const rows = await page.$$eval('#events li', (ls) => ls.map((l) => ({
      date: l.querySelector('time').dateTime, name: l.querySelector('.event-name').textContent, later: l.classList.contains('later'),
    })));
    assert.deepEqual(rows.map((r) => r.date), rows.map((r) => r.date).sort());
    assert.deepEqual(rows.find((r) => r.date === '2026-01-27'), { date: '2026-01-27', name: 'Live test event', later: true });
    assert.deepEqual(rows.find((r) => r.date === '2026-02-20'), { date: '2026-02-20', name: hostile, later: true });
    assert.equal(await page.$$eval('#events img', (is) => is.length), 0);
    assert.ok(rows.filter((r) => r.date <= '2026-01-22').every((r) => !r.later));

    // View and selection kept.
    const q = new URL(page.url()).searchParams;
    assert.equal(q.get('date'), '2026-01-22');
    assert.equal(q.get('view'), view);
    assert.equal(q.get('sel'), 'facilities:al-hol');
    assert.equal(await page.isVisible('#panel'), true);
    assert.equal(await page.textContent('#panel-title'), 'al-Hol camp');

    // One refetch of the timeline per change, none while the version stays.
    assert.equal(rec.requests.filter(pathIs('/timeline')).length, 2);
    const polls = rec.requests.filter(pathIs('/version')).length;
    await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/version'),
      page.evaluate(() => document.dispatchEvent(new Event('visibilitychange'))),
    ]);
    await sleep(500);
    assert.equal(rec.requests.filter(pathIs('/version')).length, polls + 1);
    assert.equal(rec.requests.filter(pathIs('/timeline')).length, 2, 'timeline refetched with an unchanged version');

    // The new event is reachable from the list.
    await page.click('#events .event:has-text("Live test event")');
    await waitRendered(page, '2026-01-27');
    assert.equal(await page.inputValue('#date-input'), '2026-01-27');
    assert.deepEqual(rec.dialogs, []);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('redraws a locked widget at its pinned date when the data changes, without reloading it', async () => {
    const { context, page, rec } = await openPage(app.browser, { viewport: { width: 640, height: 600 } });
    const aqtan = '[data-collection="facilities"][data-key="al-aqtan-prison"]';
    await gotoReady(page, `${app.server.url}/embed?date=2026-01-16&locked=1`);
    await waitRendered(page, '2026-01-16');
    assert.equal(await page.getAttribute(aqtan, 'data-controller'), 'sdf');
    assert.doesNotMatch(await page.textContent('#summary'), /government controlled/);
    await page.evaluate(() => { window.cmNotReloaded = true; });
    const ticks0 = await page.$$eval('#date-tickmarks .tick', (ts) => ts.map((t) => t.dataset.date));
    const max0 = Number(await page.getAttribute('#date-range', 'max'));
    const range0 = await page.inputValue('#date-range');
    const end0 = await page.getAttribute('#date-input', 'max');
    const later = addDays(end0, 3);
    const v0 = await (await fetch(`${app.server.url}/version`)).json();

    // A correction seen at the pinned date: al-Aqtan prison held by the
    // government from 1 January, under a name that is also an HTML payload;
    // and an event three days after the widget's span, which extends it.
    const hostile = 'al-Aqtan <img src=x onerror=alert(1)> prison';
    const facilities = join(dir, 'data', 'facilities.geojson');
    const fc = JSON.parse(readFileSync(facilities, 'utf8'));
    const f = fc.features.find((x) => x.id === 'al-aqtan-prison-2026-01-01');
    Object.assign(f.properties, { controller: 'government', status: 'enclave', name: hostile });
    writeFileSync(facilities, JSON.stringify(fc));
    const eventsFile = join(dir, 'data', 'events.geojson');
    const ev = JSON.parse(readFileSync(eventsFile, 'utf8'));
    const e = structuredClone(ev.features[0]);
    e.id = `${later}-embed-live-test`;
    delete e.properties.date_end;
    Object.assign(e.properties, { name: 'Embed live test event', date: later, valid_from: later, valid_to: later });
    ev.features.push(e);
    writeFileSync(eventsFile, JSON.stringify(ev));
    await reloadFolder(app.server, v0);

    await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await page.waitForSelector(`${aqtan}[data-controller="government"]`, { timeout: 10000 });
    await page.waitForFunction((h) => document.getElementById('summary').textContent.includes(h), hostile);
    assert.equal(await page.evaluate(() => window.cmNotReloaded), true, 'the widget was reloaded');

    // The layers and the summary: the correction, as text.
    assert.ok((await page.getAttribute(aqtan, 'aria-label')).startsWith(`${hostile}: Syrian government`));
    // (the status enclave adds its note after the name)
    assert.ok((await page.textContent('#summary')).startsWith(`On 16 January 2026 the Syrian government controlled ${hostile} (enclave);`));
    assert.equal(await page.locator('img[src="x"]').count(), 0);
    assert.ok(!rec.requests.some((u) => new URL(u).pathname === '/x'), 'the payload image was requested');

    // The slider: a new tick, a longer span, the same date in the same place, still locked.
    const ticks1 = await page.$$eval('#date-tickmarks .tick', (ts) => ts.map((t) => t.dataset.date));
    assert.deepEqual(ticks1, [...ticks0, later]);
    assert.equal(Number(await page.getAttribute('#date-range', 'max')), max0 + 3, 'span not extended');
    assert.equal(await page.getAttribute('#date-input', 'max'), later);
    assert.equal(await page.inputValue('#date-range'), range0, 'the slider moved');
    assert.equal(await page.inputValue('#date-input'), '2026-01-16');
    assert.equal(await page.getAttribute('#date-words', 'data-date'), '2026-01-16');
    assert.equal(await page.textContent('#embed-date'), '16 January 2026');
    assert.equal(await page.getAttribute('body', 'data-rendered-date'), '2026-01-16');
    for (const id of ['date-range', 'date-input', 'date-prev', 'date-next', 'date-play']) {
      assert.equal(await page.isDisabled(`#${id}`), true, `#${id} enabled in a locked widget`);
    }
    const full = new URL(await page.getAttribute('#embed-full', 'href'));
    assert.equal(full.searchParams.get('date'), '2026-01-16');

    // One refetch of the timeline for the change.
    assert.equal(rec.requests.filter(pathIs('/timeline')).length, 2);
    assert.ok(rec.requests.filter(pathIs('/version')).length >= 2);
    assert.deepEqual(rec.dialogs, []);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });
});
