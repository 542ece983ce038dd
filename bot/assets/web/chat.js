// 安居 web chat page. Speaks the protocol of bot/runtime/webchat_channel.hpp over /chat/ws:
// hello → {visitor}; text {id, text} → ack {id}; the bot's text {id, text, at}; error {message, id?}.
// The visitor id and the transcript live in localStorage; messages not yet acknowledged are sent
// again (same id, so the server answers them once) after a reconnect.
'use strict';

(function () {
  const KEY_VISITOR = 'anju.chat.visitor';
  const KEY_LOG = 'anju.chat.log';
  const MAX_LOG = 300;            // messages kept in the transcript
  const RESEND_AFTER_MS = 15000;  // an unacknowledged message is sent again after this while connected
  const TIME_GAP_MS = 5 * 60 * 1000;  // a time line between messages further apart than this

  const logEl = document.getElementById('log');
  const statusEl = document.getElementById('status');
  const titleEl = document.getElementById('title');
  const form = document.getElementById('composer');
  const input = document.getElementById('input');
  const sendButton = document.getElementById('send');

  const store = {
    get(key, fallback) {
      try {
        const v = window.localStorage.getItem(key);
        return v === null ? fallback : JSON.parse(v);
      } catch (e) {
        return fallback;
      }
    },
    set(key, value) {
      try {
        window.localStorage.setItem(key, JSON.stringify(value));
      } catch (e) {
        // private mode or full: the chat still works, it just forgets on reload
      }
    },
  };

  let visitor = store.get(KEY_VISITOR, '');
  let messages = store.get(KEY_LOG, []);
  if (!Array.isArray(messages)) {
    messages = [];
  }
  let socket = null;
  let ready = false;  // hello answered on the current socket
  let attempt = 0;    // reconnect attempts since the last good connection
  let reconnectTimer = null;

  function newId() {
    const random = new Uint8Array(6);
    (window.crypto || window.msCrypto).getRandomValues(random);
    let s = 'c' + Date.now().toString(36);
    for (const b of random) {
      s += (b % 36).toString(36);
    }
    return s;
  }

  function save() {
    if (messages.length > MAX_LOG) {
      messages = messages.slice(messages.length - MAX_LOG);
    }
    store.set(KEY_LOG, messages);
  }

  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }

  function timeText(ms) {
    const d = new Date(ms);
    const now = new Date();
    const hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
    if (d.toDateString() === now.toDateString()) {
      return hm;
    }
    const yesterday = new Date(now.getTime() - 86400000);
    if (d.toDateString() === yesterday.toDateString()) {
      return '昨天 ' + hm;
    }
    return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + hm;
  }

  function nearBottom() {
    return logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 80;
  }

  function scrollDown() {
    logEl.scrollTop = logEl.scrollHeight;
  }

  // One transcript entry as DOM; text goes in through textContent only.
  function render(m) {
    const frag = document.createDocumentFragment();
    if (m.from === 'note') {
      const note = document.createElement('div');
      note.className = 'note';
      note.textContent = m.text;
      frag.appendChild(note);
      return frag;
    }
    const row = document.createElement('div');
    row.className = 'msg ' + (m.from === 'me' ? 'me' : 'bot') + (m.state ? ' ' + m.state : '');
    row.dataset.id = m.id;
    const avatar = document.createElement('div');
    avatar.className = 'avatar';
    avatar.setAttribute('aria-hidden', 'true');
    avatar.textContent = m.from === 'me' ? '我' : '安';
    const bubble = document.createElement('div');
    bubble.className = 'bubble';
    bubble.textContent = m.text;
    row.appendChild(avatar);
    row.appendChild(bubble);
    if (m.from === 'me') {
      const mark = document.createElement('span');
      mark.className = 'mark';
      if (m.state === 'failed') {
        mark.title = m.reason || '发送失败';
      }
      row.appendChild(mark);
    }
    frag.appendChild(row);
    if (m.state === 'failed' && m.reason) {
      const reason = document.createElement('div');
      reason.className = 'reason';
      reason.textContent = m.reason;
      frag.appendChild(reason);
    }
    return frag;
  }

  function redraw() {
    logEl.textContent = '';
    let last = 0;
    if (messages.length === 0) {
      logEl.appendChild(render({ from: 'note', text: '您好！请直接描述您遇到的问题，例如「3号楼电梯坏了」，我们会尽快为您处理。' }));
    }
    for (const m of messages) {
      if (m.at && m.at - last > TIME_GAP_MS) {
        const t = document.createElement('div');
        t.className = 'time';
        t.textContent = timeText(m.at);
        logEl.appendChild(t);
      }
      if (m.at) {
        last = m.at;
      }
      logEl.appendChild(render(m));
    }
    scrollDown();
  }

  function add(m) {
    const stick = nearBottom() || m.from === 'me';
    messages.push(m);
    save();
    redraw();
    if (!stick) {
      return;
    }
    scrollDown();
  }

  function setStatus(text, offline) {
    statusEl.textContent = text;
    statusEl.classList.toggle('offline', !!offline);
  }

  function transmit(m) {
    if (!socket || !ready || socket.readyState !== WebSocket.OPEN) {
      return;
    }
    m.tried = Date.now();
    socket.send(JSON.stringify({ type: 'text', id: m.id, text: m.text }));
  }

  function resendPending(olderThan) {
    const now = Date.now();
    for (const m of messages) {
      if (m.from === 'me' && m.state === 'sending' && (!m.tried || now - m.tried >= olderThan)) {
        transmit(m);
      }
    }
  }

  function onFrame(frame) {
    if (!frame || typeof frame.type !== 'string') {
      return;
    }
    if (frame.type === 'hello') {
      ready = true;
      attempt = 0;
      if (typeof frame.visitor === 'string' && frame.visitor) {
        visitor = frame.visitor;
        store.set(KEY_VISITOR, visitor);
      }
      if (typeof frame.name === 'string' && frame.name) {
        titleEl.textContent = frame.name;
        document.title = frame.name + ' · 在线报事报修';
      }
      setStatus('', false);
      resendPending(0);
      return;
    }
    if (frame.type === 'ack') {
      const m = messages.find((x) => x.from === 'me' && x.id === frame.id);
      if (m && m.state === 'sending') {
        m.state = 'sent';
        delete m.tried;
        save();
        redraw();
      }
      return;
    }
    if (frame.type === 'text') {
      if (messages.some((x) => x.from === 'bot' && x.id === frame.id)) {
        return;  // already shown (sent again after a reconnect)
      }
      const at = Date.parse(frame.at);
      add({ id: frame.id, from: 'bot', text: String(frame.text || ''), at: isNaN(at) ? Date.now() : at });
      return;
    }
    if (frame.type === 'error') {
      const m = frame.id ? messages.find((x) => x.from === 'me' && x.id === frame.id) : null;
      if (m) {
        m.state = 'failed';
        m.reason = String(frame.message || '发送失败');
        delete m.tried;
        save();
        redraw();
      } else {
        add({ id: newId(), from: 'note', text: String(frame.message || '出错了，请稍后再试。') });
      }
    }
  }

  function scheduleReconnect() {
    if (reconnectTimer) {
      return;
    }
    // 1 s, 2 s, 4 s … up to 30 s, with jitter so that many pages do not come back at once.
    const base = Math.min(30000, 1000 * Math.pow(2, attempt));
    const delay = base / 2 + Math.random() * base / 2;
    attempt += 1;
    setStatus('连接已断开，' + Math.ceil(delay / 1000) + ' 秒后重新连接…', true);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function connect() {
    ready = false;
    setStatus('连接中…', false);
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/chat/ws';
    let ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      const hello = { type: 'hello' };
      if (visitor) {
        hello.visitor = visitor;
      }
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (event) => {
      let frame = null;
      try {
        frame = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      onFrame(frame);
    };
    ws.onclose = () => {
      if (socket !== ws) {
        return;
      }
      socket = null;
      ready = false;
      scheduleReconnect();
    };
    ws.onerror = () => {
      // onclose follows and reconnects
    };
  }

  function send() {
    const text = input.value.replace(/^\s+|\s+$/g, '');
    if (!text) {
      return;
    }
    const m = { id: newId(), from: 'me', text: text, at: Date.now(), state: 'sending' };
    add(m);
    transmit(m);
    input.value = '';
    autosize();
    updateButton();
    if (!ready) {
      setStatus('连接中…消息将在连接后发送', true);
    }
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  }

  function updateButton() {
    sendButton.disabled = input.value.replace(/\s+/g, '') === '';
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    send();
    input.focus();
  });
  input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter is a new line; never while an input method is composing.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  });
  input.addEventListener('input', () => {
    autosize();
    updateButton();
  });
  // Another tab of the same browser may have written the transcript.
  window.addEventListener('storage', (e) => {
    if (e.key === KEY_LOG) {
      const fresh = store.get(KEY_LOG, []);
      if (Array.isArray(fresh)) {
        messages = fresh;
        redraw();
      }
    }
  });
  // Back from the background (phones suspend sockets): reconnect at once instead of waiting.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible' && !socket) {
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
      attempt = 0;
      connect();
    }
  });
  setInterval(() => resendPending(RESEND_AFTER_MS), 5000);

  redraw();
  connect();
})();
