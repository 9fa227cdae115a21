//! The operator workplace through GraphQL: routing, invitations, RONA, queues, messages,
//! closing, presence and the event log (PRODUCT.md B, C, D, X1, X2, X6, X7).

use omnipanel_tests::{Op, Org, TestApp, error_code, error_field, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    a_handed_off_chat_goes_to_the_least_loaded_ready_operator,
    a_decline_reroutes_and_a_missed_invitation_blocks,
    chats_wait_oldest_first_and_closing_routes_the_next,
    bad_hand_offs_are_refused_and_create_nothing,
    a_full_queue_refuses_hand_offs_when_nobody_is_free,
    messages_follow_the_rules,
    closing_needs_a_wrap_up_reason_and_after_chat_work_holds_routing,
    a_queue_may_set_its_own_after_chat_work,
    statuses_follow_the_rules_and_every_change_is_an_event,
    an_operator_who_goes_offline_hands_chats_back_to_the_head_of_the_queue,
    operators_on_a_call_get_no_chats,
    assignment_by_hand_respects_roles_and_limits,
    chats_are_visible_only_to_those_who_may_see_them,
    the_best_skill_level_wins_among_the_least_loaded,
    chat_lists_load_relations_in_batches,
    an_idle_operator_goes_away_and_hands_chats_back,
    history_is_filtered_and_paged,
    history_is_filtered_by_dates_and_topics,
);

/// An organization with a chatbot key, one queue and two READY operators in it.
struct Floor {
    org: Org,
    key: String,
    queue: String,
    a: Op,
    b: Op,
}

async fn floor(app: &TestApp) -> Floor {
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let a = app.operator(&org.owner_token, "OPERATOR").await;
    let b = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&a, &b]).await;
    for op in [&a, &b] {
        assert!(app.set_status(op, "READY").await["errors"].is_null());
    }
    Floor {
        org,
        key,
        queue,
        a,
        b,
    }
}

fn operator_of(chat: &Value) -> Option<&str> {
    chat["operator"]["id"].as_str()
}

async fn wrap_up_reason(app: &TestApp, admin: &str) -> String {
    let data = app
        .ok(
            Some(admin),
            "mutation { createWrapUpReason(input: { name: \"Solved\" }) { wrapUpReason { id } } }",
            json!({}),
        )
        .await;
    data["createWrapUpReason"]["wrapUpReason"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn close(app: &TestApp, token: &str, chat: &str, reason: &str) -> Value {
    app.gql(
        Some(token),
        "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { status closedAt closedBy { id } wrapUpReason { name } } } }",
        json!({ "input": { "chatId": chat, "wrapUpReasonId": reason } }),
    )
    .await
}

async fn send(app: &TestApp, token: &str, chat: &str, text: &str) -> Value {
    app.gql(
        Some(token),
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id text authorKind deliveryState } } }",
        json!({ "input": { "chatId": chat, "text": text } }),
    )
    .await
}

