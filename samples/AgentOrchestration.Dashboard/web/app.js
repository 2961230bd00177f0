// The live board: one snapshot from /api/snapshot, then the stream /api/stream (server-sent events): log events
// (with ids, so a reconnecting browser resumes with Last-Event-ID), fresh snapshots pushed by the server after changes,
// and keep-alives. Every value is put into the page with textContent or SVG attributes, never parsed as HTML.
'use strict';

(() => {
  const SVG = 'http://www.w3.org/2000/svg';
  const STALE_STREAM_MS = 15000; // three missed keep-alives: the connection is dead even if the socket says otherwise
  const MAX_EVENTS = 150;
  const MAX_RETRY_MS = 5000;
  const COLUMNS = ['todo', 'in_progress', 'in_review', 'blocked', 'done', 'cancelled'];

  const pinnedProject = new URLSearchParams(location.search).get('project');
  let snapshot = null;
  let receivedAt = 0;          // performance.now() when the snapshot arrived: ages tick from there
  let lastSequence = null;     // the last log event seen: where a new connection resumes
  let source = null;
  let lastMessageAt = 0;
  let retryDelay = 1000;
  let retryTimer = null;     // the pending reconnect, if any
  let selectedSprint = null;
  const events = [];
  const seen = new Set();

  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attributes, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attributes || {})) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function badge(value, kind) {
    const span = el('span', `badge badge-${kind || 'plain'} v-${String(value).replace(/[^a-z_]/g, '')}`, label(value));
    return span;
  }

  const label = (value) => value === null || value === undefined ? '-' : String(value).replace(/_/g, ' ');
  const hours = (value) => Number(value || 0).toFixed(1);

  function age(seconds) {
    if (seconds === null || seconds === undefined) return '-';
    const s = Math.max(0, Math.floor(seconds));
    if (s < 60) return `${s}s`;
    if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
    return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  }

  const elapsed = () => (performance.now() - receivedAt) / 1000;
  const serverNow = () => snapshot ? new Date(snapshot.takenAt).getTime() + elapsed() * 1000 : Date.now();
  const time = (iso) => iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '-';

  function row(cells) {
    const tr = document.createElement('tr');
    for (const cell of cells) {
      const td = document.createElement('td');
      if (cell && typeof cell === 'object' && 'node' in cell) {
        td.append(cell.node);
        if (cell.className) td.className = cell.className;
      } else if (cell instanceof Node) {
        td.append(cell);
      } else {
        td.textContent = cell === null || cell === undefined ? '-' : String(cell);
      }
      tr.append(td);
    }
    return tr;
  }

  const num = (value) => ({ node: document.createTextNode(String(value)), className: 'num' });

  function fill(tableId, rows, empty) {
    const body = $(tableId).tBodies[0];
    const columns = $(tableId).tHead.rows[0].cells.length;
    body.replaceChildren(...rows);
    if (rows.length === 0) {
      const tr = document.createElement('tr');
      const td = el('td', 'empty', empty);
      td.colSpan = columns;
      tr.append(td);
      body.append(tr);
    }
  }

  // ---- connection state -------------------------------------------------------------------------------------------

  function setConnection(state, text) {
    const node = $('connection');
    node.dataset.state = state;
    node.className = `badge badge-${state === 'live' ? 'ok' : state === 'reconnecting' ? 'warn' : 'wait'}`;
    node.textContent = text || state;
    document.body.classList.toggle('is-reconnecting', state === 'reconnecting');
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (source) source.close();
    const query = new URLSearchParams();
    if (snapshot && snapshot.project) query.set('project', snapshot.project.id);
    if (lastSequence !== null) query.set('after', String(lastSequence));
    source = new EventSource(`/api/stream?${query}`);
    lastMessageAt = performance.now();
    source.onopen = () => { retryDelay = 1000; setConnection('live'); lastMessageAt = performance.now(); };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // The server refused (e.g. 503 while the database is not ready): retry ourselves, backing off.
        scheduleReconnect();
      } else {
        setConnection('reconnecting', 'reconnecting…');
      }
    };
    source.addEventListener('orchestration', (m) => { touch(); onEvent(JSON.parse(m.data), m.lastEventId); });
    // A page without a project yet streams everything; once a project exists it starts over on that project.
    source.addEventListener('snapshot', (m) => { touch(); if (snapshot) onSnapshot(JSON.parse(m.data)); else start(); });
    source.addEventListener('project', (m) => { touch(); if (!pinnedProject) start(); });
    source.addEventListener('keepalive', () => touch());
  }

  function touch() {
    lastMessageAt = performance.now();
    if ($('connection').dataset.state !== 'live') setConnection('live');
  }

  function scheduleReconnect() {
    if (source) source.close();
    setConnection('reconnecting', 'reconnecting…');
    if (retryTimer !== null) return; // one retry at a time: a later call must not push it back
    retryTimer = setTimeout(() => { retryTimer = null; connect(); }, retryDelay);
    retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
  }

  // ---- data -------------------------------------------------------------------------------------------------------

  async function start() {
    try {
      const query = pinnedProject ? `?project=${encodeURIComponent(pinnedProject)}` : '';
      const response = await fetch(`/api/snapshot${query}`, { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error(`snapshot: HTTP ${response.status}`);
      const data = await response.json();
      events.length = 0;
      seen.clear();
      lastSequence = data.cursor;
      snapshot = null; // the page may be switching to a newer project
      $('last-event').textContent = data.cursor ? `up to event #${data.cursor}` : 'no events yet';
      onSnapshot(data);
      for (const e of (data.recentEvents || []).slice().reverse()) addEvent(e);
      renderEvents();
      connect();
    } catch (error) {
      setConnection('reconnecting', 'waiting for the server…');
      $('project-name').textContent = String(error.message || error);
      clearTimeout(retryTimer);
      retryTimer = setTimeout(() => { retryTimer = null; start(); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, MAX_RETRY_MS);
    }
  }

  function onSnapshot(data) {
    if (!data.project) {
      snapshot = null;
      $('project-name').textContent = 'No project in this database yet: start the console sample.';
      return;
    }

    if (snapshot && snapshot.project && data.project.id !== snapshot.project.id) return;
    snapshot = data;
    receivedAt = performance.now();
    render();
  }

  function addEvent(e) {
    if (seen.has(e.sequence)) return false;
    seen.add(e.sequence);
    events.unshift(e);
    if (events.length > MAX_EVENTS) seen.delete(events.pop().sequence);
    return true;
  }

  function onEvent(e, id) {
    if (id) lastSequence = Number(id);
    if (!snapshot && e.projectId) { start(); return; }
    if (addEvent(e)) renderEvents();
    $('last-event').textContent = `event #${e.sequence} · ${time(e.occurredAt)}`;
  }

  // ---- rendering --------------------------------------------------------------------------------------------------

  function render() {
    const s = snapshot;
    document.title = `${s.project.name} · AgentOrchestration live board`;
    $('project-name').textContent = `${s.project.name} (${s.project.key})`;
    renderPicker(s);
    renderSummary(s);
    renderAgents(s);
    renderSessions();
    renderChart(s);
    renderBoard(s);
    renderLocks();
    renderAttention(s);
    renderQa(s);
    renderBacklog(s);
  }

  function renderPicker(s) {
    const picker = $('project-picker');
    picker.replaceChildren(...s.projects.map((p) => {
      const option = el('option', null, `${p.name} (${p.key})`);
      option.value = p.id;
      option.selected = p.id === s.project.id;
      return option;
    }));
  }

  function renderSummary(s) {
    const count = (status) => s.workByStatus.filter((w) => w.status === status).reduce((n, w) => n + w.count, 0);
    const total = s.workByStatus.reduce((n, w) => n + w.count, 0);
    const qa = s.qaPassRates.reduce((a, q) => ({ total: a.total + q.total, ok: a.ok + q.passed + q.warnings }), { total: 0, ok: 0 });
    const live = s.sessions.filter((x) => x.status === 'active' || x.status === 'paused').length;
    const cards = [
      ['Done', `${count('done')} / ${total}`, total ? (count('done') / total) : 0],
      ['In progress', count('in_progress') + count('in_review'), null],
      ['Blocked', count('blocked'), null],
      ['Live sessions', live, null],
      ['File locks', s.locks.length, null],
      ['QA pass rate', qa.total ? `${Math.round((qa.ok / qa.total) * 100)}%` : '-', qa.total ? qa.ok / qa.total : null],
    ];
    $('summary').replaceChildren(...cards.map(([name, value, share]) => {
      const card = el('div', 'card');
      card.append(el('div', 'card-label', name), el('div', 'card-value', value));
      if (share !== null) {
        const bar = el('div', 'meter');
        const fillBar = el('div', 'meter-fill');
        fillBar.style.width = `${Math.round(share * 100)}%`;
        bar.append(fillBar);
        card.append(bar);
      }
      return card;
    }));
  }

  function renderAgents(s) {
    fill('agents', s.agents.map((a) => {
      const who = el('div', 'who');
      who.append(el('strong', null, a.slug), el('span', 'muted', a.name));
      return row([who, a.type, badge(a.status, 'state'), num(`${a.activeAssignments} / ${a.maxConcurrentTasks}`), num(hours(a.estimatedHours))]);
    }), 'No agent works on this project yet.');
  }

  function renderSessions() {
    if (!snapshot) return;
    const tick = elapsed();
    fill('sessions', snapshot.sessions.map((x) => {
      const live = x.heartbeatAgeSeconds !== null && x.heartbeatAgeSeconds !== undefined;
      const heartbeat = live ? age(x.heartbeatAgeSeconds + tick) : `ended ${time(x.endTime)}`;
      const hb = el('span', live && x.heartbeatAgeSeconds + tick > 10 ? 'late' : null, heartbeat);
      const risk = el('span', `risk risk-${Math.min(5, Math.max(0, x.riskLevel))}`, x.riskLevel);
      return row([x.agentSlug || x.sessionId, label(x.agentType), badge(x.status, 'state'), x.currentAction || '-', x.taskTitle || '-',
        { node: hb, className: 'num' }, badge(x.oversightLevel, 'oversight'), { node: risk, className: 'num' }]);
    }), 'No sessions in this project.');
  }

  function renderChart(s) {
    const box = $('sprint-chart');
    if (s.sprints.length === 0) {
      box.replaceChildren(el('p', 'empty', 'No sprints planned yet.'));
      return;
    }

    const width = 560, height = 230, left = 44, bottom = 48, top = 16;
    const top0 = Math.max(1, ...s.sprints.flatMap((p) => [Number(p.estimatedHours), Number(p.actualHours)]));
    // A round axis maximum (1, 2, 2.5 or 5 times a power of ten, times 4 ticks), so the tick labels are whole numbers.
    const step = [1, 2, 2.5, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(top0 / 4))).find((m) => m * 4 >= top0) || top0 / 4;
    const max = step * 4;
    const scale = (v) => (Number(v) / max) * (height - top - bottom);
    const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Estimated and actual hours per sprint' });
    for (let i = 0; i <= 4; i++) {
      const y = height - bottom - ((height - top - bottom) * i) / 4;
      chart.append(svg('line', { x1: left, x2: width - 8, y1: y, y2: y, class: 'grid-line' }));
      chart.append(svg('text', { x: left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, String(+(step * i).toFixed(2))));
    }

    const slot = (width - left - 8) / s.sprints.length;
    const bar = Math.min(34, slot / 3.2);
    s.sprints.forEach((p, i) => {
      const x = left + i * slot + slot / 2;
      const bars = [['estimated', p.estimatedHours], ['done', p.doneEstimatedHours], ['actual', p.actualHours]];
      bars.forEach(([kind, value], j) => {
        const h = scale(value);
        const left0 = x + (j - 1.5) * bar;
        const rect = svg('rect', { x: left0, y: height - bottom - h, width: bar - 3, height: Math.max(h, 0.5), rx: 3, class: `bar bar-${kind}` });
        rect.append(svg('title', {}, `${p.name}: ${kind} ${hours(value)} h`));
        chart.append(rect);
        chart.append(svg('text', { x: left0 + (bar - 3) / 2, y: height - bottom - h - 4, class: 'value', 'text-anchor': 'middle' }, hours(value)));
      });
      chart.append(svg('text', { x, y: height - bottom + 16, class: 'axis name', 'text-anchor': 'middle' }, p.name));
      chart.append(svg('text', { x, y: height - bottom + 31, class: 'axis', 'text-anchor': 'middle' }, `${label(p.status)} · ${p.doneItems}/${p.totalItems} done`));
    });

    const legend = el('div', 'legend');
    for (const [kind, text] of [['estimated', 'estimated'], ['done', 'estimated, done'], ['actual', 'actual']]) {
      const item = el('span', 'legend-item');
      item.append(el('i', `swatch bar-${kind}`), document.createTextNode(text));
      legend.append(item);
    }

    box.replaceChildren(chart, legend);
  }

  function renderBoard(s) {
    const tabs = $('sprint-tabs');
    const options = [{ id: 'all', name: 'All work' }, ...s.sprints.map((p) => ({ id: p.id, name: p.name, status: p.status }))];
    if (s.workItems.some((w) => !w.sprintId)) options.push({ id: 'none', name: 'No sprint' });
    if (!selectedSprint || !options.some((o) => o.id === selectedSprint)) {
      const active = s.sprints.find((p) => p.status === 'active');
      selectedSprint = active ? active.id : 'all';
    }

    tabs.replaceChildren(...options.map((o) => {
      const button = el('button', `tab${o.id === selectedSprint ? ' selected' : ''}`, o.status ? `${o.name} · ${label(o.status)}` : o.name);
      button.type = 'button';
      button.setAttribute('role', 'tab');
      button.setAttribute('aria-selected', String(o.id === selectedSprint));
      button.addEventListener('click', () => { selectedSprint = o.id; renderBoard(snapshot); });
      return button;
    }));

    const items = s.workItems.filter((w) => selectedSprint === 'all' || (selectedSprint === 'none' ? !w.sprintId : w.sprintId === selectedSprint));
    const board = $('board');
    board.replaceChildren(...COLUMNS.filter((c) => c !== 'cancelled' || items.some((w) => w.status === c)).map((status) => {
      const column = el('div', `column col-${status}`);
      const inColumn = items.filter((w) => w.status === status);
      const head = el('h3', null, label(status));
      head.append(el('span', 'count', inColumn.length));
      column.append(head);
      for (const w of inColumn) {
        const card = el('article', `work type-${w.type}`);
        card.dataset.id = w.id;
        card.append(el('div', 'work-title', w.title));
        const meta = el('div', 'work-meta');
        meta.append(el('span', 'chip', w.type), badge(w.delegationStatus, 'delegation'));
        if (w.assignedAgent) meta.append(el('span', 'chip agent', w.assignedAgent));
        if (w.qaStatus && w.qaStatus !== 'not_started') meta.append(badge(w.qaStatus, 'qa'));
        if (w.estimatedHours !== null) meta.append(el('span', 'chip muted', `${hours(w.actualHours)}/${hours(w.estimatedHours)} h`));
        card.append(meta);
        column.append(card);
      }
      return column;
    }));

    const groups = selectedSprint === 'all' || selectedSprint === 'none' ? s.workByStatus
      : (s.sprints.find((p) => p.id === selectedSprint) || { workByStatus: [] }).workByStatus;
    fill('delegation', groups.map((g) => row([badge(g.status, 'state'), badge(g.delegationStatus, 'delegation'), num(g.count), num(hours(g.estimatedHours)), num(hours(g.actualHours))])), 'No work items.');
  }

  function renderLocks() {
    if (!snapshot) return;
    const now = serverNow();
    fill('locks', snapshot.locks.map((l) => {
      const holder = el('div', 'who');
      holder.append(el('strong', null, l.holderAgent || '-'), el('span', 'muted mono', l.holderSession));
      const left = l.expiresAt ? (new Date(l.expiresAt).getTime() - now) / 1000 : null;
      const path = el('code', null, l.filePath);
      return row([path, badge(l.lockType, 'lock'), holder, { node: el('span', left !== null && left < 10 ? 'late' : null, left === null ? 'never' : left <= 0 ? 'expired' : `in ${age(left)}`), className: 'num' }]);
    }), 'No file locks held.');
  }

  function renderAttention(s) {
    fill('attention', s.attention.map((w) => {
      const flags = el('div', 'work-meta');
      flags.append(badge(w.status, 'state'), badge(w.delegationStatus, 'delegation'));
      if (w.isStale) flags.append(el('span', 'chip late', 'stale'));
      return row([w.title, flags, w.assignedAgent || '-', num(age(w.idleSeconds))]);
    }), 'Nothing blocked or stale.');
  }

  function renderQa(s) {
    $('qa-rates').replaceChildren(...s.qaPassRates.map((q) => {
      const rate = el('div', 'rate');
      rate.append(el('div', 'card-label', label(q.qaType)));
      rate.append(el('div', 'rate-value', q.total ? `${Math.round(q.passRate * 100)}%` : '-'));
      rate.append(el('div', 'muted', `${q.passed} pass · ${q.warnings} warn · ${q.failed} fail`));
      return rate;
    }));
    fill('qa-results', s.qaResults.map((r) => {
      const notes = el('ul', 'notes');
      for (const f of r.findings) {
        const li = el('li', `finding sev-${String(f.severity || 'info').toLowerCase().replace(/[^a-z]/g, '')}`);
        li.append(el('span', 'chip', f.severity || 'finding'), document.createTextNode(` ${f.message}`));
        if (f.file) li.append(el('code', 'where', f.line ? `${f.file}:${f.line}` : f.file));
        notes.append(li);
      }
      for (const m of r.mockViolations) {
        const li = el('li', 'mock');
        li.append(el('span', 'chip warn', 'mock'), document.createTextNode(` ${m.description}`));
        if (m.file) li.append(el('code', 'where', m.line ? `${m.file}:${m.line}` : m.file));
        notes.append(li);
      }
      if (r.remediationNeeded) notes.append(el('li', 'remediation', `Remediation: ${r.remediationNeeded}`));
      if (!notes.childElementCount) notes.append(el('li', 'muted', 'no findings'));
      return row([time(r.recordedAt), r.taskTitle, label(r.qaType), badge(r.status, 'qa'), notes]);
    }), 'No QA results yet.');
  }

  function renderBacklog(s) {
    fill('backlog', s.backlog.map((b) => {
      const risk = el('div', 'riskbar');
      const meter = el('div', 'meter');
      const fillBar = el('div', `meter-fill risk-fill-${b.riskScore >= 60 ? 'high' : b.riskScore >= 30 ? 'mid' : 'low'}`);
      fillBar.style.width = `${Math.min(100, b.riskScore)}%`; // the default strategy scores 5 to 100
      meter.append(fillBar);
      risk.append(meter, el('span', 'num', b.riskScore));
      return row([b.title, badge(b.status, 'state'), num(b.priority), label(b.estimatedComplexity), num(b.businessValue), risk]);
    }), 'The backlog is empty.');
  }

  function describe(e) {
    const p = e.payload;
    if (!p) return '';
    const parts = [];
    if (p.from || p.to) parts.push(`${label(p.from)} → ${label(p.to)}`);
    if (p.reason) parts.push(p.reason);
    for (const [k, v] of Object.entries(p.data || {})) parts.push(`${k}=${v}`);
    return parts.join(' · ');
  }

  function renderEvents() {
    $('events').replaceChildren(...events.map((e) => {
      const li = el('li', `event ev-${e.type.split('.')[0]}`);
      li.dataset.sequence = String(e.sequence);
      const what = el('div', 'what');
      const item = e.entityType === 'work_item' && snapshot ? snapshot.workItems.find((w) => w.id === e.entityId) : null;
      if (item) what.append(el('span', 'subject', item.title));
      what.append(el('span', 'actor', e.actor || '-'), el('span', 'details', describe(e)));
      li.append(el('span', 'seq', `#${e.sequence}`), el('span', 'when', time(e.occurredAt)), el('span', 'type', e.type), what);
      return li;
    }));
    if (events.length === 0) $('events').append(el('li', 'empty', 'No events yet.'));
  }

  // ---- wiring -----------------------------------------------------------------------------------------------------

  $('project-picker').addEventListener('change', (e) => {
    location.search = `?project=${encodeURIComponent(e.target.value)}`;
  });

  // Ages and expiries tick every second between snapshots; a stream silent for three keep-alives is reconnected.
  setInterval(() => {
    renderSessions();
    renderLocks();
    if (source && source.readyState === EventSource.OPEN && performance.now() - lastMessageAt > STALE_STREAM_MS) scheduleReconnect();
  }, 1000);

  start();
})();
