/*
 * embed-resize.js — include it once on a page that embeds controlmap widgets:
 *
 *   <iframe src="https://MAP-SERVER/embed?..." data-controlmap-embed ...></iframe>
 *   <script src="https://MAP-SERVER/static/embed-resize.js" async></script>
 *
 * Each widget posts {type: "controlmap:height", height} to its parent; this
 * script sets the height of the iframe that sent it. Messages from any origin
 * other than this script's own are ignored.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var origin = null;
  try {
    origin = script && script.src ? new URL(script.src, location.href).origin : null;
  } catch (e) {
    origin = null;
  }
  window.addEventListener('message', function (e) {
    if (origin && e.origin !== origin) return;
    var d = e.data;
    if (!d || typeof d !== 'object' || d.type !== 'controlmap:height') return;
    var h = Number(d.height);
    if (!isFinite(h) || h <= 0) return;
    h = Math.max(150, Math.min(4000, Math.ceil(h)));
    var frames = document.getElementsByTagName('iframe');
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === e.source) {
        frames[i].style.height = h + 'px';
        frames[i].setAttribute('height', String(h));
        frames[i].setAttribute('data-controlmap-height', String(h));
      }
    }
  });
})();
