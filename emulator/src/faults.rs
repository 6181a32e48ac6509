//! Deliberate misbehaviour for clients' tests: a delay before every answer
//! (`--latency`) and a seeded fraction of 500s (`--fail-rate`, `--seed`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::routes::{self, Reply};

/// Latency and failure injection of one emulator.
pub struct Faults {
    pub latency: Duration,
    /// Requests whose draw falls below this (out of 2^53) are failed.
    threshold: u64,
    seed: u64,
    draws: AtomicU64,
}

impl Faults {
    /// `fail_rate` must be in 0.0..=1.0 (checked by [`check_fail_rate`]).
    pub fn new(latency: Duration, fail_rate: f64, seed: u64) -> Faults {
        // 2^53 fits an f64 exactly; the product is in 0..=2^53.
        let threshold = (fail_rate * (1u64 << 53) as f64) as u64;
        Faults {
            latency,
            threshold,
            seed,
            draws: AtomicU64::new(0),
        }
    }

    /// Whether the next request is answered with an injected 500. The n-th
    /// draw depends only on the seed and n, so a run is repeatable.
    pub fn should_fail(&self) -> bool {
        if self.threshold == 0 {
            return false;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        splitmix64(self.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)) >> 11 < self.threshold
    }
}

/// The injected failure: NestJS's generic 500.
pub fn injected_failure() -> Reply {
    routes::error(500, "Internal server error")
}

/// Rejects a rate that is not a probability.
pub fn check_fail_rate(rate: f64) -> Result<(), String> {
    if (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(format!("fail rate must be between 0 and 1, got {rate}"))
    }
}

/// Sebastiano Vigna's SplitMix64 finaliser: a well-mixed 64-bit hash.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draws(rate: f64, seed: u64, n: usize) -> Vec<bool> {
        let faults = Faults::new(Duration::ZERO, rate, seed);
        (0..n).map(|_| faults.should_fail()).collect()
    }

    #[test]
    fn rates_zero_and_one_are_exact() {
        assert!(draws(0.0, 7, 1000).iter().all(|failed| !failed));
        assert!(draws(1.0, 7, 1000).iter().all(|failed| *failed));
    }

    #[test]
    fn a_seed_repeats_and_the_fraction_is_near_the_rate() {
        let a = draws(0.25, 42, 10_000);
        assert_eq!(a, draws(0.25, 42, 10_000));
        assert_ne!(a, draws(0.25, 43, 10_000));
        let failed = a.iter().filter(|failed| **failed).count();
        assert!((2200..2800).contains(&failed), "{failed}");
    }

    #[test]
    fn rates_outside_0_1_are_refused() {
        for rate in [-0.1, 1.5, f64::NAN] {
            assert!(check_fail_rate(rate).is_err(), "{rate}");
        }
        assert!(check_fail_rate(0.5).is_ok());
    }
}
