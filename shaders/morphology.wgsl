// Stage 5a: binary erosion / dilation with a disk of radius r (offsets with dx*dx + dy*dy <= r*r);
// pixels outside the image are ignored. Opening and closing are two of these.
// CPU twin: src/cleanup/morphology.rs.

struct Params { w: u32, h: u32, radius: u32, dilate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

// Half-width of the disk's row at vertical offset dy.
fn half_width(dy: i32) -> i32 {
    let room = i32(p.radius * p.radius) - dy * dy;
    var k = 0;
    while ((k + 1) * (k + 1) <= room) { k++; }
    return k;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.w * p.h) { return; }
    let x = i32(i % p.w);
    let y = i32(i / p.w);
    let r = i32(p.radius);
    // Erosion keeps a pixel only if no neighbour is 0; dilation sets it if any neighbour is 1.
    let wanted = select(0u, 1u, p.dilate == 1u);
    var found = false;
    for (var dy = max(-r, -y); dy <= min(r, i32(p.h) - 1 - y); dy++) {
        let hw = half_width(dy);
        let row = u32(y + dy) * p.w;
        for (var xx = max(x - hw, 0); xx <= min(x + hw, i32(p.w) - 1); xx++) {
            if (src[row + u32(xx)] == wanted) { found = true; break; }
        }
        if (found) { break; }
    }
    dst[i] = select(1u - wanted, wanted, found);
}
