// Browser timings and sizes for BENCHMARKS.md: page load to "Ready" and to the first mask, the
// painter's forward pass and a whole instruction-to-mask `segment` in headless Chromium with
// WebGPU (SwiftShader) and with WebGPU off (the CPU path in wasm), and the wasm and weights
// sizes, raw and gzipped.
//
//   scripts/build-web && (cd tests/e2e && npm ci && node bench-browser.js)
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { serve, launch, WWW, SLOW } from './browser.js';

const RUNS = 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mb = (n) => (n / 1e6).toFixed(2);

const server = await serve();
const rows = [];
for (const webgpu of [true, false]) {
  const browser = await launch({ webgpu });
  const page = await browser.newPage();
  const opened = Date.now();
  await page.goto(`${server.url}?scene=0`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready', null, { timeout: SLOW });
  const readyMs = Date.now() - opened;
  await page.getByRole('button', { name: 'New scene' }).click();
  await page.getByRole('button', { name: 'Segment' }).click();
  await page.waitForFunction(() => document.body.dataset.state === 'done', null, { timeout: SLOW });
  const firstMaskMs = Date.now() - opened;
  const runs = await page.evaluate(async (n) => {
    const { start, scene } = await import('./runtime.js');
    const seg = await start();
    const { image, suggestions } = scene(1, 512);
    const out = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      const r = await seg.segment(image, suggestions[0].instruction, { color: `#ff00${(16 * i + 16).toString(16)}` });
      out.push({ painter: r.timings.painter, total: performance.now() - t });
    }
    return out;
  }, RUNS);
  rows.push(`| ${webgpu ? 'WebGPU (SwiftShader)' : 'CPU path in wasm (WebGPU off)'} | ${(readyMs / 1000).toFixed(2)} | ${(firstMaskMs / 1000).toFixed(2)} | ${median(runs.map((r) => r.painter)).toFixed(0)} | ${median(runs.map((r) => r.total)).toFixed(0)} |`);
  await browser.close();
}
server.close();

console.log(`| painter on | load to Ready, s | load to first mask, s | painter forward 64x64, median ms (${RUNS}) | instruction to 512x512 mask, median ms (${RUNS}) |`);
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log('\n| file | raw MB | gzipped MB |\n|---|---|---|');
for (const file of ['pkg/editseg_bg.wasm', 'model/painter.bpk']) {
  const bytes = await readFile(join(WWW, file));
  console.log(`| ${file} | ${mb(bytes.length)} | ${mb(gzipSync(bytes, { level: 9 }).length)} |`);
}
