// Browser timings for BENCHMARKS.md, in headless Chromium on this machine: the demo page from
// load to "Ready", to the first prompt mask, later prompt masks on new scenes and the bring-your-
// own-edit sample, each with the backend the page picked (auto, WebGPU on), with `?backend=cpu`
// (WebGPU off) and with `?backend=gpu` (WebGPU forced); then maskFromEdit alone on 0.3, 1 and 12
// MP pairs with the GPU's dispatch and readback counts and the memory after the 12 MP pair (the
// pairs are saved under target/speed/browser-WxH/ for `cargo bench --bench speed`, which times the
// native CPU path on the same pixels); maskFromEdit on the registration pairs that
// `cargo bench --bench speed` saves under target/speed/ (the 1 MP pair in the same frame, with
// registration off and on, and the same pair in four editor frames), where they exist; and the
// wasm and weights sizes, raw and gzipped. No assertions: these are measurements.
//
//   scripts/build-web && (cd tests/e2e && npm ci && node bench-browser.js)
//
// BENCH_MODES=gpu (or a comma-separated list of auto, cpu, gpu) runs only those rows.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, launch, newScene, WWW, SLOW } from './browser.js';

const LATER = 10;
const SPEED = fileURLToPath(new URL('../../target/speed/', import.meta.url));
let saved = false;
const SAMPLES = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const s = (ms) => (ms / 1000).toFixed(2);
const mb = (n) => (n / 1e6).toFixed(1);
const MODES = [
  { key: 'auto', name: 'auto (WebGPU on)', query: '', webgpu: true, sizes: [[640, 480], [1224, 816], [4000, 3000]] },
  { key: 'cpu', name: '`?backend=cpu` (WebGPU off)', query: '&backend=cpu', webgpu: false, sizes: [[640, 480], [1224, 816], [4000, 3000]] },
  { key: 'gpu', name: '`?backend=gpu` (WebGPU forced)', query: '&backend=gpu', webgpu: true, sizes: [[640, 480], [1224, 816]] },
].filter((m) => !process.env.BENCH_MODES || process.env.BENCH_MODES.split(',').includes(m.key));

/** Wait until the page's request settles and return how long it took from `t0`. */
async function settle(page, t0) {
  await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: SLOW });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'done') throw new Error(await page.locator('#status').textContent());
  return Date.now() - t0;
}

async function click(page, name) {
  await page.evaluate(() => delete document.body.dataset.state);
  const t0 = Date.now();
  await page.getByRole('button', { name, exact: true }).click();
  return t0;
}

// The registration pairs: the same-frame pair twice (registration off, then auto), then the
// framed ones; without a paint colour, as a person bringing an edit starts.
const FRAMED = [
  ['1MP', 'shift'], ['1MP', 'auto'],
  ['framed-zoom', 'auto'], ['framed-crop', 'auto'], ['framed-drift', 'auto'], ['framed-all', 'auto'],
];

/** The registration pairs as PNG bytes (base64), or none where the native benchmark has not run. */
async function framedPairs() {
  const out = [];
  for (const [dir, register] of FRAMED) {
    try {
      const read = (f) => readFile(join(SPEED, dir, f)).then((b) => b.toString('base64'));
      out.push({ dir, register, original: await read('original.png'), edited: await read('edited.png') });
    } catch {
      return [];
    }
  }
  return out;
}

