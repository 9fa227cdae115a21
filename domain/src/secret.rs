//! Tokens, keys and passwords. Passwords are stored as argon2id hashes; tokens and API keys are
//! long random strings of which only a SHA-256 digest is stored (they carry 256 bits of entropy,
//! so a fast hash is safe and makes the lookup an index probe).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::error::{DomainError, Result};

/// A new random secret: `prefix` followed by 32 random bytes in URL-safe base64.
pub fn generate_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The hex SHA-256 of a token, as stored.
pub fn token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| DomainError::Internal(format!("password hashing failed: {e}")))
}

/// Whether `password` matches the stored PHC hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the account does not exist, so that an unknown e-mail takes as
/// long to refuse as a wrong password (no account enumeration by timing).
pub fn dummy_password_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// Token prefixes: they make a leaked secret recognisable (and greppable by secret scanners).
pub mod prefix {
    pub const SESSION: &str = "ops_";
    pub const API_KEY: &str = "opk_";
    pub const INVITATION: &str = "opi_";
    /// A webhook's signing secret.
    pub const WEBHOOK_SECRET: &str = "whsec_";
    /// A messaging channel's secret.
    pub const CHANNEL_SECRET: &str = "chs_";
    /// A web chat visitor's conversation token.
    pub const VISITOR: &str = "opv_";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horsE", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
    }

    #[test]
    fn tokens_are_unique_and_digests_stable() {
        let a = generate_token(prefix::SESSION);
        let b = generate_token(prefix::SESSION);
        assert_ne!(a, b);
        assert!(a.starts_with("ops_") && a.len() > 40);
        assert_eq!(token_digest(&a), token_digest(&a));
        assert_eq!(token_digest(&a).len(), 64);
    }
}
