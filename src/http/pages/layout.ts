/** Shared page shell: inline stylesheet, top bar, and the Content-Security-Policy that allows exactly it. */
import { createHash } from 'node:crypto';
import { html, raw, type SafeHtml } from '../html.js';
import { userBar } from './forms/form-parts.js';
import { resultNote } from './result-note.js';

const CSS = `
:root{--fg:#1d2330;--muted:#5d6778;--line:#e2e6ee;--bg:#f5f7fb;--card:#fff;--accent:#2f5bd3;
--green:#1f7a3f;--green-bg:#e3f5e8;--red:#b42323;--red-bg:#fde7e7;--amber:#8a5a00;--amber-bg:#fff2d6;
--blue:#1f4fb8;--blue-bg:#e4ecfd;--grey-bg:#eef0f4;--purple:#6a2fb3;--purple-bg:#efe6fb}
*{box-sizing:border-box}[hidden]{display:none!important}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
main p a,main li a,main dd a,main td.prose a,.alert a{text-decoration:underline;text-underline-offset:2px}
header.top{background:#18203a;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:center}
header.top a{color:#cfd8f5}header.top .brand{color:#fff;font-weight:700;font-size:16px}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}
.sub{color:var(--muted);margin:0 0 16px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px;margin-bottom:16px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);border-radius:8px;overflow:hidden}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#fafbfd;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
tbody tr:nth-child(even){background:#fbfcfe}#packages tbody tr:nth-child(even){background:none}#packages tbody tr.alt{background:#fbfcfe}#packages td{vertical-align:baseline}tbody tr:hover{background:#f1f5ff}
td.num,th.num{text-align:right}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:11.5px;font-weight:600;margin:1px 4px 1px 0;white-space:nowrap;background:var(--grey-bg);color:var(--muted)}
.b-upgrade{background:var(--blue-bg);color:var(--blue)}.b-downgrade{background:var(--amber-bg);color:var(--amber)}
.b-added{background:var(--green-bg);color:var(--green)}.b-missing{background:var(--purple-bg);color:var(--purple)}
.b-security-fixed{background:var(--green);color:#fff}.b-still-insecure{background:var(--red);color:#fff}
.b-error{background:var(--red-bg);color:var(--red)}.b-warning{background:var(--amber-bg);color:var(--amber)}
.b-ready,.b-succeeded,.b-enabled{background:var(--green-bg);color:var(--green)}
.b-locked,.b-disabled,.b-cancelled{background:var(--grey-bg);color:var(--muted)}
.b-failed{background:var(--red-bg);color:var(--red)}
.b-queued,.b-building,.b-processing,.b-migrating{background:var(--blue-bg);color:var(--blue)}
.b-target{background:var(--accent);color:#fff}
.stats{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0 0}
.stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:96px}
.stat b{display:block;font-size:20px}.stat span{color:var(--muted);font-size:12px}
.stat.bad b{color:var(--red)}.stat.zero b{color:#a3abb9}.stat.good b{color:var(--green)}
.versus{display:flex;gap:12px;align-items:center;flex-wrap:wrap;font-size:16px}
.versus .arrow{color:var(--muted)}
.controls{display:flex;flex-wrap:wrap;gap:14px;align-items:center;margin:8px 0 10px;padding:10px 12px;background:var(--card);border:1px solid var(--line);border-radius:8px}
.controls input[type=search]{padding:5px 9px;border:1px solid var(--line);border-radius:6px;min-width:240px;font:inherit}
.controls label{display:inline-flex;gap:4px;align-items:center;cursor:pointer}
.controls .count{margin-left:auto;color:var(--muted)}
th button{all:unset;cursor:pointer}th button:focus-visible{outline:2px solid var(--accent)}
th[aria-sort=ascending] button::after{content:" ▲"}th[aria-sort=descending] button::after{content:" ▼"}
tr.sec td:first-child{box-shadow:inset 3px 0 0 var(--red)}tr.sec.fixed td:first-child{box-shadow:inset 3px 0 0 var(--green)}
.reason{display:block;color:var(--muted);font-size:12px}
details.diff{background:var(--card);border:1px solid var(--line);border-radius:8px;margin-bottom:12px}
details.diff summary{padding:8px 12px;cursor:pointer;font-weight:600}
pre.patch{margin:0;padding:8px 0;overflow-x:auto;border-top:1px solid var(--line);font-size:12.5px;line-height:1.45}
pre.patch code{display:inline-block;min-width:100%;font-size:inherit}pre.patch span{display:block;padding:0 12px;white-space:pre}
pre.patch .add{background:#e6f6ea;color:#14532d}pre.patch .del{background:#fdeaea;color:#7f1d1d}
pre.patch .hunk{background:#eef2fb;color:var(--blue)}pre.patch .meta{color:var(--muted)}
.note{color:var(--muted);padding:8px 12px;border-top:1px solid var(--line)}
.log{background:#0f1422;color:#d6dcea;border-radius:8px;padding:10px 0;overflow-x:auto}
.log div{padding:0 12px;white-space:pre-wrap}.log time{color:#7f8aa3;margin-right:10px}
.log .warn{color:#ffd27a}.log .error{color:#ff9b9b}
.alert{padding:12px 16px;border-radius:8px;background:var(--red-bg);color:var(--red);border:1px solid #f3c2c2}
.empty{color:var(--muted);font-style:italic}
form.inline{display:inline-block;margin:0 6px 6px 0}.actions form.inline{margin:0}.actions{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin:8px 0 16px}
button,.button{font:inherit;padding:5px 12px;border:1px solid var(--line);border-radius:6px;background:var(--card);color:var(--fg);cursor:pointer;display:inline-block}
button.primary,.button.primary{background:var(--accent);border-color:var(--accent);color:#fff}button.danger{background:var(--red);border-color:var(--red);color:#fff}
.field{margin:0 0 12px;display:flex;flex-direction:column;gap:3px;max-width:560px}.field input,.field select,.field textarea{font:inherit;padding:6px 9px;border:1px solid var(--line);border-radius:6px}
.field.invalid textarea{border-color:var(--red)}table caption{text-align:left;padding:4px 10px}
.wait-note{padding:12px 16px;border-radius:8px;background:var(--blue-bg);color:var(--blue);border:1px solid #c6d5f7;overflow-wrap:anywhere}
.field small{color:var(--muted)}.field .error{color:var(--red);font-weight:600}.field.invalid input{border-color:var(--red)}
fieldset{border:1px solid var(--line);border-radius:8px;margin:0 0 12px;padding:10px 14px;min-width:0}
header.top .user{margin-left:auto;color:#cfd8f5}header.top form.inline{margin:0}
.ok-note{padding:10px 14px;border-radius:8px;background:var(--green-bg);color:var(--green);border:1px solid #bfe3c9}
.attention{border-left:4px solid var(--red)}.attention h3{margin:0 0 8px;font-size:15px}
.attention ul{margin:0;padding-left:18px}.attention li{margin:3px 0}
.err{color:var(--red);display:block;font-size:12.5px;overflow-wrap:anywhere}
.grid{margin:14px 0;display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:14px}
.grid .card{margin:0;min-width:0}
figure.chart{margin:8px 0 0;min-width:0}figure.chart svg{display:block;width:100%;height:auto}
figure.stacked svg{height:18px;border-radius:4px}
.chart-title{font-weight:600;color:var(--fg);margin-right:6px}
figcaption{font-size:12.5px;color:var(--fg);margin-top:4px;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center}
figure.bars figcaption{margin:0 0 4px}
.legend{display:inline-flex;gap:5px;align-items:center}.swatch{display:inline-block;width:11px;height:11px;border-radius:2px}
.seg-succeeded{fill:#2e8b57;background:#2e8b57}.seg-failed{fill:#c62828;background:#c62828}
.seg-running{fill:#2f5bd3;background:#2f5bd3}.seg-waiting{fill:#b8c0cf;background:#b8c0cf}
.seg-fix-waiting{fill:#d98e04;background:#d98e04}.seg-empty{fill:#eef0f4}
.bar{fill:#7d8db5}.bar-target{fill:var(--accent)}.bar-label,.bar-value{font-size:13px;fill:var(--fg)}
.steps{color:var(--muted)}
.export{font-size:13px}
dl.facts dd{min-width:0;overflow-wrap:anywhere}
.sub,.alert{overflow-wrap:anywhere}
@media (max-width:720px){
main{padding:14px 12px}header.top{padding:10px 12px;gap:14px;flex-wrap:wrap}
table{display:block;overflow-x:auto;max-width:100%}th,td{white-space:nowrap}td .err{white-space:normal;min-width:16em}
dl.facts{grid-template-columns:1fr;gap:0}dl.facts dt{margin-top:6px}
.controls input[type=search]{min-width:0;flex:1 1 100%}.controls .count{margin-left:0}
.versus{font-size:14px}
}
`;

