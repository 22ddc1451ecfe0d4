// live.js: notices when the server's data changes (an editor's correction,
// a new import) by polling the cheap /version endpoint, every 15 s and
// whenever the page becomes visible again, so that the map can refetch what
// it shows without a reload.

const EVERY_MS = 15000;

/**
 * watchVersion polls `${root}/version` and calls onChange() when the data
 * version differs from the one it first saw. If onChange rejects, the next
 * poll tries again. Polling skips hidden pages and a server that is not
 * ready, and never throws. It returns a function that stops watching.
 */
export function watchVersion(root, onChange, { every = EVERY_MS } = {}) {
  let known = null;
  let busy = false;

  async function check() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const r = await fetch(`${root}/version`, { headers: { Accept: 'application/json' }, cache: 'no-store' });
      if (!r.ok) return;
      const v = await r.json();
      if (!v || !v.ready || typeof v.version !== 'string') return;
      if (known === null) {
        known = v.version;
      } else if (v.version !== known) {
        await onChange(v.version);
        known = v.version;
      }
    } catch {
      // Offline, or the server is restarting: the next poll tries again.
    } finally {
      busy = false;
    }
  }

  const onVisible = () => {
    if (!document.hidden) check();
  };
  document.addEventListener('visibilitychange', onVisible);
  const timer = setInterval(check, every);
  check();
  return () => {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
