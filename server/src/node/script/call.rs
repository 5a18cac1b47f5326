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
        let refuse = |text: &str| -> mlua::Result<(bool, Value)> { Ok((!raise, convert::error_table(lua, text)?)) };
        let argv = match convert::lua_args_to_argv(args) {
            Ok(argv) => argv,
            Err(text) => return refuse(text),
        };
        let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
        let Ok(cmd) = Self::resolve(&argv) else { return refuse("Unknown Redis command called from script") };
        if !cmd.spec.arity_ok(argv.len()) {
            return refuse("Wrong number of args calling Redis command from script");
        }
        if cmd.spec.has(CmdFlag::Noscript) {
            return refuse("This Redis command is not allowed from script");
        }
        let running = self.scripts.running.expect("redis.call runs inside a script");
        if cmd.spec.has(CmdFlag::Write) {
            if running.read_only {
                return refuse("Write commands are not allowed from read-only scripts.");
            }
            if let Some(e) = self.disk_error_denies_writes() {
                return refuse(&format!("-{e}"));
            }
        }
        let id = running.client;
        let (reply, done) = self.execute(Caller::Script(id), cmd, &argv);
        self.count_call(cmd, &reply, 0);
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
