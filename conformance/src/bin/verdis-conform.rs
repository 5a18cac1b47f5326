//! `verdis-conform`: differential testing of a RESP server against real Redis.
//!
//! ```text
//! verdis-conform run      [--subject T] [--oracle T] [--families strings,keys] [--cases N] [--seed S]
//!                         [--resp 2|3] [--report-dir DIR] [--regressions DIR] [--shrink-max N]
//! verdis-conform replay   [--subject T] [--oracle T] FILE...
//! verdis-conform coverage [--subject T] [--oracle T]
//! ```
//! A server `T` is `verdis`, `verdis-inproc`, `redis`, `process:PATH`, `addr:HOST:PORT[,PASSWORD]`
//! or `docker:IMAGE`.
//! Exit code: 0 when everything matched, 1 on any mismatch, 2 when the run could not be made.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use verdis_conformance::campaign::{Campaign, Settings};
use verdis_conformance::report::Report;
use verdis_conformance::{coverage, Generator, Regression, Server, Target};

const USAGE: &str = "usage:
  verdis-conform run      [--subject T] [--oracle T] [--families strings,keys] [--cases N] [--seed S]
                          [--resp 2|3] [--report-dir DIR] [--regressions DIR] [--shrink-max N]
  verdis-conform replay   [--subject T] [--oracle T] FILE...
  verdis-conform coverage [--subject T] [--oracle T]
servers (T): verdis (default subject), verdis-inproc, redis (default oracle), process:PATH,
             addr:HOST:PORT[,PASSWORD], docker:IMAGE";

/// Options that take a value, by subcommand.
const VALUE_OPTIONS: &[&str] = &[
    "--subject",
    "--oracle",
    "--families",
    "--cases",
    "--seed",
    "--resp",
    "--report-dir",
    "--regressions",
    "--shrink-max",
];

struct Args {
    command: String,
    options: HashMap<String, String>,
    files: Vec<PathBuf>,
}

fn parse_args() -> Result<Args> {
    let mut argv = std::env::args().skip(1);
    let command = argv.next().unwrap_or_default();
    let mut options = HashMap::new();
    let mut files = Vec::new();
    while let Some(arg) = argv.next() {
        if VALUE_OPTIONS.contains(&arg.as_str()) {
            let value = argv.next().with_context(|| format!("{arg} needs a value"))?;
            options.insert(arg, value);
        } else if arg.starts_with("--") {
            bail!("unknown option {arg}\n{USAGE}");
        } else {
            files.push(PathBuf::from(arg));
        }
    }
    Ok(Args { command, options, files })
}

impl Args {
    fn get<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        match self.options.get(name) {
            None => Ok(default),
            Some(v) => v.parse().map_err(|e| anyhow::anyhow!("{name} {v:?}: {e}")),
        }
    }

    fn server(&self, name: &str, default: &str) -> Result<Server> {
        let target: Target = self.get(name, default.to_string())?.parse()?;
        Server::start(&target).with_context(|| format!("starting the {}", &name[2..]))
    }
}

fn main() {
    let code = match real_main() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("verdis-conform: {e:#}");
            2
        }
    };
    std::process::exit(code);
}

fn real_main() -> Result<i32> {
    let args = parse_args()?;
    match args.command.as_str() {
        "run" => run(&args),
        "replay" => replay(&args),
        "coverage" => cover(&args),
        "" | "help" | "--help" | "-h" => {
            println!("{USAGE}");
            Ok(0)
        }
        other => bail!("unknown command {other:?}\n{USAGE}"),
    }
}

