// Shows the AI's answer as it is written (server-sent events over the same form post).
// Without this script, or when anything here is missing or fails, the form posts as usual and
// the page comes back with the whole answer.
(function () {
  if (!window.fetch || !window.TextDecoder || !window.URLSearchParams || !window.FormData) return;
  [].forEach.call(document.querySelectorAll('form[data-ai-stream]'), watch);

  function watch(form) {
    form.addEventListener('submit', function (e) {
      if (form.getAttribute('aria-busy') === 'true') { e.preventDefault(); return; }
      e.preventDefault();
      ask(form);
    });
  }

  function el(tag, text) { var e = document.createElement(tag); if (text) e.textContent = text; return e; }

  function ask(form) {
    var panel = form.parentNode, button = form.querySelector('button');
    var old = panel.querySelector('.card');
    var live = el('div'); live.className = 'card ai-live'; live.setAttribute('aria-live', 'polite');
    var status = el('p'); status.className = 'hint'; live.appendChild(status);
    var list = null;
    if (old) panel.replaceChild(live, old); else panel.appendChild(live);
    form.setAttribute('aria-busy', 'true'); button.disabled = true;
    var body = new URLSearchParams(new FormData(form));
    var got = false;

    function piece(p) {
      if (/^questions\[/.test(p.path)) {
        if (!list) { list = el('ol'); live.appendChild(list); }
        list.appendChild(el('li', p.text));
      } else live.appendChild(el('p', p.text));
    }
    function reset() { while (live.childNodes.length > 1) live.removeChild(live.lastChild); list = null; }
    function finish() { form.removeAttribute('aria-busy'); button.disabled = false; }
    function lost() {
      finish();
      status.textContent = form.getAttribute('data-lost') + ' ';
      var a = el('a', form.getAttribute('data-reload')); a.href = location.href.split('#')[0]; status.appendChild(a);
    }
    function event(name, data) {
      got = true;
      if (name === 'status') { if (data.restart) reset(); status.textContent = data.message; }
      else if (name === 'piece') piece(data);
      else if (name === 'failed') { finish(); status.textContent = data.message; }
      else if (name === 'done') {
        var holder = el('div'); holder.innerHTML = data.html; // rendered and escaped by the server, like the page
        var fresh = holder.firstElementChild;
        panel.parentNode.replaceChild(fresh, panel);
        var f = fresh.querySelector('form[data-ai-stream]');
        if (f) watch(f);
        var card = fresh.querySelector('.card');
        if (card) { card.setAttribute('tabindex', '-1'); card.focus(); }
      }
    }

    fetch(form.action, { method: 'POST', body: body, headers: { Accept: 'text/event-stream' } }).then(function (res) {
      var type = res.headers.get('Content-Type') || '';
      if (res.ok && /json/.test(type)) return res.json().then(function (j) { if (j.navigate) location.assign(j.navigate); else form.submit(); });
      // Anything but a stream (a refusal, an expired session): the plain post shows its page.
      if (!res.ok || !/text\/event-stream/.test(type) || !res.body) { form.submit(); return; }
      var reader = res.body.getReader(), decoder = new TextDecoder(), buffer = '';
      function read() {
        return reader.read().then(function (r) {
          buffer += decoder.decode(r.value || new Uint8Array(), { stream: !r.done });
          var blocks = buffer.split('\n\n'); buffer = blocks.pop();
          blocks.forEach(function (block) {
            var name = 'message', data = '';
            block.split('\n').forEach(function (line) {
              if (line.indexOf('event: ') === 0) name = line.slice(7);
              else if (line.indexOf('data: ') === 0) data += line.slice(6);
            });
            if (data) event(name, JSON.parse(data));
          });
          if (!r.done) return read();
          if (form.getAttribute('aria-busy') === 'true' && document.body.contains(form)) lost();
        });
      }
      return read();
    }).catch(function () { if (got) lost(); else form.submit(); });
  }
})();
