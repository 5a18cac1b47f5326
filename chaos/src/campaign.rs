//! Campaigns: many seeds, each its own independent single-threaded world, spread over worker
//! threads (the worlds share nothing, so threads cannot affect any run's outcome), with a summary
//! of what was simulated, which faults fired, which probes were never hit, and every failure with
//! the command that replays it.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use verdis_engine::plants::Plants;

use crate::coverage::Coverage;
use crate::world::{Failure, Report, Settings, World, TOLERANCES};

/// A planted bug's switch inside `Plants`.
pub type PlantSwitch = fn(&mut Plants) -> &mut bool;

/// Every planted bug by its command-line name (`--plant`), with its switch.
pub const PLANTS: [(&str, PlantSwitch); 10] = [
    ("get-skips-lazy-expiry", |p| &mut p.get_skips_lazy_expiry),
    ("push-propagates-one-less", |p| &mut p.push_propagates_one_less),
    ("ack-before-fsync", |p| &mut p.ack_before_fsync),
    ("misconf-while-fsync-pending", |p| &mut p.misconf_while_fsync_pending),
    ("everysec-fsync-every-5s", |p| &mut p.everysec_fsync_every_5s),
    ("exit-after-aof-rewrite", |p| &mut p.exit_after_aof_rewrite),
    ("getdel-propagates-get", |p| &mut p.getdel_propagates_get),
    ("loading-while-saving", |p| &mut p.loading_while_saving),
    ("transactions-propagate-unwrapped", |p| &mut p.transactions_propagate_unwrapped),
    ("append-propagates-set", |p| &mut p.append_propagates_set),
];

/// The `--config` option giving `pairs` (empty when there are none).
pub fn config_option(pairs: &[(Vec<u8>, Vec<u8>)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let text: Vec<String> =
        pairs.iter().map(|(k, v)| format!("{}={}", String::from_utf8_lossy(k), String::from_utf8_lossy(v))).collect();
    format!(" --config '{}'", text.join(","))
}

/// The `--plant` option naming every plant switched on in `plants` (empty when none is).
pub fn plant_option(mut plants: Plants) -> String {
    let on: Vec<&str> = PLANTS.iter().filter(|(_, switch)| *switch(&mut plants)).map(|(name, _)| *name).collect();
    if on.is_empty() {
        String::new()
    } else {
        format!(" --plant {}", on.join(","))
    }
}

/// Runs one world (a panic inside it is reported as a failure by `World::run`).
pub fn run_one(settings: Settings) -> Report {
    World::new(settings).run()
}

/// What a campaign runs.
#[derive(Clone, Debug)]
pub struct CampaignSettings {
    /// First seed.
    pub first_seed: u64,
    /// One past the last seed.
    pub end_seed: u64,
    /// Worker threads.
    pub jobs: usize,
    /// Safety-phase requests per seed.
    pub ops: u64,
    /// Liveness-phase requests per seed.
    pub liveness_ops: u64,
    /// Plan overrides applied to every seed's drawn plan (`--faults`).
    pub faults: Option<String>,
    /// Config pairs for every node.
    pub extra_config: Vec<(Vec<u8>, Vec<u8>)>,
    /// Planted bugs for every node (the self-test).
    pub plants: Plants,
}

impl CampaignSettings {
    /// Seeds `first..end` with default lengths on `jobs` threads.
    pub fn new(first_seed: u64, end_seed: u64, jobs: usize) -> CampaignSettings {
        CampaignSettings {
            first_seed,
            end_seed,
            jobs: jobs.max(1),
            ops: 2_000,
            liveness_ops: 200,
            faults: None,
            extra_config: Vec::new(),
            plants: Plants::default(),
        }
    }

    /// The settings for one seed.
    pub fn settings(&self, seed: u64) -> Result<Settings, String> {
        let mut s = Settings::new(seed);
        s.ops = self.ops;
        s.liveness_ops = self.liveness_ops;
        s.extra_config = self.extra_config.clone();
        s.plants = self.plants;
        if let Some(f) = &self.faults {
            s.plan.apply_overrides(f)?;
        }
        Ok(s)
    }

    /// The command that replays `seed` alone.
    pub fn replay_command(&self, seed: u64) -> String {
        let mut cmd = format!("verdis-chaos replay --seed {seed} --steps {}", self.ops);
        if let Some(f) = &self.faults {
            cmd.push_str(&format!(" --faults '{f}'"));
        }
        if self.liveness_ops != CampaignSettings::new(0, 0, 1).liveness_ops {
            cmd.push_str(&format!(" --liveness {}", self.liveness_ops));
        }
        cmd.push_str(&config_option(&self.extra_config));
        cmd.push_str(&plant_option(self.plants));
        cmd
    }
}

/// One failing seed.
#[derive(Clone, Debug)]
pub struct SeedFailure {
    /// The seed.
    pub seed: u64,
    /// What failed.
    pub failure: Failure,
    /// How to run it again.
    pub replay: String,
}

/// A campaign's totals.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Seeds run.
    pub seeds: u64,
    /// Requests executed by the nodes.
    pub ops_executed: u64,
    /// Simulated time.
    pub sim_us: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u64>,
    /// Allowances the checks made, by name (`world::TOLERANCES`).
    pub tolerances: BTreeMap<&'static str, u64>,
    /// Failures, by seed.
    pub failures: Vec<SeedFailure>,
    /// Probes over all seeds.
    pub coverage: Coverage,
    /// Wall time.
    pub wall: Duration,
    /// CPU time the workers spent (the honest speed measure on a shared machine).
    pub cpu: Duration,
    /// Each seed's trace hash.
    pub hashes: BTreeMap<u64, u64>,
}

