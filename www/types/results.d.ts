// The JS API's argument and result shapes around the types written from the Rust definitions
// (generated.d.ts). Both are part of the module's own declarations (pkg/editseg.d.ts), which
// the runtime's and the element's types import.

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
  /** How the edit's frame is brought onto the original's (default auto). */
  register?: 'auto' | 'shift' | 'affine' | 'flow';
  /** Which diff finds the painted region: EditSeg's, or the article's own recipe. */
  diff?: 'editseg' | 'ming';
  /** `segment` only: paint even a picture that does not look like a RefScenes scene. */
  force?: boolean;
}

/** What a long call reports as it goes. */
export interface Listeners {
  /** Each stage of the diff as it begins ("finding the painted region", ...). */
  onStage?: (stage: string) => void;
}

/** The mask of what was painted, at the picture's size: what `maskFromEdit` resolves to. */
export interface MaskResult {
  mask: ImageData;
  /** One byte a pixel, 255 inside. */
  maskBytes: Uint8Array;
  maskPng: Uint8Array;
  heat: ImageData;
  /** The original with the mask over it; what the edit's frame did not show is hatched. */
  overlay: ImageData;
  /** What the edit's frame showed (255) and did not (0), one byte a pixel; null when it showed
   * all of the original. */
  visibleBytes: Uint8Array | null;
  stats: Stats;
}

/** `segment`'s result with a mask: the painter's edit and timings besides it. */
export interface Segmented extends MaskResult {
  found: true;
  edit: ImageData;
  editPng: Uint8Array;
  expression: string;
  paint: string;
  painterBackend: 'webgpu' | 'cpu';
  timings: Timings & { total: number };
}

/** `segment`'s result when nothing in the picture fits: no mask, and why. */
export interface NotSegmented extends NotFound {
  found: false;
  expression: string;
  painterBackend: 'webgpu' | 'cpu';
  timings: Timings & { total: number };
}

export type SegmentResult = Segmented | NotSegmented;

/** A RefScenes scene with one suggested instruction per object that can be named alone. */
export interface Scene {
  image: ImageData;
  suggestions: { instruction: string; mask: Uint8Array }[];
}

/** An HTTP editor as the page drives it (the key is added by the caller, never passed here). */
export interface EditorSettings {
  adapter: 'openai' | 'gemini';
  /** Default: the provider's public endpoint. */
  endpoint?: string;
  /** Default: the provider's usual image model. */
  model?: string;
  seed?: number;
}

/** What `editorRequest` gives: the request in the editor's wire format, and what was asked. */
export interface EditorRequest {
  url: string;
  contentType: string;
  body: Uint8Array;
  /** The header that carries the key, and what goes before the key in it. */
  keyHeader: string;
  keyPrefix: string;
  prompt: string;
  /** The colour the diff is told ("#rrggbb") and its name in the prompt. */
  color: string;
  colorName: string;
}

/** An editor's answer as `editorAnswer` reads it: the picture's bytes as sent. */
export interface EditorAnswer {
  image: Uint8Array;
  finishReason: string | null;
  text: string | null;
}
