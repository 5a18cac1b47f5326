//! `verdis-chaos`: run one simulated world, a campaign of seeds, or a replay.
//!
//! - `sim --seed N [--faults PLAN] [--steps K] [--trace]`: one world; prints the plan, a summary
//!   and the trace hash (`--trace`: every event).
//! - `replay --seed N [--faults PLAN] [--steps K]`: the same run again, with its readable trace.
//! - `campaign --seeds A..B [--jobs J] [--steps K] [--faults PLAN]`: many seeds; progress and a
//!   summary with every failure's replay command.
//! - `shrink --seed N [--faults PLAN] [--steps K]`: minimises a failing run and prints its trace.

use std::io::Write;

use anyhow::{bail, Context, Result};
use verdis_chaos::campaign::{self, CampaignSettings};
use verdis_chaos::shrink;
use verdis_chaos::world::{Report, Settings};
use verdis_engine::plants::Plants;

const USAGE: &str = "usage:
  verdis-chaos sim --seed N [--faults PLAN] [--steps K] [--trace]
  verdis-chaos replay --seed N [--faults PLAN] [--steps K] [--liveness L] [--tape FILE]
  verdis-chaos campaign --seeds A..B [--jobs J] [--steps K] [--faults PLAN]
  verdis-chaos shrink --seed N [--faults PLAN] [--steps K]";

struct Args(Vec<String>);

impl Args {
    fn opt(&self, name: &str) -> Option<&str> {
        self.0.iter().position(|a| a == name).and_then(|i| self.0.get(i + 1)).map(String::as_str)
    }

    fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|a| a == name)
    }

    /// `--plant NAME[,NAME]`: planted bugs (the names in `campaign::PLANTS`).
    fn plants(&self) -> Result<Plants> {
        let mut plants = Plants::default();
        for name in self.opt("--plant").unwrap_or("").split(',').filter(|n| !n.is_empty()) {
            let Some((_, switch)) = campaign::PLANTS.iter().find(|(n, _)| *n == name) else {
                bail!("unknown plant {name:?}")
            };
            *switch(&mut plants) = true;
        }
        Ok(plants)
    }

    /// `--config name=value[,name=value]`: node config on top of the plan's.
    fn config(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let text = self.opt("--config").unwrap_or("");
        let pairs = text.split(',').filter_map(|kv| kv.split_once('='));
        pairs.map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect()
    }

    fn settings(&self) -> Result<Settings> {
        let seed: u64 = self.opt("--seed").context("--seed N is required")?.parse().context("--seed")?;
        let mut s = Settings::new(seed);
        if let Some(f) = self.opt("--faults") {
            s.plan.apply_overrides(f).map_err(anyhow::Error::msg)?;
        }
        if let Some(k) = self.opt("--steps") {
            s.ops = k.parse().context("--steps")?;
        }
        if let Some(k) = self.opt("--liveness") {
            s.liveness_ops = k.parse().context("--liveness")?;
        }
        s.plants = self.plants()?;
        s.extra_config = self.config();
        if let Some(path) = self.opt("--tape") {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
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

fn main() -> Result<()> {
    let args = Args(std::env::args().skip(1).collect());
    let Some(cmd) = args.0.first().cloned() else { bail!("{USAGE}") };
    match cmd.as_str() {
        "sim" | "replay" => {
            let mut s = args.settings()?;
            s.keep_lines = cmd == "replay" || args.flag("--trace");
            println!("seed {}\nplan {}", s.seed, s.plan);
            let r = campaign::run_one(s);
            print_report(&r);
            if r.failure.is_some() {
                std::process::exit(1);
            }
        }
        "shrink" => {
            let s = args.settings()?;
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
        }
        "campaign" => {
            let range = args.opt("--seeds").context("--seeds A..B is required")?;
            let (a, b) = range.split_once("..").context("--seeds A..B")?;
            let (a, b): (u64, u64) = (a.parse()?, b.parse()?);
            let jobs = match args.opt("--jobs") {
                Some(j) => j.parse()?,
                None => std::thread::available_parallelism().map_or(1, |n| n.get()),
            };
            let mut c = CampaignSettings::new(a, b, jobs);
            if let Some(k) = args.opt("--steps") {
                c.ops = k.parse()?;
            }
            c.faults = args.opt("--faults").map(str::to_string);
            c.plants = args.plants()?;
            c.extra_config = args.config();
            if c.faults.is_some() {
                c.settings(a).map_err(|e| anyhow::anyhow!("--faults: {e}"))?;
            }
            let progress = |done: u64, total: u64, failures: usize| {
                let width = 40;
                let filled = (done * width / total.max(1)) as usize;
                let bar = format!("{}{}", "#".repeat(filled), ".".repeat(width as usize - filled));
                eprint!("\r[{bar}] {done}/{total} seeds, {failures} failing");
                let _ = std::io::stderr().flush();
            };
            // Panics inside worlds are reported as failures with their seeds; keep stderr quiet.
            std::panic::set_hook(Box::new(|_| {}));
            let summary = campaign::run(&c, &progress);
            eprintln!();
            print!("{}", summary.render(jobs));
            if !summary.failures.is_empty() {
                std::process::exit(1);
            }
        }
        _ => bail!("{USAGE}"),
    }
    Ok(())
}
