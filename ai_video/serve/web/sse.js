// Server-Sent Events over fetch(): EventSource cannot send the Authorization header, so the
// stream is read with fetch and parsed here (event / id / data fields, blank line ends one).
"use strict";

class StreamError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// Calls onEvent(name, data) for each event; resolves when the server ends the stream.
// Rejects with a StreamError (status 401, 403, 404, ...) when the server refuses it.
async function readEventStream(path, key, onEvent, signal) {
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${key}`, Accept: "text/event-stream" },
    cache: "no-store",
    signal,
  });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (_) { /* not JSON */ }
    throw new StreamError(response.status, `${response.status}: ${detail}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      dispatchBlock(block, onEvent);
    }
  }
}

function dispatchBlock(block, onEvent) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;  // keep-alive comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") name = text;
    else if (field === "data") data.push(text);
  }
  if (data.length) onEvent(name, JSON.parse(data.join("\n")));
}
