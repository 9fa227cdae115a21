//! The demo (`serve --demo`): seeded once, with a web chat channel routed to a queue of the demo
//! operators and a few days of closed history played through the real services; never seeded
//! into a database that holds another organization.

use omnipanel_domain::demo::{DEMO_OWNER_EMAIL, DEMO_PASSWORD};
use omnipanel_tests::{TestApp, on_both_databases};
use serde_json::json;

on_both_databases!(
    the_demo_is_seeded_once_with_history,
    the_demo_never_joins_other_organizations
);

async fn the_demo_is_seeded_once_with_history(app: TestApp) {
    let first = omnipanel_domain::demo::seed(&app.domain)
        .await
        .expect("the demo seeds");
    assert!(first.created);
    assert!(first.history_played >= 50, "{} chats", first.history_played);

    let owner = app.sign_in(DEMO_OWNER_EMAIL, DEMO_PASSWORD).await;
    let history = app
        .ok(
            Some(&owner),
            "{ chats(first: 100, filter: { status: COMPLETED }) { edges { node { rating closedAt queue { name } wrapUpReason { name } } } } }",
            json!({}),
        )
        .await;
    let closed = history["chats"]["edges"].as_array().unwrap();
    assert_eq!(closed.len(), first.history_played.min(100));
    assert!(
        closed
            .iter()
            .all(|c| c["node"]["queue"]["name"] == "General"
                && c["node"]["wrapUpReason"]["name"].is_string()
                && c["node"]["closedAt"].is_string())
    );
    // Everyone went home: the demo's operators start OFFLINE, with nothing left open.
    let floor = app
        .ok(
            Some(&owner),
            "{ operators { email status activeChatCount } }",
            json!({}),
        )
        .await;
    for op in floor["operators"].as_array().unwrap() {
        if op["email"] != DEMO_OWNER_EMAIL {
            assert_eq!(
                (op["status"].as_str(), op["activeChatCount"].as_i64()),
                (Some("OFFLINE"), Some(0)),
                "{op}"
            );
        }
    }

    // The web chat routes to the queue every demo operator belongs to.
    let lookup = app
        .ok(
            Some(&owner),
            "{ channels { id kind queueId } queues { id name } }",
            json!({}),
        )
        .await;
    let general = lookup["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["name"] == "General")
        .unwrap()["id"]
        .clone();
    assert_eq!(
        lookup["channels"],
        json!([{ "id": first.webchat_channel_id.to_string(), "kind": "WEBCHAT", "queueId": general }])
    );

    // Seeding again finds everything and adds nothing.
    let again = omnipanel_domain::demo::seed(&app.domain)
        .await
        .expect("the demo seeds again");
    assert!(!again.created);
    assert_eq!(again.history_played, 0);
    assert_eq!(again.organization_id, first.organization_id);
    assert_eq!(again.webchat_channel_id, first.webchat_channel_id);
    let count = app
        .ok(
            Some(&owner),
            "{ chats(first: 100, filter: { status: COMPLETED }) { edges { node { id } } } }",
            json!({}),
        )
        .await["chats"]["edges"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(count, closed.len());
}

async fn the_demo_never_joins_other_organizations(app: TestApp) {
    app.create_org("Acme").await;
    let refused = omnipanel_domain::demo::seed(&app.domain)
        .await
        .err()
        .expect("refused");
    assert_eq!(refused.code(), "CONFLICT");
    assert!(
        refused.to_string().contains("database of its own"),
        "{refused}"
    );
    assert!(
        app.gql(
            None,
            "mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { token } }",
            json!({ "e": DEMO_OWNER_EMAIL, "p": DEMO_PASSWORD }),
        )
        .await["errors"]
            .is_array(),
        "no demo account was made"
    );
}
