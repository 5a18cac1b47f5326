//! Redis's `redisLrand48` (`rand.c`): the 48-bit linear congruential generator behind a script's
//! `math.random`, so scripts draw the numbers Redis draws. Redis 7.0 keeps one generator for the
//! process and does not reseed it per script (measured on 7.0.15: two runs of
//! `return tostring(math.random())` answer different numbers); `math.randomseed(n)` reseeds it.
//! The state is the node's, so the sequence is deterministic for a given history of scripts.

/// The multiplier, increment and initial state of `lrand48` as Redis writes them.
const A: u64 = 0x5_DEEC_E66D;
const C: u64 = 0xB;
const INITIAL: u64 = 0x1234_ABCD_330E;
const MASK_48: u64 = (1 << 48) - 1;

/// Redis's `REDIS_LRAND48_MAX`.
pub const LRAND48_MAX: i64 = i32::MAX as i64;

/// The generator's state.
#[derive(Clone, Copy, Debug)]
pub struct Rand48 {
    x: u64,
}

impl Default for Rand48 {
    fn default() -> Rand48 {
        Rand48 { x: INITIAL }
    }
}

impl Rand48 {
    /// `redisLrand48`: the next number in 0..2^31.
    pub fn next(&mut self) -> i64 {
        self.x = (self.x.wrapping_mul(A).wrapping_add(C)) & MASK_48;
        (self.x >> 17) as i64
    }

    /// `redisSrand48`: the high 32 bits of the state from `seed`, the low 16 fixed.
    pub fn seed(&mut self, seed: i32) {
        self.x = ((u64::from(seed as u32)) << 16) | 0x330E;
    }

    /// `math.random`'s base draw: a number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() % LRAND48_MAX) as f64 / LRAND48_MAX as f64
    }
}

#[cfg(test)]
mod tests {
    use super::Rand48;

    #[test]
    fn draws_redis_sequence() {
        // Proves Redis 7.0.15's numbers: after `math.randomseed(0)` the first `math.random()` is
        // 0.17082803611217 (Lua's %.14g), and after `math.randomseed(-7)` three
        // `math.random(1000000)` are 75212, 817769, 927253.
        let mut r = Rand48::default();
        r.seed(0);
        assert_eq!(format!("{:.14}", r.unit()), "0.17082803611217");
        r.seed(-7);
        let draws: Vec<f64> = (0..3).map(|_| (r.unit() * 1_000_000.0).floor() + 1.0).collect();
        assert_eq!(draws, [75212.0, 817769.0, 927253.0]);
    }
}
