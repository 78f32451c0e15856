// A page of its own using the runtime's and the element's types as the README shows them; `tsc`
// must accept it as written (types.test.js).
import { start } from '../../../www/types/runtime.js';
import type { SegmentResult } from '../../../www/types/runtime.js';
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
  return `${out.paint} ${out.maskBytes.length} ${out.timings.painter} ${area} ${paint} ${limit} ${mode}`;
}
