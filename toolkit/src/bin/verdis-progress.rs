//! `verdis-progress`: the progress bar for shell scripts (`ci/bench`).
//!
//! ```text
//! verdis-progress --label ci/bench --total 96 < steps
//! ```
//! Reads standard input line by line until it closes: a line `+ TEXT` is one finished step (TEXT
//! says what it measured), any other line is a log line. On a terminal it draws a bar with the log
//! above it; elsewhere (CI) it prints every line as `LABEL: TEXT`, steps as `LABEL: N/TOTAL TEXT`.

use std::io::BufRead;

use anyhow::{Context, Result};
use clap::Parser;
use verdis_toolkit::Progress;

/// Shows a shell script's progress: `+ TEXT` lines on stdin are finished steps, others log lines.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// What runs, printed before every line (`ci/bench`).
    #[arg(long)]
    label: String,
    /// How many steps the run has.
    #[arg(long)]
    total: u64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    // A script's steps are few and slow: in a log, every one gets its line.
    let progress = Progress::stderr(&args.label, args.total).with_lines_max(args.total);
    let mut done = 0;
    for line in std::io::stdin().lock().lines() {
        let line = line.context("reading standard input")?;
        match line.strip_prefix("+ ") {
            Some(step) => {
                done += 1;
                // On a terminal the step's line goes above the bar, which stays one short line.
                if progress.is_bar() {
                    progress.println(&format!("{}: {step}", args.label));
                    progress.update(done, "");
                } else {
                    progress.update(done, step);
                }
            }
            None => progress.println(&format!("{}: {line}", args.label)),
        }
    }
    progress.finish();
    Ok(())
}
