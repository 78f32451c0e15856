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

fn coefficient(c: u32, k: u32) -> f32 {
    let flat = c * 8u + k;
    return p.coef[flat / 4u][flat % 4u];
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let x = (f32(i % p.w) + 0.5) / f32(p.w) * 2.0 - 1.0;
    let y = (f32(i / p.w) + 0.5) / f32(p.h) * 2.0 - 1.0;
    let basis = array<f32, 6>(1.0, x, y, x * x, x * y, y * y);
    let v = unpack4x8unorm(src[i]);
    var out = v;
    for (var c = 0u; c < 3u; c++) {
        var a = 0.0;
        for (var k = 0u; k < 6u; k++) { a += coefficient(c, k) * basis[k]; }
        out[c] = a * v[c] + coefficient(c, 6u);
    }
    dst[i] = pack4x8unorm(out);
}
