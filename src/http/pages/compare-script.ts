/**
 * Client-side sort and filter for the Compare page's package table. Plain ES5 DOM code, no framework.
 * Without JavaScript the controls stay hidden and every row is visible (progressive enhancement).
 * The filter text, the change kinds shown, "hide unchanged" and the sort are kept in the URL query (q, show,
 * unchanged, sort, dir) with history.replaceState, so a link or a reload restores the same view.
 */
import { inlineScript } from './layout.js';

export const COMPARE_SCRIPT = inlineScript(`(function () {
  var table = document.getElementById('packages');
  var controls = document.getElementById('compare-controls');
  if (!table || !controls) return;
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  var text = document.getElementById('filter-text');
  var hideSame = document.getElementById('hide-unchanged');
  var kinds = Array.prototype.slice.call(controls.querySelectorAll('input.filter-change'));
  var count = document.getElementById('row-count');
  var none = document.getElementById('no-rows');
  var collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

  function apply() {
    var needle = text.value.trim().toLowerCase();
    var allowed = {};
    kinds.forEach(function (k) { allowed[k.value] = k.checked; });
    var shown = 0;
    Array.prototype.forEach.call(tbody.rows, function (row) {
      var change = row.getAttribute('data-change');
      var flagged = row.getAttribute('data-flags') !== '';
      var byType = change === 'same' ? flagged || !hideSame.checked : allowed[change] !== false;
      var visible = byType && (!needle || row.getAttribute('data-name').indexOf(needle) !== -1);
      row.hidden = !visible;
      if (visible) row.className = row.className.replace(/ ?alt/g, '') + (shown++ % 2 ? ' alt' : '');
    });
    count.textContent = shown + ' of ' + rows.length + ' packages shown';
    none.hidden = shown !== 0;
  }

  var KINDS = kinds.map(function (k) { return k.value; }).join(',');
  var sortKey = null;
  var sortDir = 'ascending';

  function saveState() {
    if (!window.URLSearchParams || !history.replaceState) return;
    var params = new URLSearchParams(location.search);
    var shown = kinds.filter(function (k) { return k.checked; }).map(function (k) { return k.value; }).join(',');
    function put(key, value, fallback) { if (value && value !== fallback) params.set(key, value); else params.delete(key); }
    put('q', text.value.trim(), '');
    put('show', shown === '' ? 'none' : shown, KINDS);
    put('unchanged', hideSame.checked ? '' : 'show', '');
    put('sort', sortKey, null);
    put('dir', sortKey && sortDir === 'descending' ? 'desc' : '', '');
    var query = params.toString();
    history.replaceState(null, '', location.pathname + (query ? '?' + query : '') + location.hash);
  }

  function restoreState() {
    if (!window.URLSearchParams) return;
    var params = new URLSearchParams(location.search);
    if (params.has('q')) text.value = params.get('q');
    if (params.has('show')) {
      var wanted = params.get('show').split(',');
      kinds.forEach(function (k) { k.checked = wanted.indexOf(k.value) !== -1; });
    }
    if (params.get('unchanged') === 'show') hideSame.checked = false;
    var key = params.get('sort');
    var th = key && table.tHead.querySelector('th[data-sort="' + key.replace(/[^a-z]/g, '') + '"]');
    if (th) sortBy(th, params.get('dir') === 'desc' ? 'descending' : 'ascending');
  }

  function compare(a, b, key) {
    if (key === 'change') return Number(a.getAttribute('data-rank')) - Number(b.getAttribute('data-rank'));
    var x = a.getAttribute('data-' + key);
    var y = b.getAttribute('data-' + key);
    if (x === y) return 0;
    if (!x) return 1;
    if (!y) return -1;
    return collator.compare(x, y);
  }

  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  function sortBy(th, dir) {
    var key = th.getAttribute('data-sort');
    headers.forEach(function (h) { if (h.hasAttribute('data-sort')) h.setAttribute('aria-sort', 'none'); });
    th.setAttribute('aria-sort', dir);
    sortKey = key;
    sortDir = dir;
    var sign = dir === 'ascending' ? 1 : -1;
    rows
      .slice()
      .sort(function (a, b) {
        return sign * compare(a, b, key) || Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'));
      })
      .forEach(function (row) { tbody.appendChild(row); });
  }
  headers.forEach(function (th) {
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      sortBy(th, th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending');
      apply();
      saveState();
    });
  });

  function changed() { apply(); saveState(); }
  text.addEventListener('input', changed);
  hideSame.addEventListener('change', changed);
  kinds.forEach(function (k) { k.addEventListener('change', changed); });
  restoreState();
  controls.hidden = false;
  apply();
})();`);
