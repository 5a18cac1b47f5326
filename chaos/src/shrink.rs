//! Shrinking a failing run to a minimal replay.
//!
//! First the run's shape: turn off each fault kind the plan has, drop clients, cut the workload
//! to the point where it failed, shorten the liveness phase — keeping each change that still
//! fails the same check. Then the decision stream itself: the run is replayed from its recorded
//! tape with chunks of draws zeroed (a zero draw is "no fault, shortest delay, first option"),
//! keeping each zeroing that still fails, as delta debugging does. What is left is printed as a
//! readable trace, with the settings (and tape) that replay it.

use crate::campaign::{config_option, plant_option, run_one};
use crate::plan::{Plan, FAULT_KEYS};
use crate::world::{Report, Settings};

/// Most runs the shrinker spends on the decision tape.
const TAPE_RUNS_MAX: usize = 150;
/// Trace lines printed for a shrunk run (the end, where the failure is).
const TRACE_LINES_SHOWN: usize = 400;

/// A minimal failing run.
pub struct Shrunk {
    /// Settings that replay it (with `tape` when the decisions were edited).
    pub settings: Settings,
    /// Its report, with the readable trace.
    pub report: Report,
    /// The check it fails.
    pub check: &'static str,
    /// Runs spent shrinking.
    pub runs: usize,
}

impl Shrunk {
    /// The minimal run as text: how to replay it, then its trace.
    pub fn render(&self) -> String {
        let s = &self.settings;
        let mut out = format!(
            "shrunk in {} runs to: seed {} steps {} liveness {}\nplan {}\nactive faults: {:?}\n",
            self.runs,
            s.seed,
            s.ops,
            s.liveness_ops,
            s.plan,
            s.plan.active_faults()
        );
        if let Some(tape) = &s.tape {
            let nonzero = tape.iter().filter(|&&v| v != 0).count();
            out.push_str(&format!("decision tape: {} draws, {} non-zero\n", tape.len(), nonzero));
        }
        out.push_str(&format!("replay: {}\n", replay_command(s)));
        let lines = self.report.lines.as_deref().unwrap_or_default();
        let skip = lines.len().saturating_sub(TRACE_LINES_SHOWN);
        if skip > 0 {
            out.push_str(&format!("... ({skip} earlier trace lines)\n"));
        }
        for l in &lines[skip..] {
            out.push_str(l);
            out.push('\n');
        }
        if let Some(f) = &self.report.failure {
            out.push_str(&format!("FAILED [{}]: {}\n", f.check, f.message));
        }
        out
    }
}

/// The command line that replays `s` (a tape is named by a file the caller writes).
pub fn replay_command(s: &Settings) -> String {
    let mut cmd = format!("verdis-chaos replay --seed {} --steps {} --faults '{}'", s.seed, s.ops, s.plan);
    if s.liveness_ops != Settings::new(s.seed).liveness_ops {
        cmd.push_str(&format!(" --liveness {}", s.liveness_ops));
    }
    cmd.push_str(&config_option(&s.extra_config));
    cmd.push_str(&plant_option(s.plants));
    if s.tape.is_some() {
        cmd.push_str(&format!(" --tape verdis-chaos-{}.tape", s.seed));
    }
    cmd
}

struct Shrinker {
    check: &'static str,
    runs: usize,
}

impl Shrinker {
    /// The report if `s` still fails the same check.
    fn fails(&mut self, s: &Settings) -> Option<Report> {
        self.runs += 1;
        let r = run_one(s.clone());
        (r.failure.as_ref().map(|f| f.check) == Some(self.check)).then_some(r)
    }

    /// Keeps `candidate` if it still fails.
    fn try_keep(&mut self, best: &mut Settings, candidate: Settings) -> bool {
        if self.fails(&candidate).is_some() {
            *best = candidate;
            return true;
        }
        false
    }
}

/// Shrinks the run `settings` describes; `None` when it does not fail.
pub fn shrink(settings: &Settings) -> Option<Shrunk> {
    shrink_with_budget(settings, TAPE_RUNS_MAX)
}

