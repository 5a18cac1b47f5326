//! `verdis-chaos`: run one simulated world, a campaign of seeds, or a replay.
//!
//! - `sim --seed N [--faults PLAN] [--steps K] [--trace]`: one world; prints the plan, a summary
//!   and the trace hash (`--trace`: every event).
//! - `replay --seed N [--faults PLAN] [--steps K] [--liveness L] [--tape FILE]`: the same run
//!   again, with its readable trace.
//! - `campaign --seeds A..B [--jobs J] [--steps K] [--liveness L] [--faults PLAN] [--junit PATH]`:
//!   many seeds; progress, a summary with every failure's replay command, and a JUnit report (a
//!   case per seed).
//! - `shrink --seed N [--faults PLAN] [--steps K]`: minimises a failing run and prints its trace.
//!
//! Every subcommand also takes `--liveness L`, `--plant NAME[,NAME]` and
//! `--config name=value[,name=value]`; `verdis-chaos SUBCOMMAND --help` lists its options.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use verdis_chaos::campaign::{self, CampaignSettings, Summary};
use verdis_chaos::shrink;
use verdis_chaos::world::{Report, Settings};
use verdis_engine::plants::Plants;
use verdis_toolkit::{junit, Progress};

/// Runs verdis's node in the deterministic simulator: one world, a replay, a campaign of seeds,
/// or the shrinking of a failing run.
#[derive(Parser)]
#[command(name = "verdis-chaos", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// One world: prints the plan, a summary and the trace hash; exits 1 when a check fails.
    Sim {
        #[command(flatten)]
        world: WorldArgs,
        /// Print every event of the run.
        #[arg(long)]
        trace: bool,
    },
    /// The same run as `sim`, with its readable trace; exits 1 when a check fails.
    Replay {
        #[command(flatten)]
        world: WorldArgs,
    },
    /// Many seeds, each with its own drawn fault plan: progress, then a summary with every
    /// failure's replay command; exits 1 on any failure.
    Campaign(CampaignArgs),
    /// Minimises a failing run (fewer requests, fewer faults) and prints its trace; the shrunk
    /// tape goes to `verdis-chaos-SEED.tape` for `replay --tape`.
    Shrink {
        #[command(flatten)]
        world: WorldArgs,
    },
}

/// What every run takes.
#[derive(Args)]
struct RunArgs {
    /// Client requests in the safety phase of each world (default 2000).
    #[arg(long, value_name = "K")]
    steps: Option<u64>,
    /// Requests in the liveness phase, after the faults stop (default 200).
    #[arg(long, value_name = "L")]
    liveness: Option<u64>,
    /// Fault-plan overrides on top of each seed's drawn plan (`none` first turns every fault
    /// off), e.g. `none,persistence=always,crash=0.5`.
    #[arg(long, value_name = "PLAN", value_parser = parse_faults)]
    faults: Option<String>,
    /// Planted bugs that prove the checks can fail (the names in `campaign::PLANTS`).
    #[arg(long, value_name = "NAME[,NAME]", value_parser = parse_plants, default_value = "", hide_default_value = true)]
    plant: Plants,
    /// Node configuration on top of the plan's.
    #[arg(long, value_name = "NAME=VALUE[,NAME=VALUE]", value_parser = parse_config, default_value = "", hide_default_value = true)]
    config: Config,
}

/// One world's options.
#[derive(Args)]
struct WorldArgs {
    /// The world's seed: every decision of the run derives from it.
    #[arg(long, value_name = "N")]
    seed: u64,
    /// A decision tape (whitespace-separated numbers, as `shrink` writes) replacing the seed's.
    #[arg(long, value_name = "FILE")]
    tape: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
}

/// A campaign's options.
#[derive(Args)]
struct CampaignArgs {
    /// The seeds to run, first included, last excluded.
    #[arg(long, value_name = "A..B", value_parser = parse_seeds)]
    seeds: (u64, u64),
    /// Worker threads (default: every core).
    #[arg(long, value_name = "J")]
    jobs: Option<usize>,
    /// Also write a JUnit XML report there: one test case per seed, failures with their check,
    /// message and replay command.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
}

/// `--config` pairs (a newtype: clap would read a bare `Vec` as a repeatable flag).
#[derive(Clone)]
struct Config(Vec<(Vec<u8>, Vec<u8>)>);

fn parse_plants(text: &str) -> Result<Plants, String> {
    let mut plants = Plants::default();
    for name in text.split(',').filter(|n| !n.is_empty()) {
        let (_, switch) = campaign::PLANTS.iter().find(|(known, _)| *known == name).ok_or_else(|| {
            let known: Vec<&str> = campaign::PLANTS.iter().map(|(n, _)| *n).collect();
            format!("unknown plant {name:?} (known: {})", known.join(", "))
        })?;
        *switch(&mut plants) = true;
    }
    Ok(plants)
}

fn parse_config(text: &str) -> Result<Config, String> {
    let pairs = text.split(',').filter(|kv| !kv.is_empty());
    let pair = |kv: &str| match kv.split_once('=') {
        Some((k, v)) => Ok((k.as_bytes().to_vec(), v.as_bytes().to_vec())),
        None => Err(format!("{kv:?} is not name=value")),
    };
    pairs.map(pair).collect::<Result<_, _>>().map(Config)
}

