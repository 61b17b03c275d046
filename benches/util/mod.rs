//! Helpers shared by the benchmarks.

use std::time::Instant;

/// Median of `rounds` timings of `iters` calls, in nanoseconds per call.
pub fn per_call(iters: u32, rounds: usize, mut f: impl FnMut()) -> f64 {
    let mut v: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..iters {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v.get(rounds / 2).copied().unwrap_or(f64::NAN)
}
