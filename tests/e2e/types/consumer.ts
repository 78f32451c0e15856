// A page of its own using the runtime's and the element's types as the README shows them; `tsc`
// must accept it as written (types.test.js).
import { start } from '../../../www/types/runtime.js';
import type { EditorFailure, EditorResult, SegmentResult } from '../../../www/types/runtime.js';
import '../../../www/types/element.js';

export async function demo(image: ImageBitmap): Promise<string> {
  const seg = await start({ backend: 'auto' });
  const limit: number = seg.maxPixels;
  const diff = await seg.maskFromEdit(image, image, { color: 'red', open: 1 }, { onStage: (s) => console.log(s) });
  const area: number = diff.stats.area;
  const paint: string | null = diff.stats.paint;
  await seg.loadPainter(undefined, { onProgress: (p) => console.log(p.what, p.done ?? p.text) });
  const out: SegmentResult = await seg.segment(image, 'paint the star purple', { force: true });
  if (!out.found) {
    const reason: 'absent' | 'not_a_scene' = out.reason;
    return `${reason}: ${out.note} (${out.timings.total} ms)`;
  }
  const widget = document.querySelector('edit-seg');
  const mode: 'prompt' | 'edit' | undefined = widget?.mode;
  // An editor of the page's own, by key or by headers, in the runtime and the element.
  const cancel = new AbortController();
  const edited: EditorResult = await seg.segmentWithEditor(image, 'paint the girl purple',
    { adapter: 'openai', endpoint: 'http://localhost:8000/v1', model: 'Qwen/Qwen-Image-Edit', key: 'k' },
    {}, { signal: cancel.signal, onWaiting: (s: number) => console.log(s), timeout: 60_000 });
  const frame: string = edited.stats.registration.method;
  const failed: EditorFailure = 'refused';
  if (widget) widget.editor = { adapter: 'gemini', headers: async () => ({ 'x-goog-api-key': 'k' }) };
  console.log(edited.editorMs, edited.colorName, frame, failed, (await seg.editorDefaults('gemini')).model);
  return `${out.paint} ${out.maskBytes.length} ${out.timings.painter} ${area} ${paint} ${limit} ${mode}`;
}
