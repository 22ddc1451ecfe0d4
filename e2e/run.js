// run.js: `npm test`. Builds the server once (go build ./cmd/controlmap into a
// temporary folder), then runs every e2e/*.test.js with node's test runner,
// one file at a time, against that binary (CONTROLMAP_BIN). A CONTROLMAP_BIN
// already set in the environment is used as it is, without building.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const tmp = mkdtempSync(join(tmpdir(), 'controlmap-e2e-'));
let bin = process.env.CONTROLMAP_BIN;
if (bin) {
  console.log(`e2e: using CONTROLMAP_BIN=${bin}`);
} else {
  bin = join(tmp, 'controlmap');
  console.log(`e2e: go build -o ${bin} ./cmd/controlmap`);
  const build = spawnSync('go', ['build', '-o', bin, './cmd/controlmap'], { cwd: repo, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('e2e: go build failed');
    process.exit(1);
  }
}

const files = readdirSync(here).filter((f) => f.endsWith('.test.js')).sort().map((f) => join(here, f));
const args = ['--test', '--test-concurrency=1', ...process.argv.slice(2), ...files];
const run = spawnSync(process.execPath, args, {
  cwd: repo,
  stdio: 'inherit',
  env: { ...process.env, CONTROLMAP_BIN: bin, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
});
rmSync(tmp, { recursive: true, force: true });
process.exit(run.status ?? 1);
