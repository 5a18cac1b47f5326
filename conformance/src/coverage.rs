//! Coverage: which of Redis's commands the subject implements, which the generators exercise,
//! and which are missing — measured by asking the servers, not typed by hand.
//!
//! The oracle's `COMMAND INFO` gives the list (with arities). The subject is asked `COMMAND LIST`;
//! when it cannot answer, each name is probed with an argument count its arity refuses, so a
//! known command answers "wrong number of arguments" (or a syntax error) without running, and an
//! unknown one "unknown command".

use std::collections::BTreeSet;

use crate::error::ConformError;
use crate::gen::Generator;
use crate::resp::{Conn, Reply, Value};

/// The measured gap.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    /// Every top-level command the oracle has.
    pub oracle: BTreeSet<String>,
    /// Those the subject implements.
    pub implemented: BTreeSet<String>,
    /// Those the generators exercise (implemented in verdis's table and not excluded).
    pub exercised: BTreeSet<String>,
    /// How the subject was asked (`COMMAND LIST` or probing).
    pub method: &'static str,
}

impl Coverage {
    /// Oracle commands the subject lacks.
    pub fn missing(&self) -> Vec<&String> {
        self.oracle.difference(&self.implemented).collect()
    }

    /// Implemented commands no generator exercises.
    pub fn not_exercised(&self) -> Vec<&String> {
        self.implemented.iter().filter(|c| !self.exercised.contains(*c)).collect()
    }

    /// A readable summary.
    pub fn render(&self) -> String {
        let list = |items: Vec<&String>| items.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ");
        let implemented: Vec<&String> = self.implemented.iter().collect();
        format!(
            "Redis commands: {}\nimplemented by the subject ({} found by {}): {}\n  {}\nexercised by the generators: {}\n  {}\nimplemented but not exercised: {}\n  {}\nmissing: {}\n  {}\n",
            self.oracle.len(),
            self.implemented.len(),
            self.method,
            self.implemented.len(),
            list(implemented),
            self.exercised.len(),
            list(self.exercised.iter().collect()),
            self.not_exercised().len(),
            list(self.not_exercised()),
            self.missing().len(),
            list(self.missing()),
        )
    }
}

fn names_of(reply: &Reply) -> Option<BTreeSet<String>> {
    let items = reply.value.elements()?;
    Some(items.iter().filter_map(|v| v.bytes().map(|b| String::from_utf8_lossy(b).to_ascii_lowercase())).collect())
}

/// `(name, arity)` for every command of `COMMAND INFO` (RESP2 or RESP3 reply).
fn oracle_commands(oracle: &mut Conn) -> Result<Vec<(String, i64)>, ConformError> {
    let reply = oracle.call_str(&["COMMAND", "INFO"])?;
    let items = reply.value.elements().ok_or_else(|| {
        ConformError::Unsupported(format!("oracle's COMMAND INFO is not an array: {:?}", reply.value))
    })?;
    Ok(items
        .iter()
        .filter_map(|info| match info.elements()? {
            [name, Value::Int(arity), ..] => {
                Some((String::from_utf8_lossy(name.bytes()?).to_ascii_lowercase(), *arity))
            }
            _ => None,
        })
        .collect())
}

/// An argument list for `name` that its arity refuses (or, for commands taking any count, one
/// unknown option Redis refuses with a syntax error).
fn probe_argv(name: &str, arity: i64) -> Vec<Vec<u8>> {
    let count = if arity > 0 {
        arity as usize + 1
    } else if arity < -1 {
        1
    } else {
        2
    };
    let mut argv = vec![name.as_bytes().to_vec()];
    argv.extend((1..count).map(|_| b"conform-probe".to_vec()));
    argv
}

/// Measures coverage: `oracle` and `subject` are fresh connections.
pub fn measure(
    oracle: &mut Conn,
    subject: &mut Conn,
    mut reconnect_subject: impl FnMut() -> Result<Conn, ConformError>,
) -> Result<Coverage, ConformError> {
    let commands = oracle_commands(oracle)?;
    let oracle_names: BTreeSet<String> = commands.iter().map(|(n, _)| n.clone()).collect();
    let exercised = Generator::from_table(&["all".into()])?
        .commands()
        .iter()
        .map(|c| c.name.split('|').next().unwrap_or(c.name).to_string())
        .collect();
    let listed = subject.call_str(&["COMMAND", "LIST"])?;
    if let Some(names) = names_of(&listed).filter(|_| !listed.value.is_error()) {
        // Redis 7.0 lists subcommands (`client|id`) too; coverage is counted per top-level name.
        let implemented = names.into_iter().filter(|n| !n.contains('|')).collect();
        return Ok(Coverage { oracle: oracle_names, implemented, exercised, method: "COMMAND LIST" });
    }
    let mut implemented = BTreeSet::new();
    for (name, arity) in &commands {
        // A probe that closes the connection (QUIT) shows the command exists.
        let reply = match subject.call(&probe_argv(name, *arity)) {
            Ok(reply) => reply,
            Err(_) => {
                *subject = reconnect_subject()?;
                implemented.insert(name.clone());
                continue;
            }
        };
        let unknown = matches!(&reply.value, Value::Error(e) if e.starts_with(b"ERR unknown command"));
        if !unknown {
            implemented.insert(name.clone());
        }
    }
    Ok(Coverage { oracle: oracle_names, implemented, exercised, method: "probing each name" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_use_an_argument_count_the_arity_refuses() {
        // Proves a probe cannot run a command: fixed arities get one too many, "at least N" gets
        // none, and "any count" gets one unknown option.
        assert_eq!(probe_argv("get", 2).len(), 3);
        assert_eq!(probe_argv("set", -3).len(), 1);
        assert_eq!(probe_argv("flushall", -1), vec![b"flushall".to_vec(), b"conform-probe".to_vec()]);
    }
}