const cspHash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export interface InlineScript {
  source: string;
  hash: string;
}

/** Registers a constant inline script so the CSP can allow it by hash (no 'unsafe-inline'). */
export const inlineScript = (source: string): InlineScript => ({ source, hash: cspHash(source) });

export const contentSecurityPolicy = (scripts: InlineScript[] = []): string =>
  [
    "default-src 'none'",
    `style-src ${cspHash(CSS)}`,
    `script-src ${scripts.length ? scripts.map((s) => s.hash).join(' ') : "'none'"}`,
    "img-src 'self' data:",
    // The live-progress script fetches the page it is on (same origin) to update it in place.
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');

export interface LayoutOptions {
  title: string;
  body: SafeHtml;
  /**
   * Seconds between updates while something on the page is still running: the live script refreshes the
   * `data-live` regions in place; without JavaScript the page reloads itself (a refresh inside <noscript>).
   */
  refreshSeconds?: number;
  scripts?: InlineScript[];
}

export const layout = (o: LayoutOptions): SafeHtml => html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${o.refreshSeconds ? html`<noscript><meta http-equiv="refresh" content="${o.refreshSeconds}"></noscript>` : ''}
<title>${o.title} · Distro</title>
<style>${raw(CSS)}</style>
</head>
<body${o.refreshSeconds ? html` data-refresh="${o.refreshSeconds}"` : ''}>
<header class="top"><a class="brand" href="/">Distro</a><nav aria-label="Main"><a href="/">Dashboard</a> <a href="/rollouts">Rollouts</a> <a href="/sites">Sites</a> <a href="/exposure">Exposure</a> <a href="/audit">Audit log</a></nav>${userBar()}</header>
<main>
${resultNote() ? html`<p class="ok-note" id="result-note" role="status">${resultNote()}</p>` : ''}
${o.body}
</main>
${(o.scripts ?? []).map((s) => html`<script>${raw(s.source)}</script>`)}
</body>
</html>
`;

/** A status badge; `kind` doubles as the CSS modifier. */
export const badge = (kind: string, label: string = kind): SafeHtml => html`<span class="badge b-${kind}">${label}</span>`;

export const formatDate = (d: Date | null | undefined): string => (d ? d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');
