// The page's one EditSeg: one wasm instance and one GPU device (or the CPU path) in a worker
// (worker.js), so that long work never freezes the page, shared by the demo page and every
// <edit-seg> widget through start(). The painter's weights are fetched on the first segment()
// call (or by loadPainter() ahead of it), with progress, and kept in the Cache API for the next
// visit. Compile costs are paid while loading: start() runs one tiny diff and loadPainter() one
// tiny forward pass, so the first request is as fast as the tenth.

import { VERSION } from './version.js';
import { fromWire, toWire } from './wire.js';

const here = new URL('.', import.meta.url);
// Each release caches its own weights: a new version never serves an old file.
const CACHE = `editseg-model-${VERSION}`;

/** This release's cache of the weights; earlier releases' caches are deleted. */
async function modelCache() {
  if (!('caches' in self)) return null;
  for (const name of await caches.keys()) {
    if (name.startsWith('editseg-model-') && name !== CACHE) await caches.delete(name);
  }
  return caches.open(CACHE);
}

/** Fetch `url` as bytes, calling `onProgress({what, done, total})` as they arrive. */
async function download(url, what, { cached = false, onProgress } = {}) {
  const cache = cached ? await modelCache() : null;
  let response = cache ? await cache.match(url) : undefined;
  if (!response) {
    response = await fetch(url);
    if (!response.ok) throw new Error(`${what}: ${url} answered ${response.status} ${response.statusText}`);
    if (cache) await cache.put(url, response.clone());
  }
  const total = Number(response.headers.get('content-length')) || 0;
  const reader = response.body.getReader();
  const chunks = [];
  let done = 0;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    chunks.push(value);
    done += value.length;
    onProgress?.({ what, done, total });
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

// The smallest module with a 128-bit vector instruction: the build uses WebAssembly SIMD.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11]);

/** A 48x48 grey picture and the same with a red square: the warm-up diff. */
function warmUpPair() {
  const original = new ImageData(48, 48);
  original.data.fill(128);
  const edited = new ImageData(new Uint8ClampedArray(original.data), 48, 48);
  for (let y = 16; y < 32; y++) {
    for (let x = 16; x < 32; x++) edited.data.set([220, 30, 30, 255], 4 * (48 * y + x));
  }
  return [original, edited];
}

/** An editor's failure: `class` says which kind, the message the editor's own words. */
function editorError(kind, editorMessage, status) {
  const said = { refused: 'refused by the editor', no_image: 'the editor answered without a picture', http: `the editor answered HTTP ${status}`,
    timeout: 'no answer in time', network: 'the editor could not be reached', bad_image: 'the editor\'s picture is not a readable image', cancelled: 'cancelled' }[kind] ?? kind;
  const e = new Error(`${said}: ${editorMessage}`);
  e.class = kind;
  e.status = status ?? null;
  return e;
}

/** The shared EditSeg: the library's API, run in the worker, with the painter loaded on first use. */
class Runtime {
  #worker;
  #calls = new Map();
  #next = 0;
  #painter = null;
  // Everyone waiting for the painter sees its progress, whoever started the download.
  #listeners = new Set();
  /** "cpu", or "gpu: " and the adapter's name. */
  backend;
  /**
   * Why the CPU path runs under "auto": no WebGPU, or an adapter that is a CPU emulating a GPU
   * (SwiftShader), where the CPU path is faster. Undefined when WebGPU runs.
   */
  fallbackReason;
  /** Where the painter runs once loaded: "webgpu" or "cpu"; undefined before. */
  painterBackend;
  /** The largest picture the module reads, in pixels. */
  maxPixels;

  #weights;

  constructor(worker, weights) {
    this.#worker = worker;
    this.#weights = weights;
    worker.onmessage = ({ data }) => {
      const call = this.#calls.get(data.id);
      // A call already failed (the worker stopped) hears nothing more.
      if (!call) return;
      if ('stage' in data) {
        call.onStage?.(data.stage);
        return;
      }
      this.#calls.delete(data.id);
      if ('error' in data) call.reject(data.class ? editorError(data.class, data.editorMessage, data.status) : new Error(data.error));
      else call.resolve(fromWire(data.value));
    };
    worker.onerror = (e) => this.#fail(`the EditSeg worker stopped: ${e.message ?? 'an error'}`);
  }

  #fail(message) {
    for (const call of this.#calls.values()) call.reject(new Error(message));
    this.#calls.clear();
  }

  /**
   * Run `op` in the worker; `transfer` lists buffers handed over instead of copied, `onStage`
   * hears the stages of a diff as they begin.
   */
  call(op, args, transfer = [], onStage = undefined) {
    return new Promise((resolve, reject) => {
      const id = ++this.#next;
      this.#calls.set(id, { resolve, reject, onStage });
      try {
        const [wired, copies] = toWire(args, true);
        this.#worker.postMessage({ id, op, args: wired }, [...transfer, ...copies]);
      } catch (e) {
        this.#calls.delete(id);
        // What cannot be sent is not a picture the library reads.
        reject(e?.name === 'DataCloneError'
          ? new Error('expected ImageData, ImageBitmap or encoded image bytes (Uint8Array / ArrayBuffer)')
          : e);
      }
    });
  }

  /**
   * The mask of what an editor painted: `{mask, maskBytes, maskPng, heat, overlay, stats}`.
   * `onStage(description)` hears each stage as it begins ("finding the painted region", ...).
   */
  maskFromEdit(original, edited, options, { onStage } = {}) {
    return this.call('maskFromEdit', { original, edited, options }, [], onStage);
  }

  /**
   * RefScenes validation scene `index` drawn at `size`x`size`: `{image, suggestions: [{instruction,
   * mask}]}`.
   */
  scene(index, size) {
    return this.call('scene', { index, size });
  }

  /**
   * Load the painter unless it is loaded, from `weights` (the bytes of painter.bpk, as the
   * class's `loadPainter(weights)` takes them) or, without them, fetched from the weights folder;
   * then run one tiny forward pass so that its kernels are ready. `onProgress` sees the weights
   * arrive and `{what: "model", text}` after.
   */
  loadPainter(weights, { onProgress } = {}) {
    if (onProgress) this.#listeners.add(onProgress);
    const progress = (event) => this.#listeners.forEach((f) => f(event));
    this.#painter ??= (async () => {
      // The weights carry what they were trained for; the module checks it while loading.
      weights ??= await download(new URL('painter.bpk', this.#weights), 'weights', {
        cached: true,
        onProgress: progress,
      });
      progress({ what: 'model', text: 'Preparing the model…' });
      const backend = await this.call('loadPainter', { weights }, [weights.buffer]);
      const { image, suggestions } = await this.scene(0, 64);
      await this.call('segment', { image, instruction: suggestions[0].instruction });
      this.painterBackend = backend;
      return backend;
    })();
    this.#painter.catch(() => (this.#painter = null)).finally(() => this.#listeners.clear());
    return this.#painter;
  }

  /**
   * Paint what `instruction` names on `image` and resolve to the mask: `{found: true}` with
   * maskFromEdit's result and `{edit, editPng, expression, paint, painterBackend, timings}`, or,
   * when nothing in the picture fits or it is not a RefScenes scene, `{found: false, reason,
   * note, sceneLikeness, expression, painterBackend, timings}` (`options.force` paints anyway).
   */
  async segment(image, instruction, options, { onProgress } = {}) {
    await this.loadPainter(undefined, { onProgress });
    return this.call('segment', { image, instruction, options });
  }

  /** The provider's public endpoint and usual model for "openai" or "gemini": `{endpoint, model}`. */
  editorDefaults(adapter) {
    return this.call('editorDefaults', { adapter });
  }

  /**
   * Have an editor paint what `instruction` names on `image`, then find the mask:
   * maskFromEdit's result with `{edit, editPng, prompt, paint, colorName, editorMs,
   * finishReason, text}`. `editor`: `{adapter: "openai" | "gemini", endpoint, model, seed, key}`
   * or, instead of `key`, `headers: async () => ({...})` giving the request's own headers. The
   * picture and the prompt go from this page straight to `endpoint`; the key only into the
   * request's header. `signal` cancels; `onWaiting(seconds)` ticks while the editor works and
   * `onStage` hears the diff's stages after.
   * Failures reject with an Error whose `class` is refused, no_image, http, timeout, network or
   * bad_image.
   */
  async segmentWithEditor(image, instruction, editor, options = {}, { signal, onWaiting, onStage, timeout = 120_000 } = {}) {
    const { color, ...rest } = options ?? {};
    const settings = { adapter: editor?.adapter, endpoint: editor?.endpoint, model: editor?.model, seed: editor?.seed };
    const request = await this.call('editorRequest', { image, instruction, color: color ?? null, editor: settings });
    const headers = { 'content-type': request.contentType };
    if (typeof editor.headers === 'function') Object.assign(headers, await editor.headers());
    else if (editor.key) headers[request.keyHeader] = `${request.keyPrefix}${editor.key}`;
    const started = performance.now();
    const ticking = onWaiting && setInterval(() => onWaiting((performance.now() - started) / 1000), 100);
    const timer = new AbortController();
    const timeLimit = setTimeout(() => timer.abort(), timeout);
    const stop = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
    const host = new URL(request.url).origin;
    let status, retryAfter, body;
    try {
      // Straight to the editor: no cookies, no referrer, nothing kept in the HTTP cache.
      const response = await fetch(request.url, {
        method: 'POST', headers, body: request.body, signal: stop,
        cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
      });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      body = new Uint8Array(await response.arrayBuffer());
    } catch (e) {
      if (signal?.aborted) throw editorError('cancelled', 'the request was stopped before the editor answered');
      if (timer.signal.aborted) throw editorError('timeout', `${host} did not answer within ${Math.round(timeout / 1000)} s`);
      throw editorError('network', `could not reach ${host}: either nothing answers there, or it does not allow requests from this page's origin (${location.origin}). `
        + `Start the editor's server with this origin allowed, e.g. vllm serve MODEL --allowed-origins '["${location.origin}"]', or put a proxy that adds CORS headers in front of it`);
    } finally {
      clearInterval(ticking);
      clearTimeout(timeLimit);
    }
    const editorMs = performance.now() - started;
    const answer = await this.call('editorAnswer', { adapter: settings.adapter, status, retryAfter, body }, [body.buffer]);
    const result = await this.maskFromEdit(image, answer.image.slice(), { ...rest, color: request.color }, { onStage });
    return {
      ...result,
      edit: await createImageBitmap(new Blob([answer.image])),
      editPng: answer.image,
      prompt: request.prompt,
      paint: request.color,
      colorName: request.colorName,
      editorMs,
      finishReason: answer.finishReason,
      text: answer.text,
    };
  }

  /**
   * The worker's wasm memory and (where the browser tells) JS heap, in bytes: for the page's
   * benchmark (tests/e2e/bench-browser.js), not part of the typed API.
   */
  memory() {
    return this.call('memory');
  }

  /** Release the GPU device and the worker; later calls fail. */
  async destroy() {
    await this.call('stop').catch(() => {});
    this.#worker.terminate();
    this.#fail('EditSeg was stopped');
  }
}