fn run(args: &Args) -> Result<i32> {
    let default_seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1);
    let families: Vec<String> =
        args.get("--families", "strings,keys".to_string())?.split(',').map(|f| f.trim().to_string()).collect();
    let report_dir = PathBuf::from(args.get("--report-dir", "conform-report".to_string())?);
    let default_regressions = if PathBuf::from("conformance/regressions").is_dir() {
        "conformance/regressions".into()
    } else {
        report_dir.join("regressions")
    };
    let settings = Settings {
        families,
        cases: args.get("--cases", 1000u64)?,
        seed: args.get("--seed", default_seed)?,
        resp: args.get("--resp", 2u8)?,
        regressions_dir: Some(args.options.get("--regressions").map(PathBuf::from).unwrap_or(default_regressions)),
        shrink_max: args.get("--shrink-max", 10usize)?,
    };
    if settings.resp != 2 && settings.resp != 3 {
        bail!("--resp must be 2 or 3");
    }
    let generator = Generator::from_table(&settings.families)?;
    let oracle = args.server("--oracle", "redis")?;
    let subject = args.server("--subject", "verdis")?;
    eprintln!(
        "verdis-conform: {} sequences of {} commands ({}), seed {}, RESP{}\n  oracle:  {}\n  subject: {}",
        settings.cases,
        generator.commands().len(),
        settings.families.join(","),
        settings.seed,
        settings.resp,
        oracle.label,
        subject.label
    );
    let mut campaign = Campaign::new(oracle, subject, settings.resp)?;
    let start = Instant::now();
    let step = (settings.cases / 100).max(1);
    campaign.run(&generator, &settings, |done, c| {
        if done % step == 0 || done == settings.cases {
            let bar_len = 30;
            let filled = (done * bar_len / settings.cases.max(1)) as usize;
            eprint!(
                "\r[{}{}] {done}/{} sequences, {} with a mismatch",
                "#".repeat(filled),
                ".".repeat(bar_len as usize - filled),
                settings.cases,
                c.failed_sequences
            );
            let _ = std::io::stderr().flush();
        }
    })?;
    eprintln!();
    let targets = (args.get("--subject", "verdis".to_string())?, args.get("--oracle", "redis".to_string())?);
    let report = Report {
        campaign: &campaign,
        settings: &settings,
        generator: &generator,
        elapsed: start.elapsed(),
        targets: Some(targets),
    };
    std::fs::create_dir_all(&report_dir).with_context(|| format!("creating {}", report_dir.display()))?;
    let md_path = report_dir.join("report.md");
    let json_path = report_dir.join("report.json");
    std::fs::write(&md_path, report.markdown()).with_context(|| format!("writing {}", md_path.display()))?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&report.json())?)
        .with_context(|| format!("writing {}", json_path.display()))?;
    for finding in &campaign.findings {
        eprintln!(
            "\nMISMATCH in {} (shrunk from {} to {} commands){}:\n{}",
            finding.signature,
            finding.original_len,
            finding.shrunk.len(),
            finding.saved.as_ref().map(|p| format!(", saved as {}", p.display())).unwrap_or_default(),
            finding.transcript
        );
    }
    eprintln!(
        "compatibility {:.3}% over {} sequences; reports: {}, {}",
        report.compatibility_percent(),
        campaign.sequences,
        md_path.display(),
        json_path.display()
    );
    Ok(if campaign.failed_sequences == 0 { 0 } else { 1 })
}

fn replay(args: &Args) -> Result<i32> {
    if args.files.is_empty() {
        bail!("replay needs regression files\n{USAGE}");
    }
    let regs: Vec<(PathBuf, Regression)> =
        args.files.iter().map(|p| Regression::load(p).map(|r| (p.clone(), r))).collect::<Result<_, _>>()?;
    let mut failed = 0;
    for resp in [2, 3] {
        let batch: Vec<_> = regs.iter().filter(|(_, r)| r.resp == resp).collect();
        if batch.is_empty() {
            continue;
        }
        let mut campaign = Campaign::new(args.server("--oracle", "redis")?, args.server("--subject", "verdis")?, resp)?;
        for (path, reg) in batch {
            let outcome = campaign.replay(reg);
            if outcome.signature().is_some() {
                failed += 1;
                println!("FAIL {}\n{}", path.display(), outcome.transcript());
            } else {
                println!("ok   {}", path.display());
            }
        }
    }
    println!("{} passed, {failed} failed", regs.len() - failed);
    Ok(if failed == 0 { 0 } else { 1 })
}

fn cover(args: &Args) -> Result<i32> {
    let oracle = args.server("--oracle", "redis")?;
    let subject = args.server("--subject", "verdis")?;
    let mut oracle_conn = oracle.connect()?;
    let mut subject_conn = subject.connect()?;
    let measured = coverage::measure(&mut oracle_conn, &mut subject_conn, || subject.connect())?;
    print!("{}", measured.render());
    Ok(0)
}
