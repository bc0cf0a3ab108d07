//! The simulation soak: many seeds of `samenloop_tests::sim` (4 members, 200 events each), printing seeds per
//! second and any failing seed. `cargo bench -p samenloop-tests --bench simulation` runs 100,000 seeds;
//! `SIM_SEEDS=<n>` and `SIM_FROM=<first seed>` change the range. Runs on every core.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use samenloop_tests::sim::{self, Config};

fn main() {
    let count: u64 = std::env::var("SIM_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let from: u64 = std::env::var("SIM_FROM").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000);
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) as u64;
    let next = AtomicU64::new(from);
    let failed = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let config = Config::default();
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= from + count {
                        break;
                    }
                    if let Err(f) = sim::run(seed, &config) {
                        failed.fetch_add(1, Ordering::Relaxed);
                        eprintln!("{f}");
                    }
                    let done = seed - from + 1;
                    if done.is_multiple_of(1000) {
                        let rate = done as f64 / started.elapsed().as_secs_f64();
                        eprintln!("{done} seeds, {rate:.1} seeds/s");
                    }
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    println!(
        "simulation soak: {count} seeds in {secs:.1} s on {threads} threads: {:.1} seeds/s ({:.2} seeds/s per thread); {} failed",
        count as f64 / secs,
        count as f64 / secs / threads as f64,
        failed.load(Ordering::Relaxed)
    );
}
