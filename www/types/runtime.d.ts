// Types of `editseg/runtime`: the page's one shared EditSeg, run in a worker.
import type { Listeners, MaskResult, NotSegmented, Options, Picture, Scene, Segmented, SegmentResult, Stats } from '../pkg/editseg.js';

export type { Listeners, NotSegmented, Options, Picture, Scene, Segmented, SegmentResult, Stats };
/** What `maskFromEdit` resolves to. */
export type Result = MaskResult;

/** A download's progress (`done` of `total` bytes), or a step being prepared (`text`). */
export interface Progress {
  what: string;
  done?: number;
  total?: number;
  text?: string;
}

export interface Runtime {
  /** "cpu", or "gpu: " and the adapter's name. */
  readonly backend: string;
  /** Why the CPU path runs under "auto"; undefined when WebGPU runs. */
  readonly fallbackReason?: string;
  /** Where the painter runs once loaded. */
  readonly painterBackend?: 'webgpu' | 'cpu';
  /** The largest picture the module reads, in pixels. */
  readonly maxPixels: number;
  maskFromEdit(original: Picture, edited: Picture, options?: Options, listeners?: Listeners): Promise<Result>;
  /** Load the painter from `weights` (painter.bpk's bytes), or fetched from the weights folder. */
  loadPainter(weights?: Uint8Array, listeners?: { onProgress?: (p: Progress) => void }): Promise<'webgpu' | 'cpu'>;
  segment(image: Picture, instruction: string, options?: Options, listeners?: { onProgress?: (p: Progress) => void }): Promise<SegmentResult>;
  scene(index: number, size: number): Promise<Scene>;
  destroy(): Promise<void>;
}

export interface StartOptions {
  /** "auto" (default): WebGPU on a real GPU, else the CPU path. */
  backend?: 'auto' | 'gpu' | 'cpu';
  /** The folder holding painter.bpk; default: model/ beside the module. */
  weights?: string | URL;
  onProgress?: (p: Progress) => void;
}

/** Start EditSeg once per page; later calls resolve to the same runtime. */
export function start(options?: StartOptions): Promise<Runtime>;
/** Release the worker and the GPU device; the next start() begins again. */
export function stop(): Promise<void>;
/** RefScenes validation scene `index` drawn at `size`x`size`. */
export function scene(index: number, size: number): Promise<Scene>;
/** Decode a File, Blob or URL into an ImageBitmap, with a message naming what failed. */
export function bitmap(source: Blob | string | URL, what: string): Promise<ImageBitmap>;
