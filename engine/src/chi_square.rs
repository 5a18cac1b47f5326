//! Pearson's chi-square statistic against equal chances: how the random-member tests tell a fair
//! sampler from a biased one, as Redis's own test suite does (`chi_square_value` in its
//! `tests/support/util.tcl`, asserted below 40 for 10 members in `tests/unit/type/set.tcl`).
//!
//! Public so that the engine's unit tests (drawing from a seeded `Rng`) and the server's process
//! tests (drawing from verdis and from real Redis) compute the same statistic against the same
//! threshold. Unlike Redis's version, outcomes never drawn count too (with zero draws), and the
//! expected count is not rounded down.

use std::collections::BTreeMap;

/// Redis's threshold for 10 possible outcomes (9 degrees of freedom): a fair sampler exceeds it
/// with probability below 1e-5, whatever the number of draws; a biased one exceeds it more surely
/// the more draws there are.
pub const CHI_SQUARE_MAX_10_OUTCOMES: f64 = 40.0;

/// The chi-square value of `draws` against every one of `outcomes` possible values being equally
/// likely (outcomes never drawn count with zero draws).
pub fn chi_square<T: Ord>(outcomes: usize, draws: impl IntoIterator<Item = T>) -> f64 {
    let mut counts = BTreeMap::new();
    for draw in draws {
        *counts.entry(draw).or_insert(0u64) += 1;
    }
    assert!(counts.len() <= outcomes, "{} distinct draws from {outcomes} possible outcomes", counts.len());
    assert!(!counts.is_empty(), "chi-square of no draws");
    let total: u64 = counts.values().sum();
    let expected = total as f64 / outcomes as f64;
    let never_drawn = (outcomes - counts.len()) as f64 * expected;
    counts.values().map(|&n| (n as f64 - expected).powi(2) / expected).sum::<f64>() + never_drawn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn even_draws_score_zero_and_skewed_or_missing_ones_score_high() {
        // Proves the statistic on hand-computed cases: equal counts give 0; counts 0..=9 times 10
        // for 10 outcomes (expected 45 each) give sum((10i - 45)^2) / 45 = 8250 / 45; an outcome
        // never drawn counts as expected draws missing.
        let even = (0..1000).map(|i| i % 10);
        assert_eq!(chi_square(10, even), 0.0);
        let skewed = (0..10).flat_map(|i| std::iter::repeat_n(i, 10 * i));
        assert!((chi_square(10, skewed) - 8250.0 / 45.0).abs() < 1e-9);
        // 9 of 10 outcomes drawn 100 times each: expected 90, so 9 * 10^2 / 90 + 90 = 100.
        assert!((chi_square(10, (0..900).map(|i| i % 9)) - 100.0).abs() < 1e-9);
    }
}