async fn active_ids(app: &TestApp, op: &Op) -> Vec<String> {
    let data = app
        .ok(
            Some(&op.token),
            "{ myChats(tab: ACTIVE) { id } }",
            json!({}),
        )
        .await;
    data["myChats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_handed_off_chat_goes_to_the_least_loaded_ready_operator(app: TestApp) {
    let f = floor(&app).await;
    let first = app.hand_off_ok(&f.key, &f.queue, "+48 600 100 200").await;
    assert_eq!(first["title"], "Chat-1");
    assert_eq!(first["status"], "INVITED");
    assert_eq!(first["customer"]["displayName"], "+48600100200");
    assert!(first["invitationExpiresAt"].is_string());
    let first_owner = operator_of(&first).unwrap().to_owned();
    let (taker, other) = if first_owner == f.a.id {
        (&f.a, &f.b)
    } else {
        (&f.b, &f.a)
    };

    // "Open" shows the chat card in the CRM.
    app.ok(
        Some(&f.org.owner_token),
        "mutation { updateSettings(input: { crmChatUrlTemplate: \"https://crm.example.com/chat/{chatId}\" }) { settings { crmChatUrlTemplate } } }",
        json!({}),
    )
    .await;
    let open = app
        .ok(
            Some(&taker.token),
            "query($id: ID!) { chat(id: $id) { crmUrl } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(
        open["chat"]["crmUrl"],
        format!(
            "https://crm.example.com/chat/{}",
            first["id"].as_str().unwrap()
        )
    );
    let accepted = app
        .chat_action(&taker.token, "acceptChat", first["id"].as_str().unwrap())
        .await;
    assert_eq!(
        accepted["data"]["acceptChat"]["chat"]["status"], "NEW",
        "{accepted}"
    );
    assert_eq!(
        accepted["data"]["acceptChat"]["chat"]["trafficLight"],
        "GREEN"
    );

    let second = app.hand_off_ok(&f.key, &f.queue, "+48 600 100 201").await;
    assert_eq!(second["title"], "Chat-2");
    assert_eq!(
        operator_of(&second),
        Some(other.id.as_str()),
        "the less loaded operator gets the next chat"
    );

    // The chat carries the bot's transcript and variables; the same phone is the same customer.
    let details = app
        .ok(
            Some(&taker.token),
            "query($id: ID!) { chat(id: $id) { variables { key value } messages { edges { node { authorKind text } } } responsibleHistory { kind operator { id } acceptedAt } } }",
            json!({ "id": first["id"] }),
        )
        .await;
    assert_eq!(
        details["chat"]["variables"],
        json!([{ "key": "orderId", "value": "A-17" }])
    );
    let authors: Vec<_> = details["chat"]["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["authorKind"].clone())
        .collect();
    assert_eq!(authors, vec![json!("CUSTOMER"), json!("BOT")]);
    let history = details["chat"]["responsibleHistory"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["operator"]["id"], taker.id.as_str());
    assert!(history.last().unwrap()["acceptedAt"].is_string());
    assert_eq!(
        active_ids(&app, taker).await,
        vec![first["id"].as_str().unwrap().to_owned()]
    );
}

async fn a_decline_reroutes_and_a_missed_invitation_blocks(app: TestApp) {
    let f = floor(&app).await;
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    let id = chat["id"].as_str().unwrap();
    let (first, second) = if operator_of(&chat) == Some(f.a.id.as_str()) {
        (&f.a, &f.b)
    } else {
        (&f.b, &f.a)
    };

    // Someone it was never offered to cannot even see it.
    assert_eq!(
        error_code(&app.chat_action(&second.token, "acceptChat", id).await),
        "NOT_FOUND"
    );

    let declined = app.chat_action(&first.token, "declineChat", id).await;
    assert_eq!(
        operator_of(&declined["data"]["declineChat"]["chat"]),
        Some(second.id.as_str()),
        "{declined}"
    );
    assert_eq!(declined["data"]["declineChat"]["chat"]["status"], "INVITED");
    // The one who declined learns the invitation is gone, not that the chat does not exist.
    assert_eq!(
        error_code(&app.chat_action(&first.token, "acceptChat", id).await),
        "CONFLICT"
    );

    // The second operator lets the invitation run out: the chat goes back, they are BLOCKED,
    // and the first operator (who declined before) is offered it again.
    app.advance(&f.org.owner_token, 31).await;
    let me = app
        .ok(Some(&second.token), "{ me { status } }", json!({}))
        .await;
    assert_eq!(me["me"]["status"], "BLOCKED");
    let now = app.chat(&f.org.owner_token, id).await;
    assert_eq!(operator_of(&now), Some(first.id.as_str()));
    assert_eq!(
        error_code(&app.set_status(second, "READY").await),
        "CONFLICT",
        "only unblockMe leaves BLOCKED"
    );
    let unblocked = app
        .ok(
            Some(&second.token),
            "mutation { unblockMe { operator { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(unblocked["unblockMe"]["operator"]["status"], "READY");

    // Every decision is explained to supervisors, not to operators.
    let decisions = app
        .ok(
            Some(&f.org.owner_token),
            "query($id: ID!) { routingDecisions(chatId: $id) { trigger outcome chosenOperator { id } candidates { operator { id } skipped load } } }",
            json!({ "id": id }),
        )
        .await;
    let triggers: Vec<_> = decisions["routingDecisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["trigger"].clone())
        .collect();
    assert_eq!(
        triggers,
        vec![
            json!("INVITATION_EXPIRED"),
            json!("DECLINED"),
            json!("HAND_OFF")
        ]
    );
    let after_decline = &decisions["routingDecisions"][1]["candidates"];
    let decliner = after_decline
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["operator"]["id"] == first.id.as_str())
        .unwrap();
    assert_eq!(decliner["skipped"], "ALREADY_OFFERED");
    let forbidden = app
        .gql(
            Some(&first.token),
            "query($id: ID!) { routingDecisions(chatId: $id) { outcome } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
}

async fn chats_wait_oldest_first_and_closing_routes_the_next(app: TestApp) {
    let f = floor(&app).await;
    app.set_status(&f.b, "BREAK").await;
    app.set_max_chats(&f.org.owner_token, &f.a, 1).await;
    let reason = wrap_up_reason(&app, &f.org.owner_token).await;
    let one = app.hand_off_ok(&f.key, &f.queue, "+48600000001").await;
    let two = app.hand_off_ok(&f.key, &f.queue, "+48600000002").await;
    let three = app.hand_off_ok(&f.key, &f.queue, "+48600000003").await;
    assert_eq!(operator_of(&one), Some(f.a.id.as_str()));
    assert_eq!(two["status"], "QUEUED");
    assert_eq!(three["status"], "QUEUED");

    let waiting = app.ok(Some(&f.b.token), "{ unassignedChats(first: 1) { edges { cursor node { id } } pageInfo { hasNextPage } } }", json!({})).await;
    assert_eq!(
        waiting["unassignedChats"]["edges"][0]["node"]["id"],
        two["id"]
    );
    assert_eq!(waiting["unassignedChats"]["pageInfo"]["hasNextPage"], true);
    let cursor = waiting["unassignedChats"]["edges"][0]["cursor"].clone();
    let next = app
        .ok(Some(&f.b.token), "query($after: String) { unassignedChats(first: 5, after: $after) { edges { node { id } } pageInfo { hasNextPage } } }", json!({ "after": cursor }))
        .await;
    assert_eq!(
        next["unassignedChats"]["edges"],
        json!([{ "node": { "id": three["id"] } }])
    );
    assert_eq!(next["unassignedChats"]["pageInfo"]["hasNextPage"], false);

    let one_id = one["id"].as_str().unwrap();
    app.chat_action(&f.a.token, "acceptChat", one_id).await;
    let closed = close(&app, &f.a.token, one_id, &reason).await;
    assert_eq!(
        closed["data"]["closeChat"]["chat"]["status"], "COMPLETED",
        "{closed}"
    );
    // Capacity freed: the oldest waiting chat is offered at once.
    assert_eq!(
        operator_of(&app.chat(&f.a.token, two["id"].as_str().unwrap()).await),
        Some(f.a.id.as_str())
    );
    assert_eq!(
        app.chat(&f.org.owner_token, three["id"].as_str().unwrap())
            .await["status"],
        "QUEUED"
    );
    // READY frees capacity too.
    app.set_status(&f.b, "READY").await;
    assert_eq!(
        operator_of(&app.chat(&f.b.token, three["id"].as_str().unwrap()).await),
        Some(f.b.id.as_str())
    );
}

async fn bad_hand_offs_are_refused_and_create_nothing(app: TestApp) {
    let f = floor(&app).await;
    let query =
        "mutation($input: HandOffChatInput!) { handOffChat(input: $input) { chat { id } } }";
    let input = |patch: Value| {
        let mut base = json!({ "queueId": f.queue, "source": "TELEGRAM", "customer": { "phone": "+48600100200" } });
        for (k, v) in patch.as_object().unwrap() {
            base[k] = v.clone();
        }
        json!({ "input": base })
    };
    let as_operator = app.gql(Some(&f.a.token), query, input(json!({}))).await;
    assert_eq!(error_code(&as_operator), "FORBIDDEN");
    let cases = [
        (
            json!({ "queueId": uuid::Uuid::now_v7().to_string() }),
            "queueId",
        ),
        (json!({ "customer": {} }), "customer"),
        (
            json!({ "customer": { "phone": "call me maybe" } }),
            "customer.phone",
        ),
        (json!({ "customer": { "email": "nope" } }), "customer.email"),
        (
            json!({ "subtopicId": uuid::Uuid::now_v7().to_string() }),
            "subtopicId",
        ),
        (
            json!({ "variables": [{ "key": "", "value": "x" }] }),
            "variables[0].key",
        ),
        (
            json!({ "transcript": [{ "authorKind": "OPERATOR", "text": "fake" }] }),
            "transcript[0].authorKind",
        ),
    ];
    for (patch, field) in cases {
        let body = app.gql(Some(&f.key), query, input(patch)).await;
        assert_eq!(error_code(&body), "VALIDATION", "{field}: {body}");
        assert_eq!(error_field(&body), field, "{body}");
    }
    let listed = app
        .ok(
            Some(&f.org.owner_token),
            "{ unassignedChats { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["unassignedChats"]["edges"], json!([]));
    assert_eq!(
        active_ids(&app, &f.a).await.len() + active_ids(&app, &f.b).await.len(),
        0
    );
}

async fn a_full_queue_refuses_hand_offs_when_nobody_is_free(app: TestApp) {
    let f = floor(&app).await;
    let small = app.create_queue(&f.org.owner_token, "Small", Some(1)).await;
    app.hand_off_ok(&f.key, &small, "+48600000001").await;
    let refused = app.hand_off(&f.key, &small, "+48600000002").await;
    assert_eq!(error_code(&refused), "LIMIT_EXCEEDED", "{refused}");
    let listed = app
        .ok(
            Some(&f.org.owner_token),
            "{ unassignedChats { edges { node { title } } } queues { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["unassignedChats"]["edges"],
        json!([{ "node": { "title": "Chat-1" } }]),
        "the refused chat left no trace"
    );
    let names: Vec<_> = listed["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![json!("Support")],
        "a full queue is not offered as available"
    );
}

async fn messages_follow_the_rules(app: TestApp) {
    let f = floor(&app).await;
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    let id = chat["id"].as_str().unwrap();
    let (owner, other) = if operator_of(&chat) == Some(f.a.id.as_str()) {
        (&f.a, &f.b)
    } else {
        (&f.b, &f.a)
    };
    assert_eq!(
        error_code(&send(&app, &owner.token, id, "Hello").await),
        "CONFLICT",
        "accept first"
    );
    app.chat_action(&owner.token, "acceptChat", id).await;

    let reserved = send(&app, &owner.token, id, "Use <b>this</b>").await;
    assert_eq!(error_code(&reserved), "VALIDATION");
    assert_eq!(error_field(&reserved), "text");
    assert_eq!(
        error_field(&send(&app, &owner.token, id, &"x".repeat(1001)).await),
        "text"
    );
    assert_eq!(
        error_field(&send(&app, &owner.token, id, "   ").await),
        "text"
    );
    assert!(
        send(&app, &owner.token, id, &"😀".repeat(1000)).await["errors"].is_null(),
        "1000 emoji are 1000 characters"
    );

    let sent = send(&app, &owner.token, id, "Your order ships today 🚚").await;
    assert_eq!(
        sent["data"]["sendMessage"]["message"]["authorKind"],
        "OPERATOR"
    );
    let now = app.chat(&owner.token, id).await;
    assert_eq!(now["status"], "IN_PROGRESS");
    assert_eq!(now["trafficLight"], "GREY", "the operator replied");
    assert_eq!(now["lastMessage"], "Your order ships today 🚚");
    assert_eq!(now["lastMessageBy"], "OPERATOR");

    // An operator who is not the owner cannot write into the chat, or even see it.
    assert_eq!(
        error_code(&send(&app, &other.token, id, "Hi").await),
        "NOT_FOUND"
    );
}

async fn closing_needs_a_wrap_up_reason_and_after_chat_work_holds_routing(app: TestApp) {
    let f = floor(&app).await;
    app.set_status(&f.b, "BREAK").await;
    let reason = wrap_up_reason(&app, &f.org.owner_token).await;
    app.ok(Some(&f.org.owner_token), "mutation { updateSettings(input: { afterChatWorkSecs: 60 }) { settings { afterChatWorkSecs } } }", json!({}))
        .await;
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    let id = chat["id"].as_str().unwrap();
    app.chat_action(&f.a.token, "acceptChat", id).await;

    let unknown = close(&app, &f.a.token, id, &uuid::Uuid::now_v7().to_string()).await;
    assert_eq!(error_field(&unknown), "wrapUpReasonId");
    let system = app
        .ok(
            Some(&f.org.owner_token),
            "{ wrapUpReasons(includeSystem: true) { id isSystem } }",
            json!({}),
        )
        .await;
    let system_id = system["wrapUpReasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["isSystem"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        error_field(&close(&app, &f.a.token, id, &system_id).await),
        "wrapUpReasonId",
        "system reasons are the server's"
    );
    assert_eq!(
        app.chat(&f.a.token, id).await["status"],
        "NEW",
        "refused closes change nothing"
    );

    let closed = close(&app, &f.a.token, id, &reason).await;
    assert_eq!(
        closed["data"]["closeChat"]["chat"]["closedBy"]["id"],
        f.a.id.as_str()
    );
    assert_eq!(
        closed["data"]["closeChat"]["chat"]["wrapUpReason"]["name"],
        "Solved"
    );
    assert_eq!(
        error_code(&close(&app, &f.a.token, id, &reason).await),
        "CONFLICT",
        "closed once"
    );
    let closed_list = app
        .ok(
            Some(&f.a.token),
            "{ myChats(tab: CLOSED) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(closed_list["myChats"], json!([{ "id": id }]));

    // After-chat work: no new chat for 60 seconds, then the waiting chat comes at once.
    let next = app.hand_off_ok(&f.key, &f.queue, "+48600100201").await;
    assert_eq!(next["status"], "QUEUED");
    app.advance(&f.org.owner_token, 59).await;
    assert_eq!(
        app.chat(&f.org.owner_token, next["id"].as_str().unwrap())
            .await["status"],
        "QUEUED"
    );
    app.advance(&f.org.owner_token, 2).await;
    assert_eq!(
        operator_of(
            &app.chat(&f.org.owner_token, next["id"].as_str().unwrap())
                .await
        ),
        Some(f.a.id.as_str())
    );

    // "Finish" ends after-chat work early: the waiting chat comes at once.
    let finish = "mutation { finishAfterChatWork { operator { afterChatWorkUntil } } }";
    assert_eq!(
        error_code(&app.gql(Some(&f.a.token), finish, json!({})).await),
        "CONFLICT",
        "not in after-chat work"
    );
    let next_id = next["id"].as_str().unwrap();
    app.chat_action(&f.a.token, "acceptChat", next_id).await;
    close(&app, &f.a.token, next_id, &reason).await;
    let third = app.hand_off_ok(&f.key, &f.queue, "+48600100202").await;
    assert_eq!(third["status"], "QUEUED");
    let finished = app.ok(Some(&f.a.token), finish, json!({})).await;
    assert!(finished["finishAfterChatWork"]["operator"]["afterChatWorkUntil"].is_null());
    assert_eq!(
        operator_of(
            &app.chat(&f.org.owner_token, third["id"].as_str().unwrap())
                .await
        ),
        Some(f.a.id.as_str())
    );
}

async fn statuses_follow_the_rules_and_every_change_is_an_event(app: TestApp) {
    let f = floor(&app).await;
    let reason = wrap_up_reason(&app, &f.org.owner_token).await;
    assert_eq!(error_field(&app.set_status(&f.a, "AWAY").await), "status");
    assert_eq!(
        error_field(&app.set_status(&f.a, "BLOCKED").await),
        "status"
    );
    let custom = app
        .ok(Some(&f.org.owner_token), "mutation { createCustomStatus(input: { name: \"Training\" }) { customStatus { id } } }", json!({}))
        .await;
    let custom_id = custom["createCustomStatus"]["customStatus"]["id"].clone();
    let set = "mutation($input: SetMyStatusInput!) { setMyStatus(input: $input) { operator { status customStatusId statusSince } } }";
    let wrong = app
        .gql(
            Some(&f.a.token),
            set,
            json!({ "input": { "status": "BREAK", "customStatusId": custom_id } }),
        )
        .await;
    assert_eq!(error_field(&wrong), "customStatusId");
    let training = app
        .ok(
            Some(&f.a.token),
            set,
            json!({ "input": { "status": "UNAVAILABLE", "customStatusId": custom_id } }),
        )
        .await;
    assert_eq!(
        training["setMyStatus"]["operator"]["customStatusId"],
        custom_id
    );
    app.set_status(&f.a, "READY").await;
    app.advance(&f.org.owner_token, 30).await;

    // Scheduling the next status while working: it applies when the last chat closes.
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    let owner = if operator_of(&chat) == Some(f.a.id.as_str()) {
        &f.a
    } else {
        &f.b
    };
    let id = chat["id"].as_str().unwrap();
    app.chat_action(&owner.token, "acceptChat", id).await;
    let scheduled = app
        .ok(Some(&owner.token), "mutation { scheduleMyNextStatus(input: { status: BREAK }) { operator { status nextStatus } } }", json!({}))
        .await;
    assert_eq!(
        scheduled["scheduleMyNextStatus"]["operator"],
        json!({ "status": "READY", "nextStatus": "BREAK" })
    );
    close(&app, &owner.token, id, &reason).await;
    let me = app
        .ok(
            Some(&owner.token),
            "{ me { status nextStatus } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"], json!({ "status": "BREAK", "nextStatus": null }));

    // The event log: gap-free sequence numbers, and a reconnecting panel gets what it missed.
    let events = app
        .ok(
            Some(&owner.token),
            "{ workplaceEventsSince(after: 0) { seq kind chatId } }",
            json!({}),
        )
        .await;
    let list = events["workplaceEventsSince"].as_array().unwrap();
    let seqs: Vec<i64> = list.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as i64).collect::<Vec<_>>());
    let kinds: Vec<&str> = list.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    for expected in [
        "OPERATOR_UPDATED",
        "CHAT_INVITED",
        "CHAT_ASSIGNED",
        "CHAT_UNASSIGNED",
    ] {
        assert!(kinds.contains(&expected), "{expected} in {kinds:?}");
    }
    // Time in each status is recorded (B3): readable by the operator and supervisors only.
    app.advance(&f.org.owner_token, 60).await;
    let times = app
        .ok(
            Some(&owner.token),
            "query($from: DateTime!, $to: DateTime!) { me { timeInStatus(from: $from, to: $to) { status seconds } } }",
            json!({ "from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z" }),
        )
        .await;
    let statuses: Vec<_> = times["me"]["timeInStatus"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].clone())
        .collect();
    assert!(
        statuses.contains(&json!("READY")) && statuses.contains(&json!("BREAK")),
        "{statuses:?}"
    );
    let other = if owner.id == f.a.id { &f.b } else { &f.a };
    let peek = app
        .gql(
            Some(&other.token),
            "query { operators(onlyAvailable: false) { timeInStatus(from: \"2000-01-01T00:00:00Z\", to: \"2100-01-01T00:00:00Z\") { seconds } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&peek), "FORBIDDEN");
    let tail = app
        .ok(
            Some(&owner.token),
            "query($after: Int!) { workplaceEventsSince(after: $after) { seq } }",
            json!({ "after": seqs[seqs.len() - 2] }),
        )
        .await;
    assert_eq!(
        tail["workplaceEventsSince"],
        json!([{ "seq": seqs[seqs.len() - 1] }])
    );
}

async fn an_operator_who_goes_offline_hands_chats_back_to_the_head_of_the_queue(app: TestApp) {
    let f = floor(&app).await;
    app.set_status(&f.b, "BREAK").await;
    app.set_max_chats(&f.org.owner_token, &f.a, 1).await;
    let mine = app.hand_off_ok(&f.key, &f.queue, "+48600000001").await;
    app.chat_action(&f.a.token, "acceptChat", mine["id"].as_str().unwrap())
        .await;
    let waiting = app.hand_off_ok(&f.key, &f.queue, "+48600000002").await;
    assert_eq!(waiting["status"], "QUEUED");

    app.set_status(&f.a, "OFFLINE").await;
    assert_eq!(active_ids(&app, &f.a).await.len(), 0);
    let listed = app
        .ok(
            Some(&f.org.owner_token),
            "{ unassignedChats { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let order: Vec<_> = listed["unassignedChats"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].clone())
        .collect();
    assert_eq!(
        order,
        vec![mine["id"].clone(), waiting["id"].clone()],
        "the handed-back chat is at the head"
    );

    app.set_status(&f.b, "READY").await;
    assert_eq!(
        operator_of(&app.chat(&f.b.token, mine["id"].as_str().unwrap()).await),
        Some(f.b.id.as_str())
    );
}

async fn operators_on_a_call_get_no_chats(app: TestApp) {
    let f = floor(&app).await;
    app.set_status(&f.b, "BREAK").await;
    let call =
        "mutation($on: Boolean!) { setCallState(input: { onCall: $on }) { operator { onCall } } }";
    app.ok(Some(&f.a.token), call, json!({ "on": true })).await;
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    assert_eq!(chat["status"], "QUEUED");
    app.ok(Some(&f.a.token), call, json!({ "on": false })).await;
    assert_eq!(
        operator_of(&app.chat(&f.a.token, chat["id"].as_str().unwrap()).await),
        Some(f.a.id.as_str()),
        "the call's end frees capacity"
    );
}

async fn assignment_by_hand_respects_roles_and_limits(app: TestApp) {
    let f = floor(&app).await;
    for op in [&f.a, &f.b] {
        app.set_status(op, "BREAK").await;
    }
    let supervisor = app.operator(&f.org.owner_token, "SUPERVISOR").await;
    app.set_members(&f.org.owner_token, &f.queue, &[&f.a, &f.b, &supervisor])
        .await;
    let outsider = app.operator(&f.org.owner_token, "OPERATOR").await;
    let one = app.hand_off_ok(&f.key, &f.queue, "+48600000001").await;
    let two = app.hand_off_ok(&f.key, &f.queue, "+48600000002").await;
    let assign = "mutation($input: AssignChatInput!) { assignChat(input: $input) { chat { status operator { id } } } }";
    let give =
        |chat: &Value, to: &Op| json!({ "input": { "chatId": chat["id"], "operatorId": to.id } });

    assert_eq!(
        error_code(&app.gql(Some(&f.a.token), assign, give(&one, &f.b)).await),
        "FORBIDDEN",
        "operators assign only themselves"
    );
    assert_eq!(
        error_code(
            &app.gql(Some(&outsider.token), assign, give(&one, &outsider))
                .await
        ),
        "NOT_FOUND",
        "not their queue"
    );
    let taken = app.ok(Some(&f.a.token), assign, give(&one, &f.a)).await;
    assert_eq!(
        taken["assignChat"]["chat"],
        json!({ "status": "NEW", "operator": { "id": f.a.id } })
    );
    app.set_max_chats(&f.org.owner_token, &f.b, 1).await;
    app.ok(Some(&supervisor.token), assign, give(&two, &f.b))
        .await;
    let three = app.hand_off_ok(&f.key, &f.queue, "+48600000003").await;
    assert_eq!(
        error_code(
            &app.gql(Some(&supervisor.token), assign, give(&three, &f.b))
                .await
        ),
        "LIMIT_EXCEEDED"
    );
    assert_eq!(
        error_code(
            &app.gql(Some(&supervisor.token), assign, give(&one, &f.b))
                .await
        ),
        "CONFLICT",
        "already assigned"
    );
}

async fn chats_are_visible_only_to_those_who_may_see_them(app: TestApp) {
    let f = floor(&app).await;
    let other_queue = app.create_queue(&f.org.owner_token, "Other", None).await;
    let stranger = app.operator(&f.org.owner_token, "OPERATOR").await;
    app.set_members(&f.org.owner_token, &other_queue, &[&stranger])
        .await;
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    let id = chat["id"].as_str().unwrap();
    let query = "query($id: ID!) { chat(id: $id) { id } }";
    assert!(
        app.ok(Some(&stranger.token), query, json!({ "id": id }))
            .await["chat"]
            .is_null()
    );
    let manager = app.operator(&f.org.owner_token, "MANAGER").await;
    assert_eq!(
        app.ok(Some(&manager.token), query, json!({ "id": id }))
            .await["chat"]["id"],
        id
    );
    let waiting = app
        .ok(
            Some(&stranger.token),
            "{ unassignedChats { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(waiting["unassignedChats"]["edges"], json!([]));

    let other_org = app.create_org("Other Inc").await;
    assert!(
        app.ok(Some(&other_org.owner_token), query, json!({ "id": id }))
            .await["chat"]
            .is_null()
    );
    let body = app
        .chat_action(&other_org.owner_token, "acceptChat", id)
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
}

async fn the_best_skill_level_wins_among_the_least_loaded(app: TestApp) {
    let f = floor(&app).await;
    let skill = app
        .ok(
            Some(&f.org.owner_token),
            "mutation { createSkill(input: { name: \"Polish\" }) { skill { id } } }",
            json!({}),
        )
        .await;
    let skill_id = skill["createSkill"]["skill"]["id"].clone();
    app.ok(
        Some(&f.org.owner_token),
        "mutation($input: UpdateQueueInput!) { updateQueue(input: $input) { queue { id } } }",
        json!({ "input": { "id": f.queue, "skillId": skill_id } }),
    )
    .await;
    let set_skill = "mutation($input: SetOperatorSkillsInput!) { setOperatorSkills(input: $input) { operator { id } } }";
    for (op, level) in [(&f.a, 2), (&f.b, 5)] {
        app.ok(Some(&f.org.owner_token), set_skill, json!({ "input": { "operatorId": op.id, "skills": [{ "skillId": skill_id, "level": level }] } }))
            .await;
    }
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    assert_eq!(
        operator_of(&chat),
        Some(f.b.id.as_str()),
        "the expert gets it"
    );
    // Without the skill, an operator is skipped even when idle.
    app.ok(
        Some(&f.org.owner_token),
        set_skill,
        json!({ "input": { "operatorId": f.a.id, "skills": [] } }),
    )
    .await;
    app.set_max_chats(&f.org.owner_token, &f.b, 1).await;
    let second = app.hand_off_ok(&f.key, &f.queue, "+48600100201").await;
    assert_eq!(second["status"], "QUEUED");
    let decisions = app
        .ok(Some(&f.org.owner_token), "query($id: ID!) { routingDecisions(chatId: $id) { candidates { operator { id } skipped } } }", json!({ "id": second["id"] }))
        .await;
    let reasons: Vec<_> = decisions["routingDecisions"][0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["skipped"].clone())
        .collect();
    assert!(
        reasons.contains(&json!("LACKS_SKILL")) && reasons.contains(&json!("AT_LIMIT")),
        "{reasons:?}"
    );
}

async fn chat_lists_load_relations_in_batches(app: TestApp) {
    let f = floor(&app).await;
    for op in [&f.a, &f.b] {
        app.set_status(op, "BREAK").await;
    }
    let listing = "{ unassignedChats(first: 50) { edges { node { title status operator { firstName } customer { displayName } \
        queue { name skill { name } } lastMessage lastMessageBy topic { name } trafficLight responsibleHistory { kind operator { firstName } queue { name } } } } } }";
    app.hand_off_ok(&f.key, &f.queue, "+48600000000").await;
    let (one, with_one) = app
        .count_queries(app.ok(Some(&f.org.owner_token), listing, json!({})))
        .await;
    assert_eq!(one["unassignedChats"]["edges"].as_array().unwrap().len(), 1);
    for i in 1..50 {
        app.hand_off_ok(&f.key, &f.queue, &format!("+486000000{i:02}"))
            .await;
    }
    let (fifty, with_fifty) = app
        .count_queries(app.ok(Some(&f.org.owner_token), listing, json!({})))
        .await;
    assert_eq!(
        fifty["unassignedChats"]["edges"].as_array().unwrap().len(),
        50
    );
    assert_eq!(
        with_one, with_fifty,
        "a page of 50 chats takes as many statements as a page of one"
    );
    let history = listing.replace("unassignedChats(first: 50)", "chats(first: 50)");
    app.hand_off_ok(&f.key, &f.queue, "+48600009999").await;
    let (page, with_history) = app
        .count_queries(app.ok(Some(&f.org.owner_token), &history, json!({})))
        .await;
    assert_eq!(page["chats"]["edges"].as_array().unwrap().len(), 50);
    let single = listing.replace("unassignedChats(first: 50)", "chats(first: 1)");
    let (_, with_single) = app
        .count_queries(app.ok(Some(&f.org.owner_token), &single, json!({})))
        .await;
    assert_eq!(
        with_single, with_history,
        "the history's page of 50 costs what a page of one does"
    );
}

async fn an_idle_operator_goes_away_and_hands_chats_back(app: TestApp) {
    let f = floor(&app).await;
    let owner = f.org.owner_token.as_str();
    app.set_status(&f.b, "BREAK").await;
    let chat = app.hand_off_ok(&f.key, &f.queue, "+48600100200").await;
    let id = chat["id"].as_str().unwrap();
    app.chat_action(&f.a.token, "acceptChat", id).await;
    let me = "{ me { status canTakeCall } }";
    assert_eq!(
        app.ok(Some(&f.a.token), me, json!({})).await["me"],
        json!({ "status": "READY", "canTakeCall": false })
    );

    // Activity restarts the ten-minute timer.
    app.advance(owner, 9 * 60).await;
    app.ok(
        Some(&f.a.token),
        "mutation { reportActivity { operator { status } } }",
        json!({}),
    )
    .await;
    app.advance(owner, 9 * 60).await;
    assert_eq!(
        app.ok(Some(&f.a.token), me, json!({})).await["me"]["status"],
        "READY"
    );
    app.advance(owner, 2 * 60).await;
    assert_eq!(
        app.ok(Some(&f.a.token), me, json!({})).await["me"],
        json!({ "status": "AWAY", "canTakeCall": true })
    );
    let now = app.chat(owner, id).await;
    assert_eq!(
        now["status"], "QUEUED",
        "an absent operator's chat goes back to the queue"
    );
    // AWAY is left by the operator; READY takes the chat back at once.
    app.set_status(&f.a, "READY").await;
    assert_eq!(
        operator_of(&app.chat(owner, id).await),
        Some(f.a.id.as_str())
    );
}

async fn history_is_filtered_and_paged(app: TestApp) {
    let f = floor(&app).await;
    let reason = wrap_up_reason(&app, &f.org.owner_token).await;
    app.set_status(&f.b, "BREAK").await;
    let one = app.hand_off_ok(&f.key, &f.queue, "+48600000001").await;
    let two = app.hand_off_ok(&f.key, &f.queue, "+48600000002").await;
    let three = app.hand_off_ok(&f.key, &f.queue, "+48600000003").await;
    let one_id = one["id"].as_str().unwrap();
    app.chat_action(&f.a.token, "acceptChat", one_id).await;
    close(&app, &f.a.token, one_id, &reason).await;
    let query = "query($filter: ChatFilter, $first: Int, $after: String) { chats(filter: $filter, first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage } } }";
    let ids = |body: &Value| -> Vec<String> {
        body["chats"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let owner = f.org.owner_token.as_str();
    let all = app.ok(Some(owner), query, json!({})).await;
    let newest_first: Vec<String> = [&three, &two, &one]
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids(&all), newest_first);
    let by_phone = app
        .ok(
            Some(owner),
            query,
            json!({ "filter": { "phone": "+48 600 000 002" } }),
        )
        .await;
    assert_eq!(ids(&by_phone), vec![two["id"].as_str().unwrap().to_owned()]);
    let closed = app
        .ok(
            Some(owner),
            query,
            json!({ "filter": { "status": "COMPLETED" } }),
        )
        .await;
    assert_eq!(ids(&closed), vec![one_id.to_owned()]);
    let by_operator = app
        .ok(
            Some(owner),
            query,
            json!({ "filter": { "operatorId": f.a.id } }),
        )
        .await;
    assert!(ids(&by_operator).contains(&one_id.to_owned()));
    let by_text = app
        .ok(
            Some(owner),
            query,
            json!({ "filter": { "text": "WHERE IS MY" } }),
        )
        .await;
    assert_eq!(
        ids(&by_text).len(),
        3,
        "the transcript is searched, any case"
    );
    let none = app
        .ok(
            Some(owner),
            query,
            json!({ "filter": { "text": "100%_sure" } }),
        )
        .await;
    assert!(ids(&none).is_empty());

    let page = app.ok(Some(owner), query, json!({ "first": 2 })).await;
    assert_eq!(page["chats"]["pageInfo"]["hasNextPage"], true);
    let cursor = page["chats"]["edges"][1]["cursor"].clone();
    let rest = app
        .ok(Some(owner), query, json!({ "first": 2, "after": cursor }))
        .await;
    assert_eq!(ids(&rest), vec![one_id.to_owned()]);

    assert_eq!(
        error_field(
            &app.gql(Some(owner), query, json!({ "filter": { "rating": 6 } }))
                .await
        ),
        "rating"
    );
    // An operator's history is the chats they handled.
    let mine = app.ok(Some(&f.b.token), query, json!({})).await;
    assert!(ids(&mine).is_empty(), "B handled nothing");
}

async fn history_is_filtered_by_dates_and_topics(app: TestApp) {
    let f = floor(&app).await;
    let owner = f.org.owner_token.clone();
    let topic = |name: &'static str, parent: Option<String>| {
        let (app, owner) = (&app, owner.clone());
        async move {
            app.ok(
                Some(&owner),
                "mutation($input: CreateTopicInput!) { createTopic(input: $input) { topic { id } } }",
                json!({ "input": { "name": name, "parentId": parent } }),
            )
            .await["createTopic"]["topic"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let delivery = topic("Delivery", None).await;
    let late = topic("Late parcel", Some(delivery.clone())).await;
    let billing = topic("Billing", None).await;
    let hand_off = |phone: &'static str, topic: Option<String>, subtopic: Option<String>| {
        let app = &app;
        let (key, queue) = (f.key.clone(), f.queue.clone());
        async move {
            app.ok(
                Some(&key),
                "mutation($input: HandOffChatInput!) { handOffChat(input: $input) { chat { id createdAt } } }",
                json!({ "input": { "queueId": queue, "source": "TELEGRAM", "customer": { "phone": phone },
                    "topicId": topic, "subtopicId": subtopic } }),
            )
            .await["handOffChat"]["chat"]
                .clone()
        }
    };
    let old = hand_off("+48600000011", Some(delivery.clone()), Some(late.clone())).await;
    app.advance(&owner, 6 * 3600).await;
    let new = hand_off("+48600000012", Some(billing.clone()), None).await;
    let query = "query($filter: ChatFilter) { chats(filter: $filter) { edges { node { id } } } }";
    let found = |filter: Value| {
        let (app, owner) = (&app, owner.clone());
        async move {
            app.ok(Some(&owner), query, json!({ "filter": filter }))
                .await["chats"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let (old_id, new_id) = (old["id"].as_str().unwrap(), new["id"].as_str().unwrap());
    let new_at = new["createdAt"].as_str().unwrap();
    assert_eq!(found(json!({ "createdFrom": new_at })).await, [new_id]);
    assert_eq!(
        found(json!({ "createdTo": new_at })).await,
        [old_id],
        "the end is exclusive"
    );
    assert_eq!(found(json!({ "topicId": delivery })).await, [old_id]);
    assert_eq!(found(json!({ "subtopicId": late })).await, [old_id]);
    assert_eq!(found(json!({ "topicId": billing })).await, [new_id]);
    assert_eq!(
        found(json!({ "topicId": billing, "createdTo": new_at })).await,
        Vec::<String>::new()
    );
}

async fn a_queue_may_set_its_own_after_chat_work(app: TestApp) {
    let f = floor(&app).await;
    let owner = &f.org.owner_token;
    let reason = wrap_up_reason(&app, owner).await;
    app.ok(Some(owner), "mutation { updateSettings(input: { afterChatWorkSecs: 60 }) { settings { afterChatWorkSecs } } }", json!({}))
        .await;
    let update = "mutation($input: UpdateQueueInput!) { updateQueue(input: $input) { queue { afterChatWorkSecs } } }";
    for bad in [-1, 3601] {
        let refused = app
            .gql(
                Some(owner),
                update,
                json!({ "input": { "id": f.queue, "afterChatWorkSecs": bad } }),
            )
            .await;
        assert_eq!(error_field(&refused), "afterChatWorkSecs", "{bad}");
    }
    let refused = app
        .gql(
            Some(&f.a.token),
            update,
            json!({ "input": { "id": f.queue, "afterChatWorkSecs": 0 } }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let created = app
        .gql(
            Some(owner),
            "mutation { createQueue(input: { name: \"Late\", afterChatWorkSecs: 3601 }) { queue { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_field(&created), "afterChatWorkSecs");
    // None of the refusals changed anything.
    let queues = app
        .ok(
            Some(owner),
            "{ queues(onlyAvailable: false) { id name afterChatWorkSecs } }",
            json!({}),
        )
        .await;
    assert_eq!(
        queues["queues"],
        json!([{ "id": f.queue, "name": "Support", "afterChatWorkSecs": null }])
    );

    // A closes a fresh chat of the queue; returns how long A's after-chat work runs, if at all.
    app.set_status(&f.b, "BREAK").await;
    let close_one = async |phone: &str| {
        let chat = app.hand_off_ok(&f.key, &f.queue, phone).await;
        let id = chat["id"].as_str().unwrap().to_owned();
        assert_eq!(operator_of(&chat), Some(f.a.id.as_str()), "{chat}");
        app.chat_action(&f.a.token, "acceptChat", &id).await;
        assert!(close(&app, &f.a.token, &id, &reason).await["errors"].is_null());
        let me = app
            .ok(
                Some(&f.a.token),
                "{ me { afterChatWorkUntil } serverTime }",
                json!({}),
            )
            .await;
        // Finished at once, so the next chat comes to A.
        app.gql(
            Some(&f.a.token),
            "mutation { finishAfterChatWork { operator { id } } }",
            json!({}),
        )
        .await;
        me["me"]["afterChatWorkUntil"].as_str().map(|until| {
            let until: chrono::DateTime<chrono::Utc> = until.parse().unwrap();
            let now: chrono::DateTime<chrono::Utc> =
                me["serverTime"].as_str().unwrap().parse().unwrap();
            (until - now).num_seconds()
        })
    };
    // The queue's own time wins over the organization's, zero included; cleared, the
    // organization's holds again.
    let set = app
        .ok(
            Some(owner),
            update,
            json!({ "input": { "id": f.queue, "afterChatWorkSecs": 120 } }),
        )
        .await;
    assert_eq!(set["updateQueue"]["queue"]["afterChatWorkSecs"], 120);
    assert_eq!(close_one("+48600500001").await, Some(120));
    app.ok(
        Some(owner),
        update,
        json!({ "input": { "id": f.queue, "afterChatWorkSecs": 0 } }),
    )
    .await;
    assert_eq!(close_one("+48600500002").await, None);
    let cleared = app
        .ok(
            Some(owner),
            update,
            json!({ "input": { "id": f.queue, "clearAfterChatWork": true } }),
        )
        .await;
    assert_eq!(
        cleared["updateQueue"]["queue"]["afterChatWorkSecs"],
        Value::Null
    );
    assert_eq!(close_one("+48600500003").await, Some(60));
}
