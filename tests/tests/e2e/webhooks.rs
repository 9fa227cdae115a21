//! Webhooks for CRM business processes (H4) and the customer's rating (G1): chat events are
//! delivered signed, in order, retried after a failing receiver comes back, given up visibly,
//! and logged once per event; ratings keep their rules.

use hmac::{Hmac, Mac};
use omnipanel_tests::fake_receiver::{FakeReceiver, Recorded};
use omnipanel_tests::{Op, Org, TestApp, error_code, error_field, eventually, on_both_databases};
use serde_json::{Value, json};
use sha2::Sha256;

on_both_databases!(
    chat_events_reach_webhooks_signed_in_order_and_once,
    a_delivery_is_given_up_visibly_and_can_be_retried,
    webhooks_are_administered_and_stay_in_their_organization,
    ratings_follow_the_rules,
);

struct Desk {
    org: Org,
    key: String,
    queue: String,
    op: Op,
    reason: String,
}

async fn desk(app: &TestApp, name: &str) -> Desk {
    let omnipanel_tests::Desk {
        org,
        key,
        queue,
        op,
    } = app.desk(name).await;
    let reason = app.wrap_up_reason(&org.owner_token).await;
    Desk {
        org,
        key,
        queue,
        op,
        reason,
    }
}

async fn create_webhook(app: &TestApp, token: &str, url: &str, events: Value) -> Value {
    app.gql(
        Some(token),
        "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id url events active } secret } }",
        json!({ "input": { "url": url, "events": events } }),
    )
    .await
}

async fn close(app: &TestApp, d: &Desk, chat: &str) {
    app.ok(
        Some(&d.op.token),
        "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { status } } }",
        json!({ "input": { "chatId": chat, "wrapUpReasonId": d.reason } }),
    )
    .await;
}

async fn rate(app: &TestApp, key: &str, chat: &str, score: i32, comment: Option<&str>) -> Value {
    app.gql(
        Some(key),
        "mutation($input: RateChatInput!) { rateChat(input: $input) { chat { rating ratingComment } } }",
        json!({ "input": { "chatId": chat, "score": score, "comment": comment } }),
    )
    .await
}

async fn deliveries(app: &TestApp, token: &str) -> Vec<Value> {
    app.ok(
        Some(token),
        "{ webhookDeliveries(first: 50) { edges { node { id kind event chatId state attempts lastStatus lastError nextAttemptAt deliveredAt webhookId } } } }",
        json!({}),
    )
    .await["webhookDeliveries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// Whether a request carries a valid signature of `secret`, computed here independently.
fn signed_by(request: &Recorded, secret: &str) -> bool {
    let timestamp = request.header("x-omnipanel-timestamp").unwrap_or_default();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{}", request.body).as_bytes());
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    request.header("x-omnipanel-signature") == Some(expected.as_str())
}

/// The events the receiver answered with success, in arrival order.
fn events_of(requests: &[Recorded]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.header("x-omnipanel-event").unwrap_or_default().to_owned())
        .collect()
}

async fn chat_events_reach_webhooks_signed_in_order_and_once(app: TestApp) {
    let d = desk(&app, "Acme").await;
    let receiver = FakeReceiver::start().await;
    receiver.answer(500);
    let created = create_webhook(
        &app,
        &d.org.owner_token,
        &receiver.url("/crm/hook"),
        json!(["CHAT_CREATED", "CHAT_ACCEPTED", "CHAT_CLOSED", "CHAT_RATED"]),
    )
    .await;
    assert!(created["errors"].is_null(), "{created}");
    let secret = created["data"]["createWebhook"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));

    // The receiver is down: the first event fails once and waits for its retry; the next
    // event of the same chat waits behind it.
    let chat = app.hand_off_ok(&d.key, &d.queue, "+48600100200").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    eventually("the first attempt", || async {
        receiver.requests().len() == 1
    })
    .await;
    let accepted = app.chat_action(&d.op.token, "acceptChat", &chat).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    // The receiver saw the attempt before the worker wrote down its answer.
    let first_attempt = || async {
        let log = deliveries(&app, &d.org.owner_token).await;
        log.into_iter()
            .find(|l| l["event"] == "CHAT_CREATED")
            .unwrap()
    };
    eventually("the first attempt's answer", || async {
        first_attempt().await["lastStatus"] == 500
    })
    .await;
    let first = first_attempt().await;
    assert_eq!(first["state"], "PENDING");
    assert_eq!(first["attempts"], 1);
    assert_eq!(first["lastStatus"], 500);
    assert!(first["nextAttemptAt"].is_string());

    // It comes back: the retry is due after 10 s.
    receiver.answer(200);
    app.advance(&d.org.owner_token, 10).await;
    eventually("the retry and the accepted event", || async {
        events_of(&receiver.requests()) == ["CHAT_CREATED", "CHAT_CREATED", "CHAT_ACCEPTED"]
    })
    .await;
    close(&app, &d, &chat).await;
    let rated = rate(&app, &d.key, &chat, 2, Some("Too slow")).await;
    assert!(rated["errors"].is_null(), "{rated}");
    eventually("the closed and rated events", || async {
        receiver.requests().len() == 5
    })
    .await;

    let requests = receiver.requests();
    assert_eq!(
        events_of(&requests),
        [
            "CHAT_CREATED",
            "CHAT_CREATED",
            "CHAT_ACCEPTED",
            "CHAT_CLOSED",
            "CHAT_RATED"
        ]
    );
    for request in &requests {
        assert!(signed_by(request, &secret), "bad signature on {request:?}");
        assert!(!signed_by(request, "whsec_wrong"));
        assert_eq!(request.header("content-type"), Some("application/json"));
        let body = request.json();
        assert_eq!(body["id"], request.header("x-omnipanel-delivery").unwrap());
        assert_eq!(body["event"], request.header("x-omnipanel-event").unwrap());
        assert_eq!(body["chat"]["id"], chat.as_str());
        assert_eq!(body["organizationId"], d.org.id.as_str());
    }
    // The retry carried the same delivery id (the receiver de-duplicates by it).
    assert_eq!(
        requests[0].header("x-omnipanel-delivery"),
        requests[1].header("x-omnipanel-delivery")
    );
    assert_eq!(requests[3].json()["chat"]["status"], "COMPLETED");
    assert_eq!(requests[4].json()["chat"]["rating"], 2);
    assert_eq!(requests[4].json()["chat"]["ratingComment"], "Too slow");

    // One row per event in the log, however many attempts.
    let log = deliveries(&app, &d.org.owner_token).await;
    assert_eq!(log.len(), 4, "{log:?}");
    assert!(
        log.iter()
            .all(|l| l["state"] == "DELIVERED" && l["lastStatus"] == 200)
    );
    let first = log.iter().find(|l| l["event"] == "CHAT_CREATED").unwrap();
    assert_eq!(first["attempts"], 2);
    assert!(first["nextAttemptAt"].is_null() && first["deliveredAt"].is_string());
}

