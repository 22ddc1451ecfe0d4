// The widget (/embed), the Share / Embed dialog and oEmbed, in Chromium
// against the real server.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { browserSkip, serverAndBrowser, openPage, gotoReady, waitRendered, runAxe, serveHTML } from './helpers.js';

const alHol = '[data-collection="facilities"][data-key="al-hol"]';
const fullParams = (page) => page.getAttribute('#embed-full', 'href').then((h) => new URL(h).searchParams);

describe('embed widget', { skip: browserSkip }, () => {
  const app = serverAndBrowser();

  it('honours date, view, layers, slider=0, locked=1 and lang=ar', async () => {
    const { context, page, rec } = await openPage(app.browser, { viewport: { width: 640, height: 600 } });
    const view = '36.3756,41.1486,9';
    await gotoReady(page, `${app.server.url}/embed?date=2026-01-21&view=${view}&layers=facilities,events&slider=0&locked=1&lang=ar`);
    await waitRendered(page, '2026-01-21');
    assert.equal(await page.getAttribute('html', 'lang'), 'ar');
    assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
    assert.equal(await page.isVisible('#embed-controls'), false, 'slider shown with slider=0');
    assert.equal(await page.isVisible('#embed-date'), true);
    const arDate = new Intl.DateTimeFormat('ar', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(new Date('2026-01-21T00:00:00Z'));
    assert.equal(await page.textContent('#embed-date'), arDate);
    assert.equal(await page.getAttribute('body', 'data-locked'), '1');
    // Only the asked layers are drawn.
    assert.equal(await page.locator('[data-collection="control_areas"]').count(), 0);
    assert.ok(await page.locator('[data-collection="events"]').count() > 0);
    assert.equal(await page.getAttribute(alHol, 'data-controller'), 'government');
    // Labels in Arabic.
    assert.match(await page.getAttribute(alHol, 'aria-label'), /مخيم الهول/);
    assert.equal(await page.textContent('#embed-full'), 'افتح الخريطة الكاملة');
    // Attribution, and the link to the full map at the same state.
    assert.match(await page.textContent('.cm-attribution'), /controlmap contributors/);
    let q = await fullParams(page);
    assert.equal(q.get('date'), '2026-01-21');
    assert.equal(q.get('layers'), 'facilities,events');
    assert.equal(q.get('view'), view);
    assert.equal(await page.getAttribute('#embed-full', 'target'), '_blank');
    // The scroll wheel does not zoom the map (the article scrolls instead).
    const box = await page.locator('#map').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -600);
    await page.mouse.wheel(0, -600);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    q = await fullParams(page);
    assert.equal(q.get('view'), view, 'the wheel zoomed the map');
    assert.deepEqual(rec.errors, []);
    assert.deepEqual(rec.external, []);
    await context.close();
  });

  it('lets the reader move the date with slider=1, and not with locked=1', async () => {
    const { context, page } = await openPage(app.browser, { viewport: { width: 640, height: 600 } });
    await gotoReady(page, `${app.server.url}/embed?date=2026-01-16&bbox=40.6,35.9,41.7,36.8`);
    assert.equal(await page.isVisible('#date-range'), true);
    assert.equal(await page.getAttribute(`${alHol} .cm-body`, 'fill'), '#e3b505');
    await page.focus('#date-range');
    for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
    await waitRendered(page, '2026-01-22');
    assert.equal(await page.getAttribute(`${alHol} .cm-body`, 'fill'), '#c0392b');
    const q = await fullParams(page);
    assert.equal(q.get('date'), '2026-01-22');
    const [lat, lon] = q.get('view').split(',').map(Number);
    assert.ok(Math.abs(lat - 36.35) < 0.2 && Math.abs(lon - 41.15) < 0.2, `bbox not honoured: view ${q.get('view')}`);

    await gotoReady(page, `${app.server.url}/embed?date=2026-01-16&locked=1`);
    assert.equal(await page.isDisabled('#date-range'), true);
    assert.equal(await page.isDisabled('#date-next'), true);
    assert.equal(await page.textContent('#embed-date'), '16 January 2026');
    await context.close();
  });

  it('works framed by another site with the code from the Share / Embed dialog', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-21&view=36.3756,41.1486,8`);
    await page.click('#share-open');
    await page.waitForSelector('#share-dialog[open]');
    await page.check('#share-locked');
    const link = await page.inputValue('#share-link');
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/\?date=2026-01-21&view=/);
    const fixed = await page.inputValue('#share-iframe');
    const snippet = await page.inputValue('#share-responsive');
    assert.match(fixed, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\?date=2026-01-21&amp;view=[^"]+&amp;locked=1" title="Map: control of north-east Syria on 21 January 2026"/);
    assert.match(snippet, /<script src="http:\/\/127\.0\.0\.1:\d+\/static\/embed-resize\.js" async><\/script>$/);
    await context.close();

    const article = await serveHTML(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An article</title></head>
<body><h1>An article</h1><p>Text before the map.</p>
${snippet}
<p>Text after the map.</p></body></html>`);
    try {
      const { context: ctx, page: host, rec } = await openPage(app.browser, { viewport: { width: 700, height: 900 } });
      await host.goto(article.url);
      const iframe = host.locator('iframe[data-controlmap-embed]');
      await host.waitForSelector('iframe[data-controlmap-height]');
      const frame = host.frames().find((f) => f.url().includes('/embed?'));
      assert.ok(frame, 'no embed frame');
      await frame.waitForSelector('body[data-ready="true"]');
      await frame.waitForSelector('body[data-rendered-date="2026-01-21"]');
      assert.equal(await frame.getAttribute('body', 'data-locked'), '1');
      assert.ok(await frame.locator(alHol).count() === 1, 'al-Hol not drawn in the frame');
      // The iframe takes the height the widget posted.
      await host.waitForFunction(() => {
        const f = document.querySelector('iframe[data-controlmap-embed]');
        return f && f.getBoundingClientRect().height === Number(f.getAttribute('data-controlmap-height'));
      });
      const posted = Number(await frame.getAttribute('body', 'data-posted-height'));
      const height = (await iframe.boundingBox()).height;
      assert.ok(posted > 300, `posted height ${posted}`);
      assert.equal(Math.round(height), posted);
      assert.deepEqual(rec.external, []);
      assert.deepEqual(rec.errors, []);
      await ctx.close();
    } finally {
      await article.close();
    }
  });

  it('cannot be framed as the full map page by another site', async () => {
    const article = await serveHTML(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Framing</title></head>
<body><iframe src="${app.server.url}/" title="map"></iframe></body></html>`);
    try {
      const { context, page } = await openPage(app.browser);
      await page.goto(article.url);
      await page.waitForLoadState('load');
      const frame = page.frames().find((f) => f !== page.mainFrame());
      // Chromium replaces a refused frame with its error page.
      assert.ok(!frame.url().startsWith(app.server.url) || (await frame.locator('#map').count()) === 0, `the map page was framed: ${frame.url()}`);
      await context.close();
    } finally {
      await article.close();
    }
  });

  it('announces itself through oEmbed', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-21`);
    const href = await page.getAttribute('link[rel="alternate"][type="application/json+oembed"]', 'href');
    const r = await fetch(href);
    assert.equal(r.status, 200);
    const o = await r.json();
    assert.equal(o.type, 'rich');
    assert.match(o.html, new RegExp(`^<iframe src="${app.server.url.replace(/\./g, '\\.')}/embed\\?date=2026-01-21"`));
    await context.close();
  });

  it('shows the area chart alone with view=chart, its marker at the date', async () => {
    const { context, page, rec } = await openPage(app.browser, { viewport: { width: 640, height: 600 } });
    await gotoReady(page, `${app.server.url}/embed?view=chart&date=2026-01-21`);
    await waitRendered(page, '2026-01-21');
    assert.equal(await page.getAttribute('body', 'data-mode'), 'chart');
    assert.equal(await page.isVisible('#map'), false, 'the map is shown with view=chart');
    assert.equal(await page.locator('.leaflet-container').count(), 0);
    assert.equal(await page.textContent('#embed-chart-title'), 'Area controlled over time');
    await page.waitForSelector('#embed-chart[data-state="ready"]');
    assert.ok(await page.locator('#embed-chart path.chart-series').count() >= 3);
    const marker = page.locator('#embed-chart .chart-marker');
    assert.equal(await marker.getAttribute('data-date'), '2026-01-21');
    assert.match(await page.textContent('#embed-chart .chart-note'), /approximation.*confidence/);
    // The slider moves the marker; Enter on a date of the chart moves the slider.
    await page.focus('#date-range');
    await page.keyboard.press('ArrowRight');
    await waitRendered(page, '2026-01-22');
    assert.equal(await marker.getAttribute('data-date'), '2026-01-22');
    await page.focus('#embed-chart .chart-period[tabindex="0"]');
    await page.keyboard.press('Home');
    await page.keyboard.press('Enter');
    await waitRendered(page, '2026-01-01');
    assert.equal(await marker.getAttribute('data-date'), '2026-01-01');
    assert.equal((await fullParams(page)).get('date'), '2026-01-01');
    // The widget asks for its height without a map.
    const posted = Number(await page.getAttribute('body', 'data-posted-height'));
    assert.ok(posted > 250 && posted < 1000, `posted height ${posted}`);

    // Locked, the chart picks nothing and says the same in words.
    await gotoReady(page, `${app.server.url}/embed?view=chart&date=2026-01-21&locked=1&slider=0&lang=ar`);
    await page.waitForSelector('#embed-chart[data-state="ready"]');
    assert.equal(await page.locator('#embed-chart .chart-period').count(), 0);
    assert.equal(await page.getAttribute('#embed-chart svg', 'aria-hidden'), 'true');
    assert.equal(await page.textContent('#embed-chart-title'), 'المساحة الخاضعة للسيطرة عبر الزمن');
    assert.match(await page.textContent('#embed-chart .chart-legend'), /الحكومة السورية: نحو/);
    assert.deepEqual(rec.errors, []);
    assert.deepEqual(rec.external, []);
    await context.close();
  });

  it('shows the changes with since and date, on the map and in words', async () => {
    const { context, page, rec } = await openPage(app.browser, { viewport: { width: 640, height: 600 } });
    await gotoReady(page, `${app.server.url}/embed?since=2026-01-15&date=2026-01-25`);
    await page.waitForSelector('body[data-rendered-since="2026-01-15/2026-01-25"]');
    assert.equal(await page.getAttribute('body', 'data-mode'), 'changes');
    assert.ok(await page.locator('path[data-change-to="government"]').count() >= 1);
    const words = await page.textContent('#embed-changes');
    assert.match(words, /Changes from 15 January 2026 to 25 January 2026/);
    assert.match(words, /al-Hol camp: SDF/);
    assert.match(words, /Approximate: .*confidence of the outlines/);
    const q = await fullParams(page);
    assert.equal(q.get('since'), '2026-01-15');
    assert.equal(q.get('date'), '2026-01-25');
    assert.deepEqual(rec.errors, []);
    await context.close();
  });

  it('is offered both by the Share / Embed dialog', async () => {
    const { context, page } = await openPage(app.browser);
    await gotoReady(page, `${app.server.url}/?date=2026-01-25&since=2026-01-15`);
    await page.click('#share-open');
    await page.waitForSelector('#share-dialog[open]');
    assert.equal(await page.isChecked('#share-what-changes'), true);
    assert.match(await page.inputValue('#share-link'), /\?date=2026-01-25&since=2026-01-15/);
    let code = await page.inputValue('#share-iframe');
    assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\?date=2026-01-25&amp;since=2026-01-15&amp;view=[^"]+" title="Map: changes in control of north-east Syria from 15 January 2026 to 25 January 2026"/);
    await page.check('#share-what-chart');
    code = await page.inputValue('#share-iframe');
    assert.match(code, /^<iframe src="http:\/\/127\.0\.0\.1:\d+\/embed\?date=2026-01-25&amp;view=chart" title="Chart: area controlled in north-east Syria over time, marked at 25 January 2026"/);
    await page.check('#share-what-map');
    assert.doesNotMatch(await page.inputValue('#share-iframe'), /since=|view=chart/);
    await context.close();
  });

  it('has no serious or critical axe-core violations', async () => {
    const { context, page } = await openPage(app.browser, { viewport: { width: 640, height: 600 } });
    await gotoReady(page, `${app.server.url}/embed?date=2026-01-21`);
    assert.deepEqual(await runAxe(page), []);
    await gotoReady(page, `${app.server.url}/embed?date=2026-01-21&locked=1&lang=ar`);
    assert.deepEqual(await runAxe(page), []);
    await gotoReady(page, `${app.server.url}/embed?view=chart&date=2026-01-21`);
    await page.waitForSelector('#embed-chart[data-state="ready"]');
    assert.deepEqual(await runAxe(page), []);
    await gotoReady(page, `${app.server.url}/embed?since=2026-01-15&date=2026-01-25&lang=ar`);
    await page.waitForSelector('body[data-rendered-since="2026-01-15/2026-01-25"]');
    assert.deepEqual(await runAxe(page), []);
    await context.close();
  });
});
