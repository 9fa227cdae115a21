//! Secrets at rest: what the server must read back (a CRM's client secret, a bot token, channel
//! and webhook signing secrets) is sealed under the server's key, so the database holds none in
//! clear, on disk or in a dump; rotation seals them under a new key and they still read the same.

use omnipanel_domain::Domain;
use omnipanel_domain::actor::{Actor, Principal};
use omnipanel_domain::enums::ApiKeyScope;
use omnipanel_domain::ids::{ApiKeyId, ChannelId, OrganizationId, WebhookId};
use omnipanel_domain::sealing::Keyring;
use omnipanel_tests::{TestApp, on_both_databases};
use serde_json::json;

on_both_databases!(no_secret_is_stored_in_clear_and_rotation_keeps_them,);

const BOT_TOKEN: &str = "123456789:AAEhBP0av28mWeYq4N5r2J3c-dZ_clear";
const CLIENT_SECRET: &str = "creatio-client-secret-in-clear";

/// Everything the database holds, as bytes: `pg_dump`, or the SQLite file with its WAL.
fn dump(app: &TestApp) -> String {
    match app.database_url.strip_prefix("sqlite://") {
        Some(path) => {
            let mut bytes = std::fs::read(path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            String::from_utf8_lossy(&bytes).into_owned()
        }
        None => {
            let out = std::process::Command::new("pg_dump")
                .args(["--data-only", &app.database_url])
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        }
    }
}

async fn no_secret_is_stored_in_clear_and_rotation_keeps_them(app: TestApp) {
    let d = app.desk("Acme").await;
    let owner = &d.org.owner_token;
    let bot = omnipanel_tests::fake_telegram::FakeTelegram::start().await;
    let telegram = app
        .ok(
            Some(owner),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } secret } }",
            json!({ "input": { "kind": "TELEGRAM", "name": "Bot", "botToken": BOT_TOKEN, "apiBaseUrl": bot.url() } }),
        )
        .await["createChannel"]
        .clone();
    let viber = app
        .ok(
            Some(owner),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } secret } }",
            json!({ "input": { "kind": "VIBER", "name": "Viber", "outboundUrl": "http://127.0.0.1:9/out" } }),
        )
        .await["createChannel"]
        .clone();
    let webhook = app
        .ok(
            Some(owner),
            "mutation { createWebhook(input: { url: \"http://127.0.0.1:9/hook\", events: [CHAT_CLOSED] }) { webhook { id } secret } }",
            json!({}),
        )
        .await["createWebhook"]
        .clone();
    app.ok(
        Some(owner),
        "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind } } }",
        json!({ "input": { "kind": "CREATIO", "baseUrl": "http://127.0.0.1:9", "clientId": "c", "clientSecret": CLIENT_SECRET } }),
    )
    .await;
    let signing = viber["secret"].as_str().unwrap().to_owned();
    let hook_secret = webhook["secret"].as_str().unwrap().to_owned();

    let held = dump(&app);
    assert!(held.contains("sealed:v1:"), "the dump is read");
    for secret in [BOT_TOKEN, CLIENT_SECRET, &signing, &hook_secret] {
        assert!(!held.contains(secret), "{secret} is stored in clear");
    }

    // Rotation: a new key in the file, every secret sealed under it, each reads the same.
    let rotated = Keyring::add_key(&app.key_file).unwrap();
    let domain = Domain::new(
        app.domain.db.clone(),
        app.domain.clock.clone(),
        Default::default(),
    )
    .with_keyring(rotated.clone());
    assert_eq!(domain.reseal_secrets().await.unwrap(), 4);
    assert_eq!(
        domain.reseal_secrets().await.unwrap(),
        0,
        "nothing left to seal"
    );
    let channel_id = |v: &serde_json::Value| -> ChannelId {
        v["channel"]["id"].as_str().unwrap().parse().unwrap()
    };
    let bot = domain
        .channels()
        .channel_by_id(channel_id(&telegram))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        omnipanel_domain::channels::credentials_of(&bot)
            .bot_token
            .as_deref(),
        Some(BOT_TOKEN)
    );
    let generic = domain
        .channels()
        .channel_by_id(channel_id(&viber))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        omnipanel_domain::channels::credentials_of(&generic)
            .signing_secret
            .as_deref(),
        Some(signing.as_str())
    );
    let hook: WebhookId = webhook["webhook"]["id"].as_str().unwrap().parse().unwrap();
    let hook = domain
        .deliveries()
        .webhook_for_delivery(hook)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(hook.secret, hook_secret);
    let admin = Actor {
        organization_id: d.org.id.parse::<OrganizationId>().unwrap(),
        principal: Principal::ApiKey {
            id: ApiKeyId::new(),
            scope: ApiKeyScope::Admin,
        },
    };
    let crm = domain.crm().crm_connection(&admin).await.unwrap();
    assert_eq!(crm.client_secret.as_deref(), Some(CLIENT_SECRET));
    // Under the old key alone, the new values no longer open: they really were sealed anew.
    let old = domain.with_keyring(Keyring::ephemeral());
    assert!(old.crm().crm_connection(&admin).await.is_err());
    for secret in [BOT_TOKEN, CLIENT_SECRET, &signing, &hook_secret] {
        assert!(!dump(&app).contains(secret));
    }
}