/// `shrink`, spending at most `tape_runs_max` runs on the decision tape.
pub fn shrink_with_budget(settings: &Settings, tape_runs_max: usize) -> Option<Shrunk> {
    let first = run_one(settings.clone());
    let check = first.failure.as_ref()?.check;
    let mut sh = Shrinker { check, runs: 1 };
    let mut best = settings.clone();
    best.keep_lines = false;
    best.keep_step_hashes = false;

    // The workload up to the failure, and no liveness phase unless that is what failed.
    if first.ops_issued < best.ops {
        let mut c = best.clone();
        c.ops = first.ops_issued.max(1);
        sh.try_keep(&mut best, c);
    }
    if check != "liveness" && best.liveness_ops > 0 {
        let mut c = best.clone();
        c.liveness_ops = 0;
        sh.try_keep(&mut best, c);
    }
    // Fault kinds, one at a time.
    let calm = Plan::calm(best.plan.persistence);
    for key in FAULT_KEYS {
        if !best.plan.active_faults().contains(&key) {
            continue;
        }
        let mut c = best.clone();
        let calm_value = calm_value(&calm, key);
        c.plan.set(key, &calm_value).expect("plan keys parse back");
        sh.try_keep(&mut best, c);
    }
    // Fewer clients (halving, then one at a time), shorter pipelines, a simpler workload.
    while best.plan.clients > 1 {
        let mut c = best.clone();
        c.plan.clients = best.plan.clients / 2;
        if !sh.try_keep(&mut best, c) {
            break;
        }
    }
    while best.plan.clients > 1 {
        let mut c = best.clone();
        c.plan.clients -= 1;
        if !sh.try_keep(&mut best, c) {
            break;
        }
    }
    for (key, simple) in [("small_encodings", "0"), ("expiry", "0"), ("keys", "4")] {
        let mut c = best.clone();
        c.plan.set(key, simple).expect("plan keys parse back");
        if c.plan != best.plan {
            sh.try_keep(&mut best, c);
        }
    }
    if best.plan.pipeline > 1 {
        let mut c = best.clone();
        c.plan.pipeline = 1;
        sh.try_keep(&mut best, c);
    }
    // A shorter workload: halve while it still fails, then try gentler cuts.
    for (num, den) in [(1, 2), (1, 2), (1, 2), (1, 2), (3, 4), (3, 4), (7, 8)] {
        if best.ops <= 1 {
            break;
        }
        let mut c = best.clone();
        c.ops = (best.ops * num / den).max(1);
        sh.try_keep(&mut best, c);
    }
    // The decision tape: zero chunks of draws, largest chunks first.
    let mut recorded = best.clone();
    recorded.record_tape = true;
    let tape = run_one(recorded).tape;
    let mut best_tape = tape.clone();
    let mut chunk = (tape.len() / 2).max(1);
    let tape_runs_start = sh.runs;
    'chunks: while chunk >= 1 && !best_tape.is_empty() {
        let mut at = 0;
        while at < best_tape.len() {
            if sh.runs - tape_runs_start >= tape_runs_max {
                break 'chunks;
            }
            let end = (at + chunk).min(best_tape.len());
            if best_tape[at..end].iter().any(|&v| v != 0) {
                let mut t = best_tape.clone();
                t[at..end].iter_mut().for_each(|v| *v = 0);
                let mut c = best.clone();
                c.tape = Some(t.clone());
                if sh.fails(&c).is_some() {
                    best_tape = t;
                }
            }
            at = end;
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    if best_tape != tape {
        best.tape = Some(best_tape);
    }
    let mut shown = best.clone();
    shown.keep_lines = true;
    let report = run_one(shown);
    sh.runs += 1;
    Some(Shrunk { settings: best, report, check, runs: sh.runs })
}

fn calm_value(calm: &Plan, key: &str) -> String {
    let text = calm.to_string();
    text.split(',')
        .find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == key).map(|(_, v)| v.to_string()))
        .expect("every fault key is a plan field")
}
