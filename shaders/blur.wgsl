// Stage 2a: separable Gaussian blur, one axis per dispatch, edges clamped. It removes the grain,
// re-synthesised texture and JPEG blocking that editors add to pixels they were not asked to
// touch. The weights come from the host in units of 1/65536 and every byte is summed in
// integers, so the result is the CPU twin's (src/diff/blur.rs) exactly.

struct Params { w: u32, h: u32, radius: u32, vertical: u32, weights: array<vec4<u32>, 5> }

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
    // Per channel, as the CPU twin sums: half a unit to round, then weight times byte.
    var acc = vec4<u32>(32768u);
    for (var k = -r; k <= r; k++) {
        let t = u32(k + r);
        let wk = p.weights[t / 4u][t % 4u];
        var sx = x;
        var sy = y;
        if (p.vertical == 1u) { sy = clamp(y + k, 0, i32(p.h) - 1); } else { sx = clamp(x + k, 0, i32(p.w) - 1); }
        let v = src[u32(sy) * p.w + u32(sx)];
        acc += wk * vec4<u32>(v & 255u, (v >> 8u) & 255u, (v >> 16u) & 255u, v >> 24u);
    }
    let b = min(acc >> vec4<u32>(16u), vec4<u32>(255u));
    dst[i] = b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}
