// Draws a cluster (model.js) into the page: the ring of servers with messages in flight, one card per server
// (role, term, vote, log tail, commit/applied, the leader's progress), the elections timeline and the event log.
// Every member card carries data-node, data-role, data-term and data-commit, kept current (the browser tests read them).

import {shownRole, termColor, describeMessage} from './model.js';

const SVG = 'http://www.w3.org/2000/svg';
const RING = {w: 440, h: 400, r: 150, node: 34};

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function svgEl(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, ch => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[ch]));
}

/** Where each server sits on the ring. */
export function positions(ids) {
  const pos = {};
  ids.forEach((id, k) => {
    const a = -Math.PI / 2 + (2 * Math.PI * k) / Math.max(ids.length, 1);
    pos[id] = {x: RING.w / 2 + RING.r * Math.cos(a), y: RING.h / 2 + RING.r * Math.sin(a)};
  });
  return pos;
}

const MESSAGE_COLORS = {
  App: '#2f6fde', AppResp: '#8fb4f0', Vote: '#e08a00', PreVote: '#f0b85a', VoteResp: '#2aa84a',
  PreVoteResp: '#7fd18f', Snap: '#8e44ad', SnapResp: '#c39bd3', TimeoutNow: '#d6336c', ReadIndex: '#666',
  ReadIndexResp: '#999',
};

/**
 * The ring: servers as circles coloured by role (filled with their term's colour), their term and vote, blocked
 * links and messages in flight ({from, to, frac, msg, dropped, count, granted}).
 */
export function renderRing(svg, c, flights) {
  svg.setAttribute('viewBox', `0 0 ${RING.w} ${RING.h}`);
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const ids = c.order.filter(id => !c.nodes[id].removed || c.nodes[id].down);
  const pos = positions(ids);
  // Blocked links (simulator faults): a red dashed line with a cross in the middle.
  for (const [a, b] of c.network.blocked || []) {
    if (!pos[a] || !pos[b]) continue;
    const p = pos[a], q = pos[b];
    svg.appendChild(svgEl('line', {x1: p.x, y1: p.y, x2: q.x, y2: q.y, class: 'blocked'}));
    const mx = p.x + (q.x - p.x) * 0.55, my = p.y + (q.y - p.y) * 0.55;
    svg.appendChild(svgEl('text', {x: mx, y: my + 5, class: 'blocked-x', 'text-anchor': 'middle'}, '✕'));
  }
  if (c.network.quality && c.network.quality !== 'healthy') {
    svg.appendChild(svgEl('text', {x: 8, y: 18, class: 'netq'}, `network: ${c.network.quality}`));
  }
  for (const f of flights) {
    const p = pos[f.from], q = pos[f.to];
    if (!p || !q) continue;
    const x = p.x + (q.x - p.x) * f.frac, y = p.y + (q.y - p.y) * f.frac;
    const color = f.dropped ? '#d00' : (f.msg.endsWith('VoteResp') && f.granted === false ? '#c0392b' : MESSAGE_COLORS[f.msg] || '#555');
    const r = f.msg === 'App' && f.entries ? 7 : 5;
    const dot = svgEl('circle', {cx: x, cy: y, r, fill: color, class: 'msg' + (f.dropped ? ' dropped' : '')});
    dot.appendChild(svgEl('title', {}, `${f.from}->${f.to} ${f.label}`));
    svg.appendChild(dot);
    if (f.count > 1) svg.appendChild(svgEl('text', {x: x + 7, y: y - 6, class: 'msg-count'}, '×' + f.count));
  }
  for (const id of ids) {
    const n = c.nodes[id], p = pos[id], role = shownRole(n);
    const g = svgEl('g', {class: 'ring-node ' + role, 'data-ring-node': id});
    g.appendChild(svgEl('circle', {cx: p.x, cy: p.y, r: RING.node + 6, class: 'halo'}));
    g.appendChild(svgEl('circle', {cx: p.x, cy: p.y, r: RING.node, fill: role === 'unreachable' ? '#ddd' : termColor(n.term, true), class: 'body'}));
    g.appendChild(svgEl('text', {x: p.x, y: p.y - 6, 'text-anchor': 'middle', class: 'ring-id'}, id));
    g.appendChild(svgEl('text', {x: p.x, y: p.y + 10, 'text-anchor': 'middle', class: 'ring-term'}, role === 'unreachable' ? (n.down ? 'down' : 'unreachable') : `t${n.term}`));
    g.appendChild(svgEl('text', {x: p.x, y: p.y + RING.node + 20, 'text-anchor': 'middle', class: 'ring-role'},
      role + (n.vote && role !== 'unreachable' ? ` · voted ${n.vote}` : '')));
    svg.appendChild(g);
  }
  if (c.violation) {
    svg.appendChild(svgEl('text', {x: RING.w / 2, y: RING.h - 6, 'text-anchor': 'middle', class: 'violation'}, 'VIOLATION'));
  }
}

