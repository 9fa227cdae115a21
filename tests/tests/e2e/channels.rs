//! Channels (M1, M2): Telegram updates in real Bot API JSON become chats; replies reach a fake
//! Bot API in order, exactly once, also across an outage; refusals show on the message and can
//! be retried; generic webhook channels are signed both ways; channel administration.

use omnipanel_tests::fake_receiver::FakeReceiver;
use omnipanel_tests::fake_telegram::FakeTelegram;
use omnipanel_tests::generic_signature as sign;
use omnipanel_tests::{Desk, Op, TestApp, error_code, error_field, eventually, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    telegram_updates_become_chats_and_replies_reach_telegram,
    replies_survive_an_outage_in_order_and_once,
    generic_channels_are_signed_both_ways,
    messages_from_a_messenger_number_new_chats_and_customers,
    channels_are_administered_with_care,
    a_channel_serves_only_its_own_organization,
    nul_characters_from_a_messenger_are_dropped,
    telegram_bots_are_set_up_by_the_server,
    the_bots_chats_are_seen_and_taken_over_in_the_bot_queue,
);

const TOKEN: &str = "123456789:AAEhBP0av28mWeYq4N5r2J3c-dZ_qsqPXyZ";

async fn create_channel(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        Some(token),
        "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id kind name provider queueId } secret webhookUrl } }",
        json!({ "input": input }),
    )
    .await
}

/// A Telegram channel on the fake Bot API; returns (webhook URL, secret).
async fn telegram_channel(app: &TestApp, d: &Desk, bot: &FakeTelegram) -> (String, String) {
    let made = create_channel(
        app,
        &d.org.owner_token,
        json!({ "kind": "TELEGRAM", "name": "Support bot", "botToken": TOKEN, "apiBaseUrl": bot.url(), "queueId": d.queue }),
    )
    .await;
    assert!(made["errors"].is_null(), "{made}");
    let payload = &made["data"]["createChannel"];
    (
        payload["webhookUrl"].as_str().unwrap().to_owned(),
        payload["secret"].as_str().unwrap().to_owned(),
    )
}

/// A private-chat text message from Ann, in the Bot API's own shape.
fn update(update_id: i64, message_id: i64, text: &str) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": 1_763_800_000,
            "chat": { "id": 1_111_111, "type": "private", "first_name": "Ann", "username": "ann" },
            "from": { "id": 1_111_111, "is_bot": false, "first_name": "Ann", "last_name": "Lee", "username": "ann", "language_code": "en" },
            "text": text
        }
    })
}

async fn post_update(app: &TestApp, url: &str, secret: Option<&str>, body: &Value) -> u16 {
    let mut request = app.client.post(url).json(body);
    if let Some(secret) = secret {
        request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
    }
    request.send().await.unwrap().status().as_u16()
}

