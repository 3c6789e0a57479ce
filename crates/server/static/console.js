// heatdesk console: keyboard shortcuts, drafts and live updates.
// No build step; works with the vendored htmx. Every visible word comes from
// the server (data-* attributes rendered from the locale files).
(function () {
  'use strict';
  var $ = function (s, r) { return (r || document).querySelector(s); };
  var $$ = function (s, r) { return Array.prototype.slice.call((r || document).querySelectorAll(s)); };
  var page = document.body.dataset.page || '';

  function typing(el) {
    return el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || el.isContentEditable);
  }

  // The language switch comes back to this page.
  $$('input[data-back]').forEach(function (i) { i.value = location.pathname + location.search; });

  // ---------------------------------------------------------------- live
  var timers = {};
  function busy(el) {
    if ($('details[open]', el)) return true;
    var a = document.activeElement;
    return a && el.contains(a) && typing(a) && a.value;
  }
  function refresh(number) {
    $$('[data-live]').forEach(function (el) {
      if (number && el.dataset.number && el.dataset.number !== number) return;
      if (busy(el)) {
        var stale = $('#stale', el);
        if (stale) stale.hidden = false;
        return;
      }
      clearTimeout(timers[el.id]);
      timers[el.id] = setTimeout(function () {
        var cur = document.getElementById(el.id);
        if (cur && window.htmx) {
          htmx.ajax('GET', cur.dataset.live, { target: '#' + cur.id, swap: 'outerHTML' });
        }
      }, 150);
    });
  }
  function live() {
    var url = document.body.dataset.liveUrl;
    if (!url || !window.EventSource) return;
    var dot = $('#live');
    var set = function (on) {
      if (!dot) return;
      dot.classList.toggle('on', on);
      var t = on ? dot.dataset.on : dot.dataset.off;
      dot.title = t;
      dot.setAttribute('aria-label', t);
    };
    var es = new EventSource(url);
    es.onopen = function () { set(true); document.body.dataset.live = 'on'; };
    es.onerror = function () { set(false); document.body.dataset.live = 'off'; };
    es.addEventListener('ticket', function (e) {
      var d = {};
      try { d = JSON.parse(e.data); } catch (_) { /* ignore */ }
      refresh(d.number);
    });
    es.addEventListener('resync', function () { refresh(null); });
  }

  // ---------------------------------------------------------------- intake
  var DRAFT = 'heatdesk.intake.draft';
  var ORDER = ['phone', 'caller_name', 'address', 'station_code', 'picker', 'description'];

  function form() { return $('#intake-form'); }
  function kindOf() { var f = form(); return f ? f.elements.namedItem('kind').value : ''; }
  function setKind() { var f = form(); if (f) f.dataset.kind = kindOf(); }

  function draftValues() {
    var f = form(), d = {};
    new FormData(f).forEach(function (v, k) { if (k !== 'intent') d[k] = v; });
    d.station_manual = f.dataset.stationManual || '';
    return d;
  }
  function note(which) {
    var s = $('#draft-state');
    if (s) s.textContent = s.dataset[which] || '';
  }
  var saveTimer;
  function saveDraft() {
    var f = form();
    if (!f) return;
    var d = draftValues();
    if (!d.phone && !d.caller_name && !d.address && !d.description && !d.answer) {
      localStorage.removeItem(DRAFT);
      return;
    }
    try { localStorage.setItem(DRAFT, JSON.stringify(d)); note('saved'); } catch (_) { /* full */ }
  }
  function saveSoon() { clearTimeout(saveTimer); saveTimer = setTimeout(saveDraft, 200); }
  function restoreDraft() {
    var f = form(), d = null;
    if (!f || f.elements.namedItem('phone').value || f.elements.namedItem('description').value) return;
    try { d = JSON.parse(localStorage.getItem(DRAFT) || 'null'); } catch (_) { d = null; }
    if (!d) return;
    Object.keys(d).forEach(function (k) {
      var el = f.elements.namedItem(k);
      if (el) el.value = d[k];
    });
    if (d.station_manual) f.dataset.stationManual = '1';
    setKind();
    if (d.phone) htmx.trigger('#phone', 'lookup');
    if ((d.address || d.lat) && !d.account_no) htmx.trigger('#address', 'resolve');
    showPoint();
    note('restored');
  }

  function showStation(name, label) {
    var f = form(), r = $('#resolve');
    if (!r) return;
    r.className = 'resolve conf-account';
    r.textContent = '';
    var a = document.createElement('span'); a.textContent = f.dataset.tStation + ' ';
    var b = document.createElement('strong'); b.textContent = name;
    var c = document.createElement('span'); c.className = 'badge conf'; c.textContent = label;
    r.appendChild(a); r.appendChild(b); r.appendChild(document.createTextNode(' ')); r.appendChild(c);
  }
  function pick(btn) {
    var f = form();
    f.elements.namedItem('caller_name').value = btn.dataset.holder;
    f.elements.namedItem('address').value = btn.dataset.address;
    f.elements.namedItem('account_no').value = btn.dataset.accountNo;
    if (!f.dataset.stationManual) f.elements.namedItem('station_code').value = btn.dataset.station;
    $$('[data-pick]').forEach(function (b) { b.classList.toggle('picked', b === btn); b.setAttribute('aria-pressed', b === btn); });
    showStation(btn.dataset.stationName, f.dataset.tAccount);
    saveSoon();
  }
  function focusStep(name) {
    var el = name === 'picker' ? $('#picker') : form().elements.namedItem(name);
    if (el && el.focus) { el.focus(); if (el.select && el.tagName === 'INPUT') el.select(); }
  }
  function nextStep(from) {
    var f = form();
    if (from === 'phone' && f.elements.namedItem('account_no').value) return focusStep('picker');
    var i = ORDER.indexOf(from);
    if (i >= 0 && i + 1 < ORDER.length) focusStep(ORDER[i + 1]);
  }
  function submit(intent) {
    var b = $('#btn-' + intent);
    if (b) b.click();
  }
  function chooseKey(picker, key) {
    var chip = $$('label[data-key]', picker).filter(function (c) { return c.dataset.key === key; })[0];
    if (!chip) return false;
    var radio = $('input', chip);
    radio.checked = true;
    if (radio.name === 'category' && radio.dataset.kind) {
      form().elements.namedItem('kind').value = radio.dataset.kind;
    }
    setKind();
    saveSoon();
    return true;
  }

  function intakeKeys(e) {
    var f = form();
    if (!f) return;
    var t = e.target;
    if (e.key === 'F2') { e.preventDefault(); focusStep('phone'); return; }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      if (e.shiftKey) submit(kindOf() === 'inquiry' ? 'answer' : 'dispatch');
      else submit('register');
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var picker = $('#picker');
    if (picker && picker.contains(t)) {
      if (e.key === 'Enter') { e.preventDefault(); focusStep('description'); return; }
      if (e.key.length === 1 && chooseKey(picker, e.key.toLowerCase())) { e.preventDefault(); }
      return;
    }
    if (t.matches && t.matches('[data-pick]')) {
      var all = $$('[data-pick]'), i = all.indexOf(t);
      if (e.key === 'ArrowDown' && i + 1 < all.length) { e.preventDefault(); all[i + 1].focus(); }
      if (e.key === 'ArrowUp') { e.preventDefault(); if (i > 0) all[i - 1].focus(); else focusStep('phone'); }
      if (e.key === 'Enter') { e.preventDefault(); pick(t); focusStep('picker'); }
      if (e.key === 'Escape') { e.preventDefault(); focusStep('phone'); }
      return;
    }
    if (!f.contains(t)) return;
    if (t.id === 'phone' && e.key === 'ArrowDown') {
      var first = $('[data-pick]');
      if (first) { e.preventDefault(); first.focus(); }
      return;
    }
    // Enter moves on and never submits: submitting takes Ctrl+Enter.
    if (e.key === 'Enter' && (t.tagName === 'INPUT' || t.tagName === 'SELECT')) {
      e.preventDefault();
      nextStep(t.name);
    }
  }

  // The service-area map (map.rs): a click sets the point, the live
  // resolution then uses it (GIS fallback when the text matches nothing).
  function mapPoint(svg, e) {
    var pt = svg.createSVGPoint();
    pt.x = e.clientX; pt.y = e.clientY;
    var ctm = svg.getScreenCTM();
    if (!ctm) return null;
    var p = pt.matrixTransform(ctm.inverse());
    var d = svg.dataset, scale = parseFloat(d.scale), kx = parseFloat(d.kx);
    return { lat: parseFloat(d.north) - p.y / scale, lon: parseFloat(d.west) + p.x / (scale * kx) };
  }
  function showPoint() {
    var svg = $('#area-map'), dot = $('#map-point'), f = form();
    if (!svg || !dot || !f) return;
    var lat = parseFloat(f.elements.namedItem('lat').value), lon = parseFloat(f.elements.namedItem('lon').value);
    if (isNaN(lat) || isNaN(lon)) { dot.setAttribute('visibility', 'hidden'); return; }
    var d = svg.dataset, scale = parseFloat(d.scale), kx = parseFloat(d.kx);
    dot.setAttribute('cx', ((lon - parseFloat(d.west)) * kx * scale).toFixed(1));
    dot.setAttribute('cy', ((parseFloat(d.north) - lat) * scale).toFixed(1));
    dot.removeAttribute('visibility');
  }
  function setPoint(lat, lon) {
    var f = form();
    f.elements.namedItem('lat').value = lat;
    f.elements.namedItem('lon').value = lon;
    showPoint();
    htmx.trigger('#address', 'resolve');
    saveSoon();
  }

  var justRegistered = false;
  function intake() {
    if (!form()) return;
    restoreDraft();
    document.addEventListener('keydown', intakeKeys);
    document.addEventListener('input', function (e) { if (form() && form().contains(e.target)) saveSoon(); });
    document.addEventListener('change', function (e) {
      var f = form();
      if (!f || !f.contains(e.target)) return;
      if (e.target.id === 'station_code') f.dataset.stationManual = e.target.value ? '1' : '';
      if (e.target.id === 'lat' || e.target.id === 'lon') { showPoint(); htmx.trigger('#address', 'resolve'); }
      if (e.target.name === 'category' && e.target.dataset.kind) f.elements.namedItem('kind').value = e.target.dataset.kind;
      setKind();
      saveSoon();
    });
    document.addEventListener('click', function (e) {
      var b = e.target.closest && e.target.closest('[data-pick]');
      if (b) { pick(b); focusStep('picker'); return; }
      var copy = e.target.closest && e.target.closest('[data-copy]');
      if (copy) { copyText(copy); return; }
      var area = e.target.closest && e.target.closest('#area-map');
      if (area) {
        var p = mapPoint(area, e);
        if (p) setPoint(p.lat.toFixed(6), p.lon.toFixed(6));
        return;
      }
      if (e.target.id === 'map-clear') { setPoint('', ''); return; }
      var cand = e.target.closest && e.target.closest('[data-set-station]');
      if (cand) {
        var f3 = form();
        f3.elements.namedItem('station_code').value = cand.dataset.setStation;
        f3.dataset.stationManual = '1';
        saveSoon();
        return;
      }
      if (e.target.id === 'btn-clear') {
        if (confirm(e.target.dataset.confirm)) { localStorage.removeItem(DRAFT); location.href = '/'; }
      }
    });
    document.body.addEventListener('heatdesk-registered', function () { justRegistered = true; });
    document.body.addEventListener('htmx:afterSettle', function (e) {
      var target = e.detail && e.detail.target;
      if (!target) return;
      if (target.id === 'caller') {
        var accounts = $$('[data-pick]');
        var f = form();
        if (accounts.length === 1 && !f.elements.namedItem('account_no').value) pick(accounts[0]);
      } else if (target.id === 'resolve') {
        var f2 = form(), r = $('#resolve');
        if (!f2.dataset.stationManual && !f2.elements.namedItem('account_no').value && r.dataset.confidence) {
          f2.elements.namedItem('station_code').value = r.dataset.station || '';
        }
      } else if (target.id === 'intake-form-wrap' || target.id === 'intake-form') {
        setKind();
        showPoint();
        if (justRegistered) {
          justRegistered = false;
          localStorage.removeItem(DRAFT);
          var caller = $('#caller');
          var hint = caller && caller.dataset.hint;
          if (caller) { caller.innerHTML = ''; var p = document.createElement('p'); p.className = 'hint'; p.textContent = hint || ''; caller.appendChild(p); }
          focusStep('phone');
        } else {
          var bad = $('.invalid input, .invalid textarea, .invalid select', form());
          if (bad) bad.focus(); else if ($('.categories.invalid')) focusStep('picker');
        }
      }
    });
    setKind();
  }

  function copyText(btn) {
    var text = btn.dataset.copy;
    var done = function () { btn.textContent = btn.dataset.copied; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { /* denied */ });
    } else {
      var ta = document.createElement('textarea');
      ta.value = text; document.body.appendChild(ta); ta.select();
      try { document.execCommand('copy'); done(); } catch (_) { /* ignore */ }
      ta.remove();
    }
  }

  // ---------------------------------------------------------------- ticket page
  function ticketKeys(e) {
    var t = e.target;
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      var f = t.closest && t.closest('form');
      if (f) { e.preventDefault(); f.requestSubmit(); }
      return;
    }
    if (e.key === 'Escape') {
      var d = t.closest && t.closest('details[open]');
      if (d) { d.open = false; d.querySelector('summary').focus(); }
      return;
    }
    if (typing(t) || e.altKey || e.ctrlKey || e.metaKey || e.key.length !== 1) return;
    var el = $$('[data-key]', $('#ticket-live')).filter(function (x) { return x.dataset.key === e.key; })[0];
    if (!el) return;
    e.preventDefault();
    if (el.tagName === 'DETAILS') {
      el.open = true;
      var first = $('select, input:not([type=hidden]), textarea', el);
      if (first) first.focus();
    } else if (el.tagName === 'FORM') {
      el.requestSubmit();
    }
  }

  // ---------------------------------------------------------------- everywhere
  document.addEventListener('keydown', function (e) {
    if (e.key === 'F2' && page !== 'intake' && $('nav a[href="/"]')) { e.preventDefault(); location.href = '/'; return; }
    if (page === 'ticket') ticketKeys(e);
    if (page === 'queues' && e.key === '/' && !typing(e.target)) {
      var q = $('#q');
      if (q) { e.preventDefault(); q.focus(); q.select(); }
    }
  });

  if (page === 'intake') intake();
  live();
})();
