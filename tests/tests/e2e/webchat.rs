//! Web chat (M1): a visitor starts a conversation on the page's API, writes, and follows the
//! operator's answers live over server-sent events; what they see is theirs alone, operators by
//! first name, whispers never.

use omnipanel_domain::entity::customer;
use omnipanel_tests::{TestApp, error_code, error_field, eventually, on_both_databases};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

on_both_databases!(
    a_visitor_chats_with_an_operator_live,
    a_visitor_rates_the_closed_conversation,
    one_address_starts_a_limited_number_of_conversations,
    a_channel_is_renamed_rerouted_and_given_an_auto_close,
);

/// Reads server-sent events from a response, one `data` payload at a time.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(app: &TestApp, channel: &str, token: &str) -> Self {
        let response = app
            .client
            .get(app.url(&format!("/webchat/{channel}/events")))
            .query(&[("token", token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next `messages` event's messages (waits at most 10 s).
    async fn next(&mut self) -> Vec<Value> {
        serde_json::from_value(self.next_of("messages").await).unwrap()
    }

    /// The next event named `name`, parsed (waits at most 10 s).
    async fn next_of(&mut self, name: &str) -> Value {
        let wanted = format!("event: {name}");
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.lines().any(|l| l == wanted) {
                    let data: String = block
                        .lines()
                        .filter_map(|l| l.strip_prefix("data: "))
                        .collect();
                    return serde_json::from_str(&data).unwrap();
                }
                continue;
            }
            let chunk =
                tokio::time::timeout(std::time::Duration::from_secs(10), self.response.chunk())
                    .await
                    .expect("an event within 10 s")
                    .unwrap()
                    .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
    let mut request = app.client.post(app.url(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn a_visitor_chats_with_an_operator_live(app: TestApp) {
    let org = app.create_org("Acme").await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;
    app.set_status(&op, "READY").await;
    let made = app
        .ok(
            Some(&org.owner_token),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } webhookUrl } }",
            json!({ "input": { "kind": "WEBCHAT", "name": "Website", "queueId": queue } }),
        )
        .await["createChannel"]
        .clone();
    assert!(made["webhookUrl"].is_null());
    let channel = made["channel"]["id"].as_str().unwrap().to_owned();
    let base = format!("/webchat/{channel}");

    // The page, with a policy that runs only its own script.
    let page = app.client.get(app.url(&base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'nonce-") && policy.contains("default-src 'none'"));
    assert!(page.text().await.unwrap().contains(&channel));
    let unknown = format!("/webchat/{}", uuid::Uuid::new_v4());
    assert_eq!(
        app.client
            .get(app.url(&unknown))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // A visitor starts and writes; a retried send is stored once.
    let (status, bad) = post(
        &app,
        &format!("{base}/conversations"),
        None,
        json!({ "email": "nope" }),
    )
    .await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (400, Some("email"))
    );
    let (status, started) = post(
        &app,
        &format!("{base}/conversations"),
        None,
        json!({ "name": "Ann" }),
    )
    .await;
    assert_eq!(status, 201);
    let token = started["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("opv_"));
    let (status, _) = post(
        &app,
        &format!("{base}/messages"),
        None,
        json!({ "text": "Hi" }),
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = post(
        &app,
        &format!("{base}/messages"),
        Some("opv_forged"),
        json!({ "text": "Hi" }),
    )
    .await;
    assert_eq!(status, 401);
    let script = "<script>alert('hi')</script> where is my order?";
    let (status, first) = post(
        &app,
        &format!("{base}/messages"),
        Some(&token),
        json!({ "text": script, "clientId": "c-1" }),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (_, repeated) = post(
        &app,
        &format!("{base}/messages"),
        Some(&token),
        json!({ "text": script, "clientId": "c-1" }),
    )
    .await;
    assert_eq!(repeated["id"], first["id"]);

    // The visitor follows the conversation live.
    let mut events = Events::open(&app, &channel, &token).await;
    let seen = events.next().await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["text"], script);
    assert_eq!(seen[0]["authorKind"], "CUSTOMER");

    // It is an ordinary chat for the operator: routed, answered, whispered about.
    let chats = app
        .ok(
            Some(&org.owner_token),
            "{ chats { edges { node { id source status customer { name } messages(first: 5) { edges { node { text } } } } } } }",
            json!({}),
        )
        .await;
    let chat = chats["chats"]["edges"][0]["node"].clone();
    assert_eq!(chat["source"], "WEBCHAT");
    assert_eq!(chat["status"], "INVITED");
    assert_eq!(chat["customer"]["name"], "Ann");
    assert_eq!(chat["messages"]["edges"].as_array().unwrap().len(), 1);
    let chat_id = chat["id"].as_str().unwrap().to_owned();
    app.chat_action(&op.token, "acceptChat", &chat_id).await;
    let say = |text: &'static str, whisper: bool| {
        let (app, token, chat_id) = (&app, op.token.clone(), chat_id.clone());
        async move {
            app.ok(
                Some(&token),
                "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id deliveryState } } }",
                json!({ "input": { "chatId": chat_id, "text": text, "whisper": whisper } }),
            )
            .await["sendMessage"]["message"]
                .clone()
        }
    };
    say("Note to self: check the warehouse", true).await;
    let reply = say("Hello Ann, it ships today!", false).await;
    let seen = events.next().await;
    assert_eq!(
        seen.len(),
        1,
        "the whisper never reaches the visitor: {seen:?}"
    );
    assert_eq!(seen[0]["text"], "Hello Ann, it ships today!");
    assert_eq!(seen[0]["author"], "Ola", "operators by first name only");
    eventually("the reply marked sent", || async {
        let data = app
            .ok(
                Some(&op.token),
                "query($id: ID!) { chat(id: $id) { messages(first: 10) { edges { node { id deliveryState } } } } }",
                json!({ "id": chat_id }),
            )
            .await;
        data["chat"]["messages"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["node"]["id"] == reply["id"] && e["node"]["deliveryState"] == "SENT")
    })
    .await;

    // A conversation is its visitor's alone.
    let (_, other) = post(&app, &format!("{base}/conversations"), None, json!({})).await;
    let theirs = app
        .client
        .get(app.url(&format!("{base}/messages")))
        .bearer_auth(other["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(theirs["messages"], json!([]));
    let mine = app
        .client
        .get(app.url(&format!("{base}/messages")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(mine["messages"].as_array().unwrap().len(), 2);

    // NUL characters are dropped at the edge: neither stored nor a server error.
    let (status, cleaned) = post(
        &app,
        &format!("{base}/messages"),
        Some(&token),
        json!({ "text": "Order\u{0} A-17" }),
    )
    .await;
    assert_eq!(status, 201, "{cleaned}");
    let stored = read(&app, &base, &token).await.to_string();
    assert!(stored.contains("\"Order A-17\""), "{stored}");

    // An archived channel takes nothing more.
    app.ok(
        Some(&org.owner_token),
        "mutation($id: ID!) { archiveChannel(input: { id: $id }) { channel { id } } }",
        json!({ "id": channel }),
    )
    .await;
    let (status, body) = post(
        &app,
        &format!("{base}/messages"),
        Some(&token),
        json!({ "text": "Still there?" }),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
}

async fn read(app: &TestApp, base: &str, token: &str) -> Value {
    app.client
        .get(app.url(&format!("{base}/messages")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()
}

async fn a_visitor_rates_the_closed_conversation(app: TestApp) {
    let org = app.create_org("Acme").await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;
    app.set_status(&op, "READY").await;
    let reason = app.wrap_up_reason(&org.owner_token).await;
    let channel = app.webchat_channel(&org.owner_token, Some(&queue)).await;
    let base = format!("/webchat/{channel}");
    let (_, started) = post(&app, &format!("{base}/conversations"), None, json!({})).await;
    let token = started["token"].as_str().unwrap().to_owned();
    assert_eq!(read(&app, &base, &token).await["conversation"], Value::Null);
    let rating = format!("{base}/rating");
    let (status, body) = post(&app, &rating, Some(&token), json!({ "score": 5 })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("CONFLICT"))
    );

    post(
        &app,
        &format!("{base}/messages"),
        Some(&token),
        json!({ "text": "Hello" }),
    )
    .await;
    assert_eq!(
        read(&app, &base, &token).await["conversation"],
        json!({ "open": true, "canRate": false })
    );
    let mut events = Events::open(&app, &channel, &token).await;
    assert_eq!(
        events.next_of("conversation").await,
        json!({ "open": true, "canRate": false })
    );
    // An open conversation cannot be rated yet.
    let (status, _) = post(&app, &rating, Some(&token), json!({ "score": 5 })).await;
    assert_eq!(status, 409);

    // The operator closes it: the visitor's page is told, and may rate it once.
    let chat_id = app
        .ok(
            Some(&org.owner_token),
            "{ chats { edges { node { id } } } }",
            json!({}),
        )
        .await["chats"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.chat_action(&op.token, "acceptChat", &chat_id).await;
    app.ok(
        Some(&op.token),
        "mutation($c: ID!, $r: ID!) { closeChat(input: { chatId: $c, wrapUpReasonId: $r }) { chat { status } } }",
        json!({ "c": chat_id, "r": reason }),
    )
    .await;
    assert_eq!(
        events.next_of("conversation").await,
        json!({ "open": false, "canRate": true })
    );
    let (status, body) = post(&app, &rating, Some(&token), json!({ "score": 6 })).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (400, Some("score"))
    );
    let (status, _) = post(&app, &rating, Some("opv_forged"), json!({ "score": 4 })).await;
    assert_eq!(status, 401);
    let (status, _) = post(
        &app,
        &rating,
        Some(&token),
        json!({ "score": 2, "comment": "Slow answer" }),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(
        events.next_of("conversation").await,
        json!({ "open": false, "canRate": false })
    );
    let (status, _) = post(&app, &rating, Some(&token), json!({ "score": 5 })).await;
    assert_eq!(status, 409, "a chat is rated once");
    let rated = app
        .ok(
            Some(&org.owner_token),
            "query($id: ID!) { chat(id: $id) { rating ratingComment } }",
            json!({ "id": chat_id }),
        )
        .await;
    assert_eq!(
        rated["chat"],
        json!({ "rating": 2, "ratingComment": "Slow answer" })
    );

    // Another visitor of the channel rates nothing of theirs.
    let (_, other) = post(&app, &format!("{base}/conversations"), None, json!({})).await;
    let (status, _) = post(
        &app,
        &rating,
        other["token"].as_str(),
        json!({ "score": 1 }),
    )
    .await;
    assert_eq!(status, 409);

    // Writing again starts a new conversation.
    post(
        &app,
        &format!("{base}/messages"),
        Some(&token),
        json!({ "text": "One more question" }),
    )
    .await;
    assert_eq!(
        events.next_of("conversation").await,
        json!({ "open": true, "canRate": false })
    );
}

/// One address starts a few conversations, then waits; a start refused takes no customer number
/// (the visitor's number is taken before the change, `store::reserve_numbers`, and only for a
/// start let through), so the visitors after it are numbered on without a gap.
async fn one_address_starts_a_limited_number_of_conversations(app: TestApp) {
    let org = app.create_org("Acme").await;
    let channel = app.webchat_channel(&org.owner_token, None).await;
    // The test server trusts 127.0.0.1 as a reverse proxy: X-Forwarded-For names the visitor.
    let start = |address: &'static str| {
        let (app, channel) = (&app, channel.clone());
        async move {
            let response = app
                .client
                .post(app.url(&format!("/webchat/{channel}/conversations")))
                .header("x-forwarded-for", address)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    for i in 0..20 {
        assert_eq!(start("198.51.100.7").await.0, 201, "conversation {i}");
    }
    let (status, refused) = start("198.51.100.7").await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (429, Some("LIMIT_EXCEEDED"))
    );
    assert_eq!(
        start("198.51.100.8").await.0,
        201,
        "another visitor is not held up"
    );
    app.clock.advance(chrono::Duration::seconds(31));
    assert_eq!(start("198.51.100.7").await.0, 201, "the wait ends");
    let numbers: Vec<i64> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Number)
        .filter(customer::Column::OrganizationId.eq(uuid::Uuid::parse_str(&org.id).unwrap()))
        .order_by_asc(customer::Column::Number)
        .into_tuple()
        .all(&app.domain.db)
        .await
        .unwrap();
    assert_eq!(
        numbers,
        (1..=22).collect::<Vec<i64>>(),
        "numbered without a gap"
    );
}

const UPDATE_CHANNEL: &str = "mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { id name queueId botQueueId autoCloseAfterSecs } } }";

/// `updateChannel` (004): a new name, another queue for what starts next, an auto-close time;
/// refusals (both a value and its clearing, a time out of range, an archived queue, another
/// organization's channel, an operator) change nothing.
async fn a_channel_is_renamed_rerouted_and_given_an_auto_close(app: TestApp) {
    let org = app.create_org("Acme").await;
    let owner = Some(org.owner_token.as_str());
    let first = app.create_queue(&org.owner_token, "First line", None).await;
    let second = app
        .create_queue(&org.owner_token, "Second line", None)
        .await;
    let channel = app.webchat_channel(&org.owner_token, Some(&first)).await;
    let read = || async {
        app.ok(
            owner,
            "{ channels { id name queueId botQueueId autoCloseAfterSecs } }",
            json!({}),
        )
        .await["channels"][0]
            .clone()
    };
    let before = read().await;

    let refusals = [
        (
            json!({ "id": channel, "queueId": second, "clearQueue": true }),
            "clearQueue",
        ),
        (
            json!({ "id": channel, "autoCloseAfterSecs": 30 }),
            "autoCloseAfterSecs",
        ),
        (json!({ "id": channel, "name": "" }), "name"),
        (
            json!({ "id": channel, "queueId": uuid::Uuid::new_v4() }),
            "queueId",
        ),
    ];
    for (input, field) in refusals {
        let body = app
            .gql(owner, UPDATE_CHANNEL, json!({ "input": input }))
            .await;
        assert_eq!(error_code(&body), "VALIDATION", "{body}");
        assert_eq!(error_field(&body), field, "{body}");
    }
    let other = app.create_org("Other").await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    for (token, code) in [
        (other.owner_token.as_str(), "NOT_FOUND"),
        (op.token.as_str(), "FORBIDDEN"),
    ] {
        let body = app
            .gql(
                Some(token),
                UPDATE_CHANNEL,
                json!({ "input": { "id": channel, "name": "Mine" } }),
            )
            .await;
        assert_eq!(error_code(&body), code, "{body}");
    }
    assert_eq!(read().await, before, "the refusals changed nothing");

    // Renamed, to the second line, closing after ten quiet minutes.
    let updated = app
        .ok(
            owner,
            UPDATE_CHANNEL,
            json!({ "input": { "id": channel, "name": "Site chat", "queueId": second, "autoCloseAfterSecs": 600 } }),
        )
        .await["updateChannel"]["channel"]
        .clone();
    assert_eq!(
        updated,
        json!({ "id": channel, "name": "Site chat", "queueId": second, "botQueueId": null, "autoCloseAfterSecs": 600 })
    );
    assert_eq!(read().await, updated);

    // A visitor who starts now lands in the second line.
    let base = format!("/webchat/{channel}");
    let (status, started) = post(
        &app,
        &format!("{base}/conversations"),
        None,
        json!({ "name": "Ann" }),
    )
    .await;
    assert_eq!(status, 201, "{started}");
    let token = started["token"].as_str().unwrap().to_owned();
    let (status, _) = post(
        &app,
        &format!("{base}/messages"),
        Some(&token),
        json!({ "text": "Hello" }),
    )
    .await;
    assert_eq!(status, 201);
    let waiting = app
        .ok(
            owner,
            "{ unassignedChats(first: 5) { nodes { queue { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        waiting["unassignedChats"]["nodes"][0]["queue"]["id"],
        second.as_str(),
        "{waiting}"
    );

    // Back to the bot, and no auto-close: both cleared.
    let cleared = app
        .ok(
            owner,
            UPDATE_CHANNEL,
            json!({ "input": { "id": channel, "clearQueue": true, "clearAutoClose": true } }),
        )
        .await["updateChannel"]["channel"]
        .clone();
    assert_eq!(cleared["queueId"], Value::Null);
    assert_eq!(cleared["autoCloseAfterSecs"], Value::Null);
    assert_eq!(cleared["name"], "Site chat");

    // The sender the provider shows: set, then back to the provider's default.
    const GATEWAY: &str = "mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { channel { gateway } } }";
    let both = app
        .gql(
            owner,
            GATEWAY,
            json!({ "input": { "id": channel, "gateway": "Acme", "clearGateway": true } }),
        )
        .await;
    assert_eq!(
        (error_code(&both), error_field(&both)),
        ("VALIDATION", "clearGateway"),
        "{both}"
    );
    for (input, gateway) in [
        (
            json!({ "id": channel, "gateway": " Acme support " }),
            json!("Acme support"),
        ),
        (json!({ "id": channel, "clearGateway": true }), Value::Null),
    ] {
        let changed = app.ok(owner, GATEWAY, json!({ "input": input })).await;
        assert_eq!(changed["updateChannel"]["channel"]["gateway"], gateway);
    }
}
