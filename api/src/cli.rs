//! The `omnipanel` command line: serve, migrate, schema, org create, api-key create.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use omnipanel_domain::identity::{CreateApiKeyInput, CreateOrganization};
use omnipanel_domain::ids::OrganizationId;
use omnipanel_domain::ports::{ManualClock, SystemClock};
use omnipanel_domain::store::connect;
use omnipanel_domain::{Domain, DomainConfig, DomainError};
use omnipanel_migrations::{Migrator, MigratorTrait};
use sea_orm::DatabaseConnection;

use crate::app::{App, AppConfig, TimeSource, TimerSweep};
use crate::config::{
    ApiKeyCommand, Cli, Command, OrgCommand, SecretsCommand, ServeArgs, redact_url,
};
use omnipanel_domain::sealing::Keyring;

/// Runs the command line and returns the process's exit code.
pub async fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(cli.log_format, cli.log_spans);
    match execute(cli.command).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command) -> Result<(), String> {
    match command {
        Command::Serve(args) => serve(args).await,
        Command::Migrate(args) => {
            open(&args.database_url).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
        Command::Org {
            command: OrgCommand::Create(args),
        } => {
            let domain = command_domain(open(&args.database.database_url).await?);
            let created = domain
                .identity()
                .create_organization(CreateOrganization {
                    name: args.name,
                    owner_email: args.owner_email,
                    owner_password: args.owner_password,
                    owner_first_name: args.owner_first_name,
                    owner_last_name: args.owner_last_name,
                })
                .await
                .map_err(describe)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&created).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        Command::ApiKey {
            command: ApiKeyCommand::Create(args),
        } => {
            let organization_id: OrganizationId = args
                .org
                .parse()
                .map_err(|_| format!("--org: `{}` is not an organization id", args.org))?;
            let domain = command_domain(open(&args.database.database_url).await?);
            let created = domain
                .identity()
                .insert_api_key(
                    organization_id,
                    CreateApiKeyInput {
                        scope: args.scope.into(),
                        name: args.name,
                    },
                    None,
                )
                .await
                .map_err(describe)?;
            println!("{}", created.key);
            Ok(())
        }
        Command::Secrets {
            command: SecretsCommand::Rotate(args),
        } => {
            let db = open(&args.database.database_url).await?;
            let key_file = args.key.path(&args.database.database_url);
            let keyring = Keyring::add_key(&key_file).map_err(describe)?;
            let domain = command_domain(db).with_keyring(keyring);
            let sealed = domain.reseal_secrets().await.map_err(describe)?;
            println!(
                "{sealed} secrets sealed under the new key in {}; restart every server with it",
                key_file.display()
            );
            Ok(())
        }
    }
}

fn describe(error: DomainError) -> String {
    match &error {
        DomainError::Validation { field, message } => format!("{field}: {message}"),
        _ => error.to_string(),
    }
}

/// The domain a one-off command works on: the system clock and the default settings.
fn command_domain(db: DatabaseConnection) -> Domain {
    Domain::new(db, Arc::new(SystemClock), DomainConfig::default())
}

/// Connects and brings the schema up to date.
pub async fn open(database_url: &str) -> Result<DatabaseConnection, String> {
    let db = connect(database_url)
        .await
        .map_err(|e| format!("cannot open the database {}: {e}", redact_url(database_url)))?;
    Migrator::up(&db, None)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    Ok(db)
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    tracing::info!(database = %redact_url(&args.database.database_url), listen = %args.listen, "starting");
    let db = open(&args.database.database_url).await?;
    let key_file = args.key.path(&args.database.database_url);
    let keyring = Keyring::load_or_create(&key_file).map_err(describe)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let public_url = match &args.public_url {
        Some(url) => url.clone(),
        None => url::Url::parse(&format!("http://{bound}")).map_err(|e| e.to_string())?,
    };
    let config = AppConfig {
        public_url,
        session_ttl: chrono::Duration::hours(i64::from(args.session_ttl_hours)),
        max_body_bytes: args.max_body_bytes,
        files_dir: args.files_dir.clone(),
        upstream: omnipanel_integrations::HttpPolicy {
            timeout: std::time::Duration::from_secs(args.upstream_timeout_secs),
            allow_private: args.allow_private_upstreams,
            ..Default::default()
        },
        time: if args.test_clock {
            TimeSource::Manual(Arc::new(ManualClock::new()))
        } else {
            TimeSource::System
        },
        timers: if args.test_clock {
            TimerSweep::WhenAdvanced
        } else {
            TimerSweep::Every(std::time::Duration::from_secs(1))
        },
        demo: args.demo,
        trusted_proxies: args.trusted_proxies.clone(),
        keyring,
    };
    let mut app = App::build(config, db).await.map_err(describe)?;
    let demo = app.demo.take();
    let (addr, server) = app
        .serve(listener, shutdown_signal())
        .map_err(|e| format!("cannot serve on {bound}: {e}"))?;
    println!("Omnipanel listening on http://{addr} (GraphiQL at http://{addr}/graphql)");
    if let Some(demo) = &demo {
        print_demo(demo, &format!("http://{addr}"));
    }
    tracing::info!(%addr, "listening");
    server.await.map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(())
}

/// What a newcomer needs to try the demo: the accounts and the three pages.
fn print_demo(demo: &omnipanel_domain::demo::Demo, base: &str) {
    println!(
        "\nDemo organization {} ({}). Every account's password is `{}`:",
        demo.organization_id,
        if demo.created {
            "created"
        } else {
            "already there"
        },
        demo.password
    );
    for account in &demo.accounts {
        println!("  {:<40} {}", account.email, account.role.as_str());
    }
    if demo.history_played > 0 {
        println!(
            "Played {} closed chats of history over the last days.",
            demo.history_played
        );
    }
    println!("\nTry it:");
    println!(
        "  the operator panel  {base}/widget/?organization={}",
        demo.organization_id
    );
    println!(
        "  a customer's chat   {base}/webchat/{}",
        demo.webchat_channel_id
    );
    println!("  GraphiQL            {base}/graphql");
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
