//! The conversation: customer messages, the SLA traffic light, muting, taking over from the bot,
//! notes, topics and tags, previous chats, the customer's description, quick replies, masking
//! (D, F, K1).

use omnipanel_tests::{Op, Org, TestApp, error_code, error_field, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    the_traffic_light_follows_the_customer_and_the_clock,
    the_traffic_light_can_count_from_the_operators_message,
    a_muted_customer_does_not_restart_the_clock,
    an_operator_takes_a_chat_over_from_the_bot,
    a_chatbots_first_messages_number_new_chats_and_customers,
    notes_keep_their_limits,
    topics_tags_and_previous_chats,
    quick_replies_are_filled_for_the_chat,
    customer_data_is_masked_for_operators,
    a_customers_description_follows_them_to_later_chats,
    an_invitation_shows_the_last_messages,
);

struct Desk {
    org: Org,
    key: String,
    queue: String,
    op: Op,
}

async fn desk(app: &TestApp) -> Desk {
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;
    app.set_status(&op, "READY").await;
    Desk {
        org,
        key,
        queue,
        op,
    }
}

/// Hands a chat off and has the operator accept it; returns the chat id.
async fn accepted_chat(app: &TestApp, d: &Desk, phone: &str) -> String {
    let chat = app.hand_off_ok(&d.key, &d.queue, phone).await;
    let id = chat["id"].as_str().unwrap().to_owned();
    let accepted = app.chat_action(&d.op.token, "acceptChat", &id).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    id
}

async fn customer_says(app: &TestApp, key: &str, chat: &str, text: &str) -> Value {
    app.gql(
        Some(key),
        "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { id text authorKind } } }",
        json!({ "input": { "chatId": chat, "text": text } }),
    )
    .await
}

async fn operator_says(app: &TestApp, op: &Op, chat: &str, text: &str) {
    app.ok(
        Some(&op.token),
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
        json!({ "input": { "chatId": chat, "text": text } }),
    )
    .await;
}

