//! Bearer tokens kept in memory (`identity/credentials.rs`): a token seen lately costs no
//! statement, and whatever changes who it stands for takes effect at the next request, on this
//! instance and on the others.

use std::time::{Duration, Instant};

use omnipanel_tests::{Db, TestApp, error_code, on_both_databases, spawn_app};
use serde_json::{Value, json};

on_both_databases!(
    a_token_seen_lately_costs_no_statement,
    a_change_of_what_a_token_stands_for_counts_at_the_next_request
);

const ME: &str = "{ me { id role } }";

async fn a_token_seen_lately_costs_no_statement(app: TestApp) {
    app.keeping_tokens().await;
    let org = app.create_org("Acme").await;
    let (_, first) = app
        .count_queries(app.ok(Some(&org.owner_token), ME, json!({})))
        .await;
    let (_, again) = app
        .count_queries(app.ok(Some(&org.owner_token), ME, json!({})))
        .await;
    assert_eq!(again, first - 1, "the token is not read again");

    // Kept for a while, then read again.
    let cost = || async {
        app.count_queries(app.ok(Some(&org.owner_token), ME, json!({})))
            .await
            .1
    };
    app.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(cost().await, again, "still kept");
    app.clock.advance(chrono::Duration::seconds(6));
    assert_eq!(cost().await, first, "read again after HOLD");

    // A session's sliding expiry is still written, once a minute at most.
    app.clock.advance(chrono::Duration::seconds(61));
    assert_eq!(cost().await, first + 1, "read again, and its use written");
    assert_eq!(cost().await, again);

    // An expired session is refused, kept or not.
    app.clock.advance(chrono::Duration::hours(13));
    let expired = app.gql(Some(&org.owner_token), ME, json!({})).await;
    assert_eq!(error_code(&expired), "UNAUTHENTICATED", "{expired}");
}

async fn a_change_of_what_a_token_stands_for_counts_at_the_next_request(app: TestApp) {
    app.keeping_tokens().await;
    let org = app.create_org("Acme").await;
    let admin = &org.owner_token;
    let op = app.operator(admin, "OPERATOR").await;
    let overview = "{ liveOverview { at } }";
    let by_admin =
        |mutation: &'static str, id: &Value| app.ok(Some(admin), mutation, json!({ "id": id }));

    // Another role, at the next request.
    let refused = app.gql(Some(&op.token), overview, json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    by_admin(
        "mutation($id: ID!) { updateOperator(input: { id: $id, role: SUPERVISOR }) { operator { role } } }",
        &json!(op.id),
    )
    .await;
    let me = app.ok(Some(&op.token), ME, json!({})).await;
    assert_eq!(me["me"]["role"], "SUPERVISOR");
    app.ok(Some(&op.token), overview, json!({})).await;

    // A revoked key.
    let created = app
        .ok(
            Some(admin),
            "mutation { createApiKey(input: { scope: CHATBOT, name: \"bot\" }) { key apiKey { id } } }",
            json!({}),
        )
        .await;
    let key = created["createApiKey"]["key"].as_str().unwrap();
    let queues = "{ queues { id } }";
    app.ok(Some(key), queues, json!({})).await;
    by_admin(
        "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { id } } }",
        &created["createApiKey"]["apiKey"]["id"],
    )
    .await;
    let revoked = app.gql(Some(key), queues, json!({})).await;
    assert_eq!(error_code(&revoked), "UNAUTHENTICATED", "{revoked}");

    // A deactivated operator.
    by_admin(
        "mutation($id: ID!) { archiveOperator(input: { id: $id }) { operator { id } } }",
        &json!(op.id),
    )
    .await;
    let gone = app.gql(Some(&op.token), ME, json!({})).await;
    assert_eq!(error_code(&gone), "UNAUTHENTICATED", "{gone}");

    // A session signed out.
    app.ok(Some(admin), ME, json!({})).await;
    app.ok(Some(admin), "mutation { signOut { signedOut } }", json!({}))
        .await;
    let out = app.gql(Some(admin), ME, json!({})).await;
    assert_eq!(error_code(&out), "UNAUTHENTICATED", "{out}");
}

/// Two instances on one PostgreSQL database: a session signed out on one is refused by the
/// other, which had just answered it from memory. Neither clock moves, so only the change's
/// notice can make the other instance forget the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_refuses_a_token_signed_out_on_one() {
    let one = spawn_app(Db::Postgres).await;
    let other = one.another_instance().await;
    one.keeping_tokens().await;
    other.keeping_tokens().await;
    let org = one.create_org("Acme").await;
    let token = &org.owner_token;
    let (_, read) = other
        .count_queries(other.ok(Some(token), ME, json!({})))
        .await;
    let (_, kept) = other
        .count_queries(other.ok(Some(token), ME, json!({})))
        .await;
    assert_eq!(kept + 1, read, "the other instance keeps the token");

    one.ok(Some(token), "mutation { signOut { signedOut } }", json!({}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answer = other.gql(Some(token), ME, json!({})).await;
        if answer["errors"].is_array() {
            assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other instance still answers a signed-out token"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
