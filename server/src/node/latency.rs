//! Per-command latency histograms for INFO latencystats: the HdrHistogram Redis 7.0 keeps per
//! command (values 1 ns to 1 s, 2 significant digits), with the same bucket layout and the same
//! percentile rule, so the printed percentiles are the values Redis would print for the same
//! durations.

/// Smallest recorded value; shorter durations count as this (Redis's
/// LATENCY_HISTOGRAM_MIN_VALUE, in ns).
const VALUE_MIN_NS: u64 = 1;
/// Largest recorded value; longer durations count as this (LATENCY_HISTOGRAM_MAX_VALUE: 1 s).
const VALUE_MAX_NS: u64 = 1_000_000_000;
/// log2 of half the sub-buckets per bucket: 2 significant digits need 256 sub-buckets.
const SUB_BUCKET_HALF_COUNT_MAGNITUDE: u32 = 7;
/// Half the sub-buckets per bucket.
const SUB_BUCKET_HALF_COUNT: u64 = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE;
/// Mask of the values the first bucket resolves one by one.
const SUB_BUCKET_MASK: u64 = (SUB_BUCKET_HALF_COUNT << 1) - 1;
/// Buckets needed to reach `VALUE_MAX_NS` (256 << 22 is the first power above it, plus one).
const BUCKET_COUNT: usize = 23;
/// LATENCY HISTOGRAM's first reported level (1 µs), doubled at each step.
const LOG_FIRST_BUCKET_NS: u64 = 1024;
/// Counters in a histogram: `(BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT`.
const COUNTS_LEN: usize = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT as usize;

/// Durations of one command's executions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// Counter per bucket slot; empty until the first value (as Redis allocates lazily).
    counts: Vec<u64>,
    total: u64,
}

/// The bucket of `value_ns` (its power-of-two range above the first 256 values).
fn bucket_index(value_ns: u64) -> u32 {
    let bits = u64::BITS - (value_ns | SUB_BUCKET_MASK).leading_zeros();
    bits - (SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1)
}

/// The slot `value_ns` is counted in (hdr_histogram's `counts_index_for`).
fn counts_index(value_ns: u64) -> usize {
    let bucket = bucket_index(value_ns);
    let sub_bucket = value_ns >> bucket;
    (((u64::from(bucket) + 1) << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + sub_bucket - SUB_BUCKET_HALF_COUNT) as usize
}

/// The lowest value counted in slot `index` (hdr_histogram's `hdr_value_at_index`).
fn value_at_index(index: usize) -> u64 {
    let index = index as u64;
    let bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) as i64 - 1;
    let sub_bucket = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT;
    if bucket < 0 {
        sub_bucket - SUB_BUCKET_HALF_COUNT
    } else {
        sub_bucket << bucket
    }
}

/// The lowest value that lands in the same slot as `value_ns` (`lowest_equivalent_value`).
fn lowest_equivalent_value(value_ns: u64) -> u64 {
    let bucket = bucket_index(value_ns);
    (value_ns >> bucket) << bucket
}

/// The highest value that lands in the same slot as `value_ns` (`highest_equivalent_value`).
fn highest_equivalent_value(value_ns: u64) -> u64 {
    let bucket = bucket_index(value_ns);
    let lowest = (value_ns >> bucket) << bucket;
    lowest + (1u64 << bucket) - 1
}

impl LatencyHistogram {
    /// Records one duration, clamped to the histogram's range.
    pub fn record(&mut self, duration_ns: u64) {
        if self.counts.is_empty() {
            self.counts = vec![0; COUNTS_LEN];
        }
        let index = counts_index(duration_ns.clamp(VALUE_MIN_NS, VALUE_MAX_NS));
        self.counts[index] += 1;
        self.total += 1;
    }

    /// True before the first `record`.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// LATENCY HISTOGRAM's buckets: `(µs, values recorded up to there)` at each power of two
    /// from 1024 ns where the running count grew, as Redis's `fillCommandCDF` prints them from
    /// hdr_histogram's logarithmic iterator (`hdr_iter_log_init(h, 1024, 2)`). The key is the
    /// highest value of the slot the iterator stands on, in whole µs, so it drifts from the
    /// power of two (1, 2, 4, 8, 16, 33, 66...) exactly as Redis's does.
    pub fn log_buckets(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        if self.counts.is_empty() {
            return out;
        }
        let mut level = LOG_FIRST_BUCKET_NS;
        let mut level_lowest = lowest_equivalent_value(level);
        // The iterator's position: a slot index (-1 before the first), its value and the
        // running count up to and including it.
        let mut index: isize = -1;
        let mut value = 0u64;
        let mut cumulative = 0u64;
        let mut previous = 0u64;
        // Each report moves the level up one power of two; the levels pass the histogram's
        // range after at most 64 reports.
        for _ in 0..64 {
            let next_is_past_level =
                ((index + 1) as usize) < COUNTS_LEN && value_at_index((index + 1) as usize) > level_lowest;
            if !(cumulative < self.total || next_is_past_level) {
                break;
            }
            // Walk slots until one reaches the level (or the slots run out).
            while value < level_lowest {
                if (index + 1) as usize >= COUNTS_LEN {
                    break;
                }
                index += 1;
                cumulative += self.counts[index as usize];
                value = value_at_index(index as usize);
            }
            if cumulative > previous {
                out.push((highest_equivalent_value(value) / 1000, cumulative));
            }
            previous = cumulative;
            level = level.saturating_mul(2);
            level_lowest = lowest_equivalent_value(level);
        }
        out
    }

