//! Bearer secrets (share-link tokens, API tokens): 256 random bits from the OS,
//! shown once, stored only as their SHA-256. A database leak then reveals no
//! usable token, and lookups by hash need no slow hashing because the secrets
//! are random, not chosen by people.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

/// A new secret: a prefix saying what it is, then 64 hex digits.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// What is stored and looked up instead of the secret.
pub fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether a string could be one of our secrets (checked before any lookup).
pub fn looks_valid(prefix: &str, candidate: &str) -> bool {
    candidate.strip_prefix(prefix).is_some_and(|rest| rest.len() == 64 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_only_their_digest_matches() {
        let a = generate("qs_");
        let b = generate("qs_");
        assert_ne!(a, b);
        assert!(looks_valid("qs_", &a));
        assert!(!looks_valid("qt_", &a));
        assert!(!looks_valid("qs_", "qs_../../etc"));
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
    }
}
