/**
 * Tiny HTML helpers for the demo LMS. No template engine: the pages are few and
 * small, and every interpolated value goes through `esc()` so a hostile name,
 * title or error message can never break out of its attribute or element.
 */

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for use in element content and in quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** Moodle's Boost theme colours, so the demo feels familiar to people who use the real LMS. */
const CSS = `
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2125;background:#f5f5f5;font-size:15px}
header.nav{background:#fff;border-bottom:1px solid #dee2e6;padding:.6rem 1.2rem;display:flex;gap:1rem;align-items:center}
header.nav .brand{font-weight:700;color:#0f6cbf}
header.nav .who{margin-left:auto;color:#6a737b;font-size:.9em}
main{max-width:1100px;margin:1.2rem auto;padding:0 1rem}
.card{background:#fff;border:1px solid #dee2e6;border-radius:.5rem;padding:1rem 1.2rem;margin-bottom:1rem}
.crumbs{font-size:.85em;color:#6a737b;margin-bottom:.4rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}
h2{font-size:1.15rem;margin:.2rem 0 .6rem}
a{color:#0f6cbf}
.btn{display:inline-block;padding:.3rem .7rem;margin:.15rem .2rem .15rem 0;border-radius:.4rem;border:1px solid #0f6cbf;color:#0f6cbf;background:#fff;text-decoration:none;font-size:.9em;cursor:pointer}
.btn.primary{background:#0f6cbf;color:#fff}
.muted{color:#6a737b;font-size:.9em}
.err{border-left:4px solid #ca3120}
.ok{border-left:4px solid #357a32}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #dee2e6;padding:.35rem .5rem;text-align:left;vertical-align:top;font-size:.9em}
th{background:#f8f9fa}
iframe.tool{width:100%;height:75vh;border:1px solid #dee2e6;border-radius:.5rem;background:#fff}
code{background:#f1f3f5;padding:0 .25rem;border-radius:.2rem}
details summary{cursor:pointer;font-weight:600}
`;

export interface PageOptions {
  title: string;
  /** Already-escaped HTML for the main area. */
  body: string;
  /** Per-response nonce allowing the page's one inline style block and script. */
  nonce: string;
  /** Already-escaped HTML for an inline script (no <script> tags). */
  script?: string;
  /** Shown at the right of the top bar, e.g. the user the page is "logged in" as. */
  who?: string;
  /** Path-absolute link to the course page, for the top bar. */
  home?: string;
}

/** A whole Moodle-like page. */
export function page(o: PageOptions): string {
  const home = o.home
    ? `<a class="brand" href="${esc(o.home)}">BPSDM Demo · LMS</a>`
    : '<span class="brand">BPSDM Demo · LMS</span>';
  return `<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(o.title)}</title><style nonce="${esc(o.nonce)}">${CSS}</style></head>
<body><header class="nav">${home}<span class="muted">simulator platform LTI 1.3 (bukan Moodle sungguhan)</span>${
    o.who ? `<span class="who">Masuk sebagai <strong>${esc(o.who)}</strong></span>` : ''
  }</header>
<main>${o.body}</main>${o.script ? `<script nonce="${esc(o.nonce)}">${o.script}</script>` : ''}</body></html>`;
}

/**
 * An auto-submitting POST form, the way Moodle hands the id_token to the tool:
 * a one-line script submits it, and a visible button in <noscript> lets it work
 * without JavaScript.
 */
export function autoPostForm(
  action: string,
  fields: Record<string, string>,
  opts: { target?: string; id?: string } = {},
): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n');
  const target = opts.target ? ` target="${esc(opts.target)}"` : '';
  return `<form id="${esc(opts.id ?? 'ltiAutoPost')}" method="post" action="${esc(action)}"${target} enctype="application/x-www-form-urlencoded">
${inputs}
<noscript><button class="btn primary" type="submit">Lanjutkan</button></noscript>
</form>`;
}

/** The script that submits the form built by autoPostForm. */
export function autoSubmitScript(formId = 'ltiAutoPost'): string {
  return `document.getElementById(${JSON.stringify(formId)}).submit();`;
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos|#39);/gi, (_m, e: string) => {
    const lower = e.toLowerCase();
    if (lower.startsWith('#x')) return String.fromCodePoint(parseInt(lower.slice(2), 16));
    if (lower.startsWith('#')) return String.fromCodePoint(parseInt(lower.slice(1), 10));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[lower] ?? '';
  });
}

function parseAttributes(s: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  const re = /([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    attrs[m[1].toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/**
 * Parses the auto-submitting <form> of a page (this platform's, or the tool's
 * deep-linking response): the form with id "autosubmit" or "ltiAutoPost" when
 * there is one (a page may carry other forms, like a language switch), else the
 * first. Returns action, method and the hidden fields. A regex parser is enough
 * because we only read forms that machines wrote; it tolerates attribute order,
 * either quote style and entities.
 */
export function parseAutoPostForm(html: string): { action: string; method: string; fields: Record<string, string> } {
  const open =
    /<form\b([^>]*\bid=["'](?:autosubmit|ltiAutoPost)["'][^>]*)>/i.exec(html) ?? /<form\b([^>]*)>/i.exec(html);
  if (!open) throw new Error('parseAutoPostForm: no <form> in the page');
  const formAttrs = parseAttributes(open[1]);
  const rest = html.slice(open.index + open[0].length);
  const close = rest.search(/<\/form\s*>/i);
  const inner = close >= 0 ? rest.slice(0, close) : rest;
  const fields: Record<string, string> = {};
  const inputRe = /<input\b([^>]*)>/gi;
  let m: RegExpExecArray | null;
  while ((m = inputRe.exec(inner)) !== null) {
    const a = parseAttributes(m[1].replace(/\/\s*$/, ''));
    if ((a.type ?? 'text').toLowerCase() === 'hidden' && a.name) fields[a.name] = a.value ?? '';
  }
  return { action: formAttrs.action ?? '', method: (formAttrs.method ?? 'get').toLowerCase(), fields };
}
