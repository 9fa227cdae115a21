//! What the chatbot gets from Omnipanel besides hand-offs: a waiting customer's place in the
//! queue and the expected wait (X8); and chats that close themselves after their channel's
//! silence (D11).

use omnipanel_tests::fake_telegram::FakeTelegram;
use omnipanel_tests::{TestApp, error_code, error_field, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    a_waiting_customer_learns_their_place_and_wait,
    silent_chats_close_themselves,
    hand_offs_number_their_chats_and_new_customers,
);

async fn position(app: &TestApp, token: &str, chat: &str) -> Value {
    app.gql(
        Some(token),
        "query($id: ID!) { queuePosition(chatId: $id) { position waiting estimatedWaitSecs } }",
        json!({ "id": chat }),
    )
    .await
}

fn id(chat: &Value) -> String {
    chat["id"].as_str().unwrap().to_owned()
}

async fn a_waiting_customer_learns_their_place_and_wait(app: TestApp) {
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;
    app.set_max_chats(&org.owner_token, &op, 1).await;
    app.set_status(&op, "READY").await;

    // The first chat waits 20 s for its operator: that is the queue's history.
    let first = id(&app.hand_off_ok(&key, &queue, "+48600100001").await);
    assert_eq!(
        position(&app, &key, &first).await["data"]["queuePosition"],
        Value::Null
    );
    app.advance(&org.owner_token, 20).await;
    let accepted = app.chat_action(&op.token, "acceptChat", &first).await;
    assert!(accepted["errors"].is_null(), "{accepted}");

    let second = id(&app.hand_off_ok(&key, &queue, "+48600100002").await);
    let third = id(&app.hand_off_ok(&key, &queue, "+48600100003").await);
    assert_eq!(
        position(&app, &key, &second).await["data"]["queuePosition"],
        json!({ "position": 1, "waiting": 2, "estimatedWaitSecs": 20 })
    );
    assert_eq!(
        position(&app, &key, &third).await["data"]["queuePosition"],
        json!({ "position": 2, "waiting": 2, "estimatedWaitSecs": 40 })
    );
    assert!(position(&app, &op.token, &third).await["errors"].is_null());

    // When the operator is free again, the second is offered and the third moves up.
    let reason = app
        .ok(
            Some(&org.owner_token),
            "mutation { createWrapUpReason(input: { name: \"Solved\" }) { wrapUpReason { id } } }",
            json!({}),
        )
        .await["createWrapUpReason"]["wrapUpReason"]["id"]
        .clone();
    app.ok(
        Some(&op.token),
        "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { status } } }",
        json!({ "input": { "chatId": first, "wrapUpReasonId": reason } }),
    )
    .await;
    assert_eq!(
        position(&app, &key, &second).await["data"]["queuePosition"],
        Value::Null
    );
    assert_eq!(
        position(&app, &key, &third).await["data"]["queuePosition"]["position"],
        1
    );

    // Only the chatbot and operators ask, and only about their own organization's chats.
    let crm = app
        .ok(
            Some(&org.owner_token),
            "mutation { createApiKey(input: { scope: CRM, name: \"crm\" }) { key } }",
            json!({}),
        )
        .await["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(error_code(&position(&app, &crm, &third).await), "FORBIDDEN");
    let other = app.create_org("Globex").await;
    let their_key = app.chatbot_key(&other.owner_token).await;
    assert_eq!(
        error_code(&position(&app, &their_key, &third).await),
        "NOT_FOUND"
    );
}

async fn silent_chats_close_themselves(app: TestApp) {
    let org = app.create_org("Acme").await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;
    app.set_status(&op, "READY").await;
    let bot = FakeTelegram::start().await;
    let made = app
        .ok(
            Some(&org.owner_token),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { secret webhookUrl } }",
            json!({ "input": { "kind": "TELEGRAM", "name": "Bot", "botToken": "123456789:AAEhBP0av28mWeYq4N5r2J3c-dZ_qsqPXyZ",
                "apiBaseUrl": bot.url(), "queueId": queue, "autoCloseAfterSecs": 300 } }),
        )
        .await["createChannel"]
        .clone();
    let update = json!({ "update_id": 1, "message": { "message_id": 1, "date": 1_763_800_000,
        "chat": { "id": 42, "type": "private" }, "from": { "id": 42, "is_bot": false, "first_name": "Ann" }, "text": "Hi" } });
    let status = app
        .client
        .post(made["webhookUrl"].as_str().unwrap())
        .header(
            "X-Telegram-Bot-Api-Secret-Token",
            made["secret"].as_str().unwrap(),
        )
        .json(&update)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let chats = app
        .ok(
            Some(&org.owner_token),
            "{ chats { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let chat = chats["chats"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.chat_action(&op.token, "acceptChat", &chat).await;

    let read = || {
        let (app, token, chat) = (&app, org.owner_token.clone(), chat.clone());
        async move {
            app.ok(
                Some(&token),
                "query($id: ID!) { chat(id: $id) { status closedByKind wrapUpReason { name } } }",
                json!({ "id": chat }),
            )
            .await["chat"]
                .clone()
        }
    };
    app.advance(&org.owner_token, 299).await;
    assert_eq!(read().await["status"], "NEW");
    app.advance(&org.owner_token, 1).await;
    let closed = read().await;
    assert_eq!(closed["status"], "COMPLETED", "{closed}");
    assert_eq!(closed["closedByKind"], "SYSTEM");
    assert!(closed["wrapUpReason"]["name"].is_string());
}

/// A hand-off's chat number and its customer's, as the owner sees them.
async fn numbers(app: &TestApp, token: &str, chat: &Value) -> (i64, i64) {
    let seen = app
        .ok(
            Some(token),
            "query($id: ID!) { chat(id: $id) { number customer { number } } }",
            json!({ "id": id(chat) }),
        )
        .await;
    (
        seen["chat"]["number"].as_i64().unwrap(),
        seen["chat"]["customer"]["number"].as_i64().unwrap(),
    )
}

/// Hand-offs take their numbers before their transaction (so one organization's hand-offs do
/// not wait for each other's): a returning customer keeps theirs and takes none, one refused for
/// what it names (a queue, a topic, a channel) takes none, and one refused by a full queue leaves
/// nothing behind but numbers nobody gets again.
async fn hand_offs_number_their_chats_and_new_customers(app: TestApp) {
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let open = app.create_queue(&org.owner_token, "Support", None).await;
    let full = app.create_queue(&org.owner_token, "Sales", Some(1)).await;
    let owner = &org.owner_token;

    let first = app.hand_off_ok(&key, &open, "+48600100001").await;
    let again = app.hand_off_ok(&key, &open, "+48600100001").await;
    let other = app.hand_off_ok(&key, &open, "+48600100002").await;
    assert_eq!(numbers(&app, owner, &first).await, (1, 1));
    assert_eq!(numbers(&app, owner, &again).await, (2, 1));
    assert_eq!(numbers(&app, owner, &other).await, (3, 2));

    let unknown = uuid::Uuid::new_v4().to_string();
    let refused = app.hand_off(&key, &unknown, "+48600100009").await;
    assert_eq!(error_field(&refused), "queueId", "{refused}");
    for field in ["topicId", "channelId"] {
        let mut input = json!({ "queueId": open, "source": "TELEGRAM", "customer": { "phone": "+48600100009" } });
        input[field] = json!(unknown);
        let refused = app
            .gql(
                Some(&key),
                "mutation($input: HandOffChatInput!) { handOffChat(input: $input) { chat { id } } }",
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_field(&refused), field, "{refused}");
    }
    let next = app.hand_off_ok(&key, &open, "+48600100009").await;
    assert_eq!(
        numbers(&app, owner, &next).await,
        (4, 3),
        "no number skipped"
    );

    app.hand_off_ok(&key, &full, "+48600100003").await;
    let refused = app.hand_off(&key, &full, "+48600100004").await;
    assert_eq!(error_code(&refused), "LIMIT_EXCEEDED", "{refused}");
    let after = app.hand_off_ok(&key, &open, "+48600100005").await;
    let (chat, customer) = numbers(&app, owner, &after).await;
    assert!(chat > 5 && customer > 4, "{chat}, {customer}");
    let chats = app
        .ok(
            Some(owner),
            "{ chats(first: 50) { edges { node { number customer { phone } } } } }",
            json!({}),
        )
        .await;
    let edges = chats["chats"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 6, "{chats}");
    assert!(
        edges
            .iter()
            .all(|e| e["node"]["customer"]["phone"] != "+48600100004"),
        "{chats}"
    );
}