async fn a_delivery_is_given_up_visibly_and_can_be_retried(app: TestApp) {
    let d = desk(&app, "Acme").await;
    let receiver = FakeReceiver::start().await;
    receiver.answer(503);
    let created = create_webhook(
        &app,
        &d.org.owner_token,
        &receiver.url("/hook"),
        json!(["CHAT_CREATED"]),
    )
    .await;
    assert!(created["errors"].is_null(), "{created}");
    app.hand_off_ok(&d.key, &d.queue, "+48600100200").await;
    // Eight attempts, 10 s, 20 s, 40 s, … apart, then it is given up.
    for attempt in 1..=8u32 {
        eventually("the next attempt", || async {
            receiver.requests().len() == attempt as usize
        })
        .await;
        eventually("the attempt recorded", || async {
            deliveries(&app, &d.org.owner_token).await[0]["attempts"] == attempt
        })
        .await;
        app.advance(&d.org.owner_token, 10 << (attempt - 1)).await;
    }
    eventually("the delivery given up", || async {
        deliveries(&app, &d.org.owner_token).await[0]["state"] == "FAILED"
    })
    .await;
    let failed = deliveries(&app, &d.org.owner_token).await.remove(0);
    assert_eq!(failed["lastStatus"], 503);
    assert!(failed["lastError"].as_str().unwrap().contains("503"));
    assert!(failed["nextAttemptAt"].is_null());
    app.advance(&d.org.owner_token, 7200).await;
    assert_eq!(receiver.requests().len(), 8, "nothing more after giving up");

    // An administrator tries it again once the receiver works.
    receiver.answer(204);
    let retried = app
        .gql(
            Some(&d.org.owner_token),
            "mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { state } } }",
            json!({ "id": failed["id"] }),
        )
        .await;
    assert!(retried["errors"].is_null(), "{retried}");
    eventually("the delivery made by hand", || async {
        deliveries(&app, &d.org.owner_token).await[0]["state"] == "DELIVERED"
    })
    .await;
    assert_eq!(receiver.requests().len(), 9);
    let again = app
        .gql(
            Some(&d.org.owner_token),
            "mutation($id: ID!) { retryDelivery(input: { id: $id }) { delivery { state } } }",
            json!({ "id": failed["id"] }),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");
}

async fn webhooks_are_administered_and_stay_in_their_organization(app: TestApp) {
    let a = desk(&app, "Acme").await;
    let b = desk(&app, "Globex").await;
    let receiver = FakeReceiver::start().await;
    let url = receiver.url("/hook");

    assert_eq!(
        error_code(&create_webhook(&app, &a.op.token, &url, json!(["CHAT_CLOSED"])).await),
        "FORBIDDEN"
    );
    let bad_url = create_webhook(
        &app,
        &a.org.owner_token,
        "ftp://example.com",
        json!(["CHAT_CLOSED"]),
    )
    .await;
    assert_eq!(error_field(&bad_url), "url");
    let no_events = create_webhook(&app, &a.org.owner_token, &url, json!([])).await;
    assert_eq!(error_field(&no_events), "events");
    let unknown = create_webhook(&app, &a.org.owner_token, &url, json!(["CHAT_EXPLODED"])).await;
    assert_eq!(error_code(&unknown), "VALIDATION");
    let listed = app
        .ok(Some(&a.org.owner_token), "{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(
        listed["webhooks"],
        json!([]),
        "refused input stored nothing"
    );

    let made = create_webhook(
        &app,
        &a.org.owner_token,
        &url,
        json!(["CHAT_CREATED", "CHAT_CREATED"]),
    )
    .await;
    let hook = &made["data"]["createWebhook"]["webhook"];
    assert_eq!(hook["events"], json!(["CHAT_CREATED"]));
    let id = hook["id"].as_str().unwrap().to_owned();
    let listed = app
        .ok(
            Some(&a.org.owner_token),
            "{ webhooks { id url events active } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["webhooks"][0]["id"], id.as_str());
    assert!(
        !listed.to_string().contains("whsec_"),
        "the secret is shown only once"
    );

    // Another organization sees none of it, changes none of it, and its chats go nowhere near it.
    let theirs = app
        .ok(
            Some(&b.org.owner_token),
            "{ webhooks { id } webhookDeliveries { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        theirs,
        json!({ "webhooks": [], "webhookDeliveries": { "edges": [] } })
    );
    let paused = app
        .gql(
            Some(&b.org.owner_token),
            "mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { active } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&paused), "NOT_FOUND");
    app.hand_off_ok(&b.key, &b.queue, "+48600100200").await;
    app.hand_off_ok(&a.key, &a.queue, "+48600100201").await;
    eventually("Acme's event", || async { receiver.requests().len() == 1 }).await;
    assert_eq!(
        receiver.requests()[0].json()["organizationId"],
        a.org.id.as_str()
    );
    assert_eq!(deliveries(&app, &a.org.owner_token).await.len(), 1);

    // A paused webhook gets nothing new; an archived one is gone from the list.
    let paused = app
        .ok(
            Some(&a.org.owner_token),
            "mutation($id: ID!) { updateWebhook(input: { id: $id, active: false }) { webhook { active } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(paused["updateWebhook"]["webhook"]["active"], false);
    app.hand_off_ok(&a.key, &a.queue, "+48600100202").await;
    assert_eq!(deliveries(&app, &a.org.owner_token).await.len(), 1);
    app.ok(
        Some(&a.org.owner_token),
        "mutation($id: ID!) { archiveWebhook(input: { id: $id }) { webhook { id } } }",
        json!({ "id": id }),
    )
    .await;
    let listed = app
        .ok(Some(&a.org.owner_token), "{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(listed["webhooks"], json!([]));
}

async fn ratings_follow_the_rules(app: TestApp) {
    let d = desk(&app, "Acme").await;
    let closed_chat = |phone: &'static str| {
        let (app, d) = (&app, &d);
        async move {
            let chat = app.hand_off_ok(&d.key, &d.queue, phone).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let accepted = app.chat_action(&d.op.token, "acceptChat", &chat).await;
            assert!(accepted["errors"].is_null(), "{accepted}");
            chat
        }
    };
    let chat = closed_chat("+48600100200").await;
    let open = rate(&app, &d.key, &chat, 5, None).await;
    assert_eq!(error_code(&open), "CONFLICT");
    assert!(
        open["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("completed")
    );
    close(&app, &d, &chat).await;

    for score in [0, 6] {
        let body = rate(&app, &d.key, &chat, score, None).await;
        assert_eq!(error_field(&body), "score", "{body}");
    }
    assert_eq!(
        error_code(&rate(&app, &d.op.token, &chat, 5, None).await),
        "FORBIDDEN"
    );
    let other = desk(&app, "Globex").await;
    assert_eq!(
        error_code(&rate(&app, &other.key, &chat, 5, None).await),
        "NOT_FOUND"
    );

    // A good score drops the comment; a rating is given once.
    let good = rate(&app, &d.key, &chat, 4, Some("Great, thanks")).await;
    assert_eq!(
        good["data"]["rateChat"]["chat"],
        json!({ "rating": 4, "ratingComment": null })
    );
    let twice = rate(&app, &d.key, &chat, 1, Some("Changed my mind")).await;
    assert_eq!(error_code(&twice), "CONFLICT");

    // A bad score keeps it, and history filters by rating (G2).
    let second = closed_chat("+48600100201").await;
    close(&app, &d, &second).await;
    let bad = rate(&app, &d.key, &second, 2, Some(" Too slow ")).await;
    assert_eq!(
        bad["data"]["rateChat"]["chat"],
        json!({ "rating": 2, "ratingComment": "Too slow" })
    );
    let history = app
        .ok(
            Some(&d.org.owner_token),
            "{ chats(filter: { rating: 2 }) { edges { node { id rating ratingComment } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        history["chats"]["edges"],
        json!([{ "node": { "id": second, "rating": 2, "ratingComment": "Too slow" } }])
    );
}
