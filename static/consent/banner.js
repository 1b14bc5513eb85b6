/* HotConsent: the consent banner, its host API and a tracker that sends
   analytics to the gateway (never straight to Google). The server appends a
   call with the site's configuration (C) and the minified CSS (S). */
((C, S) => {
  const w = window, d = document, nav = navigator, loc = location;
  if (w.HotConsent && w.HotConsent.v) return;
  const me = d.currentScript, API = me ? new URL(me.src).origin : '';
  const queued = Array.isArray(w.HotConsent) ? w.HotConsent : [];
  const gpc = nav.globalPrivacyControl === true;
  const lang = [d.documentElement.lang, ...(nav.languages || [])]
    .map(l => String(l || '').slice(0, 2).toLowerCase())
    .find(l => C.l.includes(l)) || C.l[0];
  const T = C.t[lang];
  // Host listeners by event: change (a decision), shown / hidden (the banner or the preferences).
  const listeners = {change: [], shown: [], hidden: []};
  const emit = (ev, arg) => listeners[ev].forEach(fn => setTimeout(fn, 0, arg));
  let state = null, pending = [], ready = false, busy = false, root, bar, modal, note, fab, err, lastFocus, lastUrl, ref;

  const esc = s => String(s).replace(/[&<>"]/g, c => '&#' + c.charCodeAt(0) + ';');
  const $ = (sel, from) => (from || root).querySelector(sel);
  const $$ = (sel, from) => [...(from || root).querySelectorAll(sel)];
  const href = path => esc(API + path + '?site=' + C.s + '&lang=' + lang);
  const link = (text, path) => `<a href="${href(path)}" target="_blank" rel="noopener">${esc(text)}</a>`;
  const buttons = (act, label) =>
    `<div class="btns"><button type="button" class="b" data-a="1">${esc(T.accept)}</button><button type="button" class="b" data-a="0">${esc(T.reject)}</button><button type="button" class="b" data-a="${act}">${esc(label)}</button></div>`;
  // GPC refuses every category that shares data with third parties, whatever was chosen before.
  const shared = cat => (C.tp || ['analytics', 'marketing']).includes(cat);
  const granted = cat => cat == 'necessary' || !!(state && state.choices[cat]) && !(gpc && shared(cat));
  const cookie = name => (d.cookie.match('(?:^|;\\s*)' + name + '=([^;]*)') || [])[1];
  const domain = C.cd && (loc.hostname == C.cd || loc.hostname.endsWith('.' + C.cd)) ? ';domain=' + C.cd : '';

  /* -- Google Consent Mode v2, pushed before gtag's config when the tag comes first -- */
  const dl = w.dataLayer = w.dataLayer || [];
  function gt() { dl.push(arguments); }
  const SIG = ['analytics_storage', 'ad_storage', 'ad_user_data', 'ad_personalization'];
  const CM = C.cm || {analytics: [SIG[0]], marketing: SIG.slice(1)};
  const signals = () => {
    const o = {};
    SIG.forEach(n => { o[n] = 'denied'; });
    for (const c in CM) if (granted(c)) CM[c].forEach(n => { o[n] = 'granted'; });
    return o;
  };
  const consentMode = kind => {
    const o = signals();
    gt('consent', kind, kind == 'default' ? {...o, wait_for_update: 500} : o);
    gt('set', 'ads_data_redaction', o.ad_storage == 'denied');
  };
  // Pushed once, by the tag itself, even when it hands over to another language below.
  if (!w.__hc) {
    consentMode('default');
    // The granted categories, mirrored beside the token so a returning visitor's update is synchronous.
    const early = cookie('hc_g');
    if (early != null) {
      state = {choices: Object.fromEntries(early.split('.').map(c => [c, true]))};
      consentMode('update');
      state = null;
    }
  }
  w.__hc = 1;
  if (!T) {
    // The response carries one language (?lang= in the tag, or the browser's); the page
    // is in another of the site's: that language's response takes over.
    const s = d.createElement('script');
    s.src = API + '/c/' + C.s + '.js?lang=' + lang;
    s.nonce = me.nonce;
    return void d.head.append(s);
  }
  const diff = (a, b) => '/privacy/diff/' + a + '/' + b;

  /* -- consent token (kept in a first-party cookie) ------------------------ */
  const decode = token => {
    // The signed token's payload is readable JSON (deflated when that is shorter).
    const parts = token.split('.'), packed = !parts[0];
    const bytes = Uint8Array.from(atob(parts[+packed].replace(/-/g, '+').replace(/_/g, '/')), c => c.charCodeAt(0));
    return new Response(packed ? new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate')) : bytes).json();
  };

  /* -- the interface ------------------------------------------------------- */
  // A category's declared cookies: name, provider, expiry, purpose.
  const cookieList = list => list.length ? `<details><summary>${esc(T.cookies)} (${list.length})</summary><ul class="ck">${list.map(([n, p, e, u]) => `<li><code>${esc(n)}</code> ${esc(p)}, ${esc(e)}. ${esc(u)}</li>`).join('')}</ul></details>` : '';
  const mount = () => {
    const host = d.createElement('hot-consent');
    root = host.attachShadow({mode: 'open'});
    // A constructed stylesheet, so host pages with a strict CSP need no 'unsafe-inline'.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(S);
    root.adoptedStyleSheets = [sheet];
    const why = state && state.pv < C.cv ? `<p class="warn">${esc(T.updated)} ${link(T.diff, diff(state.pv, C.v))}</p>` : '';
    const notice = gpc ? `<p class="gpc">${esc(T.gpc)}</p>` : '';
    const rows = C.c.map((c, i) => {
      // The first category, necessary, is always on.
      const id = 'hc-' + c, off = !i || (gpc && shared(c));
      return `<li><div class="row"><input type="checkbox" id="${id}" data-c="${c}" aria-describedby="${id}-d"${off ? ' disabled' : ''}><label for="${id}">${esc(T.cats[i][0])}</label>${i ? '' : `<span class="tag">${esc(T.always)}</span>`}</div><p id="${id}-d">${esc(T.cats[i][1])}</p>${cookieList(T.cats[i].slice(2))}</li>`;
    }).join('');
    root.innerHTML =
      `<div class="bar" role="dialog" aria-labelledby="hc-t" aria-describedby="hc-d" tabindex="-1" hidden><h2 id="hc-t">${esc(T.title)}</h2>${why}<p id="hc-d">${esc(T.body)} ${link(T.policy, '/privacy')}</p>${notice}${buttons('p', T.customize)}</div>` +
      `<div class="back" hidden><div class="modal" role="dialog" aria-modal="true" aria-labelledby="hc-pt"><div class="head"><h2 id="hc-pt">${esc(T.prefs)}</h2><button type="button" class="x" data-a="x" aria-label="${esc(T.close)}">×</button></div>${notice}<ul>${rows}</ul>` +
      `<p class="id">${esc(T.id)}: <code></code><br>${esc(T.id_hint)}</p><p class="err" role="alert"></p>${buttons('s', T.save)}<p>${link(T.policy, '/privacy')}</p></div></div>` +
      `<div class="note" role="region" aria-label="${esc(T.prefs)}" hidden></div>` +
      `<button type="button" class="fab" data-a="p" aria-label="${esc(T.prefs)}" hidden><svg viewBox="0 0 24 24"><path fill="currentColor" d="M12 2a10 10 0 1 0 10 10 4 4 0 0 1-5-5 4 4 0 0 1-5-5zM8 9h2v2H8zm6 5h2v2h-2zm-5 2h2v2H9z"/></svg></button>`;
    [bar, modal, note, fab, err] = ['.bar', '.back', '.note', '.fab', '.err'].map(s => $(s));
    root.addEventListener('click', e => {
      const a = e.target.closest('[data-a]');
      const act = a && a.dataset.a;
      if (act == 'p') openPrefs();
      else if (act == 'x') closePrefs();
      else if (act == 's') decide(Object.fromEntries($$('[data-c]').map(b => [b.dataset.c, b.checked])));
      else if (act) decide(Object.fromEntries(C.c.map(c => [c, c == 'necessary' || act == '1'])));
    });
    root.addEventListener('keydown', keys);
    d.body.appendChild(host);
  };

  const keys = e => {
    if (modal.hidden) return;
    if (e.key == 'Escape') {
      e.preventDefault();
      closePrefs();
    } else if (e.key == 'Tab') {
      // Focus stays inside the open dialog.
      const f = $$('button,a[href],input:not([disabled])', modal), at = root.activeElement;
      const to = e.shiftKey ? (at == f[0] && f[f.length - 1]) : (at == f[f.length - 1] && f[0]);
      if (to) {
        e.preventDefault();
        to.focus();
      }
    }
  };
  const remember = () => {
    const a = d.activeElement;
    if (a && a != d.body && a.localName != 'hot-consent') lastFocus = a;
  };
  const showBar = () => {
    remember();
    bar.hidden = false;
    fab.hidden = true;
    bar.focus();
    emit('shown', 'banner');
  };
  const openPrefs = () => {
    if (!root) return;
    if (bar.hidden) remember();
    err.textContent = '';
    $$('[data-c]').forEach(b => { b.checked = b.dataset.c == 'necessary' || granted(b.dataset.c); });
    $('.id code').textContent = state ? state.id : '';
    $('.id').hidden = !state;
    if (modal.hidden) emit('shown', 'preferences');
    modal.hidden = false;
    ($('input:not([disabled])', modal) || $('.x')).focus();
  };
  const closePrefs = () => {
    if (bar.hidden) done();
    else {
      modal.hidden = true;
      emit('hidden', 'preferences');
      bar.focus();
    }
  };
  const done = () => {
    if (!modal.hidden) emit('hidden', 'preferences');
    if (!bar.hidden) emit('hidden', 'banner');
    bar.hidden = modal.hidden = true;
    fab.hidden = false;
    (lastFocus && lastFocus.isConnected ? lastFocus : fab).focus();
  };
  const showNote = (text, path, key) => {
    note.innerHTML = `${esc(text)} ${path ? link(T.diff, path) : ''}<button type="button" class="b">${esc(T.ok)}</button>`;
    $('button', note).onclick = () => {
      note.hidden = true;
      try { localStorage.setItem('hc_seen', key); } catch (e) { /* storage blocked */ }
    };
    note.hidden = false;
  };

  /* -- decisions ----------------------------------------------------------- */
  const req = (path, body, more) => fetch(API + '/api/v1/' + path, {method: 'POST', body: typeof body == 'string' ? body : JSON.stringify(body), credentials: 'omit', headers: {'Content-Type': 'text/plain'}, ...more});
  const post = body => req('consent', body)
    .then(r => {
      // A token the gateway no longer accepts (expired, keys rotated): start a new consent.
      if (r.status == 401 && body.token) {
        delete body.token;
        return post(body);
      }
      if (!r.ok) throw r;
      return r.json();
    });
  const decide = (choices, quiet) => {
    // One decision at a time: a double click must not create two consents.
    if (busy) return Promise.resolve();
    busy = true;
    const body = {site: C.s, choices, policy_version: C.cv, language: lang, text_hash: C.h, gpc};
    if (state) body.token = state.token;
    return post(body).finally(() => { busy = false; }).then(r => {
      state = {id: r.consent_id, choices: r.choices, pv: r.policy_version, token: r.token};
      d.cookie = 'hc_consent=' + r.token + attrs();
      if (!quiet) done();
      changed();
    }, () => {
      err.textContent = T.failed;
      $('.btns', modal.hidden ? bar : modal).before(err);
    });
  };
  const attrs = () => ';path=/;max-age=' + C.ma * 86400 + ';samesite=lax' + domain + (loc.protocol == 'https:' ? ';secure' : '');
  const changed = () => {
    const now = api.get();
    if (state) d.cookie = 'hc_g=' + C.c.filter(granted).join('.') + attrs();
    consentMode('update');
    dl.push({event: 'hot_consent_update', hot_consent: Object.fromEntries(C.c.map(c => [c, granted(c)]))});
    clear();
    unblock();
    emit('change', now);
  };

  /* -- the host page: declared cookies cleared, blocked elements released ---- */
  const clear = () => {
    const names = d.cookie.split(';').map(c => c.split('=')[0].trim());
    const host = loc.hostname.split('.'), doms = [''];
    // The page host and every parent domain up to the cookie domain.
    for (let i = 0; i < host.length - 1; i++) {
      const at = host.slice(i).join('.');
      doms.push(';domain=' + at);
      if (!C.cd || at == C.cd) break;
    }
    (C.k || []).forEach(([cat, glob]) => {
      if (granted(cat)) return;
      const re = RegExp('^' + glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
      names.filter(n => re.test(n)).forEach(n => doms.forEach(at => { d.cookie = n + '=;path=/;max-age=0' + at; }));
    });
  };
  const unblock = () => {
    if (!root) return;
    d.querySelectorAll('[data-category]').forEach(el => {
      const cat = el.dataset.category, ok = granted(cat);
      if (el.localName == 'script') {
        if (!ok || el.type != 'text/plain') return;
        const s = d.createElement('script');
        for (const a of el.attributes) if (!/^(type|data-category|data-type|nonce)$/.test(a.name)) s.setAttribute(a.name, a.value);
        if (el.dataset.type) s.type = el.dataset.type;
        s.nonce = el.nonce;
        if (!el.src) s.text = el.text;
        el.replaceWith(s);
      } else if (el.dataset.src && !el.hcOn) {
        if (ok) {
          el.hcOn = 1;
          el.src = el.dataset.src;
          if (el.hcPh) el.hcPh.remove();
        } else if (el.localName == 'iframe' && !el.hcPh) {
          // A placeholder in the page's language that offers to allow the category.
          const i = C.c.indexOf(cat), p = el.hcPh = d.createElement('div'), b = d.createElement('button');
          p.className = 'hc-blocked';
          p.textContent = T.blocked + ' ' + (i < 0 ? cat : T.cats[i][0]) + ' ';
          b.type = 'button';
          b.textContent = T.allow;
          b.onclick = () => decide({...(state && state.choices), [cat]: true}, true);
          p.append(b);
          el.before(p);
        }
      }
    });
  };
  new MutationObserver(unblock).observe(d.documentElement, {childList: true, subtree: true});

  /* -- tracker: the token goes along only with analytics consent ------------ */
  // Engaged time: while the page is visible and focused; it goes with the next event.
  let eng = 0, since = 0, focus = d.hasFocus();
  const tick = () => {
    const now = Date.now();
    if (since) eng += now - since;
    since = d.visibilityState == 'visible' && focus && now;
  };
  const send = (events, at) => {
    if (!ready) return void pending.push(...events);
    tick();
    if (eng) events[0].params = {...events[0].params, engagement_time_msec: eng}, eng = 0;
    const body = {site: C.s, page: {url: at || loc.href, referrer: ref || '', title: d.title}, events}, now = Date.now() / 1e3 | 0;
    try {
      // The session's start, kept only while analytics is granted; 30 minutes without activity end it.
      const [s, l] = (localStorage.hc_s || '').split('.');
      if (granted('analytics')) localStorage.hc_s = (body.session_start = l > now - 1800 ? +s : now) + '.' + now;
      else localStorage.removeItem('hc_s');
    } catch (e) { /* storage blocked */ }
    if (granted('analytics')) body.consent = state.token;
    // A page driven by automation (WebDriver, Playwright, Puppeteer) says so; it is not counted.
    if (nav.webdriver) body.webdriver = true;
    const data = JSON.stringify(body), url = API + '/api/v1/collect';
    try {
      if (nav.sendBeacon(url, data)) return;
    } catch (e) { /* fall back to fetch */ }
    req('collect', data, {keepalive: true}).catch(() => {});
  };
  // The engaged time of a page goes with that page: on leaving it, or on a navigation away.
  const flush = at => {
    tick();
    if (eng) send([{name: 'user_engagement', params: {}}], at);
  };
  const pageView = () => {
    if (loc.href == lastUrl) return;
    if (lastUrl) flush(lastUrl);
    ref = lastUrl || d.referrer;
    lastUrl = loc.href;
    send([{name: 'page_view', params: {}}]);
  };
  ['pushState', 'replaceState'].forEach(m => {
    const orig = history[m];
    history[m] = function () {
      const r = orig.apply(this, arguments);
      pageView();
      return r;
    };
  });
  w.addEventListener('popstate', pageView);
  d.addEventListener('visibilitychange', () => d.visibilityState == 'hidden' ? flush() : tick());
  w.addEventListener('pagehide', () => flush());
  const foc = f => () => { tick(); focus = f; tick(); };
  w.addEventListener('focus', foc(1));
  w.addEventListener('blur', foc(0));

  /* -- host API ------------------------------------------------------------ */
  const api = w.HotConsent = {
    v: 1,
    get: () => state && {consentId: state.id, choices: {...state.choices}, policyVersion: state.pv, gpc, withdrawn: !!state.w},
    on: (ev, fn) => {
      if (listeners[ev] && typeof fn == 'function') {
        listeners[ev].push(fn);
        if (ev == 'change' && state) setTimeout(fn, 0, api.get());
      }
    },
    off: (ev, fn) => {
      const l = listeners[ev] || [];
      // indexOf's -1 becomes an index past the end: nothing is removed.
      l.splice(l.indexOf(fn) >>> 0, 1);
    },
    open: () => openPrefs(),
    push: c => api[c[0]] && api[c[0]](...c.slice(1)),
    track: (name, params) => send([{name: String(name), params: params || {}}])
  };
  // Queued calls run at once (listeners hear the banner being shown; events wait); open waits for the start.
  queued.filter(c => c[0] != 'open').forEach(api.push);
  d.addEventListener('click', e => {
    if (e.target.closest?.('[data-hc-open]')) {
      e.preventDefault();
      openPrefs();
    }
  });

  const start = (payload, token) => {
    if (payload && payload.site == C.s) state = {id: payload.cid, choices: payload.c, pv: payload.pv, token, w: payload.w};
    // Choices made under an older material version no longer count: ask again.
    if (state && state.pv < C.cv) state.choices = {necessary: true};
    mount();
    let seen;
    try { seen = localStorage.getItem('hc_seen'); } catch (e) { /* storage blocked */ }
    const up = C.up;
    if (!state) {
      // Global Privacy Control: recorded as a refusal without asking.
      if (gpc) decide({}, true).then(() => { fab.hidden = false; showNote(T.gpc, 0, 'gpc'); });
      else showBar();
    } else if (state.pv < C.cv || C.c.some(c => !(c in state.choices))) showBar(); // a category added since: ask again
    else if (gpc && C.c.some(c => shared(c) && state.choices[c])) {
      // Earlier grants GPC now refuses: recorded as a refusal, and the visitor is told.
      fab.hidden = false;
      decide(Object.fromEntries(C.c.map(c => [c, !shared(c) && !!state.choices[c]])), true)
        .then(() => showNote(T.gpc, 0, 'gpc'));
    }
    else {
      fab.hidden = false;
      changed();
      // A returning GPC visitor is told until the notice is dismissed.
      if (gpc && seen != 'gpc') showNote(T.gpc, 0, 'gpc');
      else if (C.v > state.pv && seen != 'v' + C.v) showNote(T.updated, diff(state.pv, C.v), 'v' + C.v);
      else if (up && seen != 'u' + up) showNote(T.upcoming, diff(C.v, up), 'u' + up);
    }
    unblock();
    ready = true;
    pageView();
    if (pending.length) send(pending.splice(0));
    queued.filter(c => c[0] == 'open').forEach(api.push);
  };
  const boot = () => {
    const token = (d.cookie.match(/(?:^|;\s*)hc_consent=([^;]+)/) || [])[1];
    // The proof of consent, not the cookie, decides: a withdrawal made elsewhere counts here.
    const standing = p => p && req('consent/standing', {token})
      .then(r => r.ok ? r.json().then(s => ({...p, c: s.choices, pv: s.policy_version, w: s.withdrawn})) : r.status < 500 ? null : p, () => p);
    (token ? decode(token) : Promise.resolve(null)).catch(() => null).then(standing).then(p => start(p, token));
  };
  if (d.body) boot();
  else d.addEventListener('DOMContentLoaded', boot);
})
