// The page's one EditSeg: one wasm instance, one GPU device (or the CPU path), the painter's
// weights fetched once with progress and kept in the Cache API for the next visit. The demo page
// and every <edit-seg> widget on a page share it through start().
import init, { EditSeg, scene } from './pkg/editseg.js';

export { scene };

const here = new URL('.', import.meta.url);
// Bump when the weights change, so that visitors fetch the new file.
const CACHE = 'editseg-model-1';

const listeners = new Set();
let running = null;

/** Call `fn({what, done, total})` as the module and the weights download; returns an unsubscribe. */
export function onProgress(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

async function download(url, what, cached) {
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
    for (const fn of listeners) fn({ what, done, total });
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/**
 * Start EditSeg once per page and resolve to the shared EditSeg, with its painter loaded.
 * `backend`: "auto" (WebGPU where the browser has it, else the CPU), "gpu" or "cpu"; only the
 * first caller's choice counts.
 */
export function start({ backend = 'auto' } = {}) {
  running ??= (async () => {
    const wasm = await download(new URL('pkg/editseg_bg.wasm', here), 'module', false);
    await init({ module_or_path: wasm });
    const seg = await EditSeg.create(backend);
    const [weights, vocabulary] = await Promise.all([
      download(new URL('model/painter.bpk', here), 'weights', true),
      fetch(new URL('model/vocab.txt', here)).then((r) => r.text()),
    ]);
    await seg.loadPainter(weights, vocabulary);
    return seg;
  })();
  running.catch(() => (running = null));
  return running;
}

/** Release the GPU device; the next start() begins again. */
export async function stop() {
  if (!running) return;
  const seg = await running;
  running = null;
  seg.destroy();
  seg.free();
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

/** Draw ImageData or an ImageBitmap on a canvas, resizing the canvas to fit. */
export function draw(canvas, image) {
  canvas.width = image.width;
  canvas.height = image.height;
  const ctx = canvas.getContext('2d');
  if (image instanceof ImageData) ctx.putImageData(image, 0, 0);
  else ctx.drawImage(image, 0, 0);
}

/** The picture with the mask tinted over it. */
export function overlay(canvas, picture, maskBytes, color = [255, 0, 200]) {
  draw(canvas, picture);
  const ctx = canvas.getContext('2d');
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < maskBytes.length; i++) {
    if (!maskBytes[i]) continue;
    for (let c = 0; c < 3; c++) img.data[4 * i + c] = (img.data[4 * i + c] + color[c]) >> 1;
  }
  ctx.putImageData(img, 0, 0);
}
