// The page's one EditSeg: one wasm instance and one GPU device (or the CPU path), shared by the
// demo page and every <edit-seg> widget through start(). The painter's weights are fetched on
// the first segment() call, with progress, and kept in the Cache API for the next visit.
import init, { EditSeg, scene } from './pkg/editseg.js';

export { scene };

const here = new URL('.', import.meta.url);
// Bump when the weights change, so that visitors fetch the new file.
const CACHE = 'editseg-model-1';

/** Fetch `url` as bytes, calling `onProgress({what, done, total})` as they arrive. */
async function download(url, what, { cached = false, onProgress } = {}) {
  const cache = cached && 'caches' in self ? await caches.open(CACHE) : null;
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

/** The shared EditSeg: the library's API, with the painter loaded on first use. */
class Runtime {
  #seg;
  #painter = null;

  constructor(seg) {
    this.#seg = seg;
  }

  /** "cpu", or "gpu: " and the adapter's name. */
  get backend() {
    return this.#seg.backend;
  }

  /** Why the CPU path is used, when WebGPU was asked for but is missing. */
  get fallbackReason() {
    return this.#seg.fallbackReason;
  }

  /** The mask of what an editor painted: `{mask, maskBytes, maskPng, heat, overlay, stats}`. */
  maskFromEdit(original, edited, options) {
    return this.#seg.maskFromEdit(original, edited, options);
  }

  /** Fetch and load the painter unless it is loaded; `onProgress` sees the weights arrive. */
  loadPainter({ onProgress } = {}) {
    this.#painter ??= (async () => {
      const [weights, vocabulary] = await Promise.all([
        download(new URL('model/painter.bpk', here), 'weights', { cached: true, onProgress }),
        fetch(new URL('model/vocab.txt', here)).then((r) => r.text()),
      ]);
      return this.#seg.loadPainter(weights, vocabulary);
    })();
    this.#painter.catch(() => (this.#painter = null));
    return this.#painter;
  }

  /**
   * Paint what `instruction` names on `image` and resolve to the mask: maskFromEdit's result
   * and `{edit, editPng, expression, paint, painterBackend, timings}`.
   */
  async segment(image, instruction, options, { onProgress } = {}) {
    await this.loadPainter({ onProgress });
    return this.#seg.segment(image, instruction, options);
  }

  /** Release the GPU device and the wasm object. */
  destroy() {
    this.#seg.destroy();
    this.#seg.free();
  }
}

let running = null;

/**
 * Start EditSeg once per page and resolve to the shared runtime. `backend`: "auto" (WebGPU
 * where the browser has it, else the CPU), "gpu" or "cpu"; only the first caller's choice
 * counts. `onProgress({what, done, total})` sees the module download.
 */
export function start({ backend = 'auto', onProgress } = {}) {
  running ??= (async () => {
    const wasm = await download(new URL('pkg/editseg_bg.wasm', here), 'module', { onProgress });
    await init({ module_or_path: wasm });
    return new Runtime(await EditSeg.create(backend));
  })();
  running.catch(() => (running = null));
  return running;
}

/** Release the GPU device; the next start() begins again. */
export async function stop() {
  if (!running) return;
  const runtime = await running;
  running = null;
  runtime.destroy();
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
    throw new Error(`${what}: not an image (PNG, JPEG or WebP expected)`);
  }
}
