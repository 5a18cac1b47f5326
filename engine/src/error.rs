//! Every error a command can reply with, and its exact Redis 7.0 text.
//!
//! One enum, one place for the strings: conformance compares them byte for byte with real Redis.
//! `Display` gives the text without the leading `-`.

use thiserror::Error;

/// Truncates client-supplied text the way Redis's `%.128s` does in error messages.
pub fn clip128(arg: &[u8]) -> String {
    String::from_utf8_lossy(&arg[..arg.len().min(128)]).into_owned()
}

/// An error reply.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum CmdError {
    /// The key holds a value of another type.
    #[error("WRONGTYPE Operation against a key holding the wrong kind of value")]
    WrongType,
    /// An argument or stored value is not a 64-bit integer.
    #[error("ERR value is not an integer or out of range")]
    NotInteger,
    /// An argument or stored value is not a valid float.
    #[error("ERR value is not a valid float")]
    NotFloat,
    /// Arguments do not fit the command's grammar.
    #[error("ERR syntax error")]
    Syntax,
    /// The command needs an existing key.
    #[error("ERR no such key")]
    NoSuchKey,
    /// An integer increment overflowed.
    #[error("ERR increment or decrement would overflow")]
    Overflow,
    /// A float increment produced NaN or infinity.
    #[error("ERR increment would produce NaN or Infinity")]
    NanOrInfinity,
    /// Wrong argument count for the named command (or `container|sub`).
    #[error("ERR wrong number of arguments for '{0}' command")]
    WrongArity(String),
    /// The command is not in the table. `args` is the pre-formatted `'a' 'b' ` list Redis prints.
    #[error("ERR unknown command '{name}', with args beginning with: {args}")]
    UnknownCommand {
        /// The name as the client sent it, clipped to 128 bytes.
        name: String,
        /// Each argument quoted and followed by a space, clipped as Redis does.
        args: String,
    },
    /// A container command got an unknown subcommand.
    #[error("ERR unknown subcommand '{sub}'. Try {container} HELP.")]
    UnknownSubcommand {
        /// The subcommand as sent, clipped to 128 bytes.
        sub: String,
        /// The container name, upper case.
        container: String,
    },
    /// A relative or absolute expire time is out of range.
    #[error("ERR invalid expire time in '{0}' command")]
    InvalidExpireTime(&'static str),
    /// A string would exceed `proto-max-bulk-len`.
    #[error("ERR string exceeds maximum allowed size (proto-max-bulk-len)")]
    StringTooLong,
    /// SELECT, MOVE, COPY or SWAPDB named a database that does not exist.
    #[error("ERR DB index is out of range")]
    DbIndexOutOfRange,
    /// An integer argument is outside the range the command accepts (Redis's
    /// `getRangeLongFromObjectOrReply` without a custom message).
    #[error("ERR value is out of range, value must between {min} and {max}")]
    OutOfRange {
        /// Smallest accepted value.
        min: i64,
        /// Largest accepted value.
        max: i64,
    },
    /// MOVE to the same database, or COPY onto itself.
    #[error("ERR source and destination objects are the same")]
    SameObject,
    /// A container command got a subcommand it does not know, or the wrong number of arguments
    /// for one it does (Redis's `addReplySubcommandSyntaxError`, used by DEBUG, OBJECT, XINFO...).
    #[error("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try {container} HELP.")]
    SubcommandSyntax {
        /// The subcommand as sent, clipped to 128 bytes.
        sub: String,
        /// The command name, upper case.
        container: String,
    },
    /// An error whose full text (including its code, e.g. `ERR ...`) is given; for messages that
    /// occur in exactly one command. Prefer a named variant for anything shared.
    #[error("{0}")]
    Message(std::borrow::Cow<'static, str>),
}

impl CmdError {
    /// An error with a one-off static text (which must start with its code, e.g. `ERR `).
    pub fn msg(text: &'static str) -> CmdError {
        debug_assert!(text.split(' ').next().is_some_and(|c| c.chars().all(|ch| ch.is_ascii_uppercase())));
        CmdError::Message(std::borrow::Cow::Borrowed(text))
    }

    /// The unknown-command error for `argv`, formatted as Redis 7.0 does.
    pub fn unknown_command(argv: &[&[u8]]) -> CmdError {
        let mut args = String::new();
        for a in argv.iter().skip(1) {
            // Redis stops adding arguments once the list reaches 128 characters.
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            args.push('\'');
            args.push_str(&String::from_utf8_lossy(&a[..a.len().min(room)]));
            args.push_str("' ");
        }
        CmdError::UnknownCommand { name: clip128(argv[0]), args }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_redis() {
        assert_eq!(CmdError::WrongArity("get".into()).to_string(), "ERR wrong number of arguments for 'get' command");
        assert_eq!(
            CmdError::unknown_command(&[b"foo", b"a", b"b"]).to_string(),
            "ERR unknown command 'foo', with args beginning with: 'a' 'b' "
        );
        assert_eq!(
            CmdError::unknown_command(&[b"foo"]).to_string(),
            "ERR unknown command 'foo', with args beginning with: "
        );
    }
}
