/* Algoritmewijzer – embeddable chat widget (single self-contained file).
 * <script src="https://HOST/widget.js" async data-lang="nl" data-title="…"
 *   data-greeting="…" data-position="right|left" data-color="#154273"></script>
 * Defines <algoritmewijzer-widget> (shadow DOM, open) and adds one to the page.
 * Plain ES2020; no globals besides the custom element name; CSP-friendly
 * (styles via adoptedStyleSheets, no inline script/HTML from data). */
(() => {
  'use strict';
  const TAG = 'algoritmewijzer-widget';
  if (!window.customElements || customElements.get(TAG)) return;

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  let ORIGIN = location.origin;
  try { if (script && script.src) ORIGIN = new URL(script.src, location.href).origin; } catch (_) { /* keep page origin */ }
  const API = ORIGIN + '/api/chat';
  const DEFAULT_COLOR = '#154273';
  const MAX_HISTORY = 20;
  const IDLE_MS = 90000;

  const S = {
    nl: {
      title: 'Algoritmewijzer',
      open: 'Open chat',
      close: 'Sluiten',
      greeting: 'Hallo! Stel een vraag over de algoritmes die de overheid gebruikt.',
      note: 'De antwoorden komen uit het openbare Algoritmeregister en verwijzen naar hun bron. Deel geen persoonsgegevens.',
      examples: ['Welke algoritmes gebruikt UWV?', 'Gebruikt de politie gezichtsherkenning?', 'Hoeveel algoritmes heeft de Belastingdienst in gebruik?', 'Welke algoritmes van Rotterdam zijn buiten gebruik?'],
      examplesLabel: 'Voorbeeldvragen',
      label: 'Uw vraag',
      placeholder: 'Stel uw vraag…',
      send: 'Verstuur',
      you: 'U',
      busy: 'Het antwoord wordt opgezocht…',
      sources: 'Bronnen',
      newWindow: '(opent in een nieuw venster)',
      withheld: 'Niet openbaar',
      fields: 'Niet openbaar gemaakt',
      ground: 'Grond',
      legal: 'Wettelijke grondslag',
      copy: 'Kopieer antwoord met bronnen',
      copied: 'Gekopieerd',
      copyFailed: 'Kopiëren is niet gelukt.',
      retry: 'Probeer opnieuw',
      errNetwork: 'Er is geen verbinding met de Algoritmewijzer. Controleer uw internetverbinding en probeer het opnieuw.',
      errTimeout: 'Het antwoord duurt te lang. Probeer het later opnieuw.',
      errRate: (n) => n ? `Er worden op dit moment veel vragen gesteld. Probeer het over ${n} ${n === 1 ? 'seconde' : 'seconden'} opnieuw.` : 'Er worden op dit moment veel vragen gesteld. Probeer het over een minuut opnieuw.',
      errUnavailable: 'De Algoritmewijzer is tijdelijk niet beschikbaar. Probeer het later opnieuw.',
      errInput: 'Uw vraag kon niet worden verwerkt. Maak de vraag korter of stel hem op een andere manier.',
      errIncomplete: 'Het antwoord kon niet volledig worden opgehaald. Probeer het opnieuw.',
      errGeneric: 'Er ging iets mis bij het ophalen van het antwoord. Probeer het later opnieuw.',
    },
    en: {
      title: 'Algoritmewijzer',
      open: 'Open chat',
      close: 'Close',
      greeting: 'Hello! Ask a question about the algorithms the Dutch government uses.',
      note: 'Answers come from the public Algorithm Register and link to their source. Please do not share personal data.',
      examples: ['Which municipalities use chatbots?', 'What algorithms does the Tax Administration use?', "Does a person check the outcome of the RDW's algorithms?", 'Which algorithms of Amsterdam are out of use?'],
      examplesLabel: 'Example questions',
      label: 'Your question',
      placeholder: 'Ask your question…',
      send: 'Send',
      you: 'You',
      busy: 'Looking up the answer…',
      sources: 'Sources',
      newWindow: '(opens in a new window)',
      withheld: 'Not public',
      fields: 'Not published',
      ground: 'Ground',
      legal: 'Legal basis',
      copy: 'Copy answer with sources',
      copied: 'Copied',
      copyFailed: 'Copying failed.',
      retry: 'Try again',
      errNetwork: 'There is no connection to the Algoritmewijzer. Please check your internet connection and try again.',
      errTimeout: 'The answer is taking too long. Please try again later.',
      errRate: (n) => n ? `Many questions are being asked right now. Please try again in ${n} ${n === 1 ? 'second' : 'seconds'}.` : 'Many questions are being asked right now. Please try again in a minute.',
      errUnavailable: 'The Algoritmewijzer is temporarily unavailable. Please try again later.',
      errInput: 'Your question could not be processed. Please make it shorter or phrase it differently.',
      errIncomplete: 'The answer could not be retrieved completely. Please try again.',
      errGeneric: 'Something went wrong while retrieving the answer. Please try again later.',
    },
  };

  /* Accent colour: only #rgb/#rrggbb, and white text on it must reach 4.5:1. */
  function accentColor(value) {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(value || '').trim());
    if (!m) return DEFAULT_COLOR;
    let hex = m[1].toLowerCase();
    if (hex.length === 3) hex = hex.replace(/./g, '$&$&');
    const lin = [0, 2, 4].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    return 1.05 / (lum + 0.05) >= 4.5 ? '#' + hex : DEFAULT_COLOR;
  }

  const css = (accent, left) => `
:host{all:initial;--a:${accent};--t:#1b1b1b;--m:#4a4a4a;--l:#c5d3e0;--sky:#eef4fa}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--t)}
:focus{outline:none}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.vh{position:absolute!important;width:1px!important;height:1px!important;margin:-1px!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;white-space:nowrap!important;border:0!important}
button{font:inherit;cursor:pointer}
.launcher{position:fixed;${left ? 'left' : 'right'}:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:2px solid #fff;background:var(--a);color:#fff;display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.3);transition:transform .15s ease}
.launcher:hover{transform:scale(1.06)}
.launcher:focus-visible{outline-color:#1b1b1b;box-shadow:0 0 0 6px #fff,0 4px 14px rgba(0,0,0,.3)}
.launcher svg{width:28px;height:28px}
.panel{position:fixed;${left ? 'left' : 'right'}:20px;bottom:92px;z-index:2147483000;width:390px;max-width:calc(100vw - 24px);height:600px;max-height:calc(100vh - 112px);display:flex;flex-direction:column;background:#fff;border:1px solid #8a9bab;border-radius:12px;box-shadow:0 10px 32px rgba(0,0,0,.28);overflow:hidden;animation:aw-in .18s ease-out}
@keyframes aw-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}
.head{display:flex;align-items:center;gap:8px;padding:10px 10px 10px 16px;background:var(--a);color:#fff}
.head h2{flex:1;margin:0;font-size:18px;line-height:1.3}
.close{width:44px;height:44px;border:0;border-radius:8px;background:transparent;color:#fff;display:flex;align-items:center;justify-content:center}
.close:hover{background:rgba(255,255,255,.15)}
.close:focus-visible{outline-color:#fff;outline-offset:-4px}
.close svg{width:22px;height:22px}
.body{position:relative;flex:1;overflow-y:auto;padding:14px 16px;overscroll-behavior:contain}
.greet{margin:0 0 6px;font-weight:600}
.note{margin:0 0 10px;font-size:14px;color:var(--m)}
.ex{list-style:none;margin:0 0 12px;padding:0;display:flex;flex-direction:column;gap:6px}
.ex button{width:100%;min-height:44px;padding:8px 12px;text-align:left;border:2px solid var(--a);border-radius:8px;background:#fff;color:var(--a);font-size:15px;line-height:1.35}
.ex button:hover,.act:hover{box-shadow:inset 0 0 0 1px var(--a);text-decoration:underline}
.log{display:flex;flex-direction:column;gap:12px}
.msg{overflow-wrap:anywhere}
.who{margin:0 0 2px;font-size:13px;font-weight:700;color:var(--m)}
.b{padding:10px 12px;border-radius:10px}
.b>:first-child{margin-top:0}.b>:last-child{margin-bottom:0}
.u{align-self:flex-end;max-width:88%}.u .who{text-align:right}
.u .b{background:var(--sky);border:1px solid #b9d3ea;white-space:pre-wrap}
.bot .b{border:1px solid var(--l)}
.txt p,.txt ul,.txt ol{margin:0 0 8px}.txt ul,.txt ol{padding-left:22px}.txt>:last-child{margin-bottom:0}
a{color:var(--a);text-underline-offset:.15em}
a:hover{text-decoration-thickness:2px}
.typing{display:flex;align-items:center;gap:8px;margin:0;color:var(--m)}
.has .typing span:last-child{display:none}
.pv{white-space:pre-wrap}.pv:empty{display:none}
.dots{display:inline-flex;gap:4px}
.dots i{width:7px;height:7px;border-radius:50%;background:var(--a);animation:aw-dot 1.2s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}
@keyframes aw-dot{0%,80%,100%{opacity:.25}40%{opacity:1}}
h3{margin:0 0 4px;font-size:15px}
.src{margin-top:10px;padding-top:8px;border-top:1px solid var(--l);font-size:15px}
.src ul{margin:0;padding-left:20px}.src li+li{margin-top:3px}
.wh{margin-top:10px;padding:8px 10px;background:#fff5e0;border-left:5px solid #e17000;border-radius:0 8px 8px 0;font-size:15px}
.wh h3{display:flex;align-items:center;gap:6px;color:#6b3300}
.wh svg,.err svg{width:18px;height:18px;flex:none}
.wh dl{margin:0 0 6px}.wh dt{font-weight:700}.wh dd{margin:0 0 4px}
.wh p{margin:0}.wh .nm{font-weight:700;margin-bottom:2px}
.wi+.wi{margin-top:8px;padding-top:8px;border-top:1px solid #f0c98f}
.err .b{background:#fdeeec;border-left:5px solid #d52b1e;border-radius:0 8px 8px 0}
.err p{display:flex;gap:6px;margin:0 0 6px}.err svg{color:#8a1a11;margin-top:3px}
.act{min-height:40px;margin-top:8px;padding:6px 12px;border:2px solid var(--a);border-radius:8px;background:#fff;color:var(--a);font-size:14px}
.form{display:flex;flex-direction:column;gap:4px;padding:10px 12px 12px;border-top:1px solid var(--l);background:#fff}
.form label{font-size:14px;font-weight:700}
.row{display:flex;gap:8px}
textarea{flex:1;min-width:0;min-height:46px;max-height:140px;padding:10px;border:2px solid #5a6b7b;border-radius:8px;font:inherit;color:var(--t);background:#fff;resize:none}
textarea::placeholder{color:#6b6b6b;opacity:1}
.send{min-width:44px;min-height:46px;padding:0 14px;border:2px solid var(--a);border-radius:8px;background:var(--a);color:#fff;font-weight:700}
.send[aria-disabled="true"]{cursor:progress;opacity:.85}
.buf{position:fixed;left:-9999px;top:0;opacity:0}
@media (max-width:480px){.panel{left:8px;right:8px;bottom:84px;width:auto;max-width:none;max-height:calc(100vh - 96px)}}
@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important}.launcher:hover{transform:none}}
@media (forced-colors:active){.launcher,.panel,.b,.send{border:2px solid ButtonText}.dots i{background:CanvasText}}
`;

  function h(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = v;
      else n.setAttribute(k, v === true ? '' : String(v));
    }
    for (const k of kids) if (k != null && k !== false) n.append(typeof k === 'string' ? document.createTextNode(k) : k);
    return n;
  }

  function icon(d) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    const p = document.createElementNS(ns, 'path');
    p.setAttribute('d', d);
    p.setAttribute('fill', 'currentColor');
    svg.append(p);
    return svg;
  }
  const I_CHAT = 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm3 6.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm5 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z';
  const I_CLOSE = 'M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z';
  const I_LOCK = 'M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5zm-3 5a3 3 0 1 1 6 0v3H9V7z';
  const I_ALERT = 'M12 2 1 21h22L12 2zm0 5.5 1 8h-2l1-8zM12 17a1.25 1.25 0 1 1 0 2.5 1.25 1.25 0 0 1 0-2.5z';

  function safeUrl(v) {
    try {
      const u = new URL(String(v));
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (_) { return null; }
  }

  const ext = (href, label, s) => h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label, h('span', { class: 'vh', text: ' ' + s.newWindow }));

  function linkify(parent, text, s) {
    let last = 0;
    for (const m of text.matchAll(/\bhttps?:\/\/[^\s<>"']+/g)) {
      const url = m[0].replace(/[.,;:!?)\]]+$/, '');
      const href = safeUrl(url);
      if (!href) continue;
      parent.append(text.slice(last, m.index), ext(href, url, s));
      last = m.index + url.length;
    }
    parent.append(text.slice(last));
  }

  /* Plain text -> paragraphs and bulleted/numbered lists. */
  function format(text, s) {
    const out = h('div', { class: 'txt' });
    let p = null;
    let list = null;
    for (const raw of String(text || '').replace(/\r\n?/g, '\n').split('\n')) {
      const line = raw.trim();
      const bm = /^[-*•]\s+(.*)$/.exec(line);
      const nm = bm ? null : /^\d{1,3}[.)]\s+(.*)$/.exec(line);
      if (bm || nm) {
        const tag = bm ? 'ul' : 'ol';
        p = null;
        if (!list || list.localName !== tag) out.append(list = h(tag));
        const li = h('li');
        linkify(li, (bm || nm)[1], s);
        list.append(li);
      } else if (!line) {
        p = list = null;
      } else {
        list = null;
        if (p) p.append(h('br'));
        else out.append(p = h('p'));
        linkify(p, line, s);
      }
    }
    return out;
  }

  async function readSSE(body, onEvent, onChunk) {
    const reader = body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    let ev = '';
    let data = [];
    let stop = false;
    const line = (l) => {
      if (l === '') {
        if (data.length) stop = onEvent(ev || 'message', data.join('\n')) === true;
        ev = '';
        data = [];
      } else if (l[0] !== ':') {
        const i = l.indexOf(':');
        const f = i < 0 ? l : l.slice(0, i);
        let v = i < 0 ? '' : l.slice(i + 1);
        if (v[0] === ' ') v = v.slice(1);
        if (f === 'event') ev = v;
        else if (f === 'data') data.push(v);
      }
    };
    try {
      while (!stop) {
        const { value, done } = await reader.read();
        if (done) {
          buf += dec.decode();
          if (buf) line(buf);
          if (!stop) line('');
          break;
        }
        onChunk();
        buf += dec.decode(value, { stream: true });
        const cut = buf.endsWith('\r') ? buf.length - 1 : buf.length;
        const lines = buf.slice(0, cut).split(/\r\n|\r|\n/);
        buf = lines.pop() + buf.slice(cut);
        for (const l of lines) { line(l); if (stop) break; }
      }
    } finally {
      if (stop) reader.cancel().catch(() => {});
    }
  }

  const fail = (kind, status, detail, retry) => Object.assign(new Error(kind), { kind, status: status || 0, detail: typeof detail === 'string' ? detail : '', retry });
  const json = (t) => { try { return JSON.parse(t); } catch (_) { return null; } };
  const isResult = (o) => o && typeof o === 'object' && typeof o.answer === 'string';

  function retryAfter(v) {
    if (!v) return 0;
    if (/^\s*\d+\s*$/.test(v)) return Math.max(1, parseInt(v, 10));
    const t = Date.parse(v);
    return Number.isNaN(t) ? 0 : Math.max(1, Math.ceil((t - Date.now()) / 1000));
  }

  function errText(e, s) {
    if (e.kind === 'timeout') return s.errTimeout;
    if (e.kind === 'network') return s.errNetwork;
    if (e.kind === 'incomplete') return s.errIncomplete;
    if (e.status === 429) return s.errRate(e.retry);
    if (e.status === 503) return e.detail || s.errUnavailable;
    if ([400, 413, 422].includes(e.status)) return s.errInput;
    return s.errGeneric;
  }

  async function copy(text, root) {
    if (navigator.clipboard && window.isSecureContext) {
      try { await navigator.clipboard.writeText(text); return true; } catch (_) { /* fallback */ }
    }
    const ta = h('textarea', { class: 'buf', readonly: true, 'aria-hidden': 'true', tabindex: '-1' });
    ta.value = text;
    root.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (_) { /* ignore */ }
    ta.remove();
    return ok;
  }

  class AlgoritmewijzerWidget extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: 'open' });
      this.history = [];
      this.busy = false;
      this.ctrl = null;
    }

    connectedCallback() {
      if (!this.built) { this.built = true; this.build(); }
    }

    disconnectedCallback() {
      if (this.ctrl) this.ctrl.abort();
    }

    build() {
      const d = this.dataset;
      const lang = d.lang === 'en' || d.lang === 'nl' ? d.lang : ((document.documentElement.lang || '').toLowerCase().startsWith('en') && !d.lang ? 'en' : 'nl');
      const s = (this.s = S[lang]);
      this.uiLang = lang;
      const title = (d.title || '').trim() || s.title;
      const left = d.position === 'left';
      const root = this.shadowRoot;
      const styles = css(accentColor(d.color), left);
      if ('adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(styles);
        root.adoptedStyleSheets = [sheet];
      } else {
        root.append(h('style', { text: styles }));
      }

      const launcher = (this.launcher = h('button', { type: 'button', class: 'launcher', 'aria-label': `${s.open}: ${title}`, 'aria-expanded': 'false', 'aria-controls': 'aw-panel' }, icon(I_CHAT)));
      const close = h('button', { type: 'button', class: 'close', 'aria-label': s.close }, icon(I_CLOSE));
      this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': title, 'aria-busy': 'false' });
      this.exList = h('ul', { class: 'ex', 'aria-label': s.examplesLabel });
      for (const q of s.examples) {
        const b = h('button', { type: 'button', text: q });
        b.addEventListener('click', () => this.ask(q));
        this.exList.append(h('li', null, b));
      }
      this.body = h('div', { class: 'body' },
        h('p', { class: 'greet', text: (d.greeting || '').trim() || s.greeting }),
        h('p', { class: 'note', text: s.note }),
        this.exList, this.log);
      this.input = h('textarea', { id: 'aw-q', rows: '1', maxlength: '2000', autocomplete: 'off', placeholder: s.placeholder });
      this.sendBtn = h('button', { type: 'submit', class: 'send', 'aria-disabled': 'false', text: s.send });
      const form = h('form', { class: 'form', novalidate: true },
        h('label', { for: 'aw-q', text: s.label }), h('div', { class: 'row' }, this.input, this.sendBtn));
      this.status = h('div', { class: 'vh', role: 'status', 'aria-live': 'polite' });
      const panel = (this.panel = h('div', { id: 'aw-panel', class: 'panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'aw-title', hidden: true },
        h('div', { class: 'head' }, h('h2', { id: 'aw-title', text: title }), close),
        this.body, form, this.status));
      root.append(h('div', { class: 'root', lang }, launcher, panel));

      launcher.addEventListener('click', () => this.toggle(panel.hidden));
      close.addEventListener('click', () => this.toggle(false));
      panel.addEventListener('keydown', (e) => {
        if (e.key === 'Escape') { e.stopPropagation(); this.toggle(false); }
      });
      launcher.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && !panel.hidden) this.toggle(false);
      });
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const q = this.input.value.trim();
        if (!q || this.busy) { this.input.focus(); return; }
        this.input.value = '';
        this.ask(q);
      });
      this.input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229 && !e.ctrlKey && !e.altKey && !e.metaKey) {
          e.preventDefault();
          form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit', { cancelable: true }));
        }
      });
    }

    toggle(open) {
      this.panel.hidden = !open;
      this.launcher.setAttribute('aria-expanded', String(open));
      if (open) this.input.focus();
      else this.launcher.focus();
    }

    announce(text) {
      this.status.textContent = '';
      setTimeout(() => { this.status.textContent = text; }, 60);
    }

    reveal(node) {
      // scroll only the panel body (scrollIntoView could scroll the host page too)
      const body = this.body;
      const top = node.offsetTop - 8;
      const fits = node.offsetHeight + 16 <= body.clientHeight;
      const target = fits ? Math.max(body.scrollTop, node.offsetTop + node.offsetHeight + 8 - body.clientHeight) : top;
      const smooth = !(window.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches);
      body.scrollTo({ top: target, behavior: smooth ? 'smooth' : 'auto' });
    }

    setBusy(on) {
      this.busy = on;
      this.log.setAttribute('aria-busy', String(on));
      this.sendBtn.setAttribute('aria-disabled', String(on));
    }

    ask(q) {
      q = String(q || '').trim();
      if (!q || this.busy) return;
      this.exList.hidden = true;
      this.history.push({ role: 'user', content: q });
      const msg = h('div', { class: 'msg u' }, h('p', { class: 'who', text: this.s.you }), h('div', { class: 'b', text: q }));
      this.log.append(msg);
      this.reveal(msg);
      this.run();
    }

    async run() {
      const s = this.s;
      this.setBusy(true);
      this.announce(s.busy);
      const pv = h('div', { class: 'pv' });
      const pending = h('div', { class: 'msg bot', 'aria-hidden': 'true' },
        h('p', { class: 'who', text: s.title }),
        h('div', { class: 'b' }, h('p', { class: 'typing' }, h('span', { class: 'dots' }, h('i'), h('i'), h('i')), h('span', { text: s.busy })), pv));
      this.log.append(pending);
      this.reveal(pending);
      let node;
      try {
        const sent = this.history.slice(-MAX_HISTORY);
        while (sent.length > 1 && sent[0].role !== 'user') sent.shift();
        const result = await this.fetch(sent, (t) => {
          pv.textContent += t;
          pending.classList.add('has');
          this.reveal(pending);
        });
        this.history.push({ role: 'assistant', content: result.answer });
        node = this.render(result);
      } catch (e) {
        if (e.kind === 'aborted') { pending.remove(); this.setBusy(false); return; }
        const last = this.history[this.history.length - 1];
        const failed = last && last.role === 'user' ? this.history.pop() : null;
        node = h('div', { class: 'msg bot err' }, h('p', { class: 'who', text: s.title }));
        const b = h('div', { class: 'b' }, h('p', null, icon(I_ALERT), h('span', { text: errText(e, s) })));
        if (failed && e.status !== 503) {
          const r = h('button', { type: 'button', class: 'act', text: s.retry });
          r.addEventListener('click', () => {
            if (this.busy) return;
            node.remove();
            this.history.push(failed);
            this.run();
          });
          b.append(r);
        }
        node.append(b);
      }
      pending.remove();
      this.setBusy(false);
      this.log.append(node);
      this.reveal(node);
    }

    async fetch(messages, onPiece) {
      const ctrl = (this.ctrl = new AbortController());
      let timedOut = false;
      let timer = 0;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => { timedOut = true; ctrl.abort(); }, IDLE_MS);
      };
      const aborted = () => fail(ctrl.signal.aborted ? (timedOut ? 'timeout' : 'aborted') : 'network');
      arm();
      try {
        let res;
        try {
          res = await fetch(API, {
            method: 'POST',
            mode: 'cors',
            credentials: 'omit',
            cache: 'no-store',
            headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
            body: JSON.stringify({ messages, lang: this.uiLang }),
            signal: ctrl.signal,
          });
        } catch (_) { throw aborted(); }
        if (!res.ok) {
          const body = await res.json().catch(() => null);
          throw fail('http', res.status, body && body.detail, retryAfter(res.headers.get('Retry-After')));
        }
        const type = (res.headers.get('Content-Type') || '').toLowerCase();
        if (!type.includes('text/event-stream') || !res.body) {
          const obj = await res.json().catch(() => null);
          if (!isResult(obj)) throw fail('incomplete');
          return obj;
        }
        let result = null;
        let error = null;
        try {
          await readSSE(res.body, (name, data) => {
            const o = json(data);
            if (name === 'piece' && o && typeof o.text === 'string') onPiece(o.text);
            else if (name === 'result' && isResult(o)) result = o;
            else if (name === 'error') { error = fail('http', (o && Number(o.status)) || 500, o && o.detail); return true; }
            else if (name === 'done') return true;
            return false;
          }, arm);
        } catch (_) {
          if (!result) throw aborted();
        }
        if (error) throw error;
        if (!result) throw fail('incomplete');
        return result;
      } finally {
        clearTimeout(timer);
        if (this.ctrl === ctrl) this.ctrl = null;
      }
    }

    render(r) {
      const s = S[r.lang] || this.s;
      const b = h('div', { class: 'b' }, format(r.answer, s));
      const cites = (Array.isArray(r.citations) ? r.citations : []).filter((c) => c && (c.name || c.lars));
      const label = (c) => (c.organization ? `${c.name || c.lars} — ${c.organization}` : c.name || c.lars);
      const wh = (Array.isArray(r.withheld) ? r.withheld : []).filter((w) => w && typeof w === 'object');
      if (wh.length) {
        const box = h('div', { class: 'wh', role: 'note' }, h('h3', null, icon(I_LOCK), h('span', { text: s.withheld })));
        for (const w of wh) {
          const c = cites.find((x) => x.lars === w.lars);
          const item = h('div', { class: 'wi' });
          if (c || w.lars) item.append(h('p', { class: 'nm', text: c ? label(c) : String(w.lars) }));
          const dl = h('dl');
          const fields = Array.isArray(w.fields) ? w.fields.filter((f) => typeof f === 'string' && f) : [];
          if (fields.length) dl.append(h('dt', { text: s.fields }), h('dd', { text: fields.join(', ') }));
          if (w.ground) dl.append(h('dt', { text: s.ground }), h('dd', { text: String(w.ground) }));
          if (w.legal_basis) dl.append(h('dt', { text: s.legal }), h('dd', { text: String(w.legal_basis) }));
          if (dl.firstChild) item.append(dl);
          if (w.explanation) item.append(h('p', { text: String(w.explanation) }));
          box.append(item);
        }
        b.append(box);
      }
      if (cites.length) {
        const ul = h('ul');
        for (const c of cites) {
          const href = safeUrl(c.url);
          ul.append(h('li', null, href ? ext(href, label(c), s) : label(c)));
        }
        b.append(h('div', { class: 'src' }, h('h3', { text: s.sources }), ul));
      }
      if (r.answer.trim()) {
        const btn = h('button', { type: 'button', class: 'act', text: s.copy });
        btn.addEventListener('click', async () => {
          let text = r.answer.trim();
          if (cites.length) {
            text += `\n\n${s.sources}:\n` + cites.map((c) => {
              const href = safeUrl(c.url);
              return `${c.name || c.lars}${c.organization ? ` (${c.organization})` : ''}${href ? `: ${href}` : ''}`;
            }).join('\n');
          }
          const ok = await copy(text, this.shadowRoot);
          btn.focus();
          this.announce(ok ? s.copied : s.copyFailed);
        });
        b.append(btn);
      }
      return h('article', { class: 'msg bot', lang: S[r.lang] ? r.lang : this.uiLang }, h('p', { class: 'who', text: s.title }), b);
    }
  }

  customElements.define(TAG, AlgoritmewijzerWidget);

  function mount() {
    if (document.querySelector(TAG)) return;
    const el = document.createElement(TAG);
    for (const k of ['lang', 'title', 'greeting', 'position', 'color']) {
      const v = script && script.getAttribute('data-' + k);
      if (v) el.setAttribute('data-' + k, v);
    }
    document.body.append(el);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
