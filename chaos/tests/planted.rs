//! Proof that the simulator can fail: each planted bug is found by a bounded campaign, the failure
//! shrinks, and the shrunk replay reproduces it; without the bug the same campaign is clean.

use verdis_chaos::campaign::{self, run_one, CampaignSettings};
use verdis_chaos::shrink::shrink_with_budget;
use verdis_engine::plants::Plants;

fn campaign_for(faults: &str, config: &[(&str, &str)], plants: Plants) -> CampaignSettings {
    let mut c = CampaignSettings::new(0, 40, std::thread::available_parallelism().map_or(2, |n| n.get()));
    c.ops = 1_000;
    c.liveness_ops = 50;
    // Each plan pins the workload its plant was found with: the typed commands, unless it asks
    // for the table commands (whose draw would move every seed's workload).
    let pinned =
        if faults.contains("table_commands") { faults.to_string() } else { format!("{faults},table_commands=0") };
    c.faults = Some(pinned);
    c.extra_config = config.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
    c.plants = plants;
    c
}

fn found_shrunk_and_replayed(faults: &str, config: &[(&str, &str)], plants: Plants, check: &str) {
    let quiet = |_: u64, _: u64, _: usize| {};
    let clean = campaign::run(&campaign_for(faults, config, Plants::default()), &quiet);
    assert!(clean.failures.is_empty(), "without the plant the campaign must be clean: {}", clean.render(1));
    let planted = campaign_for(faults, config, plants);
    let summary = campaign::run(&planted, &quiet);
    let first = summary.failures.first().unwrap_or_else(|| panic!("the plant went unnoticed: {}", summary.render(1)));
    assert_eq!(first.failure.check, check, "found by the wrong check: {:?}", first.failure);
    let settings = planted.settings(first.seed).expect("valid plan");
    let shrunk = shrink_with_budget(&settings, 40).expect("the failing seed fails again");
    assert_eq!(shrunk.check, check);
    assert!(shrunk.settings.ops <= settings.ops, "shrinking never lengthens the workload");
    let replay = run_one(shrunk.settings.clone());
    assert_eq!(replay.failure.as_ref().map(|f| f.check), Some(check), "the shrunk replay must fail the same way");
    assert_eq!(replay.trace_hash, shrunk.report.trace_hash, "the shrunk replay must be the same run");
    let text = shrunk.render();
    assert!(text.contains("FAILED") && text.contains("replay:"), "the readable trace names the failure and its replay");
}

