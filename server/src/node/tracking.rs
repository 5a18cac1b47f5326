//! Client-side caching: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO and the invalidation
//! messages (Redis's `tracking.c`).
//!
//! # How it works
//! - Default mode: after a read-only command of a tracking client (`Node::tracking_remember`),
//!   its keys go into the tracking table with the client. OPTIN remembers only after CLIENT
//!   CACHING yes, OPTOUT skips after CLIENT CACHING no; the CACHING flag lasts one command
//!   (all of a transaction).
//! - A committed unit's modified keys (`exec::Node::commit`) invalidate: each client in the
//!   table for the key gets an `invalidate` message (a RESP3 push, or for a RESP2 redirect a
//!   `message` on `__redis__:invalidate`) and the key leaves the table. The client that made the
//!   change gets its own after its reply; NOLOOP clients get none for their own changes.
//! - BCAST mode: no table; keys matching a client's prefixes are collected and broadcast, one
//!   message per prefix, when the input that changed them ends.
//! - FLUSHDB/FLUSHALL invalidate everything: a null invalidation to every tracking client.
//! - A redirect to a client that is gone marks the tracking client broken (flag `R`) and tells
//!   a RESP3 client once with a `tracking-redir-broken` push.
//! - `tracking-table-max-keys` bounds the table: past it, keys are evicted (invalidated) at the
//!   end of the input.
//!
//! Difference from Redis: the table is evicted in key order, Redis picks random keys. The table
//! ignores the database, as Redis's does.

use std::collections::{BTreeMap, BTreeSet};

use verdis_engine::cmd::args::eq_ci;
use verdis_engine::cmd::getkeys::keys_of;
use verdis_engine::cmd::spec::CmdFlag;
use verdis_engine::num::parse_i64;
use verdis_engine::{CmdError, Command, Reply};

use super::{ClientId, Node};
use crate::resp::encode::encode;

/// The channel RESP2 clients subscribe to for redirected invalidations.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// Most table keys evicted at the end of one input (the rest at the next, as Redis's effort).
const EVICTIONS_PER_INPUT_MAX: usize = 1 << 16;

/// A tracking client's options (Redis's `CLIENT_TRACKING_*` flags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackingOptions {
    /// REDIRECT: the client that receives the invalidations (0: the client itself).
    pub redirect: ClientId,
    /// BCAST mode.
    pub bcast: bool,
    /// OPTIN mode.
    pub optin: bool,
    /// OPTOUT mode.
    pub optout: bool,
    /// NOLOOP: no invalidation for the client's own changes.
    pub noloop: bool,
    /// BCAST prefixes.
    pub prefixes: Vec<Vec<u8>>,
    /// The redirect client went away (flag `R`).
    pub broken_redirect: bool,
    /// CLIENT CACHING yes/no for the next command.
    pub caching: Option<bool>,
}

/// A BCAST prefix: its clients, and the keys changed since the last broadcast with who changed
/// them.
#[derive(Debug, Default)]
struct Prefix {
    clients: BTreeSet<ClientId>,
    changed: Vec<(Vec<u8>, Option<ClientId>)>,
}

/// The node's tracking state.
#[derive(Debug, Default)]
pub(super) struct Tracking {
    /// Redis's TrackingTable: key → the clients that may have cached it.
    table: BTreeMap<Vec<u8>, BTreeSet<ClientId>>,
    /// Sum of the table's client sets (INFO `tracking_total_items`).
    items: usize,
    /// BCAST prefixes in use.
    prefixes: BTreeMap<Vec<u8>, Prefix>,
    /// Clients with tracking on.
    clients: BTreeSet<ClientId>,
    /// Invalidations for the client whose command runs, sent after its reply: (target, keys).
    deferred: Vec<(ClientId, Option<Vec<Vec<u8>>>)>,
    /// `tracking-table-max-keys` (0: no limit), as cron last read it.
    pub table_keys_max: usize,
}

impl Tracking {
    /// Number of clients with tracking on (INFO `tracking_clients`).
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// INFO stats: keys in the table, client entries in it, BCAST prefixes.
    pub fn totals(&self) -> (usize, usize, usize) {
        (self.table.len(), self.items, self.prefixes.len())
    }
}

/// True when one of `a` and `b` is a prefix of the other.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    a.starts_with(b) || b.starts_with(a)
}

