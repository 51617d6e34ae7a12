/**
 * Live progress without a reload or a framework: while the page says something still runs (`data-refresh` on
 * <body>), it fetches itself again every few seconds and swaps in the regions marked `data-live` (by id). The
 * server renders the same page either way, so without JavaScript the <noscript> refresh shows the same thing.
 * It stops once the fetched page no longer asks for refreshes (the task or rollout finished).
 */
import { inlineScript } from './layout.js';

export const LIVE_SCRIPT = inlineScript(`(function () {
  var seconds = Number(document.body.getAttribute('data-refresh'));
  if (!seconds || !window.fetch || !window.DOMParser) return;
  var failures = 0;
  function tick() {
    fetch(location.href, { credentials: 'same-origin', headers: { accept: 'text/html' }, cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.text();
      })
      .then(function (text) {
        failures = 0;
        var next = new DOMParser().parseFromString(text, 'text/html');
        Array.prototype.forEach.call(document.querySelectorAll('[data-live]'), function (el) {
          var fresh = next.getElementById(el.id);
          if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
        });
        document.title = next.title;
        if (next.body.hasAttribute('data-refresh')) setTimeout(tick, seconds * 1000);
        else document.body.removeAttribute('data-refresh');
      })
      .catch(function () {
        failures += 1;
        setTimeout(tick, Math.min(60, seconds * Math.pow(2, failures)) * 1000);
      });
  }
  setTimeout(tick, seconds * 1000);
})();`);