    /// The value at `percentile` (0-100), in ns, as hdr_histogram's `hdr_value_at_percentile`
    /// computes it: the highest value of the slot where the running count reaches the rank.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let requested = percentile.min(100.0);
        let rank = (((requested / 100.0) * self.total as f64) + 0.5) as u64;
        let rank = rank.max(1);
        let mut running = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            running += count;
            if running >= rank {
                let value = value_at_index(index);
                return if percentile == 0.0 { value } else { highest_equivalent_value(value) };
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_round_trip_and_match_hdr_layout() {
        // Proves the bucket arithmetic: every slot's lowest value maps back to the slot, the
        // largest value fits, and values are exact below 256 ns.
        for index in 0..COUNTS_LEN {
            assert_eq!(counts_index(value_at_index(index)), index, "slot {index}");
        }
        assert!(counts_index(VALUE_MAX_NS) < COUNTS_LEN);
        for v in 1..256 {
            assert_eq!(highest_equivalent_value(v), v);
        }
    }

    #[test]
    fn percentiles_match_values_redis_printed() {
        // Proves the percentile values for microsecond durations are the ones redis-server 7.0.15
        // printed in latencystats (2 µs -> 2.007, 12 µs -> 12.031, 229 µs -> 229.375).
        for (us, printed_ns) in [(1, 1_003), (2, 2_007), (4, 4_015), (12, 12_031), (37, 37_119), (229, 229_375)] {
            let mut h = LatencyHistogram::default();
            h.record(us * 1000);
            for p in [50.0, 99.0, 99.9] {
                assert_eq!(h.value_at_percentile(p), printed_ns, "{us} µs at p{p}");
            }
        }
    }

    #[test]
    fn log_buckets_step_as_redis_prints_them() {
        // Proves LATENCY HISTOGRAM's buckets: keys are the highest value of the slot at each
        // power of two from 1024 ns, in whole µs (16 µs -> 16, 40 µs -> 66, as redis-server
        // 7.0.15 printed for single calls), counts are cumulative, and a level where the count
        // did not grow is left out.
        let mut h = LatencyHistogram::default();
        assert_eq!(h.log_buckets(), []);
        h.record(16_000);
        assert_eq!(h.log_buckets(), [(16, 1)]);
        let mut h = LatencyHistogram::default();
        h.record(40_000);
        assert_eq!(h.log_buckets(), [(66, 1)]);
        let mut h = LatencyHistogram::default();
        for ns in [1_000, 3_000, 100_000] {
            h.record(ns);
        }
        assert_eq!(h.log_buckets(), [(1, 1), (4, 2), (132, 3)]);
        h.record(u64::MAX);
        let buckets = h.log_buckets();
        // 1 s lies in the last slot, [1069547520, 1073741823] ns: the walk ends there.
        assert_eq!(buckets.last(), Some(&(1_073_741, 4)));
    }

    #[test]
    fn percentile_rank_rounds_like_hdr() {
        // Proves the rank rule: p50 of {1,2,3,4} µs is the 2nd value, p99 the 4th; out-of-range
        // values are clamped; an empty histogram answers 0.
        let mut h = LatencyHistogram::default();
        assert!(h.is_empty());
        assert_eq!(h.value_at_percentile(50.0), 0);
        for us in [1, 2, 3, 4] {
            h.record(us * 1000);
        }
        assert_eq!(h.value_at_percentile(50.0), 2_007);
        assert_eq!(h.value_at_percentile(99.0), 4_015);
        assert_eq!(h.value_at_percentile(0.0), 1_000);
        h.record(0);
        h.record(u64::MAX);
        assert_eq!(h.value_at_percentile(0.0), 1);
        assert_eq!(h.value_at_percentile(100.0), highest_equivalent_value(VALUE_MAX_NS));
    }
}
