//! The run's trace: a running hash over every event and action (the run's fingerprint: same seed,
//! same hash), optionally a per-step hash log (the determinism gate compares two of them) and a
//! readable text log (printed for shrunk failures).

/// FNV-1a over 64 bits: tiny, fast, stable across machines and Rust versions.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// What a run records about itself.
pub struct Trace {
    hash: u64,
    /// The hash after each step, when kept.
    pub step_hashes: Option<Vec<u64>>,
    /// A line per step, when kept (with `step_hashes`, names the first divergent event).
    pub lines: Option<Vec<String>>,
}

impl Trace {
    /// A trace keeping the extras asked for.
    pub fn new(keep_steps: bool, keep_lines: bool) -> Trace {
        Trace { hash: FNV_OFFSET, step_hashes: keep_steps.then(Vec::new), lines: keep_lines.then(Vec::new) }
    }

    /// Mixes bytes into the hash.
    pub fn bytes(&mut self, bytes: &[u8]) {
        let mut h = self.hash;
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(FNV_PRIME);
        }
        self.hash = h;
    }

    /// Mixes a number into the hash.
    pub fn num(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }

    /// Ends a step: logs its hash.
    pub fn step(&mut self) {
        if let Some(s) = &mut self.step_hashes {
            s.push(self.hash);
        }
    }

    /// True when text lines are kept (so callers skip formatting otherwise).
    pub fn wants_lines(&self) -> bool {
        self.lines.is_some()
    }

    /// Adds a text line (when kept).
    pub fn line(&mut self, now_us: u64, text: String) {
        if let Some(lines) = &mut self.lines {
            lines.push(format!("[{:>5}.{:06}] {text}", now_us / 1_000_000, now_us % 1_000_000));
        }
    }

    /// The hash so far.
    pub fn hash(&self) -> u64 {
        self.hash
    }
}
