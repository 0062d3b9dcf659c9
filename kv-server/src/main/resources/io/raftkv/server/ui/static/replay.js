// The replay: plays an events file (raftkv simulate --seed S --events FILE, or any stream saved as NDJSON)
// RaftScope-style: play/pause, one event forward or back, speed, a time slider. The state at any position is the
// fold of the events before it (model.js), rebuilt from the nearest checkpoint, so stepping back is cheap.

import {newCluster, apply, describeMessage} from './model.js';
import {renderRing, renderCards, renderTimeline, renderRecent} from './view.js';

const CHECKPOINT_EVERY = 250;
/** Live files have no send/receive pairs: draw a message for this long (in the file's time units). */
const UNPAIRED_FLIGHT = {sim: 5, 'epoch-ms': 300};

/** Parses NDJSON: one event per non-empty line; the first line may be the meta line. */
export function parseEvents(text) {
  const events = [];
  let meta = {clock: 'epoch-ms'};
  const lines = text.split('\n');
  for (let k = 0; k < lines.length; k++) {
    let line = lines[k].trim();
    if (!line) continue;
    if (line.startsWith('data:')) line = line.slice(5).trim(); // a saved SSE stream
    if (!line.startsWith('{')) continue;
    let e;
    try {
      e = JSON.parse(line);
    } catch (err) {
      throw new Error(`line ${k + 1} is not JSON: ${err.message}`);
    }
    if (e.type === 'meta') meta = e;
    else if (typeof e.type === 'string' && typeof e.t === 'number') events.push(e);
  }
  if (events.length === 0) throw new Error('no events in the file');
  return {meta, events};
}

export class Replay {
  constructor(ui, meta, events) {
    this.ui = ui;
    this.meta = meta;
    this.events = events;
    this.unit = meta.clock === 'sim' ? (meta.unitsPerTick || 10) : 1;
    this.t0 = events[0].t;
    this.t1 = events[events.length - 1].t;
    this.pos = 0;                 // events applied so far
    this.time = this.t0;          // the time shown
    this.playing = false;
    this.pairs = pairMessages(events);
    this.checkpoints = [newCluster()];
    let c = newCluster();
    events.forEach((e, k) => {
      apply(c, e);
      if ((k + 1) % CHECKPOINT_EVERY === 0) {
        this.checkpoints.push(structuredClone(c));
      }
    });
    this.cluster = structuredClone(this.checkpoints[0]);
    this.fmt = meta.clock === 'sim' ? (t => 'tick ' + (t / this.unit).toFixed(1)) : (t => new Date(t).toISOString().slice(11, 23));
  }

  /** Rebuilds the state after {@code pos} events. */
  seek(pos) {
    pos = Math.max(0, Math.min(this.events.length, pos));
    const k = Math.floor(pos / CHECKPOINT_EVERY);
    let from = k * CHECKPOINT_EVERY;
    if (pos >= this.pos && this.pos >= from) {
      from = this.pos; // moving forward within reach: keep the current state
    } else {
      this.cluster = structuredClone(this.checkpoints[k]);
    }
    for (let i = from; i < pos; i++) apply(this.cluster, this.events[i]);
    this.pos = pos;
  }

  step(delta) {
    this.pause();
    this.seek(this.pos + delta);
    this.time = this.pos > 0 ? this.events[this.pos - 1].t : this.t0;
    this.render();
  }

  /** Jumps to a time: every event at or before it applied. */
  seekTime(t) {
    this.time = t;
    let lo = 0, hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].t <= t) lo = mid + 1; else hi = mid;
    }
    this.seek(lo);
  }

  play() {
    if (this.playing) return;
    if (this.pos >= this.events.length) this.seek(0);
    this.playing = true;
    this.ui.play.textContent = 'pause';
    let last = performance.now();
    const tick = now => {
      if (!this.playing) return;
      // One second of wall time plays `speed` ticks (simulator) or `speed` seconds (a recorded live stream).
      const rate = Number(this.ui.speed.value) * (this.meta.clock === 'sim' ? this.unit : 1000) / 1000;
      this.seekTime(Math.min(this.t1, this.time + (now - last) * rate));
      last = now;
      this.render();
      if (this.pos >= this.events.length) { this.pause(); return; }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    this.ui.play.textContent = 'play';
  }

  /** Messages on their way at the current time: sent at or before it, received (or dropped) after it. */
  flights() {
    const out = [];
    const span = UNPAIRED_FLIGHT[this.meta.clock] ?? 5;
    for (let i = this.pos - 1; i >= 0 && i >= this.pos - 600; i--) {
      const e = this.events[i];
      if (e.type !== 'send' || e.from === e.to) continue;
      const end = this.pairs.get(i);
      let frac, dropped = false;
      if (end === undefined) {
        if (e.reason) { // dropped as it was sent
          if (this.time - e.t > span) continue;
          frac = 0.15; dropped = true;
        } else {
          if (this.time - e.t > span) continue;
          frac = (this.time - e.t) / span;
        }
      } else {
        const arrival = this.events[end];
        if (end < this.pos) continue; // already received or dropped
        frac = arrival.t > e.t ? (this.time - e.t) / (arrival.t - e.t) : 0.5;
        dropped = arrival.type === 'drop';
      }
      out.push({from: e.from, to: e.to, msg: e.msg, frac: Math.max(0.05, Math.min(0.95, frac)), dropped,
        count: e.count || 1, label: describeMessage(e), entries: !!e.first, granted: e.granted});
    }
    return out;
  }

  render() {
    const ui = this.ui;
    ui.root.setAttribute('data-pos', String(this.pos));
    ui.root.setAttribute('data-events', String(this.events.length));
    ui.slider.max = String(this.t1 - this.t0);
    ui.slider.value = String(this.time - this.t0);
    const at = this.pos > 0 ? this.events[this.pos - 1] : null;
    ui.position.textContent = `${this.fmt(this.time)} · event ${this.pos}/${this.events.length}` +
      (at ? ` · last: ${at.node ?? 'net'} ${at.type}` + (at.msg ? ' ' + describeMessage(at) : '') : '');
    renderRing(ui.ring, this.cluster, this.flights());
    renderCards(ui.cards, this.cluster, null);
    renderRecent(ui.recent, this.cluster, this.fmt);
    const window = Math.max((this.t1 - this.t0) / 4, this.unit * 50);
    renderTimeline(ui.timeline, this.cluster, Math.max(this.t0, this.time - window), Math.max(this.time, this.t0 + 1), this.fmt);
  }
}

/** Pairs each send with the receipt or drop of the same message (by the id the simulator gives each message). */
function pairMessages(events) {
  const sendAt = new Map(), pairs = new Map();
  events.forEach((e, k) => {
    if (!e.id) return;
    if (e.type === 'send') sendAt.set(e.id, k);
    else if ((e.type === 'recv' || e.type === 'drop') && sendAt.has(e.id) && !pairs.has(sendAt.get(e.id))) {
      pairs.set(sendAt.get(e.id), k);
    }
  });
  return pairs;
}
