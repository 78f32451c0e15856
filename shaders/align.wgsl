// Stage 2c: find the shift of a pixel or two that editors introduce. One invocation per
// (candidate shift, sampled row) sums the capped colour difference along that row; the host adds
// the rows up and picks the cheapest shift. Integer arithmetic, so it matches the CPU twin
// (src/diff/align.rs) exactly.

struct Params {
    w: u32, h: u32, radius: u32, stride: u32, rows: u32, cols: u32, cap: u32,
    // Sampled pixels stay this far from the border; candidates are centred on (cx, cy).
    margin: u32, cx: i32, cy: i32,
    // With drifted = 1, the original's samples are drift-corrected as they are read (stage 2b).
    drifted: u32, pad: u32,
    coef: array<vec4<f32>, 6>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> original: array<u32>;
@group(0) @binding(2) var<storage, read_write> edited: array<u32>;
@group(0) @binding(3) var<storage, read_write> cost: array<u32>;

// Sum over R, G and B of |a - b|, written out (SwiftShader runs loops slowly).
fn channel_diff(a: u32, b: u32) -> u32 {
    let x = vec3<u32>(a & 255u, (a >> 8u) & 255u, (a >> 16u) & 255u);
    let y = vec3<u32>(b & 255u, (b >> 8u) & 255u, (b >> 16u) & 255u);
    let d = max(x, y) - min(x, y);
    return d.x + d.y + d.z;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    let side = 2u * p.radius + 1u;
    if (i >= side * side * p.rows) { return; }
    let shift = i / p.rows;
    let row = i % p.rows;
    let dx = i32(shift % side) - i32(p.radius) + p.cx;
    let dy = i32(shift / side) - i32(p.radius) + p.cy;
    let y = p.margin + row * p.stride;
    let ey = u32(i32(y) + dy);
    var sum = 0u;
    for (var col = 0u; col < p.cols; col++) {
        let x = p.margin + col * p.stride;
        let ex = u32(i32(x) + dx);
        var o = original[y * p.w + x];
        if (p.drifted == 1u) { o = drifted(o, x, y, p.w, p.h, p.coef); }
        sum += min(channel_diff(o, edited[ey * p.w + ex]), p.cap);
    }
    cost[i] = sum;
}
