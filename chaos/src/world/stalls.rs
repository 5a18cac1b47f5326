//! Stalls: the stretches of simulated time in which the node could not fsync its AOF (it was
//! paused, down or loading, or an fsync it waits for was slow), and the `everysec` loss window
//! they stretch.
//!
//! Redis documents `appendfsync everysec` as losing at most the last ~1 s of acknowledged
//! writes on a power loss (2 s in the worst case). The world checks that promise with its window:
//! an acknowledged write older than `EVERYSEC_PROMISE_US` plus a named slack before the power
//! loss must survive. A node that cannot run cannot fsync, so time it spent stalled does not
//! count against it: each stall inside the window widens the window by its length.

/// Redis's worst case for `everysec`: acknowledged writes older than this survive a power loss.
pub const EVERYSEC_PROMISE_US: u64 = 2_000_000;
/// Slack on top of the promise and the cron period (the tick that issues the fsync, 100 ms at
/// the default `hz 10`): a late timer (BUGGIFY, up to 200 ms).
pub const EVERYSEC_SLACK_US: u64 = 200_000;
/// Fsyncs a write may wait behind on top of its own (the steps of an AOF file switch), each up to
/// the plan's `fsync_us`.
pub const EVERYSEC_FSYNCS_WAITED: u64 = 4;

/// Stalls of the run, in the order they began.
#[derive(Clone, Debug, Default)]
pub struct Stalls {
    /// Closed stalls `[from, to)` in world µs.
    spans: Vec<(u64, u64)>,
    /// A stall still going on (the node is down or loading), since this time.
    open_since: Option<u64>,
}

impl Stalls {
    /// A stall from `from_us` to `to_us`.
    pub fn add(&mut self, from_us: u64, to_us: u64) {
        if to_us > from_us {
            self.spans.push((from_us, to_us));
        }
    }

    /// A stall begins now and lasts until `end` is called.
    pub fn begin(&mut self, now_us: u64) {
        self.open_since.get_or_insert(now_us);
    }

    /// The stall begun by `begin` ends now.
    pub fn end(&mut self, now_us: u64) {
        if let Some(from) = self.open_since.take() {
            self.add(from, now_us);
        }
    }

    /// The stalls up to `to_us` as disjoint spans, in time order (an open one ends at `to_us`).
    fn merged(&self, to_us: u64) -> Vec<(u64, u64)> {
        let mut spans: Vec<(u64, u64)> = self
            .spans
            .iter()
            .copied()
            .chain(self.open_since.map(|s| (s, to_us)))
            .map(|(a, b)| (a, b.min(to_us)))
            .filter(|(a, b)| a < b)
            .collect();
        spans.sort_unstable();
        let mut out: Vec<(u64, u64)> = Vec::with_capacity(spans.len());
        for (a, b) in spans {
            match out.last_mut() {
                Some(last) if a <= last.1 => last.1 = last.1.max(b),
                _ => out.push((a, b)),
            }
        }
        out
    }

    /// The `everysec` window without stalls: the promise, the cron period, the slack and the
    /// waited fsyncs.
    pub fn everysec_base_us(fsync_us: u64, cron_us: u64) -> u64 {
        EVERYSEC_PROMISE_US + cron_us + EVERYSEC_SLACK_US + (EVERYSEC_FSYNCS_WAITED + 1) * fsync_us
    }

    /// How far before `now_us` the `everysec` promise reaches: `everysec_base_us`, counted in
    /// time the node was not stalled.
    pub fn everysec_window_us(&self, now_us: u64, fsync_us: u64, cron_us: u64) -> u64 {
        let mut running_left = Stalls::everysec_base_us(fsync_us, cron_us);
        // Walk back from now, skipping stalls, until enough running time is behind.
        let mut cursor = now_us;
        for &(a, b) in self.merged(now_us).iter().rev() {
            let running = cursor - b;
            if running >= running_left {
                break;
            }
            running_left -= running;
            cursor = a;
        }
        now_us - cursor.saturating_sub(running_left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlapping_stalls_count_once() {
        // Proves stalls widen the window by their union, an open one up to now included.
        let base = EVERYSEC_PROMISE_US + EVERYSEC_SLACK_US;
        let now = 10_000_000;
        let mut s = Stalls::default();
        s.add(now - 300_000, now - 200_000);
        s.add(now - 250_000, now - 100_000);
        s.begin(now - 50_000);
        assert_eq!(s.everysec_window_us(now, 0, 0), base + 200_000 + 50_000);
        s.end(now - 40_000);
        assert_eq!(s.everysec_window_us(now, 0, 0), base + 200_000 + 10_000);
    }

    #[test]
    fn the_everysec_window_is_the_promise_plus_slack_widened_by_stalls() {
        // Proves the window without stalls is exactly 2 s + a cron tick + the named slack + the
        // fsyncs, and that a stall inside it (even one the widening reaches into) widens it by
        // its whole length.
        let now = 100_000_000;
        let base = EVERYSEC_PROMISE_US + 100_000 + EVERYSEC_SLACK_US + 5 * 1_000;
        let mut s = Stalls::default();
        assert_eq!(s.everysec_window_us(now, 1_000, 100_000), base);
        s.add(now - 1_000_000, now - 500_000);
        assert_eq!(s.everysec_window_us(now, 1_000, 100_000), base + 500_000);
        // Reaching 1 µs into the widened window: the whole stall counts.
        s.add(now - base - 500_000 - 100_000, now - base - 500_000 + 1);
        assert_eq!(s.everysec_window_us(now, 1_000, 100_000), base + 500_000 + 100_001);
        s.add(0, 1_000);
        assert_eq!(s.everysec_window_us(now, 1_000, 100_000), base + 500_000 + 100_001, "a stall long before");
        assert_eq!(s.everysec_window_us(1_000, 1_000, 100_000), 1_000, "no earlier than the start");
    }
}
