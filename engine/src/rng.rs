//! The node's seeded random number generator.
//!
//! Every random choice the core makes (RANDOMKEY, active-expire sampling, hash seeds) draws from
//! one `Rng`, seeded from the OS by the production shell and from the run's seed in simulation, so
//! the same seed replays the same run bit for bit. xoshiro256** seeded through splitmix64.

/// A small, fast, seedable PRNG (xoshiro256**). Not cryptographic.
#[derive(Clone, Debug)]
pub struct Rng {
    state: [u64; 4],
}

impl Rng {
    /// A generator whose whole stream is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        Rng { state: [next(), next(), next(), next()] }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// A uniform integer in `0..bound`; `bound` must be positive.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "Rng::below needs a positive bound");
        // Lemire's multiply-shift; the tiny bias for huge bounds is irrelevant to sampling.
        ((self.next_u64() as u128 * bound as u128) >> 64) as u64
    }

    /// A copy of `valid` with 1 to `edits_max` random edits — a byte replaced or inserted (drawn
    /// from `alphabet`), or the rest cut off: the mutation the loaders' robustness tests feed.
    #[cfg(test)]
    pub(crate) fn mutate(&mut self, valid: &[u8], alphabet: &[u8], edits_max: u64) -> Vec<u8> {
        let mut bytes = valid.to_vec();
        for _ in 0..self.below(edits_max) + 1 {
            let at = self.below(bytes.len() as u64 + 1) as usize;
            let byte = alphabet[self.below(alphabet.len() as u64) as usize];
            match self.below(3) {
                0 if at < bytes.len() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => bytes.truncate(at),
            }
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_different_seeds_differ() {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let sa: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let sb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let sc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(sa, sb);
        assert_ne!(sa, sc);
    }

    #[test]
    fn below_stays_in_range() {
        let mut r = Rng::new(1);
        assert!((0..10_000).all(|_| r.below(3) < 3));
    }
}
