// The demo staff work group: plays the WeCom group over a WebSocket (/workgroup/ws). Protocol in
// bot/runtime/workgroup_channel.hpp.
(function () {
  'use strict';
  var feed = document.getElementById('feed');
  var direct = document.getElementById('direct');
  var select = document.getElementById('as');
  var state = document.getElementById('state');
  var form = document.getElementById('send');
  var input = document.getElementById('text');
  var staff = {};
  var directs = [];
  var me = sessionStorage.getItem('anju.workgroup.as') || '';
  var socket = null;
  var retry = 500;
  var seq = 0;

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }
  // The little markdown the cards use: **bold**, <@userid> mentions, line breaks.
  function renderMarkdown(s) {
    var html = escapeHtml(s).replace(/\*\*(.+?)\*\*/g, '<b>$1</b>');
    return html.replace(/&lt;@([A-Za-z0-9_.-]+)&gt;/g, function (_, id) {
      return '<b class="at">@' + escapeHtml(staff[id] ? staff[id].name : id) + '</b>';
    });
  }
  function time(at) {
    if (!at) { return ''; }
    var d = new Date(at);
    return isNaN(d) ? '' : d.toLocaleString('zh-CN', { hour12: false });
  }
  function addGroup(m) {
    var li = document.createElement('li');
    var bot = m.from === '安居助手';
    li.className = bot ? 'bot' : (m.userid && m.userid === me ? 'mine' : 'staff');
    li.innerHTML = '<span class="meta">' + escapeHtml(m.from) + ' · ' + escapeHtml(time(m.at)) + '</span>' +
      '<div class="bubble">' + (m.markdown ? renderMarkdown(m.text) : escapeHtml(m.text)) + '</div>';
    feed.appendChild(li);
    li.scrollIntoView({ block: 'end' });
  }
  function renderDirect() {
    direct.innerHTML = '';
    document.getElementById('direct-who').textContent = me && staff[me] ? '（' + staff[me].name + '）' : '';
    directs.filter(function (d) { return d.to === me; }).forEach(function (d) {
      var li = document.createElement('li');
      li.innerHTML = '<span class="meta">' + escapeHtml(time(d.at)) + '</span>' + escapeHtml(d.text);
      direct.appendChild(li);
    });
  }
  function showError(text) {
    var li = document.createElement('li');
    li.className = 'error';
    li.textContent = text;
    feed.appendChild(li);
    li.scrollIntoView({ block: 'end' });
  }
  function send(obj) {
    if (socket && socket.readyState === 1) { socket.send(JSON.stringify(obj)); return true; }
    return false;
  }
  function connect() {
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/workgroup/ws';
    socket = new WebSocket(url);
    state.textContent = '连接中…';
    socket.onopen = function () { retry = 500; state.textContent = '已连接'; send({ type: 'hello', as: me }); };
    socket.onclose = function () {
      state.textContent = '连接断开，正在重连…';
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 10000);
    };
    socket.onmessage = function (ev) {
      var m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m.type === 'hello') {
        document.getElementById('group-name').textContent = m.community.name + ' · 员工工作群';
        select.innerHTML = '<option value="">— 选择员工 —</option>';
        staff = {};
        m.staff.forEach(function (s) {
          staff[s.userid] = s;
          var o = document.createElement('option');
          o.value = s.userid;
          o.textContent = s.name + '（' + s.roles.join('、') + '）';
          select.appendChild(o);
        });
        me = m.as || '';
        select.value = me;
        feed.innerHTML = '';
        directs = [];
        m.feed.forEach(function (f) { if (f.type === 'group') { addGroup(f); } else { directs.push(f); } });
        renderDirect();
        document.body.setAttribute('data-ready', '1');
      } else if (m.type === 'group') {
        addGroup(m);
      } else if (m.type === 'direct') {
        directs.push(m);
        renderDirect();
      } else if (m.type === 'error') {
        showError(m.message);
      }
    };
  }
  select.addEventListener('change', function () {
    me = select.value;
    sessionStorage.setItem('anju.workgroup.as', me);
    send({ type: 'as', userid: me });
    renderDirect();
  });
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    if (!me) { showError('请先在上方选择您是哪位员工。'); return; }
    if (send({ type: 'text', id: 'w' + Date.now() + '-' + (++seq), text: text })) { input.value = ''; }
  });
  Array.prototype.forEach.call(document.querySelectorAll('.quick button'), function (b) {
    b.addEventListener('click', function () { input.value = b.getAttribute('data-cmd'); form.requestSubmit(); });
  });
  connect();
}());
