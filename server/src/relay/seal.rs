//! Relay envelopes signed with a secret the instances share
//! (`QUIRE_RELAY_SECRET`): HMAC-SHA256 over the whole envelope, appended.
//! Any client of the same Redis can publish on Quire's channels; without the
//! secret what it publishes — updates, presence, throttle events — is
//! dropped before it is decoded. Without a secret configured, envelopes go
//! as they are (Redis must then be reachable by Quire alone).

use bytes::{BufMut, Bytes, BytesMut};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const TAG_LEN: usize = 32;

#[derive(Clone)]
pub struct Seal {
    key: Option<Hmac<Sha256>>,
}

impl Seal {
    /// A seal with `secret`, or one that leaves envelopes as they are.
    pub fn new(secret: Option<&str>) -> Self {
        let key = secret
            .filter(|secret| !secret.is_empty())
            .map(|secret| Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length"));
        Seal { key }
    }

    /// The envelope with its tag.
    pub fn seal(&self, envelope: Bytes) -> Bytes {
        let Some(key) = &self.key else { return envelope };
        let mut mac = key.clone();
        mac.update(&envelope);
        let mut out = BytesMut::with_capacity(envelope.len() + TAG_LEN);
        out.put_slice(&envelope);
        out.put_slice(&mac.finalize().into_bytes());
        out.freeze()
    }

    /// The envelope, if its tag is right (compared in constant time).
    pub fn open<'a>(&self, sealed: &'a [u8]) -> Option<&'a [u8]> {
        let Some(key) = &self.key else { return Some(sealed) };
        let split = sealed.len().checked_sub(TAG_LEN)?;
        let (envelope, tag) = sealed.split_at(split);
        let mut mac = key.clone();
        mac.update(envelope);
        mac.verify_slice(tag).ok().map(|()| envelope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_secret_opens_an_envelope() {
        let ours = Seal::new(Some("s3cret"));
        let sealed = ours.seal(Bytes::from_static(b"envelope"));
        assert_eq!(ours.open(&sealed), Some(&b"envelope"[..]));
        assert_eq!(Seal::new(Some("guess")).open(&sealed), None);
        let mut tampered = sealed.to_vec();
        tampered[0] ^= 1;
        assert_eq!(ours.open(&tampered), None);
        assert_eq!(ours.open(b"envelope"), None, "unsigned");
        assert_eq!(ours.open(b""), None);
        let open = Seal::new(None);
        assert_eq!(open.open(b"envelope"), Some(&b"envelope"[..]));
        assert_eq!(&open.seal(Bytes::from_static(b"x"))[..], b"x");
    }
}
