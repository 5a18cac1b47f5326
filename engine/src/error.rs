//! Every error a command can reply with, and its exact Redis 7.0 text.
//!
//! One enum, one place for the strings: conformance compares them byte for byte with real Redis.
//! `to_bytes` gives the exact text without the leading `-`; `Display` is the same text for logs
//! (client bytes that are not UTF-8 shown lossily there, never on the wire).

use std::borrow::Cow;
use std::fmt;

use thiserror::Error;

/// Client-supplied bytes quoted in an error text. Kept as bytes so the reply echoes exactly what
/// the client sent, as Redis does, even when it is not UTF-8.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ClientText(pub Vec<u8>);

impl fmt::Display for ClientText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl From<&str> for ClientText {
    fn from(s: &str) -> ClientText {
        ClientText(s.as_bytes().to_vec())
    }
}

impl From<String> for ClientText {
    fn from(s: String) -> ClientText {
        ClientText(s.into_bytes())
    }
}

/// `arg` up to its first NUL byte: what C's `%s` prints of it, as Redis formats error texts.
fn c_str(arg: &[u8]) -> &[u8] {
    arg.iter().position(|&b| b == 0).map_or(arg, |nul| &arg[..nul])
}

/// Client-supplied text as Redis's `%.128s` prints it in error messages.
pub fn clip128(arg: &[u8]) -> ClientText {
    let arg = c_str(arg);
    ClientText(arg[..arg.len().min(128)].to_vec())
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
        name: ClientText,
        /// Each argument quoted and followed by a space, clipped as Redis does.
        args: ClientText,
    },
    /// A container command got an unknown subcommand.
    #[error("ERR unknown subcommand '{sub}'. Try {container} HELP.")]
    UnknownSubcommand {
        /// The subcommand as sent, clipped to 128 bytes.
        sub: ClientText,
        /// The container name, upper case.
        container: ClientText,
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
        sub: ClientText,
        /// The command name, upper case.
        container: ClientText,
    },
    /// An error whose full text (including its code, e.g. `ERR ...`) is given; for messages that
    /// occur in exactly one command. Prefer a named variant for anything shared.
    #[error("{0}")]
    Message(std::borrow::Cow<'static, str>),
    /// An error whose full text quotes client bytes (e.g. `ERR Unsupported option <arg>`).
    #[error("{0}")]
    Quoting(ClientText),
}

impl CmdError {
    /// An error with a one-off static text (which must start with its code, e.g. `ERR `).
    pub fn msg(text: &'static str) -> CmdError {
        debug_assert!(text.split(' ').next().is_some_and(|c| c.chars().all(|ch| ch.is_ascii_uppercase())));
        CmdError::Message(std::borrow::Cow::Borrowed(text))
    }

    /// An error text made of `prefix`, the client's `arg` as C's `%s` prints it (raw bytes, up to
    /// the first NUL), and `suffix`.
    pub fn quoting(prefix: &str, arg: &[u8], suffix: &str) -> CmdError {
        let mut text = prefix.as_bytes().to_vec();
        text.extend_from_slice(c_str(arg));
        text.extend_from_slice(suffix.as_bytes());
        CmdError::Quoting(ClientText(text))
    }

    /// An error text joined from `parts`, each printed as C's `%s` prints it (up to its first
    /// NUL): literal text and client arguments alternating, as in Redis's `-NOGROUP` messages.
    pub fn quoting_many(parts: &[&[u8]]) -> CmdError {
        CmdError::Quoting(ClientText(parts.iter().flat_map(|p| c_str(p).iter().copied()).collect()))
    }

    /// The exact text of the reply, without the leading `-`.
    pub fn to_bytes(&self) -> Cow<'_, [u8]> {
        let join = |parts: &[&[u8]]| Cow::Owned(parts.concat());
        match self {
            CmdError::UnknownCommand { name, args } => {
                join(&[b"ERR unknown command '", &name.0, b"', with args beginning with: ", &args.0])
            }
            CmdError::UnknownSubcommand { sub, container } => {
                join(&[b"ERR unknown subcommand '", &sub.0, b"'. Try ", &container.0, b" HELP."])
            }
            CmdError::SubcommandSyntax { sub, container } => join(&[
                b"ERR unknown subcommand or wrong number of arguments for '",
                &sub.0,
                b"'. Try ",
                &container.0,
                b" HELP.",
            ]),
            CmdError::Quoting(text) => Cow::Borrowed(&text.0),
            CmdError::Message(Cow::Borrowed(text)) => Cow::Borrowed(text.as_bytes()),
            other => Cow::Owned(other.to_string().into_bytes()),
        }
    }

    /// The unknown-command error for `argv`, formatted as Redis 7.0 does.
    pub fn unknown_command(argv: &[&[u8]]) -> CmdError {
        let mut args = Vec::new();
        for a in argv.iter().skip(1) {
            // Redis stops adding arguments once the list reaches 128 characters.
            if args.len() >= 128 {
                break;
            }
            let room = 128 - args.len();
            let a = c_str(a);
            args.push(b'\'');
            args.extend_from_slice(&a[..a.len().min(room)]);
            args.extend_from_slice(b"' ");
        }
        CmdError::UnknownCommand { name: clip128(argv[0]), args: ClientText(args) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_bytes_are_echoed_exactly() {
        // Proves non-UTF-8 client input comes back byte for byte, not as U+FFFD.
        let e = CmdError::unknown_command(&[b"f\xff", b"\xfe"]);
        assert_eq!(&*e.to_bytes(), b"ERR unknown command 'f\xff', with args beginning with: '\xfe' ");
        assert_eq!(
            &*CmdError::quoting("ERR Unsupported option ", b"\x80", "").to_bytes(),
            b"ERR Unsupported option \x80"
        );
        assert_eq!(&*CmdError::Syntax.to_bytes(), b"ERR syntax error");
        // C's %s stops at the first NUL byte.
        assert_eq!(&*CmdError::quoting("ERR x '", b"a\0b", "'").to_bytes(), b"ERR x 'a'");
        let e = CmdError::unknown_command(&[b"f\0g", b"\0", b"b"]);
        assert_eq!(&*e.to_bytes(), b"ERR unknown command 'f', with args beginning with: '' 'b' ");
    }

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
