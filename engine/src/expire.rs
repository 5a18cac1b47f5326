//! The active expire cycle: Redis 7.0's `activeExpireCycle` in its slow (cron) form.
//!
//! Lazy expiry only removes keys that are touched; this cycle reclaims the rest. Every cron tick
//! it visits up to `DBS_PER_CALL` databases, resuming where the last tick stopped, and in each
//! samples about `KEYS_PER_LOOP` volatile keys by walking `expires` bucket by bucket from
//! `Db::expires_cursor`, deleting those whose time has passed. While more than
//! `ACCEPTABLE_STALE_PERC` percent of a sample was expired it samples that database again.
//! `active-expire-effort` scales the sample size, the work allowed and the stale threshold
//! exactly as Redis scales them.
//!
//! Deliberate differences from Redis:
//! - Redis bounds a cycle by time (25% of a cron period, checked every 16 rounds). The core has
//!   no clock, so a work budget replaces it: `WORK_UNITS_PER_US` work units (one per key sampled
//!   and per bucket probed) for each microsecond Redis would allow, checked after every round.
//!   The outcome is deterministic for a given keyspace, which the simulator needs.
//! - `expires_cursor` advances with `Dict::scan`'s reverse-binary cursor rather than Redis's
//!   plain bucket index, so a table resized by the deletions is still walked without gaps.
//! - Redis skips a database whose `expires` is under 1% full; `Dict` shrinks before fill drops
//!   below 1/8, so that case cannot arise here.
//! - The fast cycle Redis runs before sleeping is not implemented; the slow one alone bounds
//!   the memory held by expired keys.
//! - Deleted keys raise no keyspace event: that mechanism does not exist in the engine yet.
//!   (They are recorded in `Keyspace::expired_to_propagate` for the node to propagate as DEL.)

use crate::config::EngineConfig;
use crate::db::Keyspace;

/// Volatile keys sampled per round at effort 1 (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP).
const KEYS_PER_LOOP: u64 = 20;
/// Percent of CPU time Redis lets a slow cycle use at effort 1 (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
const SLOW_TIME_PERC: u64 = 25;
/// Percent of expired keys in a sample above which the database is sampled again at effort 1
/// (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE).
const ACCEPTABLE_STALE_PERC: u64 = 10;
/// Databases visited per call (Redis's CRON_DBS_PER_CALL), unless the last call ran out of work.
const DBS_PER_CALL: usize = 16;
/// Buckets a round may probe per key it wants to sample (Redis's `max_buckets = num*20`).
const BUCKETS_PER_SAMPLE_MAX: u64 = 20;
/// Work units allowed per microsecond of Redis's time budget: Redis examines roughly one key or
/// bucket per microsecond, so one unit each keeps the amount of work per cycle comparable.
const WORK_UNITS_PER_US: u64 = 1;

/// What the cycle carries from one call to the next (Redis keeps these in statics and
/// `server.stat_*`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActiveExpireState {
    /// Index (modulo the number of databases) of the next database to visit.
    pub current_db: usize,
    /// The previous call used its whole work budget: visit every database this time.
    pub budget_exhausted: bool,
    /// Running estimate of the fraction of volatile keys that are expired but not yet removed
    /// (INFO's `expired_stale_perc`, as a fraction).
    pub stale_fraction: f64,
    /// Calls that stopped because the work budget ran out (INFO's
    /// `expired_time_cap_reached_count`).
    pub budget_reached_count: u64,
}

/// The work one call may do: Redis's slow-cycle time limit in microseconds,
/// `(25 + 2 * effort) % of 1/hz seconds`, converted to work units.
fn work_budget(effort: u64, hz: u32) -> u64 {
    let time_limit_us = (SLOW_TIME_PERC + 2 * effort) * 1_000_000 / u64::from(hz.max(1)) / 100;
    time_limit_us.max(1) * WORK_UNITS_PER_US
}

