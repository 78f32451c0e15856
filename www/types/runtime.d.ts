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

/** An editor of the page's own: the key, or a function giving the request's headers. */
export interface Editor {
  adapter: 'openai' | 'gemini';
  endpoint?: string;
  model?: string;
  seed?: number;
  key?: string;
  headers?: () => Promise<Record<string, string>> | Record<string, string>;
}

/** `segmentWithEditor`'s result: the mask and what the editor did. */
export interface EditorResult extends Result {
  edit: ImageBitmap;
  /** The editor's picture as it sent the bytes (PNG, JPEG or WebP). */
  editPng: Uint8Array;
  prompt: string;
  /** The colour the diff looked for ("#rrggbb") and its name in the prompt. */
  paint: string;
  colorName: string;
  editorMs: number;
  finishReason: string | null;
  text: string | null;
}

/** How an editor failed: `error.class`. */
export type EditorFailure = 'refused' | 'no_image' | 'http' | 'timeout' | 'network' | 'bad_image' | 'cancelled';

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
  /** The provider's public endpoint and usual model. */
  editorDefaults(adapter: 'openai' | 'gemini'): Promise<{ endpoint: string; model: string }>;
  /**
   * Have `editor` paint what `instruction` names on `image`, then find the mask. The picture and
   * prompt go straight to the editor's endpoint. Rejects with an Error whose `class` is an
   * `EditorFailure`.
   */
  segmentWithEditor(image: Picture, instruction: string, editor: Editor, options?: Options, listeners?: {
    signal?: AbortSignal;
    onWaiting?: (seconds: number) => void;
    onStage?: (stage: string) => void;
    /** Milliseconds to wait for the editor (default 120 000). */
    timeout?: number;
  }): Promise<EditorResult>;
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
