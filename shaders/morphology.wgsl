// Stage 5a: binary erosion / dilation with a disk of radius r <= 32 (offsets with
// dx*dx + dy*dy <= r*r) on packed bits, one word (32 pixels) an invocation; pixels outside the
// image are ignored. Erosion is the dilation of the image's unset pixels. Opening and closing are
// two of these. CPU twin: src/cleanup/morphology.rs.

struct Params { w: u32, h: u32, radius: u32, dilate: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

// Half-width of the disk's row at vertical offset dy.
fn half_width(dy: i32) -> u32 {
    let room = i32(p.radius * p.radius) - dy * dy;
    var k = 0;
    while ((k + 1) * (k + 1) <= room) { k++; }
    return u32(k);
}

// The bits of word k of a row that lie inside the image.
fn inside(k: u32) -> u32 {
    let rest = p.w - 32u * k;
    return select((1u << rest) - 1u, 0xffffffffu, rest >= 32u);
}

// Word k of row y of the pixels to spread (set ones to dilate, unset ones to erode); 0 outside.
fn wanted(y: u32, k: i32, row_words: u32) -> u32 {
    if (k < 0 || u32(k) >= row_words) { return 0u; }
    let b = src[y * row_words + u32(k)];
    return select(~b & inside(u32(k)), b, p.dilate == 1u);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    let row_words = (p.w + 31u) / 32u;
    if (i >= row_words * p.h) { return; }
    let k = i32(i % row_words);
    let y = i32(i / row_words);
    let r = i32(p.radius);
    var acc = 0u;
    for (var dy = max(-r, -y); dy <= min(r, i32(p.h) - 1 - y); dy++) {
        let hw = half_width(dy);
        let yy = u32(y + dy);
        let left = wanted(yy, k - 1, row_words);
        let mid = wanted(yy, k, row_words);
        let right = wanted(yy, k + 1, row_words);
        var spread = mid;
        for (var s = 1u; s <= min(hw, 31u); s++) {
            spread |= (mid >> s) | (right << (32u - s)) | (mid << s) | (left >> (32u - s));
        }
        if (hw >= 32u) { spread |= left | right; }
        acc |= spread;
    }
    dst[i] = select(~acc, acc, p.dilate == 1u) & inside(u32(k));
}
