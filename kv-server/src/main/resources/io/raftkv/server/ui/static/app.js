// Entry point: the live view of the cluster serving this page, or, with ?trace=URL or a chosen file, the replay of
// an events file.

import {startLive} from './live.js';
import {Replay, parseEvents} from './replay.js';

const $ = id => document.getElementById(id);

const ui = {
  root: $('app'), ring: $('ring'), cards: $('cards'), timeline: $('timeline'), recent: $('recent'), status: $('status'),
  putForm: $('put-form'), key: $('key'), value: $('value'), level: $('level'), getButton: $('get'), result: $('result'),
  transferButton: $('transfer'), transferTarget: $('transfer-target'),
  file: $('trace-file'), play: $('play'), back: $('back'), forward: $('forward'), speed: $('speed'), slider: $('slider'),
  position: $('position'), replayControls: $('replay-controls'), liveControls: $('live-controls'), mode: $('mode'),
};

let replay = null;
let live = null;

function showMode(mode) {
  ui.root.setAttribute('data-mode', mode);
  ui.mode.textContent = mode === 'live' ? 'live cluster' : 'replay';
  ui.replayControls.hidden = mode !== 'replay';
  ui.liveControls.hidden = mode !== 'live';
}

function clearView() {
  ui.cards.innerHTML = '';
  ui.recent.innerHTML = '';
}

function load(text, name) {
  let parsed;
  try {
    parsed = parseEvents(text);
  } catch (err) {
    ui.status.textContent = `cannot replay ${name}: ${err.message}`;
    return;
  }
  if (replay) replay.pause();
  if (live) { live.stop(); live = null; }
  showMode('replay');
  clearView();
  replay = new Replay(ui, parsed.meta, parsed.events);
  const m = parsed.meta;
  ui.status.textContent = `${name}: ${parsed.events.length} events` + (m.seed !== undefined ? ` · seed ${m.seed}` : '') +
    (m.nodes ? ` · ${m.nodes.length} nodes` : '') + (m.violation ? ` · VIOLATION: ${m.violation}` : '');
  replay.render();
}

ui.file.addEventListener('change', () => {
  const f = ui.file.files[0];
  if (!f) return;
  f.text().then(text => load(text, f.name));
});
ui.play.addEventListener('click', () => { if (!replay) return; replay.playing ? replay.pause() : replay.play(); });
ui.back.addEventListener('click', () => replay && replay.step(-1));
ui.forward.addEventListener('click', () => replay && replay.step(1));
ui.slider.addEventListener('input', () => {
  if (!replay) return;
  replay.pause();
  replay.seekTime(replay.t0 + Number(ui.slider.value));
  replay.render();
});
document.addEventListener('keydown', ev => {
  if (!replay || ui.root.getAttribute('data-mode') !== 'replay' || ev.target.tagName === 'INPUT') return;
  if (ev.key === 'ArrowRight') replay.step(1);
  else if (ev.key === 'ArrowLeft') replay.step(-1);
  else if (ev.key === ' ') { ev.preventDefault(); replay.playing ? replay.pause() : replay.play(); }
});
$('go-live').addEventListener('click', () => {
  if (replay) replay.pause();
  if (live) { location.href = location.pathname; return; }
  showMode('live');
  clearView();
  live = startLive(ui);
});

const trace = new URLSearchParams(location.search).get('trace');
if (trace) {
  ui.status.textContent = 'loading ' + trace + '…';
  fetch(trace).then(r => {
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.text();
  }).then(text => load(text, trace)).catch(err => { ui.status.textContent = `cannot load ${trace}: ${err.message}`; });
} else {
  showMode('live');
  live = startLive(ui);
}
