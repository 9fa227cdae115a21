//! What a queue says and keeps (001, 004): automatic replies to waiting customers, in and out of
//! the queue's hours; quick replies limited to their queues; open chats never stranded when
//! their queue or channel is archived.

use chrono::{DateTime, Datelike, Utc};
use omnipanel_tests::{Op, TestApp, error_code, error_field, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    a_waiting_customer_hears_from_the_queue_in_and_out_of_hours,
    quick_replies_belong_to_their_queues,
    archiving_a_queue_moves_its_open_chats,
    archiving_a_channel_interrupts_its_conversations,
);

const UPDATE_QUEUE: &str = "mutation($input: UpdateQueueInput!) { updateQueue(input: $input) { queue { id queuedReply outOfHoursReply workingHours { day opens closes } timeZone openNow } } }";
const ARCHIVE_QUEUE: &str = "mutation($input: ArchiveQueueInput!) { archiveQueue(input: $input) { queue { id archivedAt } } }";
const MESSAGES: &str = "query($id: ID!) { chat(id: $id) { status queue { id } canReply closedByKind messages(first: 50) { edges { node { text authorKind isWhisper } } } } }";

/// The server's clock now (moved one second).
async fn server_now(app: &TestApp, admin: &str) -> DateTime<Utc> {
    let data = app
        .ok(
            Some(admin),
            "mutation { advanceClock(input: { seconds: 1 }) { now } }",
            json!({}),
        )
        .await;
    data["advanceClock"]["now"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// The day of the week of `now` in Tokyo (UTC+9 all year), as GraphQL spells it.
fn tokyo_day(now: DateTime<Utc>, days_later: i64) -> &'static str {
    const DAYS: [&str; 7] = [
        "MONDAY",
        "TUESDAY",
        "WEDNESDAY",
        "THURSDAY",
        "FRIDAY",
        "SATURDAY",
        "SUNDAY",
    ];
    let local = now + chrono::Duration::hours(9) + chrono::Duration::days(days_later);
    DAYS[local.weekday().num_days_from_monday() as usize]
}

/// A chat's messages as (author kind, text, whisper).
async fn messages(app: &TestApp, token: &str, chat: &str) -> (Value, Vec<(String, String, bool)>) {
    let data = app.ok(Some(token), MESSAGES, json!({ "id": chat })).await;
    let list = data["chat"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["authorKind"].as_str().unwrap().to_owned(),
                e["node"]["text"].as_str().unwrap().to_owned(),
                e["node"]["isWhisper"].as_bool().unwrap(),
            )
        })
        .collect();
    (data["chat"].clone(), list)
}

fn id_of(chat: &Value) -> String {
    chat["id"].as_str().unwrap().to_owned()
}

