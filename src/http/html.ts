/**
 * A tiny auto-escaping `html` tagged template: every interpolated value is escaped unless it is already
 * SafeHtml (the result of another `html` call or an explicit `raw`). Arrays are rendered item by item,
 * and null/undefined/false render nothing, so `${cond && html`…`}` and `${items.map(…)}` just work.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

/** Marks trusted markup (constant strings only: never user data). */
export const raw = (markup: string): SafeHtml => new SafeHtml(markup);

const render = (value: unknown): string => {
  if (value instanceof SafeHtml) return value.value;
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
};

export const html = (strings: TemplateStringsArray, ...values: unknown[]): SafeHtml => {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
};

/** Renders `backticked` parts of a service message (written for Slack) as <code>, escaping the rest. */
export const withInlineCode = (text: string): SafeHtml =>
  new SafeHtml(text.split('`').map((part, i) => (i % 2 ? `<code>${escapeHtml(part)}</code>` : escapeHtml(part))).join(''));
