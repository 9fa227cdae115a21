//! Outgoing messages (I1 to I4) and the reply policy (X4): recipients detected from what the
//! operator types, ambiguity offered as several candidates, "OutgoingChat-N" chats on Telegram,
//! and WhatsApp's template rule and 24-hour window.

use hmac::{Hmac, Mac};
use omnipanel_domain::ports::NewContact;
use omnipanel_tests::fake_receiver::FakeReceiver;
use omnipanel_tests::fake_telegram::FakeTelegram;
use omnipanel_tests::{Desk, Op, TestApp, error_field, eventually, on_both_databases};
use serde_json::{Value, json};
use sha2::Sha256;

on_both_databases!(
    recipients_are_detected_and_outgoing_chats_start,
    whatsapp_needs_a_template_outside_its_window,
);

const TOKEN: &str = "123456789:AAEhBP0av28mWeYq4N5r2J3c-dZ_qsqPXyZ";

async fn channel(app: &TestApp, d: &Desk, input: Value) -> (String, String, String) {
    let made = app
        .ok(
            Some(&d.org.owner_token),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } secret webhookUrl } }",
            json!({ "input": input }),
        )
        .await;
    let payload = &made["createChannel"];
    (
        payload["channel"]["id"].as_str().unwrap().to_owned(),
        payload["webhookUrl"].as_str().unwrap().to_owned(),
        payload["secret"].as_str().unwrap().to_owned(),
    )
}

async fn candidates(app: &TestApp, op: &Op, to: &str) -> Value {
    app.gql(
        Some(&op.token),
        "query($to: String!) { recipientCandidates(to: $to) { kind address displayName provider gateway customerId channel { id kind } contact { id name } } }",
        json!({ "to": to }),
    )
    .await
}

async fn send_outgoing(app: &TestApp, op: &Op, input: Value) -> Value {
    app.gql(
        Some(&op.token),
        "mutation($input: SendOutgoingMessageInput!) { sendOutgoingMessage(input: $input) { chat { id title status direction operator { id } canReply requiresTemplate replyWindowExpiresAt } message { text deliveryState } } }",
        json!({ "input": input }),
    )
    .await
}

