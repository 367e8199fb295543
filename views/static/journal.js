/* eslint @typescript-eslint/no-unused-vars: ["error", { "caughtErrors": "none" }] */
// Journal autosave and offline queue. Without this script every form still posts as usual.
(function () {
  var S = document.getElementById('journal-strings');
  if (!S || !window.fetch || !window.Promise) return;
  function t(k) { return S.getAttribute('data-' + k); }
  // Storage may be refused (Moodle's iframe with third-party cookies blocked): then the queue
  // lives in this page only, still sent when the connection is back.
  var memory = {};
  var all = [].slice.call(document.querySelectorAll('form[data-autosave]')).map(setup);

  // Queue: one item per participant (read from the ltik: shared computers) and entry.
  function q(s, item) {
    try {
      if (item === undefined) return JSON.parse(localStorage.getItem(s.key));
      if (item) localStorage.setItem(s.key, JSON.stringify(item)); else localStorage.removeItem(s.key);
    } catch (e) {
      if (item === undefined) return memory[s.key] || null;
      if (item) memory[s.key] = item; else delete memory[s.key];
    }
  }
  function keep(s, item, msg) { var old = q(s); if (!old || old.at <= item.at) q(s, item); say(s, msg); }
  function say(s, msg) { if (s.out) s.out.textContent = msg; }
  function el(tag, cls, text) { var e = document.createElement(tag); e.className = cls; e.textContent = text || ''; return e; }
  function now(s) { return { action: s.url, text: s.ta.value, baseRevision: +s.base.value, at: Date.now() }; }

  function setup(f) {
    // The text and its revision belong to the page's one form (for a post without this script); the entry's form gives its address.
    var s = { f: f, url: f.getAttribute('action'), ta: f.querySelector('textarea'), base: f.querySelector('input[data-base]'), ltik: f.elements.ltik.value, out: f.querySelector('.entry-status') }, u = '';
    try { u = JSON.parse(atob(s.ltik.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))); u = u.platformCode + '/' + u.user; } catch (e) { /* unscoped */ }
    // A page that came back with a refused text (no-JS post) shows text that is not on the server.
    s.saved = f.hasAttribute('data-unsaved') ? null : s.ta.defaultValue;
    s.key = 'cermin.queue:' + u + ':' + s.url;
    s.ta.addEventListener('input', function () {
      // What the page shows follows the typing: the words counted as the server counts them, and no "Tersimpan" over unsaved text.
      words(s, count(s.ta.value));
      if (!s.busy && s.ta.value !== s.saved) say(s, t('unsaved'));
      clearTimeout(s.timer); s.timer = setTimeout(function () { save(s); }, 1500);
    });
    var old = q(s);
    if (old && old.text !== s.saved) { s.ta.value = old.text; s.base.value = old.baseRevision; setTimeout(save, 0, s, true); } else if (old) q(s, null);
    return s;
  }

  // One save per entry at a time: typing during a save saves again after it, on the new revision.
  function save(s, force, keepalive) {
    if (s.busy) { s.again = true; return s.busy; }
    clearTimeout(s.timer);
    if (s.box || (!force && s.ta.value === s.saved)) return Promise.resolve();
    var item = now(s);
    if (navigator.onLine === false) return Promise.resolve(keep(s, item, t('offline')));
    say(s, t('saving'));
    var end = function () { s.busy = null; if (s.again) { s.again = false; return save(s); } };
    return (s.busy = fetch(s.url, {
      method: 'POST', keepalive: !!keepalive, body: JSON.stringify({ text: item.text, baseRevision: item.baseRevision }),
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: 'Bearer ' + s.ltik },
    }).then(function (res) {
      return res.json().then(null, function () { return {}; }).then(function (body) { answer(s, res.status, body || {}, item); });
    }, function () { keep(s, item, t('offline')); }).then(end, function (err) { end(); throw err; }));
  }

  function answer(s, code, body, item) {
    var ok = code === 200 && body.status === 'saved', old = q(s);
    // Not definitive (server error, session, rate limit): keep it queued.
    if (!ok && !/^(400|404|409|413|423)$/.test(code)) return keep(s, item, body.message || t('error'));
    // Settled: an older queued text goes; a newer one, typed on top of this one, moves to its revision.
    if (old && old.at <= item.at) q(s, null);
    else if (old && ok && old.baseRevision === item.baseRevision) { old.baseRevision = body.revision; q(s, old); }
    if (ok) { s.base.value = body.revision; s.saved = item.text; say(s, t('saved')); words(s, body.words); } else if (body.current) conflict(s, body.current);
    else say(s, body.message || t('error'));
  }

  // Words as coaching/domain.ts wordCount counts them.
  function count(text) { var m = text.trim().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu); return m ? m.length : 0; }
  // The word count under the entry follows typing and each save (the template carries the minimum).
  function words(s, n) { var w = s.f.querySelector('.words'); if (w && typeof n === 'number' && t('words')) w.textContent = t('words').replace('{n}', n); }
  function conflict(s, cur) {
    say(s, '');
    var box = s.box = el('div', 'conflict'), p = el('p', '');
    box.setAttribute('role', 'alert');
    [el('p', '', t('conflict')), el('p', '', t('their-version')), el('pre', 'other', cur.text), p].forEach(function (e) { box.appendChild(e); });
    function choose(label, cls, then) {
      var b = p.appendChild(el('button', cls, label));
      b.type = 'button';
      b.addEventListener('click', function () { s.box = null; s.base.value = cur.revision; box.parentNode.removeChild(box); then(); });
    }
    choose(t('keep-mine'), '', function () { save(s, true); });
    choose(t('keep-theirs'), 'secondary', function () { s.ta.value = s.saved = cur.text; q(s, null); say(s, t('saved')); });
    s.f.parentNode.insertBefore(box, s.f.nextSibling);
  }

  function leaving() { all.forEach(function (s) { if (s.ta.value !== s.saved) { q(s, now(s)); save(s, false, true); } }); }
  document.addEventListener('visibilitychange', function () { if (document.visibilityState === 'hidden') leaving(); });
  window.addEventListener('pagehide', leaving);
  function retry() { if (navigator.onLine !== false) all.forEach(function (s) { if (q(s) && !s.busy) save(s, true); }); }
  window.addEventListener('online', retry);
  // "online" alone is not enough: a phone's signal that comes back weakly often fires none (nor
  // does it reach a frame of another site in every browser). While a text waits, try again after
  // 10 s, then less often (up to every 2 minutes) so a lasting refusal is not asked every 10 s.
  var wait = 10000;
  (function tick() {
    setTimeout(function () {
      var waiting = all.some(function (s) { return q(s); });
      if (waiting) retry();
      wait = waiting ? Math.min(wait * 2, 120000) : 10000;
      tick();
    }, wait);
  })();

  // "Simpan" under an entry: that entry now (its conflict first, if it has one), and any other typed text.
  var page = document.getElementById('journal-form');
  if (page) page.addEventListener('submit', function (e) {
    var key = e.submitter && e.submitter.value, s = all.filter(function (x) { return x.f.parentNode.id === 'entry-' + key; })[0];
    if (s && s.box) s.box.querySelector('button').focus();
    all.forEach(function (x) { if (!x.box) save(x, x === s); });
    e.preventDefault(); // not reached if the lines above threw: then the form posts every entry
  });

  // "Submit for grading": saves first; a text still not on the server holds it (it would be locked out).
  var work = document.querySelector('form[action*="/submit"]');
  if (work) work.addEventListener('submit', function (e) {
    var go = function () {
      var open = all.filter(function (s) { return s.box || s.ta.value !== s.saved; })[0];
      if (open) (open.box ? open.box.querySelector('button') : open.ta).focus(); else work.submit();
    };
    var saving = Promise.all(all.map(function (s) { return save(s); }));
    e.preventDefault();
    saving.then(go, go);
  });
})();
