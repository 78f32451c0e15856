// The page's EditSeg runs here, off the main thread: a long diff or a forward pass never freezes
// the page. runtime.js sends {id, op, args} and gets back {id, stage} as a diff goes on, then
// {id, value} or {id, error}; the pixels of results travel as transferred buffers. Messages are
// handled one after another, in order.
import init, { EditSeg, scene } from './pkg/editseg.js';

let seg = null;
let memory = null;

const ops = {
  async start({ wasm, backend }) {
    ({ memory } = await init({ module_or_path: wasm }));
    seg = await EditSeg.create(backend);
    return { backend: seg.backend, fallbackReason: seg.fallbackReason };
  },
  maskFromEdit: ({ original, edited, options }, id) =>
    seg.maskFromEdit(original, edited, options, (stage) => self.postMessage({ id, stage })),
  async loadPainter({ weights, vocabulary }) {
    return seg.loadPainter(weights, vocabulary);
  },
  segment: ({ image, instruction, options }) => seg.segment(image, instruction, options),
  scene: ({ index, size }) => scene(index, size),
  memory: () => ({ wasm: memory?.buffer.byteLength ?? 0, heap: self.performance?.memory?.usedJSHeapSize ?? 0 }),
  stop() {
    seg?.destroy();
    seg?.free();
    seg = null;
  },
};

/** The ArrayBuffers under a result's images and byte arrays, to transfer instead of copy. */
function buffers(value, out = new Set()) {
  if (value instanceof ImageData) out.add(value.data.buffer);
  else if (ArrayBuffer.isView(value)) out.add(value.buffer);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) buffers(v, out);
  return [...out];
}

let queue = Promise.resolve();
self.onmessage = ({ data: { id, op, args } }) => {
  queue = queue.then(async () => {
    try {
      const value = await ops[op](args, id);
      self.postMessage({ id, value }, buffers(value));
    } catch (e) {
      self.postMessage({ id, error: String(e?.message ?? e) });
    }
  });
};