const server = await serve();
const pageRows = [];
const pairRows = [];
const framedRows = [];
const framed = await framedPairs();
for (const mode of MODES) {
  const browser = await launch({ webgpu: mode.webgpu, extra: ['--enable-precise-memory-info'] });
  const page = await browser.newPage();
  const opened = Date.now();
  await page.goto(`${server.url}?scene=100${mode.query}`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready', null, { timeout: SLOW });
  const readyMs = Date.now() - opened;
  await newScene(page);
  const firstMs = await settle(page, await click(page, 'Segment'));
  const later = [];
  for (let i = 0; i < LATER; i++) {
    await newScene(page);
    later.push(await settle(page, await click(page, 'Segment')));
  }
  await page.getByRole('tab', { name: 'Bring your own edit' }).click();
  const sampleColdMs = await settle(page, await click(page, 'Load the sample'));
  const sample = [];
  for (let i = 0; i < SAMPLES; i++) sample.push(await settle(page, await click(page, 'Get mask')));
  const info = await page.evaluate(async () => {
    const { start } = await import('./runtime.js');
    const seg = await start();
    return { backend: seg.backend, painter: seg.painterBackend, why: seg.fallbackReason ?? '' };
  });
  pageRows.push(`| ${mode.name} | ${info.backend}, painter on ${info.painter}${info.why ? ` (${info.why})` : ''} | ${s(readyMs)} | ${s(firstMs)} | ${s(median(later))} | ${s(sampleColdMs)} | ${s(median(sample))} |`);

  // maskFromEdit alone on synthetic pairs: a gradient with shapes, one ellipse painted.
  const pairs = await page.evaluate(async ({ sizes, save }) => {
    // The pair as PNG bytes (base64), so that the native benchmark can time the same pixels.
    const png = async (canvas) => {
      const url = await new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        canvas.convertToBlob({ type: 'image/png' }).then((blob) => reader.readAsDataURL(blob));
      });
      return url.slice(url.indexOf(',') + 1);
    };
    const { start } = await import('./runtime.js');
    const seg = await start();
    const out = [];
    for (const [w, h] of sizes) {
      const canvas = new OffscreenCanvas(w, h);
      const g = canvas.getContext('2d', { willReadFrequently: true });
      const sky = g.createLinearGradient(0, 0, w, h);
      sky.addColorStop(0, '#4a6a8a');
      sky.addColorStop(1, '#c8b090');
      g.fillStyle = sky;
      g.fillRect(0, 0, w, h);
      g.fillStyle = '#557744';
      g.fillRect(w * 0.1, h * 0.6, w * 0.3, h * 0.3);
      g.fillStyle = '#aa8866';
      g.beginPath();
      g.ellipse(w * 0.55, h * 0.45, w * 0.18, h * 0.2, 0.3, 0, 2 * Math.PI);
      g.fill();
      const original = g.getImageData(0, 0, w, h);
      const originalPng = save ? await png(canvas) : null;
      g.fillStyle = '#d020c0';
      g.beginPath();
      g.ellipse(w * 0.55, h * 0.45, w * 0.18, h * 0.2, 0.3, 0, 2 * Math.PI);
      g.fill();
      const edited = g.getImageData(0, 0, w, h);
      const editedPng = save ? await png(canvas) : null;
      // WebAssembly tiers its hot functions up in the background over the first calls: enough
      // calls for the median to be the steady state (the first call is reported on its own).
      const runs = w * h > 4e6 ? 2 : 20;
      const times = [];
      const pipeline = [];
      let stats;
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const r = await seg.maskFromEdit(original, edited, { color: '#d020c0' });
        times.push(performance.now() - t);
        stats = r.stats;
        pipeline.push(stats.milliseconds);
      }
      // The first run is a warm-up.
      const middle = (xs) => xs.slice(1).sort((a, b) => a - b)[(runs - 1) >> 1];
      const warm = middle(times);
      const { wasm } = await seg.memory();
      out.push({
        w, h, warm, first: times[0], pipeline: middle(pipeline), dispatches: stats.dispatches, readbacks: stats.readbacks,
        heap: performance.memory?.usedJSHeapSize ?? 0, wasm, originalPng, editedPng,
      });
    }
    return out;
  }, { sizes: mode.sizes, save: !saved });
  for (const p of pairs.filter((p) => p.originalPng)) {
    // cargo bench --bench speed times the native CPU path on these too.
    const dir = join(SPEED, `browser-${p.w}x${p.h}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'original.png'), Buffer.from(p.originalPng, 'base64'));
    await writeFile(join(dir, 'edited.png'), Buffer.from(p.editedPng, 'base64'));
    saved = true;
  }
  // The registration pairs, on the same page: each decoded once, then timed warm.
  const timed = await page.evaluate(async (pairs) => {
    const { start } = await import('./runtime.js');
    const seg = await start();
    const pixels = async (b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const g = canvas.getContext('2d', { willReadFrequently: true });
      g.drawImage(bitmap, 0, 0);
      return g.getImageData(0, 0, bitmap.width, bitmap.height);
    };
    const out = [];
    for (const p of pairs) {
      const [original, edited] = [await pixels(p.original), await pixels(p.edited)];
      const runs = 12;
      const [times, pipeline] = [[], []];
      let stats;
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        const r = await seg.maskFromEdit(original, edited, { register: p.register });
        times.push(performance.now() - t);
        stats = r.stats;
        pipeline.push(stats.milliseconds);
      }
      const middle = (xs) => xs.slice(1).sort((a, b) => a - b)[(runs - 1) >> 1];
      out.push({
        dir: p.dir, register: p.register, warm: middle(times), pipeline: middle(pipeline), chose: stats.registration.method,
        size: `${original.width}x${original.height}`, edit: `${edited.width}x${edited.height}`,
      });
    }
    return out;
  }, framed);
  const base = timed.find((t) => t.dir === '1MP' && t.register === 'shift');
  for (const t of timed) {
    framedRows.push(`| ${mode.name} | ${t.dir} (${t.size}, edit ${t.edit}) | ${t.register} (chose ${t.chose}) | ${t.warm.toFixed(0)} | ${(t.warm / base.warm).toFixed(2)}x | ${t.pipeline.toFixed(0)} | ${(t.pipeline / base.pipeline).toFixed(2)}x |`);
  }
  for (const p of pairs) {
    pairRows.push(`| ${mode.name} | ${p.w}x${p.h} (${(p.w * p.h / 1e6).toFixed(1)} MP) | ${info.backend} | ${p.first.toFixed(0)} | ${p.warm.toFixed(0)} | ${p.pipeline.toFixed(0)} | ${p.dispatches ?? '-'} / ${p.readbacks ?? '-'} | ${mb(p.heap)} / ${mb(p.wasm)} |`);
  }
  await browser.close();
}
server.close();

console.log(`| page | what ran | load to Ready, s | Ready to first prompt mask (256x256), s | later prompt masks on new scenes, median of ${LATER}, s | edit sample, first, s | edit sample warm, median of ${SAMPLES}, s |`);
console.log('|---|---|---|---|---|---|---|');
for (const r of pageRows) console.log(r);
console.log('\n| page | pair | stages on | first, ms | warm, ms | of which the pipeline (stats.milliseconds), warm, ms | GPU dispatches / readbacks | page JS heap / worker wasm memory after, MB |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of pairRows) console.log(r);
if (framedRows.length) {
  console.log('\n| page | registration pair | registration | maskFromEdit warm, median of 11, ms | against the same-frame pair without registration | of which the pipeline (stats.milliseconds), ms | the same, against that pair |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of framedRows) console.log(r);
} else {
  console.log('\n(no registration pairs: run `cargo bench --bench speed -- --registration` first)');
}
console.log('\n| file | raw MB | gzipped MB |\n|---|---|---|');
for (const file of ['pkg/editseg_bg.wasm', 'model/painter.bpk']) {
  const bytes = await readFile(join(WWW, file));
  console.log(`| ${file} | ${(bytes.length / 1e6).toFixed(2)} | ${(gzipSync(bytes, { level: 9 }).length / 1e6).toFixed(2)} |`);
}
