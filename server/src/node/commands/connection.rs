//! Per-client commands: PING, SELECT, QUIT, RESET, HELLO, CLIENT *, and INFO.
//!
//! PING [message] | SELECT index | QUIT | RESET
//! HELLO [protover [AUTH username password] [SETNAME clientname]]
//! CLIENT ID | SETNAME name | GETNAME | INFO | LIST [TYPE type | ID id ...]
//! CLIENT KILL addr | CLIENT KILL [ID id] [TYPE type] [ADDR addr] [LADDR laddr] [USER user] [SKIPME yes|no]
//! CLIENT NO-EVICT on|off | CLIENT REPLY on|off|skip | CLIENT HELP
//! INFO [section ...]
//!
//! Deliberate differences from Redis, until ACLs and replication exist:
//! - HELLO reports `version` 7.0.15 (the Redis version verdis answers like, which clients gate
//!   features on). Its AUTH knows only `default`, whose password is `requirepass` (see
//!   `node::auth`).
//! - CLIENT KILL USER knows only `default`; TYPE master/replica match nobody.

use verdis_engine::cmd::args::eq_ci;
use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::num::parse_i64;
use verdis_engine::{CmdError, Reply};

use super::super::auth::DEFAULT_USER;
use super::super::client::{client_name_valid, Client, ClientType};
use super::super::{ClientId, Node};

/// CLIENT HELP's lines, as Redis 7.0 prints them (the intro and HELP lines are added by
/// `Reply::help`).
const CLIENT_HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

/// The error for a TYPE argument Redis does not know.
fn unknown_client_type(name: &[u8]) -> CmdError {
    CmdError::quoting("ERR Unknown client type '", name, "'")
}

/// Which clients CLIENT KILL's filters select (Redis's `clientKillCommand` options).
struct KillFilter<'a> {
    addr: Option<&'a [u8]>,
    laddr: Option<&'a [u8]>,
    client_type: Option<ClientType>,
    id: Option<ClientId>,
    skip_me: bool,
}

