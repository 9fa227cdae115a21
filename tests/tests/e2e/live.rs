//! Live updates over `graphql-transport-ws` (X1): invitations arrive on the subscription, and a
//! panel that reconnects catches up from its last sequence number without a reload.

use omnipanel_tests::{TestApp, WsClient, on_both_databases};
use serde_json::json;

on_both_databases!(
    subscriptions_deliver_events_and_reconnects_catch_up,
    live_events_are_the_outbox_s_to_the_letter,
    subscriptions_need_a_valid_token
);

async fn subscriptions_deliver_events_and_reconnects_catch_up(app: TestApp) {
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;

    // Start from the last event there is, so nothing depends on when the server registers the
    // subscription.
    let before = app
        .ok(
            Some(&op.token),
            "{ workplaceEventsSince(after: 0) { seq } }",
            json!({}),
        )
        .await;
    let base = before["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .last()
        .map_or(0, |e| e["seq"].as_i64().unwrap());
    let (mut ws, ack) = WsClient::connect(&app, &op.token).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.subscribe(&format!("subscription {{ workplaceEvents(after: {base}) {{ seq kind chatId chat {{ title status }} operator {{ status }} }} }}"))
        .await;
    app.set_status(&op, "READY").await;
    let ready = ws.next_data().await;
    assert_eq!(ready["workplaceEvents"]["kind"], "OPERATOR_UPDATED");
    assert_eq!(ready["workplaceEvents"]["operator"]["status"], "READY");
    assert_eq!(ready["workplaceEvents"]["seq"].as_i64().unwrap(), base + 1);

    let chat = app.hand_off_ok(&key, &queue, "+48600100200").await;
    let invited = ws.next_data().await;
    assert_eq!(invited["workplaceEvents"]["kind"], "CHAT_INVITED");
    assert_eq!(invited["workplaceEvents"]["chatId"], chat["id"]);
    assert_eq!(
        invited["workplaceEvents"]["chat"],
        json!({ "title": "Chat-1", "status": "INVITED" })
    );
    let last_seen = invited["workplaceEvents"]["seq"].as_i64().unwrap();
    assert_eq!(
        last_seen,
        ready["workplaceEvents"]["seq"].as_i64().unwrap() + 1
    );

    // The panel drops; meanwhile the operator accepts in another tab.
    drop(ws);
    app.chat_action(&op.token, "acceptChat", chat["id"].as_str().unwrap())
        .await;

    let (mut ws, _) = WsClient::connect(&app, &op.token).await;
    ws.subscribe(&format!(
        "subscription {{ workplaceEvents(after: {last_seen}) {{ seq kind chatId }} }}"
    ))
    .await;
    let missed = ws.next_data().await;
    assert_eq!(
        missed["workplaceEvents"]["seq"].as_i64().unwrap(),
        last_seen + 1,
        "nothing skipped"
    );
    assert_eq!(missed["workplaceEvents"]["kind"], "CHAT_ASSIGNED");
    // Then it goes on live.
    app.set_status(&op, "BREAK").await;
    let live = ws.next_data().await;
    assert_eq!(
        live["workplaceEvents"]["seq"].as_i64().unwrap(),
        last_seen + 2
    );

    // One chat's stream: messages as they are written.
    let (mut chat_ws, _) = WsClient::connect(&app, &op.token).await;
    chat_ws
        .subscribe(&format!("subscription {{ chatEvents(chatId: \"{}\", after: 0) {{ seq kind message {{ text authorKind }} }} }}", chat["id"].as_str().unwrap()))
        .await;
    let first = chat_ws.next_data().await;
    assert_eq!(first["chatEvents"]["seq"], 1, "replayed from the start");
    app.ok(
        Some(&op.token),
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
        json!({ "input": { "chatId": chat["id"], "text": "Hello!" } }),
    )
    .await;
    loop {
        let event = chat_ws.next_data().await;
        if event["chatEvents"]["kind"] == "MESSAGE_CREATED" {
            assert_eq!(
                event["chatEvents"]["message"],
                json!({ "text": "Hello!", "authorKind": "OPERATOR" })
            );
            break;
        }
    }
}

/// Subscribers on the instance that commits are served its events from memory (#13): what two
/// tabs receive is exactly what the outbox holds, field for field, in order, without a gap.
async fn live_events_are_the_outbox_s_to_the_letter(app: TestApp) {
    const FIELDS: &str = "seq kind chatId createdAt payload";
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;
    let base = app
        .ok(Some(&op.token), "{ workplaceEventSeq }", json!({}))
        .await["workplaceEventSeq"]
        .as_i64()
        .unwrap();
    let mut tabs = Vec::new();
    for _ in 0..2 {
        let (mut ws, _) = WsClient::connect(&app, &op.token).await;
        ws.subscribe(&format!(
            "subscription {{ workplaceEvents(after: {base}) {{ {FIELDS} }} }}"
        ))
        .await;
        tabs.push(ws);
    }
    app.set_status(&op, "READY").await;
    let chat = app.hand_off_ok(&key, &queue, "+48600100201").await;
    let chat_id = chat["id"].as_str().unwrap();
    app.chat_action(&op.token, "acceptChat", chat_id).await;
    for text in ["Hello", "Anything else?"] {
        app.ok(
            Some(&op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": chat_id, "text": text } }),
        )
        .await;
    }
    let outbox = app
        .ok(
            Some(&op.token),
            &format!("{{ workplaceEventsSince(after: {base}) {{ {FIELDS} }} }}"),
            json!({}),
        )
        .await["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        outbox.len() >= 4,
        "status, invitation, assignment, messages: {outbox:?}"
    );
    for (seq, event) in (base + 1..).zip(&outbox) {
        assert_eq!(event["seq"], seq, "the outbox has no gap");
    }
    for ws in &mut tabs {
        for expected in &outbox {
            let live = ws.next_data().await;
            assert_eq!(&live["workplaceEvents"], expected);
        }
    }
}

async fn subscriptions_need_a_valid_token(app: TestApp) {
    let (mut ws, first) = WsClient::connect(&app, "ops_not-a-real-token").await;
    assert_ne!(first["type"], "connection_ack", "{first}");
    let _ = ws.receive().await;
}