/// Checks the overrides parse (against any seed's plan: their syntax does not depend on it).
fn parse_faults(text: &str) -> Result<String, String> {
    Settings::new(0).plan.apply_overrides(text)?;
    Ok(text.to_string())
}

fn parse_seeds(text: &str) -> Result<(u64, u64), String> {
    let (a, b) = text.split_once("..").ok_or("expected A..B, e.g. 0..1000")?;
    let bound = |s: &str| s.parse::<u64>().map_err(|e| format!("{s:?}: {e}"));
    Ok((bound(a)?, bound(b)?))
}

impl WorldArgs {
    fn settings(&self) -> Result<Settings> {
        let mut s = Settings::new(self.seed);
        if let Some(f) = &self.run.faults {
            s.plan.apply_overrides(f).map_err(anyhow::Error::msg)?;
        }
        if let Some(k) = self.run.steps {
            s.ops = k;
        }
        if let Some(k) = self.run.liveness {
            s.liveness_ops = k;
        }
        s.plants = self.run.plant;
        s.extra_config = self.run.config.0.clone();
        if let Some(path) = &self.tape {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            let tape: Result<Vec<u64>, _> = text.split_whitespace().map(str::parse).collect();
            s.tape = Some(tape.context("a tape is whitespace-separated numbers")?);
        }
        Ok(s)
    }
}

fn print_report(r: &Report) {
    if let Some(lines) = &r.lines {
        for l in lines {
            println!("{l}");
        }
    }
    let faults: Vec<String> = r.faults.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let tolerances: Vec<String> = r.tolerances.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "summary: requests issued {} executed {}  simulated {:.3} s  events {}  faults: {}  tolerances used: {}",
        r.ops_issued,
        r.ops_executed,
        r.sim_us as f64 / 1e6,
        r.events,
        faults.join(" "),
        tolerances.join(" ")
    );
    println!("trace hash {:016x}", r.trace_hash);
    if let Some(f) = &r.failure {
        println!("FAILED [{}] at {} us: {}", f.check, f.at_us, f.message);
    } else {
        println!("ok");
    }
}

/// One run, printed; exits 1 when it fails.
fn run_world(mut s: Settings, keep_lines: bool) {
    s.keep_lines = keep_lines;
    println!("seed {}\nplan {}", s.seed, s.plan);
    let r = campaign::run_one(s);
    print_report(&r);
    if r.failure.is_some() {
        std::process::exit(1);
    }
}

fn shrink_world(s: Settings) -> Result<()> {
    println!("seed {}\nplan {}", s.seed, s.plan);
    match shrink::shrink(&s) {
        None => println!("the run does not fail: nothing to shrink"),
        Some(min) => {
            if let Some(tape) = &min.settings.tape {
                let path = format!("verdis-chaos-{}.tape", min.settings.seed);
                let text: Vec<String> = tape.iter().map(u64::to_string).collect();
                std::fs::write(&path, text.join("\n")).with_context(|| format!("writing {path}"))?;
            }
            println!("{}", min.render());
            std::process::exit(1);
        }
    }
    Ok(())
}

/// The campaign as JUnit: a case per seed, a failure naming its check, message and replay.
fn junit_suite(summary: &Summary) -> junit::Suite {
    let cases = summary.hashes.keys().map(|seed| {
        let name = format!("seed {seed}");
        match summary.failures.iter().find(|f| f.seed == *seed) {
            None => junit::Case::passed(name),
            Some(f) => junit::Case::failed(
                name,
                format!("[{}] at {} us: {}\nreplay: {}", f.failure.check, f.failure.at_us, f.failure.message, f.replay),
            ),
        }
    });
    junit::Suite { name: "verdis-chaos campaign".into(), cases: cases.collect() }
}

fn run_campaign(args: &CampaignArgs) -> Result<()> {
    let (first, end) = args.seeds;
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let mut c = CampaignSettings::new(first, end, jobs);
    if let Some(k) = args.run.steps {
        c.ops = k;
    }
    if let Some(k) = args.run.liveness {
        c.liveness_ops = k;
    }
    c.faults = args.run.faults.clone();
    c.plants = args.run.plant;
    c.extra_config = args.run.config.0.clone();
    let progress = Progress::stderr("verdis-chaos campaign", end.saturating_sub(first));
    let report = |done: u64, _total: u64, failures: usize| progress.update(done, &format!("seeds, {failures} failing"));
    // Panics inside worlds are reported as failures with their seeds; keep stderr quiet.
    std::panic::set_hook(Box::new(|_| {}));
    let summary = campaign::run(&c, &report);
    progress.finish();
    print!("{}", summary.render(jobs));
    if let Some(path) = &args.junit {
        junit_suite(&summary).write(path).with_context(|| format!("writing {}", path.display()))?;
    }
    if !summary.failures.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Sim { world, trace } => run_world(world.settings()?, trace),
        Command::Replay { world } => run_world(world.settings()?, true),
        Command::Shrink { world } => shrink_world(world.settings()?)?,
        Command::Campaign(args) => run_campaign(&args)?,
    }
    Ok(())
}
