//! The world's one source of decisions: a seeded PRNG whose draws are recorded on a tape.
//!
//! Every choice the simulator makes (latencies, splits, fault firings, client operations) is a
//! draw from here, so a run is a function of its seed. The tape makes runs editable: replaying a
//! tape with some draws zeroed or removed is how the shrinker simplifies a failing run. Draws are
//! shaped so that 0 means "the simplest thing": no fault, shortest delay, first option.

use verdis_engine::Rng;

/// Seeded decisions, optionally read back from an edited tape.
pub struct Decider {
    rng: Rng,
    /// Draws to use before falling back to `rng` (the shrinker's edited tape).
    replay: Vec<u64>,
    pos: usize,
    /// Every draw made, when recording.
    tape: Option<Vec<u64>>,
}

impl Decider {
    /// Decisions drawn from `seed`.
    pub fn new(seed: u64) -> Decider {
        Decider { rng: Rng::new(seed), replay: Vec::new(), pos: 0, tape: None }
    }

    /// Decisions read from `tape` first, then drawn from `seed`.
    pub fn replaying(seed: u64, tape: Vec<u64>) -> Decider {
        Decider { rng: Rng::new(seed), replay: tape, pos: 0, tape: None }
    }

    /// Starts keeping every draw (for shrinking).
    pub fn record(&mut self) {
        self.tape = Some(Vec::new());
    }

    /// The draws made so far, if recording.
    pub fn take_tape(&mut self) -> Vec<u64> {
        self.tape.take().unwrap_or_default()
    }

    fn raw(&mut self) -> u64 {
        let v = if self.pos < self.replay.len() { self.replay[self.pos] } else { self.rng.next_u64() };
        self.pos += 1;
        if let Some(tape) = &mut self.tape {
            tape.push(v);
        }
        v
    }

    /// A uniform integer in `0..bound` (`bound` > 0).
    pub fn below(&mut self, bound: u64) -> u64 {
        debug_assert!(bound > 0);
        self.raw() % bound
    }

    /// A uniform integer in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            // Still draw, so that the number of draws does not depend on the bounds.
            self.raw();
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`. A zero draw is always false, so zeroed tapes fire no faults.
    pub fn chance(&mut self, p: f64) -> bool {
        let v = self.raw();
        p > 0.0 && ((v >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) >= 1.0 - p && v != 0
    }

    /// A value in `lo..=hi` skewed toward `lo` (half the draws land in the bottom eighth).
    pub fn skewed(&mut self, lo: u64, hi: u64) -> u64 {
        let span = hi.saturating_sub(lo);
        if self.chance(0.5) {
            lo + self.below(span + 1)
        } else {
            lo + self.below(span / 8 + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws_and_a_zero_tape_fires_nothing() {
        let (mut a, mut b) = (Decider::new(3), Decider::new(3));
        a.record();
        let xs: Vec<u64> = (0..50).map(|_| a.below(1000)).collect();
        let ys: Vec<u64> = (0..50).map(|_| b.below(1000)).collect();
        assert_eq!(xs, ys);
        assert_eq!(a.take_tape().len(), 50);
        let mut z = Decider::replaying(3, vec![0; 100]);
        assert!((0..100).all(|_| !z.chance(0.99)));
        let mut c = Decider::new(3);
        assert!((0..1000).filter(|_| c.chance(0.5)).count() > 400);
    }
}
