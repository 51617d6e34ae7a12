/**
 * Client-side sort and filter for the Compare page's package table. Plain ES5 DOM code, no framework.
 * Without JavaScript the controls stay hidden and every row is visible (progressive enhancement).
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
  headers.forEach(function (th) {
    var button = th.querySelector('button');
    if (!button) return;
    button.addEventListener('click', function () {
      var key = th.getAttribute('data-sort');
      var dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
      headers.forEach(function (h) { if (h.hasAttribute('data-sort')) h.setAttribute('aria-sort', 'none'); });
      th.setAttribute('aria-sort', dir);
      var sign = dir === 'ascending' ? 1 : -1;
      rows
        .slice()
        .sort(function (a, b) {
          return sign * compare(a, b, key) || Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index'));
        })
        .forEach(function (row) { tbody.appendChild(row); });
      apply();
    });
  });

  text.addEventListener('input', apply);
  hideSame.addEventListener('change', apply);
  kinds.forEach(function (k) { k.addEventListener('change', apply); });
  controls.hidden = false;
  apply();
})();`);
