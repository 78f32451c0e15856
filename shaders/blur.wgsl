// Stage 2a: separable Gaussian blur, one axis per dispatch, edges clamped. It removes the grain,
// re-synthesised texture and JPEG blocking that editors add to pixels they were not asked to
// touch. CPU twin: src/diff/blur.rs.

struct Params { w: u32, h: u32, radius: u32, sigma: f32, vertical: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let x = i32(i % p.w);
    let y = i32(i / p.w);
    let r = i32(p.radius);
    var acc = vec4<f32>(0.0);
    var total = 0.0;
    for (var k = -r; k <= r; k++) {
        let wk = exp(-f32(k * k) / (2.0 * p.sigma * p.sigma));
        var sx = x;
        var sy = y;
        if (p.vertical == 1u) { sy = clamp(y + k, 0, i32(p.h) - 1); } else { sx = clamp(x + k, 0, i32(p.w) - 1); }
        acc += wk * unpack4x8unorm(src[u32(sy) * p.w + u32(sx)]);
        total += wk;
    }
    dst[i] = pack4x8unorm(acc / total);
}
