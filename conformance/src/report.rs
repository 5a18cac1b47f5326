//! Campaign reports: per command, cases run, matches, mismatches and the first example; a summary
//! compatibility figure; the seed to rerun; speed per side. Markdown for people, JSON for tools.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use crate::campaign::{Campaign, Settings, KEYSPACE};
use crate::gen::{group_of, Generator};

/// Everything a report says.
pub struct Report<'a> {
    /// The finished campaign.
    pub campaign: &'a Campaign,
    /// Its settings.
    pub settings: &'a Settings,
    /// The generator used (for the commands never hit).
    pub generator: &'a Generator,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// The servers as the command line named them (`--subject`, `--oracle`), for the rerun line.
    pub targets: Option<(String, String)>,
}

/// The family a statistics row counts for: its command's docs group, `(keyspace)` for the
/// keyspace check, `other` for a name the table lacks.
pub fn family_of(name: &str) -> &'static str {
    let base = name.split('|').next().unwrap_or(name);
    match verdis_engine::lookup(base.as_bytes()) {
        Some(row) => group_of(row.spec),
        None if name == KEYSPACE => KEYSPACE,
        None => "other",
    }
}

/// Commands per second of one side (time spent waiting for its replies).
fn rate(calls: u64, busy: Duration) -> f64 {
    if busy.is_zero() {
        0.0
    } else {
        calls as f64 / busy.as_secs_f64()
    }
}