impl Node {
    /// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN] [OPTOUT] [NOLOOP]
    pub(super) fn client_tracking(&mut self, id: ClientId, argv: &[&[u8]]) -> Result<Reply, CmdError> {
        let on = if eq_ci(argv[2], "on") {
            true
        } else if eq_ci(argv[2], "off") {
            false
        } else {
            return Err(CmdError::Syntax);
        };
        let mut options = TrackingOptions::default();
        let mut i = 3;
        while i < argv.len() {
            let arg = argv[i];
            let more = i + 1 < argv.len();
            if eq_ci(arg, "redirect") && more {
                i += 1;
                if options.redirect != 0 {
                    return Err(CmdError::msg("ERR A client can only redirect to a single other client"));
                }
                let target = parse_i64(argv[i]).ok_or(CmdError::NotInteger)?;
                // Redis looks the client up at once (its own id is allowed and means itself).
                if target != id as i64 && !self.clients.contains_key(&(target as ClientId)) {
                    return Err(CmdError::msg("ERR The client ID you want redirect to does not exist"));
                }
                options.redirect = target as ClientId;
            } else if eq_ci(arg, "bcast") {
                options.bcast = true;
            } else if eq_ci(arg, "optin") {
                options.optin = true;
            } else if eq_ci(arg, "optout") {
                options.optout = true;
            } else if eq_ci(arg, "noloop") {
                options.noloop = true;
            } else if eq_ci(arg, "prefix") && more {
                i += 1;
                options.prefixes.push(argv[i].to_vec());
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        if !on {
            self.tracking_off(id);
            return Ok(Reply::Ok);
        }
        if !options.bcast && !options.prefixes.is_empty() {
            return Err(CmdError::msg("ERR PREFIX option requires BCAST mode to be enabled"));
        }
        let current = self.clients[&id].tracking.clone();
        if let Some(current) = &current {
            if current.bcast != options.bcast {
                return Err(CmdError::msg(
                    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then \
                     re-enabling it with a different mode.",
                ));
            }
        }
        if options.bcast && (options.optin || options.optout) {
            return Err(CmdError::msg("ERR OPTIN and OPTOUT are not compatible with BCAST"));
        }
        if options.optin && options.optout {
            return Err(CmdError::msg("ERR You can't specify both OPTIN mode and OPTOUT mode"));
        }
        if let Some(current) = &current {
            if (options.optin && current.optout) || (options.optout && current.optin) {
                return Err(CmdError::msg(
                    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then \
                     re-enabling it with a different mode.",
                ));
            }
        }
        self.check_prefixes(current.as_ref(), &options.prefixes)?;
        self.tracking_on(id, options, current);
        Ok(Reply::Ok)
    }

    /// Redis's `checkPrefixCollisionsOrReply`: new prefixes may overlap neither each other nor
    /// the client's existing ones.
    fn check_prefixes(&self, current: Option<&TrackingOptions>, prefixes: &[Vec<u8>]) -> Result<(), CmdError> {
        let existing = current.map_or(&[][..], |c| c.prefixes.as_slice());
        for (i, p) in prefixes.iter().enumerate() {
            if let Some(old) = existing.iter().find(|old| overlaps(p, old)) {
                return Err(CmdError::Message(
                    format!(
                        "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must \
                         not overlap.",
                        String::from_utf8_lossy(p),
                        String::from_utf8_lossy(old)
                    )
                    .into(),
                ));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|other| overlaps(p, other)) {
                return Err(CmdError::Message(
                    format!(
                        "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client \
                         must not overlap.",
                        String::from_utf8_lossy(p),
                        String::from_utf8_lossy(other)
                    )
                    .into(),
                ));
            }
        }
        Ok(())
    }

    /// Turns tracking on with `options` (Redis's `enableTracking`): the mode flags are replaced,
    /// prefixes accumulate.
    fn tracking_on(&mut self, id: ClientId, mut options: TrackingOptions, current: Option<TrackingOptions>) {
        let mut prefixes = current.map(|c| c.prefixes).unwrap_or_default();
        if options.bcast && options.prefixes.is_empty() {
            // BCAST without PREFIX tracks every key: the empty prefix.
            options.prefixes.push(Vec::new());
        }
        for p in &options.prefixes {
            self.tracking.prefixes.entry(p.clone()).or_default().clients.insert(id);
            if !prefixes.contains(p) {
                prefixes.push(p.clone());
            }
        }
        options.prefixes = prefixes;
        self.tracking.clients.insert(id);
        if let Some(client) = self.clients.get_mut(&id) {
            client.tracking = Some(options);
        }
    }

    /// Turns tracking off for `id` (Redis's `disableTracking`); its table entries go lazily.
    pub(super) fn tracking_off(&mut self, id: ClientId) {
        let Some(options) = self.clients.get_mut(&id).and_then(|c| c.tracking.take()) else {
            self.tracking.clients.remove(&id);
            return;
        };
        for p in &options.prefixes {
            if let Some(prefix) = self.tracking.prefixes.get_mut(p) {
                prefix.clients.remove(&id);
                if prefix.clients.is_empty() {
                    self.tracking.prefixes.remove(p);
                }
            }
        }
        self.tracking.clients.remove(&id);
    }

    /// CLIENT CACHING YES|NO
    pub(super) fn client_caching(&mut self, id: ClientId, arg: &[u8]) -> Result<Reply, CmdError> {
        let client = self.clients.get_mut(&id).expect("connected");
        let Some(options) = client.tracking.as_mut().filter(|o| o.optin || o.optout) else {
            return Err(CmdError::msg(
                "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT \
                 mode enabled",
            ));
        };
        if eq_ci(arg, "yes") {
            if !options.optin {
                return Err(CmdError::msg(
                    "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
                ));
            }
            options.caching = Some(true);
        } else if eq_ci(arg, "no") {
            if !options.optout {
                return Err(CmdError::msg(
                    "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
                ));
            }
            options.caching = Some(false);
        } else {
            return Err(CmdError::Syntax);
        }
        Ok(Reply::Ok)
    }

    /// CLIENT GETREDIR: -1 without tracking, else the redirect (0 for none).
    pub(super) fn client_getredir(&self, id: ClientId) -> Reply {
        Reply::Int(self.clients[&id].tracking.as_ref().map_or(-1, |o| o.redirect as i64))
    }

    /// CLIENT TRACKINGINFO
    pub(super) fn client_trackinginfo(&self, id: ClientId) -> Reply {
        let tracking = self.clients[&id].tracking.as_ref();
        let mut flags = Vec::new();
        match tracking {
            None => flags.push("off"),
            Some(o) => {
                flags.push("on");
                for (set, name) in [
                    (o.bcast, "bcast"),
                    (o.optin, "optin"),
                    (o.optout, "optout"),
                    (o.caching == Some(true), "caching-yes"),
                    (o.caching == Some(false), "caching-no"),
                    (o.noloop, "noloop"),
                    (o.broken_redirect, "broken_redirect"),
                ] {
                    if set {
                        flags.push(name);
                    }
                }
            }
        }
        let redirect = tracking.map_or(-1, |o| o.redirect as i64);
        let prefixes = tracking.map_or(Vec::new(), |o| o.prefixes.clone());
        Reply::Map(vec![
            (Reply::bulk(b"flags"), Reply::Set(flags.into_iter().map(|f| Reply::bulk(f.as_bytes())).collect())),
            (Reply::bulk(b"redirect"), Reply::Int(redirect)),
            (Reply::bulk(b"prefixes"), Reply::Array(prefixes.into_iter().map(Reply::Bulk).collect())),
        ])
    }

    /// After `id` ran `cmd`: a read-only command's keys go into the tracking table (Redis's
    /// `trackingRememberKeys`), and a one-command CACHING flag is used up.
    pub(super) fn tracking_after_command(&mut self, id: ClientId, cmd: &Command, argv: &[&[u8]]) {
        let Some(client) = self.clients.get_mut(&id) else { return };
        let in_multi = client.multi.is_some();
        let Some(options) = client.tracking.as_mut() else { return };
        let caching = options.caching;
        // The flag lasts for one command, or for the whole transaction it was given in.
        if !in_multi && cmd.spec.name != "client|caching" {
            options.caching = None;
        }
        if cmd.spec.has(CmdFlag::Readonly) {
            self.tracking_remember_keys(id, cmd, argv, caching);
        }
    }

    /// Redis's `trackingRememberKeys`: `cmd`'s keys in `argv` go into the tracking table for
    /// `id`, as its options (BCAST, OPTIN/OPTOUT with the CACHING flag `caching`) allow.
    pub(super) fn tracking_remember_keys(
        &mut self,
        id: ClientId,
        cmd: &Command,
        argv: &[&[u8]],
        caching: Option<bool>,
    ) {
        let Some(options) = self.clients.get(&id).and_then(|c| c.tracking.as_ref()) else { return };
        if options.bcast {
            return;
        }
        if (options.optin && caching != Some(true)) || (options.optout && caching == Some(false)) {
            return;
        }
        let Ok(keys) = keys_of(cmd.spec, argv) else { return };
        for key in keys {
            if self.tracking.table.entry(argv[key.pos].to_vec()).or_default().insert(id) {
                self.tracking.items += 1;
            }
        }
    }

    /// A committed unit run by `caller` modified `key`: invalidates it for the clients that may
    /// cache it, and records it for BCAST prefixes (Redis's `trackingInvalidateKey`).
    pub(super) fn tracking_invalidate(&mut self, caller: Option<ClientId>, key: &[u8]) {
        if self.tracking.clients.is_empty() {
            return;
        }
        for (prefix, state) in self.tracking.prefixes.iter_mut() {
            // Once per key until sent, with its first changer (Redis's `raxTryInsert`): a unit
            // touches a key it creates twice (`new`, then its own event).
            if key.starts_with(prefix) && !state.changed.iter().any(|(k, _)| k == key) {
                state.changed.push((key.to_vec(), caller));
            }
        }
        let Some(holders) = self.tracking.table.remove(key) else { return };
        self.tracking.items -= holders.len();
        for holder in holders {
            let Some(options) = self.clients.get(&holder).and_then(|c| c.tracking.as_ref()) else { continue };
            if options.bcast || (options.noloop && Some(holder) == caller) {
                continue;
            }
            let keys = Some(vec![key.to_vec()]);
            if Some(holder) == caller {
                self.tracking.deferred.push((holder, keys));
            } else {
                self.send_tracking_message(holder, keys);
            }
        }
    }

    /// FLUSHDB/FLUSHALL: every tracking client gets a null invalidation, the table empties
    /// (Redis's `trackingInvalidateKeysOnFlush`).
    pub(super) fn tracking_flushed(&mut self, caller: Option<ClientId>) {
        let clients: Vec<ClientId> = self.tracking.clients.iter().copied().collect();
        for holder in clients {
            if Some(holder) == caller {
                self.tracking.deferred.push((holder, None));
            } else {
                self.send_tracking_message(holder, None);
            }
        }
        self.tracking.table.clear();
        self.tracking.items = 0;
    }

    /// Sends `id`'s deferred invalidations, after the reply it was running a command for.
    pub(super) fn tracking_send_deferred(&mut self, id: ClientId) {
        if self.tracking.deferred.is_empty() {
            return;
        }
        let (mine, others): (Vec<_>, Vec<_>) =
            std::mem::take(&mut self.tracking.deferred).into_iter().partition(|(t, _)| *t == id);
        self.tracking.deferred = others;
        for (target, keys) in mine {
            self.send_tracking_message(target, keys);
        }
    }

    /// End of an input: BCAST prefixes broadcast their changed keys, and the table is held to
    /// `tracking-table-max-keys`.
    pub(super) fn tracking_end_input(&mut self) {
        if self.tracking.clients.is_empty() {
            return;
        }
        let mut messages = Vec::new();
        for state in self.tracking.prefixes.values_mut() {
            if state.changed.is_empty() {
                continue;
            }
            let changed = std::mem::take(&mut state.changed);
            for &client in &state.clients {
                let noloop = self.clients.get(&client).and_then(|c| c.tracking.as_ref()).is_some_and(|o| o.noloop);
                let keys: Vec<Vec<u8>> =
                    changed.iter().filter(|(_, by)| !(noloop && *by == Some(client))).map(|(k, _)| k.clone()).collect();
                if !keys.is_empty() {
                    messages.push((client, keys));
                }
            }
        }
        for (client, keys) in messages {
            self.send_tracking_message(client, Some(keys));
        }
        let max = self.tracking.table_keys_max;
        let mut evicted = 0;
        while max > 0 && self.tracking.table.len() > max && evicted < EVICTIONS_PER_INPUT_MAX {
            let key = self.tracking.table.keys().next().expect("over the limit").clone();
            self.tracking_invalidate(None, &key);
            evicted += 1;
        }
    }

    /// Sends one invalidation message for `holder`'s tracking (Redis's `sendTrackingMessage`):
    /// to itself or its redirect, as a RESP3 push or a RESP2 `message`; `None` invalidates all.
    fn send_tracking_message(&mut self, holder: ClientId, keys: Option<Vec<Vec<u8>>>) {
        let Some(options) = self.clients.get(&holder).and_then(|c| c.tracking.as_ref()) else { return };
        let mut target = holder;
        if options.redirect != 0 && options.redirect != holder {
            if !self.clients.contains_key(&options.redirect) {
                let redirect = options.redirect;
                let client = self.clients.get_mut(&holder).expect("checked");
                let options = client.tracking.as_mut().expect("checked");
                if !options.broken_redirect {
                    options.broken_redirect = true;
                    if client.resp > 2 {
                        let push =
                            Reply::Push(vec![Reply::bulk(b"tracking-redir-broken"), Reply::Int(redirect as i64)]);
                        encode(&push, client.resp, &mut client.reply_buf);
                        self.pending_output.insert(holder);
                    }
                }
                return;
            }
            target = options.redirect;
        }
        let payload = keys.map_or(Reply::Null, |keys| Reply::Array(keys.into_iter().map(Reply::Bulk).collect()));
        let resp = self.clients[&target].resp;
        let message = if resp > 2 {
            Reply::Push(vec![Reply::bulk(b"invalidate"), payload])
        } else if self.clients[&target].subscriptions.channels.contains(INVALIDATE_CHANNEL) {
            Reply::Push(vec![Reply::bulk(b"message"), Reply::bulk(INVALIDATE_CHANNEL), payload])
        } else {
            // A RESP2 client that is not subscribed to the channel cannot receive it.
            return;
        };
        let client = self.clients.get_mut(&target).expect("checked");
        encode(&message, client.resp, &mut client.reply_buf);
        self.pending_output.insert(target);
    }
}