async fn light(app: &TestApp, token: &str, chat: &str) -> String {
    app.chat(token, chat).await["trafficLight"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn the_traffic_light_follows_the_customer_and_the_clock(app: TestApp) {
    let d = desk(&app).await;
    let owner = d.org.owner_token.as_str();
    let waiting = app.hand_off_ok(&d.key, &d.queue, "+48600100200").await;
    assert_eq!(waiting["trafficLight"], "NONE", "not being worked yet");
    let id = waiting["id"].as_str().unwrap().to_owned();
    app.chat_action(&d.op.token, "acceptChat", &id).await;
    assert_eq!(light(&app, owner, &id).await, "GREEN");
    app.advance(owner, 179).await;
    assert_eq!(light(&app, owner, &id).await, "GREEN");
    app.advance(owner, 1).await;
    assert_eq!(light(&app, owner, &id).await, "YELLOW", "180 s");
    app.advance(owner, 180).await;
    assert_eq!(light(&app, owner, &id).await, "RED", "360 s");
    operator_says(&app, &d.op, &id, "Sorry for the wait!").await;
    assert_eq!(
        light(&app, owner, &id).await,
        "GREY",
        "waiting for the customer"
    );
    assert!(customer_says(&app, &d.key, &id, "No problem").await["errors"].is_null());
    assert_eq!(
        light(&app, owner, &id).await,
        "GREEN",
        "the customer waits again"
    );

    // The server pushes each change as an event, without anyone asking.
    let events = app
        .ok(
            Some(&d.op.token),
            "{ workplaceEventsSince(after: 0) { kind payload } }",
            json!({}),
        )
        .await;
    let colours: Vec<_> = events["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "TRAFFIC_LIGHT_CHANGED")
        .map(|e| e["payload"]["trafficLight"].clone())
        .collect();
    assert_eq!(
        colours,
        vec![json!("YELLOW"), json!("RED"), json!("GREY"), json!("GREEN")]
    );

    // Thresholds come from the settings; with the light off every chat is NONE.
    app.ok(Some(owner), "mutation { updateSettings(input: { trafficLightEnabled: false }) { settings { trafficLightEnabled } } }", json!({}))
        .await;
    assert_eq!(light(&app, owner, &id).await, "NONE");
}

async fn the_traffic_light_can_count_from_the_operators_message(app: TestApp) {
    let d = desk(&app).await;
    let owner = d.org.owner_token.as_str();
    app.ok(
        Some(owner),
        "mutation { updateSettings(input: { countFromOperatorMessage: true, yellowAfterSecs: 60, redAfterSecs: 120 }) { settings { countFromOperatorMessage } } }",
        json!({}),
    )
    .await;
    let id = accepted_chat(&app, &d, "+48600100200").await;
    app.advance(owner, 50).await;
    operator_says(&app, &d.op, &id, "Checking").await;
    customer_says(&app, &d.key, &id, "Ok?").await;
    assert_eq!(light(&app, owner, &id).await, "GREEN");
    app.advance(owner, 60).await;
    assert_eq!(
        light(&app, owner, &id).await,
        "YELLOW",
        "60 s after the operator's message"
    );
    app.advance(owner, 60).await;
    assert_eq!(light(&app, owner, &id).await, "RED");
}

async fn a_muted_customer_does_not_restart_the_clock(app: TestApp) {
    let d = desk(&app).await;
    let owner = d.org.owner_token.as_str();
    let id = accepted_chat(&app, &d, "+48600100200").await;
    operator_says(&app, &d.op, &id, "Hello").await;
    let mute = "mutation($input: MuteCustomerInput!) { muteCustomer(input: $input) { chat { muted trafficLight } } }";
    let muted = app
        .ok(
            Some(&d.op.token),
            mute,
            json!({ "input": { "chatId": id, "muted": true } }),
        )
        .await;
    assert_eq!(muted["muteCustomer"]["chat"]["muted"], true);
    for n in 0..3 {
        let posted = customer_says(&app, &d.key, &id, &format!("spam {n}")).await;
        assert!(posted["errors"].is_null(), "the messages are still stored");
    }
    assert_eq!(
        light(&app, owner, &id).await,
        "GREY",
        "no alert from a muted customer"
    );
    let messages = app
        .ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { messages { edges { node { text } } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        messages["chat"]["messages"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    app.ok(
        Some(&d.op.token),
        mute,
        json!({ "input": { "chatId": id, "muted": false } }),
    )
    .await;
    customer_says(&app, &d.key, &id, "Real question").await;
    assert_eq!(light(&app, owner, &id).await, "GREEN");
    let stranger = app.operator(owner, "OPERATOR").await;
    let refused = app
        .gql(
            Some(&stranger.token),
            mute,
            json!({ "input": { "chatId": id, "muted": true } }),
        )
        .await;
    assert_eq!(error_code(&refused), "NOT_FOUND");
}

async fn an_operator_takes_a_chat_over_from_the_bot(app: TestApp) {
    let d = desk(&app).await;
    app.ok(
        Some(&d.org.owner_token),
        "mutation { updateSettings(input: { takeoverGreetingTemplate: \"Hi! <operator_name> here, I will take it from now.\" }) { settings { takeoverGreetingTemplate } } }",
        json!({}),
    )
    .await;
    let first = app
        .ok(
            Some(&d.key),
            "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { chatId } } }",
            json!({ "input": { "source": "TELEGRAM", "customer": { "messengerId": "777", "name": "Ola" }, "queueId": d.queue, "text": "Hello bot", "externalId": "tg-1" } }),
        )
        .await;
    let id = first["postCustomerMessage"]["message"]["chatId"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same provider message twice is stored once; the next one joins the open chat.
    let again = app
        .ok(
            Some(&d.key),
            "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { chatId } } }",
            json!({ "input": { "source": "TELEGRAM", "customer": { "messengerId": "777" }, "text": "Hello bot", "externalId": "tg-1" } }),
        )
        .await;
    assert_eq!(
        again["postCustomerMessage"]["message"]["chatId"],
        id.as_str()
    );
    assert_eq!(app.chat(&d.org.owner_token, &id).await["status"], "BOT");

    let taken = app.chat_action(&d.op.token, "takeOverChat", &id).await;
    assert_eq!(
        taken["data"]["takeOverChat"]["chat"]["status"], "NEW",
        "{taken}"
    );
    assert_eq!(
        taken["data"]["takeOverChat"]["chat"]["operator"]["id"],
        d.op.id.as_str()
    );
    let messages = app
        .ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { messages { edges { node { authorKind text } } } } }",
            json!({ "id": id }),
        )
        .await;
    let edges = messages["chat"]["messages"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 2, "the duplicate was not stored");
    assert_eq!(
        edges[1]["node"],
        json!({ "authorKind": "SYSTEM", "text": "Hi! Ola here, I will take it from now." })
    );
    assert_eq!(
        error_code(&app.chat_action(&d.op.token, "takeOverChat", &id).await),
        "CONFLICT",
        "only from the bot"
    );
}

/// A chatbot's message without a chat opens one, numbered before its change (`numbering.rs`):
/// new chats and customers are numbered in order with none skipped, a message to an open chat
/// or from a known customer takes no number, and a refused one takes none.
async fn a_chatbots_first_messages_number_new_chats_and_customers(app: TestApp) {
    let d = desk(&app).await;
    let post = "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { chatId } } }";
    let say = |source: &str, customer: Value, text: &str| json!({ "input": { "source": source, "customer": customer, "queueId": d.queue, "text": text } });
    let ann = json!({ "messengerId": "ann-1", "phone": "+48600100201", "name": "Ann" });
    app.ok(Some(&d.key), post, say("TELEGRAM", ann.clone(), "Hello"))
        .await;
    app.ok(Some(&d.key), post, say("TELEGRAM", ann, "Still there?"))
        .await;
    let bob = json!({ "messengerId": "bob-1", "name": "Bob" });
    let mut refused = say("TELEGRAM", bob.clone(), "Hi");
    refused["input"]["queueId"] = json!("00000000-0000-4000-8000-000000000000");
    let refused = app.gql(Some(&d.key), post, refused).await;
    assert_eq!(error_code(&refused), "VALIDATION", "{refused}");
    assert_eq!(error_field(&refused), "queueId");
    app.ok(Some(&d.key), post, say("TELEGRAM", bob, "Hi")).await;
    // Ann again, by her phone, on another source: a new chat, the customer she was.
    let ann_elsewhere = json!({ "phone": "+48600100201" });
    app.ok(
        Some(&d.key),
        post,
        say("VIBER", ann_elsewhere, "About an order"),
    )
    .await;
    let cy = json!({ "messengerId": "cy-1", "name": "Cy" });
    app.ok(Some(&d.key), post, say("TELEGRAM", cy, "Hello"))
        .await;

    let seen = app.numbered_chats(&d.org.owner_token).await;
    assert_eq!(
        seen,
        [
            (1, "Ann".to_owned(), 1, 2),
            (2, "Bob".to_owned(), 2, 1),
            (3, "Ann".to_owned(), 1, 1),
            (4, "Cy".to_owned(), 3, 1),
        ]
    );
}

async fn notes_keep_their_limits(app: TestApp) {
    let d = desk(&app).await;
    let add = "mutation($input: AddNoteInput!) { addNote(input: $input) { note { id text author { id } } } }";
    let waiting = app.hand_off_ok(&d.key, &d.queue, "+48600100200").await;
    let invited_id = waiting["id"].as_str().unwrap().to_owned();
    let unassigned = app
        .gql(
            Some(&d.op.token),
            add,
            json!({ "input": { "chatId": invited_id, "text": "x" } }),
        )
        .await;
    assert_eq!(
        error_code(&unassigned),
        "CONFLICT",
        "no notes before the chat is the operator's"
    );
    app.chat_action(&d.op.token, "acceptChat", &invited_id)
        .await;
    let id = invited_id;

    let long = app
        .gql(
            Some(&d.op.token),
            add,
            json!({ "input": { "chatId": id, "text": "n".repeat(1001) } }),
        )
        .await;
    assert_eq!(error_field(&long), "text");
    let note = app
        .ok(
            Some(&d.op.token),
            add,
            json!({ "input": { "chatId": id, "text": "n".repeat(1000) } }),
        )
        .await;
    let note_id = note["addNote"]["note"]["id"].as_str().unwrap().to_owned();
    let second = app
        .gql(
            Some(&d.op.token),
            add,
            json!({ "input": { "chatId": id, "text": "again" } }),
        )
        .await;
    assert_eq!(
        error_code(&second),
        "CONFLICT",
        "one note per operator per assignment"
    );
    let edit = "mutation($input: UpdateNoteInput!) { updateNote(input: $input) { note { text } } }";
    let edited = app
        .ok(
            Some(&d.op.token),
            edit,
            json!({ "input": { "noteId": note_id, "text": "Wants a refund" } }),
        )
        .await;
    assert_eq!(edited["updateNote"]["note"]["text"], "Wants a refund");

    // Ten notes at most: nine more operators take the chat in turn and each leaves one.
    let assign = "mutation($input: AssignChatInput!) { assignChat(input: $input) { chat { id } } }";
    let supervisor = app.operator(&d.org.owner_token, "SUPERVISOR").await;
    let mut team = vec![];
    for _ in 0..10 {
        team.push(app.operator(&d.org.owner_token, "OPERATOR").await);
    }
    let mut members: Vec<&Op> = team.iter().collect();
    members.push(&d.op);
    members.push(&supervisor);
    app.set_members(&d.org.owner_token, &d.queue, &members)
        .await;
    let mut previous = &d.op;
    for (n, next) in team.iter().enumerate() {
        // Hand the chat back to the queue by going offline, then the supervisor assigns it on.
        app.set_status(previous, "OFFLINE").await;
        app.ok(
            Some(&supervisor.token),
            assign,
            json!({ "input": { "chatId": id, "operatorId": next.id } }),
        )
        .await;
        let body = app
            .gql(
                Some(&next.token),
                add,
                json!({ "input": { "chatId": id, "text": format!("note {n}") } }),
            )
            .await;
        if n < 9 {
            assert!(body["errors"].is_null(), "{body}");
        } else {
            assert_eq!(error_code(&body), "LIMIT_EXCEEDED", "the eleventh note");
        }
        previous = next;
    }
    // The first operator's note is read by the others, and no longer editable.
    let notes = app
        .ok(
            Some(&previous.token),
            "query($id: ID!) { chat(id: $id) { notes { text } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(notes["chat"]["notes"][0]["text"], "Wants a refund");
    assert_eq!(notes["chat"]["notes"].as_array().unwrap().len(), 10);
    app.set_status(&d.op, "READY").await;
    let stale = app
        .gql(
            Some(&d.op.token),
            edit,
            json!({ "input": { "noteId": note_id, "text": "changed" } }),
        )
        .await;
    assert!(
        matches!(error_code(&stale), "CONFLICT" | "NOT_FOUND"),
        "{stale}"
    );
}

async fn topics_tags_and_previous_chats(app: TestApp) {
    let d = desk(&app).await;
    let owner = d.org.owner_token.as_str();
    let billing = app
        .ok(
            Some(owner),
            "mutation { createTopic(input: { name: \"Billing\" }) { topic { id } } }",
            json!({}),
        )
        .await;
    let billing_id = billing["createTopic"]["topic"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund = app
        .ok(Some(owner), "mutation($p: ID!) { createTopic(input: { name: \"Refund\", parentId: $p }) { topic { id } } }", json!({ "p": billing_id }))
        .await;
    let refund_id = refund["createTopic"]["topic"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first = accepted_chat(&app, &d, "+48600100200").await;
    let reason = app
        .ok(
            Some(owner),
            "mutation { createWrapUpReason(input: { name: \"Done\" }) { wrapUpReason { id } } }",
            json!({}),
        )
        .await;
    let reason_id = reason["createWrapUpReason"]["wrapUpReason"]["id"].clone();
    app.ok(
        Some(&d.op.token),
        "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { id } } }",
        json!({ "input": { "chatId": first, "wrapUpReasonId": reason_id } }),
    )
    .await;
    let second = accepted_chat(&app, &d, "+48 600 100 200").await;

    let set_topic = "mutation($input: SetChatTopicInput!) { setChatTopic(input: $input) { chat { topic { name } subtopic { name } } } }";
    let mismatch = app
        .gql(
            Some(&d.op.token),
            set_topic,
            json!({ "input": { "chatId": second, "topicId": refund_id } }),
        )
        .await;
    assert_eq!(error_field(&mismatch), "topicId");
    let set = app
        .ok(Some(&d.op.token), set_topic, json!({ "input": { "chatId": second, "topicId": billing_id, "subtopicId": refund_id } }))
        .await;
    assert_eq!(
        set["setChatTopic"]["chat"],
        json!({ "topic": { "name": "Billing" }, "subtopic": { "name": "Refund" } })
    );

    let set_tags =
        "mutation($input: SetChatTagsInput!) { setChatTags(input: $input) { chat { tags } } }";
    let tags = app
        .ok(
            Some(&d.op.token),
            set_tags,
            json!({ "input": { "chatId": second, "tags": [" vip ", "refund", "vip"] } }),
        )
        .await;
    assert_eq!(
        tags["setChatTags"]["chat"]["tags"],
        json!(["refund", "vip"])
    );
    let bad = app
        .gql(
            Some(&d.op.token),
            set_tags,
            json!({ "input": { "chatId": second, "tags": ["x".repeat(51)] } }),
        )
        .await;
    assert_eq!(error_field(&bad), "tags");

    let previous = app
        .ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { previousChats { id status } } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(
        previous["chat"]["previousChats"],
        json!([{ "id": first, "status": "COMPLETED" }]),
        "the same customer by phone"
    );
}

async fn quick_replies_are_filled_for_the_chat(app: TestApp) {
    let d = desk(&app).await;
    let reply = app
        .ok(
            Some(&d.org.owner_token),
            "mutation { createQuickReply(input: { name: \"Hi\", text: \"Hello, <customer_name>! I am <operator_name>.\" }) { quickReply { id } } }",
            json!({}),
        )
        .await;
    let reply_id = reply["createQuickReply"]["quickReply"]["id"].clone();
    let id = accepted_chat(&app, &d, "+48600100200").await;
    let filled = app
        .ok(
            Some(&d.op.token),
            "query($chat: ID!) { quickReplies(search: \"hi\") { filledText(chatId: $chat) } }",
            json!({ "chat": id }),
        )
        .await;
    assert_eq!(
        filled["quickReplies"][0]["filledText"],
        "Hello, Jan! I am Ola."
    );
    let sent = app
        .ok(
            Some(&d.op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { text } } }",
            json!({ "input": { "chatId": id, "text": "Hello, Jan! I am Ola. Edited.", "quickReplyId": reply_id } }),
        )
        .await;
    assert_eq!(
        sent["sendMessage"]["message"]["text"],
        "Hello, Jan! I am Ola. Edited."
    );
}

async fn customer_data_is_masked_for_operators(app: TestApp) {
    let d = desk(&app).await;
    let owner = d.org.owner_token.as_str();
    app.ok(Some(owner), "mutation { updateSettings(input: { maskingEnabled: true, unmaskedRoles: [OWNER] }) { settings { maskingEnabled } } }", json!({}))
        .await;
    let chat = app
        .ok(
            Some(&d.key),
            "mutation($input: HandOffChatInput!) { handOffChat(input: $input) { chat { id customer { displayName } } } }",
            json!({ "input": { "queueId": d.queue, "source": "WEBCHAT", "customer": { "name": "+447966197542", "phone": "+ 1 (123) 456 7890", "email": "melissa@gmail.com" },
                "transcript": [{ "authorKind": "CUSTOMER", "text": "My card is 4111 1111 1111 1111, mail melissa@gmail.com" }] } }),
        )
        .await;
    let id = chat["handOffChat"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        chat["handOffChat"]["chat"]["customer"]["displayName"], "+11234567890",
        "the bot sees originals"
    );
    app.chat_action(&d.op.token, "acceptChat", &id).await;
    let query = "query($id: ID!) { chat(id: $id) { customer { name phone email displayName } lastMessage messages { edges { node { text } } } } }";
    let seen = app.ok(Some(&d.op.token), query, json!({ "id": id })).await;
    assert_eq!(
        seen["chat"]["customer"],
        json!({ "name": "*********7542", "phone": "********7890", "email": "m******@gmail.com", "displayName": "********7890" })
    );
    let masked_text = "My card is ************1111, mail m******@gmail.com";
    assert_eq!(seen["chat"]["lastMessage"], masked_text);
    assert_eq!(
        seen["chat"]["messages"]["edges"][0]["node"]["text"],
        masked_text
    );
    // Exactly the examples of PRODUCT.md K1, as typed.
    let examples = app
        .ok(
            Some(&d.key),
            "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": id, "text": "+ 1 (123) 456 7890 | +447966197542 | melissa@gmail.com" } }),
        )
        .await;
    assert!(examples["postCustomerMessage"]["message"]["id"].is_string());
    let last = app
        .ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { lastMessage } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        last["chat"]["lastMessage"],
        "**********7890 | *********7542 | m******@gmail.com"
    );
    // The owner is exempted by the admin; originals are kept.
    let original = app.ok(Some(owner), query, json!({ "id": id })).await;
    assert_eq!(original["chat"]["customer"]["email"], "melissa@gmail.com");
    assert_eq!(original["chat"]["customer"]["phone"], "+11234567890");
}

async fn a_customers_description_follows_them_to_later_chats(app: TestApp) {
    let d = desk(&app).await;
    let owner = &d.org.owner_token;
    let describe = "mutation($input: DescribeCustomerInput!) { describeCustomer(input: $input) { chat { customer { description } } } }";
    let described = |chat: &str| {
        let query = "query($id: ID!) { chat(id: $id) { customer { description } } }";
        let variables = json!({ "id": chat });
        let app = &app;
        async move {
            app.ok(Some(owner), query, variables).await["chat"]["customer"]["description"].clone()
        }
    };
    let first = accepted_chat(&app, &d, "+48600300300").await;
    let written = app
        .ok(
            Some(&d.op.token),
            describe,
            json!({ "input": { "chatId": first, "description": "  Prefers e-mail. Long-time customer.  " } }),
        )
        .await;
    assert_eq!(
        written["describeCustomer"]["chat"]["customer"]["description"],
        "Prefers e-mail. Long-time customer."
    );

    // Too long, or by an operator who does not work the chat: refused, and nothing changes.
    let long = app
        .gql(
            Some(&d.op.token),
            describe,
            json!({ "input": { "chatId": first, "description": "x".repeat(1001) } }),
        )
        .await;
    assert_eq!(error_field(&long), "description");
    // An operator sees only the chats they work: a colleague's is not found.
    let colleague = app.operator(owner, "OPERATOR").await;
    let theirs = app
        .gql(
            Some(&colleague.token),
            describe,
            json!({ "input": { "chatId": first, "description": "Rude" } }),
        )
        .await;
    assert_eq!(error_code(&theirs), "NOT_FOUND");
    assert_eq!(
        described(&first).await,
        "Prefers e-mail. Long-time customer."
    );

    // The customer's next chat shows it; a supervisor may change it, and blank clears it.
    let reason = app
        .ok(
            Some(owner),
            "mutation { createWrapUpReason(input: { name: \"Done\" }) { wrapUpReason { id } } }",
            json!({}),
        )
        .await;
    app.ok(
        Some(&d.op.token),
        "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { id } } }",
        json!({ "input": { "chatId": first, "wrapUpReasonId": reason["createWrapUpReason"]["wrapUpReason"]["id"] } }),
    )
    .await;
    let second = accepted_chat(&app, &d, "+48600300300").await;
    assert_ne!(first, second);
    assert_eq!(
        described(&second).await,
        "Prefers e-mail. Long-time customer."
    );
    app.ok(
        Some(owner),
        describe,
        json!({ "input": { "chatId": second, "description": "Moved to Gdańsk" } }),
    )
    .await;
    assert_eq!(described(&first).await, "Moved to Gdańsk");
    app.ok(
        Some(&d.op.token),
        describe,
        json!({ "input": { "chatId": second, "description": "   " } }),
    )
    .await;
    assert_eq!(described(&second).await, Value::Null);
}

async fn an_invitation_shows_the_last_messages(app: TestApp) {
    let d = desk(&app).await;
    let chat = app.hand_off_ok(&d.key, &d.queue, "+48600400400").await;
    let id = chat["id"].as_str().unwrap();
    assert_eq!(chat["status"], "INVITED");
    for text in ["Second", "Third", "Fourth"] {
        assert!(customer_says(&app, &d.key, id, text).await["errors"].is_null());
    }
    let recent = |count: i64| {
        let app = &app;
        let token = d.op.token.clone();
        async move {
            app.gql(
                Some(&token),
                "query($id: ID!, $n: Int!) { chat(id: $id) { recentMessages(count: $n) { text authorKind } } }",
                json!({ "id": id, "n": count }),
            )
            .await
        }
    };
    let three = recent(3).await;
    assert_eq!(
        three["data"]["chat"]["recentMessages"],
        json!([
            { "text": "Second", "authorKind": "CUSTOMER" },
            { "text": "Third", "authorKind": "CUSTOMER" },
            { "text": "Fourth", "authorKind": "CUSTOMER" },
        ])
    );
    // Fewer than asked: the whole conversation, the bot's hand-off transcript first.
    let all = recent(10).await["data"]["chat"]["recentMessages"].clone();
    let texts: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Hi, where is my order?",
            "Let me find an operator for you.",
            "Second",
            "Third",
            "Fourth"
        ]
    );
    for bad in [0, 11] {
        assert_eq!(error_field(&recent(bad).await), "count", "{bad}");
    }
}
