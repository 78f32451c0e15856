// Stage 2b: apply the estimated photometric drift to the original, so that it looks the way the
// editor would have rendered it without the paint: per channel, out = a(x, y) * in + b, where
// a is a quadratic field (global gain plus smooth lighting). CPU twin: src/diff/drift.rs.

struct Params {
    w: u32, h: u32, pad0: u32, pad1: u32,
    // Per channel: six coefficients of a over (1, x, y, x*x, x*y, y*y), then b, then one pad.
    coef: array<vec4<f32>, 6>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    dst[i] = drifted(src[i], i % p.w, i / p.w, p.w, p.h, p.coef);
}
