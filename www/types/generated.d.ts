// Written by tests/types.rs from the Rust definitions (EDITSEG_RECORD=1 cargo test --test types).
export type Stats = { backend: string, width: number, height: number, editedWidth: number, editedHeight: number, 
/**
 * The edit had another aspect ratio and was stretched back onto the original.
 */
stretched: boolean, 
/**
 * The grid the stages ran on (smaller than the original for very large images).
 */
workingWidth: number, workingHeight: number, 
/**
 * The grid the painted region was found on (smaller than the working grid for large
 * pictures; the outline is placed on the working grid).
 */
detectionWidth: number, detectionHeight: number, area: number, areaFraction: number, threshold: number, thresholdAuto: boolean, gain: [number, number, number], offset: [number, number, number], lighting: number, 
/**
 * The paint the diff looked for ("#rrggbb"), or none when it ran colour-blind.
 */
paint: string | null, 
/**
 * The share of the picture that changed clearly (a CIELAB distance of 10 or more on the
 * detection grid), painted or not: near the object's share for an edit that only painted
 * it, most of the picture for one the editor redrew.
 */
changedShare: number, 
/**
 * How much the picture looks like a RefScenes scene to the built-in painter (its requests
 * only).
 */
sceneLikeness: number | null, 
/**
 * Edited pixel = original pixel + shift, in working-grid pixels (after the registration).
 */
shift: [number, number], 
/**
 * How the edit's frame was brought onto the original's.
 */
registration: Registration, 
/**
 * The share of the original's pixels the edit's frame shows (1 unless the editor cropped).
 */
visibleShare: number, 
/**
 * The diff that found the region.
 */
diff: Diff, 
/**
 * Kernel dispatches and GPU-to-host readbacks this request made (GPU path only).
 */
dispatches: number | null, readbacks: number | null, 
/**
 * How long the run took, from both decoded pictures to the mask, heat map and overlay.
 */
milliseconds: number, notes: Array<string>, };
export type Registration = { method: Method, scale: [number, number], rotation: number, offset: [number, number], largestDrift: number, residual: number, };
export type Method = "auto" | "shift" | "affine" | "flow";
export type Diff = "editseg" | "ming";
export type Timings = { painter: number, 
/**
 * Diff and cleanup at the painter's size.
 */
diff: number, 
/**
 * Edge-aware upsampling to the picture's size, heat map and overlay.
 */
upsample: number, };
export type Reason = "absent" | "not_a_scene";
export type NotFound = { reason: Reason, 
/**
 * In words: "no green star in this picture".
 */
note: string, 
/**
 * How much the picture looks like a RefScenes scene (see [`super::scene_likeness`]).
 */
sceneLikeness: number, };
