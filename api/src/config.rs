//! Configuration: command-line flags, each also read from an `OMNIPANEL_*` environment variable,
//! over built-in defaults. Secrets are redacted wherever configuration is printed or logged.

use std::fmt;
use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use omnipanel_domain::enums::ApiKeyScope;

/// Omnipanel: omnichannel customer chats inside the CRM.
#[derive(Debug, Parser)]
#[command(name = "omnipanel", version, about)]
pub struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "OMNIPANEL_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Log every span's duration as it closes: with `OMNIPANEL_LOG=info,omnipanel_domain=debug,
    /// omnipanel_integrations=debug`, each service call and outbound call of a slow request.
    #[arg(long, env = "OMNIPANEL_LOG_SPANS", global = true)]
    pub log_spans: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, then serve the API and the panel.
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate(DatabaseArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage API keys.
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Manage the key that seals stored secrets.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Add a new key to the key file and seal every stored secret under it (the old keys stay
    /// in the file, so servers not yet restarted still read what they read before).
    Rotate(SecretsArgs),
}

#[derive(Clone, Debug, Args)]
pub struct SecretsArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub key: SecretKeyArgs,
}

#[derive(Clone, Debug, Args)]
pub struct SecretKeyArgs {
    /// The file of keys that seal stored secrets (CRM client secrets, bot tokens, signing
    /// secrets); created with a first key if missing. Default: beside the SQLite file
    /// (`omnipanel.db.key`), or `data/secret.key` with PostgreSQL. Every instance sharing a
    /// database needs the same file.
    #[arg(long, env = "OMNIPANEL_SECRET_KEY_FILE")]
    pub secret_key_file: Option<std::path::PathBuf>,
}

impl SecretKeyArgs {
    /// The key file for `database_url`.
    pub fn path(&self, database_url: &str) -> std::path::PathBuf {
        if let Some(path) = &self.secret_key_file {
            return path.clone();
        }
        match database_url
            .strip_prefix("sqlite://")
            .or_else(|| database_url.strip_prefix("sqlite:"))
        {
            Some(file) => {
                let file = file.split('?').next().unwrap_or(file);
                std::path::PathBuf::from(format!("{file}.key"))
            }
            None => std::path::PathBuf::from("data/secret.key"),
        }
    }
}

#[derive(Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://omnipanel.db` (embedded, the default) or `postgres://user:pass@host/db`.
    #[arg(
        long,
        env = "OMNIPANEL_DATABASE_URL",
        default_value = "sqlite://omnipanel.db",
        hide_env_values = true
    )]
    pub database_url: String,
}

impl fmt::Debug for DatabaseArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseArgs")
            .field("database_url", &redact_url(&self.database_url))
            .finish()
    }
}

#[derive(Clone, Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "OMNIPANEL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub key: SecretKeyArgs,
    /// The address users reach this server at (invitation links, OAuth redirects).
    #[arg(long, env = "OMNIPANEL_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Seed a demo organization and print how to sign in.
    #[arg(long, env = "OMNIPANEL_DEMO")]
    pub demo: bool,
    /// For end-to-end tests only: a manual clock and the admin-only `advanceClock` mutation.
    #[arg(long, env = "OMNIPANEL_TEST_CLOCK")]
    pub test_clock: bool,
    /// Hours an unused session stays valid.
    #[arg(long, env = "OMNIPANEL_SESSION_TTL_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=720))]
    pub session_ttl_hours: u32,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "OMNIPANEL_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// The folder files are kept in (uploads and files customers send).
    #[arg(long, env = "OMNIPANEL_FILES_DIR", default_value = "data/files")]
    pub files_dir: std::path::PathBuf,
    /// Seconds one call to a CRM or a channel may take before it fails as `UPSTREAM`.
    #[arg(long, env = "OMNIPANEL_UPSTREAM_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub upstream_timeout_secs: u64,
    /// Let webhooks, channels and CRMs point at loopback, private and link-local addresses
    /// (an on-premise CRM, a test's fakes); refused by default, when saved and when called.
    #[arg(long, env = "OMNIPANEL_ALLOW_PRIVATE_UPSTREAMS")]
    pub allow_private_upstreams: bool,
    /// Reverse proxies (addresses or networks, comma-separated) whose `X-Forwarded-For` names
    /// the client, for sign-in throttling per address; none by default.
    #[arg(long, env = "OMNIPANEL_TRUSTED_PROXIES", value_delimiter = ',', value_parser = crate::http::client_address::parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization and its owner; prints JSON with both ids.
    Create(OrgCreateArgs),
}

#[derive(Clone, Args)]
pub struct OrgCreateArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub owner_email: String,
    /// At least 8 characters.
    #[arg(long, env = "OMNIPANEL_OWNER_PASSWORD", hide_env_values = true)]
    pub owner_password: String,
    #[arg(long, default_value = "Owner")]
    pub owner_first_name: String,
    #[arg(long, default_value = "Account")]
    pub owner_last_name: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

impl fmt::Debug for OrgCreateArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrgCreateArgs")
            .field("name", &self.name)
            .field("owner_email", &self.owner_email)
            .field("owner_password", &"<redacted>")
            .field("database", &self.database)
            .finish()
    }
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key; prints it once.
    Create(ApiKeyCreateArgs),
}

#[derive(Clone, Debug, Args)]
pub struct ApiKeyCreateArgs {
    /// The organization's id.
    #[arg(long)]
    pub org: String,
    #[arg(long, value_enum)]
    pub scope: ScopeArg,
    /// A label for the key.
    #[arg(long, default_value = "Created from the command line")]
    pub name: String,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ScopeArg {
    Chatbot,
    Crm,
    Admin,
}

impl From<ScopeArg> for ApiKeyScope {
    fn from(value: ScopeArg) -> Self {
        match value {
            ScopeArg::Chatbot => ApiKeyScope::Chatbot,
            ScopeArg::Crm => ApiKeyScope::Crm,
            ScopeArg::Admin => ApiKeyScope::Admin,
        }
    }
}

/// A database URL with its password replaced, fit for logs.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://omni:s3cret@db:5432/omni"),
            "postgres://omni:redacted@db:5432/omni"
        );
        assert_eq!(redact_url("sqlite://omnipanel.db"), "sqlite://omnipanel.db");
        let args = DatabaseArgs {
            database_url: "postgres://u:hunter2@h/d".into(),
        };
        assert!(!format!("{args:?}").contains("hunter2"));
    }
}
