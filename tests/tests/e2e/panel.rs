//! What the embedded panel needs of the server: its page with the organization's framing policy
//! (L2), its files, the integration slot (L1), the events that keep its lists live (the queues'
//! "Unassigned" lists on `queueEvents`, messages on workplace events), and where to start
//! following them.
//! The panel itself is driven in a real browser by `tests/browser`.

use omnipanel_tests::{Op, TestApp, WsClient, error_code, error_field, on_both_databases};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION};
use serde_json::{Value, json};

on_both_databases!(
    the_page_is_framed_only_by_the_organizations_crm,
    the_panels_files_are_revalidated_by_digest,
    the_integration_slot_carries_the_chat_context,
    unassigned_lists_follow_their_queue,
    queue_events_follow_memberships_and_roles,
    chats_with_the_bot_can_be_taken_over,
    workplace_events_carry_messages_and_a_starting_point
);

const SETTINGS: &str = "mutation($input: UpdateSettingsInput!) { updateSettings(input: $input) { settings { frameAncestors iframeUrlTemplate } } }";

async fn the_page_is_framed_only_by_the_organizations_crm(app: TestApp) {
    let org = app.create_org("Acme").await;

    // Without an organization the panel is a page of its own: nobody may frame it.
    let page = app.client.get(app.url("/widget/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(policy.contains("frame-src 'none';"), "{policy}");
    let body = page.text().await.unwrap();
    assert!(body.contains(r#""organizationId":null"#), "{body}");
    assert!(body.contains(r#"<script type="module" src="js/app.js">"#));

    // The organization's CRM origins frame it, and it frames the integration slot's origin.
    app.ok(
        Some(&org.owner_token),
        SETTINGS,
        json!({ "input": {
            "frameAncestors": ["https://acme.creatio.com", "http://127.0.0.1:5173"],
            "iframeUrlTemplate": "https://tools.example.com:8443/card?chat={chatId}"
        } }),
    )
    .await;
    let page = app
        .client
        .get(app.url(&format!("/widget/?organization={}&lang=pl", org.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.ends_with("frame-ancestors https://acme.creatio.com http://127.0.0.1:5173"),
        "{policy}"
    );
    assert!(
        policy.contains("frame-src https://tools.example.com:8443;"),
        "{policy}"
    );
    let body = page.text().await.unwrap();
    assert!(body.contains(&format!(r#""organizationId":"{}""#, org.id)));
    assert!(body.contains(r#""hostOrigins":["https://acme.creatio.com","http://127.0.0.1:5173"]"#));
    assert!(body.contains(r#""crmSignIn":false"#));

    // An organization that is not there is not a page.
    for query in [
        "organization=not-an-id",
        "organization=01936b2e-0000-7000-8000-000000000001",
    ] {
        let response = app
            .client
            .get(app.url(&format!("/widget/?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{query}");
        assert!(response.headers().get(CONTENT_SECURITY_POLICY).is_none());
    }

    // `/widget` leads to `/widget/`, keeping the query.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(app.url(&format!("/widget?organization={}", org.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(
        response.headers()[LOCATION],
        format!("/widget/?organization={}", org.id).as_str()
    );

    // Origins that are not plain origins never reach the header.
    let refused = app
        .gql(
            Some(&org.owner_token),
            SETTINGS,
            json!({ "input": { "frameAncestors": ["https://evil.example.com; script-src *"] } }),
        )
        .await;
    assert_eq!(error_code(&refused), "VALIDATION");
    assert_eq!(error_field(&refused), "frameAncestors");
}

async fn the_panels_files_are_revalidated_by_digest(app: TestApp) {
    let script = app
        .client
        .get(app.url("/widget/js/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    let content_type = script.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(content_type.contains("javascript"), "{content_type}");
    let etag = script.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(
        script
            .text()
            .await
            .unwrap()
            .contains("customElements.define")
    );

    let again = app
        .client
        .get(app.url("/widget/js/app.js"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

    let styles = app
        .client
        .get(app.url("/widget/styles.css"))
        .send()
        .await
        .unwrap();
    assert!(
        styles.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    for missing in [
        "/widget/README.md",
        "/widget/js/nothing.js",
        "/widget/%2e%2e/Cargo.toml",
    ] {
        let response = app.client.get(app.url(missing)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
    }
}

const SLOT: &str = "query($id: ID!) { integrationSlot(chatId: $id) { url origin } }";

async fn the_integration_slot_carries_the_chat_context(app: TestApp) {
    let desk = app.desk("Acme").await;
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48 600 100 200")
        .await;
    let id = chat["id"].as_str().unwrap();
    app.chat_action(&desk.op.token, "acceptChat", id).await;

    let none = app
        .ok(Some(&desk.op.token), SLOT, json!({ "id": id }))
        .await;
    assert_eq!(
        none["integrationSlot"],
        Value::Null,
        "no slot until an admin sets one"
    );

    app.ok(
        Some(&desk.org.owner_token),
        SETTINGS,
        json!({ "input": { "iframeUrlTemplate": "https://tools.example.com/card?chat={chatId}&phone={phone}&contact={contactId}" } }),
    )
    .await;
    let slot = app
        .ok(Some(&desk.op.token), SLOT, json!({ "id": id }))
        .await;
    assert_eq!(
        slot["integrationSlot"],
        json!({
            "url": format!("https://tools.example.com/card?chat={id}&phone=%2B48600100200&contact="),
            "origin": "https://tools.example.com",
        })
    );

    // Placeholders may not choose the host: the page's policy must name it beforehand.
    let refused = app
        .gql(
            Some(&desk.org.owner_token),
            SETTINGS,
            json!({ "input": { "iframeUrlTemplate": "https://{contactId}.example.com/" } }),
        )
        .await;
    assert_eq!(error_code(&refused), "VALIDATION");
    assert_eq!(error_field(&refused), "iframeUrlTemplate");
    let kept = app
        .ok(
            Some(&desk.org.owner_token),
            "{ settings { iframeUrlTemplate } }",
            json!({}),
        )
        .await;
    assert_eq!(
        kept["settings"]["iframeUrlTemplate"],
        "https://tools.example.com/card?chat={chatId}&phone={phone}&contact={contactId}"
    );

    // Another organization's operator, and the chatbot's key, get nothing.
    let other = app.desk("Other").await;
    let hidden = app
        .gql(Some(&other.op.token), SLOT, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&hidden), "NOT_FOUND");
    let machine = app.gql(Some(&desk.key), SLOT, json!({ "id": id })).await;
    assert_eq!(error_code(&machine), "FORBIDDEN");
}

/// The kinds of an operator's events after `after`.
async fn kinds_since(app: &TestApp, token: &str, after: i64) -> Vec<(String, Value)> {
    let data = app
        .ok(
            Some(token),
            "query($a: Int!) { workplaceEventsSince(after: $a) { kind chatId } }",
            json!({ "a": after }),
        )
        .await;
    data["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_owned(), e["chatId"].clone()))
        .collect()
}

async fn seq(app: &TestApp, token: &str) -> i64 {
    app.ok(Some(token), "{ workplaceEventSeq }", json!({}))
        .await["workplaceEventSeq"]
        .as_i64()
        .unwrap()
}

const QUEUE_EVENTS: &str =
    "subscription { queueEvents { kind queueId chatId payload chat { id status } } }";

/// Follows the queues an operator sees; returns the subscription once its first event, which
/// says which queues those are, has come.
async fn follow_queues(app: &TestApp, token: &str) -> (WsClient, Value) {
    let (mut ws, ack) = WsClient::connect(app, token).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.subscribe(QUEUE_EVENTS).await;
    let first = ws.next_data().await["queueEvents"].clone();
    assert_eq!(first["kind"], "QUEUES_CHANGED", "{first}");
    assert_eq!(first["queueId"], Value::Null);
    (ws, first["payload"]["queueIds"].clone())
}

/// The next queue event: its kind, chat and queue, and the status of the chat as it comes with
/// the event (none when the follower no longer sees it on the lists).
async fn queue_change(ws: &mut WsClient) -> (String, Value, Value, Value) {
    let event = ws.next_data().await["queueEvents"].clone();
    if event["chat"].is_object() {
        assert_eq!(event["chat"]["id"], event["chatId"], "{event}");
    }
    (
        event["kind"].as_str().unwrap().to_owned(),
        event["chatId"].clone(),
        event["queueId"].clone(),
        event["chat"]["status"].clone(),
    )
}

/// Assigns a chat to `to`, as the holder of `token`.
async fn assign(app: &TestApp, token: &str, chat: &Value, to: &Op) {
    app.ok(
        Some(token),
        "mutation($input: AssignChatInput!) { assignChat(input: $input) { chat { id } } }",
        json!({ "input": { "chatId": chat, "operatorId": to.id } }),
    )
    .await;
}

/// The queues a QUEUES_CHANGED event names, in order.
async fn queues_changed(ws: &mut WsClient) -> Vec<String> {
    let event = ws.next_data().await["queueEvents"].clone();
    assert_eq!(event["kind"], "QUEUES_CHANGED", "{event}");
    let mut queues: Vec<String> = event["payload"]["queueIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q.as_str().unwrap().to_owned())
        .collect();
    queues.sort();
    queues
}

fn sorted(mut queues: Vec<String>) -> Vec<String> {
    queues.sort();
    queues
}

async fn unassigned_lists_follow_their_queue(app: TestApp) {
    let desk = app.desk("Acme").await;
    let colleague = app.operator(&desk.org.owner_token, "OPERATOR").await;
    app.set_members(&desk.org.owner_token, &desk.queue, &[&desk.op, &colleague])
        .await;
    app.set_status(&desk.op, "ONLINE").await;
    app.set_status(&colleague, "ONLINE").await;
    let queue = json!(desk.queue);
    let (mut theirs, followed) = follow_queues(&app, &colleague.token).await;
    assert_eq!(followed, json!([desk.queue]));
    let (mut mine, _) = follow_queues(&app, &desk.op.token).await;

    // Nobody is READY: the chat waits, and both members see it arrive in "Unassigned", from the
    // queue's one event; their own streams carry nothing of it.
    let start = seq(&app, &colleague.token).await;
    let waiting = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600100201")
        .await;
    for ws in [&mut theirs, &mut mine] {
        assert_eq!(
            queue_change(ws).await,
            (
                "CHAT_QUEUED".to_owned(),
                waiting["id"].clone(),
                queue.clone(),
                json!("QUEUED")
            )
        );
    }
    assert_eq!(kinds_since(&app, &colleague.token, start).await, vec![]);
    drop(mine);

    // One takes it: it leaves the other's list.
    assign(&app, &desk.op.token, &waiting["id"], &desk.op).await;
    assert_eq!(
        queue_change(&mut theirs).await,
        (
            "CHAT_DEQUEUED".to_owned(),
            waiting["id"].clone(),
            queue.clone(),
            Value::Null
        )
    );

    // Another waits until the colleague turns READY and routing offers it to them.
    let second = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600100203")
        .await;
    assert_eq!(
        queue_change(&mut theirs).await,
        (
            "CHAT_QUEUED".to_owned(),
            second["id"].clone(),
            queue.clone(),
            json!("QUEUED")
        )
    );
    app.set_status(&colleague, "READY").await;
    assert_eq!(
        queue_change(&mut theirs).await,
        (
            "CHAT_DEQUEUED".to_owned(),
            second["id"].clone(),
            queue.clone(),
            json!("INVITED")
        )
    );

    // A chat offered at once never shows in "Unassigned": the queue's next event is the next
    // chat's, which waits.
    let routed = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600100204")
        .await;
    assert_eq!(routed["status"], "INVITED");
    app.set_status(&colleague, "ONLINE").await;
    let third = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600100206")
        .await;
    assert_eq!(
        queue_change(&mut theirs).await,
        (
            "CHAT_QUEUED".to_owned(),
            third["id"].clone(),
            queue,
            json!("QUEUED")
        )
    );
}

async fn queue_events_follow_memberships_and_roles(app: TestApp) {
    let desk = app.desk("Acme").await;
    let owner = &desk.org.owner_token;
    let sales = app.create_queue(owner, "Sales", None).await;
    let newcomer = app.operator(owner, "OPERATOR").await;
    app.set_status(&desk.op, "ONLINE").await;
    let (mut ws, followed) = follow_queues(&app, &newcomer.token).await;
    assert_eq!(followed, json!([]));
    let unchanged = seq(&app, &desk.op.token).await;

    // Made a member: told which queues they see now, and from then on follow this one.
    app.set_members(owner, &desk.queue, &[&desk.op, &newcomer])
        .await;
    assert_eq!(queues_changed(&mut ws).await, vec![desk.queue.clone()]);
    let waiting = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600100207")
        .await;
    assert_eq!(
        queue_change(&mut ws).await,
        (
            "CHAT_QUEUED".to_owned(),
            waiting["id"].clone(),
            json!(desk.queue),
            json!("QUEUED")
        )
    );

    // No longer a member: nothing of the queue reaches them; the next queue they join does.
    app.set_members(owner, &desk.queue, &[&desk.op]).await;
    assert_eq!(queues_changed(&mut ws).await, Vec::<String>::new());
    app.hand_off_ok(&desk.key, &desk.queue, "+48600100208")
        .await;
    app.set_members(owner, &sales, &[&newcomer]).await;
    assert_eq!(queues_changed(&mut ws).await, vec![sales.clone()]);
    let elsewhere = app.hand_off_ok(&desk.key, &sales, "+48600100209").await;
    assert_eq!(
        queue_change(&mut ws).await,
        (
            "CHAT_QUEUED".to_owned(),
            elsewhere["id"].clone(),
            json!(sales),
            json!("QUEUED")
        )
    );
    // A member who stayed one was told nothing.
    assert!(
        kinds_since(&app, &desk.op.token, unchanged)
            .await
            .iter()
            .all(|(kind, _)| kind != "QUEUES_CHANGED")
    );

    // Made a manager: every queue's waiting chats, a new queue's too.
    app.ok(
        Some(owner),
        "mutation($input: UpdateOperatorInput!) { updateOperator(input: $input) { operator { role } } }",
        json!({ "input": { "id": newcomer.id, "role": "MANAGER" } }),
    )
    .await;
    assert_eq!(
        queues_changed(&mut ws).await,
        sorted(vec![desk.queue.clone(), sales.clone()])
    );
    let returns = app.create_queue(owner, "Returns", None).await;
    assert_eq!(
        queues_changed(&mut ws).await,
        sorted(vec![desk.queue.clone(), sales.clone(), returns.clone()])
    );
    let unstaffed = app.hand_off_ok(&desk.key, &returns, "+48600100210").await;
    assert_eq!(
        queue_change(&mut ws).await,
        (
            "CHAT_QUEUED".to_owned(),
            unstaffed["id"].clone(),
            json!(returns),
            json!("QUEUED")
        )
    );
    // A manager sees the chat wherever it goes from the list.
    assign(&app, owner, &unstaffed["id"], &desk.op).await;
    assert_eq!(
        queue_change(&mut ws).await,
        (
            "CHAT_DEQUEUED".to_owned(),
            unstaffed["id"].clone(),
            json!(returns),
            json!("NEW")
        )
    );

    // The stream is an operator's: a key is refused, another organization's operator sees
    // only their own queues.
    let (mut machine, _) = WsClient::connect(&app, &desk.key).await;
    machine.subscribe(QUEUE_EVENTS).await;
    let refused = machine.receive().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    let other = app.desk("Other").await;
    let (_, theirs) = follow_queues(&app, &other.op.token).await;
    assert_eq!(theirs, json!([other.queue]));
}

const BOT_CHATS: &str = "{ botChats(first: 10) { nodes { id status } } }";

async fn chats_with_the_bot_can_be_taken_over(app: TestApp) {
    let desk = app.desk("Acme").await;
    let colleague = app.operator(&desk.org.owner_token, "OPERATOR").await;
    let outsider = app.operator(&desk.org.owner_token, "OPERATOR").await;
    app.set_members(&desk.org.owner_token, &desk.queue, &[&desk.op, &colleague])
        .await;
    let (mut theirs, _) = follow_queues(&app, &colleague.token).await;
    let queue = json!(desk.queue);

    // The bot starts talking to a customer on behalf of the queue: its members are told.
    let posted = app
        .ok(
            Some(&desk.key),
            "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { chatId } } }",
            json!({ "input": {
                "source": "TELEGRAM", "queueId": desk.queue,
                "customer": { "phone": "+48600100205" }, "text": "I want to talk to a person"
            } }),
        )
        .await;
    let chat_id = posted["postCustomerMessage"]["message"]["chatId"].clone();
    assert_eq!(
        queue_change(&mut theirs).await,
        (
            "CHAT_WITH_BOT".to_owned(),
            chat_id.clone(),
            queue.clone(),
            json!("BOT")
        )
    );
    let listed = app.ok(Some(&colleague.token), BOT_CHATS, json!({})).await;
    assert_eq!(
        listed["botChats"]["nodes"],
        json!([{ "id": chat_id, "status": "BOT" }])
    );
    // Only the queue's members (and managers) see it; another organization sees nothing.
    let hidden = app.ok(Some(&outsider.token), BOT_CHATS, json!({})).await;
    assert_eq!(hidden["botChats"]["nodes"], json!([]));
    let other = app.desk("Other").await;
    let elsewhere = app.ok(Some(&other.op.token), BOT_CHATS, json!({})).await;
    assert_eq!(elsewhere["botChats"]["nodes"], json!([]));
    let machine = app.gql(Some(&desk.key), BOT_CHATS, json!({})).await;
    assert_eq!(error_code(&machine), "FORBIDDEN");

    // One member takes it over: it leaves the other's list.
    app.chat_action(&desk.op.token, "takeOverChat", chat_id.as_str().unwrap())
        .await;
    assert_eq!(
        queue_change(&mut theirs).await,
        (
            "CHAT_DEQUEUED".to_owned(),
            chat_id.clone(),
            queue,
            Value::Null
        )
    );
    let after = app.ok(Some(&colleague.token), BOT_CHATS, json!({})).await;
    assert_eq!(after["botChats"]["nodes"], json!([]));
}

async fn workplace_events_carry_messages_and_a_starting_point(app: TestApp) {
    let desk = app.desk("Acme").await;
    let all = kinds_since(&app, &desk.op.token, 0).await;
    assert_eq!(seq(&app, &desk.op.token).await, all.len() as i64);
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600100202")
        .await;
    let id = chat["id"].as_str().unwrap();
    app.chat_action(&desk.op.token, "acceptChat", id).await;
    let start = seq(&app, &desk.op.token).await;
    app.ok(
        Some(&desk.key),
        "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { id } } }",
        json!({ "input": { "chatId": id, "text": "Is anyone there?" } }),
    )
    .await;
    let events = app
        .ok(
            Some(&desk.op.token),
            "query($a: Int!) { workplaceEventsSince(after: $a) { seq kind message { text authorKind } } serverTime }",
            json!({ "a": start }),
        )
        .await;
    let created = events["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "MESSAGE_CREATED")
        .expect("a MESSAGE_CREATED event");
    assert_eq!(
        created["message"],
        json!({ "text": "Is anyone there?", "authorKind": "CUSTOMER" })
    );
    assert_eq!(created["seq"].as_i64().unwrap(), start + 1);

    // The server's clock, which the panel's timers follow (manual here).
    let before = events["serverTime"].as_str().unwrap().to_owned();
    app.advance(&desk.org.owner_token, 90).await;
    let after = app
        .ok(Some(&desk.op.token), "{ serverTime }", json!({}))
        .await;
    let elapsed = chrono::DateTime::parse_from_rfc3339(after["serverTime"].as_str().unwrap())
        .unwrap()
        - chrono::DateTime::parse_from_rfc3339(&before).unwrap();
    assert_eq!(elapsed.num_seconds(), 90);
}
