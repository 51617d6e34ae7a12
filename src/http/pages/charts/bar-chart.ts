/**
 * Horizontal bars with their labels and values as SVG text (sites per platform version): readable without
 * colour, titled for screen readers, and scaled to the page width by its viewBox.
 */
import { html, type SafeHtml } from '../../html.js';

export interface Bar {
  label: string;
  value: number;
  /** Drawn in the accent colour (the upgrade target). */
  highlight?: boolean;
}

/** Drawn about as wide as a dashboard card, so its 13 px text stays near 13 px on the page. */
const WIDTH = 380;
const ROW = 24;
const LABEL_WIDTH = 180;
const VALUE_WIDTH = 40;
/** Labels longer than this are cut with an ellipsis (the full text is in the bar's <title>). */
const LABEL_CHARS = 24;

export const barChart = (o: { id?: string; title: string; bars: Bar[] }): SafeHtml => {
  if (!o.bars.length) {
    return html`<figure class="chart bars"${o.id ? html` id="${o.id}"` : ''}><figcaption class="chart-title">${o.title}</figcaption><p class="empty">Nothing to draw yet.</p></figure>`;
  }
  const max = Math.max(1, ...o.bars.map((b) => b.value));
  const height = o.bars.length * ROW;
  const span = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
  const summary = `${o.title}: ${o.bars.map((b) => `${b.label} ${b.value}`).join(', ') || 'none'}`;
  return html`<figure class="chart bars"${o.id ? html` id="${o.id}"` : ''}>
<figcaption class="chart-title">${o.title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${summary}" focusable="false">
<title>${summary}</title>
${o.bars.map((b, i) => {
  const y = i * ROW;
  const w = (b.value / max) * span;
  const label = b.label.length > LABEL_CHARS ? `${b.label.slice(0, LABEL_CHARS - 1)}…` : b.label;
  return html`<g><title>${b.label}: ${b.value}</title>
<text class="bar-label" x="${LABEL_WIDTH - 8}" y="${y + ROW / 2 + 5}" text-anchor="end">${label}</text>
<rect class="${b.highlight ? 'bar bar-target' : 'bar'}" x="${LABEL_WIDTH}" y="${y + 4}" width="${Math.max(b.value ? 2 : 0, w).toFixed(2)}" height="${ROW - 8}"></rect>
<text class="bar-value" x="${(LABEL_WIDTH + w + 6).toFixed(2)}" y="${y + ROW / 2 + 5}">${b.value}</text></g>`;
})}
</svg>
</figure>`;
};
