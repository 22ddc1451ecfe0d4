// helpers.js: what the end-to-end tests share: the real server on a free
// port, Debian's Chromium driven by playwright-core, a record of every
// request and console error, a second tiny HTTP server for framing tests, and
// axe-core injected from node_modules.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const require = createRequire(import.meta.url);

/**
 * browserSkip is false when Chromium is installed, else the reason to skip.
 * Under CI=true a missing Chromium is an error, never a skip.
 */
export const browserSkip = (() => {
  if (existsSync(CHROMIUM)) return false;
  const missing = `Chromium not found at ${CHROMIUM} (apt-get install chromium, or scripts/test-deps.sh)`;
  if (process.env.CI === 'true') throw new Error(`e2e: ${missing}; CI=true requires the browser tests to run`);
  const msg = `${missing}: SKIPPING the browser tests`;
  console.warn(`\n!!! e2e: ${msg} !!!\n`);
  return msg;
})();

/** freePort returns a TCP port free on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function serverBinary() {
  if (process.env.CONTROLMAP_BIN) return process.env.CONTROLMAP_BIN;
  const dir = mkdtempSync(join(tmpdir(), 'controlmap-bin-'));
  const bin = join(dir, 'controlmap');
  const r = spawnSync('go', ['build', '-o', bin, './cmd/controlmap'], { cwd: REPO, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('e2e: go build ./cmd/controlmap failed');
  process.env.CONTROLMAP_BIN = bin;
  return bin;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * startServer runs `controlmap serve` on a free loopback port (with --data
 * when given) and resolves once /healthz answers. signal(name) sends the
 * process a signal; stop() ends it.
 */
export async function startServer({ dataDir, extraArgs = [] } = {}) {
  const port = await freePort();
  const args = ['serve', '--addr', `127.0.0.1:${port}`, ...(dataDir ? ['--data', dataDir] : []), ...extraArgs];
  const proc = spawn(serverBinary(), args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (b) => { log += b; });
  proc.stderr.on('data', (b) => { log += b; });
  const url = `http://127.0.0.1:${port}`;
  let exited = null;
  proc.on('exit', (code) => { exited = code; });
  // Startup guard, not an assertion: give up after 30 s.
  for (let i = 0; i < 300; i++) {
    if (exited !== null) throw new Error(`e2e: server exited with ${exited} before it was healthy:\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    await sleep(100);
    if (i === 299) throw new Error(`e2e: server not healthy after 30 s:\n${log}`);
  }
  return {
    url,
    port,
    log: () => log,
    signal: (name) => proc.kill(name),
    async stop() {
      if (exited !== null) return;
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
    },
  };
}

/**
 * serverAndBrowser registers the current describe block's before and after
 * hooks: before, the server (startServer with options, or with what options
 * returns when it is a function, for set-up that must run first) and then
 * Chromium; after, Chromium closed and then the server stopped. It returns
 * the object whose server and browser the before hook sets. After hooks the
 * caller registers later run after these.
 */
export function serverAndBrowser(options = {}) {
  const app = { server: null, browser: null };
  before(async () => {
    app.server = await startServer(typeof options === 'function' ? await options() : options);
    app.browser = await launchBrowser();
  });
  after(async () => {
    await app.browser?.close();
    await app.server?.stop();
  });
  return app;
}

/** launchBrowser starts Debian's Chromium, headless, with a fresh profile. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

function isLocal(u) {
  if (u.startsWith('data:') || u.startsWith('blob:') || u === 'about:blank') return true;
  try {
    const { hostname } = new URL(u);
    return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
  } catch {
    return false;
  }
}

/**
 * openPage creates a fresh context and page that record every request URL,
 * abort any request leaving localhost (recording it in `external`), and
 * collect console errors, page errors and dialogs.
 */
export async function openPage(browser, { viewport = { width: 1280, height: 800 }, ...opts } = {}) {
  const context = await browser.newContext({ viewport, ...opts });
  const rec = { requests: [], external: [], errors: [], dialogs: [] };
  await context.route('**/*', (route) => {
    const u = route.request().url();
    rec.requests.push(u);
    if (!isLocal(u)) {
      rec.external.push(u);
      return route.abort('blockedbyclient');
    }
    return route.continue();
  });
  const page = await context.newPage();
  const watch = (p) => {
    p.on('console', (m) => {
      if (m.type() === 'error') rec.errors.push(`console: ${m.text()} (${m.location().url})`);
    });
    p.on('pageerror', (e) => rec.errors.push(`pageerror: ${e.message}`));
    p.on('dialog', (d) => {
      rec.dialogs.push(`${d.type()}: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
  };
  watch(page);
  context.on('page', watch);
  return { context, page, rec };
}

/** gotoReady opens url and waits for the page's scripts to finish their first render. */
export async function gotoReady(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  const state = await page.getAttribute('body', 'data-ready');
  if (state !== 'true') throw new Error(`e2e: ${url} failed to load its data (data-ready=${state})`);
}

/** waitRendered waits until the map shows date d. */
export async function waitRendered(page, d) {
  await page.waitForSelector(`body[data-rendered-date="${d}"]`);
}

/** runAxe injects axe-core from node_modules and returns serious and critical violations. */
export async function runAxe(page, context = null) {
  const src = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated through the DevTools protocol, which the page's CSP does not
  // govern; the page itself still runs under its CSP.
  await page.evaluate(src);
  const result = await page.evaluate(async (ctx) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(ctx || document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  }, context);
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** serveHTML serves one HTML page at / on a free loopback port. */
export async function serveHTML(html) {
  const port = await freePort();
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url.startsWith('/?')) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(html);
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(r)) };
}

/**
 * hostileDataDir copies data/ into a temporary folder and renames al-Hol camp
 * (every version) to a name that is also an HTML payload.
 */
export const HOSTILE_NAME = 'al-Hol <img src=x onerror=alert(1)> camp';
export function hostileDataDir() {
  const dir = mkdtempSync(join(tmpdir(), 'controlmap-hostile-'));
  cpSync(join(REPO, 'data'), dir, { recursive: true });
  const file = join(dir, 'facilities.geojson');
  const fc = JSON.parse(readFileSync(file, 'utf8'));
  let n = 0;
  for (const f of fc.features) {
    if (f.properties.site === 'al-hol') {
      f.properties.name = HOSTILE_NAME;
      f.properties.name_ar = '<script>alert(2)</script>';
      f.properties.sources.push({ publisher: '<b>bold</b>', title: 'javascript link', url: 'javascript:alert(3)', date: '2026-01-21' });
      n++;
    }
  }
  if (!n) throw new Error('e2e: al-hol not found in data/facilities.geojson');
  writeFileSync(file, JSON.stringify(fc));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
