//! Images as the stages see them: one `u32` per pixel, RGBA8 packed little-endian (red in the low
//! byte), exactly the layout WGSL's `unpack4x8unorm` reads, so CPU and GPU share every buffer.

use image::RgbaImage;
use std::borrow::Cow;
use std::ops::Range;

/// The image's pixels as words: borrowed where its bytes lie on a 4-byte boundary (as the
/// allocator places them), copied otherwise.
pub fn words(img: &RgbaImage) -> Cow<'_, [u32]> {
    match bytemuck::try_cast_slice(img.as_raw()) {
        Ok(words) if cfg!(target_endian = "little") => Cow::Borrowed(words),
        _ => Cow::Owned(to_words(img)),
    }
}

pub fn to_words(img: &RgbaImage) -> Vec<u32> {
    const CHUNK: usize = 1 << 16;
    let bytes = img.as_raw();
    let mut words = vec![0u32; bytes.len() / 4];
    for_rows(&mut words, CHUNK, |i, chunk| {
        for (w, p) in chunk.iter_mut().zip(bytes[4 * i * CHUNK..].chunks_exact(4)) {
            *w = u32::from_le_bytes([p[0], p[1], p[2], p[3]]);
        }
    });
    words
}

/// `unpack4x8unorm`.
pub fn unpack(p: u32) -> [f32; 4] {
    p.to_le_bytes().map(|c| c as f32 / 255.0)
}

/// `pack4x8unorm`: clamp, scale, round half up.
pub fn pack(v: [f32; 4]) -> u32 {
    let [r, g, b, a] = v.map(unorm8);
    r | g << 8 | b << 16 | a << 24
}

/// One channel of `pack4x8unorm`: floor(0.5 + 255 clamp(v, 0, 1)). The whole number is read
/// from the float's bits after adding 2²³ rather than by a conversion, whose saturating
/// semantics keep loops over pixels from running on vector instructions.
#[inline(always)]
pub fn unorm8(v: f32) -> u32 {
    ((0.5 + 255.0 * v.clamp(0.0, 1.0)).floor() + 8_388_608.0).to_bits() & 255
}

/// The pixel index a per-item kernel invocation works on (see `Gpu::run_items`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub w: u32,
    pub h: u32,
}

impl Grid {
    /// The grid of an image's pixels.
    pub fn of<P: image::Pixel>(img: &image::ImageBuffer<P, Vec<P::Subpixel>>) -> Grid {
        Grid {
            w: img.width(),
            h: img.height(),
        }
    }

    pub fn len(self) -> usize {
        self.w as usize * self.h as usize
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Fill `out` row by row (`width` items a row) with `fill(y, row)`: on all cores natively, in
/// order on the web, where wasm has one thread.
pub fn for_rows<T: Send>(out: &mut [T], width: usize, fill: impl Fn(usize, &mut [T]) + Sync) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(width)
            .enumerate()
            .for_each(|(y, row)| fill(y, row));
    }
    #[cfg(target_arch = "wasm32")]
    out.chunks_mut(width)
        .enumerate()
        .for_each(|(y, row)| fill(y, row));
}

/// `a` and `b`: side by side natively, one after the other on the web.
pub fn both<A: Send, B: Send>(
    a: impl FnOnce() -> A + Send,
    b: impl FnOnce() -> B + Send,
) -> (A, B) {
    #[cfg(not(target_arch = "wasm32"))]
    return rayon::join(a, b);
    #[cfg(target_arch = "wasm32")]
    (a(), b())
}

/// `f` over the two halves of `0..n`, side by side (as [`both`]), its results concatenated in
/// order: the same list as `f(0..n)` gives.
pub fn halves<R: Send>(n: usize, f: impl Fn(std::ops::Range<usize>) -> Vec<R> + Sync) -> Vec<R> {
    let (mut first, second) = both(|| f(0..n / 2), || f(n / 2..n));
    first.extend(second);
    first
}

/// Where in `0..n` the items `marked` picks can lie, for rows whose marked items lie mostly at
/// their ends (the pixels an edit's frame does not show): the run before the first unmarked item,
/// the run after the last, and the stretch between them only where a branch-free look finds any
/// (else empty).
pub fn marked_runs(n: usize, marked: impl Fn(usize) -> bool) -> [Range<usize>; 3] {
    let lo = (0..n).position(|x| !marked(x)).unwrap_or(n);
    let hi = (lo..n).rev().find(|&x| !marked(x)).map_or(lo, |x| x + 1);
    let inner = (lo..hi).fold(false, |any, x| any | marked(x));
    [0..lo, if inner { lo..hi } else { lo..lo }, hi..n]
}