async fn a_waiting_customer_hears_from_the_queue_in_and_out_of_hours(app: TestApp) {
    let desk = app.desk("Acme").await;
    let owner = desk.org.owner_token.as_str();
    // Nobody takes chats: every hand-off waits.
    app.set_status(&desk.op, "BREAK").await;
    let now = server_now(&app, owner).await;
    let read = || async {
        app.ok(
            Some(owner),
            "{ queues { id queuedReply outOfHoursReply workingHours { day opens closes } timeZone } }",
            json!({}),
        )
        .await
    };
    let before = read().await;
    let refusals = [
        (json!({ "queuedReply": "   " }), "queuedReply"),
        (
            json!({ "outOfHoursReply": "x".repeat(1001) }),
            "outOfHoursReply",
        ),
        (json!({ "timeZone": "Mars/Olympus" }), "timeZone"),
        (
            json!({ "workingHours": [{ "day": "MONDAY", "opens": "18:00", "closes": "09:00" }] }),
            "workingHours[0].closes",
        ),
        (
            json!({ "workingHours": [{ "day": "MONDAY", "opens": "9:00", "closes": "17:00" }] }),
            "workingHours[0].opens",
        ),
    ];
    for (mut input, field) in refusals {
        input["id"] = json!(desk.queue);
        let body = app
            .gql(Some(owner), UPDATE_QUEUE, json!({ "input": input }))
            .await;
        assert_eq!(error_code(&body), "VALIDATION", "{body}");
        assert_eq!(error_field(&body), field, "{body}");
    }
    let body = app
        .gql(
            Some(&desk.op.token),
            UPDATE_QUEUE,
            json!({ "input": { "id": desk.queue, "queuedReply": "Hi" } }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    assert_eq!(read().await, before, "the refusals changed nothing");

    // Open all of today in Tokyo: the waiting customer gets the queue's reply, named.
    let today = tokyo_day(now, 0);
    let queue = app
        .ok(
            Some(owner),
            UPDATE_QUEUE,
            json!({ "input": {
                "id": desk.queue,
                "queuedReply": "Thank you, <customer_name>! An operator will answer shortly.",
                "outOfHoursReply": "We are closed now; we will answer in the morning.",
                "workingHours": [{ "day": today, "opens": "00:00", "closes": "24:00" }],
                "timeZone": "Asia/Tokyo",
            } }),
        )
        .await["updateQueue"]["queue"]
        .clone();
    assert_eq!(queue["openNow"], true, "{queue}");
    assert_eq!(queue["workingHours"][0]["closes"], "24:00");
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600200300")
        .await;
    assert_eq!(chat["status"], "QUEUED");
    let (_, said) = messages(&app, owner, &id_of(&chat)).await;
    assert_eq!(
        said.last().unwrap(),
        &(
            "SYSTEM".to_owned(),
            "Thank you, Jan! An operator will answer shortly.".to_owned(),
            false
        ),
        "{said:?}"
    );

    // Open only tomorrow: out of hours, the other reply.
    let tomorrow = tokyo_day(now, 1);
    let queue = app
        .ok(
            Some(owner),
            UPDATE_QUEUE,
            json!({ "input": { "id": desk.queue, "workingHours": [{ "day": tomorrow, "opens": "00:00", "closes": "24:00" }] } }),
        )
        .await["updateQueue"]["queue"]
        .clone();
    assert_eq!(queue["openNow"], false, "{queue}");
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600200301")
        .await;
    let (_, said) = messages(&app, owner, &id_of(&chat)).await;
    assert_eq!(
        said.last().unwrap().1,
        "We are closed now; we will answer in the morning."
    );

    // A chat routed at once is not told to wait; without replies nobody is told anything.
    app.set_status(&desk.op, "READY").await;
    let routed = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600200302")
        .await;
    assert_eq!(routed["status"], "INVITED");
    let (_, said) = messages(&app, owner, &id_of(&routed)).await;
    assert!(said.iter().all(|m| m.0 != "SYSTEM"), "{said:?}");
    let cleared = app
        .ok(
            Some(owner),
            UPDATE_QUEUE,
            json!({ "input": { "id": desk.queue, "clearQueuedReply": true, "clearOutOfHoursReply": true, "workingHours": [] } }),
        )
        .await["updateQueue"]["queue"]
        .clone();
    assert_eq!(cleared["queuedReply"], Value::Null);
    assert_eq!(cleared["workingHours"], json!([]));
    assert_eq!(cleared["openNow"], true);
}

async fn quick_replies_belong_to_their_queues(app: TestApp) {
    let desk = app.desk("Acme").await;
    let owner = desk.org.owner_token.as_str();
    let billing = app.create_queue(owner, "Billing", None).await;
    let create = |name: &'static str, queues: Vec<String>| {
        let app = &app;
        async move {
            app.ok(
                Some(owner),
                "mutation($input: CreateQuickReplyInput!) { createQuickReply(input: $input) { quickReply { id queues { name } } } }",
                json!({ "input": { "name": name, "text": "Hello <customer_name>", "queueIds": queues } }),
            )
            .await["createQuickReply"]["quickReply"]
                .clone()
        }
    };
    let everyone = create("Hello", vec![]).await;
    let support = create("Support hello", vec![desk.queue.clone()]).await;
    let invoices = create("Invoices", vec![billing.clone()]).await;
    assert_eq!(support["queues"], json!([{ "name": "Support" }]));
    assert_eq!(everyone["queues"], json!([]));
    let other = app.create_org("Other").await;
    let foreign = app.create_queue(&other.owner_token, "Theirs", None).await;
    let body = app
        .gql(
            Some(owner),
            "mutation($input: CreateQuickReplyInput!) { createQuickReply(input: $input) { quickReply { id } } }",
            json!({ "input": { "name": "Sneaky", "text": "Hi", "queueIds": [foreign] } }),
        )
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        ("VALIDATION", "queueIds"),
        "{body}"
    );

    let names = |token: String, chat: Option<String>| {
        let app = &app;
        async move {
            let data = app
                .ok(
                    Some(&token),
                    "query($c: ID) { quickReplies(chatId: $c) { name } }",
                    json!({ "c": chat }),
                )
                .await;
            data["quickReplies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // The admin sees every reply; the Support operator those of Support and everyone's.
    assert_eq!(
        names(owner.to_owned(), None).await,
        ["Hello", "Invoices", "Support hello"]
    );
    assert_eq!(
        names(desk.op.token.clone(), None).await,
        ["Hello", "Support hello"]
    );
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600200400")
        .await;
    let chat_id = id_of(&chat);
    app.chat_action(&desk.op.token, "acceptChat", &chat_id)
        .await;
    assert_eq!(
        names(desk.op.token.clone(), Some(chat_id.clone())).await,
        ["Hello", "Support hello"]
    );
    // A Billing reply is refused in a Support chat, and nothing is sent.
    let send = |reply: &Value| {
        app.gql(
            Some(&desk.op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": chat_id, "text": "Hello Jan", "quickReplyId": reply["id"] } }),
        )
    };
    let refused = send(&invoices).await;
    assert_eq!(
        (error_code(&refused), error_field(&refused)),
        ("VALIDATION", "quickReplyId"),
        "{refused}"
    );
    let (_, said) = messages(&app, owner, &chat_id).await;
    assert!(said.iter().all(|m| m.1 != "Hello Jan"), "{said:?}");
    assert!(send(&support).await.get("errors").is_none());

    // Moved to Billing, the reply serves every queue.
    let moved = app
        .ok(
            Some(owner),
            "mutation($input: UpdateQuickReplyInput!) { updateQuickReply(input: $input) { quickReply { queues { name } } } }",
            json!({ "input": { "id": support["id"], "queueIds": [billing] } }),
        )
        .await;
    assert_eq!(
        moved["updateQuickReply"]["quickReply"]["queues"],
        json!([{ "name": "Billing" }])
    );
    assert_eq!(names(desk.op.token.clone(), Some(chat_id)).await, ["Hello"]);
}

/// A queue with one operator who is READY for `max` chats.
async fn staffed_queue(app: &TestApp, owner: &str, name: &str, max: i32) -> (String, Op) {
    let queue = app.create_queue(owner, name, None).await;
    let op = app.operator(owner, "OPERATOR").await;
    app.set_members(owner, &queue, &[&op]).await;
    app.set_max_chats(owner, &op, max).await;
    app.set_status(&op, "READY").await;
    (queue, op)
}

async fn archiving_a_queue_moves_its_open_chats(app: TestApp) {
    let org = app.create_org("Acme").await;
    let owner = org.owner_token.as_str();
    let key = app.chatbot_key(owner).await;
    let (first, first_op) = staffed_queue(&app, owner, "First line", 1).await;
    let (second, second_op) = staffed_queue(&app, owner, "Second line", 1).await;
    let accepted = id_of(&app.hand_off_ok(&key, &first, "+48600200500").await);
    app.chat_action(&first_op.token, "acceptChat", &accepted)
        .await;
    let waiting = app.hand_off_ok(&key, &first, "+48600200501").await;
    assert_eq!(waiting["status"], "QUEUED");
    let waiting = id_of(&waiting);

    let other = app.create_org("Other").await;
    let foreign = app.create_queue(&other.owner_token, "Theirs", None).await;
    for (move_to, field_hint) in [
        (Value::Null, "2 open chats"),
        (json!(first), "another queue"),
        (json!(foreign), "No such queue"),
    ] {
        let body = app
            .gql(
                Some(owner),
                ARCHIVE_QUEUE,
                json!({ "input": { "id": first, "moveChatsTo": move_to } }),
            )
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("VALIDATION", "moveChatsTo"),
            "{body}"
        );
        assert!(body.to_string().contains(field_hint), "{body}");
    }
    let body = app
        .gql(
            Some(&first_op.token),
            ARCHIVE_QUEUE,
            json!({ "input": { "id": first, "moveChatsTo": second } }),
        )
        .await;
    assert_eq!(error_code(&body), "FORBIDDEN", "{body}");
    let (chat, _) = messages(&app, owner, &waiting).await;
    assert_eq!(
        (chat["status"].as_str(), chat["queue"]["id"].as_str()),
        (Some("QUEUED"), Some(first.as_str()))
    );

    let archived = app
        .ok(
            Some(owner),
            ARCHIVE_QUEUE,
            json!({ "input": { "id": first, "moveChatsTo": second } }),
        )
        .await;
    assert!(archived["archiveQueue"]["queue"]["archivedAt"].is_string());
    // The waiting chat is routed in the second line at once.
    let (chat, _) = messages(&app, owner, &waiting).await;
    assert_eq!(chat["status"], "INVITED");
    assert_eq!(chat["queue"]["id"], second.as_str());
    let invited = app.chat(&second_op.token, &waiting).await;
    assert_eq!(invited["operator"]["id"], second_op.id.as_str());
    // The accepted one stays with its operator, who is told; the customer is not.
    let (chat, said) = messages(&app, &first_op.token, &accepted).await;
    assert_eq!(chat["status"], "NEW");
    assert_eq!(chat["queue"]["id"], second.as_str());
    assert!(
        said.contains(&(
            "SYSTEM".to_owned(),
            "The queue First line was archived: this chat now belongs to the queue Second line"
                .to_owned(),
            true
        )),
        "{said:?}"
    );
    // An empty queue archives without a target.
    let empty = app.create_queue(owner, "Empty", None).await;
    app.ok(
        Some(owner),
        ARCHIVE_QUEUE,
        json!({ "input": { "id": empty } }),
    )
    .await;
}

async fn archiving_a_channel_interrupts_its_conversations(app: TestApp) {
    let org = app.create_org("Acme").await;
    let owner = org.owner_token.as_str();
    let (queue, op) = staffed_queue(&app, owner, "Support", 1).await;
    let reason = app.wrap_up_reason(owner).await;
    let channel = app.webchat_channel(owner, Some(&queue)).await;
    for visitor in ["Ann", "Bob"] {
        let started = app
            .client
            .post(app.url(&format!("/webchat/{channel}/conversations")))
            .json(&json!({ "name": visitor }))
            .send()
            .await
            .unwrap();
        let token = started.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned();
        let sent = app
            .client
            .post(app.url(&format!("/webchat/{channel}/messages")))
            .bearer_auth(&token)
            .json(&json!({ "text": format!("Hello, I am {visitor}") }))
            .send()
            .await
            .unwrap();
        assert_eq!(sent.status(), 201);
    }
    let chats = app
        .ok(
            Some(owner),
            "{ chats { edges { node { id status } } } }",
            json!({}),
        )
        .await;
    let by_status = |status: &str| {
        chats["chats"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["node"]["status"] == status)
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .unwrap_or_else(|| panic!("no {status} chat in {chats}"))
    };
    let (invited, queued) = (by_status("INVITED"), by_status("QUEUED"));
    app.chat_action(&op.token, "acceptChat", &invited).await;

    app.ok(
        Some(owner),
        "mutation($input: ArchiveChannelInput!) { archiveChannel(input: $input) { channel { id } } }",
        json!({ "input": { "id": channel } }),
    )
    .await;
    // Nobody had the waiting chat: the system closed it.
    let (chat, _) = messages(&app, owner, &queued).await;
    assert_eq!(
        (chat["status"].as_str(), chat["closedByKind"].as_str()),
        (Some("COMPLETED"), Some("SYSTEM"))
    );
    // The accepted one is interrupted: the operator is warned and may only close it.
    let (chat, said) = messages(&app, &op.token, &invited).await;
    assert_eq!(chat["status"], "NEW");
    assert_eq!(chat["canReply"], false);
    assert!(
        said.iter()
            .any(|m| m.0 == "SYSTEM" && m.2 && m.1.starts_with("The channel Website was archived")),
        "{said:?}"
    );
    let refused = app
        .gql(
            Some(&op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": invited, "text": "Are you there?" } }),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    let closed = app
        .ok(
            Some(&op.token),
            "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { status } } }",
            json!({ "input": { "chatId": invited, "wrapUpReasonId": reason } }),
        )
        .await;
    assert_eq!(closed["closeChat"]["chat"]["status"], "COMPLETED");
}
