// Types of `editseg/runtime`: the page's one shared EditSeg, run in a worker.
/** A picture the library reads: pixels, a bitmap, or encoded PNG / JPEG / WebP bytes. */
export type Picture = ImageData | ImageBitmap | Uint8Array | ArrayBuffer;

/** Options of the diff and cleanup, as on the command line in camelCase. */
export interface Options {
  color?: string;
  threshold?: number;
  keep?: 'all' | 'largest';
  seed?: [number, number];
  open?: number;
  close?: number;
  minArea?: number;
  maxHole?: number;
  maxShift?: number;
  outline?: 'half' | 'threshold';
}

/** What the run found and did. */
export interface Stats {
  backend: string;
  width: number;
  height: number;
  editedWidth: number;
  editedHeight: number;
  stretched: boolean;
  workingWidth: number;
  workingHeight: number;
  detectionWidth: number;
  detectionHeight: number;
  area: number;
  areaFraction: number;
  threshold: number;
  thresholdAuto: boolean;
  gain: [number, number, number];
  offset: [number, number, number];
  lighting: number;
  /** The paint the diff looked for ("#rrggbb"); null when it ran colour-blind. */
  paint: string | null;
  shift: [number, number];
  /** GPU kernel dispatches and readbacks of this request; null on the CPU path. */
  dispatches: number | null;
  readbacks: number | null;
  /** How long the run took, from both decoded pictures to the mask, heat map and overlay. */
  milliseconds: number;
  notes: string[];
}

/** The mask of what was painted, at the picture's size. */
export interface Result {
  mask: ImageData;
  /** One byte a pixel, 255 inside. */
  maskBytes: Uint8Array;
  maskPng: Uint8Array;
  heat: ImageData;
  overlay: ImageData;
  stats: Stats;
}

/** `segment`'s result: the painter's edit and timings besides the mask. */
export interface Segmented extends Result {
  found: true;
  edit: ImageData;
  editPng: Uint8Array;
  expression: string;
  paint: string;
  painterBackend: 'webgpu' | 'cpu';
  timings: { painter: number; diff: number; upsample: number; total: number };
}

/** `segment`'s result when nothing in the picture fits: no mask, and why. */
export interface NotFound {
  found: false;
  reason: 'absent' | 'not_a_scene';
  /** In words, e.g. "no green star in this picture". */
  note: string;
  expression: string;
  painterBackend: 'webgpu' | 'cpu';
  timings: { painter: number; diff: number; upsample: number; total: number };
}

/** A download's progress (`done` of `total` bytes), or a step being prepared (`text`). */
export interface Progress {
  what: string;
  done?: number;
  total?: number;
  text?: string;
}

export interface Scene {
  image: ImageData;
  suggestions: { instruction: string; mask: Uint8Array }[];
}

export interface Runtime {
  /** "cpu", or "gpu: " and the adapter's name. */
  readonly backend: string;
  /** Why the CPU path runs under "auto"; undefined when WebGPU runs. */
  readonly fallbackReason?: string;
  /** Where the painter runs once loaded. */
  readonly painterBackend?: 'webgpu' | 'cpu';
  maskFromEdit(original: Picture, edited: Picture, options?: Options, listeners?: { onStage?: (stage: string) => void }): Promise<Result>;
  loadPainter(listeners?: { onProgress?: (p: Progress) => void }): Promise<'webgpu' | 'cpu'>;
  segment(image: Picture, instruction: string, options?: Options, listeners?: { onProgress?: (p: Progress) => void }): Promise<Segmented | NotFound>;
  scene(index: number, size: number): Promise<Scene>;
  memory(): Promise<{ wasm: number; heap: number }>;
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
