//! Password hashing: argon2id with the crate's defaults (19 MiB, 2 passes, the
//! OWASP minimum), as self-describing PHC strings so parameters can be raised
//! later without breaking stored hashes. Hashing is deliberately slow, so it
//! runs on the blocking pool, never on the async workers, and at most
//! [`AT_ONCE`] at a time: each takes 19 MiB, and a burst of sign-ups or
//! sign-ins must queue, not take gigabytes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::OsRng;

use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Password hashes computed at once, at most.
pub const AT_ONCE: usize = 4;
static HASHING: Semaphore = Semaphore::const_new(AT_ONCE);

pub async fn hash(password: String) -> Result<String> {
    let _permit = HASHING.acquire().await.map_err(|e| Error::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Whether `password` matches `stored`. With no stored hash (unknown user,
/// or an account that signs in only through single sign-on, whose hash is
/// empty) it still does the same work, so response times do not reveal which
/// usernames exist, nor which have a password.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    let Ok(_permit) = HASHING.acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let stored = stored.filter(|stored| !stored.is_empty()).unwrap_or_else(|| DUMMY.to_string());
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        let matches = Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok();
        matches && stored != DUMMY
    })
    .await
    .unwrap_or(false)
}

/// A valid argon2id hash of a random password nobody knows.
const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$8QbYv0gqg7b7A1pQk0m3b1i0Yt7w0QqI2q8mQ0mQ3yU";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), Some(stored.clone())).await);
        assert!(!verify("wrong horse".into(), Some(stored)).await);
        assert!(!verify("anything".into(), None).await);
        assert!(!verify("".into(), Some(String::new())).await);
    }
}
