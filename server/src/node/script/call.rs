//! `redis.call` and `redis.pcall`: a command from a script, checked as Redis's `scriptCall`
//! checks it, then run through the one execution path with the script as caller.

use mlua::{Lua, Value, Variadic};
use verdis_engine::cmd::spec::CmdFlag;
use verdis_engine::{Command, Reply};

use super::convert;
use crate::node::exec::{Caller, Effects};
use crate::node::Node;

impl Node {
    /// Runs one command for the running script, which `caller` (EVAL's row and arguments)
    /// started: `(true, reply)`, or `(false, error table)` for an error that `redis.call` raises
    /// (`raise`) — `redis.pcall` returns the table instead.
    pub(super) fn script_call(
        &mut self,
        lua: &Lua,
        caller: (&Command, &[&[u8]]),
        raise: bool,
        args: &Variadic<Value>,
        effects: &mut Effects,
    ) -> mlua::Result<(bool, Value)> {
        // A refusal counts in INFO errorstats now, as Redis's scriptCall counts it.
        let refuse = |node: &mut Node, text: &str| -> mlua::Result<(bool, Value)> {
            let table = convert::error_table(lua, text, true)?;
            if let Value::Table(t) = &table {
                node.stats.count_error_reply(&t.raw_get::<String>("err")?);
            }
            Ok((!raise, table))
        };
        let argv = match convert::lua_args_to_argv(args) {
            Ok(argv) => argv,
            // Not a refusal of the command: Redis raises it uncounted, and counts EVAL's reply.
            Err(text) => return Ok((!raise, convert::error_table(lua, text, false)?)),
        };
        let argv: Vec<&[u8]> = argv.iter().map(|a| &**a).collect();
        let Ok(cmd) = self.resolve(&argv) else { return refuse(self, "Unknown Redis command called from script") };
        if !cmd.spec.arity_ok(argv.len()) {
            return refuse(self, "Wrong number of args calling Redis command from script");
        }
        if cmd.spec.has(CmdFlag::Noscript) {
            return refuse(self, "This Redis command is not allowed from script");
        }
        let running = self.scripts.running.expect("redis.call runs inside a script");
        if cmd.spec.has(CmdFlag::Write) {
            if running.read_only {
                return refuse(self, "Write commands are not allowed from read-only scripts.");
            }
            if let Some(e) = self.disk_error_denies_writes() {
                return refuse(self, &format!("-{e}"));
            }
        }
        let id = running.client;
        let start_us = self.now.stopwatch.read_us();
        let (reply, done) = self.execute(Caller::Script(id), cmd, &argv);
        let duration_us = self.now.stopwatch.read_us().saturating_sub(start_us);
        self.count_call(cmd, &reply, duration_us, false);
        if let Reply::Error(e) = &reply {
            self.stats.count_error_reply(&e.to_string());
        }
        if cmd.spec.has(CmdFlag::Readonly) {
            // Redis 7.0 remembers the keys of the caller's own command (EVAL's declared keys),
            // not the ones this command read: measured on 7.0.15.
            let caching = self.clients.get(&id).and_then(|c| c.tracking.as_ref()).and_then(|o| o.caching);
            self.tracking_remember_keys(id, caller.0, caller.1, caching);
        }
        if done.flushed {
            self.tracking_flushed(Some(id));
        }
        // The script's commands answer the script, not the caller: their events go out now,
        // before EVAL's own reply, as Redis publishes them.
        let mut touches = done.touches;
        touches.iter_mut().for_each(|t| t.after_reply = false);
        self.touched(Some(id), &touches);
        self.feed_monitors_from_script(cmd, &argv);
        effects.dirty += done.dirty;
        if self.scripts.run_state.borrow().repl & 1 != 0 {
            effects.propagation.extend(done.propagation);
        }
        let resp = self.scripts.run_state.borrow().resp;
        let is_error = matches!(reply, Reply::Error(_));
        let value = convert::reply_to_lua(lua, &reply, resp)?;
        Ok((!(raise && is_error), value))
    }
}