/// Proves the reply check against the model catches GET serving an expired value (the node's
/// cron runs once a second, leaving expired keys in place long enough to be read).
#[test]
fn planted_get_without_lazy_expiry_is_found_by_the_model() {
    let plants = Plants { get_skips_lazy_expiry: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=none,keys=24", &[("hz", "1")], plants, "reply");
}

/// Proves the durability check catches an AOF that lost one element of a multi-element push:
/// after a crash and restart the recovered list matches no allowed prefix of the history.
#[test]
fn planted_push_propagating_one_element_less_is_found_by_the_durability_check() {
    let plants = Plants { push_propagates_one_less: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=always,crash=0.5,expiry=0", &[], plants, "durability");
}

/// Proves the durability check catches a node that acknowledges writes under `appendfsync always`
/// before the fsync covering them completes: a power loss in that window loses an acknowledged
/// write. Fsyncs of up to 20 ms make the window wide enough for 40 seeds to hit it (at 2 ms about
/// one seed in 60 does, too few to count on).
#[test]
fn planted_ack_before_fsync_is_found_by_the_durability_check() {
    let plants = Plants { ack_before_fsync: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=always,crash=0.5,expiry=0,fsync_us=20000", &[], plants, "durability");
}

/// Proves a `-MISCONF` refusal is accepted only while a disk fault explains it: a node refusing
/// writes while an fsync is merely in flight (no disk fault at all) is caught by the reply check.
/// Before, every `-MISCONF`, `-LOADING` or `-OOM` passed unchecked.
#[test]
fn planted_spurious_misconf_is_found_by_the_reply_check() {
    let plants = Plants { misconf_while_fsync_pending: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=always", &[], plants, "reply");
}

/// Proves the `everysec` promise is checked with its window (2 s plus a named slack, in simulated
/// time): a node fsyncing every 5 s instead of every second loses acknowledged writes older than
/// that on a power loss. With these 20 ms fsyncs the former window (3 s plus 101 worst fsyncs,
/// about 5 s) let this plant pass; long think times make the runs long enough for it to matter.
#[test]
fn planted_everysec_fsync_every_5s_is_found_by_the_durability_check() {
    let plants = Plants { everysec_fsync_every_5s: true, ..Plants::default() };
    let faults = "none,persistence=everysec,crash=0.5,expiry=0,fsync_us=20000,think_us=100000,clients=2";
    found_shrunk_and_replayed(faults, &[], plants, "durability");
}

/// Proves a non-zero exit is accepted only after a disk fault in that incarnation: a node exiting
/// after a successful AOF rewrite is caught (before, any non-zero exit passed as a reaction to
/// a disk error and the node was restarted).
#[test]
fn planted_exit_without_a_disk_fault_is_found_by_the_exit_check() {
    let plants = Plants { exit_after_aof_rewrite: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=always,admin=0.02", &[], plants, "exit");
}

/// Proves a disk fault no longer switches the `everysec` recovery check off: with a write
/// failing now and then, every incarnation has a disk fault, so the former check (voided by any
/// disk fault) let an AOF missing one element of each multi-element push pass; now the promise
/// is only cut short at the fault and the recovery must still be a state the log passed through.
#[test]
fn planted_push_propagating_one_less_is_found_despite_disk_faults() {
    let plants = Plants { push_propagates_one_less: true, ..Plants::default() };
    let faults = "none,persistence=everysec,crash=1,expiry=0,enospc=0.2,think_us=20000,more_commands=0";
    found_shrunk_and_replayed(faults, &[], plants, "durability");
}

/// Proves the wider command mix catches propagation bugs in its commands: GETDEL propagated as
/// GET (the AOF keeps the key it deleted) is found by the durability check after a crash. The
/// original mix has no GETDEL, so nothing could find this before.
#[test]
fn planted_getdel_propagating_get_is_found_by_the_durability_check() {
    let plants = Plants { getdel_propagates_get: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=always,crash=0.5,expiry=0,more_commands=1", &[], plants, "durability");
}

/// Proves the table commands catch a propagation bug in a command no typed workload op and no
/// per-command test covers: APPEND propagated as `SET key tail` is found by the durability check
/// once a restart loads the AOF (the model took the appended value from the node when it ran).
#[test]
fn planted_append_propagating_set_is_found_through_the_table_commands() {
    let plants = Plants { append_propagates_set: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=always,crash=0.5,expiry=0,table_commands=1", &[], plants, "durability");
}

/// Proves a `-LOADING` refusal is accepted only while the node is loading: a node refusing
/// commands with it while a background save runs (long after it served its first request) is
/// caught by the reply check.
#[test]
fn planted_loading_while_saving_is_found_by_the_reply_check() {
    let plants = Plants { loading_while_saving: true, ..Plants::default() };
    found_shrunk_and_replayed("none,persistence=rdb", &[], plants, "reply");
}

/// Proves the durability check sees a transaction recovered by halves: a node propagating a
/// transaction's commands without their MULTI/EXEC wrapper lets a torn AOF tail load the first
/// of them only, a state no prefix of the log passed through (with the wrapper, the loader cuts
/// the open block off).
#[test]
fn planted_unwrapped_transactions_are_found_by_the_durability_check() {
    let plants = Plants { transactions_propagate_unwrapped: true, ..Plants::default() };
    // Long think times make runs long enough for several power losses each.
    let faults = "none,persistence=everysec,crash=1,torn=1,expiry=0,keys=4,transactions=1,think_us=20000,clients=2";
    found_shrunk_and_replayed(faults, &[], plants, "durability");
}
