//! `verdis-chaos`: run one simulated world, a campaign of seeds, or a replay.

use anyhow::{bail, Context, Result};
use verdis_chaos::world::{Settings, World};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(cmd) = args.first() else { bail!("usage: verdis-chaos sim|campaign|replay ...") };
    let opt = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned();
    match cmd.as_str() {
        "sim" | "replay" => {
            let seed: u64 = opt("--seed").context("--seed N")?.parse()?;
            let mut s = Settings::new(seed);
            if let Some(f) = opt("--faults") {
                s.plan.apply_overrides(&f).map_err(anyhow::Error::msg)?;
            }
            if let Some(k) = opt("--steps") {
                s.ops = k.parse()?;
            }
            s.keep_lines = args.iter().any(|a| a == "--trace");
            println!("seed {seed}\nplan {}", s.plan);
            let r = World::new(s).run();
            if let Some(lines) = &r.lines {
                for l in lines {
                    println!("{l}");
                }
            }
            println!(
                "ops issued {} executed {} sim {:.3}s events {} faults {:?}",
                r.ops_issued,
                r.ops_executed,
                r.sim_us as f64 / 1e6,
                r.events,
                r.faults
            );
            println!("trace hash {:016x}", r.trace_hash);
            if let Some(f) = r.failure {
                println!("FAILED {}: {} at {}us", f.check, f.message, f.at_us);
                std::process::exit(1);
            }
            Ok(())
        }
        other => bail!("unknown command {other}"),
    }
}