/// A result computed beside the work that follows (natively, as a job on the thread pool, which
/// fills a core the serial stages leave idle; on the web, at once), taken with [`Later::get`].
pub struct Later<T> {
    #[cfg(not(target_arch = "wasm32"))]
    result: std::sync::mpsc::Receiver<std::thread::Result<T>>,
    #[cfg(target_arch = "wasm32")]
    result: T,
}

pub fn later<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Later<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let (send, result) = std::sync::mpsc::sync_channel(1);
        // A panic comes back to `get`, as if `f` had run there.
        rayon::spawn(move || {
            let _ = send.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
        });
        Later { result }
    }
    #[cfg(target_arch = "wasm32")]
    Later { result: f() }
}

impl<T> Later<T> {
    pub fn get(self) -> T {
        #[cfg(not(target_arch = "wasm32"))]
        loop {
            use std::sync::mpsc::RecvTimeoutError;
            // A thread of the pool runs pending jobs while it waits: the one waited for may be
            // queued behind this thread (the only one in a pool of one).
            let wait = match rayon::yield_now() {
                Some(rayon::Yield::Executed) => std::time::Duration::ZERO,
                _ => std::time::Duration::from_micros(200),
            };
            match self.result.recv_timeout(wait) {
                Ok(Ok(value)) => return value,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => unreachable!("the job sends before it ends"),
            }
        }
        #[cfg(target_arch = "wasm32")]
        self.result
    }
}

/// `f` with the pool's other threads kept awake until it returns (natively; on the web, just
/// `f`). A pool thread that finds no work soon sleeps, and waking it takes longer (about 80 µs
/// on a virtual machine) than many of the pipeline's stages take on both cores: so while `f`
/// runs they poll for work instead, and take each stage's rows as it starts. A thread that finds
/// nothing to do for `AWAKE_IDLE` goes back to sleep.
pub fn awake<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    #[cfg(not(target_arch = "wasm32"))]
    return awake_at_most(AWAKE_IDLE, f);
    #[cfg(target_arch = "wasm32")]
    f()
}

/// [`awake`] with the idle limit given, so a test can tell ending with `f` from timing out.
#[cfg(not(target_arch = "wasm32"))]
fn awake_at_most<T: Send>(idle: std::time::Duration, f: impl FnOnce() -> T + Send) -> T {
    use std::sync::atomic::{AtomicBool, Ordering};
    let done = &AtomicBool::new(false);
    rayon::scope(|s| {
        let owner = rayon::current_thread_index();
        for _ in 1..rayon::current_num_threads() {
            s.spawn(move |_| poll(done, owner, idle));
        }
        let result = f();
        done.store(true, Ordering::Release);
        result
    })
}

/// The longest a thread kept awake by [`awake`] polls without finding work.
#[cfg(not(target_arch = "wasm32"))]
const AWAKE_IDLE: std::time::Duration = std::time::Duration::from_millis(3);

#[cfg(not(target_arch = "wasm32"))]
fn poll(done: &std::sync::atomic::AtomicBool, owner: Option<usize>, idle: std::time::Duration) {
    // The thread running `f` may pick this job up while it waits for its own: it must not poll.
    if rayon::current_thread_index() == owner {
        return;
    }
    let mut since = std::time::Instant::now();
    while !done.load(std::sync::atomic::Ordering::Acquire) {
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => since = std::time::Instant::now(),
            _ if since.elapsed() > idle => return,
            _ => std::hint::spin_loop(),
        }
    }
}

/// `for_rows` with scratch space that rows reuse: `init` makes one per batch of rows a thread
/// takes (natively) or one for all (on the web).
pub fn for_rows_with<T: Send, S>(
    out: &mut [T],
    width: usize,
    init: impl Fn() -> S + Sync + Send,
    fill: impl Fn(&mut S, usize, &mut [T]) + Sync + Send,
) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(width)
            .enumerate()
            .for_each_init(init, |scratch, (y, row)| fill(scratch, y, row));
    }
    #[cfg(target_arch = "wasm32")]
    {
        let mut scratch = init();
        out.chunks_mut(width)
            .enumerate()
            .for_each(|(y, row)| fill(&mut scratch, y, row));
    }
}