/**
 * One card per server. {@code actions} (live only) adds a snapshot button per card: actions.snapshot(id).
 */
export function renderCards(container, c, actions) {
  const seen = new Set();
  for (const id of c.order) {
    const n = c.nodes[id];
    if (n.removed && !n.down) continue;
    seen.add(id);
    let card = container.querySelector(`[data-node="${CSS.escape(id)}"]`);
    if (!card) {
      card = el('section', {class: 'card', 'data-node': id});
      card.innerHTML = `<header><span class="id"></span><span class="role"></span><span class="facts"></span>
        <span class="buttons"></span></header><div class="log"></div><div class="progress"></div>`;
      if (actions) {
        const b = el('button', {type: 'button', class: 'snapshot-btn', title: 'POST /snapshot on this server'}, 'snapshot');
        b.addEventListener('click', () => actions.snapshot(id));
        card.querySelector('.buttons').appendChild(b);
      }
      container.appendChild(card);
    }
    const role = shownRole(n);
    card.setAttribute('data-role', role);
    card.setAttribute('data-term', String(n.term));
    card.setAttribute('data-commit', String(n.commit));
    card.className = 'card ' + role;
    card.querySelector('.id').textContent = id;
    card.querySelector('.role').textContent = role + (n.role === 'pre-candidate' && role === 'candidate' ? ' (pre-vote)' : '');
    card.querySelector('.facts').innerHTML =
      `term <b>${n.term}</b> · vote <b>${esc(n.vote ?? '–')}</b> · leader <b>${esc(n.leader ?? '–')}</b>` +
      ` · last <b>${n.last}</b> · commit <b>${n.commit}</b> · applied <b>${n.applied}</b>` +
      (n.snapshot ? ` · snapshot <b>${n.snapshot}</b>` : '');
    card.querySelector('.log').innerHTML = logBoxes(n);
    card.querySelector('.progress').innerHTML = progressTable(c, n);
  }
  for (const card of [...container.querySelectorAll('[data-node]')]) {
    if (!seen.has(card.getAttribute('data-node'))) card.remove();
  }
}

function logBoxes(n) {
  if (n.log.length === 0) {
    return `<span class="empty">log empty${n.last ? ` (entries up to ${n.last} not shown)` : ''}</span>`;
  }
  let s = '';
  const first = n.log[0].i;
  if (first > 1) s += `<span class="elided">…${first - 1}</span>`;
  for (const x of n.log) {
    const committed = x.i <= n.commit, snap = x.i <= n.snapshot;
    const cls = 'entry' + (committed ? ' committed' : ' uncommitted') + (snap ? ' in-snapshot' : '') +
      (x.i === n.snapshot ? ' snapshot-edge' : '') + (x.i <= n.applied ? ' applied' : '');
    const style = committed ? `background:${termColor(x.t)};border-color:${termColor(x.t)}` : `border-color:${termColor(x.t)};color:${termColor(x.t)}`;
    s += `<span class="${cls}" data-index="${x.i}" data-entry-term="${x.t}" style="${style}" title="index ${x.i}, term ${x.t}${committed ? ', committed' : ''}${snap ? ', in snapshot' : ''}">${x.t}</span>`;
  }
  return s;
}

