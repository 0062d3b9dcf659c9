// The cluster as the events describe it: one fold over the event schema of docs/events.md, shared by the live
// view and the replay. Plain data only (no DOM), so that the replay can copy it for its checkpoints.

/** How many log entries each node keeps for display. */
export const LOG_TAIL = 40;
/** How many lines the event log keeps. */
const RECENT = 120;
/** How many elections-timeline marks are kept. */
const TIMELINE = 400;

export function newCluster() {
  return {
    nodes: {},            // id -> node (see newNode)
    order: [],            // node ids in the order first seen (sorted by id)
    timeline: [],         // {t, node, kind, term, text}
    recent: [],           // {t, node, text, cls}
    network: {blocked: [], quality: 'healthy'},
    violation: null,
    t: 0,
  };
}

function newNode(id) {
  return {
    id, role: 'follower', term: 0, vote: null, leader: null,
    commit: 0, applied: 0, last: 0, snapshot: 0,
    log: [],              // [{i, t}] the tail of the log, ascending
    learner: false, removed: false, down: false,
    progress: {},         // leader only: follower id -> {match, next}
  };
}

export function node(c, id) {
  let n = c.nodes[id];
  if (!n) {
    n = newNode(id);
    c.nodes[id] = n;
    c.order.push(id);
    c.order.sort(byId);
  }
  return n;
}

function byId(a, b) {
  const na = Number(a.replace(/\D+/g, '')), nb = Number(b.replace(/\D+/g, ''));
  return na !== nb && !Number.isNaN(na) && !Number.isNaN(nb) ? na - nb : a.localeCompare(b);
}

/** The role a member element shows: leader, follower, candidate, learner or unreachable. */
export function shownRole(n) {
  if (n.unreachable || n.down) return 'unreachable';
  if (n.learner) return 'learner';
  if (n.role === 'pre-candidate' || n.role === 'candidate') return 'candidate';
  return n.role === 'leader' ? 'leader' : 'follower';
}

/** Applies one event (a parsed line of the schema) to the cluster. Unknown types are ignored. */
export function apply(c, e) {
  if (typeof e.t === 'number') c.t = e.t;
  const n = e.node ? node(c, e.node) : null;
  switch (e.type) {
    case 'state': {
      const before = n.role;
      n.role = e.role; n.term = e.term; n.leader = e.leader ?? null; n.down = false;
      if (e.role !== before && (e.role === 'leader' || e.role === 'candidate' || e.role === 'pre-candidate')) {
        mark(c, e, e.role, e.role === 'leader' ? `${e.node} leads term ${e.term}` : `${e.node} ${e.role} for term ${e.role === 'pre-candidate' ? e.term + 1 : e.term}`);
      }
      if (e.role !== 'leader') n.progress = {};
      note(c, e, `${e.role} term ${e.term}${e.leader ? ' leader ' + e.leader : ''}`, 'state');
      break;
    }
    case 'persist':
      n.term = Math.max(n.term, e.term); n.vote = e.vote ?? null;
      break;
    case 'vote':
      if (e.granted && !e.preVote) n.vote = e.candidate;
      note(c, e, `${e.preVote ? 'pre-vote' : 'vote'} for ${e.candidate} t${e.term}: ${e.granted ? 'granted' : 'refused'} (${e.reason}${e.detail ? ': ' + e.detail : ''})`, e.granted ? 'vote-yes' : 'vote-no');
      break;
    case 'append':
      appendRange(n, e.from, e.to, e.term);
      break;
    case 'truncate':
      n.log = n.log.filter(x => x.i < e.from);
      n.last = Math.min(n.last, e.from - 1);
      note(c, e, `truncate ${e.from}..${e.to}`, 'warn');
      break;
    case 'commit':
      n.commit = e.index;
      break;
    case 'apply':
      n.applied = e.index;
      break;
    case 'snapshot':
      n.snapshot = Math.max(n.snapshot, e.index);
      note(c, e, `snapshot ${e.origin} at ${e.index}@${e.term}`, 'snap');
      mark(c, e, 'snapshot', `${e.node} snapshot ${e.origin} ${e.index}`);
      break;
    case 'config':
      for (const m of e.members) {
        const x = node(c, m.id);
        x.learner = !m.voter; x.removed = false;
      }
      for (const id of c.order) {
        if (!e.members.some(m => m.id === id) && e.change !== 'initial') c.nodes[id].removed = true;
      }
      if (e.change !== 'initial') {
        note(c, e, `configuration: ${e.change}`, 'config');
        mark(c, e, 'config', `${e.node}: ${e.change}`);
      }
      break;
    case 'transfer':
      note(c, e, `transfer leadership to ${e.target ?? 'the most up-to-date voter'}`, 'config');
      mark(c, e, 'transfer', `${e.node} hands over to ${e.target ?? 'best voter'}`);
      break;
    case 'view':
      Object.assign(n, {role: e.role ?? n.role, term: e.term, vote: e.vote ?? null, leader: e.leader ?? null,
        commit: e.commit, applied: e.applied, last: e.last, snapshot: e.snapshot, down: false});
      n.log = [];
      for (const [from, to, term] of e.log) appendRange(n, from, to, term);
      n.last = e.last;
      for (const m of e.members || []) {
        const x = node(c, m.id);
        x.learner = !m.voter;
      }
      break;
    case 'down':
      n.down = true; n.role = 'down'; n.leader = null; n.progress = {};
      n.log = n.log.filter(x => x.i <= e.last);
      n.last = e.last;
      note(c, e, `DOWN: ${e.reason}`, 'fault');
      mark(c, e, 'down', `${e.node} ${e.reason}`);
      break;
    case 'fault':
      note(c, e, e.text, 'fault');
      mark(c, e, 'fault', e.text);
      break;
    case 'network':
      c.network = {blocked: e.blocked, quality: e.quality};
      break;
    case 'violation':
      c.violation = e.text;
      note(c, e, 'VIOLATION ' + e.text, 'fault');
      mark(c, e, 'violation', e.text);
      break;
    case 'drop':
      note(c, e, `${e.from}->${e.to} ${e.msg} t${e.term}${e.count ? ' x' + e.count : ''}${e.reason ? ' (' + e.reason + ')' : ''}`, 'drop');
      break;
    default:
      break; // send/recv are drawn, not folded; meta and unknown types change nothing
  }
}