/// For each pixel along one side of a larger grid (`full` pixels), the pixel of the smaller side
/// (`grid` pixels) it falls in: `x * grid / full`, rounded down, as the shaders compute it.
pub fn nearest(full: u32, grid: u32) -> Vec<usize> {
    (0..full)
        .map(|x| (x as u64 * grid as u64 / full as u64) as usize)
        .collect()
}

/// For each pixel along the smaller side, the run of the larger side's pixels that fall in it
/// (see [`nearest`]).
pub fn runs(full: u32, grid: u32) -> Vec<Range<usize>> {
    let mut runs = vec![0..0; grid as usize];
    for (x, g) in nearest(full, grid).into_iter().enumerate() {
        runs[g] = if runs[g].is_empty() {
            x..x + 1
        } else {
            runs[g].start..x + 1
        };
    }
    runs
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn the_marked_runs_hold_every_marked_item_and_skip_an_unmarked_middle() {
        let mut rng = crate::rng::Rng::new(23);
        for _ in 0..500 {
            let n = (rng.next_u64() % 40) as usize;
            // Marked ends of random lengths, and now and then marked items between them.
            let (a, b) = (
                (rng.next_u64() % 12) as usize,
                (rng.next_u64() % 12) as usize,
            );
            let middle = rng.next_u64().is_multiple_of(3);
            let marks: Vec<bool> = (0..n)
                .map(|x| x < a || x + b >= n || (middle && rng.next_u64().is_multiple_of(7)))
                .collect();
            let runs = marked_runs(n, |x| marks[x]);
            let covered: Vec<usize> = runs.iter().cloned().flatten().collect();
            for x in (0..n).filter(|&x| marks[x]) {
                assert!(covered.contains(&x), "{x} of {marks:?} outside {runs:?}");
            }
            // The ends are marked throughout, and an unmarked middle is not looked at.
            assert!(runs[0].clone().chain(runs[2].clone()).all(|x| marks[x]));
            if !marks[runs[0].end..runs[2].start].contains(&true) {
                assert!(runs[1].is_empty(), "{marks:?}: {runs:?}");
            }
        }
    }

    #[test]
    fn a_later_result_arrives_even_in_a_pool_of_one_thread_and_its_panic_resurfaces() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        // The only thread waits for a job queued behind it: it runs that job itself.
        let sum = pool.install(|| {
            let job = later(|| (0..1000u64).sum::<u64>());
            let mut rows = vec![0u32; 64];
            for_rows(&mut rows, 8, |y, row| row.fill(y as u32));
            job.get() + rows.iter().map(|&v| v as u64).sum::<u64>()
        });
        assert_eq!(sum, 499_500 + 8 * (0..8).sum::<u64>());
        let failed = std::panic::catch_unwind(|| later(|| panic!("drawing failed")).get());
        let message = failed.expect_err("the panic comes back");
        assert_eq!(message.downcast_ref::<&str>(), Some(&"drawing failed"));
    }

    #[test]
    fn work_kept_awake_returns_when_it_ends_on_pools_of_one_to_three_threads() {
        // An idle limit far longer than the work: pollers that stopped only at that limit
        // would hold every run for 20 s, while ending with the work takes a few milliseconds.
        // The bound in between is wide enough for a loaded machine.
        const IDLE: std::time::Duration = std::time::Duration::from_secs(20);
        const BOUND: std::time::Duration = std::time::Duration::from_secs(5);
        for threads in 1..=3 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            // A pause, in which the other threads take their polling jobs, then rows and a
            // later job, which they may take.
            let run = || {
                std::thread::sleep(std::time::Duration::from_millis(1));
                let job = later(|| 7u64);
                let mut rows = vec![0u64; 4096];
                for_rows(&mut rows, 64, |y, row| row.fill(y as u64));
                rows.iter().sum::<u64>() + job.get()
            };
            for _ in 0..3 {
                let started = std::time::Instant::now();
                assert_eq!(pool.install(|| awake_at_most(IDLE, run)), 64 * 2016 + 7);
                let took = started.elapsed();
                assert!(took < BOUND, "{threads} threads: a run took {took:?}");
            }
        }
    }
}
