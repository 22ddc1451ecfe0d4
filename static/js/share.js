// share.js: the "Share / Embed" dialog: the link to the map as it is, the
// iframe code of the widget at the same state (date, view, layers and
// filters), showing the map, the map with the changes since an earlier date
// (since=), or the chart of the area controlled over time (view=chart), and
// a responsive snippet whose script (embed-resize.js, served by us) sets the
// iframe's height from the height the widget posts. The embed code carries a
// <noscript> picture of the same view (drawn by the server, linked to the
// live map) for readers without scripts (AMP, RSS, newsletters); the dialog
// also offers the picture itself, as PNG or SVG, and prints it.

import { stateParams, queryString } from './urlstate.js';
import { words } from './dates.js';
import { pictureURL, PICTURE } from './picture.js';

function attr(s) {
  return String(s).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * embedURL returns the widget URL for a state and widget options. what is
 * "map", "changes" (the map with the changes since st.since) or "chart" (the
 * area chart alone, marked at st.date).
 */
export function embedURL(base, st, { slider = true, locked = false, lang = 'en', what = 'map' } = {}) {
  let q;
  if (what === 'chart') {
    q = new URLSearchParams();
    if (st.date) q.set('date', st.date);
    q.set('view', 'chart');
  } else {
    q = stateParams({ date: st.date, since: what === 'changes' ? st.since : null, view: st.view, layers: st.layers, filters: st.filters });
  }
  if (!slider) q.set('slider', '0');
  if (locked) q.set('locked', '1');
  if (lang === 'ar') q.set('lang', 'ar');
  return `${base}/embed?${queryString(q)}`;
}

/** embedTitle is the iframe's title for a widget of what (embedURL) at date (and since). */
export function embedTitle(what, date, since) {
  if (what === 'chart') return `Chart: area controlled in north-east Syria over time, marked at ${words(date)}`;
  if (what === 'changes' && since) return `Map: changes in control of north-east Syria from ${words(since)} to ${words(date)}`;
  return `Map: control of north-east Syria on ${words(date)}`;
}

/**
 * iframeCode returns the fixed-height iframe code; responsive adds the resize
 * script. picture, when given, is {src, href}: the <noscript> image of the
 * same view and the live map it links to.
 */
export function iframeCode(base, src, date, { responsive = false, what = 'map', since = null, picture = null } = {}) {
  const title = embedTitle(what, date, since);
  let code = `<iframe src="${attr(src)}" title="${attr(title)}" width="100%" height="520" style="border:0;max-width:100%" loading="lazy" allowfullscreen${responsive ? ' data-controlmap-embed' : ''}></iframe>`;
  if (picture) {
    const alt = embedTitle(what === 'changes' ? 'changes' : 'map', date, since);
    code += `\n<noscript><a href="${attr(picture.href)}"><img src="${attr(picture.src)}" width="${PICTURE.width}" height="${PICTURE.height}" alt="${attr(alt)}" style="max-width:100%;height:auto"></a></noscript>`;
  }
  if (!responsive) return code;
  return `${code}\n<script src="${attr(`${base}/static/embed-resize.js`)}" async></script>`;
}

/** printImage returns the page's printed picture (made on first use: an image needs its src). */
function printImage() {
  let img = document.getElementById('print-picture');
  if (!img) {
    img = document.createElement('img');
    img.id = 'print-picture';
    img.className = 'print-picture';
    img.alt = 'The map of this view, drawn by the server from the data of the date, with its legend';
    document.body.append(img);
  }
  return img;
}

/** printPicture prints the server's picture of the state: loaded first, so that the page prints it. */
export async function printPicture(img, url) {
  if (img.getAttribute('src') !== url) {
    img.src = url;
    await img.decode().catch(() => {});
  }
  window.print();
}

/** initShare wires the dialog; getState returns the map's current state. */
export function initShare({ root, getState }) {
  const dialog = document.getElementById('share-dialog');
  const open = document.getElementById('share-open');
  const $ = (id) => document.getElementById(id);
  const base = location.origin + root;
  const status = $('share-status');

  const whatBoxes = [...dialog.querySelectorAll('input[name="share-what"]')];
  const what = () => (whatBoxes.find((b) => b.checked) || { value: 'map' }).value;
  // The changes since the earlier date of the change view, else since the
  // change before the date shown.
  const since = (st) => st.since || st.sinceDefault || null;

  const update = () => {
    const st = getState();
    const w = what();
    const link = `${base}/?${queryString(stateParams(st))}`;
    const wst = { ...st, since: since(st) };
    const src = embedURL(base, wst, { slider: $('share-slider').checked, locked: $('share-locked').checked, lang: $('share-lang').value, what: w });
    $('share-since-words').textContent = wst.since ? words(wst.since) : 'an earlier date';
    $('share-link').value = link;
    // The picture of what the widget shows (the chart: the map of its
    // date), linked to the live map at the same state.
    const pictureSince = w === 'changes' ? wst.since : null;
    const live = `${base}/?${queryString(stateParams({ ...st, since: pictureSince }))}`;
    const picture = { src: pictureURL(base, st, { since: pictureSince }), href: live };
    $('share-iframe').value = iframeCode(base, src, st.date, { what: w, since: wst.since, picture });
    $('share-responsive').value = iframeCode(base, src, st.date, { responsive: true, what: w, since: wst.since, picture });
    const stamp = `controlmap-${st.date || 'map'}`;
    for (const format of ['png', 'svg']) {
      const a = $(`share-download-${format}`);
      a.href = pictureURL(base, st, { format, since: st.since || null });
      a.setAttribute('download', `${stamp}.${format}`);
    }
  };

  open.addEventListener('click', () => {
    const st = getState();
    for (const b of whatBoxes) b.checked = b.value === (st.since ? 'changes' : 'map');
    update();
    status.textContent = '';
    dialog.showModal();
  });
  $('share-close').addEventListener('click', () => dialog.close());
  $('share-print').addEventListener('click', () => {
    const st = getState();
    dialog.close();
    printPicture(printImage(), pictureURL(base, st, { since: st.since || null, width: 1600, height: 1000 }));
  });
  // Printed from the browser's menu: the picture of the view as it is (the
  // browser prints what has loaded by then; the Print button waits for it).
  window.addEventListener('beforeprint', () => {
    const img = printImage();
    const url = pictureURL(base, getState(), { since: getState().since || null, width: 1600, height: 1000 });
    if (img.getAttribute('src') !== url) img.src = url;
  });
  dialog.addEventListener('close', () => open.focus());
  for (const id of ['share-slider', 'share-locked', 'share-lang']) $(id).addEventListener('change', update);
  for (const b of whatBoxes) b.addEventListener('change', update);
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