function appendRange(n, from, to, term) {
  n.log = n.log.filter(x => x.i < from); // §5.3: an append replaces whatever was at and after its first index
  for (let i = Math.max(from, to - LOG_TAIL + 1); i <= to; i++) n.log.push({i, t: term});
  if (n.log.length > LOG_TAIL) n.log.splice(0, n.log.length - LOG_TAIL);
  n.last = to;
}

function note(c, e, text, cls) {
  c.recent.push({t: e.t, node: e.node || (e.type === 'drop' ? 'net' : 'fault'), text, cls});
  if (c.recent.length > RECENT) c.recent.splice(0, c.recent.length - RECENT);
}

function mark(c, e, kind, text) {
  c.timeline.push({t: e.t, node: e.node || null, kind, term: e.term ?? null, text});
  if (c.timeline.length > TIMELINE) c.timeline.splice(0, c.timeline.length - TIMELINE);
}

/** A colour per term, far apart for neighbouring terms. */
export function termColor(term, light) {
  const hue = (term * 67 + 200) % 360;
  return light ? `hsl(${hue} 60% 88%)` : `hsl(${hue} 62% 48%)`;
}

/** A one-line rendering of a message event, in the simulator trace's words. */
export function describeMessage(e) {
  let s = `${e.msg}(t${e.term}`;
  if (e.msg === 'App') s += ` prev ${e.prevIndex}@${e.prevTerm}` + (e.first ? ` [${e.first}..${e.last}]` : ' heartbeat') + ` commit ${e.commit}`;
  else if (e.msg === 'AppResp') s += e.ok ? ` ok match ${e.match}` : ` reject conflict ${e.conflictIndex}@${e.conflictTerm}`;
  else if (e.msg === 'Vote' || e.msg === 'PreVote') s += ` last ${e.lastIndex}@${e.lastTerm}${e.transfer ? ' transfer' : ''}`;
  else if (e.msg === 'VoteResp' || e.msg === 'PreVoteResp') s += e.granted ? ' granted' : ' rejected';
  else if (e.msg === 'Snap') s += ` last ${e.lastIndex}@${e.lastTerm} off ${e.offset} ${e.bytes}B${e.done ? ' done' : ''}`;
  else if (e.first) s += ` [${e.first}..${e.last}]`;
  s += ')';
  if (e.count > 1) s += ` x${e.count}`;
  return s;
}
