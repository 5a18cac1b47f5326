//! The ACL commands that read the user list, and the ACL log: ACL WHOAMI | USERS | LIST |
//! GETUSER username | CAT [category] | LOG [count | RESET] | DRYRUN username command [arg ...] |
//! HELP.
//!
//! Deliberate differences from Redis, until ACL users exist: the default user is the only user,
//! with every permission (`~* &* +@all`) and `requirepass` as its password, so every connection
//! is `default`, the ACL log holds failed authentications only, and ACL DRYRUN answers OK
//! for any command verdis implements (`Command '...' not found` for one it does not, where
//! Redis checks its own table). ACL SETUSER, DELUSER, LOAD, SAVE and GENPASS are not implemented
//! (Redis's unknown-subcommand error), though ACL HELP lists them as Redis does. ACL CAT
//! `category` lists the commands verdis implements, in table order (Redis lists all of its own,
//! in hash-table order).

use verdis_engine::cmd::node::NodeCmd;
use verdis_engine::cmd::spec::AclCategory;
use verdis_engine::cmd::table::all_rows;
use verdis_engine::{CmdError, Reply};

use verdis_engine::cmd::args::eq_ci;
use verdis_engine::num::parse_i64;

use super::super::auth::log::SHOWN_BY_DEFAULT;
use super::super::auth::DEFAULT_USER;
use super::super::Node;

/// ACL HELP's lines, as Redis 7.0 prints them (the intro and HELP lines are added by
/// `Reply::help`).
const ACL_HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];

/// Every ACL category, in Redis's order (ACL CAT's reply).
const CATEGORIES: [AclCategory; 21] = [
    AclCategory::Keyspace,
    AclCategory::Read,
    AclCategory::Write,
    AclCategory::Set,
    AclCategory::Sortedset,
    AclCategory::List,
    AclCategory::Hash,
    AclCategory::String,
    AclCategory::Bitmap,
    AclCategory::Hyperloglog,
    AclCategory::Geo,
    AclCategory::Stream,
    AclCategory::Pubsub,
    AclCategory::Admin,
    AclCategory::Fast,
    AclCategory::Slow,
    AclCategory::Blocking,
    AclCategory::Dangerous,
    AclCategory::Connection,
    AclCategory::Transaction,
    AclCategory::Scripting,
];

impl Node {
    /// Runs an ACL command.
    pub(super) fn exec_acl(&mut self, cmd: NodeCmd, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        match cmd {
            NodeCmd::AclWhoami => Ok(Reply::bulk(DEFAULT_USER)),
            NodeCmd::AclUsers => Ok(Reply::Array(vec![Reply::bulk(DEFAULT_USER)])),
            NodeCmd::AclList => Ok(Reply::Array(vec![Reply::bulk(self.acl_default_user_line().as_bytes())])),
            NodeCmd::AclGetuser => Ok(self.acl_getuser(argv[2])),
            NodeCmd::AclCat if argv.len() > 3 => {
                let sub = verdis_engine::error::clip128(argv[1]);
                Err(CmdError::SubcommandSyntax { sub, container: "ACL".into() })
            }
            NodeCmd::AclCat => acl_cat(argv.get(2).copied()),
            NodeCmd::AclHelp => Ok(Reply::help(argv[0], ACL_HELP)),
            NodeCmd::AclLog => self.acl_log_command(argv),
            NodeCmd::AclDryrun => self.acl_dryrun(argv),
            // exec_node's exhaustive match decides what comes here.
            other => unreachable!("exec_node routes {other:?} elsewhere"),
        }
    }

    /// ACL LOG [count | RESET]
    fn acl_log_command(&mut self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let count = match argv {
            [_, _] => SHOWN_BY_DEFAULT,
            [_, _, arg] if eq_ci(arg, "reset") => {
                self.acl_log.reset();
                return Ok(Reply::Ok);
            }
            // A negative count shows nothing, as in Redis.
            [_, _, arg] => usize::try_from(parse_i64(arg).ok_or(CmdError::NotInteger)?).unwrap_or(0),
            _ => {
                let sub = verdis_engine::error::clip128(argv[1]);
                return Err(CmdError::SubcommandSyntax { sub, container: "ACL".into() });
            }
        };
        Ok(self.acl_log.reply(count, self.now.unix_ms()))
    }

    /// ACL DRYRUN username command [arg ...]: whether the user may run the command. The default
    /// user may run every command, so only the user, the command (by the name clients use, as
    /// `rename-command` left it) and its arity are checked.
    fn acl_dryrun(&self, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let (user, command) = (argv[2], &argv[3..]);
        if user != DEFAULT_USER {
            return Err(CmdError::quoting("ERR User '", user, "' not found"));
        }
        let cmd = self.resolve(command).map_err(|_| CmdError::quoting("ERR Command '", command[0], "' not found"))?;
        if !cmd.spec.arity_ok(command.len()) {
            return Err(CmdError::WrongArity(cmd.spec.name.into()));
        }
        Ok(Reply::Ok)
    }

    /// The default user's password rule: `#<sha256 hex>`, or `nopass`.
    fn acl_default_password_rule(&self) -> String {
        self.auth_default_password_hex().map_or_else(|| "nopass".to_string(), |hex| format!("#{hex}"))
    }

    /// The default user as ACL LIST and an ACL file write it.
    fn acl_default_user_line(&self) -> String {
        format!("user default on {} ~* &* +@all", self.acl_default_password_rule())
    }

    /// ACL GETUSER username: the user's flags, passwords, commands, keys, channels and
    /// selectors; null for a user that does not exist.
    fn acl_getuser(&self, name: &[u8]) -> Reply {
        if name != DEFAULT_USER {
            return Reply::Null;
        }
        let password = self.auth_default_password_hex();
        let mut flags = vec![Reply::bulk(b"on")];
        if password.is_none() {
            flags.push(Reply::bulk(b"nopass"));
        }
        let field = |name: &str, value: Reply| (Reply::bulk(name.as_bytes()), value);
        Reply::Map(vec![
            field("flags", Reply::Set(flags)),
            field("passwords", Reply::Array(password.into_iter().map(|p| Reply::bulk(p.as_bytes())).collect())),
            field("commands", Reply::bulk(b"+@all")),
            field("keys", Reply::bulk(b"~*")),
            field("channels", Reply::bulk(b"&*")),
            field("selectors", Reply::Array(Vec::new())),
        ])
    }
}

/// ACL CAT [category]: the categories, or the implemented commands (subcommands as
/// `container|sub`) in `category`.
fn acl_cat(category: Option<&[u8]>) -> Result<Reply, CmdError> {
    let Some(name) = category else {
        return Ok(Reply::Array(CATEGORIES.iter().map(|c| Reply::bulk(c.name().as_bytes())).collect()));
    };
    let wanted = CATEGORIES
        .into_iter()
        .find(|c| c.name().as_bytes().eq_ignore_ascii_case(name))
        .ok_or_else(|| CmdError::quoting("ERR Unknown category '", name, "'"))?;
    let names = all_rows().filter(|row| row.spec.acl_categories.contains(&wanted));
    Ok(Reply::Array(names.map(|row| Reply::bulk(row.spec.name.as_bytes())).collect()))
}

#[cfg(test)]
mod tests {
    use super::CATEGORIES;

    #[test]
    fn categories_are_distinct() {
        // Proves the category list names each of the 21 categories once.
        let mut names: Vec<&str> = CATEGORIES.iter().map(|c| c.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 21);
    }
}