impl Report<'_> {
    /// Matched cases over all cases, in percent (100 when nothing ran).
    pub fn compatibility_percent(&self) -> f64 {
        let (cases, matches) =
            self.campaign.stats.values().fold((0u64, 0u64), |(c, m), s| (c + s.cases, m + s.matches));
        if cases == 0 {
            100.0
        } else {
            matches as f64 * 100.0 / cases as f64
        }
    }

    /// Generated commands that never ran (a sign the run was too short).
    pub fn never_run(&self) -> Vec<&'static str> {
        self.generator
            .commands()
            .iter()
            .map(|c| c.name)
            .filter(|n| self.campaign.stats.get(*n).map(|s| s.cases).unwrap_or(0) == 0)
            .collect()
    }

    /// Commands that ran but never got a non-error reply from the oracle (the generator never
    /// got past their argument checks: their success paths went untested).
    pub fn never_past_errors(&self) -> Vec<&str> {
        self.campaign
            .stats
            .iter()
            .filter(|(name, s)| *name != KEYSPACE && s.cases > 0 && s.oracle_errors == s.cases)
            .map(|(name, _)| name.as_str())
            .collect()
    }

    /// Cases and matches per family (the docs group of each command; the keyspace check apart).
    pub fn per_family(&self) -> BTreeMap<&'static str, (u64, u64)> {
        let mut families: BTreeMap<&'static str, (u64, u64)> = BTreeMap::new();
        for (name, s) in &self.campaign.stats {
            let entry = families.entry(family_of(name)).or_default();
            entry.0 += s.cases;
            entry.1 += s.matches;
        }
        families
    }

    /// The command line that reruns this campaign.
    pub fn rerun(&self) -> String {
        let servers = match &self.targets {
            Some((subject, oracle)) => format!(" --subject {subject} --oracle {oracle}"),
            None => String::new(),
        };
        format!(
            "verdis-conform run{servers} --families {} --cases {} --seed {} --resp {}",
            self.settings.families.join(","),
            self.settings.cases,
            self.settings.seed,
            self.settings.resp
        )
    }

    /// The JSON report.
    pub fn json(&self) -> serde_json::Value {
        let c = self.campaign;
        let commands: serde_json::Map<String, serde_json::Value> = c
            .stats
            .iter()
            .map(|(name, s)| {
                (
                    name.clone(),
                    json!({
                        "cases": s.cases,
                        "matches": s.matches,
                        "mismatches": s.mismatches,
                        "oracle_errors": s.oracle_errors,
                        "non_error_replies": s.cases - s.oracle_errors,
                        "first_example": s.first_example,
                    }),
                )
            })
            .collect();
        let findings: Vec<serde_json::Value> = c
            .findings
            .iter()
            .map(|f| {
                json!({
                    "signature": f.signature,
                    "original_len": f.original_len,
                    "shrunk_len": f.shrunk.len(),
                    "transcript": f.transcript,
                    "regression_file": f.saved.as_ref().map(|p| p.display().to_string()),
                })
            })
            .collect();
        let per_family: serde_json::Map<String, serde_json::Value> = self
            .per_family()
            .into_iter()
            .map(|(family, (cases, matches))| (family.to_string(), json!({"cases": cases, "matches": matches})))
            .collect();
        json!({
            "oracle": c.oracle.server.label,
            "oracle_version": c.oracle_version,
            "subject": c.subject.server.label,
            "seed": self.settings.seed,
            "resp": self.settings.resp,
            "families": self.settings.families,
            "sequences": c.sequences,
            "failed_sequences": c.failed_sequences,
            "compatibility_percent": self.compatibility_percent(),
            "elapsed_s": self.elapsed.as_secs_f64(),
            "sequences_per_s": c.sequences as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON),
            "oracle_commands_per_s": rate(c.oracle.calls, c.oracle.busy),
            "subject_commands_per_s": rate(c.subject.calls, c.subject.busy),
            "keyspace_check_missing": c.caps.missing(),
            "oracle_restarts": c.oracle.restarts,
            "subject_restarts": c.subject.restarts,
            "never_run": self.never_run(),
            "never_past_errors": self.never_past_errors(),
            "rerun": self.rerun(),
            "per_family": per_family,
            "commands": commands,
            "findings": findings,
        })
    }

    /// The Markdown report.
    pub fn markdown(&self) -> String {
        let c = self.campaign;
        let mut out = String::new();
        out.push_str("# verdis-conform report\n\n");
        out.push_str(&format!(
            "- oracle: `{}` (Redis {})\n- subject: `{}`\n",
            c.oracle.server.label, c.oracle_version, c.subject.server.label
        ));
        out.push_str(&format!(
            "- families: {}; RESP{}; seed {}\n",
            self.settings.families.join(", "),
            self.settings.resp,
            self.settings.seed
        ));
        out.push_str(&format!(
            "- sequences: {} ({} with a mismatch) in {:.1} s ({:.0} sequences/s)\n",
            c.sequences,
            c.failed_sequences,
            self.elapsed.as_secs_f64(),
            c.sequences as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
        ));
        out.push_str(&format!("- **compatibility: {:.3}%** of compared replies\n", self.compatibility_percent()));
        out.push_str(&format!(
            "- speed: oracle {:.0} commands/s, subject {:.0} commands/s (time waiting for replies)\n",
            rate(c.oracle.calls, c.oracle.busy),
            rate(c.subject.calls, c.subject.busy)
        ));
        if c.oracle.restarts + c.subject.restarts > 0 {
            out.push_str(&format!(
                "- **servers died and were restarted**: oracle {} times, subject {} times\n",
                c.oracle.restarts, c.subject.restarts
            ));
        }
        let missing = c.caps.missing();
        if !missing.is_empty() {
            out.push_str(&format!(
                "- keyspace check is partial: the subject lacks {} (the key pool is still read with GET)\n",
                missing.join(", ")
            ));
        }
        let never = self.never_run();
        if !never.is_empty() {
            out.push_str(&format!("- generated commands never run (too few cases): {}\n", never.join(", ")));
        }
        let errors_only = self.never_past_errors();
        if !errors_only.is_empty() {
            out.push_str(&format!("- commands that only ever got error replies: {}\n", errors_only.join(", ")));
        }
        out.push_str(&format!("- rerun: `{}`\n\n", self.rerun()));
        out.push_str("| family | cases | matches | compatibility |\n|---|---:|---:|---:|\n");
        for (family, (cases, matches)) in self.per_family() {
            let percent = if cases == 0 { 100.0 } else { matches as f64 * 100.0 / cases as f64 };
            out.push_str(&format!("| {family} | {cases} | {matches} | {percent:.3}% |\n"));
        }
        out.push('\n');
        out.push_str(
            "| command | cases | matches | mismatches | error replies (oracle) | non-error replies (oracle) |\n\
             |---|---:|---:|---:|---:|---:|\n",
        );
        for (name, s) in &c.stats {
            out.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} |\n",
                s.cases,
                s.matches,
                s.mismatches,
                s.oracle_errors,
                s.cases - s.oracle_errors
            ));
        }
        if !c.findings.is_empty() {
            out.push_str("\n## Mismatches (shrunk)\n");
            for f in &c.findings {
                out.push_str(&format!(
                    "\n### {} ({} commands, shrunk from {})\n\n",
                    f.signature,
                    f.shrunk.len(),
                    f.original_len
                ));
                if let Some(path) = &f.saved {
                    out.push_str(&format!("Saved as `{}`.\n\n", path.display()));
                }
                out.push_str(&format!("```\n{}```\n", f.transcript));
            }
        }
        let unshrunk: Vec<_> = c
            .stats
            .iter()
            .filter(|(name, s)| s.mismatches > 0 && !c.findings.iter().any(|f| &f.signature == *name))
            .collect();
        if !unshrunk.is_empty() {
            out.push_str("\n## Other first examples (not shrunk)\n");
            for (name, s) in unshrunk {
                if let Some(example) = &s.first_example {
                    out.push_str(&format!("\n### {name}\n\n```\n{example}```\n"));
                }
            }
        }
        out
    }
}
