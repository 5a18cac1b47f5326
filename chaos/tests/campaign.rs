//! The bounded campaign CI runs: 200 seeds, each with its own drawn fault plan, then 40 seeds of a
//! crash storm (drawn plans with power losses, torn tails, corrupt sectors and clock jumps turned
//! up, which the swarm draws too rarely to count on), safety then liveness phase. It must be clean
//! and every fault kind the world injects must occur; on a failure it prints the summary with each
//! failing seed's replay command.

use verdis_chaos::campaign::{self, CampaignSettings, Summary};
use verdis_chaos::world::FAULT_KINDS;

/// Seeds in the swarm part.
const SWARM_SEEDS: u64 = 200;
/// Seeds in the crash-storm part (after the swarm's).
const STORM_SEEDS: u64 = 40;
/// The storm's overrides of each seed's drawn plan: long runs (slow clients with deep pipelines,
/// so AOF appends are big and cross sectors) under a crash a second.
const STORM: &str = "persistence=everysec,crash=1,torn=1,corrupt=0.5,clock_jump=0.5,think_us=50000,pipeline=4";

fn run(first_seed: u64, seeds: u64, faults: Option<&str>, jobs: usize) -> Summary {
    let mut settings = CampaignSettings::new(first_seed, first_seed + seeds, jobs);
    settings.ops = 1_000;
    settings.liveness_ops = 100;
    settings.faults = faults.map(str::to_string);
    let summary = campaign::run(&settings, &|_, _, _| {});
    println!("{}", summary.render(jobs));
    assert_eq!(summary.seeds, seeds);
    assert!(summary.failures.is_empty(), "{} failing seeds:\n{}", summary.failures.len(), summary.render(jobs));
    summary
}

/// Proves 240 seeds under swarm fault plans and a crash storm pass every check (replies,
/// keyspace, durability, liveness, node audits), and that together they injected each of the
/// world's fault kinds.
#[test]
fn bounded_campaign_is_clean_and_injects_every_fault_kind() {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let swarm = run(0, SWARM_SEEDS, None, jobs);
    let storm = run(SWARM_SEEDS, STORM_SEEDS, Some(STORM), jobs);
    for kind in FAULT_KINDS {
        let n = swarm.faults.get(kind).unwrap_or(&0) + storm.faults.get(kind).unwrap_or(&0);
        assert!(n > 0, "no seed injected {kind}: swarm {:?}, storm {:?}", swarm.faults, storm.faults);
    }
}
