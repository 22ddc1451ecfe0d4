// How the map shows what the sources do not say: unknown control, how sure
// each claim is, caveats and rounded positions (issue 11), in Chromium
// against the real server and the shipped dataset.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered } from './helpers.js';

const tabqa = '[data-collection="facilities"][data-key="tabqa-prison"]';
const BADGED = new Set(['reported', 'claimed', 'disputed']);

/** catalogue fetches /collections from the page and returns the facilities collection. */
function facilitiesCollection(page) {
  return page.evaluate(async () => {
    const r = await fetch('/collections', { headers: { Accept: 'application/json' } });
    return (await r.json()).collections.find((c) => c.id === 'facilities');
  });
}

describe('honesty on the map', { skip: browserSkip }, () => {
  const app = serverAndBrowser();

  it('draws a site whose control no source reports grey with a question mark, "not reported" in the legend and panel', async () => {
    const { context, page, rec } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-20`);
    await waitRendered(page, '2026-01-20');
    const col = await facilitiesCollection(page);
    const grey = col.style.colors.unknown;
    assert.ok(grey, 'the catalogue gives controller "unknown" no colour');
    assert.equal(await page.getAttribute(tabqa, 'data-controller'), 'unknown');
    assert.equal(await page.getAttribute(`${tabqa} .cm-body`, 'fill'), grey);
    assert.equal(await page.locator(`${tabqa} .cm-unknown`).count(), 1);
    assert.match(await page.getAttribute(tabqa, 'aria-label'), /Tabqa.*: Not reported/);
    // A badge's words are in the marker's name; "confirmed" has neither.
    const claim = await page.getAttribute(tabqa, 'data-claim');
    const label = (await facilitiesCollection(page)).terms.claim_status[claim].label;
    assert.equal((await page.getAttribute(tabqa, 'aria-label')).includes(label), claim !== 'confirmed');
    // The legend's entry for unknown has the question mark too.
    const legend = page.locator('#legend li[data-value="unknown"]:has(.cm-unknown)');
    assert.equal(await legend.count(), 1);
    assert.match(await legend.textContent(), /Not reported/);
    await page.click(tabqa);
    await page.waitForSelector('#panel:not([hidden])');
    assert.match(await page.textContent('#panel-body'), /Controlled by: Not reported/);
    // Before the SDF withdrew, the same site is the SDF's, with no question mark.
    await page.fill('#date-input', '2026-01-10');
    await waitRendered(page, '2026-01-10');
    assert.equal(await page.getAttribute(tabqa, 'data-controller'), 'sdf');
    assert.equal(await page.locator(`${tabqa} .cm-unknown`).count(), 0);
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('marks every site whose claim is not confirmed with its badge, explained in the legend', async () => {
    const { context, page } = await openPage(app.browser);
    // On 5 February al-Sina'a and Hasakah Central prisons rest on one outlet (AP).
    await gotoReady(page, `${app.server.url}/?date=2026-02-05`);
    await waitRendered(page, '2026-02-05');
    const drawn = await page.$$eval('[data-collection="facilities"]', (els) => els.map((e) => ({
      key: e.getAttribute('data-key'), claim: e.getAttribute('data-claim'), badge: e.querySelector('.cm-claim') ? e.querySelector('.cm-claim').getAttribute('class') : null,
    })));
    assert.ok(drawn.length >= 5, `only ${drawn.length} facilities drawn`);
    for (const d of drawn) {
      assert.ok(['confirmed', 'reported', 'claimed', 'disputed'].includes(d.claim), `${d.key}: claim_status ${d.claim}`);
      if (BADGED.has(d.claim)) assert.match(d.badge || '', new RegExp(`cm-claim-${d.claim}`), `${d.key} (${d.claim}) has no badge`);
      else assert.equal(d.badge, null, `${d.key} is confirmed but has a badge`);
    }
    assert.ok(drawn.some((d) => BADGED.has(d.claim)), 'no drawn site has a badge to check');
    const col = await facilitiesCollection(page);
    assert.ok(Array.isArray(col.values.claim_status), '/collections gives no value list for claim_status');
    const legend = await page.textContent('#legend');
    for (const c of BADGED) assert.ok(legend.includes(col.terms.claim_status[c].label), `the legend does not explain ${c}`);
    await context.close();
  });

  it('says in the panel how sure a claim is, a version\'s caveat, and how far a position was rounded', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-22&sel=facilities:al-hol`);
    await page.waitForSelector('#panel:not([hidden])');
    const col = await facilitiesCollection(page);
    const alHol = await page.evaluate(async () => (await (await fetch('/collections/facilities/items?datetime=2026-01-22&site=al-hol')).json()).features[0].properties);
    let body = await page.textContent('#panel-body');
    assert.ok(body.includes(`How sure: ${col.terms.claim_status[alHol.claim_status].label}.`), body);
    assert.match(await page.textContent('#panel-body .caveat'), /unclear how many detainees/);
    assert.doesNotMatch(body, /Position rounded/, 'al-Hol camp is not an estimate');
    // An estimated site of low confidence is published on a 0.05° grid.
    await page.click('[data-collection="facilities"][data-key="al-shaddadi-prison"]');
    await page.waitForFunction(() => document.getElementById('panel-title').textContent !== 'al-Hol camp');
    body = await page.textContent('#panel-body');
    assert.match(body, /Estimated position \(confidence: low\)/);
    assert.match(body, /Position rounded to about 6 km/);
    await context.close();
  });

  it('shows unknown control the same way in the widget', async () => {
    const { context, page } = await openPage(app.browser, { viewport: { width: 640, height: 600 } });
    await gotoReady(page, `${app.server.url}/embed?date=2026-02-05&layers=facilities`);
    await waitRendered(page, '2026-02-05');
    for (const key of ['tabqa-prison', 'al-sinaa-prison', 'hasakah-central-prison', 'alaya-prison']) {
      const sel = `[data-collection="facilities"][data-key="${key}"]`;
      assert.equal(await page.getAttribute(sel, 'data-controller'), 'unknown', key);
      assert.equal(await page.locator(`${sel} .cm-unknown`).count(), 1, key);
    }
    await context.close();
  });
});
