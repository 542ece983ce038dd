// 安居 admin console: a small single-page app over the admin JSON API, no framework and no build step.
//   #/tickets?status=&urgency=&department=&building=&overdue=&nature=&community=&sla=&after=
//                     the ticket list with filters and paging
//   #/ticket/CODE     one ticket: facts, SLA milestones, rectification orders, the whole timeline (events
//                     and the messages sent about it) and the supervisor's actions
//   #/live            open tickets by urgency × SLA state, overdue list, today's claims (refreshes every 5 s)
//   #/report          the monthly report (HTML in an iframe, JSON/CSV downloads)
// The admin token is asked for once per tab and kept in sessionStorage; it may also arrive once in the
// URL fragment (#token=…&/live), which is then removed from the address bar. Every request sends it as
// "Authorization: Bearer". Stable hooks for tests: <body data-ready="1" data-view="…"> once a page has
// rendered, data-code / data-kind / data-state attributes on rows and timeline entries.
(function () {
  'use strict';

  const TOKEN_KEY = 'anju.console.token';
  const AS_KEY = 'anju.console.as';
  const LIVE_REFRESH_MS = 5000;
  const PAGE_SIZE = 50;

  const view = document.getElementById('view');
  const loginBox = document.getElementById('login');
  const actingAs = document.getElementById('acting-as');

  let renderSeq = 0;     // a newer render makes older ones drop their results
  let liveTimer = null;  // the live view's refresh
  let roster = null;     // GET /api/v1/staff, loaded once per page load

  // ---- words ----

  const STATUS = {
    dispatched: '待接单', claimed: '已接单', on_site: '已到场', planned: '已出方案', in_progress: '处理中',
    resolved: '待业主确认', confirmed: '已确认解决', closed: '已办结', cancelled: '已取消',
  };
  const URGENCY = { emergency: '紧急', normal: '一般', difficult: '疑难' };
  const NATURE = { service: '服务类', facility: '设施类', fee: '费用类', order: '秩序类' };
  const DEPARTMENT = {
    engineering: '工程维修', order: '秩序维护', butler: '管家', cs: '客服', pm: '项目经理', quality: '品质管理',
  };
  const ROLE = Object.assign({}, DEPARTMENT, { supervisor: '区域主管' });
  const SLA = { on_track: '正常', warning: '预警', overdue: '超时' };
  const MILESTONE_STATE = { met: '按时完成', met_late: '超时完成', missed: '已超时', pending: '进行中' };
  const SATISFACTION = { satisfied: '满意', basically: '基本满意', unsatisfied: '不满意', none: '未评价' };
  const ESCALATION = ['未升级', '已升级至区域主管', '已升级至项目经理'];
  const CHANNEL = {
    wechat_mp: '公众号', wecom_app: '企业微信应用', wecom_chat: '企业微信群聊', wecom_robot: '工作群机器人',
    wecom_aibot: '智能机器人', bridge: '业主群', web: '网页', api: '后台登记', wecom: '企业微信',
    webchat: '网页聊天', web_group: '网页工作群', web_staff: '网页员工通知',
  };
  const MESSAGE_STATE = { pending: '待发送', sent: '已发送', failed: '发送失败' };
  const EVENT = {
    filed: '登记受理', claim: '接单', arrive: '到场', plan: '提交方案', progress: '更新进展', resolve: '处理完成',
    transfer: '转派', escalate: '升级', confirm: '业主确认已解决', reopen: '业主反馈未解决', rate: '满意度评价',
    close: '办结', cancel: '撤销', note: '内部备注', attach: '补充信息', duplicate: '重复报告',
    delivery_failed: '消息投递失败', sla_warning: '超时预警', sla_missed: '超时', rectification_opened: '开具整改单',
    rectification_answered: '整改回复', rectification_overdue: '整改单超时', grouped: '并入群体投诉',
    group_opened: '成立群体投诉', group_closed: '群体投诉办结', household_added: '新增住户', announce: '群公告',
  };

  function eventLabel(kind) {
    if (EVENT[kind]) return EVENT[kind];
    if (kind.startsWith('group_') && EVENT[kind.slice(6)]) return '群体投诉·' + EVENT[kind.slice(6)];
    return kind;
  }

  // ---- DOM helpers: text always goes through textContent, never innerHTML ----

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'value') el.value = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function replace(el, ...children) {
    el.replaceChildren();
    return append(el, children);
  }

  function badge(cls, text, data) {
    return h('span', { class: 'badge ' + cls, dataset: data || {} }, text);
  }
  const urgencyBadge = (u) => badge('u-' + u, URGENCY[u] || u, { urgency: u });
  const statusBadge = (s, label) => badge('st st-' + s, label || STATUS[s] || s, { status: s });
  function slaBadge(s) {
    if (!s) return badge('sla-none', '—', { sla: 'none' });
    return badge('sla-' + s, SLA[s] || s, { sla: s });
  }

  function select(name, options, current, attrs) {
    const el = h('select', Object.assign({ name: name, id: 'f-' + name }, attrs || {}));
    for (const [value, label] of options) {
      el.append(h('option', { value: value, selected: value === current }, label));
    }
    return el;
  }

  function fmtTime(iso) {
    if (!iso) return '—';
    const d = new Date(iso);
    if (isNaN(d)) return iso;
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  }
  function fmtClock(iso) {
    const d = new Date(iso);
    const p = (n) => String(n).padStart(2, '0');
    return isNaN(d) ? iso : `${p(d.getHours())}:${p(d.getMinutes())}`;
  }
  function fmtDuration(seconds) {
    const s = Math.max(0, Math.round(seconds));
    const d = Math.floor(s / 86400);
    const hh = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    if (d > 0) return `${d}天${hh}小时`;
    if (hh > 0) return `${hh}小时${m}分`;
    if (m > 0) return `${m}分钟`;
    return `${s}秒`;
  }

  // ---- the token ----

  // "#token=…&as=…&/ticket/K7M3PX": keeps the token (and acting identity), then leaves only the route
  // in the address bar so the token does not linger in history or get copied along with the URL.
  function takeTokenFromFragment() {
    const hash = location.hash.replace(/^#/, '');
    if (!hash.startsWith('token=')) return;
    const parts = hash.split('&');
    let i = 0;
    for (; i < parts.length && !parts[i].startsWith('/'); i++) {
      const eq = parts[i].indexOf('=');
      const key = eq < 0 ? parts[i] : parts[i].slice(0, eq);
      const value = eq < 0 ? '' : decodeURIComponent(parts[i].slice(eq + 1));
      if (key === 'token' && value) sessionStorage.setItem(TOKEN_KEY, value);
      if (key === 'as' && value) sessionStorage.setItem(AS_KEY, value);
    }
    const route = parts.slice(i).join('&') || '/tickets';
    history.replaceState(null, '', location.pathname + location.search + '#' + route);
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  function showLogin(message) {
    stopLive();
    loginBox.hidden = false;
    view.hidden = true;
    const err = document.getElementById('login-error');
    err.hidden = !message;
    err.textContent = message || '';
    document.body.dataset.view = 'login';
    document.body.dataset.ready = '1';
    document.getElementById('token').focus();
  }

  // ---- the API ----

  class ApiError extends Error {
    constructor(status, message, field, silent) {
      super(message);
      this.status = status;
      this.field = field || '';
      this.silent = !!silent;
    }
  }

  // fetch with the token. JSON answers are parsed; errors become ApiError with the API's own sentence
  // (409: the refusal staff would get; 400: which field is wrong). 401 clears the token and asks again.
  async function api(path, options) {
    const opts = options || {};
    const headers = { Authorization: 'Bearer ' + token() };
    let body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    let res;
    try {
      res = await fetch(path, { method: opts.method || 'GET', headers, body, cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, '无法连接服务：' + e.message);
    }
    if (res.status === 401) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin('令牌无效或已失效，请重新输入。');
      throw new ApiError(401, '需要管理令牌', '', true);
    }
    if (opts.raw && res.ok) return res;
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (!res.ok) {
      const why = data && data.error ? data.error : text.trim() || res.statusText;
      const field = data && data.field ? data.field : '';
      throw new ApiError(res.status, why, field);
    }
    return data;
  }

  function errorBox(e, id) {
    const status = e.status ? `（${e.status}${e.field ? '，字段 ' + e.field : ''}）` : '';
    const what = e.status === 409 ? '操作被拒绝' : e.status === 400 ? '请求有误' : e.status === 404 ? '未找到' : '出错了';
    return h('div', { class: 'error', id: id || 'error', role: 'alert', dataset: { status: String(e.status || 0) } },
      `${what}${status}：${e.message}`);
  }

  // ---- the staff roster and "acting as" ----

  async function loadRoster() {
    if (!roster) {
      roster = await api('/api/v1/staff');
      fillActingAs();
    }
    return roster;
  }

  function allStaff() {
    const out = [];
    for (const c of (roster && roster.communities) || []) {
      for (const s of c.staff) out.push(Object.assign({ community: c.id, community_name: c.name }, s));
    }
    return out;
  }

  function rolesText(s) {
    return (s.roles || []).map((r) => ROLE[r] || r).join('、');
  }

  // Supervisors, project managers and customer service first: the people a console acts for.
  function managerRank(s) {
    const r = s.roles || [];
    if (r.includes('supervisor')) return 0;
    if (r.includes('pm')) return 1;
    if (r.includes('cs')) return 2;
    if (r.includes('quality')) return 3;
    return 4;
  }

  function fillActingAs() {
    const staff = allStaff().sort((a, b) => managerRank(a) - managerRank(b));
    const saved = sessionStorage.getItem(AS_KEY);
    const chosen = staff.find((s) => s.userid === saved) || staff[0];
    actingAs.replaceChildren();
    for (const c of (roster && roster.communities) || []) {
      const group = h('optgroup', { label: c.name || c.id });
      for (const s of staff.filter((x) => x.community === c.id)) {
        group.append(h('option', { value: s.userid, selected: s === chosen }, `${s.name}（${rolesText(s)}）`));
      }
      actingAs.append(group);
    }
    if (chosen) {
      actingAs.value = chosen.userid;
      sessionStorage.setItem(AS_KEY, chosen.userid);
    }
  }

  actingAs.addEventListener('change', () => sessionStorage.setItem(AS_KEY, actingAs.value));

  function communityName(id) {
    const c = ((roster && roster.communities) || []).find((x) => x.id === id);
    return c && c.name ? c.name : id;
  }

  function staffName(userid) {
    const s = allStaff().find((x) => x.userid === userid);
    return s ? s.name : userid;
  }

  // ---- routing ----

  function parseRoute() {
    const hash = location.hash.replace(/^#/, '') || '/tickets';
    const q = hash.indexOf('?');
    const path = q < 0 ? hash : hash.slice(0, q);
    const params = new URLSearchParams(q < 0 ? '' : hash.slice(q + 1));
    const parts = path.split('/').filter(Boolean);
    return { name: parts[0] || 'tickets', arg: parts[1] ? decodeURIComponent(parts[1]) : '', params };
  }

  function stopLive() {
    if (liveTimer !== null) {
      clearInterval(liveTimer);
      liveTimer = null;
    }
  }

  async function render() {
    stopLive();
    const seq = ++renderSeq;
    document.body.dataset.ready = '0';
    if (!token()) {
      showLogin();
      return;
    }
    loginBox.hidden = true;
    view.hidden = false;
    const route = parseRoute();
    document.body.dataset.view = route.name;
    for (const a of document.querySelectorAll('#nav a')) {
      a.classList.toggle('active', a.dataset.nav === route.name || (a.dataset.nav === 'tickets' && route.name === 'ticket'));
    }
    const page = h('div', { class: 'page' });
    try {
      await loadRoster();
      if (seq !== renderSeq) return;
      if (route.name === 'tickets') await renderTickets(page, route, seq);
      else if (route.name === 'ticket') await renderTicket(page, route, seq);
      else if (route.name === 'live') await renderLive(page, route, seq);
      else if (route.name === 'report') await renderReport(page, route, seq);
      else append(page, [h('h1', {}, '页面不存在'), h('p', {}, h('a', { href: '#/tickets' }, '返回工单列表'))]);
    } catch (e) {
      if (e.silent || seq !== renderSeq) return;
      append(page, [errorBox(e)]);
    }
    if (seq !== renderSeq) return;
    if (!page.parentNode) replace(view, page);
    document.body.dataset.ready = '1';
  }

  // ---- #/tickets ----

  const FILTER_KEYS = ['status', 'urgency', 'department', 'building', 'overdue', 'sla', 'nature', 'community'];

  function ticketsHash(params) {
    const q = new URLSearchParams();
    for (const [k, v] of params) if (v) q.set(k, v);
    const s = q.toString();
    return '#/tickets' + (s ? '?' + s : '');
  }

  async function renderTickets(page, route, seq) {
    const p = route.params;
    const query = new URLSearchParams();
    for (const k of FILTER_KEYS.concat(['after', 'assignee'])) if (p.get(k)) query.set(k, p.get(k));
    query.set('limit', p.get('limit') || String(PAGE_SIZE));
    const data = await api('/api/v1/tickets?' + query.toString());
    if (seq !== renderSeq) return;

    const communities = ((roster && roster.communities) || []).map((c) => [c.id, c.name || c.id]);
    const form = h('form', { class: 'filters', id: 'filters' },
      h('label', {}, '状态', select('status', [['', '全部'], ['open', '未完成（处理中）'], ['active', '进行中（含待确认）'],
        ...Object.entries(STATUS)], p.get('status') || '')),
      h('label', {}, '紧急度', select('urgency', [['', '全部'], ...Object.entries(URGENCY)], p.get('urgency') || '')),
      h('label', {}, '性质', select('nature', [['', '全部'], ...Object.entries(NATURE)], p.get('nature') || '')),
      h('label', {}, '部门', select('department', [['', '全部'], ...Object.entries(DEPARTMENT)], p.get('department') || '')),
      h('label', {}, '楼栋', h('input', { name: 'building', id: 'f-building', value: p.get('building') || '', placeholder: '如 3' })),
      h('label', {}, '超时', select('overdue', [['', '全部'], ['true', '仅超时'], ['false', '未超时']], p.get('overdue') || '')),
      h('label', {}, 'SLA', select('sla', [['', '全部'], ...Object.entries(SLA)], p.get('sla') || '')),
      communities.length > 1
        ? h('label', {}, '小区', select('community', [['', '全部'], ...communities], p.get('community') || ''))
        : null,
      h('button', { type: 'submit', class: 'primary' }, '筛选'),
      h('a', { href: '#/tickets', id: 'clear-filters' }, '清除'));
    const apply = (ev) => {
      if (ev) ev.preventDefault();
      const fd = new FormData(form);
      location.hash = ticketsHash(FILTER_KEYS.map((k) => [k, (fd.get(k) || '').toString().trim()]));
    };
    form.addEventListener('submit', apply);
    for (const s of form.querySelectorAll('select')) s.addEventListener('change', apply);

    const tickets = data.tickets || [];
    const here = FILTER_KEYS.map((k) => [k, p.get(k) || '']);
    const pager = h('span', { class: 'pager' },
      p.get('after') ? h('a', { href: ticketsHash(here), id: 'first-page' }, '« 第一页') : null,
      data.next !== null && data.next !== undefined
        ? h('a', { href: ticketsHash(here.concat([['after', String(data.next)]])), id: 'next-page' }, '下一页 »')
        : null);
    append(page, [
      h('h1', {}, '工单'),
      form,
      h('div', { class: 'bar' }, h('span', { class: 'count', id: 'ticket-count' }, `本页 ${tickets.length} 条`), pager),
    ]);
    if (tickets.length === 0) {
      append(page, [h('div', { class: 'empty', id: 'no-tickets' }, '没有符合条件的工单')]);
      return;
    }
    const rows = tickets.map((t) => {
      const open = () => { location.hash = '#/ticket/' + t.code; };
      return h('tr', { class: 'row', dataset: { code: t.code, urgency: t.urgency, status: t.status, sla: t.sla || 'none' }, onclick: open },
        h('td', { class: 'code', 'data-label': '工单号' }, h('a', { href: '#/ticket/' + t.code }, t.code)),
        h('td', { 'data-label': '紧急度' }, urgencyBadge(t.urgency)),
        h('td', { class: 'category', 'data-label': '类别' }, t.category_label || t.category),
        h('td', { 'data-label': '楼栋/房号' }, t.room && t.room.display ? t.room.display : '—'),
        h('td', { 'data-label': '部门' }, DEPARTMENT[t.department] || t.department || '—'),
        h('td', { 'data-label': '处理人' }, t.assignee_name || h('span', { class: 'muted' }, '未接单')),
        h('td', { 'data-label': '状态' }, statusBadge(t.status, STATUS[t.status])),
        h('td', { 'data-label': '创建' }, fmtTime(t.created_at)),
        h('td', { 'data-label': 'SLA' }, slaBadge(t.sla)));
    });
    append(page, [h('table', { class: 'stack', id: 'tickets' },
      h('thead', {}, h('tr', {}, ['工单号', '紧急度', '类别', '楼栋/房号', '部门', '处理人', '状态', '创建时间', 'SLA'].map((c) => h('th', {}, c)))),
      h('tbody', {}, rows))]);
  }

  // ---- #/ticket/CODE ----

  function actorText(e) {
    if (e.actor === 'system') return '系统';
    if (e.actor && e.actor.startsWith('resident:')) return e.actor_name ? `业主 ${e.actor_name}` : '业主';
    return e.actor_name || e.actor || '—';
  }

  function eventDetails(e, milestoneLabels) {
    const d = e.data || {};
    switch (e.kind) {
      case 'transfer':
        return `${d.from_name || '未分配'} → ${d.to_name || d.to || ''}`;
      case 'escalate':
        return ESCALATION[d.level] || (d.level ? `升级至第 ${d.level} 级` : '');
      case 'rate':
        return `${SATISFACTION[d.satisfaction] || d.satisfaction || ''}${d.score ? `（${d.score} 分）` : ''}`;
      case 'sla_warning':
      case 'sla_missed':
        return d.milestone ? `节点：${milestoneLabels[d.milestone] || d.milestone}` : '';
      case 'delivery_failed':
        return d.error || d.channel ? `${CHANNEL[d.channel] || d.channel || ''} ${d.error || ''}`.trim() : '';
      default:
        return '';
    }
  }

  function timelineEntries(t) {
    const labels = {};
    for (const m of t.milestones || []) labels[m.name] = m.label;
    const items = [];
    (t.events || []).forEach((e, i) => {
      items.push({ at: e.at, order: i, node: h('li', { class: 'ev ev-' + e.kind, dataset: { kind: e.kind, actor: e.actor_name || e.actor || '' } },
        h('div', { class: 'tl-head' },
          h('span', { class: 'tl-kind' }, eventLabel(e.kind)),
          h('span', { class: 'tl-actor' }, actorText(e)),
          h('span', { class: 'tl-time' }, fmtTime(e.at))),
        e.text ? h('div', { class: 'tl-text' }, e.text) : null,
        eventDetails(e, labels) ? h('div', { class: 'tl-extra' }, eventDetails(e, labels)) : null) });
    });
    (t.messages || []).forEach((m, i) => {
      const body = (m.text || m.markdown || '').replace(/\*\*/g, '');  // markdown bold, as shown in WeCom
      items.push({ at: m.created_at, order: 100000 + i, node: h('li', { class: 'msg', dataset: { kind: 'message', channel: m.channel, state: m.state } },
        h('div', { class: 'tl-head' },
          h('span', { class: 'tl-kind' }, `消息 → ${m.to || m.target}`),
          h('span', { class: 'tl-actor' }, CHANNEL[m.channel] || m.channel),
          h('span', { class: 'tl-time' }, fmtTime(m.created_at)),
          badge(m.state === 'sent' ? 'sla-on_track' : m.state === 'failed' ? 'sla-overdue' : 'sla-warning',
            (MESSAGE_STATE[m.state] || m.state) + (m.sent_at ? ' ' + fmtClock(m.sent_at) : ''))),
        body ? h('div', { class: 'tl-text' }, body) : null,
        m.last_error ? h('div', { class: 'tl-extra' }, `尝试 ${m.attempts} 次：${m.last_error}`) : null) });
    });
    items.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
    return items.map((x) => x.node);
  }

  function milestonesTable(t) {
    const ms = t.milestones || [];
    if (ms.length === 0) return h('p', { class: 'muted', id: 'milestones' }, '没有 SLA 节点');
    return h('table', { class: 'stack', id: 'milestones' },
      h('thead', {}, h('tr', {}, ['节点', '截止', '完成', '状态'].map((c) => h('th', {}, c)))),
      h('tbody', {}, ms.map((m) => h('tr', { dataset: { milestone: m.name, state: m.state } },
        h('td', { 'data-label': '节点' }, m.label || m.name),
        h('td', { 'data-label': '截止' }, fmtTime(m.due)),
        h('td', { 'data-label': '完成' }, m.met_at ? fmtTime(m.met_at) : m.missed_at ? `超时于 ${fmtTime(m.missed_at)}` : '—'),
        h('td', { 'data-label': '状态' }, badge(m.state === 'met' ? 'sla-on_track' : m.state === 'pending' ? 'st' : m.state === 'met_late' ? 'sla-warning' : 'sla-overdue',
          MILESTONE_STATE[m.state] || m.state, { state: m.state }))))));
  }

  function rectificationsBlock(t) {
    const rs = t.rectifications || [];
    if (rs.length === 0) return h('p', { class: 'muted', id: 'rectifications' }, '没有整改单');
    return h('ul', { id: 'rectifications' }, rs.map((r) => h('li', { dataset: { reason: r.reason } },
      h('div', {}, `${DEPARTMENT[r.department] || r.department}：${r.detail}`),
      h('div', { class: 'muted' }, `开具 ${fmtTime(r.created_at)}，应于 ${fmtTime(r.due)} 前回复`),
      r.answered_at ? h('div', {}, `已回复（${staffName(r.answered_by)}，${fmtTime(r.answered_at)}）：${r.answer}`) : h('div', { class: 'error' }, '尚未回复'))));
  }

  function actionsPanel(t) {
    const errorSlot = h('div', { id: 'action-error-slot' });
    const run = async (form, body) => {
      const buttons = form.querySelectorAll('button');
      buttons.forEach((b) => { b.disabled = true; });
      errorSlot.replaceChildren();
      try {
        await api('/api/v1/tickets/' + encodeURIComponent(t.code) + '/actions', { method: 'POST', json: Object.assign({ as: actingAs.value }, body) });
        await render();
      } catch (e) {
        if (!e.silent) errorSlot.append(errorBox(e, 'action-error'));
        buttons.forEach((b) => { b.disabled = false; });
      }
    };
    const community = ((roster && roster.communities) || []).find((c) => c.id === t.community);
    const people = (community ? community.staff : allStaff()).filter((s) => s.userid !== t.assignee);
    const transfer = h('form', { id: 'act-transfer' },
      h('label', { for: 'transfer-to' }, '转派给'),
      h('div', { class: 'row2' },
        h('select', { id: 'transfer-to', name: 'to' }, people.map((s) => h('option', { value: s.userid }, `${s.name}（${rolesText(s)}）`))),
        h('button', { type: 'submit' }, '转派')));
    transfer.addEventListener('submit', (ev) => { ev.preventDefault(); run(transfer, { action: 'transfer', to: transfer.elements.to.value }); });
    const escalate = h('form', { id: 'act-escalate' },
      h('label', { for: 'escalate-reason' }, `升级（当前：${ESCALATION[t.escalation] || t.escalation}）`),
      h('div', { class: 'row2' },
        h('input', { id: 'escalate-reason', name: 'text', placeholder: '升级原因' }),
        h('button', { type: 'submit', class: 'danger' }, '升级')));
    escalate.addEventListener('submit', (ev) => { ev.preventDefault(); run(escalate, { action: 'escalate', text: escalate.elements.text.value.trim() }); });
    const close = h('form', { id: 'act-close' },
      h('label', { for: 'close-text' }, '办结'),
      h('div', { class: 'row2' },
        h('input', { id: 'close-text', name: 'text', placeholder: '办结说明（可选）' }),
        h('button', { type: 'submit' }, '办结工单')));
    close.addEventListener('submit', (ev) => { ev.preventDefault(); run(close, { action: 'close', text: close.elements.text.value.trim() }); });
    const note = h('form', { id: 'act-note' },
      h('label', { for: 'note-text' }, '内部备注（业主看不到）'),
      h('textarea', { id: 'note-text', name: 'text', placeholder: '例如：已电话联系业主，约明早九点上门' }),
      h('div', {}, h('button', { type: 'submit', class: 'primary' }, '添加备注')));
    note.addEventListener('submit', (ev) => { ev.preventDefault(); run(note, { action: 'note', text: note.elements.text.value.trim() }); });
    return h('div', { class: 'card actions', id: 'actions' },
      h('h3', {}, '主管操作'),
      h('p', { class: 'muted' }, '以右上角「操作身份」中的员工名义执行。'),
      errorSlot, transfer, escalate, close, note);
  }

  async function renderTicket(page, route, seq) {
    const code = route.arg.toUpperCase();
    const t = await api('/api/v1/tickets/' + encodeURIComponent(code));
    if (seq !== renderSeq) return;
    const room = t.room && t.room.display ? t.room.display : '—';
    const facts = [
      ['小区', communityName(t.community)],
      ['房号', room],
      ['业主', [t.resident_name, t.resident_phone].filter(Boolean).join(' ') || '—'],
      ['来源', CHANNEL[t.channel] || t.channel],
      ['性质', NATURE[t.nature] || t.nature],
      ['责任部门', DEPARTMENT[t.department] || t.department],
      ['处理人', t.assignee_name || '未接单'],
      ['首问负责人', t.first_responder ? staffName(t.first_responder) : '—'],
      ['升级', ESCALATION[t.escalation] || String(t.escalation)],
      ['登记时间', fmtTime(t.created_at)],
      ['最近更新', fmtTime(t.updated_at)],
      ['接单期限', fmtTime(t.deadlines && t.deadlines.claim)],
      ['到场期限', fmtTime(t.deadlines && t.deadlines.on_site)],
      ['方案期限', fmtTime(t.deadlines && t.deadlines.plan)],
      ['确认期限', fmtTime(t.deadlines && t.deadlines.confirm)],
      ['满意度', (SATISFACTION[t.satisfaction] || t.satisfaction) + (t.score ? `（${t.score} 分）` : '') + (t.key_review ? ' · 重点复盘' : '') + (t.auto_closed ? ' · 超时自动办结' : '')],
    ];
    if (t.group) facts.push(['群体投诉', `${t.households} 户`]);
    if (t.parent) facts.push(['所属群体投诉', h('a', { href: '#/ticket/' + t.parent }, t.parent)]);
    append(page, [
      h('p', {}, h('a', { href: '#/tickets', id: 'back' }, '« 工单列表')),
      h('div', { class: 'ticket-head', id: 'ticket', dataset: { code: t.code, status: t.status, escalation: String(t.escalation) } },
        h('h1', {}, t.code),
        h('span', { class: 'cat', id: 'ticket-category' }, t.category_label || t.category),
        urgencyBadge(t.urgency), statusBadge(t.status, t.status_label),
        t.escalation ? badge('sla-overdue', ESCALATION[t.escalation] || '已升级', { escalation: String(t.escalation) }) : null),
      h('div', { class: 'grid' },
        h('div', {},
          h('div', { class: 'card' },
            h('h3', {}, '投诉内容'),
            h('p', { class: 'desc', id: 'description' }, t.description || '—'),
            t.expectation ? h('p', {}, h('span', { class: 'muted' }, '期望：'), t.expectation) : null,
            t.last_progress ? h('p', {}, h('span', { class: 'muted' }, '最新进展：'), t.last_progress) : null),
          h('h2', {}, '处理经过'),
          h('ol', { class: 'timeline', id: 'timeline' }, timelineEntries(t)),
          h('h2', {}, 'SLA 节点'),
          milestonesTable(t),
          h('h2', {}, '整改单'),
          rectificationsBlock(t)),
        h('div', {},
          h('div', { class: 'card' }, h('h3', {}, '工单信息'),
            h('dl', { class: 'facts', id: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]))),
          h('div', { style: 'height: 1rem' }),
          actionsPanel(t))),
    ]);
  }

  // ---- #/live ----

  function liveMatrix(data) {
    const states = ['on_track', 'warning', 'overdue'];
    const cell = (n, attrs) => h('td', Object.assign({ class: 'num' + (n ? '' : ' zero') }, attrs), String(n || 0));
    const rows = ['emergency', 'normal', 'difficult'].map((u) => {
      const c = (data.counts && data.counts[u]) || {};
      return h('tr', { dataset: { urgency: u } },
        h('td', { 'data-label': '紧急度' }, urgencyBadge(u)),
        states.map((s) => cell(c[s], { id: `live-${u}-${s}`, 'data-label': SLA[s], dataset: { urgency: u, sla: s } })),
        cell(c.total, { id: `live-${u}-total`, 'data-label': '合计' }));
    });
    const t = data.totals || {};
    rows.push(h('tr', { dataset: { urgency: 'all' } },
      h('td', { 'data-label': '紧急度' }, h('b', {}, '合计')),
      states.map((s) => cell(t[s], { id: `live-all-${s}`, 'data-label': SLA[s] })),
      cell(t.open, { id: 'live-all-total', 'data-label': '合计' })));
    return h('table', { class: 'matrix stack', id: 'live-matrix' },
      h('thead', {}, h('tr', {}, h('th', {}, '未完成工单'), states.map((s) => h('th', { class: 'num' }, SLA[s])), h('th', { class: 'num' }, '合计'))),
      h('tbody', {}, rows));
  }

  function drawLive(box, data) {
    const emergencies = data.unclaimed_emergencies || [];
    const overdue = data.overdue || [];
    const claims = data.claims_today || [];
    const link = (code) => h('a', { href: '#/ticket/' + code }, code);
    replace(box,
      emergencies.length
        ? h('section', { class: 'alarm', id: 'unclaimed', dataset: { count: String(emergencies.length) } },
          h('h2', {}, `未接单的紧急工单：${emergencies.length}`),
          h('ul', {}, emergencies.map((t) => h('li', { dataset: { code: t.code } },
            link(t.code), ` ${t.category_label} · ${t.room} · ${DEPARTMENT[t.department] || t.department} · 已等待 ${fmtDuration(t.waiting_s)}`))))
        : null,
      liveMatrix(data),
      h('div', { class: 'two' },
        h('section', {},
          h('h2', {}, `超时工单（${overdue.length}）`),
          overdue.length
            ? h('table', { class: 'stack', id: 'live-overdue' },
              h('thead', {}, h('tr', {}, ['工单号', '紧急度', '类别', '房号', '已超时', '处理人'].map((c) => h('th', {}, c)))),
              h('tbody', {}, overdue.map((t) => h('tr', { dataset: { code: t.code } },
                h('td', { class: 'code', 'data-label': '工单号' }, link(t.code)),
                h('td', { 'data-label': '紧急度' }, urgencyBadge(t.urgency)),
                h('td', { 'data-label': '类别' }, t.category_label),
                h('td', { 'data-label': '房号' }, t.room),
                h('td', { 'data-label': '已超时', class: 'overdue-for' }, fmtDuration(t.overdue_s)),
                h('td', { 'data-label': '处理人' }, t.assignee_name || `${DEPARTMENT[t.department] || t.department}（未接单）`)))))
            : h('div', { class: 'empty', id: 'live-overdue' }, '没有超时工单')),
        h('section', {},
          h('h2', {}, `今日接单（${claims.length}）`),
          claims.length
            ? h('table', { class: 'stack', id: 'live-claims' },
              h('thead', {}, h('tr', {}, ['时间', '工单号', '类别', '房号', '接单人'].map((c) => h('th', {}, c)))),
              h('tbody', {}, claims.map((c) => h('tr', { dataset: { code: c.code } },
                h('td', { 'data-label': '时间' }, fmtClock(c.claimed_at)),
                h('td', { class: 'code', 'data-label': '工单号' }, link(c.code)),
                h('td', { 'data-label': '类别' }, c.category_label),
                h('td', { 'data-label': '房号' }, c.room),
                h('td', { 'data-label': '接单人', class: 'claimed-by' }, c.claimed_by_name)))))
            : h('div', { class: 'empty', id: 'live-claims' }, '今天还没有接单'))));
  }

  async function renderLive(page, route, seq) {
    const community = route.params.get('community') || '';
    const path = '/api/v1/live' + (community ? '?community=' + encodeURIComponent(community) : '');
    const box = h('div', { id: 'live' });
    const updated = h('span', { class: 'updated', id: 'live-updated' });
    const errorSlot = h('div', {});
    let loads = 0;
    const load = async () => {
      const data = await api(path);
      if (seq !== renderSeq) return;
      drawLive(box, data);
      errorSlot.replaceChildren();
      loads += 1;
      updated.dataset.loads = String(loads);
      updated.textContent = `更新于 ${new Date().toLocaleTimeString('zh-CN', { hour12: false })} · 每 5 秒自动刷新`;
    };
    const communities = ((roster && roster.communities) || []).map((c) => [c.id, c.name || c.id]);
    const picker = communities.length > 1 ? select('community', [['', '全部小区'], ...communities], community) : null;
    if (picker) picker.addEventListener('change', () => { location.hash = '#/live' + (picker.value ? '?community=' + encodeURIComponent(picker.value) : ''); });
    append(page, [h('div', { class: 'live-top' }, h('h1', {}, '实时看板'), picker, updated), errorSlot, box]);
    await load();
    if (seq !== renderSeq) return;
    liveTimer = setInterval(() => {
      load().catch((e) => {
        if (!e.silent) replace(errorSlot, errorBox(e, 'live-error'));
      });
    }, LIVE_REFRESH_MS);
  }

  // ---- #/report ----

  function lastMonth() {
    const d = new Date();
    d.setDate(1);
    d.setMonth(d.getMonth() - 1);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
  }

  function reportPath(month, community, format) {
    const q = new URLSearchParams({ month, format });
    if (community) q.set('community', community);
    return '/api/v1/reports/monthly?' + q.toString();
  }

  // The report's JSON or CSV as a download: fetched with the token (a plain link could not send it).
  async function download(month, community, format, errorSlot) {
    try {
      const res = await api(reportPath(month, community, format), { raw: true });
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = h('a', { href: url, download: `anju-report-${month}${community ? '-' + community : ''}.${format}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      if (!e.silent) replace(errorSlot, errorBox(e, 'report-error'));
    }
  }

  async function renderReport(page, route, seq) {
    const month = /^\d{4}-\d{2}$/.test(route.params.get('month') || '') ? route.params.get('month') : lastMonth();
    const community = route.params.get('community') || '';
    const communities = ((roster && roster.communities) || []).map((c) => [c.id, c.name || c.id]);
    const monthInput = h('input', { type: 'month', id: 'report-month', value: month });
    const picker = communities.length > 1 ? select('community', [['', '全部小区'], ...communities], community) : null;
    const go = () => {
      const q = new URLSearchParams({ month: monthInput.value || month });
      if (picker && picker.value) q.set('community', picker.value);
      location.hash = '#/report?' + q.toString();
    };
    monthInput.addEventListener('change', go);
    if (picker) picker.addEventListener('change', go);
    const errorSlot = h('div', { id: 'report-error-slot' });
    const frame = h('iframe', { class: 'report', id: 'report-frame', title: `${month} 投诉分析报告`, sandbox: '' });
    append(page, [
      h('h1', {}, '月度投诉分析报告'),
      h('div', { class: 'report-bar' },
        h('label', { for: 'report-month' }, '月份'), monthInput, picker,
        h('button', { type: 'button', id: 'download-json', onclick: () => download(month, community, 'json', errorSlot) }, '下载 JSON'),
        h('button', { type: 'button', id: 'download-csv', onclick: () => download(month, community, 'csv', errorSlot) }, '下载 CSV')),
      errorSlot,
    ]);
    try {
      const res = await api(reportPath(month, community, 'html'), { raw: true });
      const html = await res.text();
      if (seq !== renderSeq) return;
      frame.srcdoc = html;
      frame.dataset.month = month;
      append(page, [frame]);
    } catch (e) {
      if (e.silent) throw e;
      append(errorSlot, [errorBox(e, 'report-error')]);
    }
  }

  // ---- start ----

  document.getElementById('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const value = document.getElementById('token').value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    document.getElementById('token').value = '';
    roster = null;
    render();
  });
  document.getElementById('logout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    roster = null;
    actingAs.replaceChildren();
    showLogin();
  });
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#token=')) takeTokenFromFragment();
    render();
  });

  takeTokenFromFragment();
  render();
})();
