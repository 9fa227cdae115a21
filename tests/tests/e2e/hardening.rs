//! Limits that protect the server: depth, complexity, body size, batch size, the test clock.

use omnipanel_domain::ports::Clock;
use omnipanel_tests::{
    Db, TestApp, error_code, error_field, on_both_databases, spawn_app_allowing, spawn_app_with,
};
use serde_json::json;

on_both_databases!(
    too_deep_or_too_complex_queries_are_refused,
    oversized_bodies_and_batches_are_refused,
    many_mutations_in_one_request_are_refused,
    nul_characters_in_graphql_are_refused,
);

async fn too_deep_or_too_complex_queries_are_refused(app: TestApp) {
    let org = app.create_org("Acme").await;
    let mut deep = String::from("id");
    for _ in 0..10 {
        deep = format!("queues {{ members {{ {deep} }} }}");
    }
    let body = app
        .gql(
            Some(&org.owner_token),
            &format!("{{ me {{ {deep} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep")
    );

    let wide: String = (0..2100).map(|i| format!("a{i}: id ")).collect();
    let body = app
        .gql(
            Some(&org.owner_token),
            &format!("{{ me {{ {wide} }} }}"),
            json!({}),
        )
        .await;
    assert!(body["data"].is_null(), "nothing is resolved");
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("too complex")
    );

    // Introspection stays available to developers.
    let schema = app
        .ok(
            None,
            "{ __schema { queryType { name } mutationType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(schema["__schema"]["queryType"]["name"], "Query");
}

async fn oversized_bodies_and_batches_are_refused(app: TestApp) {
    let huge = "x".repeat(100 * 1024);
    // A client of its own: the server answers 413 without reading the body and closes the
    // connection, which must not be pooled for the next requests.
    let oversize_client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let response = oversize_client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }", "variables": { "pad": huge } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);

    let batch: Vec<_> = (0..11)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "LIMIT_EXCEEDED");

    let batch: Vec<_> = (0..3)
        .map(|_| json!({ "query": "{ __typename }" }))
        .collect();
    let answers: serde_json::Value = app
        .client
        .post(app.url("/graphql"))
        .json(&batch)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answers.as_array().unwrap().len(), 3, "small batches work");
}

