// ai_video web page: plain JS, no build step. Talks only to the /v1 API of this server.
// Media (clips, thumbnails, captions) need the Authorization header too, so they are
// fetched as blobs and shown through object URLs.
"use strict";

const KEY_STORAGE = "ai_video.api_key";
const RETRY_MS = 1000;

const $ = (id) => document.getElementById(id);
let chosenFile = null;
let jobStream = null;
let nextCursor = null;
const objectUrls = [];

function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {}, { Authorization: `Bearer ${apiKey()}` });
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (!response.ok) throw await apiError(response);
  return response;
}

async function apiError(response) {
  let detail = response.statusText;
  try {
    detail = (await response.json()).detail || detail;
  } catch (_) { /* not JSON */ }
  if (response.status === 429) {
    detail += ` (retry in ${response.headers.get("Retry-After")} s)`;
  }
  if (response.status === 401) detail += " — check the API key above";
  return new ApiError(response.status, typeof detail === "string" ? detail : JSON.stringify(detail));
}

async function blobUrl(path) {
  const blob = await (await api(path)).blob();
  const url = URL.createObjectURL(blob);
  objectUrls.push(url);
  return url;
}

function releaseBlobs() {
  while (objectUrls.length) URL.revokeObjectURL(objectUrls.pop());
}

// ---------------------------------------------------------------- key

function showKeyStatus() {
  $("key-status").textContent = apiKey() ? "A key is saved in this browser." : "Paste a key to start.";
}

function setupKey() {
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const key = $("api-key").value.trim();
    if (key) localStorage.setItem(KEY_STORAGE, key);
    $("api-key").value = "";
    showKeyStatus();
    loadJobs(true);
  });
  $("forget-key").addEventListener("click", () => {
    localStorage.removeItem(KEY_STORAGE);
    showKeyStatus();
    $("jobs").replaceChildren();
  });
  showKeyStatus();
}

// ---------------------------------------------------------------- submit

function setupDropZone() {
  const zone = $("drop-zone");
  const input = $("file-input");
  const choose = (file) => {
    chosenFile = file || null;
    $("chosen-file").textContent = chosenFile ? `${chosenFile.name} (${formatBytes(chosenFile.size)})` : "";
  };
  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") input.click(); });
  input.addEventListener("change", () => choose(input.files[0]));
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    choose(e.dataTransfer.files[0]);
  });
}

function chosenOptions() {
  const options = {};
  const text = (id) => $(id).value.trim();
  if (text("opt-platform")) options.platform = text("opt-platform");
  if (text("opt-max-clips")) options.max_clips = Number(text("opt-max-clips"));
  if (text("opt-min-s")) options.min_s = Number(text("opt-min-s"));
  if (text("opt-max-s")) options.max_s = Number(text("opt-max-s"));
  if (text("opt-prompt")) options.prompt = text("opt-prompt");
  return options;
}

function submitRequest() {
  const options = chosenOptions();
  const url = $("source-url").value.trim();
  if (chosenFile) {
    const form = new FormData();
    for (const [name, value] of Object.entries(options)) form.append(name, String(value));
    form.append("file", chosenFile, chosenFile.name);
    return { body: form, contentType: null };
  }
  if (url) return { body: JSON.stringify(Object.assign({ source_url: url }, options)), contentType: "application/json" };
  throw new ApiError(0, "Choose a video or paste a URL first.");
}

// XMLHttpRequest rather than fetch: it reports upload progress.
function postJob(request) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/jobs");
    xhr.setRequestHeader("Authorization", `Bearer ${apiKey()}`);
    if (request.contentType) xhr.setRequestHeader("Content-Type", request.contentType);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) $("upload-progress").textContent = `uploading ${Math.round((100 * e.loaded) / e.total)}%`;
    };
    xhr.onload = () => {
      let body = {};
      try { body = JSON.parse(xhr.responseText); } catch (_) { /* empty */ }
      if (xhr.status === 202) return resolve(body);
      let message = body.detail || xhr.statusText || `HTTP ${xhr.status}`;
      if (typeof message !== "string") message = JSON.stringify(message);
      if (xhr.status === 429) message += ` (retry in ${xhr.getResponseHeader("Retry-After")} s)`;
      reject(new ApiError(xhr.status, message));
    };
    xhr.onerror = () => reject(new ApiError(0, "network error"));
    xhr.send(request.body);
  });
}

