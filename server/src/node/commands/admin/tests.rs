//! Tests of CONFIG, DEBUG, SHUTDOWN, TIME and protected mode through the node: request bytes
//! in, exact reply bytes and actions out (texts checked against Redis 7.0.15).

use crate::config::ProtectedAction;
use crate::node::testing::{Harness, START};
use crate::node::{Action, ClientId, LogLevel};

/// Sends one request and returns every action it produced, for any client (disk requests
/// are carried out by the harness's disk, not returned).
fn actions(h: &mut Harness, id: ClientId, args: &[&str]) -> Vec<Action> {
    let mut bytes = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        bytes.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
    }
    h.node.handle_input(h.now, id, &bytes);
    h.pump()
}

fn err(text: &str) -> String {
    format!("-{text}\r\n")
}

#[test]
fn config_get_replies_a_map_in_both_protocols() {
    // Proves CONFIG GET's reply shape: pairs as a flat array in RESP2, a `%` map in RESP3.
    let mut h = Harness::new();
    let c = h.connect(1000);
    assert_eq!(h.run(c, &["CONFIG", "GET", "port"]), "*2\r\n$4\r\nport\r\n$4\r\n6379\r\n");
    assert_eq!(h.run(c, &["config", "get", "nosuch"]), "*0\r\n");
    assert_eq!(
        h.run(c, &["config", "get", "port", "maxmemory"]),
        "*4\r\n$4\r\nport\r\n$4\r\n6379\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    );
    h.node.clients.get_mut(&c).unwrap().resp = 3;
    assert_eq!(h.run(c, &["config", "get", "port"]), "%1\r\n$4\r\nport\r\n$4\r\n6379\r\n");
    assert_eq!(h.run(c, &["config", "get"]), err("ERR wrong number of arguments for 'config|get' command"));
}

#[test]
fn config_set_changes_the_running_node() {
    // Proves CONFIG SET's replies (OK, syntax error on an odd count, Redis's failure texts) and
    // that a change reaches the node's configuration.
    let mut h = Harness::new();
    let c = h.connect(1000);
    assert_eq!(h.run(c, &["config", "set", "maxmemory", "1mb", "timeout", "7"]), "+OK\r\n");
    assert_eq!((h.node.config.maxmemory, h.node.config.timeout_s), (1 << 20, 7));
    assert_eq!(h.run(c, &["config", "set", "port", "1", "2"]), err("ERR syntax error"));
    assert_eq!(h.run(c, &["config", "set", "port"]), err("ERR wrong number of arguments for 'config|set' command"));
    assert_eq!(
        h.run(c, &["config", "set", "foo", "bar"]),
        err("ERR Unknown option or number of arguments for CONFIG SET - 'foo'")
    );
    assert_eq!(
        h.run(c, &["config", "set", "maxmemory", "2mb", "daemonize", "yes"]),
        err("ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config")
    );
    assert_eq!(h.node.config.maxmemory, 1 << 20);
    assert_eq!(
        h.run(c, &["config", "set", "dir", "/tmp"]),
        err("ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config")
    );
    // enable-protected-configs local: a loopback client may, a remote one may not.
    h.node.config.enable_protected_configs = ProtectedAction::Local;
    h.node.config.protected_mode = false;
    assert_eq!(h.run(c, &["config", "set", "dbfilename", "x.rdb"]), "+OK\r\n");
    let remote = h.node.handle_connect(h.now, "10.0.0.9:4000".into(), "10.0.0.1:6379".into());
    assert_eq!(
        h.run(remote, &["config", "set", "dbfilename", "y.rdb"]),
        err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config")
    );
}

#[test]
fn config_set_loglevel_filters_the_nodes_log() {
    // Proves loglevel is live: after CONFIG SET loglevel warning, notice lines are not emitted.
    let mut h = Harness::new();
    let c = h.connect(1000);
    h.run(c, &["config", "set", "loglevel", "warning"]);
    h.node.log(LogLevel::Notice, "quiet".into());
    h.node.log(LogLevel::Warning, "loud".into());
    let logs: Vec<String> = std::iter::from_fn(|| h.node.poll_action())
        .filter_map(|a| match a {
            Action::Log { message, .. } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(logs, ["loud"]);
}

#[test]
fn config_help_and_unknown_subcommand_match_redis() {
    // Proves CONFIG HELP's exact lines and the unknown-subcommand error.
    let mut h = Harness::new();
    let c = h.connect(1000);
    let help = h.run(c, &["config", "help"]);
    let want = [
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    ];
    let mut expected = format!("*{}\r\n", want.len());
    for line in want {
        expected.push_str(&format!("+{line}\r\n"));
    }
    assert_eq!(help, expected);
    assert_eq!(h.run(c, &["config", "foo"]), err("ERR unknown subcommand 'foo'. Try CONFIG HELP."));
    assert_eq!(h.run(c, &["config", "help", "x"]), err("ERR wrong number of arguments for 'config|help' command"));
}

#[test]
fn config_resetstat_zeroes_counters_but_not_dirty() {
    // Proves RESETSTAT clears INFO counters (server and keyspace) and keeps unsaved changes.
    let mut h = Harness::new();
    let c = h.connect(1000);
    h.run(c, &["set", "k", "v"]);
    h.run(c, &["get", "k"]);
    h.run(c, &["get", "missing"]);
    h.run(c, &["nosuchcommand"]);
    assert!(h.node.stats.total_commands_processed > 0 && h.node.keyspace.stats.keyspace_hits == 1);
    let dirty = h.node.stats.dirty;
    assert_eq!(h.run(c, &["config", "resetstat"]), "+OK\r\n");
    // As in Redis, RESETSTAT itself is counted once it has run.
    let s = &h.node.stats;
    assert_eq!(
        (s.total_commands_processed, s.total_connections_received, s.total_error_replies, s.total_net_input_bytes),
        (1, 0, 0, 0)
    );
    assert!(s.error_counts.is_empty());
    assert_eq!(s.command_counts.keys().collect::<Vec<_>>(), [&"config|resetstat"]);
    assert_eq!(h.node.keyspace.stats, Default::default());
    assert_eq!(h.node.stats.dirty, dirty);
}

#[test]
fn debug_needs_enable_debug_command() {
    // Proves DEBUG's refusal text when not enabled, and that `local` admits loopback only.
    let mut h = Harness::new();
    let c = h.connect(1000);
    let refused = err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.");
    assert_eq!(h.run(c, &["debug", "sleep", "0"]), refused);
    assert_eq!(h.run(c, &["debug"]), err("ERR wrong number of arguments for 'debug' command"));
    h.node.config.enable_debug_command = ProtectedAction::Local;
    h.node.config.protected_mode = false;
    assert_eq!(h.run(c, &["debug", "sleep", "0"]), "+OK\r\n");
    let remote = h.node.handle_connect(h.now, "10.0.0.9:4000".into(), "10.0.0.1:6379".into());
    assert_eq!(h.run(remote, &["debug", "sleep", "0"]), refused);
}

#[test]
fn debug_subcommands_match_redis() {
    // Proves DEBUG SLEEP asks the shell to pause (fractions allowed, non-positive or unparsable
    // times do nothing), SET-ACTIVE-EXPIRE reads its argument as atoi does, ERROR and LOG answer
    // as Redis's do, and other
    // subcommands get Redis's error.
    let mut h = Harness::new();
    h.node.config.enable_debug_command = ProtectedAction::Yes;
    let c = h.connect(1000);
    let ok = Action::Send { client: c, bytes: b"+OK\r\n".to_vec() };
    assert_eq!(actions(&mut h, c, &["debug", "sleep", "0.25"]), [Action::Pause { duration_us: 250_000 }, ok.clone()]);
    assert_eq!(actions(&mut h, c, &["DEBUG", "SLEEP", "1e-1"]), [Action::Pause { duration_us: 100_000 }, ok.clone()]);
    for nothing in ["0", "-1", "abc"] {
        assert_eq!(actions(&mut h, c, &["debug", "sleep", nothing]), std::slice::from_ref(&ok), "{nothing}");
    }
    assert_eq!(h.run(c, &["debug", "set-active-expire", "0"]), "+OK\r\n");
    assert!(!h.node.config.engine.active_expire_enabled);
    assert_eq!(h.run(c, &["debug", "set-active-expire", "2"]), "+OK\r\n");
    assert!(h.node.config.engine.active_expire_enabled);
    h.run(c, &["debug", "set-active-expire", "abc"]);
    assert!(!h.node.config.engine.active_expire_enabled);
    let unknown =
        |sub: &str| err(&format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try DEBUG HELP."));
    assert_eq!(h.run(c, &["debug", "foo"]), unknown("foo"));
    assert_eq!(h.run(c, &["debug", "sleep"]), unknown("sleep"));
    assert_eq!(h.run(c, &["debug", "sleep", "1", "2"]), unknown("sleep"));
    assert_eq!(h.run(c, &["debug", "set-active-expire"]), unknown("set-active-expire"));
    assert_eq!(h.run(c, &["debug", "error", "foo"]), "-foo\r\n");
    assert_eq!(h.run(c, &["debug", "error", "-FOO a\r\nb"]), "--FOO a  b\r\n");
    let out = actions(&mut h, c, &["debug", "log", "hello"]);
    assert_eq!(out[0], Action::Log { level: LogLevel::Warning, message: "DEBUG LOG: hello".into() });
    assert_eq!(out[1], ok);
    assert_eq!(h.run(c, &["debug", "log"]), unknown("log"));
    let help = h.run(c, &["debug", "help"]);
    assert!(
        help.starts_with(
            "*32\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CHANGE-REPL-ID\r\n"
        ),
        "{help}"
    );
}

#[test]
fn shutdown_flags_and_errors_match_redis() {
    // Proves SHUTDOWN's syntax errors, ABORT with no shutdown in progress, and that repeated
    // flags are accepted.
    let mut h = Harness::new();
    let c = h.connect(1000);
    for bad in [
        &["nosave", "save"][..],
        &["abort", "now"],
        &["abort", "force"],
        &["abort", "nosave"],
        &["now", "abort"],
        &["foo"],
    ] {
        let mut args = vec!["shutdown"];
        args.extend_from_slice(bad);
        assert_eq!(h.run(c, &args), err("ERR syntax error"), "{bad:?}");
    }
    assert_eq!(h.run(c, &["shutdown", "abort"]), err("ERR No shutdown in progress."));
    assert_eq!(h.run(c, &["shutdown", "ABORT", "abort"]), err("ERR No shutdown in progress."));
    assert!(h.node.client_count() == 1);
    let out = actions(&mut h, c, &["shutdown", "save", "save", "now", "force"]);
    assert!(out.contains(&Action::Exit { code: 0 }));
}

#[test]
fn shutdown_closes_every_client_and_exits_zero() {
    // Proves SHUTDOWN logs Redis's lines, closes all connections without replying, then asks
    // the shell to exit with code 0.
    let mut h = Harness::new();
    let c = h.connect(1000);
    let other = h.connect(1001);
    let out = actions(&mut h, c, &["shutdown", "nosave"]);
    assert!(!out.iter().any(|a| matches!(a, Action::Send { .. })), "{out:?}");
    assert!(out.contains(&Action::Close { client: c }) && out.contains(&Action::Close { client: other }));
    assert_eq!(out.last(), Some(&Action::Exit { code: 0 }));
    assert!(out.contains(&Action::Log { level: LogLevel::Warning, message: "User requested shutdown...".into() }));
    assert_eq!(h.node.client_count(), 0);
}

#[test]
fn time_reads_the_event_clock() {
    // Proves TIME through the node answers from the input's time, not a clock.
    let mut h = Harness::new();
    let c = h.connect(1000);
    let seconds = (START.unix_us / 1_000_000).to_string();
    assert_eq!(h.run(c, &["time"]), format!("*2\r\n$10\r\n{seconds}\r\n$1\r\n0\r\n"));
}

#[test]
fn protected_mode_turns_away_remote_clients() {
    // Proves a non-loopback client gets Redis's DENIED text and is closed while protected mode
    // is on without a password, and is admitted once protected mode is off.
    let mut h = Harness::new();
    let id = h.node.handle_connect(h.now, "10.0.0.9:4000".into(), "10.0.0.1:6379".into());
    let out: Vec<Action> = std::iter::from_fn(|| h.node.poll_action()).collect();
    assert_eq!(
        out,
        [
            Action::Send { client: id, bytes: crate::config::PROTECTED_MODE_DENIED.as_bytes().to_vec() },
            Action::Close { client: id }
        ]
    );
    assert_eq!((h.node.client_count(), h.node.stats.rejected_connections), (0, 1));
    let local = h.connect(1000);
    assert_eq!(h.run(local, &["config", "set", "protected-mode", "no"]), "+OK\r\n");
    let id = h.node.handle_connect(h.now, "10.0.0.9:4001".into(), "10.0.0.1:6379".into());
    assert_eq!(h.run(id, &["config", "get", "protected-mode"]), "*2\r\n$14\r\nprotected-mode\r\n$2\r\nno\r\n");
}