/// The organization's chats with their messages, as the owner sees them.
async fn chats(app: &TestApp, d: &Desk) -> Vec<Value> {
    let data = app
        .ok(
            Some(&d.org.owner_token),
            "{ chats(first: 50) { edges { node { id status source customer { name } messages(first: 50) { edges { node { id text authorKind deliveryState deliveryError } } } } } } }",
            json!({}),
        )
        .await;
    data["chats"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn messages(chat: &Value) -> Vec<Value> {
    chat["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

async fn say(app: &TestApp, op: &Op, chat: &str, text: &str) -> Value {
    app.ok(
        Some(&op.token),
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id deliveryState } } }",
        json!({ "input": { "chatId": chat, "text": text } }),
    )
    .await["sendMessage"]["message"]
        .clone()
}

async fn telegram_updates_become_chats_and_replies_reach_telegram(app: TestApp) {
    let d = app.desk("Acme").await;
    let bot = FakeTelegram::start().await;
    let (url, secret) = telegram_channel(&app, &d, &bot).await;

    // Without the secret, or with another, nothing is stored.
    assert_eq!(
        post_update(&app, &url, None, &update(1, 10, "Hi")).await,
        401
    );
    assert_eq!(
        post_update(&app, &url, Some("chs_wrong"), &update(1, 10, "Hi")).await,
        401
    );
    assert!(chats(&app, &d).await.is_empty());
    assert_eq!(
        app.client
            .post(&url)
            .header("X-Telegram-Bot-Api-Secret-Token", &secret)
            .body("{")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );

    // The update starts a chat in the channel's queue, routed to the operator.
    assert_eq!(
        post_update(
            &app,
            &url,
            Some(&secret),
            &update(1, 10, "Hi, where is my order?")
        )
        .await,
        200
    );
    // Telegram repeats an update it thinks was lost: it is stored once.
    assert_eq!(
        post_update(
            &app,
            &url,
            Some(&secret),
            &update(1, 10, "Hi, where is my order?")
        )
        .await,
        200
    );
    // An edit is acknowledged and leaves the message as it was.
    let edit = json!({ "update_id": 2, "edited_message": { "message_id": 10, "date": 1_763_800_000, "edit_date": 1_763_800_100,
        "chat": { "id": 1_111_111, "type": "private" }, "from": { "id": 1_111_111, "is_bot": false, "first_name": "Ann" }, "text": "edited" } });
    assert_eq!(post_update(&app, &url, Some(&secret), &edit).await, 200);
    let all = chats(&app, &d).await;
    assert_eq!(all.len(), 1);
    let chat = &all[0];
    assert_eq!(chat["status"], "INVITED");
    assert_eq!(chat["source"], "TELEGRAM");
    assert_eq!(chat["customer"]["name"], "Ann Lee");
    assert_eq!(messages(chat).len(), 1);
    assert_eq!(messages(chat)[0]["text"], "Hi, where is my order?");
    let chat_id = chat["id"].as_str().unwrap().to_owned();

    // The next message of the customer joins the same chat.
    assert_eq!(
        post_update(&app, &url, Some(&secret), &update(3, 11, "Order A-17")).await,
        200
    );
    assert_eq!(messages(&chats(&app, &d).await[0]).len(), 2);

    // Replies go to the customer's Telegram chat, plain text, in order.
    let accepted = app.chat_action(&d.op.token, "acceptChat", &chat_id).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    for text in ["Hello Ann!", "Let me check A-17.", "It ships today 🚚"] {
        say(&app, &d.op, &chat_id, text).await;
    }
    eventually("three replies at Telegram", || async {
        bot.delivered().len() == 3
    })
    .await;
    assert_eq!(
        bot.delivered(),
        ["Hello Ann!", "Let me check A-17.", "It ships today 🚚"]
    );
    let call = &bot.calls()[0];
    assert_eq!(call.token, TOKEN);
    assert_eq!(call.body["chat_id"], 1_111_111);
    assert!(call.body.get("parse_mode").is_none());
    eventually("the replies marked sent", || async {
        messages(&chats(&app, &d).await[0])
            .iter()
            .filter(|m| m["authorKind"] == "OPERATOR")
            .all(|m| m["deliveryState"] == "SENT")
    })
    .await;

    // A customer who blocked the bot: the message fails visibly and can be sent again.
    bot.refuse(Some((403, "Forbidden: bot was blocked by the user", None)));
    let blocked = say(&app, &d.op, &chat_id, "Are you there?").await;
    eventually("the refusal on the message", || async {
        messages(&chats(&app, &d).await[0])
            .iter()
            .any(|m| m["id"] == blocked["id"] && m["deliveryState"] == "FAILED")
    })
    .await;
    let failed = messages(&chats(&app, &d).await[0])
        .into_iter()
        .find(|m| m["id"] == blocked["id"])
        .unwrap();
    assert!(
        failed["deliveryError"]
            .as_str()
            .unwrap()
            .contains("blocked by the user")
    );
    bot.refuse(None);
    let retried = app
        .gql(
            Some(&d.op.token),
            "mutation($id: ID!) { retryMessage(input: { messageId: $id }) { message { deliveryState } } }",
            json!({ "id": blocked["id"] }),
        )
        .await;
    assert_eq!(
        retried["data"]["retryMessage"]["message"]["deliveryState"], "PENDING",
        "{retried}"
    );
    eventually("the retried message at Telegram", || async {
        bot.delivered().last().map(String::as_str) == Some("Are you there?")
    })
    .await;
}

async fn replies_survive_an_outage_in_order_and_once(app: TestApp) {
    let d = app.desk("Acme").await;
    let bot = FakeTelegram::start().await;
    let (url, secret) = telegram_channel(&app, &d, &bot).await;
    assert_eq!(
        post_update(&app, &url, Some(&secret), &update(1, 10, "Hi")).await,
        200
    );
    let chat_id = chats(&app, &d).await[0]["id"].as_str().unwrap().to_owned();
    app.chat_action(&d.op.token, "acceptChat", &chat_id).await;

    bot.set_down(true);
    let texts = ["one", "two", "three", "four"];
    for text in texts {
        say(&app, &d.op, &chat_id, text).await;
    }
    // Only the first is tried while it fails; the others wait behind it.
    eventually("the first attempt", || async { !bot.calls().is_empty() }).await;
    app.advance(&d.org.owner_token, 10).await;
    eventually("the second attempt", || async { bot.calls().len() == 2 }).await;
    assert!(bot.calls().iter().all(|c| c.body["text"] == "one"));
    let pending = messages(&chats(&app, &d).await[0]);
    assert!(
        pending
            .iter()
            .filter(|m| m["authorKind"] == "OPERATOR")
            .all(|m| m["deliveryState"] == "PENDING")
    );

    // Telegram is back: after the next backoff everything goes, in order, once each.
    bot.set_down(false);
    app.advance(&d.org.owner_token, 20).await;
    eventually("every reply delivered", || async {
        bot.delivered().len() == 4
    })
    .await;
    app.advance(&d.org.owner_token, 3600).await;
    assert_eq!(bot.delivered(), texts);
    eventually("all marked sent", || async {
        messages(&chats(&app, &d).await[0])
            .iter()
            .filter(|m| m["authorKind"] == "OPERATOR")
            .all(|m| m["deliveryState"] == "SENT")
    })
    .await;
    assert_eq!(bot.delivered(), texts, "nothing sent twice");
}

async fn generic_channels_are_signed_both_ways(app: TestApp) {
    let d = app.desk("Acme").await;
    let provider = FakeReceiver::start().await;
    let made = create_channel(
        &app,
        &d.org.owner_token,
        json!({ "kind": "VIBER", "name": "Viber", "outboundUrl": provider.url("/viber/out"), "queueId": d.queue }),
    )
    .await;
    assert!(made["errors"].is_null(), "{made}");
    let url = made["data"]["createChannel"]["webhookUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = made["data"]["createChannel"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.contains("/webhooks/generic/"));
    let now = app.domain.now().timestamp();
    let body = json!({ "id": "v-1", "from": { "id": "viber-user-7", "name": "Piotr", "phone": "+48 601 000 111" }, "text": "Dzień dobry" }).to_string();
    let post = |timestamp: i64, signature: String, body: String| {
        let request = app
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header("X-Omnipanel-Timestamp", timestamp.to_string())
            .header("X-Omnipanel-Signature", signature)
            .body(body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(
        post(now, sign("chs_other", now, &body), body.clone()).await,
        401
    );
    assert_eq!(
        post(now - 3600, sign(&secret, now - 3600, &body), body.clone()).await,
        401
    );
    assert_eq!(
        post(now, sign(&secret, now, "{}"), body.clone()).await,
        401,
        "signed another body"
    );
    assert!(chats(&app, &d).await.is_empty());
    let bad = json!({ "id": "v-0", "text": "no sender" }).to_string();
    assert_eq!(post(now, sign(&secret, now, &bad), bad).await, 400);
    assert_eq!(
        post(now, sign(&secret, now, &body), body.clone()).await,
        200
    );
    assert_eq!(
        post(now, sign(&secret, now, &body), body.clone()).await,
        200
    );
    let all = chats(&app, &d).await;
    assert_eq!(all.len(), 1);
    assert_eq!(
        messages(&all[0]).len(),
        1,
        "the provider's id is stored once"
    );
    assert_eq!(all[0]["source"], "VIBER");
    let chat_id = all[0]["id"].as_str().unwrap().to_owned();

    app.chat_action(&d.op.token, "acceptChat", &chat_id).await;
    let reply = say(&app, &d.op, &chat_id, "Dzień dobry, Piotr!").await;
    eventually("the reply at the provider", || async {
        provider.requests().len() == 1
    })
    .await;
    let out = &provider.requests()[0];
    let timestamp: i64 = out
        .header("x-omnipanel-timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        out.header("x-omnipanel-signature").unwrap(),
        sign(&secret, timestamp, &out.body)
    );
    let sent = out.json();
    assert_eq!(sent["to"], "viber-user-7");
    assert_eq!(sent["text"], "Dzień dobry, Piotr!");
    assert_eq!(sent["messageId"], reply["id"]);
    assert_eq!(sent["id"], out.header("x-omnipanel-delivery").unwrap());
}

/// A message that opens a chat takes the chat's number, and a new customer's, before its change
/// (so a burst of new conversations does not wait on the organization's row): a message to an
/// open chat takes none, and a customer who writes again elsewhere keeps their number and takes
/// none, so nobody after them skips one.
async fn messages_from_a_messenger_number_new_chats_and_customers(app: TestApp) {
    let d = app.desk("Acme").await;
    let provider = FakeReceiver::start().await;
    let mut channels = Vec::new();
    for name in ["Viber", "Viber for sales"] {
        let made = create_channel(
            &app,
            &d.org.owner_token,
            json!({ "kind": "VIBER", "name": name, "outboundUrl": provider.url("/viber/out"), "queueId": d.queue }),
        )
        .await;
        let payload = &made["data"]["createChannel"];
        channels.push((
            payload["webhookUrl"].as_str().unwrap().to_owned(),
            payload["secret"].as_str().unwrap().to_owned(),
        ));
    }
    let write = |channel: usize, id: &str, from: &str, text: &str| {
        let (url, secret) = &channels[channel];
        let now = app.domain.now().timestamp();
        let body =
            json!({ "id": id, "from": { "id": from, "name": from }, "text": text }).to_string();
        let request = app
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("X-Omnipanel-Timestamp", now.to_string())
            .header("X-Omnipanel-Signature", sign(secret, now, &body))
            .body(body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(write(0, "m-1", "viber-ann", "Hello").await, 200);
    assert_eq!(write(0, "m-2", "viber-ann", "Are you there?").await, 200);
    assert_eq!(write(0, "m-3", "viber-bob", "Hi").await, 200);
    assert_eq!(write(1, "m-4", "viber-ann", "About an order").await, 200);
    assert_eq!(write(1, "m-5", "viber-cy", "Hello sales").await, 200);
    let seen = app.numbered_chats(&d.org.owner_token).await;
    assert_eq!(
        seen,
        [
            (1, "viber-ann".to_owned(), 1, 2),
            (2, "viber-bob".to_owned(), 2, 1),
            (3, "viber-ann".to_owned(), 1, 1),
            (4, "viber-cy".to_owned(), 3, 1),
        ]
    );
}

async fn channels_are_administered_with_care(app: TestApp) {
    let d = app.desk("Acme").await;
    let other = app.create_org("Globex").await;
    let their_queue = app.create_queue(&other.owner_token, "Theirs", None).await;
    let owner = d.org.owner_token.clone();
    assert_eq!(
        error_code(
            &create_channel(
                &app,
                &d.op.token,
                json!({ "kind": "WEBCHAT", "name": "Site" })
            )
            .await
        ),
        "FORBIDDEN"
    );
    for (field, input) in [
        ("botToken", json!({ "kind": "TELEGRAM", "name": "Bot" })),
        (
            "botToken",
            json!({ "kind": "TELEGRAM", "name": "Bot", "botToken": "not-a-token" }),
        ),
        (
            "outboundUrl",
            json!({ "kind": "INFOBIP_WHATSAPP", "name": "WhatsApp" }),
        ),
        (
            "queueId",
            json!({ "kind": "WEBCHAT", "name": "Site", "queueId": their_queue }),
        ),
        (
            "autoCloseAfterSecs",
            json!({ "kind": "WEBCHAT", "name": "Site", "autoCloseAfterSecs": 5 }),
        ),
        ("name", json!({ "kind": "WEBCHAT", "name": " " })),
    ] {
        let body = create_channel(&app, &owner, input).await;
        assert_eq!(error_field(&body), field, "{body}");
    }
    let listed = app.ok(Some(&owner), "{ channels { id } }", json!({})).await;
    assert_eq!(
        listed["channels"],
        json!([]),
        "refused input stored nothing"
    );

    let bot = FakeTelegram::start().await;
    let (url, secret) = telegram_channel(&app, &d, &bot).await;
    let listed = app
        .ok(
            Some(&d.op.token),
            "{ channels { id kind name provider queueId } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["channels"][0]["provider"], "telegram");
    assert!(!listed.to_string().contains(TOKEN) && !listed.to_string().contains(&secret));
    let theirs = app
        .ok(Some(&other.owner_token), "{ channels { id } }", json!({}))
        .await;
    assert_eq!(theirs["channels"], json!([]));

    // An archived channel takes nothing more.
    let id = listed["channels"][0]["id"].clone();
    let archived = app
        .gql(
            Some(&other.owner_token),
            "mutation($id: ID!) { archiveChannel(input: { id: $id }) { channel { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&archived), "NOT_FOUND");
    app.ok(
        Some(&owner),
        "mutation($id: ID!) { archiveChannel(input: { id: $id }) { channel { id } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        post_update(&app, &url, Some(&secret), &update(1, 10, "Hi")).await,
        401
    );
    assert!(chats(&app, &d).await.is_empty());
}

async fn a_channel_serves_only_its_own_organization(app: TestApp) {
    let acme = app.desk("Acme").await;
    let bot = FakeTelegram::start().await;
    let (url, _) = telegram_channel(&app, &acme, &bot).await;
    let acme_channel = url.rsplit('/').next().unwrap().to_owned();
    let umbrella = app.desk("Umbrella").await;
    let unknown = "01930000-0000-7000-8000-000000000000".to_owned();

    for channel in [acme_channel, unknown] {
        let posted = app
            .gql(
                Some(&umbrella.key),
                "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { id } } }",
                json!({ "input": {
                    "source": "TELEGRAM",
                    "channelId": channel,
                    "customer": { "name": "Eve", "phone": "+48600100999" },
                    "externalId": "1",
                    "text": "Hi"
                } }),
            )
            .await;
        assert_eq!(error_code(&posted), "VALIDATION", "{posted}");
        assert_eq!(error_field(&posted), "channelId", "{posted}");
        let handed = app
            .gql(
                Some(&umbrella.key),
                "mutation($input: HandOffChatInput!) { handOffChat(input: $input) { chat { id } } }",
                json!({ "input": {
                    "queueId": umbrella.queue,
                    "source": "TELEGRAM",
                    "channelId": channel,
                    "customer": { "name": "Eve", "phone": "+48600100999" }
                } }),
            )
            .await;
        assert_eq!(error_code(&handed), "VALIDATION", "{handed}");
        assert_eq!(error_field(&handed), "channelId", "{handed}");
    }
    assert!(
        chats(&app, &umbrella).await.is_empty(),
        "nothing was written"
    );
    assert!(chats(&app, &acme).await.is_empty(), "nothing was written");
}

async fn nul_characters_from_a_messenger_are_dropped(app: TestApp) {
    let d = app.desk("Acme").await;
    let bot = FakeTelegram::start().await;
    let (url, secret) = telegram_channel(&app, &d, &bot).await;
    let mut ann = update(1, 10, "Hi\u{0}, my order\u{0}");
    ann["message"]["from"]["first_name"] = json!("A\u{0}nn");
    // Acknowledged (Telegram would send a refused update again forever), stored without NUL.
    assert_eq!(post_update(&app, &url, Some(&secret), &ann).await, 200);
    let found = chats(&app, &d).await;
    assert_eq!(found.len(), 1);
    assert_eq!(messages(&found[0])[0]["text"], "Hi, my order");
}

const OTHER_TOKEN: &str = "987654321:BBEhBP0av28mWeYq4N5r2J3c-dZ_qsqPXyZ";

async fn channel_status(app: &TestApp, token: &str, id: &str) -> Value {
    app.gql(
        Some(token),
        "query($id: ID!) { channelStatus(id: $id) { expectedWebhookUrl webhookRegistered webhook { url pendingUpdateCount lastErrorMessage allowedUpdates } } }",
        json!({ "id": id }),
    )
    .await
}

async fn telegram_bots_are_set_up_by_the_server(app: TestApp) {
    let d = app.desk("Acme").await;
    let bot = FakeTelegram::start().await;
    let input = json!({ "kind": "TELEGRAM", "name": "Support bot", "botToken": TOKEN, "apiBaseUrl": bot.url(), "queueId": d.queue });

    // Telegram refuses: its words reach the administrator, and no channel is saved.
    bot.refuse(Some((
        400,
        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        None,
    )));
    let refused = create_channel(&app, &d.org.owner_token, input.clone()).await;
    assert_eq!(error_code(&refused), "UPSTREAM", "{refused}");
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("An HTTPS URL must be provided for webhook"),
        "{message}"
    );
    let channels = app
        .ok(Some(&d.org.owner_token), "{ channels { id } }", json!({}))
        .await;
    assert_eq!(channels["channels"], json!([]));
    bot.refuse(None);

    // Created: the bot's webhook points here, with the channel's secret and the updates read.
    let made = create_channel(&app, &d.org.owner_token, input).await;
    let payload = &made["data"]["createChannel"];
    let id = payload["channel"]["id"].as_str().unwrap().to_owned();
    let webhook = bot.webhook(TOKEN).expect("setWebhook was called");
    assert_eq!(webhook.url, payload["webhookUrl"].as_str().unwrap());
    assert_eq!(webhook.secret, payload["secret"].as_str().unwrap());
    assert_eq!(webhook.allowed_updates, ["message", "edited_message"]);
    let status = channel_status(&app, &d.org.owner_token, &id).await;
    assert_eq!(
        status["data"]["channelStatus"]["webhookRegistered"], true,
        "{status}"
    );
    assert_eq!(
        status["data"]["channelStatus"]["webhook"]["url"],
        status["data"]["channelStatus"]["expectedWebhookUrl"]
    );
    let operator_status = channel_status(&app, &d.op.token, &id).await;
    assert_eq!(error_code(&operator_status), "FORBIDDEN");

    // Telegram's own delivery, with the registered secret, becomes a chat.
    assert_eq!(
        bot.deliver(TOKEN, update(1, 10, "Hello from Telegram"))
            .await,
        200
    );
    eventually("the chat", || async { chats(&app, &d).await.len() == 1 }).await;

    // Another bot: registered first with a new secret; the old bot's webhook is removed and
    // its secret no longer opens the channel.
    let changed = app
        .gql(
            Some(&d.org.owner_token),
            "mutation($input: ChangeBotTokenInput!) { changeBotToken(input: $input) { channel { id } } }",
            json!({ "input": { "channelId": id, "botToken": OTHER_TOKEN } }),
        )
        .await;
    assert!(changed["errors"].is_null(), "{changed}");
    let new_webhook = bot.webhook(OTHER_TOKEN).expect("the new bot's webhook");
    assert_eq!(new_webhook.url, webhook.url);
    assert_ne!(new_webhook.secret, webhook.secret);
    assert!(
        bot.webhook(TOKEN).is_none(),
        "the old bot's webhook is removed"
    );
    assert_eq!(
        post_update(
            &app,
            &webhook.url,
            Some(&webhook.secret),
            &update(2, 11, "old")
        )
        .await,
        401
    );
    assert_eq!(
        bot.deliver(OTHER_TOKEN, update(3, 12, "new bot")).await,
        200
    );

    // Archiving removes the webhook; if Telegram cannot be told, the channel stays as it was.
    bot.refuse(Some((500, "Internal Server Error", None)));
    let archive = |id: String| {
        app.gql(
            Some(&d.org.owner_token),
            "mutation($id: ID!) { archiveChannel(input: { id: $id }) { channel { id } } }",
            json!({ "id": id }),
        )
    };
    let refused = archive(id.clone()).await;
    assert_eq!(error_code(&refused), "UPSTREAM", "{refused}");
    assert_eq!(
        bot.deliver(OTHER_TOKEN, update(4, 13, "still open")).await,
        200
    );
    // A revoked token has no webhook left: the channel archives.
    bot.refuse(Some((401, "Unauthorized", None)));
    let archived = archive(id.clone()).await;
    assert!(archived["errors"].is_null(), "{archived}");
    bot.refuse(None);
    assert_eq!(
        post_update(
            &app,
            &new_webhook.url,
            Some(&new_webhook.secret),
            &update(5, 14, "late")
        )
        .await,
        401
    );

    // A live bot's channel archived with Telegram answering: the webhook goes.
    let again = create_channel(
        &app,
        &d.org.owner_token,
        json!({ "kind": "TELEGRAM", "name": "Second bot", "botToken": TOKEN, "apiBaseUrl": bot.url() }),
    )
    .await;
    let second = again["data"]["createChannel"]["channel"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(bot.webhook(TOKEN).is_some());
    assert!(archive(second).await["errors"].is_null());
    assert!(bot.webhook(TOKEN).is_none());
}

/// A private-chat message from another customer.
fn update_from(update_id: i64, chat_id: i64, text: &str) -> Value {
    let mut update = update(update_id, update_id, text);
    update["message"]["chat"]["id"] = json!(chat_id);
    update["message"]["from"]["id"] = json!(chat_id);
    for who in ["chat", "from"] {
        update["message"][who]["username"] = json!(format!("customer{chat_id}"));
    }
    update
}

async fn bot_chats(app: &TestApp, op: &Op) -> Vec<String> {
    let data = app
        .ok(
            Some(&op.token),
            "{ botChats(first: 10) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    data["botChats"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn the_bots_chats_are_seen_and_taken_over_in_the_bot_queue(app: TestApp) {
    let d = app.desk("Acme").await;
    let bot = FakeTelegram::start().await;
    // No queue: conversations start with the bot, and without a bot queue no operator sees them.
    let made = create_channel(
        &app,
        &d.org.owner_token,
        json!({ "kind": "TELEGRAM", "name": "Support bot", "botToken": TOKEN, "apiBaseUrl": bot.url() }),
    )
    .await;
    let channel = made["data"]["createChannel"]["channel"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        bot.deliver(TOKEN, update_from(1, 2_000_001, "Hi bot"))
            .await,
        200
    );
    eventually("the first chat", || async {
        chats(&app, &d).await.len() == 1
    })
    .await;
    assert!(bot_chats(&app, &d.op).await.is_empty());

    // Another organization's queue is no bot queue.
    let other = app.desk("Other").await;
    let set = |queue: &str| {
        app.gql(
            Some(&d.org.owner_token),
            "mutation($input: SetChannelQueuesInput!) { setChannelQueues(input: $input) { channel { queueId botQueueId } } }",
            json!({ "input": { "channelId": channel, "queueId": null, "botQueueId": queue } }),
        )
    };
    let refused = set(&other.queue).await;
    assert_eq!(error_field(&refused), "botQueueId", "{refused}");
    let changed = set(&d.queue).await;
    assert_eq!(
        changed["data"]["setChannelQueues"]["channel"],
        json!({ "queueId": null, "botQueueId": d.queue })
    );
    let operator_try = app
        .gql(
            Some(&d.op.token),
            "mutation($input: SetChannelQueuesInput!) { setChannelQueues(input: $input) { channel { id } } }",
            json!({ "input": { "channelId": channel, "queueId": null, "botQueueId": null } }),
        )
        .await;
    assert_eq!(error_code(&operator_try), "FORBIDDEN");

    // A new conversation with the bot is in the bot queue: its member sees it and takes it over.
    assert_eq!(
        bot.deliver(TOKEN, update_from(2, 2_000_002, "Hi again"))
            .await,
        200
    );
    eventually("the second chat", || async {
        chats(&app, &d).await.len() == 2
    })
    .await;
    let seen = bot_chats(&app, &d.op).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(app.chat(&d.op.token, &seen[0]).await["status"], "BOT");
    let taken = app.chat_action(&d.op.token, "takeOverChat", &seen[0]).await;
    assert!(taken["errors"].is_null(), "{taken}");
    let chat = app.chat(&d.op.token, &seen[0]).await;
    assert_eq!(
        (chat["status"].as_str(), chat["operator"]["id"].as_str()),
        (Some("NEW"), Some(d.op.id.as_str())),
        "{chat}"
    );
    assert!(bot_chats(&app, &d.op).await.is_empty());
}
