// 200 segmentations in one page: neither the JS heap nor the live GPU buffers keep growing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, open, SLOW } from './browser.js';

const RUNS = 200;
// Allowed growth between run 50 and run 200, once caches and pools have warmed up.
const HEAP_GROWTH = 8 << 20;
const BUFFER_GROWTH = 16;

let server;
let browser;

before(async () => {
  server = await serve();
  browser = await launch({ extra: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });
});

after(async () => {
  await browser?.close();
  server?.close();
});

test(`${RUNS} segmentations in one page keep the JS heap and GPU buffers bounded`, { timeout: 6 * SLOW }, async () => {
  const page = await browser.newPage();
  // Count live GPUBuffers: created minus destroyed.
  await page.addInitScript(() => {
    if (!self.GPUDevice) return;
    self.liveBuffers = 0;
    const create = GPUDevice.prototype.createBuffer;
    GPUDevice.prototype.createBuffer = function (...args) {
      self.liveBuffers += 1;
      return create.apply(this, args);
    };
    const destroy = GPUBuffer.prototype.destroy;
    GPUBuffer.prototype.destroy = function (...args) {
      self.liveBuffers -= 1;
      return destroy.apply(this, args);
    };
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${server.url}?scene=0`);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'Ready', null, { timeout: SLOW });
  const samples = await page.evaluate(async (runs) => {
    const { start, scene } = await import('./editseg-web.js');
    const seg = await start();
    const { image, suggestions } = scene(5, 128);
    const paints = ['#ff0000', '#00ff00', '#0000ff', '#ff00ff', '#00ffff', '#ffff00', '#ff8000', '#8000ff'];
    const out = [];
    for (let i = 1; i <= runs; i++) {
      // A new colour each time, so that the painter runs every time, not only the cheap stages.
      const result = await seg.segment(image, suggestions[i % suggestions.length].instruction, { color: paints[i % paints.length], close: i % 3 });
      if (!result.maskBytes.length) throw new Error('empty result');
      if (i === 50 || i === runs) {
        self.gc();
        await new Promise((r) => setTimeout(r, 100));
        self.gc();
        out.push({ run: i, heap: performance.memory.usedJSHeapSize, buffers: self.liveBuffers });
      }
    }
    return out;
  }, RUNS);
  const [warm, last] = samples;
  console.log(`JS heap ${(warm.heap / 1e6).toFixed(1)} MB after ${warm.run}, ${(last.heap / 1e6).toFixed(1)} MB after ${last.run}; live GPU buffers ${warm.buffers} -> ${last.buffers}`);
  assert.ok(last.heap - warm.heap <= HEAP_GROWTH, `JS heap grew by ${((last.heap - warm.heap) / 1e6).toFixed(1)} MB`);
  assert.ok(last.buffers - warm.buffers <= BUFFER_GROWTH, `live GPU buffers grew from ${warm.buffers} to ${last.buffers}`);
  assert.deepEqual(errors, []);
});