/// Runs one slow active expire cycle at `now_ms`: called by the cron `hz` times a second.
/// Removes expired keys, counting them in `KeyspaceStats::expired_keys`. Does nothing when
/// `active_expire_enabled` is off.
pub fn active_expire_cycle(keyspace: &mut Keyspace, config: &EngineConfig, hz: u32, now_ms: i64) {
    if !config.active_expire_enabled {
        return;
    }
    // Redis rescales active-expire-effort (1..=10) to 0..=9.
    let effort = u64::from(config.active_expire_effort.clamp(1, 10) - 1);
    let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort;
    let acceptable_stale_perc = ACCEPTABLE_STALE_PERC - effort;
    let budget = work_budget(effort, hz);

    let db_count = keyspace.dbs.len();
    let state = &mut keyspace.active_expire;
    let dbs_per_call = if state.budget_exhausted { db_count } else { DBS_PER_CALL.min(db_count) };
    state.budget_exhausted = false;

    let mut work = 0u64;
    let mut total_sampled = 0u64;
    let mut total_expired = 0u64;
    for _ in 0..dbs_per_call {
        let index = state.current_db % db_count;
        // Advance first so that running out of budget here resumes at the next database.
        state.current_db = state.current_db.wrapping_add(1);
        let db = &mut keyspace.dbs[index];
        // Repeat while the sample shows many stale keys; the work budget bounds the rounds.
        loop {
            let volatile = db.expires().len() as u64;
            if volatile == 0 {
                db.avg_ttl_ms = 0;
                break;
            }
            let wanted = volatile.min(keys_per_loop);
            let buckets_max = wanted * BUCKETS_PER_SAMPLE_MAX;
            let (mut sampled, mut expired, mut buckets) = (0u64, 0u64, 0u64);
            let (mut ttl_sum_ms, mut ttl_samples) = (0i64, 0i64);
            let mut bucket: Vec<(Box<[u8]>, i64)> = Vec::new();
            while sampled < wanted && buckets < buckets_max {
                bucket.clear();
                db.expires_cursor = db.expires().scan(db.expires_cursor, |key, &when| bucket.push((key.into(), when)));
                buckets += 1;
                for (key, when_ms) in &bucket {
                    if now_ms > *when_ms {
                        // expires ⊆ keys: an expiry entry always has its key (cheap, so always on).
                        assert!(db.delete(key).is_some(), "expires entry without a key");
                        keyspace.stats.expired_keys += 1;
                        keyspace.expired_to_propagate.push((index, key.to_vec()));
                        expired += 1;
                    } else if *when_ms > now_ms {
                        // Redis averages the TTL of keys not yet expired (a key at its expiry
                        // millisecond has TTL 0 and is left out).
                        ttl_sum_ms = ttl_sum_ms.saturating_add(when_ms - now_ms);
                        ttl_samples += 1;
                    }
                    sampled += 1;
                }
            }
            total_sampled += sampled;
            total_expired += expired;
            if ttl_samples > 0 {
                // Redis's running average: 2% weight for this sample, 98% for the history.
                let avg_ttl_ms = ttl_sum_ms / ttl_samples;
                if db.avg_ttl_ms == 0 {
                    db.avg_ttl_ms = avg_ttl_ms;
                }
                db.avg_ttl_ms = (db.avg_ttl_ms / 50) * 49 + avg_ttl_ms / 50;
            }
            work += sampled + buckets;
            if work > budget {
                state.budget_exhausted = true;
                state.budget_reached_count += 1;
                break;
            }
            if sampled > 0 && expired * 100 / sampled <= acceptable_stale_perc {
                break;
            }
        }
        if state.budget_exhausted {
            break;
        }
    }
    let current = if total_sampled > 0 { total_expired as f64 / total_sampled as f64 } else { 0.0 };
    state.stale_fraction = current * 0.05 + state.stale_fraction * 0.95;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;
    use crate::value::{Object, StrValue, Value};

    const NOW_MS: i64 = 1_700_000_000_000;

    fn keyspace() -> Keyspace {
        Keyspace::new(16, &mut Rng::new(5))
    }

    /// Adds `count` keys named `{prefix}{i}` to `db`, expiring at `when_ms` when given.
    fn fill(ks: &mut Keyspace, db: usize, prefix: &str, count: usize, when_ms: Option<i64>) {
        for i in 0..count {
            let key = format!("{prefix}{i}");
            let obj = Object::new(Value::Str(StrValue::from_bytes(b"v")), 0);
            ks.dbs[db].set(key.as_bytes(), obj, false);
            if let Some(when) = when_ms {
                ks.dbs[db].set_expire(key.as_bytes(), when);
            }
        }
    }

    #[test]
    fn removes_expired_keys_over_several_ticks_and_keeps_live_ones() {
        // Proves the cycle reclaims every expired key across cron ticks, counts each one, never
        // removes a key whose time has not passed, and keeps expires ⊆ keys.
        let mut ks = keyspace();
        let config = EngineConfig::default();
        fill(&mut ks, 0, "dead", 40_000, Some(NOW_MS - 1));
        fill(&mut ks, 0, "later", 500, Some(NOW_MS + 60_000));
        fill(&mut ks, 0, "plain", 500, None);
        fill(&mut ks, 3, "dead", 300, Some(NOW_MS + 10));

        active_expire_cycle(&mut ks, &config, 10, NOW_MS);
        let after_one = ks.dbs[0].len();
        assert!(after_one < 41_000, "the first tick removed nothing");
        assert!(after_one > 1000 + 40_000 - 25_000, "one tick is bounded by its work budget");

        let mut now_ms = NOW_MS;
        for _tick in 0..200 {
            now_ms += 100;
            active_expire_cycle(&mut ks, &config, 10, now_ms);
            ks.dbs[0].audit();
            ks.dbs[3].audit();
        }
        assert_eq!(ks.dbs[0].len(), 1000);
        assert_eq!(ks.dbs[0].expires().len(), 500);
        assert!(ks.dbs[3].is_empty(), "db 3's keys expired after the first tick");
        assert_eq!(ks.stats.expired_keys, 40_300);
        assert!(ks.dbs[0].avg_ttl_ms > 0 && ks.dbs[0].avg_ttl_ms <= 60_000);
    }

    #[test]
    fn a_key_lives_through_its_expiry_millisecond() {
        // Proves the cycle uses Redis's `now > when`, like lazy expiry.
        let mut ks = keyspace();
        fill(&mut ks, 0, "k", 1, Some(NOW_MS));
        active_expire_cycle(&mut ks, &EngineConfig::default(), 10, NOW_MS);
        assert_eq!(ks.dbs[0].len(), 1);
        active_expire_cycle(&mut ks, &EngineConfig::default(), 10, NOW_MS + 1);
        assert!(ks.dbs[0].is_empty());
    }

    #[test]
    fn work_per_call_is_bounded_and_exhaustion_widens_the_next_call() {
        // Proves one call does at most about its budget of work, records that it hit the cap,
        // and that the budget follows hz and effort as Redis's time limit does.
        let mut ks = keyspace();
        let config = EngineConfig::default();
        fill(&mut ks, 0, "dead", 100_000, Some(NOW_MS - 1));
        active_expire_cycle(&mut ks, &config, 10, NOW_MS);
        let removed = 100_000 - ks.dbs[0].len() as u64;
        assert!(removed > 0 && removed <= work_budget(0, 10), "removed {removed}");
        assert!(ks.active_expire.budget_exhausted);
        assert_eq!(ks.active_expire.budget_reached_count, 1);
        assert!(ks.active_expire.stale_fraction > 0.0);
        assert_eq!(work_budget(0, 10), 25_000);
        assert_eq!(work_budget(9, 10), 43_000);
        assert_eq!(work_budget(0, 500), 500);
    }

    #[test]
    fn higher_effort_samples_more_and_tolerates_fewer_stale_keys() {
        // Proves active-expire-effort scales the cycle as in Redis: at effort 1 a sample with 5%
        // expired keys is acceptable (threshold 10%) so one tick stops early; at effort 10 the
        // threshold is 1%, so the same tick keeps sampling and removes most expired keys.
        let removed_at = |effort: u32| {
            let mut ks = keyspace();
            fill(&mut ks, 0, "live", 950, Some(NOW_MS + 60_000));
            fill(&mut ks, 0, "dead", 50, Some(NOW_MS - 1));
            let config = EngineConfig { active_expire_effort: effort, ..EngineConfig::default() };
            active_expire_cycle(&mut ks, &config, 10, NOW_MS);
            ks.stats.expired_keys
        };
        let (low, high) = (removed_at(1), removed_at(10));
        assert!(low < 10, "effort 1 removed {low}");
        assert!(high > 3 * low && high >= 25, "effort 10 removed {high}, effort 1 {low}");
    }

    #[test]
    fn disabled_cycle_removes_nothing() {
        // Proves DEBUG SET-ACTIVE-EXPIRE 0 (active_expire_enabled = false) stops the cycle.
        let mut ks = keyspace();
        let config = EngineConfig { active_expire_enabled: false, ..EngineConfig::default() };
        fill(&mut ks, 0, "dead", 100, Some(NOW_MS - 1));
        active_expire_cycle(&mut ks, &config, 10, NOW_MS);
        assert_eq!(ks.dbs[0].len(), 100);
        assert_eq!(ks.stats.expired_keys, 0);
    }

    #[test]
    fn databases_are_visited_in_turn() {
        // Proves a call visits at most 16 databases and the next call resumes after them.
        let mut ks = Keyspace::new(20, &mut Rng::new(5));
        fill(&mut ks, 17, "dead", 10, Some(NOW_MS - 1));
        active_expire_cycle(&mut ks, &EngineConfig::default(), 10, NOW_MS);
        assert_eq!(ks.dbs[17].len(), 10, "db 17 is beyond the first 16");
        assert_eq!(ks.active_expire.current_db, 16);
        active_expire_cycle(&mut ks, &EngineConfig::default(), 10, NOW_MS);
        assert!(ks.dbs[17].is_empty());
    }
}
