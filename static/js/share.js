// share.js: the "Share / Embed" dialog: the link to the map as it is, the
// iframe code of the widget at the same state (date, view, layers and
// filters), and a responsive snippet whose script (embed-resize.js, served
// by us) sets the iframe's height from the height the widget posts.

import { stateParams, queryString } from './urlstate.js';
import { words } from './dates.js';

function attr(s) {
  return String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** embedURL returns the widget URL for a state and widget options. */
export function embedURL(base, st, { slider = true, locked = false, lang = 'en' } = {}) {
  const q = stateParams({ date: st.date, view: st.view, layers: st.layers, filters: st.filters });
  if (!slider) q.set('slider', '0');
  if (locked) q.set('locked', '1');
  if (lang === 'ar') q.set('lang', 'ar');
  return `${base}/embed?${queryString(q)}`;
}

/** iframeCode returns the fixed-height iframe code; responsive adds the resize script. */
export function iframeCode(base, src, date, { responsive = false } = {}) {
  const title = `Map: control of north-east Syria on ${words(date)}`;
  const frame = `<iframe src="${attr(src)}" title="${attr(title)}" width="100%" height="520" style="border:0;max-width:100%" loading="lazy" allowfullscreen${responsive ? ' data-controlmap-embed' : ''}></iframe>`;
  if (!responsive) return frame;
  return `${frame}\n<script src="${attr(`${base}/static/embed-resize.js`)}" async></script>`;
}

/** initShare wires the dialog; getState returns the map's current state. */
export function initShare({ root, getState }) {
  const dialog = document.getElementById('share-dialog');
  const open = document.getElementById('share-open');
  const $ = (id) => document.getElementById(id);
  const base = location.origin + root;
  const status = $('share-status');

  const update = () => {
    const st = getState();
    const link = `${base}/?${queryString(stateParams(st))}`;
    const src = embedURL(base, st, { slider: $('share-slider').checked, locked: $('share-locked').checked, lang: $('share-lang').value });
    $('share-link').value = link;
    $('share-iframe').value = iframeCode(base, src, st.date);
    $('share-responsive').value = iframeCode(base, src, st.date, { responsive: true });
  };

  open.addEventListener('click', () => {
    update();
    status.textContent = '';
    dialog.showModal();
  });
  $('share-close').addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => open.focus());
  for (const id of ['share-slider', 'share-locked', 'share-lang']) $(id).addEventListener('change', update);
  for (const btn of dialog.querySelectorAll('button.copy')) {
    btn.addEventListener('click', async () => {
      const field = $(btn.getAttribute('data-copy'));
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        status.textContent = 'Copied.';
      } catch {
        status.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
      }
    });
  }
}