function progressTable(c, n) {
  const peers = Object.entries(n.progress || {});
  if (n.role !== 'leader' || peers.length === 0) return '';
  let s = '<table><tr><th>follower</th><th>match</th><th>next</th><th>kind</th></tr>';
  for (const [id, p] of peers) {
    s += `<tr data-progress="${esc(id)}"><td>${esc(id)}</td><td>${p.match ?? '–'}</td><td>${p.next ?? '–'}</td><td>${p.voter === false ? 'learner' : 'voter'}</td></tr>`;
  }
  return s + '</table>';
}

/** The elections timeline between times t0 and t1: one row per server, marks coloured by term. */
export function renderTimeline(svg, c, t0, t1, fmt) {
  const W = 1000, rowH = 18, ids = c.order, H = 24 + rowH * (ids.length + 1);
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  while (svg.firstChild) svg.removeChild(svg.firstChild);
  const left = 40, span = Math.max(t1 - t0, 1), x = t => left + ((t - t0) / span) * (W - left - 10);
  ids.forEach((id, k) => {
    svg.appendChild(svgEl('text', {x: 4, y: 20 + rowH * k + 12, class: 'tl-label'}, id));
    svg.appendChild(svgEl('line', {x1: left, x2: W - 10, y1: 20 + rowH * k + 8, y2: 20 + rowH * k + 8, class: 'tl-row'}));
  });
  const faultsY = 20 + rowH * ids.length;
  svg.appendChild(svgEl('text', {x: 4, y: faultsY + 12, class: 'tl-label'}, 'faults'));
  // Leadership as bars: from "leads" until the next mark of that server.
  const marks = c.timeline.filter(m => m.t >= t0 - span && m.t <= t1);
  const lastOf = {};
  for (const m of marks) {
    if (m.t < t0 && m.kind !== 'leader') continue;
    const row = m.node ? ids.indexOf(m.node) : -1;
    const y = row >= 0 ? 20 + rowH * row : faultsY;
    if (m.kind === 'leader') {
      const bar = svgEl('rect', {x: x(Math.max(m.t, t0)), y: y + 2, width: 4, height: rowH - 6, fill: termColor(m.term ?? 0), class: 'tl-leader'});
      bar.appendChild(svgEl('title', {}, `${fmt(m.t)} ${m.text}`));
      svg.appendChild(bar);
      lastOf[m.node] = bar;
    } else {
      if (lastOf[m.node] && row >= 0) {
        lastOf[m.node].setAttribute('width', Math.max(4, x(m.t) - Number(lastOf[m.node].getAttribute('x'))));
        lastOf[m.node] = null;
      }
      if (m.t < t0) continue;
      const shape = svgEl('circle', {cx: x(m.t), cy: y + 8, r: m.kind === 'candidate' || m.kind === 'pre-candidate' ? 4 : 5,
        class: 'tl-mark tl-' + m.kind, fill: m.term !== null && m.kind.includes('candidate') ? termColor(m.term + (m.kind === 'pre-candidate' ? 1 : 0)) : ''});
      shape.appendChild(svgEl('title', {}, `${fmt(m.t)} ${m.text}`));
      svg.appendChild(shape);
    }
  }
  for (const [id, bar] of Object.entries(lastOf)) {
    if (bar) bar.setAttribute('width', Math.max(4, x(t1) - Number(bar.getAttribute('x'))));
    void id;
  }
  svg.appendChild(svgEl('text', {x: left, y: 12, class: 'tl-time'}, fmt(t0)));
  svg.appendChild(svgEl('text', {x: W - 10, y: 12, class: 'tl-time', 'text-anchor': 'end'}, fmt(t1)));
}

/** The last events as text lines, newest at the bottom. */
export function renderRecent(pre, c, fmt) {
  pre.innerHTML = c.recent.slice(-60).map(r =>
    `<div class="ev ${r.cls}"><span class="t">${esc(fmt(r.t))}</span> <span class="n">${esc(r.node)}</span> ${esc(r.text)}</div>`).join('');
  pre.scrollTop = pre.scrollHeight;
}

export {describeMessage};
