// The change view ("changes since") and the area chart of the map page, in
// Chromium against the real server and the shipped dataset.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered, runAxe, REPO } from './helpers.js';

const SDF = '#e3b505';
const GOVERNMENT = '#c0392b';

/** waitChanges waits until the change view shows since to d. */
const waitChanges = (page, since, d) => page.waitForSelector(`body[data-rendered-since="${since}/${d}"]`);
const param = (page, k) => new URL(page.url()).searchParams.get(k);

describe('change view and area chart', { skip: browserSkip }, () => {
  const app = serverAndBrowser();

  it('draws and lists what changed hands from 2026-01-15 to 2026-01-25 (since= in the URL)', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?since=2026-01-15&date=2026-01-25`);
    await waitRendered(page, '2026-01-25');
    await waitChanges(page, '2026-01-15', '2026-01-25');
    assert.equal(param(page, 'since'), '2026-01-15');
    assert.equal(await page.isChecked('#since-on'), true);
    assert.equal(await page.inputValue('#since-input'), '2026-01-15');

    // On the map: a region gained by the government from the SDF, hatched
    // in the government's colour, outlined in the SDF's.
    const gained = page.locator('path[data-change-to="government"]');
    assert.ok(await gained.count() >= 1, 'no region gained by the government is drawn');
    assert.equal(await gained.first().getAttribute('data-change-from'), 'sdf');
    assert.equal(await gained.first().getAttribute('stroke'), SDF);
    const fill = await gained.first().getAttribute('fill');
    const m = /^url\(#([\w-]+)\)$/.exec(fill);
    assert.ok(m, `fill ${fill} is not a pattern`);
    const colours = await page.$$eval(`pattern#${m[1]} rect`, (rs) => rs.map((r) => r.getAttribute('fill')));
    assert.ok(colours.length && colours.every((c) => c === GOVERNMENT), `pattern colours ${colours}`);
    // The sites that changed are ringed.
    assert.equal(await page.locator('[data-change-site="al-hol"]').count(), 1, 'al-Hol camp is not ringed');

    // In words: the region, its area rounded to 100 km², approximate, with the confidence.
    const region = page.locator('#changes-result .changes-regions li[data-to="government"]');
    const text = await region.first().textContent();
    assert.match(text, /SDF \(Syrian Democratic Forces\).*Syrian government: about ([\d,]+) km² \(confidence: (low|medium)(, (low|medium))*\)/);
    const km2 = Number(/about ([\d,]+) km²/.exec(text)[1].replace(/,/g, ''));
    assert.ok(km2 > 0 && km2 % 100 === 0, `area ${km2} is not rounded to 100 km²`);
    assert.match(await page.textContent('#changes-result .changes-approx'), /^Approximate: areas of schematic outlines, not a survey, rounded to 100 km² \(confidence of the outlines: (low|medium)/);
    // The arrow is read as "to".
    assert.equal(await region.first().locator('[aria-hidden="true"]').last().textContent(), ' → ');

    // The sites that changed hands, al-Hol camp among them.
    const hol = page.locator('#changes-result .changes-sites li[data-site="al-hol"]');
    assert.equal(await hol.count(), 1, 'al-Hol camp is not listed');
    assert.match(await hol.textContent(), /^al-Hol camp: SDF \(Syrian Democratic Forces\) → {2}to Syrian government \(handed over; Confirmed/);
    assert.match(await page.textContent('#change-note'), /changed hands between 15 January 2026 and 25 January 2026 \(approximate\)/);
    assert.match(await page.textContent('#changes-status'), /1 region and \d+ sites listed/);
    assert.deepEqual(rec.errors, []);
    assert.deepEqual(rec.external, []);
    const asked = rec.requests.map((u) => new URL(u)).filter((u) => u.pathname === '/analytics/change').map((u) => u.searchParams.get('collection')).sort();
    assert.deepEqual(asked, ['control_areas', 'facilities']);
    await context.close();
  });

  it('works by keyboard: on with the previous change by default, a date picked stays, site names open the details', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-21`);
    assert.equal(param(page, 'since'), null);
    assert.equal(await page.locator('path[data-change-to]').count(), 0);
    await page.focus('#since-on');
    await page.keyboard.press('Space');
    // The slider's change before 21 January is 20 January.
    await waitChanges(page, '2026-01-20', '2026-01-21');
    assert.equal(param(page, 'since'), '2026-01-20');
    assert.equal(await page.inputValue('#since-input'), '2026-01-20');
    assert.ok(await page.locator('path[data-change-to="government"][data-change-from="contested"]').count() >= 1, 'the contested area taken on 21 January is not drawn');

    // A date typed into the picker stays while the slider moves.
    await page.focus('#since-input');
    await page.keyboard.type('0115'); // month and day; the year stays 2026
    await waitChanges(page, '2026-01-15', '2026-01-21');
    await page.focus('#date-range');
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
    await waitRendered(page, '2026-01-25');
    await waitChanges(page, '2026-01-15', '2026-01-25');
    assert.equal(param(page, 'since'), '2026-01-15');

    // A site's name is a button that opens its details.
    const btn = page.locator('#changes-result li[data-site="al-hol"] button');
    await btn.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('#panel:not([hidden])');
    assert.equal(await page.textContent('#panel-title'), 'al-Hol camp');
    assert.equal(param(page, 'sel'), 'facilities:al-hol');

    // An earlier date after the date shown is said, not drawn.
    await page.fill('#since-input', '2026-02-01');
    await waitChanges(page, '2026-02-01', '2026-01-25');
    assert.equal(await page.locator('path[data-change-to]').count(), 0);
    assert.match(await page.textContent('#changes-result'), /not before the date shown/);

    // Off: nothing drawn, nothing in the URL.
    await page.focus('#since-on');
    await page.keyboard.press('Space');
    await page.waitForFunction(() => !new URL(location.href).searchParams.has('since'));
    assert.equal(await page.locator('path[data-change-to]').count(), 0);
    assert.equal(await page.isVisible('#change-note'), false);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('charts each controller\'s area over time, with a marker that follows the slider', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-16`);
    await page.waitForSelector('#chart[data-state="ready"]');
    const doc = await (await fetch(`${app.server.url}/analytics/area?collection=control_areas`)).json();
    const controllers = [...new Set(doc.series.flatMap((e) => Object.keys(e.area_km2)))].sort();
    const series = await page.$$eval('#chart path.chart-series', (ps) => ps.map((p) => p.getAttribute('data-controller')));
    assert.deepEqual([...series].sort(), controllers, 'not one series per controller');
    assert.ok(series.length >= 3);
    const fills = await page.$$eval('#chart path.chart-series', (ps) => Object.fromEntries(ps.map((p) => [p.getAttribute('data-controller'), p.getAttribute('fill')])));
    assert.equal(fills.government, GOVERNMENT);
    assert.equal(fills.sdf, SDF);

    // The words at the date: every controller, rounded, with its share; approximate, with the confidence.
    const legend = await page.$$eval('#chart .chart-legend li', (ls) => ls.map((l) => l.textContent));
    assert.equal(legend.length, controllers.length);
    assert.ok(legend.some((l) => /^Syrian government: about [\d,]+00 km² \(\d+%\)$/.test(l)), legend.join(' | '));
    assert.equal(await page.textContent('#chart .chart-when'), 'On 16 January 2026:');
    assert.match(await page.textContent('#chart .chart-note'), /approximation.*confidence of the outlines: low, medium/);
    // The table for screen readers: one row per change, a column per controller.
    assert.equal(await page.locator('#chart table tbody tr').count(), doc.series.length);
    assert.equal(await page.locator('#chart table thead th').count(), controllers.length + 2);
    assert.match(await page.textContent('#chart table caption'), /approximate/);

    // The marker follows the slider.
    const marker = page.locator('#chart .chart-marker');
    assert.equal(await marker.getAttribute('data-date'), '2026-01-16');
    const x16 = Number(await marker.getAttribute('data-x'));
    await page.fill('#date-input', '2026-02-05');
    await waitRendered(page, '2026-02-05');
    assert.equal(await marker.getAttribute('data-date'), '2026-02-05');
    const x05 = Number(await marker.getAttribute('data-x'));
    assert.ok(x05 > x16 + 50, `marker did not move right: ${x16} -> ${x05}`);
    assert.equal(await page.textContent('#chart .chart-when'), 'On 5 February 2026:');

    // Keyboard: one tab stop, on the period shown; arrows move; Enter shows the date.
    const stop = page.locator('#chart .chart-period[tabindex="0"]');
    assert.equal(await stop.count(), 1);
    assert.equal(await stop.getAttribute('data-date'), '2026-02-03');
    await stop.focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-date')), '2026-01-18');
    assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /^18 January 2026: Syrian government about [\d,]+ km² \(\d+%\).*Press Enter/);
    await page.keyboard.press('Enter');
    await waitRendered(page, '2026-01-18');
    assert.equal(await page.getAttribute('#date-range', 'aria-valuetext'), '18 January 2026');
    assert.equal(await page.inputValue('#date-input'), '2026-01-18');
    assert.equal(await marker.getAttribute('data-date'), '2026-01-18');
    assert.equal(param(page, 'date'), '2026-01-18');
    assert.ok(await page.evaluate(() => document.activeElement.matches('.chart-period:focus-visible')), 'the chart date has no visible focus');

    // A click shows the day under the pointer.
    const box = await page.locator('#chart .chart-period[data-date="2026-01-21"]').boundingBox();
    await page.mouse.click(box.x + 2, box.y + box.height / 2);
    await waitRendered(page, '2026-01-21');
    assert.equal(await marker.getAttribute('data-date'), '2026-01-21');
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('has no serious or critical axe-core violations with the change view and the chart open', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?since=2026-01-15&date=2026-01-25&sel=facilities:al-hol`);
    await waitChanges(page, '2026-01-15', '2026-01-25');
    await page.waitForSelector('#chart[data-state="ready"]');
    await page.click('#chart .chart-sources summary');
    assert.deepEqual(await runAxe(page), []);
    await page.click('#share-open');
    await page.waitForSelector('#share-dialog[open]');
    assert.deepEqual(await runAxe(page), []);
    await context.close();
  });

  it('saves screenshots of the change view and of the chart widget', async () => {
    const dir = join(REPO, 'docs', 'screenshots');
    mkdirSync(dir, { recursive: true });
    const { context, page, rec } = await openPage(app.browser, { reducedMotion: 'reduce' });
    await gotoReady(page, `${app.server.url}/?since=2026-01-15&date=2026-01-25`);
    await waitChanges(page, '2026-01-15', '2026-01-25');
    await page.waitForSelector('#chart[data-state="ready"]');
    await page.evaluate(() => {
      const side = document.getElementById('sidebar');
      side.scrollTop += document.getElementById('changes').getBoundingClientRect().top - side.getBoundingClientRect().top;
      if (document.activeElement) document.activeElement.blur();
    });
    await page.screenshot({ path: join(dir, 'changes-2026-01-15-2026-01-25-desktop.png') });
    await page.setViewportSize({ width: 640, height: 620 });
    await gotoReady(page, `${app.server.url}/embed?view=chart&date=2026-01-21`);
    await page.waitForSelector('#embed-chart[data-state="ready"]');
    await page.screenshot({ path: join(dir, 'embed-chart-2026-01-21.png') });
    assert.deepEqual(rec.errors, []);
    await context.close();
  });
});
