/** The SVG charts are pure functions: sizes follow the numbers, every number is also text, user text is escaped. */
import { expect, test } from '@jest/globals';
import { barChart } from '../../../src/http/pages/charts/bar-chart.js';
import { progressBar } from '../../../src/http/pages/charts/progress-bar.js';
import { securityBar } from '../../../src/http/pages/charts/security-bar.js';

const widths = (svg: string, cls: string): number[] =>
  [...svg.matchAll(new RegExp(`<rect class="${cls}"[^>]* width="([\\d.]+)"`, 'g'))].map((m) => Number(m[1]));

test('progress bar: one segment per non-zero count, proportional, with the counts as title and legend', () => {
  const svg = progressBar({ succeeded: 6, failed: 2, running: 0, waiting: 2 }, 'Rollout').value;
  expect(widths(svg, 'seg-succeeded')).toEqual([360]);
  expect(widths(svg, 'seg-failed')).toEqual([120]);
  expect(widths(svg, 'seg-waiting')).toEqual([120]);
  expect(widths(svg, 'seg-running')).toEqual([]);
  expect(svg).toContain('role="img" aria-label="Rollout: 6 succeeded, 2 failed, 0 running, 2 waiting"');
  expect(svg).toContain('<title>Rollout: 6 succeeded, 2 failed, 0 running, 2 waiting</title>');
  expect(svg).toContain('</i>0 running</span>');
});

test('progress bar with nothing to count draws the empty track only', () => {
  const svg = progressBar({ succeeded: 0, failed: 0, running: 0, waiting: 0 }).value;
  expect(svg).not.toMatch(/seg-(succeeded|failed|running|waiting)" x=/);
  expect(svg).toContain('class="seg-empty"');
});

test('security bar labels each part of the fleet', () => {
  const svg = securityBar({ fixWaiting: 3, insecure: 1, clean: 4 }).value;
  expect(widths(svg, 'seg-fix-waiting')).toEqual([225]);
  expect(svg).toContain('3 insecure, fix waiting, 1 insecure, no fix in the target, 4 no known advisory');
});

test('bar chart: longest bar is the largest value, the target is highlighted, labels are escaped and cut', () => {
  const svg = barChart({
    title: 'Sites per platform',
    bars: [
      { label: 'social-12.3.3', value: 10 },
      { label: 'social-12.4.2', value: 5, highlight: true },
      { label: '<b>a-very-long-platform-name-indeed</b>', value: 0 },
    ],
  }).value;
  const bars = [...svg.matchAll(/<rect class="(bar[^"]*)"[^>]* width="([\d.]+)"/g)].map((m) => [m[1], Number(m[2])]);
  expect(bars).toEqual([
    ['bar', 160],
    ['bar bar-target', 80],
    ['bar', 0],
  ]);
  expect(svg).not.toContain('<b>');
  expect(svg).toContain('>&lt;b&gt;a-very-long-platform…</text>');
  expect(svg).toContain('<title>&lt;b&gt;a-very-long-platform-name-indeed&lt;/b&gt;: 0</title>');
  expect(barChart({ title: 'Empty', bars: [] }).value).toContain('Nothing to draw yet.');
});