impl Summary {
    /// Simulated requests per wall second.
    pub fn ops_per_wall_second(&self) -> f64 {
        self.ops_executed as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// Simulated time over wall time (per job: the sum of simulated time over the wall).
    pub fn sim_wall_ratio(&self) -> f64 {
        self.sim_us as f64 / 1e6 / self.wall.as_secs_f64().max(1e-9)
    }

    /// Simulated requests per CPU second: the speed of one core.
    pub fn ops_per_cpu_second(&self) -> f64 {
        self.ops_executed as f64 / self.cpu.as_secs_f64().max(1e-9)
    }

    /// Simulated time per CPU second.
    pub fn sim_cpu_ratio(&self) -> f64 {
        self.sim_us as f64 / 1e6 / self.cpu.as_secs_f64().max(1e-9)
    }

    /// A readable summary.
    pub fn render(&self, jobs: usize) -> String {
        let mut out = String::new();
        out.push_str(&format!(
            "seeds {}  requests executed {}  simulated {:.1} s  wall {:.2} s  ({} jobs)\n",
            self.seeds,
            self.ops_executed,
            self.sim_us as f64 / 1e6,
            self.wall.as_secs_f64(),
            jobs
        ));
        out.push_str(&format!(
            "speed: {:.0} simulated requests per wall second, simulated/wall time {:.0}x; per core: {:.0} requests per CPU second, simulated/CPU time {:.0}x (CPU {:.2} s)\n",
            self.ops_per_wall_second(),
            self.sim_wall_ratio(),
            self.ops_per_cpu_second(),
            self.sim_cpu_ratio(),
            self.cpu.as_secs_f64()
        ));
        let faults: Vec<String> = self.faults.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("faults injected: {}\n", faults.join(" ")));
        let used: Vec<String> =
            TOLERANCES.iter().map(|k| format!("{k}={}", self.tolerances.get(k).unwrap_or(&0))).collect();
        out.push_str(&format!("tolerances used: {}\n", used.join(" ")));
        out.push_str(&format!("probes never hit: {:?}\n", self.coverage.never_hit()));
        out.push_str(&format!("failures: {}\n", self.failures.len()));
        for f in &self.failures {
            let msg: String = f.failure.message.chars().take(300).collect();
            out.push_str(&format!("  seed {} [{}] {}\n    replay: {}\n", f.seed, f.failure.check, msg, f.replay));
        }
        out
    }
}

/// CPU time the calling thread has used.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs every seed of `settings`; `progress(done, total, failures)` is called after each seed.
pub fn run(settings: &CampaignSettings, progress: &(dyn Fn(u64, u64, usize) + Sync)) -> Summary {
    let started = Instant::now();
    let next = AtomicU64::new(settings.first_seed);
    let total = settings.end_seed.saturating_sub(settings.first_seed);
    let summary = Mutex::new(Summary::default());
    std::thread::scope(|scope| {
        for _ in 0..settings.jobs {
            scope.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= settings.end_seed {
                    summary.lock().expect("no worker panics while holding it").cpu += thread_cpu_time();
                    break;
                }
                let report = match settings.settings(seed) {
                    Ok(s) => run_one(s),
                    Err(e) => panic!("bad --faults: {e}"),
                };
                let mut sum = summary.lock().expect("no worker panics while holding it");
                sum.seeds += 1;
                sum.ops_executed += report.ops_executed;
                sum.sim_us += report.sim_us;
                for (k, v) in &report.faults {
                    *sum.faults.entry(k).or_insert(0) += v;
                }
                for (k, v) in &report.tolerances {
                    *sum.tolerances.entry(k).or_insert(0) += v;
                }
                sum.coverage.merge(&report.coverage);
                sum.hashes.insert(seed, report.trace_hash);
                if let Some(failure) = report.failure {
                    sum.failures.push(SeedFailure { seed, failure, replay: settings.replay_command(seed) });
                }
                let (done, failures) = (sum.seeds, sum.failures.len());
                drop(sum);
                progress(done, total, failures);
            });
        }
    });
    let mut summary = summary.into_inner().expect("workers finished");
    summary.failures.sort_by_key(|f| f.seed);
    summary.wall = started.elapsed();
    summary
}
