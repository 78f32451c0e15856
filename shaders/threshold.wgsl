// Stage 4: a 256-bin histogram of the score (workgroup-local bins, then one atomic add per bin
// into the global histogram) for Otsu's threshold, and the binarisation itself.
// CPU twin: src/cleanup/threshold.rs.

struct Params { n: u32, threshold: u32 }

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> score: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<atomic<u32>>;

var<workgroup> bins: array<atomic<u32>, 256>;

@compute @workgroup_size(256)
fn histogram(
    @builtin(global_invocation_id) gid: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = item_index(gid, nwg);
    if (i < p.n) { atomicAdd(&bins[min(score[i], 255u)], 1u); }
    workgroupBarrier();
    let count = atomicLoad(&bins[lid]);
    if (count > 0u) { atomicAdd(&out[lid], count); }
}

@compute @workgroup_size(256)
fn binarize(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = item_index(gid, nwg);
    if (i >= p.n) { return; }
    atomicStore(&out[i], select(0u, 1u, score[i] > p.threshold));
}