impl<'a> KillFilter<'a> {
    /// Parses the arguments after `CLIENT KILL`: one address (the old form, which may kill the
    /// caller), or option/value pairs.
    fn parse(args: &[&'a [u8]]) -> Result<KillFilter<'a>, CmdError> {
        let mut filter = KillFilter { addr: None, laddr: None, client_type: None, id: None, skip_me: true };
        if let [addr] = args {
            filter.addr = Some(addr);
            filter.skip_me = false;
            return Ok(filter);
        }
        for pair in args.chunks(2) {
            let [option, value] = pair else { return Err(CmdError::Syntax) };
            if eq_ci(option, "id") {
                let id = parse_i64(value)
                    .filter(|&id| id >= 1)
                    .ok_or_else(|| CmdError::msg("ERR client-id should be greater than 0"))?;
                filter.id = Some(id as ClientId);
            } else if eq_ci(option, "type") {
                filter.client_type = Some(ClientType::from_name(value).ok_or_else(|| unknown_client_type(value))?);
            } else if eq_ci(option, "addr") {
                filter.addr = Some(value);
            } else if eq_ci(option, "laddr") {
                filter.laddr = Some(value);
            } else if eq_ci(option, "user") {
                if *value != DEFAULT_USER {
                    return Err(CmdError::quoting("ERR No such user '", value, "'"));
                }
            } else if eq_ci(option, "skipme") {
                filter.skip_me = if eq_ci(value, "yes") {
                    true
                } else if eq_ci(value, "no") {
                    false
                } else {
                    return Err(CmdError::Syntax);
                };
            } else {
                return Err(CmdError::Syntax);
            }
        }
        Ok(filter)
    }

    fn matches(&self, client: &Client, caller: ClientId) -> bool {
        self.addr.is_none_or(|a| a == client.addr.as_bytes())
            && self.laddr.is_none_or(|a| a == client.laddr.as_bytes())
            && self.client_type.is_none_or(|t| t == client.client_type())
            && self.id.is_none_or(|id| id == client.id)
            && !(self.skip_me && client.id == caller)
    }
}

impl Node {
    /// Runs a connection command (SELECT, QUIT, RESET, HELLO, CLIENT *, INFO).
    pub(super) fn exec_connection(&mut self, cmd: NodeCmd, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        match cmd {
            NodeCmd::Select => self.select(id, argv[1]),
            NodeCmd::Quit => {
                self.client_mut(id).close_after_reply = true;
                Ok(Reply::Ok)
            }
            NodeCmd::Reset => {
                self.discard_transaction(id);
                self.tracking_off(id);
                self.monitor_off(id);
                self.unsubscribe_all(id);
                // Redis's `clientSetDefaultAuth`: back to the default user, authenticated only
                // if it has no password.
                let authenticated = self.auth_default_authenticated();
                let client = self.client_mut(id);
                client.authenticated = authenticated;
                client.db = 0;
                client.resp = 2;
                client.name = None;
                client.reply_off = false;
                client.reply_skip_next = false;
                Ok(Reply::simple("RESET"))
            }
            NodeCmd::Hello => self.hello(id, argv),
            NodeCmd::ClientId => Ok(Reply::Int(id as i64)),
            NodeCmd::ClientSetname => {
                set_client_name(self.client_mut(id), argv[2])?;
                Ok(Reply::Ok)
            }
            NodeCmd::ClientGetname => Ok(Reply::bulk_or_null(self.client_mut(id).name.clone())),
            NodeCmd::ClientList => self.client_list(id, argv),
            NodeCmd::ClientInfo => Ok(self.client_lines(id, argv, [id])),
            NodeCmd::ClientKill => self.client_kill(id, argv),
            NodeCmd::ClientNoEvict => {
                self.client_mut(id).no_evict = on_off(argv[2])?;
                Ok(Reply::Ok)
            }
            NodeCmd::ClientReply => self.client_reply(id, argv[2]),
            NodeCmd::ClientHelp => Ok(Reply::help(argv[0], CLIENT_HELP)),
            NodeCmd::ClientUnblock => self.client_unblock(argv),
            NodeCmd::Info => Ok(Reply::Verbatim(*b"txt", self.info_string(&argv[1..]).into_bytes())),
            // exec_node's exhaustive match decides what comes here.
            other => unreachable!("exec_node routes {other:?} elsewhere"),
        }
    }

    /// The client running the command (it exists for as long as its command runs).
    fn client_mut(&mut self, id: ClientId) -> &mut Client {
        self.clients.get_mut(&id).expect("the client running a command is connected")
    }

    /// SELECT index
    fn select(&mut self, id: ClientId, index: &[u8]) -> Result<Reply, CmdError> {
        self.client_mut(id).db = self.db_index(index)?;
        Ok(Reply::Ok)
    }

    /// The database SELECT names, or Redis's error for `index`.
    pub(in crate::node) fn db_index(&self, index: &[u8]) -> Result<usize, CmdError> {
        let index = parse_i64(index).ok_or(CmdError::NotInteger)?;
        if i32::try_from(index).is_err() {
            return Err(CmdError::msg("ERR value is out of range, value must between -2147483648 and 2147483647"));
        }
        let db = usize::try_from(index).ok().filter(|&db| db < self.keyspace.dbs.len());
        db.ok_or(CmdError::DbIndexOutOfRange)
    }

    /// HELLO [protover [AUTH username password] [SETNAME clientname]]
    fn hello(&mut self, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let mut protover = None;
        if let Some(arg) = argv.get(1) {
            let ver = parse_i64(arg)
                .ok_or_else(|| CmdError::msg("ERR Protocol version is not an integer or out of range"))?;
            if !(2..=3).contains(&ver) {
                return Err(CmdError::msg("NOPROTO unsupported protocol version"));
            }
            protover = Some(ver as u8);
        }
        // Like Redis 7.0, options take effect as they are parsed: an AUTH or SETNAME before a bad
        // option has happened when the error is replied.
        let mut j = 2;
        while j < argv.len() {
            let more = argv.len() - 1 - j;
            let option = argv[j];
            if eq_ci(option, "auth") && more >= 2 {
                self.authenticate(id, argv[0], argv[j + 1], argv[j + 2])?;
                j += 3;
            } else if eq_ci(option, "setname") && more >= 1 {
                set_client_name(self.client_mut(id), argv[j + 1])?;
                j += 2;
            } else {
                return Err(CmdError::quoting("ERR Syntax error in HELLO option '", option, "'"));
            }
        }
        let client = self.client_mut(id);
        if !client.authenticated {
            return Err(CmdError::msg(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH \
                 <user> <pass> option can be used to authenticate the client and select the RESP protocol \
                 version at the same time",
            ));
        }
        if let Some(ver) = protover {
            client.resp = ver;
        }
        let field = |name: &str, value: Reply| (Reply::bulk(name.as_bytes()), value);
        Ok(Reply::Map(vec![
            field("server", Reply::bulk(b"redis")),
            // The Redis version verdis answers like: clients gate features on it.
            field("version", Reply::bulk(b"7.0.15")),
            field("proto", Reply::Int(i64::from(client.resp))),
            field("id", Reply::Int(id as i64)),
            field("mode", Reply::bulk(b"standalone")),
            field("role", Reply::bulk(b"master")),
            field("modules", Reply::Array(Vec::new())),
        ]))
    }

    /// The CLIENT LIST lines of `ids` (those still connected), each ending in a newline.
    /// `argv` is the running command's, whose size the caller's line reports as `argv-mem`.
    fn client_lines(&self, caller: ClientId, argv: &[&[u8]], ids: impl IntoIterator<Item = ClientId>) -> Reply {
        let now_ms = self.now.unix_ms();
        let argv_bytes = argv.iter().map(|a| a.len()).sum();
        let mut out = String::new();
        for id in ids {
            if let Some(client) = self.clients.get(&id) {
                client.write_info_line(&mut out, now_ms, if id == caller { argv_bytes } else { 0 });
                out.push('\n');
            }
        }
        Reply::Verbatim(*b"txt", out.into_bytes())
    }

    /// CLIENT LIST [TYPE type | ID id ...]
    fn client_list(&self, caller: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let ids: Vec<ClientId> = match argv {
            [_, _] => self.clients.keys().copied().collect(),
            [_, _, option, name] if eq_ci(option, "type") => {
                let wanted = ClientType::from_name(name).ok_or_else(|| unknown_client_type(name))?;
                self.clients.values().filter(|c| c.client_type() == wanted).map(|c| c.id).collect()
            }
            [_, _, option, ids @ ..] if eq_ci(option, "id") && !ids.is_empty() => {
                let mut parsed = Vec::with_capacity(ids.len());
                for id in ids {
                    let id = parse_i64(id).ok_or_else(|| CmdError::msg("ERR Invalid client ID"))?;
                    // Negative ids name no client.
                    parsed.extend(u64::try_from(id).ok());
                }
                parsed
            }
            _ => return Err(CmdError::Syntax),
        };
        Ok(self.client_lines(caller, argv, ids))
    }

    /// CLIENT KILL addr | CLIENT KILL option value ...
    fn client_kill(&mut self, caller: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let filter = KillFilter::parse(&argv[2..])?;
        let victims: Vec<ClientId> =
            self.clients.values().filter(|c| filter.matches(c, caller)).map(|c| c.id).collect();
        for &victim in &victims {
            if victim == caller {
                // Closed once this reply is sent.
                self.client_mut(caller).close_after_reply = true;
            } else {
                self.free_client(victim);
            }
        }
        if argv.len() == 3 {
            return if victims.is_empty() { Err(CmdError::msg("ERR No such client")) } else { Ok(Reply::Ok) };
        }
        Ok(Reply::Int(victims.len() as i64))
    }

    /// CLIENT UNBLOCK client-id [TIMEOUT|ERROR]: the reason is checked before the id, as Redis does.
    fn client_unblock(&mut self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        if argv.len() > 4 {
            let sub = verdis_engine::error::clip128(argv[1]);
            return Err(CmdError::SubcommandSyntax { sub, container: "CLIENT".into() });
        }
        let with_error = match argv.get(3) {
            None => false,
            Some(reason) if reason.eq_ignore_ascii_case(b"timeout") => false,
            Some(reason) if reason.eq_ignore_ascii_case(b"error") => true,
            Some(_) => return Err(CmdError::msg("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")),
        };
        let target = verdis_engine::num::parse_i64(argv[2]).ok_or(CmdError::NotInteger)?;
        let unblocked = u64::try_from(target).is_ok_and(|target| self.unblock_client(target, with_error));
        Ok(Reply::Int(i64::from(unblocked)))
    }

    /// CLIENT REPLY ON|OFF|SKIP. OFF and SKIP reply nothing, not even to themselves.
    fn client_reply(&mut self, id: ClientId, mode: &[u8]) -> Result<Reply, CmdError> {
        let client = self.client_mut(id);
        if eq_ci(mode, "on") {
            client.reply_off = false;
            client.reply_skip = false;
        } else if eq_ci(mode, "off") {
            client.reply_off = true;
        } else if eq_ci(mode, "skip") {
            if !client.reply_off {
                client.reply_skip_next = true;
            }
            client.reply_skip = true;
        } else {
            return Err(CmdError::Syntax);
        }
        Ok(Reply::Ok)
    }
}

/// Names the client, or removes its name when `name` is empty (Redis's `clientSetNameOrReply`).
fn set_client_name(client: &mut Client, name: &[u8]) -> Result<(), CmdError> {
    if !client_name_valid(name) {
        return Err(CmdError::msg("ERR Client names cannot contain spaces, newlines or special characters."));
    }
    client.name = (!name.is_empty()).then(|| name.to_vec());
    Ok(())
}

/// `ON` or `OFF` (any case) as a bool; anything else is a syntax error.
fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if eq_ci(arg, "on") {
        Ok(true)
    } else if eq_ci(arg, "off") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

#[cfg(test)]
mod tests {
    use crate::node::testing::{Harness, Outcome};

    #[test]
    fn replies_and_errors_match_redis() {
        // Proves each command's replies and every error text are Redis 7.0.15's (each row was
        // checked against redis-server 7.0.15).
        let mut h = Harness::new();
        let id = h.connect(5000);
        let arity = |name: &str| format!("-ERR wrong number of arguments for '{name}' command\r\n");
        let syntax = "-ERR syntax error\r\n";
        let rows: &[(&[&str], String)] = &[
            (&["PING"], "+PONG\r\n".into()),
            (&["PING", "hi"], "$2\r\nhi\r\n".into()),
            (&["PING", "a", "b"], arity("ping")),
            (&["ECHO", "hi"], "$2\r\nhi\r\n".into()),
            (&["ECHO"], arity("echo")),
            (&["ECHO", "a", "b"], arity("echo")),
            (&["SELECT"], arity("select")),
            (&["SELECT", "16"], "-ERR DB index is out of range\r\n".into()),
            (&["SELECT", "-1"], "-ERR DB index is out of range\r\n".into()),
            (&["SELECT", "x"], "-ERR value is not an integer or out of range\r\n".into()),
            (&["SELECT", "1.5"], "-ERR value is not an integer or out of range\r\n".into()),
            (
                &["SELECT", "2147483648"],
                "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n".into(),
            ),
            (&["SELECT", "15"], "+OK\r\n".into()),
            (&["RESET", "x"], arity("reset")),
            (&["HELLO", "4"], "-NOPROTO unsupported protocol version\r\n".into()),
            (&["HELLO", "1"], "-NOPROTO unsupported protocol version\r\n".into()),
            (&["HELLO", "x"], "-ERR Protocol version is not an integer or out of range\r\n".into()),
            (&["HELLO", "3", "AUTH", "default"], "-ERR Syntax error in HELLO option 'AUTH'\r\n".into()),
            (&["HELLO", "2", "setname"], "-ERR Syntax error in HELLO option 'setname'\r\n".into()),
            (&["HELLO", "2", "setname", "a", "b"], "-ERR Syntax error in HELLO option 'b'\r\n".into()),
            (&["HELLO", "2", "foo"], "-ERR Syntax error in HELLO option 'foo'\r\n".into()),
            (
                &["HELLO", "2", "setname", "a b"],
                "-ERR Client names cannot contain spaces, newlines or special characters.\r\n".into(),
            ),
            (
                &["HELLO", "3", "AUTH", "foo", "bar"],
                "-WRONGPASS invalid username-password pair or user is disabled.\r\n".into(),
            ),
            (
                &["HELLO", "3", "AUTH", "Default", "x"],
                "-WRONGPASS invalid username-password pair or user is disabled.\r\n".into(),
            ),
            (&["CLIENT"], arity("client")),
            (&["CLIENT", "foo"], "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n".into()),
            (&["CLIENT", "ID", "x"], arity("client|id")),
            (&["CLIENT", "INFO", "x"], arity("client|info")),
            (&["CLIENT", "ID"], format!(":{id}\r\n")),
            (
                &["CLIENT", "SETNAME", "a\nb"],
                "-ERR Client names cannot contain spaces, newlines or special characters.\r\n".into(),
            ),
            // `HELLO 2 setname a b` above named the client before failing on `b`, as in Redis.
            (&["CLIENT", "GETNAME"], "$1\r\na\r\n".into()),
            (&["CLIENT", "SETNAME", "app"], "+OK\r\n".into()),
            (&["CLIENT", "GETNAME"], "$3\r\napp\r\n".into()),
            (&["CLIENT", "SETNAME", ""], "+OK\r\n".into()),
            (&["CLIENT", "GETNAME"], "$-1\r\n".into()),
            (&["CLIENT", "LIST", "TYPE", "foo"], "-ERR Unknown client type 'foo'\r\n".into()),
            (&["CLIENT", "LIST", "ID"], syntax.into()),
            (&["CLIENT", "LIST", "ID", "x"], "-ERR Invalid client ID\r\n".into()),
            (&["CLIENT", "LIST", "ID", "1", "2", "x"], "-ERR Invalid client ID\r\n".into()),
            (&["CLIENT", "LIST", "foo"], syntax.into()),
            (&["CLIENT", "LIST", "TYPE", "normal", "ID", "1"], syntax.into()),
            (&["CLIENT", "LIST", "ID", "999"], "$0\r\n\r\n".into()),
            (&["CLIENT", "LIST", "TYPE", "MASTER"], "$0\r\n\r\n".into()),
            (&["CLIENT", "KILL"], arity("client|kill")),
            (&["CLIENT", "KILL", "1.2.3.4:5"], "-ERR No such client\r\n".into()),
            (&["CLIENT", "KILL", "id"], "-ERR No such client\r\n".into()),
            (&["CLIENT", "KILL", "ID", "x"], "-ERR client-id should be greater than 0\r\n".into()),
            (&["CLIENT", "KILL", "ID", "0"], "-ERR client-id should be greater than 0\r\n".into()),
            (&["CLIENT", "KILL", "ID", "999"], ":0\r\n".into()),
            (&["CLIENT", "KILL", "ID", "1", "ID", "2"], ":0\r\n".into()),
            (&["CLIENT", "KILL", "ID", "999", "foo"], syntax.into()),
            (&["CLIENT", "KILL", "foo", "bar"], syntax.into()),
            (&["CLIENT", "KILL", "MAXAGE", "5"], syntax.into()),
            (&["CLIENT", "KILL", "TYPE", "foo"], "-ERR Unknown client type 'foo'\r\n".into()),
            (&["CLIENT", "KILL", "TYPE", "master"], ":0\r\n".into()),
            (&["CLIENT", "KILL", "SKIPME", "maybe"], syntax.into()),
            (&["CLIENT", "KILL", "USER", "nouser"], "-ERR No such user 'nouser'\r\n".into()),
            (&["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"], ":0\r\n".into()),
            (&["CLIENT", "KILL", "LADDR", "1.1.1.1:1"], ":0\r\n".into()),
            (&["CLIENT", "NO-EVICT"], arity("client|no-evict")),
            (&["CLIENT", "NO-EVICT", "maybe"], syntax.into()),
            (&["CLIENT", "NO-EVICT", "on"], "+OK\r\n".into()),
            (&["CLIENT", "NO-EVICT", "OFF"], "+OK\r\n".into()),
            (&["CLIENT", "REPLY"], arity("client|reply")),
            (&["CLIENT", "REPLY", "maybe"], syntax.into()),
            (&["INFO", "nosuchsection"], "$0\r\n\r\n".into()),
            (&["INFO", "x", "y"], "$0\r\n\r\n".into()),
        ];
        for (args, expected) in rows {
            assert_eq!(&h.run(id, args), expected, "{args:?}");
        }
    }

    #[test]
    fn client_help_is_redis_text() {
        // Proves CLIENT HELP replies Redis 7.0's 48 status lines, first and last included.
        let mut h = Harness::new();
        let id = h.connect(5000);
        let reply = h.run(id, &["client", "help"]);
        assert!(reply.starts_with(
            "*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+CACHING (YES|NO)\r\n"
        ));
        assert!(reply.ends_with("+NO-EVICT (ON|OFF)\r\n+    Protect current client connection from eviction.\r\n+HELP\r\n+    Prints this help.\r\n"));
    }

    #[test]
    fn hello_switches_protocol_and_sets_name() {
        // Proves HELLO's map (RESP3 and RESP2 shapes), AUTH for the passwordless default user,
        // SETNAME, and that RESET returns the connection to RESP2 and no name.
        let mut h = Harness::new();
        let id = h.connect(5000);
        let map = |proto: u8| {
            format!(
                "$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:{proto}\r\n$2\r\nid\r\n:{id}\r\n\
                 $4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
            )
        };
        assert_eq!(h.run(id, &["HELLO"]), format!("*14\r\n{}", map(2)));
        assert_eq!(h.run(id, &["HELLO", "3", "AUTH", "default", "x", "SETNAME", "abc"]), format!("%7\r\n{}", map(3)));
        assert_eq!(h.run(id, &["CLIENT", "GETNAME"]), "$3\r\nabc\r\n");
        assert_eq!(h.run(id, &["HELLO"]), format!("%7\r\n{}", map(3)));
        h.run(id, &["CLIENT", "SETNAME", ""]);
        assert_eq!(h.run(id, &["CLIENT", "GETNAME"]), "_\r\n");
        assert!(h.run(id, &["CLIENT", "INFO"]).contains("\r\ntxt:id="));
        assert_eq!(h.run(id, &["HELLO", "2"]), format!("*14\r\n{}", map(2)));
    }

    #[test]
    fn hello_auth_checks_requirepass() {
        // Proves HELLO AUTH refuses a wrong password for `default` once requirepass is set, and
        // accepts the right one (checked against redis-server 7.0.15).
        let mut h = Harness::new();
        h.node.config.requirepass = Some("pw".into());
        let id = h.connect(5000);
        assert_eq!(
            h.run(id, &["HELLO", "3", "AUTH", "default", "wrong"]),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert!(h.run(id, &["HELLO", "2", "AUTH", "default", "pw"]).starts_with("*14\r\n"));
    }

    #[test]
    fn hello_options_apply_in_order() {
        // Proves HELLO applies AUTH and SETNAME as it parses them, as Redis 7.0.15 does: an error
        // in a later option is replied after the earlier ones took effect, and RESP stays as it was.
        let mut h = Harness::new();
        let id = h.connect(5000);
        let syntax = "-ERR Syntax error in HELLO option 'extra'\r\n";
        let wrongpass = "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
        let names = "-ERR Client names cannot contain spaces, newlines or special characters.\r\n";
        assert_eq!(h.run(id, &["HELLO", "3", "SETNAME", "ok", "extra"]), syntax);
        assert_eq!(h.run(id, &["CLIENT", "GETNAME"]), "$2\r\nok\r\n");
        assert_eq!(h.run(id, &["HELLO", "3", "AUTH", "a", "b", "SETNAME", "c", "extra"]), wrongpass);
        assert_eq!(h.run(id, &["HELLO", "3", "AUTH", "a", "b", "SETNAME", "a b"]), wrongpass);
        assert_eq!(h.run(id, &["HELLO", "3", "SETNAME", "a b", "AUTH", "a", "b"]), names);
        assert_eq!(h.run(id, &["CLIENT", "GETNAME"]), "$2\r\nok\r\n");
    }

    #[test]
    fn reset_restores_connection_defaults() {
        // Proves RESET answers +RESET and restores db 0, RESP2, no name, replies on, while
        // NO-EVICT survives it as in Redis 7.0.
        let mut h = Harness::new();
        let id = h.connect(5000);
        h.run(id, &["SELECT", "3"]);
        h.run(id, &["CLIENT", "SETNAME", "nm"]);
        h.run(id, &["CLIENT", "NO-EVICT", "on"]);
        h.run(id, &["HELLO", "3"]);
        assert_eq!(h.run(id, &["CLIENT", "REPLY", "OFF"]), "");
        assert_eq!(h.run(id, &["RESET"]), "+RESET\r\n");
        let info = h.run(id, &["CLIENT", "INFO"]);
        assert!(info.contains(" name= "), "{info}");
        assert!(info.contains(" flags=e db=0 "), "{info}");
        assert!(info.ends_with(" resp=2\n\r\n"), "{info}");
        assert!(info.starts_with("$"), "{info}");
    }

    #[test]
    fn client_reply_off_and_skip_drop_replies() {
        // Proves CLIENT REPLY: SKIP drops its own and the next reply, OFF drops all until ON, and
        // SKIP while OFF does nothing (sequence checked against Redis 7.0.15).
        let mut h = Harness::new();
        let id = h.connect(5000);
        let steps: &[(&[&str], &str)] = &[
            (&["CLIENT", "REPLY", "SKIP"], ""),
            (&["PING"], ""),
            (&["PING"], "+PONG\r\n"),
            (&["CLIENT", "REPLY", "SKIP"], ""),
            (&["NOSUCHCOMMAND"], ""),
            (&["PING"], "+PONG\r\n"),
            (&["CLIENT", "REPLY", "OFF"], ""),
            (&["PING"], ""),
            (&["SELECT", "99"], ""),
            (&["CLIENT", "REPLY", "SKIP"], ""),
            (&["CLIENT", "REPLY", "ON"], "+OK\r\n"),
            (&["PING"], "+PONG\r\n"),
        ];
        for (args, expected) in steps {
            assert_eq!(h.run(id, args), *expected, "{args:?}");
        }
    }

    #[test]
    fn quit_replies_ok_then_closes() {
        // Proves QUIT (with or without arguments, as Redis's -1 arity allows) answers +OK and the
        // connection closes, ignoring anything sent after it.
        let mut h = Harness::new();
        let id = h.connect(5000);
        let (out, _) = h.request(id, &["QUIT", "x"]);
        assert_eq!(out, Outcome { reply: "+OK\r\n".into(), closed: true });
        let (out, _) = h.request(id, &["PING"]);
        assert_eq!(out, Outcome { reply: String::new(), closed: false });
        assert_eq!(h.node.client_count(), 0);
    }

    #[test]
    fn client_list_and_info_describe_clients() {
        // Proves CLIENT LIST lists every client in id order with its own settings, filters by
        // TYPE and ID (in the order asked, repeats included), and CLIENT INFO describes the caller
        // with `cmd` and `argv-mem` of the running command.
        let mut h = Harness::new();
        let a = h.connect(5000);
        let b = h.connect(5001);
        h.run(b, &["CLIENT", "SETNAME", "bee"]);
        h.run(b, &["SELECT", "2"]);
        let list = h.run(a, &["CLIENT", "LIST"]);
        let body = list.split_once("\r\n").unwrap().1;
        let lines: Vec<&str> = body.trim_end_matches("\r\n").lines().collect();
        assert_eq!(lines.len(), 2, "{list}");
        assert!(lines[0].starts_with(&format!("id={a} addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=")));
        assert!(lines[0].contains(" name= age=0 idle=0 flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf="));
        assert!(lines[0].contains(" argv-mem=10 multi-mem=0 rbs="));
        assert!(lines[0].ends_with(" events=r cmd=client|list user=default redir=-1 resp=2"), "{}", lines[0]);
        assert!(lines[1].starts_with(&format!("id={b} addr=127.0.0.1:5001 ")));
        assert!(lines[1].contains(" name=bee ") && lines[1].contains(" db=2 ") && lines[1].contains(" argv-mem=0 "));
        assert!(lines[1].contains(" cmd=select user=default "));
        let by_id = h.run(a, &["CLIENT", "LIST", "ID", &b.to_string(), "999", &a.to_string(), &b.to_string()]);
        let ids: Vec<&str> =
            by_id.lines().filter_map(|l| l.split(' ').next()).filter(|f| f.starts_with("id=")).collect();
        assert_eq!(ids, [format!("id={b}"), format!("id={a}"), format!("id={b}")]);
        let normal = h.run(a, &["CLIENT", "LIST", "TYPE", "Normal"]);
        assert_eq!(normal.matches('\n').count(), 1 + 2 + 1, "{normal}");
        let info = h.run(b, &["CLIENT", "INFO"]);
        let (header, body) = info.split_once("\r\n").unwrap();
        assert_eq!(header, format!("${}", body.len() - 2));
        assert!(body.starts_with(&format!("id={b} ")), "{info}");
        assert!(info.contains(" cmd=client|info ") && info.contains(" argv-mem=10 "), "{info}");
        assert_eq!(info.matches('\n').count(), 1 + 1 + 1, "{info}");
    }

    #[test]
    fn cmd_field_names_the_last_command_even_refused() {
        // Proves CLIENT LIST's `cmd` follows Redis: the command even when its arity is wrong,
        // the container when it lacks a subcommand, NULL for unknown commands and subcommands.
        let mut h = Harness::new();
        let a = h.connect(5000);
        let b = h.connect(5001);
        for (args, cmd) in [
            (&["GET"][..], "get"),
            (&["NOSUCH"], "NULL"),
            (&["CLIENT"], "client"),
            (&["CLIENT", "NOSUCH"], "NULL"),
            (&["CLIENT", "ID"], "client|id"),
        ] {
            h.run(a, args);
            let line = h.run(b, &["CLIENT", "LIST", "ID", &a.to_string()]);
            assert!(line.contains(&format!(" cmd={cmd} ")), "{args:?}: {line}");
        }
    }

    #[test]
    fn client_kill_closes_matching_clients() {
        // Proves CLIENT KILL closes other clients at once, skips the caller unless SKIPME no or the
        // old address form, and closes the caller only after its reply.
        let mut h = Harness::new();
        let a = h.connect(5000);
        let b = h.connect(5001);
        let c = h.connect(5002);
        let (out, closed) = h.request(a, &["CLIENT", "KILL", "ID", &b.to_string()]);
        assert_eq!((out.reply.as_str(), out.closed, closed), (":1\r\n", false, vec![b]));
        assert_eq!(h.run(a, &["CLIENT", "KILL", "ADDR", "127.0.0.1:5000"]), ":0\r\n");
        let (out, closed) = h.request(a, &["CLIENT", "KILL", "127.0.0.1:5002"]);
        assert_eq!((out.reply.as_str(), out.closed, closed), ("+OK\r\n", false, vec![c]));
        let (out, _) = h.request(a, &["CLIENT", "KILL", "TYPE", "normal", "USER", "default", "SKIPME", "no"]);
        assert_eq!(out, Outcome { reply: ":1\r\n".into(), closed: true });
        let d = h.connect(5003);
        let (out, _) = h.request(d, &["CLIENT", "KILL", "127.0.0.1:5003"]);
        assert_eq!(out, Outcome { reply: "+OK\r\n".into(), closed: true });
        assert_eq!(h.node.client_count(), 0);
    }
}
