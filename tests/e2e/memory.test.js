// 200 segmentations in one page: neither the JS heap nor the live GPU buffers keep growing. The
// network runs once (the same picture's maps are reused); every call picks the object, paints it
// (a new colour every twentieth) and reruns the diff and cleanup on the GPU.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, SLOW } from './browser.js';

const RUNS = 200;
// Allowed growth between run 50 and run 200, once caches and pools have warmed up.
const HEAP_GROWTH = 8 << 20;
const BUFFER_GROWTH = 16;

const env = setup({ extra: ['--enable-precise-memory-info', '--js-flags=--expose-gc'] });

test(`${RUNS} segmentations in one page keep the JS heap and GPU buffers bounded`, { timeout: 6 * SLOW }, async () => {
  const page = await env.browser.newPage();
  // Count live GPUBuffers: created, minus destroyed or garbage-collected (once each).
  await page.addInitScript(() => {
    if (!self.GPUDevice) return;
    self.liveBuffers = 0;
    const gone = new WeakSet();
    const release = (buffer) => {
      if (gone.has(buffer)) return;
      gone.add(buffer);
      self.liveBuffers -= 1;
    };
    const collected = new FinalizationRegistry(() => (self.liveBuffers -= 1));
    const create = GPUDevice.prototype.createBuffer;
    GPUDevice.prototype.createBuffer = function (...args) {
      const buffer = create.apply(this, args);
      self.liveBuffers += 1;
      const token = {};
      buffer.token = token;
      collected.register(buffer, token, token);
      return buffer;
    };
    const destroy = GPUBuffer.prototype.destroy;
    GPUBuffer.prototype.destroy = function (...args) {
      if (!gone.has(this)) collected.unregister(this.token);
      release(this);
      return destroy.apply(this, args);
    };
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${env.server.url}sample/color.txt`);
  const samples = await page.evaluate(async (runs) => {
    // The library itself on WebGPU, in the page, where the buffer count above sees its buffers
    // (the demo's runtime runs it in a worker).
    const { default: init, EditSeg, scene } = await import('/pkg/editseg.js');
    await init();
    const seg = await EditSeg.create('gpu');
    const weights = await fetch('/model/painter.bpk').then((r) => r.arrayBuffer());
    await seg.loadPainter(new Uint8Array(weights));
    // A small picture: this checks for leaks, not for size.
    const { image, suggestions } = scene(5, 64);
    const paints = ['#ff0000', '#00ff00', '#0000ff', '#ff00ff', '#00ffff', '#ffff00', '#ff8000', '#8000ff'];
    const out = [];
    for (let i = 1; i <= runs; i++) {
      const paint = paints[Math.floor(i / 20) % paints.length];
      const result = await seg.segment(image, suggestions[0].instruction, { color: paint, close: i % 3 });
      if (!result.stats.area) throw new Error(`run ${i}: an empty mask`);
      if (i === 50 || i === runs) {
        for (let k = 0; k < 3; k++) {
          self.gc();
          await new Promise((r) => setTimeout(r, 200));
        }
        out.push({ run: i, heap: performance.memory.usedJSHeapSize, buffers: self.liveBuffers });
      }
    }
    return out;
  }, RUNS);
  const [warm, last] = samples;
  assert.ok(warm.buffers > 0, 'the GPU buffers are counted');
  console.log(`JS heap ${(warm.heap / 1e6).toFixed(1)} MB after ${warm.run}, ${(last.heap / 1e6).toFixed(1)} MB after ${last.run}; live GPU buffers ${warm.buffers} -> ${last.buffers}`);
  assert.ok(last.heap - warm.heap <= HEAP_GROWTH, `JS heap grew by ${((last.heap - warm.heap) / 1e6).toFixed(1)} MB`);
  assert.ok(last.buffers - warm.buffers <= BUFFER_GROWTH, `live GPU buffers grew from ${warm.buffers} to ${last.buffers}`);
  assert.deepEqual(errors, []);
});
