// The JavaScript half of anyedge-cloudflare's conversions (src/convert.rs is
// the Rust half). Each export does in one call across the wasm boundary what
// would otherwise take one call per header, field and chunk. Headers cross
// as text, one `name:value\n` line per value: names cannot contain `:` and
// values cannot contain `\n`, so the text is unambiguous.

function toLines(headers) {
  let out = "";
  for (const [name, value] of headers) out += name + ":" + value + "\n";
  return out;
}

function fromLines(lines) {
  const headers = new Headers();
  for (const line of lines.split("\n")) {
    if (line === "") continue;
    const at = line.indexOf(":");
    headers.append(line.slice(0, at), line.slice(at + 1));
  }
  return headers;
}

// `METHOD\nURL\n` and the header lines of a request the Worker received.
export function anyedge_request_head(request) {
  return request.method + "\n" + request.url + "\n" + toLines(request.headers);
}

// `STATUS\n` and the header lines of a fetched response.
export function anyedge_response_head(response) {
  return response.status + "\n" + toLines(response.headers);
}

// The body of a request or response: a Uint8Array, or null when it is over
// `limit` bytes. With a `Content-Length` and no `Content-Encoding`, the
// runtime holds the body to that length: over the limit it is not read at
// all, within it it is read in one `arrayBuffer()`. Otherwise (a compressed
// answer, which workerd decodes, or no length) it is read chunk by chunk and
// the stream is cancelled as soon as it passes the limit.
export async function anyedge_read(message, limit) {
  if (message.body === null) return new Uint8Array(0);
  const length = message.headers.get("content-length");
  if (length !== null && !message.headers.has("content-encoding")) {
    if (Number(length) > limit) {
      message.body.cancel().catch(() => {});
      return null;
    }
    const bytes = new Uint8Array(await message.arrayBuffer());
    return bytes.byteLength <= limit ? bytes : null;
  }
  const reader = message.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

// A response; `body` is a view into wasm memory, copied here (an empty one
// is no body, which statuses like 204 and 304 require).
export function anyedge_response(status, lines, body) {
  const init = { status, headers: fromLines(lines) };
  return new Response(body.byteLength === 0 ? null : body.slice(), init);
}

// The init of an outbound request that does not follow redirects; `body`
// as above.
function outbound(method, lines, body, signal) {
  const init = { method, headers: fromLines(lines), redirect: "manual", signal };
  if (body.byteLength > 0) init.body = body.slice();
  return init;
}

// The outbound request anyedge_fetch sends (for tests).
export function anyedge_outbound(method, url, lines, body) {
  return new Request(url, outbound(method, lines, body, undefined));
}

// The whole upstream exchange under one `AbortSignal.timeout`, which aborts
// the fetch or the body still streaming: `[head, body]` as
// anyedge_response_head and anyedge_read give them. A timeout rejects with
// the string "anyedge:timeout", a failed body read with "anyedge:body: "
// and the error; a failed fetch (an invalid URL too) with the runtime's error.
export async function anyedge_fetch(method, url, lines, body, timeoutMs, limit) {
  const signal = AbortSignal.timeout(timeoutMs);
  const init = outbound(method, lines, body, signal);
  let response;
  try {
    response = await fetch(url, init);
  } catch (e) {
    throw signal.aborted ? "anyedge:timeout" : e;
  }
  try {
    return [anyedge_response_head(response), await anyedge_read(response, limit)];
  } catch (e) {
    throw signal.aborted ? "anyedge:timeout" : "anyedge:body: " + e;
  }
}

// Requests in flight, by id: the `resolve` of the promise the runtime awaits.
// They live on the JS side so that a request is answered even when the wasm
// instance traps (a panic): the panic hook settles them all first.
const inFlight = new Map();

// The promise the runtime awaits for request `id`.
export function anyedge_begin(id) {
  return new Promise((resolve) => inFlight.set(id, resolve));
}

// Settles request `id` with `response`.
export function anyedge_settle(id, response) {
  const resolve = inFlight.get(id);
  inFlight.delete(id);
  if (resolve !== undefined) resolve(response);
}

// Settles every request in flight, each with its own copy of one response.
export function anyedge_settle_all(status, lines, body) {
  for (const resolve of inFlight.values()) resolve(anyedge_response(status, lines, body));
  inFlight.clear();
}

// The clock and random source of `CloudflareHost`.
export function anyedge_now() {
  return Date.now();
}

export function anyedge_random(buf) {
  crypto.getRandomValues(buf);
}
