/**
 * A horizontal stacked bar as inline SVG (no client-side chart library): one segment per part, coloured by its
 * CSS class (the layout's stylesheet; the CSP allows no inline styles), with an SVG <title> and a text legend,
 * so screen readers and people who do not read colours get the same numbers.
 */
import { html, type SafeHtml } from '../../html.js';

export interface Segment {
  label: string;
  value: number;
  /** CSS suffix: `seg-<tone>` colours the segment and its legend swatch. */
  tone: string;
}

const WIDTH = 600;
const HEIGHT = 18;

export const stackedBar = (o: { id?: string; title: string; segments: Segment[] }): SafeHtml => {
  const total = o.segments.reduce((n, s) => n + s.value, 0);
  const summary = `${o.title}: ${o.segments.map((s) => `${s.value} ${s.label}`).join(', ')}`;
  let x = 0;
  const rects = o.segments
    .filter((s) => s.value > 0)
    .map((s) => {
      const w = total ? (s.value / total) * WIDTH : 0;
      const rect = html`<rect class="seg-${s.tone}" x="${x.toFixed(2)}" y="0" width="${w.toFixed(2)}" height="${HEIGHT}"><title>${s.value} ${s.label}</title></rect>`;
      x += w;
      return rect;
    });
  return html`<figure class="chart stacked"${o.id ? html` id="${o.id}"` : ''}>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" preserveAspectRatio="none" role="img" aria-label="${summary}" focusable="false">
<title>${summary}</title>
<rect class="seg-empty" x="0" y="0" width="${WIDTH}" height="${HEIGHT}"></rect>
${rects}
</svg>
<figcaption><span class="chart-title">${o.title}</span> ${o.segments.map(
    (s) => html`<span class="legend" data-part="${s.tone}"><i class="swatch seg-${s.tone}" aria-hidden="true"></i>${s.value} ${s.label}</span>`,
  )}</figcaption>
</figure>`;
};