let running = null;

/**
 * Start EditSeg once per page and resolve to the shared runtime. `backend`: "auto" (WebGPU on
 * a real GPU; the CPU without WebGPU or over a CPU fallback adapter such as SwiftShader), "gpu"
 * or "cpu"; `weights`: the folder holding painter.bpk (default: model/ beside
 * this module); only the first caller's choices count. `onProgress({what, done, total})` sees
 * the module download, then `{what, text}` while it prepares.
 */
export function start({ backend = 'auto', weights = new URL('model/', here), onProgress } = {}) {
  running ??= (async () => {
    if (!WebAssembly.validate(SIMD_PROBE)) {
      throw new Error('this browser lacks WebAssembly SIMD (Chrome 91, Firefox 89 and Safari 16.4 have it)');
    }
    const wasm = await download(new URL('pkg/editseg_bg.wasm', here), 'module', { onProgress });
    const folder = new URL(weights, location.href);
    if (!folder.pathname.endsWith('/')) folder.pathname += '/';
    const runtime = new Runtime(new Worker(new URL('worker.js', here), { type: 'module' }), folder);
    Object.assign(runtime, await runtime.call('start', { wasm, backend }, [wasm.buffer]));
    onProgress?.({ what: 'stages', text: 'Preparing the diff…' });
    await runtime.maskFromEdit(...warmUpPair());
    return runtime;
  })();
  running.catch(() => (running = null));
  return running;
}

/** Release the GPU device and the worker; the next start() begins again. */
export async function stop() {
  if (!running) return;
  const runtime = await running;
  running = null;
  await runtime.destroy();
}

/** RefScenes validation scene `index` at `size`x`size`, drawn by the shared runtime. */
export async function scene(index, size) {
  return (await start()).scene(index, size);
}

/** Decode a File, Blob or URL into an ImageBitmap, with a message that names what failed. */
export async function bitmap(source, what) {
  const blob = typeof source === 'string' || source instanceof URL
    ? await fetch(source).then((r) => {
      if (!r.ok) throw new Error(`${what}: ${source} answered ${r.status}`);
      return r.blob();
    })
    : source;
  try {
    return await createImageBitmap(blob);
  } catch {
    throw new Error(`${what}: not an image (expected PNG, JPEG or WebP)`);
  }
}
