//! Personal access tokens: generated here, shown once, stored only as a SHA-256 hash. The
//! secrets are 256 random bits, so a fast hash is enough: there is nothing to brute-force.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Every token starts with this, so secret scanners and people can tell what it is.
pub const TOKEN_PREFIX: &str = "roster_pat_";

/// A fresh secret: the prefix and 64 hex digits from the OS's random source.
pub fn new_secret() -> String {
    let a = Uuid::new_v4();
    let b = Uuid::new_v4();
    format!(
        "{TOKEN_PREFIX}{}{}",
        hex::encode(a.as_bytes()),
        hex::encode(b.as_bytes())
    )
}

/// A fresh public token id (shown in listings and the audit log, never a secret).
pub fn new_token_id() -> String {
    let id = Uuid::new_v4();
    format!("tok_{}", &hex::encode(id.as_bytes())[..16])
}

/// The stored form of a secret.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_hash_stably() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
