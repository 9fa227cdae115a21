//! Secrets at rest. What the server must read back to call someone (a CRM's client secret, a bot
//! token, a channel's or webhook's signing secret) cannot be a digest, so it is sealed: XChaCha20-
//! Poly1305 under a server key kept outside the database, with the key's id stored beside each
//! value, so keys can be rotated without a flag day. A database dump alone holds none of them.
//!
//! A key file holds one key a line, `id:base64(32 bytes)`; the last line seals, every line opens.
//! Values stored before sealing existed (no `sealed:` prefix) are read as they are until
//! `omnipanel secrets rotate` seals them.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use crate::error::{DomainError, Result};

const PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 24;

/// The server's keys: the newest seals, all of them open.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: HashMap<String, XChaCha20Poly1305>,
    /// The key file's lines, to write it back with a new key.
    lines: Vec<String>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("keys", &self.keys.len())
            .finish()
    }
}

fn new_line() -> String {
    let key = XChaCha20Poly1305::generate_key(&mut OsRng);
    let id = crate::secret::generate_token("k")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect::<String>();
    format!("{id}:{}", STANDARD.encode(key))
}

impl Keyring {
    /// A keyring with one new key, kept in memory only (tests; a server without a key file).
    pub fn ephemeral() -> Self {
        Self::parse(&new_line()).expect("a fresh key parses")
    }

    fn parse(text: &str) -> Result<Self> {
        let bad = |why: &str| DomainError::Internal(format!("the secret key file {why}"));
        let mut keys = HashMap::new();
        let mut lines = Vec::new();
        let mut current = None;
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let (id, encoded) = line
                .split_once(':')
                .ok_or_else(|| bad("has a line without id:key"))?;
            let bytes = STANDARD
                .decode(encoded)
                .map_err(|_| bad("has a key that is not base64"))?;
            if bytes.len() != 32 || id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric())
            {
                return Err(bad(
                    "has a key that is not 32 bytes with an alphanumeric id",
                ));
            }
            keys.insert(
                id.to_owned(),
                XChaCha20Poly1305::new(Key::from_slice(&bytes)),
            );
            lines.push(line.to_owned());
            current = Some(id.to_owned());
        }
        let current = current.ok_or_else(|| bad("holds no key"))?;
        Ok(Self {
            current,
            keys,
            lines,
        })
    }

    /// The keys in `path`, the file created with a first key if it does not exist (readable by
    /// its owner only).
    pub fn load_or_create(path: &Path) -> Result<Self> {
        let io = |e: std::io::Error| {
            DomainError::Internal(format!("the secret key file {}: {e}", path.display()))
        };
        if !path.exists() {
            write_private(path, &format!("{}\n", new_line())).map_err(io)?;
        }
        Self::parse(&std::fs::read_to_string(path).map_err(io)?)
    }

    /// Adds a new key to `path` and returns the keyring with it as the sealing key.
    pub fn add_key(path: &Path) -> Result<Self> {
        let mut keyring = Self::load_or_create(path)?;
        keyring.lines.push(new_line());
        let text = keyring.lines.join("\n") + "\n";
        write_private(path, &text).map_err(|e| {
            DomainError::Internal(format!("the secret key file {}: {e}", path.display()))
        })?;
        keyring = Self::parse(&text)?;
        Ok(keyring)
    }

    /// `plain` sealed under the current key: `sealed:v1:<key id>:<base64(nonce ‖ ciphertext)>`.
    pub fn seal(&self, plain: &str) -> String {
        let cipher = &self.keys[&self.current];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = cipher
            .encrypt(&nonce, plain.as_bytes())
            .expect("XChaCha20-Poly1305 seals any length we store");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{PREFIX}{}:{}", self.current, STANDARD.encode(bytes))
    }

    /// The plain value of a stored one (a value from before sealing is returned as it is).
    pub fn open(&self, stored: &str) -> Result<String> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let unreadable = |why: &str| DomainError::Internal(format!("a sealed secret {why}"));
        let (id, encoded) = rest
            .split_once(':')
            .ok_or_else(|| unreadable("is malformed"))?;
        let cipher = self
            .keys
            .get(id)
            .ok_or_else(|| unreadable("was sealed under a key the key file no longer has"))?;
        let bytes = STANDARD
            .decode(encoded)
            .map_err(|_| unreadable("is malformed"))?;
        if bytes.len() < NONCE_BYTES {
            return Err(unreadable("is malformed"));
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let plain = cipher
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| unreadable("does not open: the key or the value was changed"))?;
        String::from_utf8(plain).map_err(|_| unreadable("is not text"))
    }

    /// Whether `stored` is sealed under the current key already.
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(id, _)| id == self.current)
    }

    /// The optional form of [`Keyring::open`].
    pub fn open_opt(&self, stored: Option<&str>) -> Result<Option<String>> {
        stored.map(|stored| self.open(stored)).transpose()
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_unchanged() {
        let keyring = Keyring::ephemeral();
        let sealed = keyring.seal("bot-token-123");
        assert!(sealed.starts_with("sealed:v1:") && !sealed.contains("bot-token-123"));
        assert_ne!(
            sealed,
            keyring.seal("bot-token-123"),
            "a fresh nonce each time"
        );
        assert_eq!(keyring.open(&sealed).unwrap(), "bot-token-123");
        assert_eq!(
            keyring.open("plain from before").unwrap(),
            "plain from before"
        );
        assert!(Keyring::ephemeral().open(&sealed).is_err(), "another key");
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(keyring.open(&tampered).is_err());
    }

    #[test]
    fn a_rotated_key_file_opens_old_values_and_seals_with_the_new_key() {
        let path = std::env::temp_dir().join(format!("omnipanel-keys-{}", uuid::Uuid::new_v4()));
        let first = Keyring::load_or_create(&path).unwrap();
        let old = first.seal("secret");
        let rotated = Keyring::add_key(&path).unwrap();
        assert_eq!(rotated.open(&old).unwrap(), "secret");
        assert!(!rotated.is_current(&old));
        assert!(rotated.is_current(&rotated.seal("secret")));
        assert_eq!(
            Keyring::load_or_create(&path).unwrap().current,
            rotated.current
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_file(path).unwrap();
    }
}
