// Stage 4: the binarisation at the threshold (picked on the host from the score's histogram).
// CPU twin: src/cleanup/threshold.rs.

struct Params { n: u32, threshold: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> score: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;

@compute @workgroup_size(256)
fn binarize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.n) { return; }
    atomicStore(&out[i], select(0u, 1u, score[i] > p.threshold));
}
