//! Authentication: who a connection is, and AUTH.
//!
//! AUTH [username] password | HELLO's AUTH option (in `commands::connection`)
//!
//! The default user is the only user: its password is `requirepass` (no password, `nopass`,
//! when unset). As in Redis, a connection is authenticated when it is created if the default
//! user has no password then (Redis's `clientSetDefaultAuth`), and by a successful AUTH; RESET
//! starts it over. Changing `requirepass` does not touch connections already authenticated.
//! Passwords are compared as SHA-256 digests in constant time, as Redis compares them.

pub mod log;
mod sha256;

use verdis_engine::{CmdError, Reply};

use super::{ClientId, Node};

/// The user every connection is until ACL users exist.
pub const DEFAULT_USER: &[u8] = b"default";

/// Redis's `shared.noautherr`: a command other than AUTH, HELLO, QUIT or RESET before AUTH.
pub const NOAUTH: &str = "NOAUTH Authentication required.";

/// Redis's reply to a failed AUTH (the text does not say which of the two was wrong).
const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";

impl Node {
    /// True when a connection created now starts authenticated: the default user has no
    /// password.
    pub(super) fn auth_default_authenticated(&self) -> bool {
        self.config.requirepass.is_none()
    }

    /// The default user's password as Redis shows it (ACL GETUSER, ACL LIST): the SHA-256 in
    /// lowercase hex; `None` for `nopass`.
    pub(super) fn auth_default_password_hex(&self) -> Option<String> {
        let digest = sha256::sha256(self.config.requirepass.as_ref()?.as_bytes());
        Some(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// True when client `id` must authenticate before running a command without the `no_auth`
    /// flag (Redis's `authRequired`): the default user has a password and the client has not
    /// authenticated.
    pub(super) fn auth_required(&self, id: ClientId) -> bool {
        self.config.requirepass.is_some() && self.clients.get(&id).is_some_and(|c| !c.authenticated)
    }

    /// Checks `user` and `password` for `command` (AUTH or HELLO, as sent) and marks client `id`
    /// authenticated when they match (Redis's `ACLAuthenticateUser`); a failure changes nothing
    /// but the ACL log and is Redis's WRONGPASS.
    pub(super) fn authenticate(
        &mut self,
        id: ClientId,
        command: &[u8],
        user: &[u8],
        password: &[u8],
    ) -> Result<(), CmdError> {
        let password_ok = match &self.config.requirepass {
            // `nopass`: any password is accepted.
            None => true,
            Some(expected) => sha256::digests_equal(&sha256::sha256(expected.as_bytes()), &sha256::sha256(password)),
        };
        if user != DEFAULT_USER || !password_ok {
            self.auth_log_denial(id, command, user);
            return Err(CmdError::msg(WRONGPASS));
        }
        if let Some(client) = self.clients.get_mut(&id) {
            client.authenticated = true;
            client.ever_authenticated = true;
        }
        Ok(())
    }

    /// AUTH [username] password
    pub(super) fn auth_command(&mut self, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let (user, password) = match argv {
            [_, password] => {
                // Redis keeps the old form's error when there is no password to check.
                if self.config.requirepass.is_none() {
                    return Err(CmdError::msg(
                        "ERR AUTH <password> called without any password configured for the default user. \
                         Are you sure your configuration is correct?",
                    ));
                }
                (DEFAULT_USER, *password)
            }
            [_, user, password] => (*user, *password),
            _ => return Err(CmdError::Syntax),
        };
        self.authenticate(id, argv[0], user, password)?;
        Ok(Reply::Ok)
    }

    /// Adds a failed authentication of client `id` as `user` by `command` to the ACL log.
    fn auth_log_denial(&mut self, id: ClientId, command: &[u8], user: &[u8]) {
        let now_ms = self.now.unix_ms();
        let Some(client) = self.clients.get(&id) else { return };
        let mut client_info = String::new();
        client.write_info_line(&mut client_info, now_ms, 0);
        let entry = log::Entry {
            count: 1,
            reason: "auth",
            context: if client.multi.is_some() { "multi" } else { "toplevel" },
            object: command.to_vec(),
            username: user.to_vec(),
            time_ms: now_ms,
            client_info,
        };
        self.acl_log.add(entry, self.config.acllog_max_len);
    }
}