#[tokio::test]
async fn advance_clock_exists_only_on_test_clock_servers() {
    for (test_clock, expect_ok) in [(true, true), (false, false)] {
        let app = spawn_app_with(Db::Sqlite, test_clock).await;
        let org = app.create_org("Acme").await;
        let before = app.clock.now();
        let body = app
            .gql(
                Some(&org.owner_token),
                "mutation { advanceClock(input: { seconds: 60 }) { now } }",
                json!({}),
            )
            .await;
        if expect_ok {
            assert!(body["errors"].is_null(), "{body}");
            assert_eq!(app.clock.now() - before, chrono::Duration::seconds(60));
        } else {
            assert_eq!(error_code(&body), "VALIDATION", "{body}");
            assert_eq!(app.clock.now(), before);
        }
    }
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app_with(Db::Sqlite, false).await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let graphiql = app
        .client
        .get(app.url("/graphql"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        graphiql.contains("graphiql"),
        "GET /graphql serves GraphiQL to a browser"
    );
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "omnipanel_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("omnipanel_http_request_duration_seconds_bucket"));
}

async fn many_mutations_in_one_request_are_refused(app: TestApp) {
    let org = app.create_org("Acme").await;
    let activity = |count: usize| -> String {
        let fields: String = (0..count)
            .map(|i| format!("a{i}: reportActivity {{ operator {{ id }} }} "))
            .collect();
        format!("mutation {{ {fields} }}")
    };
    let refused = app
        .gql(Some(&org.owner_token), &activity(1000), json!({}))
        .await;
    assert_eq!(error_code(&refused), "LIMIT_EXCEEDED", "{refused}");
    assert!(refused["data"].is_null(), "none of them ran: {refused}");
    // Fragments count too.
    let fragments: String = (0..11).map(|i| format!("...F{i} ")).collect::<String>();
    let definitions: String = (0..11)
        .map(|i| {
            format!("fragment F{i} on Mutation {{ a{i}: reportActivity {{ operator {{ id }} }} }} ")
        })
        .collect();
    let refused = app
        .gql(
            Some(&org.owner_token),
            &format!("mutation {{ {fragments} }} {definitions}"),
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "LIMIT_EXCEEDED", "{refused}");
    // Up to the limit, they run.
    let ran = app
        .ok(Some(&org.owner_token), &activity(10), json!({}))
        .await;
    assert!(ran["a9"]["operator"]["id"].is_string(), "{ran}");
}

async fn nul_characters_in_graphql_are_refused(app: TestApp) {
    let org = app.create_org("Acme").await;
    let sign_in = "mutation($email: String!) { signIn(input: { email: $email, password: \"correct horse battery\" }) { token } }";
    let refused = app
        .gql(None, sign_in, json!({ "email": "owner\u{0}@acme.test" }))
        .await;
    assert_eq!(error_code(&refused), "VALIDATION", "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "email");
    // In a literal, nested in an input object.
    let refused = app
        .gql(
            Some(&org.owner_token),
            "mutation { createQueue(input: { name: \"Sales\\u0000\" }) { queue { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "VALIDATION", "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "input");
    let queues = app
        .ok(Some(&org.owner_token), "{ queues { id } }", json!({}))
        .await;
    assert_eq!(queues["queues"].as_array().unwrap().len(), 0, "{queues}");
}

#[tokio::test]
async fn private_upstreams_are_refused_unless_allowed() {
    let private = [
        "http://127.0.0.1:9/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://localhost:9/hook",
        "http://[::1]/hook",
        "http://10.0.0.5/hook",
        "http://[::ffff:192.168.1.1]/hook",
    ];
    let create_webhook = "mutation($url: String!) { createWebhook(input: { url: $url, events: [CHAT_CLOSED] }) { webhook { id } } }";
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app_allowing(db, true, false).await;
        let org = app.create_org("Acme").await;
        for url in private {
            let refused = app
                .gql(
                    Some(&org.owner_token),
                    create_webhook,
                    json!({ "url": url }),
                )
                .await;
            assert_eq!(error_code(&refused), "VALIDATION", "{url}: {refused}");
            assert_eq!(error_field(&refused), "url", "{url}");
        }
        let channel = app
            .gql(
                Some(&org.owner_token),
                "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }",
                json!({ "input": { "kind": "VIBER", "name": "Viber", "outboundUrl": "http://169.254.169.254/send" } }),
            )
            .await;
        assert_eq!(error_field(&channel), "outboundUrl", "{channel}");
        let crm = app
            .gql(
                Some(&org.owner_token),
                "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind } } }",
                json!({ "input": { "kind": "CREATIO", "baseUrl": "http://127.0.0.1:5000", "clientId": "c", "clientSecret": "s" } }),
            )
            .await;
        assert_eq!(error_field(&crm), "baseUrl", "{crm}");
        let listed = app
            .ok(
                Some(&org.owner_token),
                "{ webhooks { id } channels { id } }",
                json!({}),
            )
            .await;
        assert_eq!(
            listed,
            json!({ "webhooks": [], "channels": [] }),
            "nothing saved"
        );
        // A public address is fine.
        app.ok(
            Some(&org.owner_token),
            create_webhook,
            json!({ "url": "https://8.8.8.8/hook" }),
        )
        .await;

        // With the option, the same private address is accepted.
        let allowing = spawn_app_allowing(db, true, true).await;
        let org = allowing.create_org("Acme").await;
        allowing
            .ok(
                Some(&org.owner_token),
                create_webhook,
                json!({ "url": "http://127.0.0.1:9/hook" }),
            )
            .await;
    }
}
