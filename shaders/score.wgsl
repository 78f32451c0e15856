// Stage 3: change score per pixel in CIELAB. With a known paint colour, a change that points
// from the original toward the paint counts fully and one in another direction counts a third,
// which keeps re-synthesised texture and noise low while both edit styles (a shading-keeping
// recolour, a half-opacity overlay) score high. The score is the lower of the blurred pair's
// (deaf to grain and texture) and the sharp pair's (which puts the object's edge where it is,
// not a blur radius outside it). CPU twin: src/diff/score.rs.

struct Params {
    w: u32, h: u32, dx: i32, dy: i32,
    paint: vec3<f32>, has_paint: u32,
    scale: f32, off_axis: f32, strength_scale: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> original: array<u32>;
@group(0) @binding(2) var<storage, read_write> edited: array<u32>;
@group(0) @binding(3) var<storage, read_write> original_sharp: array<u32>;
@group(0) @binding(4) var<storage, read_write> edited_sharp: array<u32>;
@group(0) @binding(5) var<storage, read_write> score: array<u32>;
// sRGB decoded, per byte value: the CPU twin's table (`LabTable`), and a read instead of `pow`.
@group(0) @binding(6) var<storage, read_write> srgb: array<f32>;

// The largest strength (`score::MAX_STRENGTH`).
const MAX_STRENGTH: u32 = 4095u;

fn lab8(v: u32) -> vec3<f32> {
    return lab_linear(srgb[v & 255u], srgb[(v >> 8u) & 255u], srgb[(v >> 16u) & 255u]);
}

fn change(original_rgba: u32, edited_rgba: u32) -> f32 {
    return change_lab(lab8(original_rgba), lab8(edited_rgba), p.paint, p.has_paint == 1u, p.off_axis);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let x = i32(i % p.w);
    let y = i32(i / p.w);
    let j = u32(clamp(y + p.dy, 0, i32(p.h) - 1)) * p.w + u32(clamp(x + p.dx, 0, i32(p.w) - 1));
    let sharp = change(original_sharp[i], edited_sharp[j]);
    let c = min(change(original[i], edited[j]), sharp);
    score[i] = u32(min(c * p.scale, 255.0) + 0.5);
    // After the scores, the paint's strength for the outline (stage 5c): the sharp pair's
    // change, unsaturated (`strength` in src/diff/score.rs).
    score[p.w * p.h + i] = min(u32(sharp * p.strength_scale + 0.5), MAX_STRENGTH);
}
