// The live view: finds the members from /status, subscribes to every member's event stream (GET /ui/events,
// Server-Sent Events), polls every member's /status for what the stream does not carry (the leader's progress,
// reachability), and offers the actions the HTTP API allows (put/get, transfer leadership, snapshot).

import {newCluster, apply, node, describeMessage} from './model.js';
import {renderRing, renderCards, renderTimeline, renderRecent} from './view.js';

const POLL_MS = 700;
const FLIGHT_MS = 600;        // how long a live message is drawn on its way
const WINDOW_MS = 60_000;     // the timeline shows the last minute
const MAX_FLIGHTS = 300;

export function startLive(ui) {
  const c = newCluster();
  const members = {};          // id -> {http, source: EventSource|null, streaming, fails}
  let flights = [];
  let dirty = true;
  let stopped = false;
  let poller = null;
  const self = location.host;
  const fmt = t => new Date(t).toLocaleTimeString([], {hour12: false}) + '.' + String(Math.floor(t % 1000)).padStart(3, '0').slice(0, 1);

  function url(http, path) {
    return http === self ? path : `http://${http}${path}`;
  }

  function onEvent(id, data) {
    let e;
    try {
      e = JSON.parse(data);
    } catch (err) {
      return; // not an event line
    }
    if (e.type === 'meta') return;
    if (e.type === 'send' && e.from !== e.to) {
      flights.push({from: e.from, to: e.to, msg: e.msg, count: e.count || 1, start: performance.now(), label: describeMessage(e),
        entries: !!e.first, granted: e.granted});
      if (flights.length > MAX_FLIGHTS) flights.splice(0, flights.length - MAX_FLIGHTS);
      return;
    }
    if (e.type === 'recv') return;
    apply(c, e);
    dirty = true;
  }

  function subscribe(id) {
    const m = members[id];
    if (m.source || !m.http) return;
    const source = new EventSource(url(m.http, '/ui/events'));
    m.source = source;
    source.onopen = () => { m.streaming = true; dirty = true; };
    source.onmessage = ev => onEvent(id, ev.data);
    source.addEventListener('cutoff', ev => {
      apply(c, {type: 'fault', t: Date.now(), text: `${id}: stream cut off (${JSON.parse(ev.data).reason})`});
    });
    source.onerror = () => { m.streaming = false; dirty = true; }; // EventSource reconnects by itself
  }

  function learnMembers(status) {
    for (const m of status.members || []) {
      if (!members[m.id]) {
        members[m.id] = {http: m.http, source: null, streaming: false, fails: 0};
        node(c, m.id).learner = !m.voter;
        subscribe(m.id);
      } else if (!members[m.id].http && m.http) {
        members[m.id].http = m.http;
        subscribe(m.id);
      }
    }
  }

  async function poll(id) {
    const m = members[id];
    const n = node(c, id);
    if (!m.http) { n.unreachable = true; return; }
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), POLL_MS * 2);
    try {
      const r = await fetch(url(m.http, '/status'), {signal: ctl.signal, cache: 'no-store'});
      const s = await r.json();
      m.fails = 0;
      n.unreachable = false;
      learnMembers(s);
      if (!m.streaming) { // the stream is the fresher source while it runs
        Object.assign(n, {role: s.role === 'learner' ? 'follower' : s.role, term: s.term, leader: s.leader,
          commit: s.commitIndex, applied: s.appliedIndex, last: s.lastLogIndex, down: false});
      }
      n.snapshot = Math.max(n.snapshot, s.snapshot?.lastIncludedIndex ?? 0);
      n.httpStatus = s;
      const progress = {};
      for (const x of s.members || []) {
        if (x.id !== id && x.matchIndex !== undefined) progress[x.id] = {match: x.matchIndex, next: x.nextIndex, voter: x.voter};
        if (c.nodes[x.id]) c.nodes[x.id].learner = !x.voter;
      }
      n.progress = s.role === 'leader' ? progress : {};
      if (!m.source) subscribe(id);
    } catch (err) {
      m.fails++;
      n.unreachable = true; // not gone: still a member, just not answering
      n.progress = {};
    } finally {
      clearTimeout(timer);
      dirty = true;
    }
  }

  function leaderHttp() {
    for (const id of c.order) {
      const n = c.nodes[id];
      if (n.role === 'leader' && !n.unreachable && members[id]?.http) return members[id].http;
    }
    return null;
  }

  async function post(http, path, body) {
    const r = await fetch(url(http, path), {method: 'POST', body: body ?? '', headers: {'Content-Type': 'text/plain'}});
    const text = await r.text();
    return `${r.status} ${text}`;
  }

  const actions = {
    async snapshot(id) {
      ui.result.textContent = `snapshot on ${id}…`;
      try {
        ui.result.textContent = `snapshot on ${id}: ` + await post(members[id].http, '/snapshot');
      } catch (err) {
        ui.result.textContent = `snapshot on ${id} failed: ${err}`;
      }
    },
  };

  ui.putForm.addEventListener('submit', async ev => {
    ev.preventDefault();
    const key = ui.key.value, value = ui.value.value;
    if (!key) { ui.result.textContent = 'a key is needed'; return; }
    ui.result.textContent = 'put…';
    try {
      const r = await fetch('/key/' + encodeURIComponent(key), {method: 'PUT', body: value});
      ui.result.textContent = `put ${key}: ${r.status} ${r.status === 204 ? 'ok' : await r.text()}`;
      ui.result.setAttribute('data-outcome', r.status === 204 ? 'ok' : 'error');
    } catch (err) {
      ui.result.textContent = `put failed: ${err}`;
      ui.result.setAttribute('data-outcome', 'error');
    }
  });
  ui.getButton.addEventListener('click', async () => {
    const key = ui.key.value;
    if (!key) { ui.result.textContent = 'a key is needed'; return; }
    try {
      const r = await fetch('/key/' + encodeURIComponent(key) + '?level=' + ui.level.value);
      ui.result.textContent = `get ${key} (${ui.level.value}): ${r.status} ${await r.text()}`;
      ui.result.setAttribute('data-outcome', r.ok ? 'ok' : 'error');
    } catch (err) {
      ui.result.textContent = `get failed: ${err}`;
    }
  });
  ui.transferButton.addEventListener('click', async () => {
    const http = leaderHttp() ?? self;
    const target = ui.transferTarget.value;
    ui.result.textContent = 'transferring leadership…';
    try {
      ui.result.textContent = 'transfer-leader: ' + await post(http, '/transfer-leader', target ? JSON.stringify({id: target}) : '{}');
    } catch (err) {
      ui.result.textContent = `transfer failed: ${err}`;
    }
  });

  function refreshTransferTargets() {
    const want = [''].concat(c.order.filter(id => !c.nodes[id].learner && !c.nodes[id].removed));
    const have = [...ui.transferTarget.options].map(o => o.value);
    if (want.join() === have.join()) return;
    const chosen = ui.transferTarget.value;
    ui.transferTarget.innerHTML = want.map(id => `<option value="${id}">${id || 'most up-to-date voter'}</option>`).join('');
    ui.transferTarget.value = want.includes(chosen) ? chosen : '';
  }

  function frame() {
    if (stopped) return;
    const now = performance.now();
    flights = flights.filter(f => now - f.start < FLIGHT_MS);
    const drawn = flights.map(f => ({...f, frac: (now - f.start) / FLIGHT_MS}));
    renderRing(ui.ring, c, drawn);
    if (dirty) {
      renderCards(ui.cards, c, actions);
      renderRecent(ui.recent, c, fmt);
      refreshTransferTargets();
      const up = c.order.filter(id => !c.nodes[id].unreachable).length;
      ui.status.textContent = `${c.order.length} members, ${up} answering · streams: ` +
        c.order.map(id => `${id} ${members[id]?.streaming ? 'on' : 'off'}`).join(', ');
      dirty = false;
    }
    const t1 = Date.now();
    renderTimeline(ui.timeline, c, t1 - WINDOW_MS, t1, fmt);
    setTimeout(() => requestAnimationFrame(frame), 66);
  }

  (async () => {
    try {
      const r = await fetch('/status', {cache: 'no-store'});
      learnMembers(await r.json());
    } catch (err) {
      ui.status.textContent = 'cannot read /status: ' + err;
    }
    if (stopped) return;
    poller = setInterval(() => { for (const id of Object.keys(members)) poll(id); }, POLL_MS);
    for (const id of Object.keys(members)) poll(id);
    frame();
  })();

  return {
    /** Closes every stream and stops polling and drawing (the page switches to a replay). */
    stop() {
      stopped = true;
      if (poller) clearInterval(poller);
      for (const m of Object.values(members)) {
        if (m.source) m.source.close();
      }
    },
  };
}