async fn recipients_are_detected_and_outgoing_chats_start(app: TestApp) {
    let d = app.desk("Acme").await;
    let bot = FakeTelegram::start().await;
    let provider = FakeReceiver::start().await;
    let (telegram, url, secret) = channel(
        &app,
        &d,
        json!({ "kind": "TELEGRAM", "name": "Bot", "botToken": TOKEN, "apiBaseUrl": bot.url(), "queueId": d.queue }),
    )
    .await;
    let (whatsapp, _, _) = channel(
        &app,
        &d,
        json!({ "kind": "INFOBIP_WHATSAPP", "name": "WhatsApp", "outboundUrl": provider.url("/wa"), "gateway": "+48 22 000 00 00" }),
    )
    .await;
    // Ann wrote to the bot once, so Omnipanel knows her Telegram chat.
    let update = json!({ "update_id": 1, "message": { "message_id": 1, "date": 1_763_800_000,
        "chat": { "id": 1_111_111, "type": "private" },
        "from": { "id": 1_111_111, "is_bot": false, "first_name": "Ann", "last_name": "Lee", "username": "ann" }, "text": "Hi" } });
    let status = app
        .client
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", &secret)
        .json(&update)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let crm = app
        .domain
        .crm()
        .crm_for(d.org.id.parse().unwrap())
        .await
        .unwrap();
    crm.create_contact(&NewContact {
        name: "Anna Nowak".into(),
        phone: Some("+48 600 100 200".into()),
        email: None,
        messenger_id: None,
        account_id: None,
    })
    .await
    .unwrap();

    // A phone with + reaches WhatsApp only: a Telegram bot cannot write to a phone.
    let phone = candidates(&app, &d.op, "+48 600 100 200").await;
    assert_eq!(
        phone["data"]["recipientCandidates"],
        json!([{ "kind": "PHONE", "address": "+48600100200", "displayName": "+48600100200",
            "provider": "infobip_whatsapp", "gateway": "+48 22 000 00 00", "customerId": null,
            "channel": { "id": whatsapp, "kind": "INFOBIP_WHATSAPP" }, "contact": null }])
    );
    // Digits only: a phone or a messenger id; the operator confirms which.
    let digits = candidates(&app, &d.op, "1111111").await;
    let list = digits["data"]["recipientCandidates"]
        .as_array()
        .unwrap()
        .clone();
    let kinds: Vec<_> = list.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["PHONE", "MESSENGER_ID"]);
    assert_eq!(list[1]["channel"]["id"], telegram.as_str());
    assert_eq!(list[1]["displayName"], "Ann Lee");
    assert!(list[1]["customerId"].is_string());
    // A username reaches the customer who wrote with it; unknown ones reach nobody.
    let username = candidates(&app, &d.op, "@Ann").await;
    assert_eq!(
        username["data"]["recipientCandidates"][0]["address"],
        "1111111"
    );
    assert_eq!(
        username["data"]["recipientCandidates"][0]["provider"],
        "telegram"
    );
    assert_eq!(
        candidates(&app, &d.op, "@nobody").await["data"]["recipientCandidates"],
        json!([])
    );
    // A name is looked up in the CRM.
    let by_name = candidates(&app, &d.op, "Anna").await;
    let first = &by_name["data"]["recipientCandidates"][0];
    assert_eq!(first["contact"]["name"], "Anna Nowak");
    assert_eq!(first["address"], "+48600100200");
    assert_eq!(first["kind"], "PHONE");
    assert_eq!(error_field(&candidates(&app, &d.op, " ").await), "to");
    assert_eq!(error_field(&candidates(&app, &d.op, "+1+2").await), "to");

    // Sending makes an "OutgoingChat-N" of the operator's, and the message goes to Telegram.
    let refused = send_outgoing(
        &app,
        &d.op,
        json!({ "kind": "PHONE", "to": "+48600100200", "gatewayId": telegram, "text": "Hello" }),
    )
    .await;
    assert_eq!(error_field(&refused), "gatewayId");
    let bad_text = send_outgoing(
        &app,
        &d.op,
        json!({ "kind": "MESSENGER_ID", "to": "1111111", "gatewayId": telegram, "text": "a <b>" }),
    )
    .await;
    assert_eq!(error_field(&bad_text), "text");
    let ambiguous = send_outgoing(
        &app,
        &d.op,
        json!({ "to": "1111111", "gatewayId": telegram, "text": "Hello" }),
    )
    .await;
    assert_eq!(error_field(&ambiguous), "kind");
    let wrong_provider = send_outgoing(
        &app,
        &d.op,
        json!({ "kind": "MESSENGER_ID", "to": "1111111", "gatewayId": telegram, "provider": "viber", "text": "Hello" }),
    )
    .await;
    assert_eq!(error_field(&wrong_provider), "provider");
    let sent = send_outgoing(
        &app,
        &d.op,
        json!({ "kind": "MESSENGER_ID", "to": "1111111", "gatewayId": telegram, "provider": "telegram", "text": "Your order A-17 has shipped" }),
    )
    .await;
    assert!(sent["errors"].is_null(), "{sent}");
    let chat = &sent["data"]["sendOutgoingMessage"]["chat"];
    assert_eq!(chat["title"], "OutgoingChat-1");
    assert_eq!(chat["direction"], "OUTBOUND");
    assert_eq!(chat["status"], "IN_PROGRESS");
    assert_eq!(chat["operator"]["id"], d.op.id.as_str());
    assert_eq!(chat["canReply"], true);
    eventually("the message at Telegram", || async {
        bot.delivered() == ["Your order A-17 has shipped"]
    })
    .await;
    assert_eq!(bot.calls()[0].body["chat_id"], 1_111_111);
    let mine = app
        .ok(
            Some(&d.op.token),
            "{ myChats(tab: ACTIVE) { title } }",
            json!({}),
        )
        .await;
    assert!(
        mine["myChats"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["title"] == "OutgoingChat-1")
    );
}

fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn whatsapp_needs_a_template_outside_its_window(app: TestApp) {
    let d = app.desk("Acme").await;
    let provider = FakeReceiver::start().await;
    let (whatsapp, url, secret) = channel(
        &app,
        &d,
        json!({ "kind": "INFOBIP_WHATSAPP", "name": "WhatsApp", "outboundUrl": provider.url("/wa") }),
    )
    .await;
    let reply = |name: &str, text: &str, template: bool| {
        let (app, token) = (&app, d.org.owner_token.clone());
        let input = json!({ "name": name, "text": text, "approvedTemplate": template });
        async move {
            app.ok(
                Some(&token),
                "mutation($input: CreateQuickReplyInput!) { createQuickReply(input: $input) { quickReply { id approvedTemplate } } }",
                json!({ "input": input }),
            )
            .await["createQuickReply"]["quickReply"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let plain = reply("Hi", "Hi there", false).await;
    let template = reply(
        "Order news",
        "Hello <customer_name>, there is news about your order.",
        true,
    )
    .await;

    // Opening a WhatsApp conversation takes an approved template.
    let base = json!({ "to": "+48600100200", "gatewayId": whatsapp, "text": "Free text" });
    assert_eq!(
        error_field(&send_outgoing(&app, &d.op, base.clone()).await),
        "quickReplyId"
    );
    let mut with_plain = base.clone();
    with_plain["quickReplyId"] = json!(plain);
    assert_eq!(
        error_field(&send_outgoing(&app, &d.op, with_plain).await),
        "quickReplyId"
    );
    let mut with_template = base.clone();
    with_template["quickReplyId"] = json!(template);
    let sent = send_outgoing(&app, &d.op, with_template).await;
    assert!(sent["errors"].is_null(), "{sent}");
    let payload = &sent["data"]["sendOutgoingMessage"];
    assert_eq!(
        payload["message"]["text"],
        "Hello, there is news about your order."
    );
    assert_eq!(
        payload["chat"]["title"], "OutgoingChat-1",
        "a refused message takes no number"
    );
    assert_eq!(payload["chat"]["requiresTemplate"], true);
    assert_eq!(payload["chat"]["canReply"], false);
    let chat_id = payload["chat"]["id"].as_str().unwrap().to_owned();
    eventually("the template at the provider", || async {
        provider.requests().len() == 1
    })
    .await;
    assert_eq!(provider.requests()[0].json()["to"], "+48600100200");

    // Free text in the chat is refused while the window is closed.
    let free = app
        .gql(
            Some(&d.op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": chat_id, "text": "Are you there?" } }),
        )
        .await;
    assert_eq!(error_field(&free), "quickReplyId");

    // The customer answers: the window opens for 24 hours.
    let now = app.domain.now().timestamp();
    let body = json!({ "id": "wamid.1", "from": { "phone": "+48600100200", "name": "Piotr" }, "text": "Thanks, what news?" }).to_string();
    let status = app
        .client
        .post(&url)
        .header("X-Omnipanel-Timestamp", now.to_string())
        .header("X-Omnipanel-Signature", sign(&secret, now, &body))
        .body(body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    let chat = app
        .ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { canReply requiresTemplate replyWindowExpiresAt messages(first: 10) { edges { node { text } } } } }",
            json!({ "id": chat_id }),
        )
        .await["chat"]
        .clone();
    assert_eq!(chat["canReply"], true, "{chat}");
    assert_eq!(chat["requiresTemplate"], false);
    assert_eq!(
        chat["messages"]["edges"].as_array().unwrap().len(),
        2,
        "the answer joins the chat"
    );
    let expires =
        chrono::DateTime::parse_from_rfc3339(chat["replyWindowExpiresAt"].as_str().unwrap())
            .unwrap();
    assert_eq!(expires.timestamp(), now + 24 * 3600);
    app.ok(
        Some(&d.op.token),
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
        json!({ "input": { "chatId": chat_id, "text": "It ships today." } }),
    )
    .await;
}
