//! Seeds of the 0..50,000 sweep that once failed replay clean: each found a bug in the node or
//! in the checker, fixed where the comment says (node-level tests prove the node's fixes
//! directly; these prove the whole run, checker included, now passes).

use verdis_chaos::campaign::run_one;
use verdis_chaos::world::Settings;

/// Runs `seed` as `verdis-chaos sim --seed N` does and asserts it passes.
fn passes(seed: u64) {
    let report = run_one(Settings::new(seed));
    assert!(report.failure.is_none(), "seed {seed}: {:?}", report.failure);
}

/// Proves the checker lets a recovery keep the later of several active-expiry DELs made
/// between the same two commands (the later append failed, the node exited).
#[test]
fn active_expiry_dels_lost_in_part() {
    for seed in [428, 22611, 22695] {
        passes(seed);
    }
}

/// Proves held replies wait for every fsync up to their gate (fsyncs of different files
/// complete in any order).
#[test]
fn fsyncs_completing_out_of_order() {
    for seed in [41561, 28457] {
        passes(seed);
    }
}

/// Proves the checker lets a reload of the same RDB show keys its first load skipped as
/// expired, after the clock went back.
#[test]
fn keys_skipped_as_expired_at_load_come_back() {
    passes(47610);
}

/// Proves the old incr file is sealed before a manifest naming a newer one is renamed into
/// place (a power loss no longer tears a file that is not the last).
#[test]
fn incr_file_sealed_before_the_manifest_switch() {
    for seed in [2994, 29351] {
        passes(seed);
    }
}

/// Proves a reply held for a command waiting for the new incr file is not released by an
/// fsync of the old one.
#[test]
fn replies_waiting_for_the_new_incr_file() {
    for seed in [31087, 38864, 46384] {
        passes(seed);
    }
}

/// Proves appends reporting after a failed one (`always`, exiting) cut nothing more.
#[test]
fn one_cut_after_a_failed_append() {
    passes(45683);
}

/// Proves a BITFIELD whose writes all fail under OVERFLOW FAIL, yet which grew the string, is
/// propagated (Redis 7.0.15 propagates nothing and its AOF loses the growth); found by the
/// table commands.
#[test]
fn bitfield_growth_without_a_stored_write() {
    for seed in [13318, 27060] {
        passes(seed);
    }
}

/// Proves a restart goes on from the prefix whose expired keys the node holds: a SET with PX
/// reached the page cache before the node exited, and came back alive once the clock went back.
#[test]
fn expired_keys_the_restart_holds_name_the_prefix() {
    passes(31388);
}
