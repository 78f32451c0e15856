// Stage 4: the binarisation at the threshold (picked on the host from the score's histogram),
// into packed bits: one invocation a word, 32 pixels of a row. CPU twin: src/cleanup/threshold.rs.

struct Params { w: u32, h: u32, threshold: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> score: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

@compute @workgroup_size(256)
fn binarize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    let row_words = (p.w + 31u) / 32u;
    if (i >= row_words * p.h) { return; }
    let y = i / row_words;
    let x0 = (i % row_words) * 32u;
    var word = 0u;
    for (var j = 0u; j < min(32u, p.w - x0); j++) {
        word |= select(0u, 1u << j, score[y * p.w + x0 + j] > p.threshold);
    }
    out[i] = word;
}
