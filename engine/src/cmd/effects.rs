//! What a command did besides its reply: the keys it modified and the keyspace events it raised,
//! recorded in order as the handler runs (Redis's `signalModifiedKey` and `notifyKeyspaceEvent`).
//!
//! One list serves every reader: WATCH invalidates on the modified keys, blocked clients wake on
//! them, client tracking invalidates them, and keyspace notifications publish the events. A
//! command records a key only when it really changed it, so a reader never sees a no-op as a
//! change (SADD of a present member touches nothing).
//!
//! The node collects the list with the rest of a command's effects (`Ctx::touches`); the engine
//! itself never reads it.

/// A class of keyspace events: one bit per letter of `notify-keyspace-events`, Redis's
/// `NOTIFY_*` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct NotifyClass(pub u16);

impl NotifyClass {
    /// `K`: publish on `__keyspace@<db>__:<key>`.
    pub const KEYSPACE: NotifyClass = NotifyClass(1 << 0);
    /// `E`: publish on `__keyevent@<db>__:<event>`.
    pub const KEYEVENT: NotifyClass = NotifyClass(1 << 1);
    /// `g`: generic commands (DEL, EXPIRE, RENAME...).
    pub const GENERIC: NotifyClass = NotifyClass(1 << 2);
    /// `$`: string commands.
    pub const STRING: NotifyClass = NotifyClass(1 << 3);
    /// `l`: list commands.
    pub const LIST: NotifyClass = NotifyClass(1 << 4);
    /// `s`: set commands.
    pub const SET: NotifyClass = NotifyClass(1 << 5);
    /// `h`: hash commands.
    pub const HASH: NotifyClass = NotifyClass(1 << 6);
    /// `z`: sorted set commands.
    pub const ZSET: NotifyClass = NotifyClass(1 << 7);
    /// `x`: a key expired.
    pub const EXPIRED: NotifyClass = NotifyClass(1 << 8);
    /// `e`: a key was evicted.
    pub const EVICTED: NotifyClass = NotifyClass(1 << 9);
    /// `t`: stream commands.
    pub const STREAM: NotifyClass = NotifyClass(1 << 10);
    /// `m`: a read found no key (not part of `A`).
    pub const KEY_MISS: NotifyClass = NotifyClass(1 << 11);
    /// `d`: module events (none here; accepted and reported like Redis).
    pub const MODULE: NotifyClass = NotifyClass(1 << 13);
    /// `n`: a key was created (not part of `A`).
    pub const NEW: NotifyClass = NotifyClass(1 << 14);
    /// `A`: alias for `g$lshzxetd`.
    pub const ALL: NotifyClass = NotifyClass(
        Self::GENERIC.0
            | Self::STRING.0
            | Self::LIST.0
            | Self::SET.0
            | Self::HASH.0
            | Self::ZSET.0
            | Self::EXPIRED.0
            | Self::EVICTED.0
            | Self::STREAM.0
            | Self::MODULE.0,
    );

    /// True when every bit of `other` is set here.
    pub fn contains(self, other: NotifyClass) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any bit of `other` is set here.
    pub fn intersects(self, other: NotifyClass) -> bool {
        self.0 & other.0 != 0
    }

    /// Parses `notify-keyspace-events` (Redis's `keyspaceEventsStringToFlags`): `None` on an
    /// unknown letter.
    pub fn parse(text: &[u8]) -> Option<NotifyClass> {
        let mut flags = 0u16;
        for &letter in text {
            flags |= match letter {
                b'A' => Self::ALL.0,
                b'g' => Self::GENERIC.0,
                b'$' => Self::STRING.0,
                b'l' => Self::LIST.0,
                b's' => Self::SET.0,
                b'h' => Self::HASH.0,
                b'z' => Self::ZSET.0,
                b'x' => Self::EXPIRED.0,
                b'e' => Self::EVICTED.0,
                b'K' => Self::KEYSPACE.0,
                b'E' => Self::KEYEVENT.0,
                b't' => Self::STREAM.0,
                b'm' => Self::KEY_MISS.0,
                b'd' => Self::MODULE.0,
                b'n' => Self::NEW.0,
                _ => return None,
            };
        }
        Some(NotifyClass(flags))
    }

    /// The flags as CONFIG GET prints them (Redis's `keyspaceEventsFlagsToString`): `A` stands
    /// for its whole set (and `n` is then not printed, as Redis does not), else each class letter;
    /// K, E and m always follow.
    pub fn format(self) -> String {
        let mut out = String::new();
        if self.contains(Self::ALL) {
            out.push('A');
        } else {
            for (class, letter) in [
                (Self::GENERIC, 'g'),
                (Self::STRING, '$'),
                (Self::LIST, 'l'),
                (Self::SET, 's'),
                (Self::HASH, 'h'),
                (Self::ZSET, 'z'),
                (Self::EXPIRED, 'x'),
                (Self::EVICTED, 'e'),
                (Self::STREAM, 't'),
                (Self::MODULE, 'd'),
                (Self::NEW, 'n'),
            ] {
                if self.contains(class) {
                    out.push(letter);
                }
            }
        }
        for (class, letter) in [(Self::KEYSPACE, 'K'), (Self::KEYEVENT, 'E'), (Self::KEY_MISS, 'm')] {
            if self.contains(class) {
                out.push(letter);
            }
        }
        out
    }
}

/// One entry of a command's touch list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touch {
    /// The database of the key.
    pub db: usize,
    /// The key.
    pub key: Vec<u8>,
    /// True when the key's value, TTL or existence changed (`signalModifiedKey`); false for an
    /// event that changes nothing (`keymiss`).
    pub modified: bool,
    /// The keyspace event raised, if any: its class and Redis's event name.
    pub event: Option<(NotifyClass, &'static str)>,
    /// Raised after the command's reply was built (`Ctx::reply_first`): a RESP3 client
    /// subscribed to its own command's events gets the push after the reply, as from Redis.
    pub after_reply: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_format_as_redis() {
        // Proves the letter rules of keyspaceEventsStringToFlags/FlagsToString: `A` covers
        // g$lshzxetd but not m and n, the order of the printed string is Redis's, and an unknown
        // letter is refused.
        let cases: &[(&str, &str)] = &[
            ("", ""),
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("g$lshzxetd", "A"),
            ("Kgh", "ghK"),
            ("Am", "Am"),
            ("nK", "nK"),
            ("AKEmn", "AKEm"),
        ];
        for (input, printed) in cases {
            let flags = NotifyClass::parse(input.as_bytes()).unwrap();
            assert_eq!(flags.format(), *printed, "{input}");
        }
        assert_eq!(NotifyClass::parse(b"Kq"), None);
        assert!(!NotifyClass::ALL.contains(NotifyClass::KEY_MISS));
        assert!(!NotifyClass::ALL.contains(NotifyClass::NEW));
    }
}
