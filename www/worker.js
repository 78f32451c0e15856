// The page's EditSeg runs here, off the main thread: a long diff or a forward pass never freezes
// the page. runtime.js sends {id, op, args} and gets back {id, stage} as a diff goes on, then
// {id, value} or {id, error}; pictures travel as transferred buffers (wire.js). Messages are
// handled one after another, in order.
import init, { EditSeg, editorAnswer, editorDefaults, editorRequest, maxPixels, scene } from './pkg/editseg.js';
import { fromWire, toWire } from './wire.js';

let seg = null;
let memory = null;

const ops = {
  async start({ wasm, backend }) {
    ({ memory } = await init({ module_or_path: wasm }));
    seg = await EditSeg.create(backend);
    return { backend: seg.backend, fallbackReason: seg.fallbackReason, maxPixels: maxPixels() };
  },
  maskFromEdit: ({ original, edited, options }, id) =>
    seg.maskFromEdit(original, edited, options, { onStage: (stage) => self.postMessage({ id, stage }) }),
  loadPainter: ({ weights }) => seg.loadPainter(weights),
  segment: ({ image, instruction, options }) => seg.segment(image, instruction, options),
  scene: ({ index, size }) => scene(index, size),
  editorRequest: ({ image, instruction, color, editor }) => editorRequest(image, instruction, color, editor),
  editorDefaults: ({ adapter }) => editorDefaults(adapter),
  editorAnswer: ({ adapter, status, retryAfter, body }) => editorAnswer(adapter, status, retryAfter, body),
  memory: () => ({ wasm: memory?.buffer.byteLength ?? 0, heap: self.performance?.memory?.usedJSHeapSize ?? 0 }),
  stop() {
    seg?.destroy();
    seg?.free();
    seg = null;
  },
};

let queue = Promise.resolve();
self.onmessage = ({ data: { id, op, args } }) => {
  queue = queue.then(async () => {
    try {
      const [value, transfer] = toWire(await ops[op](fromWire(args), id));
      self.postMessage({ id, value }, transfer);
    } catch (e) {
      // An editor's failure keeps its class, status and the editor's own words.
      self.postMessage({ id, error: String(e?.message ?? e), class: e?.class, status: e?.status, editorMessage: e?.editorMessage });
    }
  });
};
