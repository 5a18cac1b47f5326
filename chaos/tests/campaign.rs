//! The bounded campaign CI runs: 200 seeds, each with its own drawn fault plan (every fault kind
//! appears across the seeds), safety then liveness phase. It must be clean; on a failure it prints
//! the summary with each failing seed's replay command.

use verdis_chaos::campaign::{self, CampaignSettings};

/// Seeds in the bounded campaign.
const SEEDS: u64 = 200;

/// Proves 200 seeds under swarm fault plans pass every check (replies, keyspace, durability,
/// liveness, node audits), and that the campaign exercised each fault family.
#[test]
fn bounded_campaign_is_clean() {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut settings = CampaignSettings::new(0, SEEDS, jobs);
    settings.ops = 1_000;
    settings.liveness_ops = 100;
    let summary = campaign::run(&settings, &|_, _, _| {});
    println!("{}", summary.render(jobs));
    assert_eq!(summary.seeds, SEEDS);
    for kind in ["crash_power_loss", "crash_process_kill", "partition", "pause", "conn_reset", "enospc", "fsync_eio"] {
        assert!(summary.faults.contains_key(kind), "no seed injected {kind}: {:?}", summary.faults);
    }
    assert!(summary.failures.is_empty(), "{} failing seeds:\n{}", summary.failures.len(), summary.render(jobs));
}
