//! Personal access tokens: generated here, shown once, stored only as a SHA-256 hash. The
//! secrets are 256 random bits from the operating system, so a fast hash is enough: there is
//! nothing to brute-force.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::DirectoryError;

/// Every token starts with this, so secret scanners and people can tell what it is.
pub const TOKEN_PREFIX: &str = "roster_pat_";

/// A fresh secret: the prefix and 32 bytes (64 hex digits) from the OS's random source. A
/// v4 UUID would give only 122 random bits of its 128.
pub fn new_secret() -> Result<String, DirectoryError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        DirectoryError::Internal(format!(
            "the operating system's random source failed, so no token was made: {e}"
        ))
    })?;
    Ok(format!("{TOKEN_PREFIX}{}", hex::encode(bytes)))
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
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(hash_secret(&a).len(), 64);
    }

    #[test]
    fn secrets_carry_256_random_bits() {
        // Every one of the 64 hex digits varies: a UUID-built secret has fixed version and
        // variant digits at the same places in every token.
        let secrets: Vec<String> = (0..64).map(|_| new_secret().unwrap()).collect();
        for position in TOKEN_PREFIX.len()..TOKEN_PREFIX.len() + 64 {
            let first = secrets[0].as_bytes()[position];
            assert!(
                secrets.iter().any(|s| s.as_bytes()[position] != first),
                "digit {position} is the same in 64 secrets"
            );
        }
    }
}
