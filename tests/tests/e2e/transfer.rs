//! Transfer and conference (E1–E3, X5).

use omnipanel_tests::{Op, Org, TestApp, error_code, error_field, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    a_chat_is_transferred_to_an_operator_after_acceptance,
    a_chat_is_transferred_to_a_queue_unless_it_is_full,
    a_chat_is_transferred_to_a_bot_scheme,
    conference_whisper_and_silent_monitoring,
    only_online_or_ready_colleagues_get_a_transfer_or_an_invitation,
);

struct Team {
    org: Org,
    key: String,
    queue: String,
    a: Op,
    b: Op,
}

async fn team(app: &TestApp) -> Team {
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let a = app.operator(&org.owner_token, "OPERATOR").await;
    let b = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&a, &b]).await;
    app.set_status(&a, "READY").await;
    app.set_status(&b, "ONLINE").await;
    Team {
        org,
        key,
        queue,
        a,
        b,
    }
}

/// A chat routed to and accepted by A.
async fn chat_of_a(app: &TestApp, t: &Team, phone: &str) -> String {
    let chat = app.hand_off_ok(&t.key, &t.queue, phone).await;
    assert_eq!(chat["operator"]["id"], t.a.id.as_str());
    let id = chat["id"].as_str().unwrap().to_owned();
    app.chat_action(&t.a.token, "acceptChat", &id).await;
    id
}

async fn transfer(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        Some(token),
        "mutation($input: TransferChatInput!) { transferChat(input: $input) { chat { id status operator { id } queue { id } } } }",
        json!({ "input": input }),
    )
    .await
}

async fn a_chat_is_transferred_to_an_operator_after_acceptance(app: TestApp) {
    let t = team(&app).await;
    let waiting = app.hand_off_ok(&t.key, &t.queue, "+48600000001").await;
    let early = transfer(
        &app,
        &t.a.token,
        json!({ "chatId": waiting["id"], "toOperatorId": t.b.id }),
    )
    .await;
    assert_eq!(error_code(&early), "CONFLICT", "accept before transferring");
    app.chat_action(&t.a.token, "acceptChat", waiting["id"].as_str().unwrap())
        .await;
    let id = waiting["id"].as_str().unwrap().to_owned();
    app.ok(
        Some(&t.a.token),
        "mutation($input: AddNoteInput!) { addNote(input: $input) { note { id } } }",
        json!({ "input": { "chatId": id, "text": "VIP" } }),
    )
    .await;

    let none = transfer(&app, &t.a.token, json!({ "chatId": id })).await;
    assert_eq!(error_field(&none), "toOperatorId");
    let two = transfer(
        &app,
        &t.a.token,
        json!({ "chatId": id, "toOperatorId": t.b.id, "toQueueId": t.queue }),
    )
    .await;
    assert_eq!(error_field(&two), "toOperatorId");

    let moved = transfer(
        &app,
        &t.a.token,
        json!({ "chatId": id, "toOperatorId": t.b.id }),
    )
    .await;
    assert_eq!(
        moved["data"]["transferChat"]["chat"]["status"], "INVITED",
        "{moved}"
    );
    assert_eq!(
        moved["data"]["transferChat"]["chat"]["operator"]["id"],
        t.b.id.as_str()
    );
    let a_list = app
        .ok(
            Some(&t.a.token),
            "{ myChats(tab: ACTIVE) { id } me { activeChatCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        a_list,
        json!({ "myChats": [], "me": { "activeChatCount": 0 } })
    );

    let accepted = app.chat_action(&t.b.token, "acceptChat", &id).await;
    assert_eq!(accepted["data"]["acceptChat"]["chat"]["status"], "NEW");
    let history = app
        .ok(Some(&t.b.token), "query($id: ID!) { chat(id: $id) { responsibleHistory { kind operator { id } endReason } notes { text } } }", json!({ "id": id }))
        .await;
    let kinds: Vec<_> = history["chat"]["responsibleHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![json!("ROUTED"), json!("TRANSFERRED_TO_OPERATOR")]
    );
    assert_eq!(
        history["chat"]["responsibleHistory"][0]["endReason"],
        "TRANSFERRED"
    );
    assert_eq!(
        history["chat"]["notes"],
        json!([{ "text": "VIP" }]),
        "the next operator reads the note"
    );
}

