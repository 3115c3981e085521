/* Algoritmewijzer – full-page chat.
 * Plain ES2020, no framework, no build step. Works under a strict CSP
 * (default-src 'self'; script-src 'self'; style-src 'self'): no inline
 * scripts or styles, no eval, and untrusted text is only ever inserted with
 * textContent / createTextNode. */
(() => {
  'use strict';

  const API_URL = '/api/chat';
  const STORAGE_KEY = 'algoritmewijzer.lang';
  const MAX_HISTORY = 20; // messages sent to the (stateless) server
  const IDLE_TIMEOUT_MS = 90000; // abort when the server stays silent this long
  const LANGS = ['nl', 'en'];

  const STRINGS = {
    nl: {
      pageTitle: 'Algoritmewijzer – Vraag het Algoritmeregister van de overheid',
      skip: 'Direct naar de vraag',
      tagline: 'Vraag het Algoritmeregister van de overheid',
      noteBefore: 'De antwoorden komen uit het openbare ',
      noteLink: 'Algoritmeregister van de overheid',
      registerUrl: 'https://algoritmes.overheid.nl/nl',
      noteAfter: ' en verwijzen naar hun bron. Deel geen persoonsgegevens, zoals uw naam of BSN, in uw vraag.',
      examplesHeading: 'Voorbeeldvragen',
      examples: [
        'Welke algoritmes gebruikt UWV?',
        'Gebruikt de politie gezichtsherkenning?',
        'Hoeveel algoritmes heeft de Belastingdienst in gebruik?',
        'Welke algoritmes van Rotterdam zijn buiten gebruik?',
      ],
      conversationHeading: 'Gesprek',
      questionLabel: 'Uw vraag',
      questionHint: 'Druk op Enter om te versturen. Shift+Enter geeft een nieuwe regel.',
      placeholder: 'Stel uw vraag over algoritmes van de overheid',
      send: 'Verstuur',
      newChat: 'Nieuw gesprek',
      newChatDone: 'Er is een nieuw gesprek gestart.',
      you: 'U',
      assistant: 'Algoritmewijzer',
      busy: 'Het antwoord wordt opgezocht…',
      sources: 'Bronnen',
      sourcesCopy: 'Bronnen:',
      newWindow: '(opent in een nieuw venster)',
      withheldHeading: 'Niet openbaar',
      withheldFields: 'Niet openbaar gemaakt',
      withheldGround: 'Grond',
      withheldLegal: 'Wettelijke grondslag',
      copy: 'Kopieer antwoord met bronnen',
      copied: 'Gekopieerd',
      copyFailed: 'Kopiëren is niet gelukt. Selecteer de tekst en kopieer deze zelf.',
      retry: 'Probeer opnieuw',
      errorCode: 'Foutcode',
      errNetwork: 'Er is geen verbinding met de Algoritmewijzer. Controleer uw internetverbinding en probeer het opnieuw.',
      errTimeout: 'Het antwoord duurt te lang. Probeer het later opnieuw.',
      errRate: (s) => `Er worden op dit moment veel vragen gesteld. Probeer het over ${s} ${s === 1 ? 'seconde' : 'seconden'} opnieuw.`,
      errRateNoTime: 'Er worden op dit moment veel vragen gesteld. Probeer het over een minuut opnieuw.',
      errUnavailable: 'De Algoritmewijzer is tijdelijk niet beschikbaar. Probeer het later opnieuw.',
      errInput: 'Uw vraag kon niet worden verwerkt. Maak de vraag korter of stel hem op een andere manier.',
      errIncomplete: 'Het antwoord kon niet volledig worden opgehaald. Probeer het opnieuw.',
      errGeneric: 'Er ging iets mis bij het ophalen van het antwoord. Probeer het later opnieuw.',
      footerText: 'De Algoritmewijzer stelt antwoorden automatisch samen uit de openbare gegevens van het Algoritmeregister. Controleer belangrijke informatie altijd in het register zelf.',
      noscript: 'Voor deze chat is JavaScript nodig.',
    },
    en: {
      pageTitle: "Algoritmewijzer – Ask the Dutch government's Algorithm Register",
      skip: 'Skip to the question',
      tagline: "Ask the Dutch government's Algorithm Register",
      noteBefore: 'Answers come from the public ',
      noteLink: "Dutch government's Algorithm Register",
      registerUrl: 'https://algoritmes.overheid.nl/en',
      noteAfter: ' and link to their source. Please do not share personal data, such as your name or citizen service number (BSN), in your question.',
      examplesHeading: 'Example questions',
      examples: [
        'Which municipalities use chatbots?',
        'What algorithms does the Tax Administration use?',
        "Does a person check the outcome of the RDW's algorithms?",
        'Which algorithms of Amsterdam are out of use?',
      ],
      conversationHeading: 'Conversation',
      questionLabel: 'Your question',
      questionHint: 'Press Enter to send. Shift+Enter adds a new line.',
      placeholder: 'Ask about algorithms used by the government',
      send: 'Send',
      newChat: 'New conversation',
      newChatDone: 'A new conversation has started.',
      you: 'You',
      assistant: 'Algoritmewijzer',
      busy: 'Looking up the answer…',
      sources: 'Sources',
      sourcesCopy: 'Sources:',
      newWindow: '(opens in a new window)',
      withheldHeading: 'Not public',
      withheldFields: 'Not published',
      withheldGround: 'Ground',
      withheldLegal: 'Legal basis',
      copy: 'Copy answer with sources',
      copied: 'Copied',
      copyFailed: 'Copying failed. Please select the text and copy it yourself.',
      retry: 'Try again',
      errorCode: 'Error code',
      errNetwork: 'There is no connection to the Algoritmewijzer. Please check your internet connection and try again.',
      errTimeout: 'The answer is taking too long. Please try again later.',
      errRate: (s) => `Many questions are being asked right now. Please try again in ${s} ${s === 1 ? 'second' : 'seconds'}.`,
      errRateNoTime: 'Many questions are being asked right now. Please try again in a minute.',
      errUnavailable: 'The Algoritmewijzer is temporarily unavailable. Please try again later.',
      errInput: 'Your question could not be processed. Please make it shorter or phrase it differently.',
      errIncomplete: 'The answer could not be retrieved completely. Please try again.',
      errGeneric: 'Something went wrong while retrieving the answer. Please try again later.',
      footerText: 'The Algoritmewijzer composes its answers automatically from the public data in the Algorithm Register. Always check important information in the register itself.',
      noscript: 'This chat needs JavaScript.',
    },
  };

  /* ---------- small DOM helpers ---------- */

  const $ = (sel) => document.querySelector(sel);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v == null || v === false) continue;
        if (k === 'class') node.className = v;
        else if (k === 'text') node.textContent = v;
        else node.setAttribute(k, v === true ? '' : String(v));
      }
    }
    for (const c of children) {
      if (c == null || c === false) continue;
      node.append(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return node;
  }

  function svgIcon(pathData, cls) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    if (cls) svg.setAttribute('class', cls);
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('d', pathData);
    path.setAttribute('fill', 'currentColor');
    svg.append(path);
    return svg;
  }

  const ICON_LOCK = 'M12 2a5 5 0 0 0-5 5v3H6a2 2 0 0 0-2 2v8a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-8a2 2 0 0 0-2-2h-1V7a5 5 0 0 0-5-5zm-3 5a3 3 0 1 1 6 0v3H9V7zm3 7a1.5 1.5 0 0 1 .75 2.8V19h-1.5v-2.2A1.5 1.5 0 0 1 12 14z';
  const ICON_ALERT = 'M12 2 1 21h22L12 2zm0 5.5 1 8h-2l1-8zM12 17a1.25 1.25 0 1 1 0 2.5 1.25 1.25 0 0 1 0-2.5z';

  /** Returns the URL string when it is an absolute http(s) URL, else null. */
  function safeHttpUrl(value) {
    if (typeof value !== 'string' || !value) return null;
    try {
      const u = new URL(value);
      return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : null;
    } catch (_) {
      return null;
    }
  }

  function externalLink(href, label, s) {
    return el('a', { href, target: '_blank', rel: 'noopener noreferrer' },
      label, el('span', { class: 'visually-hidden', text: ' ' + s.newWindow }));
  }

  const URL_RE = /\bhttps?:\/\/[^\s<>"']+/g;

  /** Appends text to parent, turning bare http(s) URLs into links. */
  function appendLinkified(parent, text, s) {
    let last = 0;
    for (const m of text.matchAll(URL_RE)) {
      let url = m[0];
      const trail = /[.,;:!?)\]]+$/.exec(url);
      if (trail) url = url.slice(0, -trail[0].length);
      const href = safeHttpUrl(url);
      if (!href) continue;
      if (m.index > last) parent.append(document.createTextNode(text.slice(last, m.index)));
      parent.append(externalLink(href, url, s));
      last = m.index + url.length;
    }
    if (last < text.length) parent.append(document.createTextNode(text.slice(last)));
  }

  /** Plain text -> paragraphs and lists ("- ", "* ", "• " and "1. " lines). */
  function formatAnswer(text, s) {
    const frag = document.createDocumentFragment();
    const lines = String(text || '').replace(/\r\n?/g, '\n').split('\n');
    let para = null;
    let list = null;
    let lastItem = null;
    for (const raw of lines) {
      const line = raw.replace(/\s+$/, '');
      const bullet = /^\s*[-*•]\s+(.*)$/.exec(line);
      const numbered = bullet ? null : /^\s*\d{1,3}[.)]\s+(.*)$/.exec(line);
      if (bullet || numbered) {
        const tag = bullet ? 'UL' : 'OL';
        para = null;
        if (!list || list.tagName !== tag) {
          list = el(tag.toLowerCase());
          frag.append(list);
        }
        lastItem = el('li');
        appendLinkified(lastItem, (bullet || numbered)[1], s);
        list.append(lastItem);
        continue;
      }
      if (!line.trim()) {
        para = null;
        list = null;
        lastItem = null;
        continue;
      }
      if (list && lastItem && /^\s{2,}\S/.test(line)) {
        // indented continuation of a list item
        lastItem.append(document.createTextNode(' '));
        appendLinkified(lastItem, line.trim(), s);
        continue;
      }
      list = null;
      lastItem = null;
      if (para) para.append(el('br'));
      else {
        para = el('p');
        frag.append(para);
      }
      appendLinkified(para, line.trim(), s);
    }
    return frag;
  }

  /* ---------- state ---------- */

  let lang = 'nl';
  let history = []; // [{role, content}]
  let busy = false;
  let controller = null;
  let runId = 0; // identifies the current request; bumped by "new conversation"

  const nodes = {};

  const t = () => STRINGS[lang];
  const stringsFor = (l) => STRINGS[LANGS.includes(l) ? l : lang];

  function initialLang() {
    const param = new URLSearchParams(location.search).get('lang');
    if (LANGS.includes(param)) return param;
    try {
      const stored = localStorage.getItem(STORAGE_KEY);
      if (LANGS.includes(stored)) return stored;
    } catch (_) { /* storage may be blocked */ }
    return 'nl';
  }

  function setLang(next, persist) {
    if (!LANGS.includes(next)) return;
    lang = next;
    const s = t();
    document.documentElement.lang = next;
    document.title = s.pageTitle;
    for (const node of document.querySelectorAll('[data-i18n]')) {
      const v = s[node.dataset.i18n];
      if (typeof v === 'string') node.textContent = v;
    }
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) {
      node.setAttribute('placeholder', s[node.dataset.i18nPlaceholder]);
    }
    for (const node of document.querySelectorAll('[data-i18n-href]')) {
      node.setAttribute('href', s[node.dataset.i18nHref]);
    }
    for (const btn of document.querySelectorAll('[data-set-lang]')) {
      btn.setAttribute('aria-pressed', String(btn.dataset.setLang === next));
    }
    renderExamples();
    if (persist) {
      try { localStorage.setItem(STORAGE_KEY, next); } catch (_) { /* ignore */ }
    }
  }

  function renderExamples() {
    const list = nodes.examples;
    list.replaceChildren();
    for (const q of t().examples) {
      const btn = el('button', { type: 'button', class: 'example' }, q);
      btn.addEventListener('click', () => {
        if (busy) return;
        ask(q);
      });
      list.append(el('li', null, btn));
    }
  }

  let announceTimer = 0;
  function announce(text) {
    clearTimeout(announceTimer);
    nodes.status.textContent = '';
    // a short delay makes repeated identical messages announce again
    announceTimer = setTimeout(() => { nodes.status.textContent = text; }, 60);
  }

  function setBusy(on) {
    busy = on;
    nodes.log.setAttribute('aria-busy', String(on));
    nodes.send.setAttribute('aria-disabled', String(on));
    document.body.classList.toggle('is-busy', on);
  }

  function reduceMotion() {
    return window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  }

  function reveal(node, block) {
    node.scrollIntoView({ block: block || 'nearest', behavior: reduceMotion() ? 'auto' : 'smooth' });
  }

  /* ---------- messages ---------- */

  function appendUser(text) {
    const s = t();
    const msg = el('div', { class: 'msg msg-user' },
      el('p', { class: 'msg-label', text: s.you }),
      el('div', { class: 'bubble' }, el('p', { class: 'user-text', text })));
    nodes.log.append(msg);
    reveal(msg);
    return msg;
  }

  function appendPending() {
    const s = t();
    const preview = el('div', { class: 'preview' });
    const msg = el('div', { class: 'msg msg-bot msg-pending', 'aria-hidden': 'true' },
      el('p', { class: 'msg-label', text: s.assistant }),
      el('div', { class: 'bubble' },
        el('p', { class: 'typing' },
          el('span', { class: 'dots' }, el('span'), el('span'), el('span')),
          el('span', { class: 'typing-text', text: s.busy })),
        preview));
    nodes.log.append(msg);
    reveal(msg);
    let text = '';
    return {
      node: msg,
      add(piece) {
        if (typeof piece !== 'string' || !piece) return;
        text += piece;
        preview.textContent = text;
        msg.classList.add('has-text');
      },
      remove() { msg.remove(); },
    };
  }

  function citationLabel(c) {
    const name = (c && c.name) || (c && c.lars) || '';
    return c && c.organization ? `${name} — ${c.organization}` : name;
  }

  function renderCitations(citations, s) {
    const items = (citations || []).filter((c) => c && (c.name || c.lars));
    if (!items.length) return null;
    const list = el('ul', { class: 'sources-list' });
    for (const c of items) {
      const href = safeHttpUrl(c.url);
      const label = citationLabel(c);
      list.append(el('li', null, href ? externalLink(href, label, s) : label));
    }
    return el('div', { class: 'sources' }, el('h3', { text: s.sources }), list);
  }

  function renderWithheld(withheld, citations, s) {
    const items = (withheld || []).filter((w) => w && typeof w === 'object');
    if (!items.length) return null;
    const byLars = new Map((citations || []).filter(Boolean).map((c) => [c.lars, c]));
    const box = el('div', { class: 'withheld', role: 'note' },
      el('h3', null, svgIcon(ICON_LOCK, 'icon'), el('span', { text: s.withheldHeading })));
    for (const w of items) {
      const item = el('div', { class: 'withheld-item' });
      const cite = byLars.get(w.lars);
      const name = cite ? citationLabel(cite) : w.lars;
      if (name) item.append(el('p', { class: 'withheld-name', text: name }));
      const dl = el('dl');
      const fields = Array.isArray(w.fields) ? w.fields.filter((f) => typeof f === 'string' && f) : [];
      if (fields.length) dl.append(el('dt', { text: s.withheldFields }), el('dd', { text: fields.join(', ') }));
      if (w.ground) dl.append(el('dt', { text: s.withheldGround }), el('dd', { text: String(w.ground) }));
      if (w.legal_basis) dl.append(el('dt', { text: s.withheldLegal }), el('dd', { text: String(w.legal_basis) }));
      if (dl.childElementCount) item.append(dl);
      if (w.explanation) item.append(el('p', { class: 'withheld-explanation', text: String(w.explanation) }));
      box.append(item);
    }
    return box;
  }

  function plainTextForCopy(result, s) {
    let out = String(result.answer || '').trim();
    const cites = (result.citations || []).filter((c) => c && (c.name || c.lars));
    if (cites.length) {
      out += `\n\n${s.sourcesCopy}\n`;
      out += cites.map((c) => {
        const name = c.name || c.lars;
        const org = c.organization ? ` (${c.organization})` : '';
        const href = safeHttpUrl(c.url);
        return `${name}${org}${href ? `: ${href}` : ''}`;
      }).join('\n');
    }
    return out;
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (_) { /* fall through to the legacy way */ }
    }
    const active = document.activeElement;
    const ta = el('textarea', { class: 'copy-buffer', readonly: true, 'aria-hidden': 'true', tabindex: '-1' });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch (_) { ok = false; }
    ta.remove();
    if (active && typeof active.focus === 'function') active.focus();
    return ok;
  }

  function renderAnswer(result) {
    const s = stringsFor(result.lang);
    const bubble = el('div', { class: 'bubble' });
    const body = el('div', { class: 'answer-text' });
    body.append(formatAnswer(result.answer, s));
    bubble.append(body);
    const withheld = renderWithheld(result.withheld, result.citations, s);
    if (withheld) bubble.append(withheld);
    const sources = renderCitations(result.citations, s);
    if (sources) bubble.append(sources);

    if (String(result.answer || '').trim()) {
      const copyBtn = el('button', { type: 'button', class: 'copy-btn' },
        el('span', { class: 'copy-label', text: s.copy }));
      let resetTimer = 0;
      copyBtn.addEventListener('click', async () => {
        const ok = await copyText(plainTextForCopy(result, s));
        announce(ok ? s.copied : s.copyFailed);
        if (ok) {
          const label = copyBtn.querySelector('.copy-label');
          label.textContent = `${s.copied} ✓`;
          clearTimeout(resetTimer);
          resetTimer = setTimeout(() => { label.textContent = s.copy; }, 2500);
        }
      });
      bubble.append(el('div', { class: 'answer-actions' }, copyBtn));
    }

    const cls = `msg msg-bot status-${String(result.status || 'answered').replace(/[^a-z_]/g, '')}`;
    return el('article', { class: cls, lang: LANGS.includes(result.lang) ? result.lang : lang },
      el('p', { class: 'msg-label', text: s.assistant }), bubble);
  }

  function renderError(err, onRetry) {
    const s = t();
    const box = el('div', { class: 'msg msg-bot msg-error' },
      el('p', { class: 'msg-label', text: s.assistant }));
    const bubble = el('div', { class: 'bubble' });
    bubble.append(el('p', { class: 'error-text' }, svgIcon(ICON_ALERT, 'icon'), el('span', { text: errorMessage(err, s) })));
    if (err && err.kind === 'http' && err.status && err.status !== 503) {
      bubble.append(el('p', { class: 'error-code', text: `${s.errorCode}: ${err.status}` }));
    }
    if (onRetry && !(err && err.status === 503)) {
      const retry = el('button', { type: 'button', class: 'retry-btn', text: s.retry });
      retry.addEventListener('click', () => {
        if (busy) return;
        box.remove();
        onRetry();
      });
      bubble.append(retry);
    }
    box.append(bubble);
    return box;
  }

  /* ---------- networking ---------- */

  class ApiError extends Error {
    constructor(kind, status, detail, retryAfter) {
      super(detail || kind);
      this.kind = kind; // 'http' | 'network' | 'timeout' | 'incomplete'
      this.status = status || 0;
      this.detail = typeof detail === 'string' ? detail : '';
      this.retryAfter = retryAfter;
    }
  }

  function parseRetryAfter(value) {
    if (!value) return null;
    if (/^\s*\d+\s*$/.test(value)) return Math.max(1, parseInt(value, 10));
    const when = Date.parse(value);
    if (Number.isNaN(when)) return null;
    return Math.max(1, Math.ceil((when - Date.now()) / 1000));
  }

  async function problemFrom(res) {
    let detail = '';
    try {
      const body = await res.json();
      if (body && typeof body.detail === 'string') detail = body.detail;
    } catch (_) { /* not JSON */ }
    return new ApiError('http', res.status, detail, parseRetryAfter(res.headers.get('Retry-After')));
  }

  function errorMessage(err, s) {
    if (!err) return s.errGeneric;
    if (err.kind === 'timeout') return s.errTimeout;
    if (err.kind === 'network') return s.errNetwork;
    if (err.kind === 'incomplete') return s.errIncomplete;
    switch (err.status) {
      case 429: return err.retryAfter ? s.errRate(err.retryAfter) : s.errRateNoTime;
      case 503: return err.detail || s.errUnavailable;
      case 400: case 413: case 422: return s.errInput;
      default: return s.errGeneric;
    }
  }

  /** Reads a text/event-stream body, calling onEvent(name, data) per event.
   *  onEvent may return true to stop reading. */
  async function readEventStream(body, onEvent, onChunk) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let eventName = '';
    let data = [];
    let stopped = false;

    const handleLine = (line) => {
      if (line === '') {
        if (data.length) stopped = onEvent(eventName || 'message', data.join('\n')) === true;
        eventName = '';
        data = [];
        return;
      }
      if (line[0] === ':') return; // comment / keep-alive
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'event') eventName = value;
      else if (field === 'data') data.push(value);
    };

    try {
      while (!stopped) {
        const { value, done } = await reader.read();
        if (done) {
          buffer += decoder.decode();
          if (buffer) { handleLine(buffer); buffer = ''; }
          if (!stopped) handleLine(''); // dispatch a final event without trailing blank line
          break;
        }
        if (onChunk) onChunk();
        buffer += decoder.decode(value, { stream: true });
        // keep a trailing "\r": it may be the first half of "\r\n"
        const cut = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
        const lines = buffer.slice(0, cut).split(/\r\n|\r|\n/);
        buffer = lines.pop() + buffer.slice(cut);
        for (const line of lines) {
          handleLine(line);
          if (stopped) break;
        }
      }
    } finally {
      if (stopped) reader.cancel().catch(() => {});
    }
  }

  function parseJson(text) {
    try { return JSON.parse(text); } catch (_) { return null; }
  }

  function isResult(obj) {
    return obj && typeof obj === 'object' && typeof obj.answer === 'string';
  }

  async function fetchAnswer(messages, pending) {
    controller = new AbortController();
    const ctrl = controller;
    let timedOut = false;
    let timer = 0;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { timedOut = true; ctrl.abort(); }, IDLE_TIMEOUT_MS);
    };
    arm();
    try {
      let res;
      try {
        res = await fetch(API_URL, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
          body: JSON.stringify({ messages, lang }),
          credentials: 'same-origin',
          cache: 'no-store',
          signal: ctrl.signal,
        });
      } catch (e) {
        if (ctrl.signal.aborted) throw new ApiError(timedOut ? 'timeout' : 'aborted');
        throw new ApiError('network');
      }
      if (!res.ok) throw await problemFrom(res);

      const type = (res.headers.get('Content-Type') || '').toLowerCase();
      if (!type.includes('text/event-stream') || !res.body) {
        const obj = await res.json().catch(() => null);
        if (!isResult(obj)) throw new ApiError('incomplete', res.status);
        return obj;
      }

      let result = null;
      let failure = null;
      try {
        await readEventStream(res.body, (name, data) => {
          const obj = parseJson(data);
          if (name === 'piece') {
            if (obj && typeof obj.text === 'string') pending.add(obj.text);
          } else if (name === 'result') {
            if (isResult(obj)) result = obj;
          } else if (name === 'error') {
            const o = obj || {};
            failure = new ApiError('http', Number(o.status) || 500, typeof o.detail === 'string' ? o.detail : '');
            return true;
          } else if (name === 'done') {
            return true;
          }
          return false;
        }, arm);
      } catch (e) {
        if (ctrl.signal.aborted) throw new ApiError(timedOut ? 'timeout' : 'aborted');
        if (!result) throw new ApiError('network');
      }
      if (failure) throw failure;
      if (!result) throw new ApiError('incomplete');
      return result;
    } finally {
      clearTimeout(timer);
      if (controller === ctrl) controller = null;
    }
  }

  /* ---------- conversation flow ---------- */

  async function run() {
    const id = ++runId;
    setBusy(true);
    announce(t().busy);
    const pending = appendPending();
    const sent = history.slice(-MAX_HISTORY);
    while (sent.length > 1 && sent[0].role !== 'user') sent.shift(); // start with a question
    try {
      const result = await fetchAnswer(sent, pending);
      if (id !== runId) return;
      history.push({ role: 'assistant', content: String(result.answer || '') });
      pending.remove();
      setBusy(false);
      const node = renderAnswer(result);
      nodes.log.append(node);
      reveal(node, 'start');
    } catch (err) {
      pending.remove();
      if (id !== runId || (err && err.kind === 'aborted')) return; // a new conversation was started
      setBusy(false);
      // the failed question leaves the history so the next request stays well-formed
      const last = history[history.length - 1];
      const failed = last && last.role === 'user' ? history.pop() : null;
      const node = renderError(err, failed ? () => {
        history.push(failed);
        run();
      } : null);
      nodes.log.append(node);
      reveal(node);
    }
  }

  function ask(text) {
    const q = String(text || '').trim();
    if (!q || busy) return;
    history.push({ role: 'user', content: q });
    appendUser(q);
    run();
  }

  function newConversation() {
    runId += 1;
    if (controller) controller.abort();
    history = [];
    nodes.log.replaceChildren();
    setBusy(false);
    nodes.input.value = '';
    nodes.input.focus();
    announce(t().newChatDone);
  }

  /* ---------- wiring ---------- */

  function init() {
    nodes.log = $('#log');
    nodes.form = $('#composer');
    nodes.input = $('#question');
    nodes.send = $('#send');
    nodes.status = $('#status');
    nodes.examples = $('#examples');
    if (!nodes.log || !nodes.form || !nodes.input) return;

    document.body.classList.add('js');
    setLang(initialLang(), false);

    for (const btn of document.querySelectorAll('[data-set-lang]')) {
      btn.addEventListener('click', () => setLang(btn.dataset.setLang, true));
    }

    nodes.form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (busy) return;
      const q = nodes.input.value.trim();
      if (!q) {
        nodes.input.focus();
        return;
      }
      nodes.input.value = '';
      ask(q);
    });

    nodes.input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.keyCode === 229) return;
      if (e.ctrlKey || e.altKey || e.metaKey) return;
      e.preventDefault();
      if (typeof nodes.form.requestSubmit === 'function') nodes.form.requestSubmit();
      else nodes.form.dispatchEvent(new Event('submit', { cancelable: true }));
    });

    const reset = $('#new-chat');
    if (reset) reset.addEventListener('click', newConversation);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
