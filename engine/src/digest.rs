//! DEBUG DIGEST and DIGEST-VALUE: Redis's dataset digest (`debug.c`, `computeDatasetDigest`,
//! `xorObjectDigest`), so the same content gives the same 40 hex digits on verdis and on Redis —
//! the check Redis's own test suite and replication tests compare servers with.
//!
//! Two mixing steps over SHA-1: `xor` folds SHA1(data) into a digest (order does not matter:
//! set members, hash fields, keys), `mix` does that and then replaces the digest with its own
//! SHA-1 (order matters: list elements, a key's name then its value). Each key's digest is
//! `mix(key)`, then `mix(type as big-endian u32)`, then the value, then `xor("!!expire!!")` when
//! it has a time to live; the dataset's is, per non-empty database, `mix(db index)` and the xor
//! of its keys' digests. Integers and scores enter as the text Redis prints for them.

use crate::db::{Db, Keyspace};
use crate::num::format_double_17g;
use crate::sha1::sha1;
use crate::types::stream::StreamId;
use crate::value::Value;

/// A digest being built: 20 bytes, all zero to start.
pub type Digest = [u8; 20];

/// Redis's `xorDigest`: digest ^= SHA1(data).
fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// Redis's `mixDigest`: digest = SHA1(digest ^ SHA1(data)).
fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    *digest = sha1(digest);
}

/// Redis's object type codes (`OBJ_STRING`...), mixed into every key's digest.
fn type_code(value: &Value) -> u32 {
    match value {
        Value::Str(_) => 0,
        Value::List(_) => 1,
        Value::Set(_) => 2,
        Value::Zset(_) => 3,
        Value::Hash(_) => 4,
        Value::Stream(_) => 6,
    }
}

/// Redis's `xorObjectDigest`: folds `key`'s value (and whether it expires) into `digest`.
fn value_digest(db: &Db, key: &[u8], value: &Value, digest: &mut Digest) {
    mix(digest, &type_code(value).to_be_bytes());
    match value {
        Value::Str(s) => mix(digest, &s.to_bytes()),
        Value::List(list) => list.iter().for_each(|e| mix(digest, e)),
        Value::Set(set) => set.iter().for_each(|m| xor(digest, &m)),
        Value::Zset(zset) => {
            for (member, score) in zset.iter() {
                let mut element = [0u8; 20];
                mix(&mut element, member);
                let mut text = [0u8; 32];
                mix(&mut element, format_double_17g(score, &mut text));
                xor(digest, &element);
            }
        }
        Value::Hash(hash) => {
            for (field, value) in hash.iter() {
                let mut element = [0u8; 20];
                mix(&mut element, field);
                mix(&mut element, value);
                xor(digest, &element);
            }
        }
        // Each entry's ID as `ms.seq`, then its fields and values, in order; groups do not count.
        Value::Stream(stream) => {
            for entry in stream.range(StreamId::MIN, StreamId::MAX, false) {
                mix(digest, format!("{}.{}", entry.id.ms, entry.id.seq).as_bytes());
                for (field, value) in &entry.fields {
                    mix(digest, &field.to_vec());
                    mix(digest, &value.to_vec());
                }
            }
        }
    }
    if db.expire_at(key).is_some() {
        xor(digest, b"!!expire!!");
    }
}

/// DEBUG DIGEST: the digest of every database (all zero when the dataset is empty).
pub fn dataset_digest(keyspace: &Keyspace) -> Digest {
    let mut out = [0u8; 20];
    for (index, db) in keyspace.dbs.iter().enumerate().filter(|(_, db)| !db.is_empty()) {
        mix(&mut out, &(index as u32).to_be_bytes());
        for (key, object) in db.keys().iter() {
            let mut digest = [0u8; 20];
            mix(&mut digest, key);
            value_digest(db, key, &object.value, &mut digest);
            xor(&mut out, &digest);
        }
    }
    out
}

/// DEBUG DIGEST-VALUE's digest of one key's value (all zero for a missing key).
pub fn key_value_digest(db: &Db, key: &[u8]) -> Digest {
    let mut digest = [0u8; 20];
    if let Some(object) = db.get(key) {
        value_digest(db, key, &object.value, &mut digest);
    }
    digest
}

/// The digest as Redis prints it: 40 lowercase hex digits.
pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