function setupSubmit() {
  $("submit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("submit-error").textContent = "";
    $("submit-button").disabled = true;
    try {
      const job = await postJob(submitRequest());
      $("upload-progress").textContent = "accepted";
      followJob(job.id);
      loadJobs(true);
    } catch (err) {
      $("submit-error").textContent = err.message;
      $("upload-progress").textContent = "";
    } finally {
      $("submit-button").disabled = false;
    }
  });
}

// ---------------------------------------------------------------- progress

function followJob(jobId) {
  if (jobStream) jobStream.abort();
  releaseBlobs();
  $("job-panel").hidden = false;
  $("clips-panel").hidden = true;
  $("clips").replaceChildren();
  $("job-id").textContent = jobId;
  $("job-error").textContent = "";
  jobStream = new AbortController();
  watch(jobId, jobStream.signal);
}

// Status and progress are pushed by the server (GET /v1/jobs/{id}/events); the stream ends
// with the job's final state. A dropped stream is reopened after RETRY_MS.
async function watch(jobId, signal) {
  let finished = false;
  const onEvent = (name, data) => {
    if (signal.aborted) return;
    if (name === "gone") {
      finished = true;
      $("job-error").textContent = "this job was deleted";
      return;
    }
    showJob(data);
    if (name !== "final") return;
    finished = true;
    loadJobs(true);
    if (data.state === "succeeded") showClips(jobId);
  };
  while (!finished && !signal.aborted) {
    try {
      await readEventStream(`/v1/jobs/${jobId}/events`, apiKey(), onEvent, signal);
    } catch (err) {
      if (signal.aborted) return;
      $("job-error").textContent = err.message;
      if (err.status >= 400 && err.status < 500) return;
    }
    if (!finished) await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function showJob(job) {
  $("job-state").textContent = job.attempt > 1 ? `${job.state} (attempt ${job.attempt})` : job.state;
  $("job-state").dataset.state = job.state;
  const t = job.timings;
  $("job-timing").textContent = t.run_s != null ? `took ${t.run_s.toFixed(1)} s` : "";
  $("job-error").textContent = job.error || "";
  const items = job.stages.map((stage) => {
    const li = document.createElement("li");
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = stage.fraction;
    const label = document.createElement("span");
    label.textContent = `${stage.name}${stage.wall_s != null ? ` ${stage.wall_s.toFixed(1)} s` : ""}`;
    li.append(label, bar);
    return li;
  });
  $("job-stages").replaceChildren(...items);
}

// ---------------------------------------------------------------- clips

async function showClips(jobId) {
  let listing;
  try {
    listing = await (await api(`/v1/jobs/${jobId}/clips`)).json();
  } catch (err) {
    $("job-error").textContent = err.message;
    return;
  }
  $("clips-panel").hidden = false;
  $("clips-language").textContent =
    `spoken language: ${listing.language} (${Math.round(listing.language_probability * 100)}% sure)`;
  $("clips-message").textContent = listing.message || "";
  const cards = listing.clips.map((clip) => clipCard(clip, jobId));
  $("clips").replaceChildren(...cards.map((c) => c.node));
  await Promise.all(cards.map((c) => c.load()));
}

function clipCard(clip, jobId) {
  const node = $("clip-card").content.firstElementChild.cloneNode(true);
  const form = node.querySelector(".edit-form");
  form.elements.namedItem("start_s").value = clip.start_s;
  form.elements.namedItem("end_s").value = clip.end_s;
  form.addEventListener("submit", (event) => event.preventDefault());
  form.querySelector(".edit-apply").addEventListener("click", () => editClip(jobId, clip, form));
  node.dataset.index = clip.index;
  node.querySelector(".index").textContent = `#${clip.index}`;
  node.querySelector(".score").textContent = `score ${Math.round(clip.score_100)}/100`;
  node.querySelector(".title").textContent = clip.title;
  node.querySelector(".description").textContent = clip.description;
  node.querySelector(".hashtags").textContent = clip.hashtags.join(" ");
  node.querySelector(".groups tbody").replaceChildren(...clip.groups.map(groupRow));
  node.querySelector(".span").textContent = `${formatTime(clip.start_s)}–${formatTime(clip.end_s)} (${clip.duration_s.toFixed(1)} s)`;
  node.querySelector(".text").textContent = clip.text;
  const rows = Object.entries(clip.contributions)
    .sort((a, b) => b[1] - a[1])
    .map(([name, share]) => featureRow(name, clip.features[name], share));
  node.querySelector(".features tbody").replaceChildren(...rows);
  node.querySelector(".download-mp4").addEventListener("click", () => download(clip.video_url, `clip_${pad(clip.index)}.mp4`));
  node.querySelector(".download-srt").addEventListener("click", () => download(clip.captions_srt_url, `clip_${pad(clip.index)}.srt`));
  const load = async () => {
    const video = node.querySelector("video");
    try {
      video.poster = await blobUrl(clip.thumbnail_url);
      video.src = await blobUrl(clip.video_url);
      await video.play().catch(() => { /* autoplay may be refused; controls remain */ });
    } catch (err) {
      node.querySelector(".text").textContent = `could not load the clip: ${err.message}`;
    }
  };
  return { node, load };
}

// Fix and re-render (PATCH): trim (snapped to word gaps), caption template, one word fix.
async function editClip(jobId, clip, form) {
  const body = {};
  const field = (name) => form.elements.namedItem(name).value;
  const start = Number(field("start_s"));
  const end = Number(field("end_s"));
  if (field("start_s") !== "" && start !== clip.start_s) body.start_s = start;
  if (field("end_s") !== "" && end !== clip.end_s) body.end_s = end;
  if (field("captions")) body.captions = field("captions");
  const fix = field("word").trim();
  if (fix) {
    const [index, ...rest] = fix.split("=");
    body.words = { [index.trim()]: rest.join("=").trim() };
  }
  const status = form.querySelector(".edit-status");
  status.textContent = "re-rendering…";
  try {
    await api(`/v1/jobs/${jobId}/clips/${clip.index}`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  } catch (err) {
    status.textContent = err.message;
    return;
  }
  status.textContent = "re-rendered";
  releaseBlobs();
  await showClips(jobId);
}

function groupRow(group) {
  const row = document.createElement("tr");
  for (const text of [group.name, `${Math.round(group.score)}`, group.evidence]) {
    const cell = document.createElement("td");
    cell.textContent = text;
    row.append(cell);
  }
  return row;
}

function featureRow(name, value, share) {
  const tr = document.createElement("tr");
  const label = document.createElement("th");
  label.textContent = name.replaceAll("_", " ");
  const bar = document.createElement("td");
  const meter = document.createElement("meter");
  meter.min = 0;
  meter.max = 1;
  meter.value = value ?? 0;
  bar.append(meter);
  const numbers = document.createElement("td");
  numbers.textContent = `${(value ?? 0).toFixed(2)} → +${share.toFixed(3)}`;
  tr.append(label, bar, numbers);
  return tr;
}

async function download(path, filename) {
  try {
    const url = await blobUrl(path);
    const a = document.createElement("a");
    a.href = url;
    a.download = filename;
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    $("job-error").textContent = err.message;
  }
}

// ---------------------------------------------------------------- job list

async function loadJobs(reset) {
  if (!apiKey()) return;
  if (reset) nextCursor = null;
  const query = nextCursor ? `?cursor=${encodeURIComponent(nextCursor)}` : "";
  let page;
  try {
    page = await (await api(`/v1/jobs${query}`)).json();
  } catch (err) {
    $("key-status").textContent = err.message;
    return;
  }
  const items = page.jobs.map((job) => {
    const li = document.createElement("li");
    const link = document.createElement("a");
    link.href = `#${job.id}`;
    link.textContent = `${new Date(job.created_at * 1000).toLocaleString()} — ${job.source_name}`;
    link.addEventListener("click", (e) => { e.preventDefault(); followJob(job.id); });
    const state = document.createElement("span");
    state.className = `state ${job.state}`;
    state.textContent = job.state;
    li.append(link, " ", state);
    return li;
  });
  if (reset) $("jobs").replaceChildren(...items);
  else $("jobs").append(...items);
  nextCursor = page.next_cursor;
  $("more-jobs").hidden = !nextCursor;
}

// ---------------------------------------------------------------- small helpers

function pad(n) { return String(n).padStart(2, "0"); }

function formatTime(seconds) {
  const m = Math.floor(seconds / 60);
  return `${m}:${(seconds - m * 60).toFixed(1).padStart(4, "0")}`;
}

function formatBytes(n) {
  const units = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i += 1; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

document.addEventListener("DOMContentLoaded", () => {
  setupKey();
  setupDropZone();
  setupSubmit();
  $("refresh-jobs").addEventListener("click", () => loadJobs(true));
  $("more-jobs").addEventListener("click", () => loadJobs(false));
  loadJobs(true);
  if (location.hash.length > 1) followJob(location.hash.slice(1));
});
