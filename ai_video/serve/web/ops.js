// ai_video operations page: reads GET /v1/ops/events (an admin key) and draws uPlot charts.
// Tiles and tables show the latest snapshot; charts keep what arrived since the page opened.
"use strict";

const KEY_STORAGE = "ai_video.api_key";
const HISTORY_POINTS = 1800;  // one hour at the default 2 s interval
const RETRY_MS = 2000;
const $ = (id) => document.getElementById(id);

const history = { t: [], queue: [], running: [], videos: [], sourceHours: [], cpu: {}, mem: {} };
const charts = {};
let nodeIds = [];
let stream = null;

function status(text, state) {
  $("ops-status").textContent = text;
  $("ops-status").dataset.state = state;
}

function fixed(value, digits) {
  return value == null ? "–" : Number(value).toFixed(digits);
}

function gib(bytes) {
  return bytes == null ? "–" : `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
}

function usage(used, total) {
  return used == null || total == null ? "–" : `${gib(used)} / ${gib(total)}`;
}

function percentOf(used, total) {
  return used == null || !total ? null : (100 * used) / total;
}

function shortId(nodeId) {
  return nodeId.length > 12 ? nodeId.slice(0, 12) : nodeId;
}

function rows(tbodySelector, items, cells) {
  const body = document.querySelector(`${tbodySelector} tbody`);
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement("tr");
    for (const text of cells(item)) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
}

function showTiles(s) {
  $("queue-depth").textContent = s.queue_depth;
  $("running").textContent = s.running;
  $("videos-per-hour").textContent = fixed(s.videos_per_hour, 1);
  $("source-hours-per-hour").textContent = fixed(s.source_hours_per_hour, 3);
  $("cache-hit-rate").textContent = s.cache_hit_rate == null ? "–" : `${(100 * s.cache_hit_rate).toFixed(0)}%`;
  $("outcomes").textContent = `${s.succeeded} / ${s.failed}`;
  const minutes = Math.round(s.window_s / 60);
  $("window-note").textContent =
    `Rates and percentiles over the last ${minutes} min; updated ${new Date(s.at * 1000).toLocaleTimeString()}.`;
}

function showTables(s) {
  rows("#nodes", s.nodes, (n) => [
    shortId(n.node_id), n.address, n.cpu_count, fixed(n.cpu_percent, 0),
    usage(n.memory_used_bytes, n.memory_total_bytes), n.gpu_count, fixed(n.gpu_percent, 0),
    usage(n.gpu_memory_used_bytes, n.gpu_memory_total_bytes), n.running_jobs,
  ]);
  const unplaced = s.running_by_node.unplaced || 0;
  $("unplaced").textContent = unplaced ? `${unplaced} running job(s) not seen on a node (local threads)` : "";
  rows("#stage-latency", s.stage_latency, (r) => [r.stage, r.count, fixed(r.p50_s, 2), fixed(r.p95_s, 2), fixed(r.p99_s, 2)]);
  rows("#errors", s.errors, (e) => [e.kind, e.count]);
}

function record(s) {
  const h = history;
  h.t.push(s.at);
  h.queue.push(s.queue_depth);
  h.running.push(s.running);
  h.videos.push(s.videos_per_hour);
  h.sourceHours.push(s.source_hours_per_hour);
  const ids = s.nodes.map((n) => n.node_id);
  for (const id of new Set([...Object.keys(h.cpu), ...ids])) {
    const node = s.nodes.find((n) => n.node_id === id);
    (h.cpu[id] ||= new Array(h.t.length - 1).fill(null)).push(node ? node.cpu_percent : null);
    (h.mem[id] ||= new Array(h.t.length - 1).fill(null))
      .push(node ? percentOf(node.memory_used_bytes, node.memory_total_bytes) : null);
  }
  if (h.t.length > HISTORY_POINTS) {
    for (const list of [h.t, h.queue, h.running, h.videos, h.sourceHours, ...Object.values(h.cpu), ...Object.values(h.mem)]) list.shift();
  }
  return ids;
}

const COLOURS = ["#5b3df5", "#e8590c", "#1b7f3b", "#b3261e", "#0b7285", "#862e9c", "#5c940d", "#c2255c"];

function makeChart(target, seriesNames, yLabel) {
  const el = $(target);
  el.replaceChildren();
  const opts = {
    width: Math.max(320, el.clientWidth || 520),
    height: 200,
    series: [{}, ...seriesNames.map((name, i) => ({ label: name, stroke: COLOURS[i % COLOURS.length], width: 2 }))],
    axes: [{}, { label: yLabel }],
    scales: { x: { time: true } },
  };
  return new uPlot(opts, [[], ...seriesNames.map(() => [])], el);
}

function draw(ids) {
  const h = history;
  if (!charts.queue) {
    charts.queue = makeChart("chart-queue", ["queue depth", "running"], "jobs");
    charts.throughput = makeChart("chart-throughput", ["videos / h", "source h / h"], "per hour");
  }
  if (ids.join() !== nodeIds.join()) {
    nodeIds = ids;
    charts.cpu = makeChart("chart-cpu", ids.map(shortId), "%");
    charts.mem = makeChart("chart-memory", ids.map(shortId), "%");
  }
  charts.queue.setData([h.t, h.queue, h.running]);
  charts.throughput.setData([h.t, h.videos, h.sourceHours]);
  charts.cpu.setData([h.t, ...nodeIds.map((id) => h.cpu[id])]);
  charts.mem.setData([h.t, ...nodeIds.map((id) => h.mem[id])]);
}

function onSnapshot(name, s) {
  if (name !== "snapshot") return;
  status("live", "live");
  showTiles(s);
  showTables(s);
  draw(record(s));
}

async function follow(signal) {
  while (!signal.aborted) {
    const key = localStorage.getItem(KEY_STORAGE) || "";
    if (!key) {
      status("Paste an admin API key to see the operations view.", "error");
      return;
    }
    try {
      await readEventStream("/v1/ops/events", key, onSnapshot, signal);
    } catch (err) {
      if (signal.aborted) return;
      const why = err.status === 401 ? "that key is not valid" : err.status === 403 ? "that key is not an admin key" : err.message;
      status(`No data: ${why}.`, "error");
      if (err.status === 401 || err.status === 403) return;
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function start() {
  if (stream) stream.abort();
  stream = new AbortController();
  follow(stream.signal);
}

document.addEventListener("DOMContentLoaded", () => {
  $("ops-key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("ops-key").value.trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
    $("ops-key").value = "";
    start();
  });
  start();
});
