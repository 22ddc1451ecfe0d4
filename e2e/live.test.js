// Live data: the map page picks up a change to the served data without a
// reload (static/js/live.js polls /version).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { browserSkip, freePort, launchBrowser, openPage, gotoReady, waitRendered, REPO } from './helpers.js';

const alHol = '[data-collection="facilities"][data-key="al-hol"]';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** serveFolder runs the server on a copy of data/ and keeps the process, to signal it. */
async function serveFolder(dir) {
  let bin = process.env.CONTROLMAP_BIN;
  if (!bin) {
    bin = join(dir, 'controlmap-bin');
    const r = spawnSync('go', ['build', '-o', bin, './cmd/controlmap'], { cwd: REPO, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('e2e: go build ./cmd/controlmap failed');
  }
  const port = await freePort();
  const proc = spawn(bin, ['serve', '--addr', `127.0.0.1:${port}`, '--data', join(dir, 'data')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (b) => { log += b; });
  const url = `http://127.0.0.1:${port}`;
  // Startup guard, not an assertion: give up after 30 s.
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (i === 300) throw new Error(`e2e: server not healthy after 30 s:\n${log}`);
    await sleep(100);
  }
  return { url, proc, log: () => log };
}

describe('live data', { skip: browserSkip }, () => {
  let dir;
  let server;
  let browser;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'controlmap-live-'));
    cpSync(join(REPO, 'data'), join(dir, 'data'), { recursive: true });
    server = await serveFolder(dir);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (server) {
      server.proc.kill('SIGTERM');
      await new Promise((r) => server.proc.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('redraws the date shown when the data changes, without reloading the page', async () => {
    const { context, page, rec } = await openPage(browser);
    await gotoReady(page, `${server.url}/?date=2026-01-22`);
    await waitRendered(page, '2026-01-22');
    assert.equal(await page.getAttribute(alHol, 'data-controller'), 'government');
    await page.evaluate(() => { window.cmNotReloaded = true; });
    const v0 = await (await fetch(`${server.url}/version`)).json();

    // An editor's correction: al-Hol held by the SDF from 21 January.
    const file = join(dir, 'data', 'facilities.geojson');
    const fc = JSON.parse(readFileSync(file, 'utf8'));
    const f = fc.features.find((x) => x.id === 'al-hol-2026-01-21');
    f.properties.controller = 'sdf';
    writeFileSync(file, JSON.stringify(fc));
    server.proc.kill('SIGHUP');
    for (let i = 0; ; i++) {
      const v = await (await fetch(`${server.url}/version`)).json();
      if (v.version !== v0.version) break;
      if (i === 300) throw new Error(`e2e: /version unchanged 30 s after SIGHUP:\n${server.log()}`);
      await sleep(100);
    }

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
});
