//! A cursor over a command's arguments, in the style of mini-redis's `Parse`: take arguments in
//! order, convert them with Redis's rules, and `finish` to reject leftovers.

use crate::error::CmdError;
use crate::num::parse_i64;

/// True when `arg` equals the ASCII `token` ignoring case (Redis's `strcasecmp` on options).
pub fn eq_ci(arg: &[u8], token: &str) -> bool {
    arg.eq_ignore_ascii_case(token.as_bytes())
}

/// The arguments after the command name.
pub struct Args<'a> {
    argv: &'a [&'a [u8]],
    pos: usize,
}

impl<'a> Args<'a> {
    /// A cursor positioned after the command name (`argv[0]`).
    pub fn new(argv: &'a [&'a [u8]]) -> Args<'a> {
        Args { argv, pos: 1 }
    }

    /// A cursor positioned after `skip` leading arguments (2 for `container sub ...`).
    pub fn after(argv: &'a [&'a [u8]], skip: usize) -> Args<'a> {
        Args { argv, pos: skip }
    }

    /// Arguments not yet taken.
    pub fn remaining(&self) -> usize {
        self.argv.len() - self.pos
    }

    /// True when every argument has been taken.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The next argument, if any.
    pub fn next_opt(&mut self) -> Option<&'a [u8]> {
        let arg = self.argv.get(self.pos)?;
        self.pos += 1;
        Some(arg)
    }

    /// The next argument; a syntax error when there is none.
    pub fn next_arg(&mut self) -> Result<&'a [u8], CmdError> {
        self.next_opt().ok_or(CmdError::Syntax)
    }

    /// The next argument as an i64 (Redis's `getLongLongFromObjectOrReply`).
    pub fn next_i64(&mut self) -> Result<i64, CmdError> {
        parse_i64(self.next_arg()?).ok_or(CmdError::NotInteger)
    }

    /// Every argument not yet taken.
    pub fn rest(&mut self) -> &'a [&'a [u8]] {
        let rest = &self.argv[self.pos..];
        self.pos = self.argv.len();
        rest
    }

    /// Takes the next argument if it equals `token` (ignoring case).
    pub fn take_token(&mut self, token: &str) -> bool {
        match self.argv.get(self.pos) {
            Some(arg) if eq_ci(arg, token) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// Succeeds only when every argument was taken.
    pub fn finish(self) -> Result<(), CmdError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(CmdError::Syntax)
        }
    }
}
