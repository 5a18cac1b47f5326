//! `verdis-conform`: differential testing of a RESP server against real Redis.
//!
//! ```text
//! verdis-conform run      [--subject T] [--oracle T] [--families strings,keys] [--cases N] [--seed S]
//!                         [--resp 2|3] [--report-dir DIR] [--regressions DIR] [--shrink-max N]
//!                         [--junit PATH]
//! verdis-conform replay   [--subject T] [--oracle T] FILE...
//! verdis-conform coverage [--subject T] [--oracle T]
//! ```
//! A server `T` is `verdis`, `verdis-inproc`, `redis`, `process:PATH`, `addr:HOST:PORT[,PASSWORD]`
//! or `docker:IMAGE`. `verdis-conform SUBCOMMAND --help` lists a subcommand's options.
//! Exit code: 0 when everything matched, 1 on any mismatch, 2 when the run could not be made
//! (a bad command line included).

use std::path::PathBuf;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use clap::{Args, CommandFactory, Parser, Subcommand};
use verdis_conformance::campaign::{Campaign, Settings};
use verdis_conformance::report::{family_of, Report};
use verdis_conformance::{coverage, Generator, Regression, Server, Target};
use verdis_toolkit::{junit, Progress};

/// The servers a `T` may name, shown under every help.
const SERVERS: &str = "Servers (T): verdis (default subject), verdis-inproc, redis (default oracle), process:PATH,
             addr:HOST:PORT[,PASSWORD], docker:IMAGE";

/// Differential testing of a RESP server against real Redis: the same generated commands on both,
/// every reply and the keyspace compared byte for byte.
#[derive(Parser)]
#[command(name = "verdis-conform", version, after_help = SERVERS)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs generated sequences on both servers; writes report.md and report.json, shrinks and
    /// saves each mismatch; exits 1 on any mismatch.
    #[command(after_help = SERVERS)]
    Run(RunArgs),
    /// Replays regression files on both servers; exits 1 when any still mismatches.
    #[command(after_help = SERVERS)]
    Replay {
        #[command(flatten)]
        servers: Servers,
        /// Regression files (as `run` saves them).
        #[arg(value_name = "FILE", required = true)]
        files: Vec<PathBuf>,
    },
    /// Which Redis commands the subject implements and the generators exercise.
    #[command(after_help = SERVERS)]
    Coverage {
        #[command(flatten)]
        servers: Servers,
    },
}

/// The two servers.
#[derive(Args)]
struct Servers {
    /// The server under test.
    #[arg(long, value_name = "T", default_value = "verdis", value_parser = parse_server)]
    subject: ServerArg,
    /// The reference.
    #[arg(long, value_name = "T", default_value = "redis", value_parser = parse_server)]
    oracle: ServerArg,
}

/// A server as the command line names it (kept for the report's rerun line) and what it means.
#[derive(Clone)]
struct ServerArg {
    text: String,
    target: Target,
}

fn parse_server(text: &str) -> Result<ServerArg, String> {
    let target = text.parse().map_err(|e: verdis_conformance::ConformError| e.to_string())?;
    Ok(ServerArg { text: text.to_string(), target })
}

/// `run`'s options.
#[derive(Args)]
struct RunArgs {
    #[command(flatten)]
    servers: Servers,
    /// Families to generate from: COMMAND DOCS groups (string, generic...), aliases (strings,
    /// keys, lists, hashes, sets, zsets) or `all`.
    #[arg(long, value_name = "F[,F]", default_value = "strings,keys")]
    families: String,
    /// Command sequences to run.
    #[arg(long, value_name = "N", default_value_t = 1000)]
    cases: u64,
    /// The run's seed (default: the current time, printed for the rerun).
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// RESP version both connections speak.
    #[arg(long, value_name = "2|3", default_value_t = 2, value_parser = clap::value_parser!(u8).range(2..=3))]
    resp: u8,
    /// Where report.md and report.json go.
    #[arg(long, value_name = "DIR", default_value = "conform-report")]
    report_dir: PathBuf,
    /// Where shrunk mismatches are saved (default: conformance/regressions when run from the
    /// repository root, else DIR/regressions under --report-dir).
    #[arg(long, value_name = "DIR")]
    regressions: Option<PathBuf>,
    /// Most distinct mismatches shrunk per run.
    #[arg(long, value_name = "N", default_value_t = 10)]
    shrink_max: usize,
    /// Also write a JUnit XML report there: one test case per family, failures with each
    /// mismatching command's first transcript.
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
}

