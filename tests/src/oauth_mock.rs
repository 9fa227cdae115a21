//! An OAuth 2.0 / OpenID Connect server that nobody here wrote: `oauth2-mock-server` from the
//! npm registry, started by `tests/oauth-mock/server.mjs` with Creatio's identity-service paths.
//! It checks PKCE verifiers against their challenges. `.ci/run` installs it (`npm ci`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running identity service; stopped when dropped.
pub struct OAuthMock {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    child: Child,
}

impl OAuthMock {
    /// Starts the server; its `userinfo` names the user `johndoe` with `email`.
    pub fn start(email: &str) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oauth-mock");
        assert!(
            dir.join("node_modules/oauth2-mock-server").exists(),
            "run `npm ci` in {} first (.ci/run does)",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("OAUTH_MOCK_EMAIL", email)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the server prints its address");
        let started: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("unexpected output: {line}"));
        Self {
            url: started["url"].as_str().expect("a url").to_owned(),
            child,
        }
    }
}

impl Drop for OAuthMock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
