/**
 * The one truncation helper of Slack text. Text is cut at a line (or, for one overlong line, at a space), never
 * inside a code span, a code block or a `<…>` link/mention, and whatever is left out is counted in a last line
 * ("…and 12 more"), so a reader always knows the list goes on and where to see all of it.
 */

const ELLIPSIS = '…';

/**
 * The longest prefix of `text` within `max` characters that ends at a line or word boundary outside any
 * formatting, followed by "…". A code block open at the cut is closed.
 */
export const cutText = (text: string, max: number): string => {
  if (text.length <= max) return text;
  const room = Math.max(0, max - ELLIPSIS.length - 3); // 3: a closing ``` if the cut is inside a code block
  let inBlock = false;
  let inCode = false;
  let inAngle = false;
  let lastLine = -1;
  let lastLineInBlock = false;
  let lastSpace = -1;
  for (let i = 0; i < room; i++) {
    const c = text[i];
    if (text.startsWith('```', i) && !inCode && !inAngle) {
      inBlock = !inBlock;
      i += 2;
      continue;
    }
    if (inBlock) {
      if (c === '\n') {
        lastLine = i;
        lastLineInBlock = true;
      }
      continue;
    }
    if (c === '`' && !inAngle) inCode = !inCode;
    else if (c === '<' && !inCode) inAngle = true;
    else if (c === '>' && inAngle) inAngle = false;
    else if (!inCode && !inAngle && c === '\n') {
      lastLine = i;
      lastLineInBlock = false;
    } else if (!inCode && !inAngle && c === ' ') lastSpace = i;
  }
  if (lastLine > 0) return `${text.slice(0, lastLine).trimEnd()}${lastLineInBlock ? '\n' + ELLIPSIS + '```' : '\n' + ELLIPSIS}`;
  if (lastSpace > 0) return `${text.slice(0, lastSpace).trimEnd()} ${ELLIPSIS}`;
  // One unbreakable token: drop formatting characters rather than cut inside them.
  return `${text.replace(/[`<>*_~]/g, '').slice(0, Math.max(0, max - ELLIPSIS.length))}${ELLIPSIS}`;
};

export interface FitOptions {
  /** Characters available (default: a section's 3,000). */
  maxChars?: number;
  /** The closing line for `hidden` left-out lines; defaults to "…and N more". */
  more?: (hidden: number) => string;
}

/** Whole lines joined by newlines up to `maxChars`; the rest is counted in a closing "…and N more" line. */
export const fitLines = (lines: string[], options: FitOptions = {}): string => {
  const max = options.maxChars ?? 3000;
  const more = options.more ?? ((n: number) => `${ELLIPSIS}and ${n.toLocaleString('en-US')} more`);
  const out: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.length > max ? cutText(lines[i]!, Math.floor(max / 2)) : lines[i]!;
    const rest = lines.length - i;
    const tail = rest > 1 ? more(rest - 1).length + 1 : 0;
    if (used + line.length + tail > max) {
      out.push(more(rest));
      return out.join('\n');
    }
    out.push(line);
    used += line.length + 1;
  }
  return out.join('\n');
};