async fn a_chat_is_transferred_to_a_queue_unless_it_is_full(app: TestApp) {
    let t = team(&app).await;
    let full = app.create_queue(&t.org.owner_token, "Full", Some(1)).await;
    let open = app.create_queue(&t.org.owner_token, "Open", Some(5)).await;
    app.hand_off_ok(&t.key, &full, "+48600000009").await;
    let earlier = app.hand_off_ok(&t.key, &open, "+48600000008").await;
    let id = chat_of_a(&app, &t, "+48600000001").await;

    let refused = transfer(&app, &t.a.token, json!({ "chatId": id, "toQueueId": full })).await;
    assert_eq!(error_code(&refused), "LIMIT_EXCEEDED");
    assert_eq!(
        app.chat(&t.a.token, &id).await["status"],
        "NEW",
        "a refused transfer changes nothing"
    );

    let moved = transfer(&app, &t.a.token, json!({ "chatId": id, "toQueueId": open })).await;
    assert_eq!(
        moved["data"]["transferChat"]["chat"]["status"], "QUEUED",
        "{moved}"
    );
    assert_eq!(
        moved["data"]["transferChat"]["chat"]["queue"]["id"],
        open.as_str()
    );
    let waiting = app
        .ok(
            Some(&t.org.owner_token),
            "{ unassignedChats { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let order: Vec<_> = waiting["unassignedChats"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    let pos_earlier = order.iter().position(|i| *i == earlier["id"]).unwrap();
    let pos_moved = order.iter().position(|i| *i == json!(id)).unwrap();
    assert!(
        pos_moved > pos_earlier,
        "a transferred chat goes to the end of the queue"
    );
}

async fn a_chat_is_transferred_to_a_bot_scheme(app: TestApp) {
    let t = team(&app).await;
    let scheme = app
        .ok(
            Some(&t.org.owner_token),
            "mutation { createBotScheme(input: { name: \"Survey\" }) { botScheme { id } } }",
            json!({}),
        )
        .await;
    let id = chat_of_a(&app, &t, "+48600000001").await;
    let unknown = transfer(
        &app,
        &t.a.token,
        json!({ "chatId": id, "toSchemeId": uuid::Uuid::now_v7().to_string() }),
    )
    .await;
    assert_eq!(error_field(&unknown), "toSchemeId");
    let moved = transfer(
        &app,
        &t.a.token,
        json!({ "chatId": id, "toSchemeId": scheme["createBotScheme"]["botScheme"]["id"] }),
    )
    .await;
    assert_eq!(moved["data"]["transferChat"]["chat"]["status"], "BOT");
    assert!(moved["data"]["transferChat"]["chat"]["operator"].is_null());
}

async fn conference_whisper_and_silent_monitoring(app: TestApp) {
    let t = team(&app).await;
    let id = chat_of_a(&app, &t, "+48600000001").await;
    let invite = "mutation($input: InviteToConferenceInput!) { inviteToConference(input: $input) { chat { participants { operator { id } role state } } } }";
    let invited = app
        .ok(
            Some(&t.a.token),
            invite,
            json!({ "input": { "chatId": id, "operatorId": t.b.id } }),
        )
        .await;
    let states: Vec<_> = invited["inviteToConference"]["chat"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["role"].clone(), p["state"].clone()))
        .collect();
    assert!(
        states.contains(&(json!("CONFERENCE"), json!("INVITED"))),
        "requested: {states:?}"
    );
    let twice = app
        .gql(
            Some(&t.a.token),
            invite,
            json!({ "input": { "chatId": id, "operatorId": t.b.id } }),
        )
        .await;
    assert_eq!(error_code(&twice), "CONFLICT");
    let events = app
        .ok(
            Some(&t.b.token),
            "{ workplaceEventsSince(after: 0) { kind chatId } }",
            json!({}),
        )
        .await;
    assert!(
        events["workplaceEventsSince"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "CONFERENCE_INVITED" && e["chatId"] == json!(id))
    );

    app.chat_action(&t.b.token, "acceptConference", &id).await;
    let send = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id isWhisper } } }";
    app.ok(
        Some(&t.b.token),
        send,
        json!({ "input": { "chatId": id, "text": "I am here to help too" } }),
    )
    .await;
    let whisper = app
        .ok(
            Some(&t.b.token),
            send,
            json!({ "input": { "chatId": id, "text": "Offer the discount", "whisper": true } }),
        )
        .await;
    assert_eq!(whisper["sendMessage"]["message"]["isWhisper"], true);

    // A supervisor listens silently and may only whisper.
    let supervisor = app.operator(&t.org.owner_token, "SUPERVISOR").await;
    app.set_members(&t.org.owner_token, &t.queue, &[&t.a, &t.b, &supervisor])
        .await;
    assert_eq!(
        error_code(&app.chat_action(&t.a.token, "monitorChat", &id).await),
        "FORBIDDEN"
    );
    app.chat_action(&supervisor.token, "monitorChat", &id).await;
    let loud = app
        .gql(
            Some(&supervisor.token),
            send,
            json!({ "input": { "chatId": id, "text": "Hello customer" } }),
        )
        .await;
    assert_eq!(error_code(&loud), "FORBIDDEN");
    app.ok(
        Some(&supervisor.token),
        send,
        json!({ "input": { "chatId": id, "text": "Good job", "whisper": true } }),
    )
    .await;

    let texts = "query($id: ID!) { chat(id: $id) { messages { edges { node { authorKind text isWhisper } } } } }";
    let operators_see = app.ok(Some(&t.a.token), texts, json!({ "id": id })).await;
    let seen: Vec<_> = operators_see["chat"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(seen.contains(&"Ola joined the chat".to_owned()), "{seen:?}");
    assert!(
        seen.contains(&"Offer the discount".to_owned()) && seen.contains(&"Good job".to_owned())
    );
    assert!(
        !seen
            .iter()
            .any(|t| t.contains("Sofia") || t.contains("monitor")),
        "monitoring is silent: {seen:?}"
    );
    // The customer's side (the chatbot) never gets a whisper.
    let customer_side = app.ok(Some(&t.key), texts, json!({ "id": id })).await;
    let delivered: Vec<_> = customer_side["chat"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(delivered.contains(&"I am here to help too".to_owned()));
    assert!(
        !delivered.contains(&"Offer the discount".to_owned())
            && !delivered.contains(&"Good job".to_owned()),
        "{delivered:?}"
    );

    let ended = app.chat_action(&t.a.token, "endConference", &id).await;
    assert!(ended["errors"].is_null(), "{ended}");
    let after = app.ok(Some(&t.a.token), texts, json!({ "id": id })).await;
    let last = after["chat"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["node"]
        .clone();
    assert_eq!(last["text"], "The conference has ended");
    let refused = app
        .gql(
            Some(&t.b.token),
            send,
            json!({ "input": { "chatId": id, "text": "Still here?" } }),
        )
        .await;
    assert!(
        matches!(error_code(&refused), "FORBIDDEN" | "NOT_FOUND"),
        "{refused}"
    );
}

/// The colleagues the transfer dialog offers with "Only available".
async fn available(app: &TestApp, t: &Team) -> Vec<String> {
    let found = app
        .ok(
            Some(&t.a.token),
            "{ operators(onlyAvailable: true) { id } }",
            json!({}),
        )
        .await;
    found["operators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn only_online_or_ready_colleagues_get_a_transfer_or_an_invitation(app: TestApp) {
    let t = team(&app).await;
    let id = chat_of_a(&app, &t, "+48600000001").await;
    let invite = |operator: &str| {
        app.gql(
            Some(&t.a.token),
            "mutation($input: InviteToConferenceInput!) { inviteToConference(input: $input) { chat { id } } }",
            json!({ "input": { "chatId": id, "operatorId": operator } }),
        )
    };
    // 001: a colleague on a break, leaving, unavailable or signed out may not be handed the
    // chat nor invited to it; the refusal names the field and says why.
    for (status, words) in [
        ("BREAK", "on a break"),
        ("LEAVING", "leaving"),
        ("UNAVAILABLE", "unavailable"),
        ("OFFLINE", "not signed in"),
    ] {
        let set = app.set_status(&t.b, status).await;
        assert!(set["errors"].is_null(), "{set}");
        let refused = transfer(
            &app,
            &t.a.token,
            json!({ "chatId": id, "toOperatorId": t.b.id }),
        )
        .await;
        assert_eq!(error_field(&refused), "toOperatorId", "{status}: {refused}");
        let message = refused["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(words), "{status}: {message}");
        let refused = invite(&t.b.id).await;
        assert_eq!(error_field(&refused), "operatorId", "{status}: {refused}");
        assert!(!available(&app, &t).await.contains(&t.b.id), "{status}");
    }
    // Signed in again and ONLINE.
    let b = Op {
        id: t.b.id.clone(),
        token: app.sign_in(&t.b.email, omnipanel_tests::PASSWORD).await,
        email: t.b.email.clone(),
    };
    let online = app.set_status(&b, "ONLINE").await;
    assert!(online["errors"].is_null(), "{online}");
    assert!(
        available(&app, &t).await.contains(&t.b.id),
        "ONLINE is available"
    );
    // The chat stayed A's throughout; ONLINE takes it.
    let chat = app.chat(&t.a.token, &id).await;
    assert_eq!(chat["operator"]["id"], t.a.id.as_str());
    let moved = transfer(
        &app,
        &t.a.token,
        json!({ "chatId": id, "toOperatorId": t.b.id }),
    )
    .await;
    assert_eq!(
        moved["data"]["transferChat"]["chat"]["status"], "INVITED",
        "{moved}"
    );
}
