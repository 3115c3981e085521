/* Algoritmewijzer – the one front-end: the embeddable chat widget and, in page mode, the full page.
 *
 * Embed (one tag):
 *   <script src="https://HOST/widget.js" async data-lang="nl" data-title="…"
 *     data-greeting="…" data-position="right|left" data-color="#154273"></script>
 * Full page: <algoritmewijzer-widget data-mode="page"></algoritmewijzer-widget> plus this script;
 * the page's own [data-i18n] texts and [data-set-lang] buttons are then handled here too.
 *
 * Defines <algoritmewijzer-widget> (open shadow DOM). Plain ES2020, no globals besides the custom
 * element name, CSP-friendly (adoptedStyleSheets; text from the server only via textContent). */
(() => {
  'use strict';
  const TAG = 'algoritmewijzer-widget';
  if (!window.customElements || customElements.get(TAG)) return;

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  let ORIGIN = location.origin;
  try { if (script && script.src) ORIGIN = new URL(script.src, location.href).origin; } catch (_) { /* keep page origin */ }
  const API = ORIGIN + '/api/chat';
  const FEEDBACK_API = ORIGIN + '/api/feedback';
  const DEFAULT_COLOR = '#154273';
  const MAX_CHARS = 2000;
  const WARN_CHARS = 1800;
  const MAX_HISTORY = 38; // messages sent back; the server accepts 40
  const IDLE_MS = 90000;
  const LIST_SHOWN = 10; // items of a long list shown before "show all"
  const LIST_LONG = 12;
  const START_RETRIES = 8; // automatic retries while the server starts (503)
  const STORE = 'algoritmewijzer:conversation:';
  const LANG_KEY = 'algoritmewijzer.lang';
  const LANGS = ['nl', 'en'];

  const count = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  const S = {
    nl: {
      title: 'Algoritmewijzer',
      open: 'Open de chat',
      close: 'Sluit de chat',
      greeting: 'Hallo! Stel een vraag over de algoritmes die de overheid gebruikt.',
      note: 'De antwoorden komen uit het openbare Algoritmeregister en verwijzen naar hun bron. Deel geen persoonsgegevens.',
      examples: ['Welke algoritmes gebruikt UWV?', 'Gebruikt de politie gezichtsherkenning?', 'Hoeveel algoritmes heeft de Belastingdienst in gebruik?', 'Welke algoritmes van Rotterdam zijn buiten gebruik?'],
      examplesLabel: 'Voorbeeldvragen',
      conversation: 'Gesprek',
      label: 'Uw vraag',
      hint: 'Enter verstuurt uw vraag. Shift+Enter begint een nieuwe regel.',
      placeholder: 'Stel uw vraag over overheidsalgoritmes',
      placeholderShort: 'Stel uw vraag…',
      send: 'Verstuur',
      stop: 'Stop',
      stopLabel: 'Stop het antwoord',
      you: 'U',
      busy: 'Het antwoord wordt opgezocht…',
      stopped: 'U heeft het antwoord gestopt.',
      askAgain: 'Stel de vraag opnieuw',
      sources: 'Bronnen',
      newWindow: '(opent in een nieuw venster)',
      showAll: (n) => `Toon alle ${n}`,
      withheld: 'Niet openbaar',
      fields: 'Niet openbaar gemaakt',
      ground: 'Grond',
      legal: 'Wettelijke grondslag',
      copy: 'Kopieer als antwoordtekst',
      copied: 'Gekopieerd. U kunt de tekst nu plakken.',
      copyFailed: 'Kopiëren is niet gelukt. Selecteer de tekst en kopieer die zelf.',
      copyQuestion: 'Vraag',
      copyAnswer: 'Antwoord',
      copySources: 'Bronnen',
      copyStand: (d) => (d ? `Bron: Algoritmeregister, stand ${d}` : 'Bron: Algoritmeregister'),
      suggestions: 'Vervolgvragen',
      newChat: 'Nieuw gesprek',
      cleared: 'Het gesprek is gewist.',
      undo: 'Zet het gesprek terug',
      restored: 'Het gesprek is teruggezet.',
      empty: 'Typ eerst uw vraag.',
      counter: (n) => `${n.toLocaleString('nl-NL')} van ${MAX_CHARS.toLocaleString('nl-NL')} tekens`,
      tooLong: (n) => `Uw vraag is ${count(n.toLocaleString('nl-NL'), 'teken', 'tekens')} te lang. Maak hem korter.`,
      fbAsk: 'Had u iets aan dit antwoord?',
      fbYes: 'Ja',
      fbNo: 'Nee',
      fbComment: 'Toelichting (niet verplicht)',
      fbInclude: 'Stuur mijn vraag mee',
      fbPrivacy: 'Deel geen persoonsgegevens. Zonder vinkje bewaren we alleen uw oordeel en toelichting.',
      fbSend: 'Verstuur reactie',
      fbThanks: 'Bedankt voor uw reactie.',
      fbFailed: 'Uw reactie kon niet worden verstuurd. Probeer het later opnieuw.',
      retry: 'Probeer opnieuw',
      errOffline: 'U bent niet verbonden met internet. Controleer uw verbinding. Zodra u weer online bent, wordt uw vraag opnieuw verstuurd.',
      errUnreachable: 'De Algoritmewijzer is op dit moment niet bereikbaar. Dat ligt niet aan uw verbinding. Probeer het over een paar minuten opnieuw.',
      errTimeout: 'Het antwoord duurt te lang. Probeer het later opnieuw.',
      errRate: (n) => (n > 0 ? `Er zijn vanaf uw adres veel vragen gesteld. U kunt over ${count(n, 'seconde', 'seconden')} weer een vraag stellen.` : 'U kunt nu weer een vraag stellen.'),
      waitRate: (n) => `Wacht nog ${count(n, 'seconde', 'seconden')} voordat u een nieuwe vraag stelt.`,
      starting: (n) => `De Algoritmewijzer wordt opgestart. Over ${count(n, 'seconde', 'seconden')} wordt het opnieuw geprobeerd.`,
      errUnavailable: 'De Algoritmewijzer is tijdelijk niet beschikbaar. Probeer het later opnieuw.',
      errInput: 'Uw vraag kon niet worden verwerkt. Maak de vraag korter of stel hem op een andere manier.',
      errIncomplete: 'Het antwoord kon niet volledig worden opgehaald. Probeer het opnieuw.',
      errGeneric: 'Er ging iets mis bij het ophalen van het antwoord. Probeer het later opnieuw.',
      page: {
        pageTitle: 'Algoritmewijzer – Vraag het Algoritmeregister van de overheid',
        skip: 'Direct naar de vraag',
        tagline: 'Vraag het Algoritmeregister van de overheid',
        noteBefore: 'De antwoorden komen uit het openbare ',
        noteLink: 'Algoritmeregister van de overheid',
        noteAfter: ' en verwijzen naar hun bron. Deel geen persoonsgegevens, zoals uw naam of BSN, in uw vraag.',
        registerUrl: 'https://algoritmes.overheid.nl/nl',
        footerText: 'De Algoritmewijzer stelt antwoorden automatisch samen uit de openbare gegevens van het Algoritmeregister. Controleer belangrijke informatie altijd in het register zelf.',
      },
    },
    en: {
      title: 'Algoritmewijzer',
      open: 'Open the chat',
      close: 'Close the chat',
      greeting: 'Hello! Ask a question about the algorithms the Dutch government uses.',
      note: 'Answers come from the public Algorithm Register and link to their source. Please do not share personal data.',
      examples: ['Which municipalities use chatbots?', 'What algorithms does the Tax Administration use?', "Does a person check the outcome of the RDW's algorithms?", 'Which algorithms of Amsterdam are out of use?'],
      examplesLabel: 'Example questions',
      conversation: 'Conversation',
      label: 'Your question',
      hint: 'Enter sends your question. Shift+Enter starts a new line.',
      placeholder: 'Ask about government algorithms',
      placeholderShort: 'Ask your question…',
      send: 'Send',
      stop: 'Stop',
      stopLabel: 'Stop the answer',
      you: 'You',
      busy: 'Looking up the answer…',
      stopped: 'You stopped the answer.',
      askAgain: 'Ask again',
      sources: 'Sources',
      newWindow: '(opens in a new window)',
      showAll: (n) => `Show all ${n}`,
      withheld: 'Not public',
      fields: 'Not published',
      ground: 'Ground',
      legal: 'Legal basis',
      copy: 'Copy as reply text',
      copied: 'Copied. You can paste the text now.',
      copyFailed: 'Copying failed. Please select the text and copy it yourself.',
      copyQuestion: 'Question',
      copyAnswer: 'Answer',
      copySources: 'Sources',
      copyStand: (d) => (d ? `Source: Algorithm Register, as of ${d}` : 'Source: Algorithm Register'),
      suggestions: 'Follow-up questions',
      newChat: 'New conversation',
      cleared: 'The conversation has been cleared.',
      undo: 'Bring the conversation back',
      restored: 'The conversation is back.',
      empty: 'Please type your question first.',
      counter: (n) => `${n.toLocaleString('en-GB')} of ${MAX_CHARS.toLocaleString('en-GB')} characters`,
      tooLong: (n) => `Your question is ${count(n.toLocaleString('en-GB'), 'character', 'characters')} too long. Please shorten it.`,
      fbAsk: 'Was this answer helpful?',
      fbYes: 'Yes',
      fbNo: 'No',
      fbComment: 'Comment (optional)',
      fbInclude: 'Include my question',
      fbPrivacy: 'Please do not share personal data. Without the tick we only keep your rating and comment.',
      fbSend: 'Send feedback',
      fbThanks: 'Thank you for your feedback.',
      fbFailed: 'Your feedback could not be sent. Please try again later.',
      retry: 'Try again',
      errOffline: 'You are not connected to the internet. Please check your connection. Your question will be sent again as soon as you are back online.',
      errUnreachable: 'The Algoritmewijzer cannot be reached at the moment. This is not a problem with your connection. Please try again in a few minutes.',
      errTimeout: 'The answer is taking too long. Please try again later.',
      errRate: (n) => (n > 0 ? `Many questions have been asked from your address. You can ask again in ${count(n, 'second', 'seconds')}.` : 'You can ask a question again now.'),
      waitRate: (n) => `Please wait ${count(n, 'second', 'seconds')} before asking a new question.`,
      starting: (n) => `The Algoritmewijzer is starting up. Trying again in ${count(n, 'second', 'seconds')}.`,
      errUnavailable: 'The Algoritmewijzer is temporarily unavailable. Please try again later.',
      errInput: 'Your question could not be processed. Please make it shorter or phrase it differently.',
      errIncomplete: 'The answer could not be retrieved completely. Please try again.',
      errGeneric: 'Something went wrong while retrieving the answer. Please try again later.',
      page: {
        pageTitle: "Algoritmewijzer – Ask the Dutch government's Algorithm Register",
        skip: 'Skip to the question',
        tagline: "Ask the Dutch government's Algorithm Register",
        noteBefore: 'Answers come from the public ',
        noteLink: "Dutch government's Algorithm Register",
        noteAfter: ' and link to their source. Please do not share personal data, such as your name or citizen service number (BSN), in your question.',
        registerUrl: 'https://algoritmes.overheid.nl/en',
        footerText: 'The Algoritmewijzer composes its answers automatically from the public data in the Algorithm Register. Always check important information in the register itself.',
      },
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
:host{all:initial;display:block;--a:${accent};--t:#1b1b1b;--m:#4a4a4a;--l:#c5d3e0;--sky:#eef4fa;--vvh:100dvh}
:host([data-mode="page"]){display:block}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--t)}
:focus{outline:none}
:focus-visible{outline:3px solid var(--a);outline-offset:2px}
.vh{position:absolute!important;width:1px!important;height:1px!important;margin:-1px!important;padding:0!important;overflow:hidden!important;clip:rect(0 0 0 0)!important;clip-path:inset(50%)!important;white-space:nowrap!important;border:0!important}
button{font:inherit;cursor:pointer}
button:disabled{cursor:not-allowed}
.launcher{position:fixed;${left ? 'left' : 'right'}:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;border:2px solid #fff;background:var(--a);color:#fff;display:flex;align-items:center;justify-content:center;box-shadow:0 4px 14px rgba(0,0,0,.3);transition:transform .15s ease}
.launcher:hover{transform:scale(1.06)}
.launcher:focus-visible{outline-color:#1b1b1b;box-shadow:0 0 0 6px #fff,0 4px 14px rgba(0,0,0,.3)}
.launcher svg{width:28px;height:28px}
.panel{position:fixed;${left ? 'left' : 'right'}:20px;bottom:92px;z-index:2147483001;width:400px;max-width:calc(100vw - 24px);height:640px;max-height:calc(var(--vvh) - 112px);display:flex;flex-direction:column;background:#fff;border:1px solid #8a9bab;border-radius:12px;box-shadow:0 10px 32px rgba(0,0,0,.28);overflow:hidden;animation:aw-in .18s ease-out}
@keyframes aw-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}
.head{display:flex;align-items:center;gap:8px;padding:8px 8px 8px 16px;background:var(--a);color:#fff}
.head h2{flex:1;margin:0;font-size:18px;line-height:1.3}
.close{width:44px;height:44px;border:0;border-radius:8px;background:transparent;color:#fff;display:flex;align-items:center;justify-content:center}
.close:hover{background:rgba(255,255,255,.15)}
.close:focus-visible{outline-color:#fff;outline-offset:-4px}
.close svg{width:22px;height:22px}
.body{position:relative;flex:1;overflow-y:auto;padding:14px 16px;overscroll-behavior:contain}
.page .panel{position:static;width:auto;max-width:none;height:auto;max-height:none;border:0;border-radius:0;box-shadow:none;overflow:visible;animation:none;background:transparent}
.page .body{overflow:visible;padding:0 0 8px}
.greet{margin:0 0 6px;font-weight:600}
.note{margin:0 0 10px;font-size:14px;color:var(--m)}
.exs h2,.exs h3{margin:0 0 8px;font-size:17px}
.page .exs h2{font-size:20px}
.ex{list-style:none;margin:0 0 14px;padding:0;display:flex;flex-direction:column;gap:6px}
.page .ex{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:8px}
.ex button,.sg button{width:100%;min-height:44px;padding:8px 12px;text-align:left;border:2px solid var(--a);border-radius:8px;background:#fff;color:var(--a);font-size:15px;line-height:1.35}
.ex button:hover,.sg button:hover,.act:hover,.fb button:hover{box-shadow:inset 0 0 0 1px var(--a);text-decoration:underline}
.log{display:flex;flex-direction:column;gap:14px}
.msg{overflow-wrap:anywhere}
.who{margin:0 0 2px;font-size:13px;font-weight:700;color:var(--m)}
.b{padding:10px 12px;border-radius:10px;background:#fff}
.page .b{padding:14px 18px}
.b>:first-child{margin-top:0}.b>:last-child{margin-bottom:0}
.u{align-self:flex-end;max-width:88%}.u .who{text-align:right}
.u .b{background:var(--sky);border:1px solid #b9d3ea;white-space:pre-wrap}
.bot .b{border:1px solid var(--l)}
.txt p,.txt ul,.txt ol{margin:0 0 8px}.txt ul,.txt ol{padding-left:22px}.txt li+li{margin-top:3px}.txt>:last-child{margin-bottom:0}
a{color:var(--a);text-underline-offset:.15em}
a:hover{text-decoration-thickness:2px}
.typing{display:flex;align-items:center;gap:8px;margin:0 0 6px;color:var(--m)}
.has .typing span:last-child{display:none}
.live{margin:6px 0 0;color:var(--m)}
.dots{display:inline-flex;gap:4px}
.dots i{width:7px;height:7px;border-radius:50%;background:var(--a);animation:aw-dot 1.2s infinite ease-in-out}
.dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}
@keyframes aw-dot{0%,80%,100%{opacity:.25}40%{opacity:1}}
h3{margin:0 0 4px;font-size:15px}
.more{display:inline-block;min-height:40px;margin:0 0 8px;padding:6px 12px;border:2px solid var(--a);border-radius:8px;background:#fff;color:var(--a);font-size:15px;font-weight:600}
.src{margin-top:10px;padding-top:8px;border-top:1px solid var(--l);font-size:15px}
.src ul{margin:0;padding-left:20px}.src li+li{margin-top:3px}
.wh{margin-top:10px;padding:8px 10px;background:#fff5e0;border-left:5px solid #e17000;border-radius:0 8px 8px 0;font-size:15px}
.wh h3{display:flex;align-items:center;gap:6px;color:#6b3300}
.wh svg,.err svg{width:18px;height:18px;flex:none}
.wh dl{margin:0 0 6px}.wh dt{font-weight:700}.wh dd{margin:0 0 4px}
.wh p{margin:0}.wh .nm{font-weight:700;margin-bottom:2px}
.wi+.wi{margin-top:8px;padding-top:8px;border-top:1px solid #f0c98f}
.err .b,.stp .b{background:#fdeeec;border:0;border-left:5px solid #d52b1e;border-radius:0 8px 8px 0}
.stp .b{background:#f3f3f3;border-left-color:#5a6b7b}
.err .msgline{display:flex;gap:6px;margin:0 0 6px}.err svg{color:#8a1a11;margin-top:3px}
.acts{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin-top:10px;padding-top:8px;border-top:1px solid var(--l)}
.act{min-height:40px;padding:6px 12px;border:2px solid var(--a);border-radius:8px;background:#fff;color:var(--a);font-size:14px}
.act:disabled{border-color:#8a8a8a;color:#595959;box-shadow:none;text-decoration:none}
.err .act,.stp .act{margin-top:4px}
.fb{display:flex;flex-wrap:wrap;align-items:center;gap:6px;font-size:14px}
.fb>span{color:var(--m)}.fb .fbb{display:inline-flex;gap:6px}
.fb button{min-height:40px;min-width:52px;padding:4px 12px;border:2px solid var(--a);border-radius:8px;background:#fff;color:var(--a);font-size:14px}
.fb button[aria-pressed="true"]{background:var(--a);color:#fff}
.fbf{display:flex;flex-direction:column;gap:6px;width:100%;margin-top:8px;font-size:14px}
.fbf label{font-weight:700}
.fbf textarea{min-height:60px;max-height:none}
.fbf .tick{display:flex;gap:8px;align-items:center;font-weight:400}
.fbf .tick input{width:20px;height:20px;margin:0}
.fbf p{margin:0;color:var(--m)}
.fbf .act{align-self:flex-start}
.ok{margin:6px 0 0;font-size:14px;color:#1d5e2a;font-weight:600}
.sg{margin-top:10px}
.sg ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:6px}
.sg button{width:auto;min-height:40px;padding:6px 12px;font-size:14px;border-radius:20px}
.undo{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:0 0 12px;padding:8px 12px;background:var(--sky);border:1px solid #b9d3ea;border-radius:8px}
.undo p{margin:0}
.form{display:flex;flex-direction:column;gap:4px;padding:10px 12px 12px;border-top:1px solid var(--l);background:#fff}
.page .form{position:sticky;bottom:0;z-index:2;margin:0 -16px;padding:10px 16px calc(12px + env(safe-area-inset-bottom));border-top:1px solid #8a9bab;box-shadow:0 -6px 16px rgba(0,0,0,.08)}
.form label{font-size:14px;font-weight:700}
.lbl{display:flex;flex-wrap:wrap;align-items:baseline;gap:0 12px}
.hint{margin:0;font-size:13px;color:var(--m)}
.row{display:flex;gap:8px}
textarea{flex:1;min-width:0;min-height:46px;max-height:140px;padding:10px;border:2px solid #5a6b7b;border-radius:8px;font:inherit;color:var(--t);background:#fff;resize:none}
textarea[aria-invalid="true"]{border-color:#d52b1e}
textarea::placeholder{color:#6b6b6b;opacity:1}
.send{min-width:76px;min-height:46px;padding:0 14px;border:2px solid var(--a);border-radius:8px;background:var(--a);color:#fff;font-weight:700}
.send.stop{background:#fff;color:var(--a)}
.tools{display:flex;flex-wrap:wrap;align-items:center;gap:4px 12px;min-height:24px;font-size:14px}
.tools .sp{flex:1}
.inl{margin:0;color:#a11d12;font-weight:600;font-size:14px}
.cnt{color:var(--m)}.cnt.over{color:#a11d12;font-weight:700}
.lk{min-height:32px;padding:2px 4px;border:0;background:none;color:var(--a);text-decoration:underline;font-size:14px}
.tray{padding:8px 0 4px}
.tray .ex{margin:0}
.buf{position:fixed;left:-9999px;top:0;opacity:0}
@media (max-width:480px){.panel{left:0;right:0;top:var(--vvtop,0px);bottom:auto;width:100%;max-width:none;height:var(--vvh);max-height:none;border-radius:0;border:0}.launcher.open{display:none}.page .form{margin:0 -12px;padding-left:12px;padding-right:12px}.hint{display:none}.send{min-width:64px}}
@media (prefers-reduced-motion:reduce){*,*::before,*::after{animation:none!important;transition:none!important}.launcher:hover{transform:none}}
@media (forced-colors:active){.launcher,.panel,.b,.send,.act,.more{border:2px solid ButtonText}.dots i{background:CanvasText}}
@media print{.launcher,.form,.acts,.sg,.more{display:none!important}.page .form{position:static}}
`;

  /* ---------- DOM helpers ---------- */
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
  const registerUrl = (lars, lang) => (lars ? `https://algoritmes.overheid.nl/${lang === 'en' ? 'en' : 'nl'}/algoritme/${encodeURIComponent(lars)}` : null);
  const citeUrl = (c, lang) => safeUrl(c.url) || registerUrl(c.lars, lang);
  const ext = (href, label, s) => h('a', { href, target: '_blank', rel: 'noopener noreferrer' }, label, h('span', { class: 'vh', text: ' ' + s.newWindow }));

  /* ---------- answer text: [title](url) links, bare URLs, paragraphs and lists ---------- */
  const LINK_RE = /\[([^\]\n]{1,400})\]\((https?:\/\/[^\s()<>]+)\)|\bhttps?:\/\/[^\s<>"'()\]]+/g;

  function inline(parent, text, s, linked) {
    let last = 0;
    for (const m of text.matchAll(LINK_RE)) {
      let label = m[1];
      let url = m[2] || m[0];
      if (!m[1]) url = url.replace(/[.,;:!?]+$/, '');
      const href = safeUrl(url);
      if (!href) continue;
      if (m.index > last) parent.append(text.slice(last, m.index));
      parent.append(ext(href, label || url, s));
      if (linked) linked.add(href);
      last = m.index + (m[1] ? m[0].length : url.length);
    }
    if (last < text.length) parent.append(text.slice(last));
  }

  /* "Name (status) — https://…" as a list item: the name becomes the link. */
  const titled = (t) => t.replace(/^([^[\]\n]{2,400}?)\s+[—–-]\s+(https?:\/\/\S+)$/, (m, label, url) => `[${label}](${url})`);

  function format(text, s, linked) {
    const out = h('div', { class: 'txt' });
    let p = null;
    let list = null;
    let item = null;
    for (const raw of String(text || '').replace(/\r\n?/g, '\n').split('\n')) {
      const line = raw.trim();
      const bm = /^[-*•]\s+(.*)$/.exec(line);
      const nm = bm ? null : /^\d{1,4}[.)]\s+(.*)$/.exec(line);
      if (bm || nm) {
        const tag = bm ? 'ul' : 'ol';
        p = null;
        if (!list || list.localName !== tag) out.append(list = h(tag));
        item = h('li');
        inline(item, titled((bm || nm)[1]), s, linked);
        list.append(item);
      } else if (!line) {
        p = list = item = null;
      } else if (item && /^\s{2,}\S/.test(raw)) {
        item.append(' ');
        inline(item, line, s, linked);
      } else {
        list = item = null;
        if (p) p.append(h('br'));
        else out.append(p = h('p'));
        inline(p, line, s, linked);
      }
    }
    return out;
  }

  /* A long list shows its first items and a button that shows the rest in place. */
  function collapseLists(root, s) {
    for (const list of root.querySelectorAll('ul,ol')) {
      const items = [...list.children];
      if (items.length <= LIST_LONG) continue;
      const rest = items.slice(LIST_SHOWN);
      for (const li of rest) li.hidden = true;
      const btn = h('button', { type: 'button', class: 'more', 'aria-expanded': 'false', text: s.showAll(items.length) });
      btn.addEventListener('click', () => {
        for (const li of rest) li.hidden = false;
        const first = rest[0];
        const target = first.querySelector('a') || first;
        if (target === first) first.tabIndex = -1;
        btn.remove();
        target.focus();
      });
      list.after(btn);
    }
  }

  /* ---------- server ---------- */
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

  const fail = (kind, status, detail, retry) => Object.assign(new Error(kind), { kind, status: status || 0, detail: typeof detail === 'string' ? detail : '', retry: retry || 0 });
  const json = (t) => { try { return JSON.parse(t); } catch (_) { return null; } };
  const isResult = (o) => o && typeof o === 'object' && typeof o.answer === 'string';

  function retryAfter(v) {
    if (!v) return 0;
    if (/^\s*\d+\s*$/.test(v)) return Math.max(1, parseInt(v, 10));
    const t = Date.parse(v);
    return Number.isNaN(t) ? 0 : Math.max(1, Math.ceil((t - Date.now()) / 1000));
  }

  /* One request to /api/chat; `ctrl` aborts it (ctrl.timedOut after IDLE_MS of silence). */
  async function askServer(messages, lang, ctrl, onPiece) {
    let timer = 0;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { ctrl.timedOut = true; ctrl.abort(); }, IDLE_MS);
    };
    const lost = () => fail(ctrl.signal.aborted ? (ctrl.timedOut ? 'timeout' : 'aborted') : 'network');
    arm();
    try {
      let res;
      try {
        res = await fetch(API, {
          method: 'POST', mode: 'cors', credentials: 'omit', cache: 'no-store',
          headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
          body: JSON.stringify({ messages, lang }),
          signal: ctrl.signal,
        });
      } catch (_) { throw lost(); }
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
        if (!result) throw lost();
      }
      if (error) throw error;
      if (!result) throw fail('incomplete');
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      const t = setTimeout(resolve, ms);
      signal.addEventListener('abort', () => { clearTimeout(t); reject(fail('aborted')); }, { once: true });
    });
  }

  function errText(e, s) {
    if (e.kind === 'timeout') return s.errTimeout;
    if (e.kind === 'network') return navigator.onLine === false ? s.errOffline : s.errUnreachable;
    if (e.kind === 'incomplete') return s.errIncomplete;
    if (e.status === 429) return s.errRate(e.retry || 60);
    if (e.status === 503) return e.detail || s.errUnavailable;
    if ([400, 403, 413, 422].includes(e.status)) return e.detail || s.errInput;
    return s.errGeneric;
  }

  /* ---------- copy for a reply ---------- */
  function standDate(iso, lang) {
    if (!iso || !/^\d{4}-\d{2}-\d{2}/.test(iso)) return '';
    const d = new Date(iso.slice(0, 10) + 'T12:00:00Z');
    if (Number.isNaN(d.getTime())) return '';
    return new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : 'nl-NL', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(d);
  }

  function uniqueCitations(r) {
    const seen = new Set();
    return (Array.isArray(r.citations) ? r.citations : []).filter((c) => {
      if (!c || !(c.name || c.lars)) return false;
      const key = c.lars || c.name;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  function replyText(q, r, s) {
    const cites = uniqueCitations(r);
    const known = new Set(cites.map((c) => citeUrl(c, r.lang)));
    const lines = String(r.answer || '').trim().split('\n').map((l) => l.replace(/^(\s*[-*•]\s+)(.*)$/, (m, dash, rest) => dash + titled(rest)));
    const answer = lines.join('\n').replace(LINK_RE, (m, label, url) => {
      if (!label) return m;
      const href = safeUrl(url);
      return href && !known.has(href) ? `${label} (${href})` : label;
    });
    const parts = [`${s.copyQuestion}: ${q}`, `${s.copyAnswer}:\n${answer}`];
    if (cites.length) {
      parts.push(`${s.copySources}:\n` + cites.map((c) => {
        const href = citeUrl(c, r.lang);
        return `- ${c.name || c.lars}${c.organization ? ` (${c.organization})` : ''}${href ? `: ${href}` : ''}`;
      }).join('\n'));
    }
    parts.push(s.copyStand(standDate(r.data_date, r.lang)));
    return parts.join('\n\n');
  }

  async function copyText(text, root) {
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

  /* ---------- the page around a page-mode element ---------- */
  function initialLang(d) {
    if (LANGS.includes(d.lang)) return d.lang;
    if (d.mode === 'page') {
      const param = new URLSearchParams(location.search).get('lang');
      if (LANGS.includes(param)) return param;
      try {
        const stored = localStorage.getItem(LANG_KEY);
        if (LANGS.includes(stored)) return stored;
      } catch (_) { /* storage may be blocked */ }
    }
    return (document.documentElement.lang || '').toLowerCase().startsWith('en') ? 'en' : 'nl';
  }

  function translatePage(lang) {
    const t = S[lang].page;
    document.documentElement.lang = lang;
    document.title = t.pageTitle;
    for (const n of document.querySelectorAll('[data-i18n]')) if (typeof t[n.dataset.i18n] === 'string') n.textContent = t[n.dataset.i18n];
    for (const n of document.querySelectorAll('[data-i18n-href]')) if (t[n.dataset.i18nHref]) n.setAttribute('href', t[n.dataset.i18nHref]);
    for (const b of document.querySelectorAll('[data-set-lang]')) b.setAttribute('aria-pressed', String(b.dataset.setLang === lang));
  }

  class AlgoritmewijzerWidget extends HTMLElement {
    constructor() {
      super();
      this.attachShadow({ mode: 'open' });
      this.turns = []; // [{q, r}] finished question-answer pairs
      this.busy = false;
      this.ctrl = null;
      this.blockedUntil = 0;
      this.undoTurns = null;
    }

    connectedCallback() {
      if (this.built) return;
      this.built = true;
      this.page = this.dataset.mode === 'page';
      this.key = STORE + (this.page ? 'page' : 'widget');
      this.load();
      this.setLang(initialLang(this.dataset), false);
      if (this.page) {
        for (const b of document.querySelectorAll('[data-set-lang]')) b.addEventListener('click', () => this.setLang(b.dataset.setLang, true));
        this.addEventListener('focus', () => { if (!this.shadowRoot.activeElement) this.input.focus(); }); // the skip link
      } else {
        this.fitViewport();
      }
    }

    disconnectedCallback() {
      if (this.ctrl) this.ctrl.abort();
    }

    setLang(lang, persist) {
      if (!LANGS.includes(lang) || (lang === this.lang && this.ui)) return;
      if (this.busy) this.stop();
      this.lang = lang;
      this.s = S[lang];
      if (this.page) {
        translatePage(lang);
        if (persist) { try { localStorage.setItem(LANG_KEY, lang); } catch (_) { /* ignore */ } }
      }
      const open = this.panel && !this.panel.hidden;
      this.build();
      this.restore();
      if (open) this.toggle(true);
    }

    /* ---------- building the interface ---------- */
    build() {
      const d = this.dataset;
      const s = this.s;
      const title = (d.title || '').trim() || s.title;
      const root = this.shadowRoot;
      root.replaceChildren();
      const styles = css(accentColor(d.color), d.position === 'left');
      if ('adoptedStyleSheets' in Document.prototype && 'replaceSync' in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(styles);
        root.adoptedStyleSheets = [sheet];
      } else {
        root.append(h('style', { text: styles }));
      }
      this.log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': this.page ? s.conversation : title, 'aria-busy': 'false' });
      this.intro = h('div', { class: 'exs' }, h(this.page ? 'h2' : 'h3', { text: s.examplesLabel }), this.exampleList());
      this.undoBar = h('div', { class: 'undo', hidden: true });
      this.body = h('div', { class: 'body' },
        this.page ? null : h('p', { class: 'greet', text: (d.greeting || '').trim() || s.greeting }),
        this.page ? null : h('p', { class: 'note', text: s.note }),
        this.intro, this.undoBar,
        this.page ? h('h2', { class: 'vh', text: s.conversation }) : null,
        this.log);
      this.status = h('div', { class: 'vh', role: 'status', 'aria-live': 'polite' });
      const form = this.buildForm();
      const panel = (this.panel = h('div', { id: 'aw-panel', class: 'panel' }));
      if (this.page) {
        panel.append(this.body, form, this.status);
        root.append(h('div', { class: 'root page', lang: this.lang }, panel));
      } else {
        this.buildWindow(panel, title, form);
      }
      this.ui = true;
    }

    buildWindow(panel, title, form) {
      const s = this.s;
      const launcher = (this.launcher = h('button', { type: 'button', class: 'launcher', 'aria-label': `${s.open}: ${title}`, 'aria-expanded': 'false', 'aria-controls': 'aw-panel' }, icon(I_CHAT)));
      const close = h('button', { type: 'button', class: 'close', 'aria-label': s.close }, icon(I_CLOSE));
      Object.assign(panel, { hidden: true });
      panel.setAttribute('role', 'dialog');
      panel.setAttribute('aria-modal', 'false');
      panel.setAttribute('aria-labelledby', 'aw-title');
      panel.append(h('div', { class: 'head' }, h('h2', { id: 'aw-title', text: title }), close), this.body, form, this.status);
      this.shadowRoot.append(h('div', { class: 'root', lang: this.lang }, launcher, panel));
      launcher.addEventListener('click', () => this.toggle(panel.hidden));
      close.addEventListener('click', () => this.toggle(false));
      panel.addEventListener('keydown', (e) => {
        if (e.key === 'Escape') { e.stopPropagation(); this.toggle(false); }
      });
      launcher.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && !panel.hidden) this.toggle(false);
      });
    }

    exampleList() {
      const ul = h('ul', { class: 'ex' });
      for (const q of this.s.examples) {
        const b = h('button', { type: 'button', text: q });
        b.addEventListener('click', () => { this.tray.hidden = true; this.trayBtn.setAttribute('aria-expanded', 'false'); this.ask(q); });
        ul.append(h('li', null, b));
      }
      return ul;
    }

    buildForm() {
      const s = this.s;
      this.input = h('textarea', { id: 'aw-q', rows: this.page ? '2' : '1', autocomplete: 'off', placeholder: this.page ? s.placeholder : s.placeholderShort, 'aria-describedby': 'aw-msg aw-cnt' + (this.page ? ' aw-hint' : '') });
      this.sendBtn = h('button', { type: 'submit', class: 'send', text: s.send });
      this.msg = h('p', { id: 'aw-msg', class: 'inl', hidden: true });
      this.counter = h('span', { id: 'aw-cnt', class: 'cnt', hidden: true });
      this.trayBtn = h('button', { type: 'button', class: 'lk', 'aria-expanded': 'false', 'aria-controls': 'aw-tray', text: s.examplesLabel, hidden: true });
      const reset = h('button', { type: 'button', class: 'lk', text: s.newChat });
      this.tray = h('div', { id: 'aw-tray', class: 'tray', hidden: true }, h('h3', { class: 'vh', text: s.examplesLabel }), this.exampleList());
      const form = h('form', { class: 'form', novalidate: true },
        this.tray,
        h('div', { class: 'lbl' }, h('label', { for: 'aw-q', text: s.label }), this.page ? h('p', { id: 'aw-hint', class: 'hint', text: s.hint }) : null),
        h('div', { class: 'row' }, this.input, this.sendBtn),
        this.msg,
        h('div', { class: 'tools' }, this.counter, h('span', { class: 'sp' }), this.trayBtn, reset));
      form.addEventListener('submit', (e) => { e.preventDefault(); if (this.busy) this.stop(); else this.submit(); });
      this.input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229 && !e.ctrlKey && !e.altKey && !e.metaKey) {
          e.preventDefault();
          if (!this.busy) this.submit();
        }
      });
      this.input.addEventListener('input', () => this.checkLength(false));
      this.trayBtn.addEventListener('click', () => {
        const open = this.tray.hidden;
        this.tray.hidden = !open;
        this.trayBtn.setAttribute('aria-expanded', String(open));
        if (open) this.tray.querySelector('button').focus();
      });
      reset.addEventListener('click', () => this.newConversation());
      return form;
    }

    /* The widget follows the visual viewport, so an on-screen keyboard does not cover the input. */
    fitViewport() {
      const vv = window.visualViewport;
      if (!vv) return;
      const fit = () => {
        this.style.setProperty('--vvh', `${Math.round(vv.height)}px`);
        this.style.setProperty('--vvtop', `${Math.round(vv.offsetTop)}px`);
      };
      vv.addEventListener('resize', fit);
      vv.addEventListener('scroll', fit);
      fit();
    }

    toggle(open) {
      if (this.page) return;
      this.panel.hidden = !open;
      this.launcher.setAttribute('aria-expanded', String(open));
      this.launcher.classList.toggle('open', open);
      if (open) {
        this.input.focus();
        const last = this.log.lastElementChild;
        if (last) this.body.scrollTop = this.body.scrollHeight;
      } else {
        this.launcher.focus();
      }
    }

    announce(text) {
      clearTimeout(this.announceTimer);
      this.status.textContent = '';
      this.announceTimer = setTimeout(() => { this.status.textContent = text; }, 60);
    }

    reveal(node, start) {
      const smooth = !(window.matchMedia && matchMedia('(prefers-reduced-motion: reduce)').matches);
      if (this.page) {
        const form = this.shadowRoot.querySelector('.form');
        const room = window.innerHeight - (form ? form.offsetHeight : 0);
        const box = node.getBoundingClientRect();
        if (start || box.height > room) window.scrollBy({ top: box.top - 12, behavior: smooth ? 'smooth' : 'auto' });
        else if (box.bottom > room) window.scrollBy({ top: box.bottom - room + 12, behavior: smooth ? 'smooth' : 'auto' });
        return;
      }
      const body = this.body; // scroll only the panel body, never the host page
      const fits = !start && node.offsetHeight + 16 <= body.clientHeight;
      const target = fits ? Math.max(body.scrollTop, node.offsetTop + node.offsetHeight + 8 - body.clientHeight) : node.offsetTop - 8;
      body.scrollTo({ top: target, behavior: smooth ? 'smooth' : 'auto' });
    }

    setBusy(on) {
      this.busy = on;
      this.log.setAttribute('aria-busy', String(on));
      this.sendBtn.classList.toggle('stop', on);
      this.sendBtn.textContent = on ? this.s.stop : this.s.send;
      if (on) this.sendBtn.setAttribute('aria-label', this.s.stopLabel);
      else this.sendBtn.removeAttribute('aria-label');
    }

    /* ---------- the question box ---------- */
    showMessage(text) {
      if (!text) this.waiting = false;
      this.msg.textContent = text || '';
      this.msg.hidden = !text;
      if (text) this.input.setAttribute('aria-invalid', 'true');
      else this.input.removeAttribute('aria-invalid');
    }

    checkLength(submitting) {
      const n = this.input.value.length;
      this.counter.hidden = n < WARN_CHARS;
      this.counter.textContent = this.s.counter(n);
      this.counter.classList.toggle('over', n > MAX_CHARS);
      if (n > MAX_CHARS) { this.showMessage(this.s.tooLong(n - MAX_CHARS)); return false; }
      if (submitting && !this.input.value.trim()) { this.showMessage(this.s.empty); return false; }
      this.showMessage('');
      return true;
    }

    submit() {
      if (!this.checkLength(true)) { this.input.focus(); return; }
      const wait = Math.ceil((this.blockedUntil - Date.now()) / 1000);
      if (wait > 0) { this.waiting = true; this.showMessage(this.s.waitRate(wait)); this.input.focus(); return; }
      const q = this.input.value.trim();
      this.input.value = '';
      this.checkLength(false);
      this.ask(q);
    }

    ask(q) {
      q = String(q || '').trim();
      if (!q || this.busy) return;
      this.intro.hidden = true;
      this.trayBtn.hidden = false;
      this.hideUndo();
      for (const old of this.log.querySelectorAll('.sg')) old.remove();
      const node = this.userNode(q);
      this.log.append(node);
      this.reveal(node);
      const a = this.shadowRoot.activeElement;
      if (!a || !a.isConnected || a.closest('[hidden]')) this.input.focus();
      this.run(q);
    }

    userNode(q) {
      return h('div', { class: 'msg u' }, h('p', { class: 'who', text: this.s.you }), h('div', { class: 'b', text: q }));
    }

    history(q) {
      const sent = [];
      for (const t of this.turns) {
        sent.push({ role: 'user', content: t.q });
        sent.push({ role: 'assistant', content: String(t.r.answer || ''), results: Array.isArray(t.r.results) ? t.r.results : [] });
      }
      sent.push({ role: 'user', content: q });
      const out = sent.slice(-MAX_HISTORY);
      while (out.length > 1 && out[0].role !== 'user') out.shift();
      return out;
    }

    /* ---------- asking, streaming, retrying ---------- */
    pendingNode() {
      const s = this.s;
      const txt = h('div', { class: 'txt' });
      const live = h('p', { class: 'live', hidden: true });
      const node = h('div', { class: 'msg bot pending', 'aria-hidden': 'true' },
        h('p', { class: 'who', text: s.title }),
        h('div', { class: 'b' }, h('p', { class: 'typing' }, h('span', { class: 'dots' }, h('i'), h('i'), h('i')), h('span', { text: s.busy })), txt, live));
      let text = '';
      let frame = 0;
      let drawn = 0;
      const draw = () => { frame = 0; drawn = Date.now(); txt.replaceChildren(...format(text, s).childNodes); this.follow(node); };
      return {
        node,
        text: () => text,
        add: (piece) => { // the first piece at once, then at most one redraw per frame
          text += piece;
          node.classList.add('has');
          if (!drawn) draw();
          else if (!frame) frame = requestAnimationFrame(draw);
        },
        say: (line) => { live.hidden = !line; live.textContent = line || ''; },
      };
    }

    follow(node) {
      if (this.page) {
        const box = node.getBoundingClientRect();
        const form = this.shadowRoot.querySelector('.form');
        const room = window.innerHeight - (form ? form.offsetHeight : 0);
        if (box.bottom > room && box.top > 80) window.scrollBy({ top: Math.min(box.bottom - room + 12, box.top - 80) });
      } else if (this.body.scrollHeight - this.body.scrollTop - this.body.clientHeight < 160) {
        this.body.scrollTop = this.body.scrollHeight;
      }
    }

    async run(q) {
      const s = this.s;
      const ctrl = (this.ctrl = new AbortController());
      const log = this.log;
      this.setBusy(true);
      this.announce(s.busy);
      const pending = this.pendingNode();
      log.append(pending.node);
      this.reveal(pending.node);
      let node;
      try {
        const r = await this.attempts(q, ctrl, pending);
        this.turns.push({ q, r });
        this.save();
        node = this.renderAnswer(q, r, true);
      } catch (e) {
        node = e.kind === 'aborted' && !ctrl.timedOut ? this.renderStopped(q, pending.text()) : this.renderError(q, e);
      }
      if (this.ctrl === ctrl) this.ctrl = null;
      pending.node.remove();
      this.setBusy(false);
      if (log !== this.log) return; // the language changed meanwhile: the interface was rebuilt
      log.append(node);
      this.reveal(node, node.localName === 'article');
      const said = node.querySelector('.txt');
      if (node.classList.contains('err')) this.announce(node.textContent.slice(this.s.title.length));
      else if (said) this.announce(said.textContent.slice(0, 200));
    }

    /* 503 while the server starts: retried automatically with backoff, the wait shown and counted down. */
    async attempts(q, ctrl, pending) {
      for (let attempt = 1; ; attempt += 1) {
        try {
          return await askServer(this.history(q), this.lang, ctrl, pending.add);
        } catch (e) {
          if (e.status !== 503 || attempt > START_RETRIES || ctrl.signal.aborted) throw e;
          const wait = Math.min(60, Math.max(e.retry || 0, 2 ** attempt));
          this.announce(this.s.starting(wait));
          for (let left = wait; left > 0; left -= 1) {
            pending.say(this.s.starting(left));
            await sleep(1000, ctrl.signal);
          }
          pending.say('');
        }
      }
    }

    stop() {
      if (this.ctrl) this.ctrl.abort();
    }

    /* ---------- answers ---------- */
    renderAnswer(q, r, latest) {
      const s = S[r.lang] || this.s;
      const linked = new Set();
      const txt = format(r.answer, s, linked);
      collapseLists(txt, s);
      const b = h('div', { class: 'b' }, txt);
      const cites = uniqueCitations(r);
      const wh = this.renderWithheld(r, cites, s);
      if (wh) b.append(wh);
      const rest = cites.filter((c) => !linked.has(citeUrl(c, r.lang)));
      if (rest.length) {
        const ul = h('ul');
        for (const c of rest) {
          const label = c.organization ? `${c.name || c.lars} — ${c.organization}` : c.name || c.lars;
          const href = citeUrl(c, r.lang);
          ul.append(h('li', null, href ? ext(href, label, s) : label));
        }
        b.append(h('div', { class: 'src' }, h('h3', { text: s.sources }), ul));
      }
      if (r.answer.trim()) b.append(this.renderActions(q, r, s));
      if (latest) {
        const sg = this.renderSuggestions(r, s);
        if (sg) b.append(sg);
      }
      return h('article', { class: 'msg bot', lang: S[r.lang] ? r.lang : this.lang }, h('p', { class: 'who', text: s.title }), b);
    }

    renderWithheld(r, cites, s) {
      const wh = (Array.isArray(r.withheld) ? r.withheld : []).filter((w) => w && typeof w === 'object');
      if (!wh.length) return null;
      const box = h('div', { class: 'wh', role: 'note' }, h('h3', null, icon(I_LOCK), h('span', { text: s.withheld })));
      for (const w of wh) {
        const c = cites.find((x) => x.lars === w.lars);
        const item = h('div', { class: 'wi' });
        if (c || w.lars) item.append(h('p', { class: 'nm', text: c ? (c.organization ? `${c.name || c.lars} — ${c.organization}` : c.name || c.lars) : String(w.lars) }));
        const dl = h('dl');
        const fields = Array.isArray(w.fields) ? w.fields.filter((f) => typeof f === 'string' && f) : [];
        if (fields.length) dl.append(h('dt', { text: s.fields }), h('dd', { text: fields.join(', ') }));
        if (w.ground) dl.append(h('dt', { text: s.ground }), h('dd', { text: String(w.ground) }));
        if (w.legal_basis) dl.append(h('dt', { text: s.legal }), h('dd', { text: String(w.legal_basis) }));
        if (dl.firstChild) item.append(dl);
        if (w.explanation) item.append(h('p', { text: String(w.explanation) }));
        box.append(item);
      }
      return box;
    }

    renderActions(q, r, s) {
      const copy = h('button', { type: 'button', class: 'act copy', text: s.copy });
      copy.addEventListener('click', async () => {
        const text = replyText(q, r, s);
        copy.dataset.copied = text;
        const ok = await copyText(text, this.shadowRoot);
        copy.focus();
        this.announce(ok ? s.copied : s.copyFailed);
        copy.textContent = ok ? `${s.copied.split('.')[0]} ✓` : s.copy;
        setTimeout(() => { copy.textContent = s.copy; }, 2500);
      });
      return h('div', { class: 'acts' }, copy, this.renderFeedback(q, r, s));
    }

    renderFeedback(q, r, s) {
      const yes = h('button', { type: 'button', 'aria-pressed': 'false', text: s.fbYes });
      const no = h('button', { type: 'button', 'aria-pressed': 'false', text: s.fbNo });
      const box = h('div', { class: 'fb', role: 'group', 'aria-label': s.fbAsk }, h('span', { text: s.fbAsk }), h('span', { class: 'fbb' }, yes, no));
      const id = `fb${Math.random().toString(36).slice(2, 8)}`;
      const comment = h('textarea', { id: `${id}c`, rows: '2' });
      const include = h('input', { id: `${id}i`, type: 'checkbox' });
      const send = h('button', { type: 'button', class: 'act', text: s.fbSend });
      const form = h('div', { class: 'fbf', hidden: true },
        h('label', { for: `${id}c`, text: s.fbComment }), comment,
        h('label', { class: 'tick', for: `${id}i` }, include, h('span', { text: s.fbInclude })),
        h('p', { text: s.fbPrivacy }), send);
      box.append(form);
      let helpful = null;
      const choose = (value) => {
        helpful = value;
        yes.setAttribute('aria-pressed', String(value));
        no.setAttribute('aria-pressed', String(!value));
        form.hidden = false;
        comment.focus();
      };
      yes.addEventListener('click', () => choose(true));
      no.addEventListener('click', () => choose(false));
      send.addEventListener('click', async () => {
        const body = { helpful, comment: comment.value.trim() || undefined, include_question: include.checked, results: r.results || [], lang: r.lang || this.lang };
        if (include.checked) body.question = q;
        send.disabled = true;
        const ok = await fetch(FEEDBACK_API, { method: 'POST', mode: 'cors', credentials: 'omit', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
          .then((res) => res.ok).catch(() => false);
        const note = h('p', { class: ok ? 'ok' : 'inl', role: 'status', text: ok ? s.fbThanks : s.fbFailed });
        if (ok) { box.replaceChildren(note); } else { send.disabled = false; form.append(note); }
        this.announce(note.textContent);
      });
      return box;
    }

    renderSuggestions(r, s) {
      const items = (Array.isArray(r.suggestions) ? r.suggestions : []).filter((x) => typeof x === 'string' && x.trim()).slice(0, 4);
      if (!items.length) return null;
      const ul = h('ul');
      for (const q of items) {
        const b = h('button', { type: 'button', text: q });
        b.addEventListener('click', () => this.ask(q));
        ul.append(h('li', null, b));
      }
      return h('div', { class: 'sg' }, h('h3', { text: s.suggestions }), ul);
    }

    /* ---------- stopped and failed answers ---------- */
    retryButton(q, node) {
      const b = h('button', { type: 'button', class: 'act', text: this.s.retry });
      b.addEventListener('click', () => {
        if (this.busy) return;
        node.remove();
        this.input.focus();
        this.run(q);
      });
      return b;
    }

    renderStopped(q, partial) {
      const node = h('div', { class: 'msg bot stp' }, h('p', { class: 'who', text: this.s.title }));
      const b = h('div', { class: 'b' });
      if (partial.trim()) b.append(format(partial, this.s));
      b.append(h('p', { class: 'live', text: this.s.stopped }));
      const again = this.retryButton(q, node);
      again.textContent = this.s.askAgain;
      b.append(again);
      node.append(b);
      this.announce(this.s.stopped);
      return node;
    }

    renderError(q, e) {
      const s = this.s;
      const text = h('span', { text: errText(e, s) });
      const node = h('div', { class: 'msg bot err' }, h('p', { class: 'who', text: s.title }));
      const b = h('div', { class: 'b' }, h('p', { class: 'msgline' }, icon(I_ALERT), text));
      const retry = this.retryButton(q, node);
      b.append(retry);
      node.append(b);
      if (e.status === 429) this.countdown(e.retry || 60, text, retry);
      if (e.kind === 'network' && navigator.onLine === false) {
        window.addEventListener('online', () => { if (node.isConnected && !this.busy) retry.click(); }, { once: true });
      }
      return node;
    }

    /* 429: the seconds count down, and retrying (or asking) waits until they are over. */
    countdown(seconds, text, retry) {
      const s = this.s;
      this.blockedUntil = Date.now() + seconds * 1000;
      retry.disabled = true;
      const tick = () => {
        const left = Math.ceil((this.blockedUntil - Date.now()) / 1000);
        text.textContent = s.errRate(Math.max(0, left));
        if (this.waiting && left > 0 && !this.msg.hidden) this.msg.textContent = s.waitRate(left);
        if (left > 0) { setTimeout(tick, ((this.blockedUntil - Date.now()) % 1000 || 1000) + 5); return; }
        retry.disabled = false;
        if (this.waiting) this.showMessage('');
        this.waiting = false;
        this.announce(s.errRate(0));
      };
      tick();
    }

    /* ---------- keeping the conversation (per tab) ---------- */
    save() {
      try { sessionStorage.setItem(this.key, JSON.stringify({ v: 2, turns: this.turns.slice(-20) })); } catch (_) { /* full or blocked */ }
    }

    load() {
      try {
        const data = JSON.parse(sessionStorage.getItem(this.key) || 'null');
        if (data && data.v === 2 && Array.isArray(data.turns)) this.turns = data.turns.filter((t) => t && typeof t.q === 'string' && isResult(t.r));
      } catch (_) { this.turns = []; }
    }

    restore() {
      this.log.replaceChildren();
      this.turns.forEach((t, i) => this.log.append(this.userNode(t.q), this.renderAnswer(t.q, t.r, i === this.turns.length - 1)));
      this.intro.hidden = this.turns.length > 0;
      this.trayBtn.hidden = !this.turns.length;
    }

    newConversation() {
      this.stop();
      if (this.turns.length) this.undoTurns = this.turns;
      this.turns = [];
      this.save();
      this.restore();
      this.input.value = '';
      this.checkLength(false);
      this.showUndo();
      this.input.focus();
      if (this.page) window.scrollTo({ top: 0 });
      else this.body.scrollTop = 0;
    }

    showUndo() {
      const s = this.s;
      this.undoBar.replaceChildren(h('p', { text: s.cleared }));
      if (this.undoTurns) {
        const b = h('button', { type: 'button', class: 'act', text: s.undo });
        b.addEventListener('click', () => {
          this.turns = this.undoTurns;
          this.undoTurns = null;
          this.save();
          this.restore();
          this.hideUndo();
          this.input.focus();
          this.announce(s.restored);
          const last = this.log.lastElementChild;
          if (last) this.reveal(last, true);
        });
        this.undoBar.append(b);
      }
      this.undoBar.hidden = false;
      this.announce(s.cleared);
    }

    hideUndo() {
      this.undoBar.hidden = true;
      this.undoTurns = null;
    }
  }

  customElements.define(TAG, AlgoritmewijzerWidget);

  function mount() {
    if (document.querySelector(TAG)) return;
    const el = document.createElement(TAG);
    for (const k of ['lang', 'title', 'greeting', 'position', 'color', 'mode']) {
      const v = script && script.getAttribute('data-' + k);
      if (v) el.setAttribute('data-' + k, v);
    }
    document.body.append(el);
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