impl ServerArg {
    fn start(&self, role: &str) -> Result<Server> {
        Server::start(&self.target).with_context(|| format!("starting the {role} ({})", self.text))
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
    match Cli::parse().command {
        Some(Command::Run(args)) => run(&args),
        Some(Command::Replay { servers, files }) => replay(&servers, &files),
        Some(Command::Coverage { servers }) => cover(&servers),
        None => {
            Cli::command().print_help()?;
            Ok(0)
        }
    }
}

/// The run as JUnit: a case per family, failed with each mismatching command's first example.
fn junit_suite(report: &Report) -> junit::Suite {
    let cases = report.per_family().into_iter().map(|(family, (cases, matches))| {
        if matches == cases {
            return junit::Case::passed(family);
        }
        let mut text = format!("{} of {cases} cases mismatched", cases - matches);
        for (name, s) in report.campaign.stats.iter().filter(|(n, s)| s.mismatches > 0 && family_of(n) == family) {
            text.push_str(&format!("\n\n{name}: {} of {} cases mismatched\n", s.mismatches, s.cases));
            text.push_str(s.first_example.as_deref().unwrap_or(""));
        }
        junit::Case::failed(family, text)
    });
    junit::Suite { name: "verdis-conform run".into(), cases: cases.collect() }
}

fn run(args: &RunArgs) -> Result<i32> {
    let default_seed = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(1);
    let default_regressions = if PathBuf::from("conformance/regressions").is_dir() {
        "conformance/regressions".into()
    } else {
        args.report_dir.join("regressions")
    };
    let settings = Settings {
        families: args.families.split(',').map(|f| f.trim().to_string()).collect(),
        cases: args.cases,
        seed: args.seed.unwrap_or(default_seed),
        resp: args.resp,
        regressions_dir: Some(args.regressions.clone().unwrap_or(default_regressions)),
        shrink_max: args.shrink_max,
    };
    let generator = Generator::from_table(&settings.families)?;
    let oracle = args.servers.oracle.start("oracle")?;
    let subject = args.servers.subject.start("subject")?;
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
    let progress = Progress::stderr("verdis-conform run", settings.cases);
    campaign.run(&generator, &settings, |done, c| {
        progress.update(done, &format!("sequences, {} with a mismatch", c.failed_sequences));
    })?;
    progress.finish();
    let targets = (args.servers.subject.text.clone(), args.servers.oracle.text.clone());
    let report = Report {
        campaign: &campaign,
        settings: &settings,
        generator: &generator,
        elapsed: start.elapsed(),
        targets: Some(targets),
    };
    let report_dir = &args.report_dir;
    std::fs::create_dir_all(report_dir).with_context(|| format!("creating {}", report_dir.display()))?;
    let md_path = report_dir.join("report.md");
    let json_path = report_dir.join("report.json");
    std::fs::write(&md_path, report.markdown()).with_context(|| format!("writing {}", md_path.display()))?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&report.json())?)
        .with_context(|| format!("writing {}", json_path.display()))?;
    if let Some(path) = &args.junit {
        junit_suite(&report).write(path).with_context(|| format!("writing {}", path.display()))?;
    }
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

fn replay(servers: &Servers, files: &[PathBuf]) -> Result<i32> {
    let regs: Vec<(PathBuf, Regression)> =
        files.iter().map(|p| Regression::load(p).map(|r| (p.clone(), r))).collect::<Result<_, _>>()?;
    let mut failed = 0;
    for resp in [2, 3] {
        let batch: Vec<_> = regs.iter().filter(|(_, r)| r.resp == resp).collect();
        if batch.is_empty() {
            continue;
        }
        let mut campaign = Campaign::new(servers.oracle.start("oracle")?, servers.subject.start("subject")?, resp)?;
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

fn cover(servers: &Servers) -> Result<i32> {
    let oracle = servers.oracle.start("oracle")?;
    let subject = servers.subject.start("subject")?;
    let mut oracle_conn = oracle.connect()?;
    let mut subject_conn = subject.connect()?;
    let measured = coverage::measure(&mut oracle_conn, &mut subject_conn, || subject.connect())?;
    print!("{}", measured.render());
    Ok(0)
}
