//! How many SQL statements the hot path sends (the whole HTTP request: authentication, the
//! mutation, its events and the answer's fields), held under ceilings so that a change which adds
//! round trips to a hand-off or a message fails here before it shows in the benchmark. A
//! hand-off's count must not grow with the number of queue members: routing ranks them in a
//! fixed number of statements, and fan-out events are one multi-row write.

use omnipanel_tests::{Op, PANEL_QUEUE_EVENTS, TestApp, WsClient, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    the_hot_path_stays_within_its_statements,
    a_hand_off_costs_the_same_for_10_or_40_queue_members,
    the_live_overview_costs_the_same_for_any_floor,
    a_queued_chat_reaches_10_or_40_panels_for_about_the_same_statements
);

/// The most statements each operation may send. PostgreSQL writes a transaction's events in
/// one statement (counters and events in one CTE); SQLite in two. The notices other instances
/// hear are not the request's: the bus's relay sends them after the commit, many requests' in
/// one `pg_notify`. A message (an operator's, or the customer's into an open chat) reads the
/// operators it tells with the chat it locks, and on
/// PostgreSQL is written with the chat it changes and the events it causes in one statement, as
/// the change commits (SQLite: four); a hand-off
/// routes the chat it has just written (no lock, no second read) with the queue it checked, reads
/// the queue's members with their skill levels in one statement and keeps the chat routing
/// returns; an accepted chat is written once, with its light; a close marks who leaves the chat and gives back its owner's
/// capacity each in one `UPDATE … RETURNING` (both databases return rows from an update), which
/// reads what the close goes on with. A token used lately is resolved from memory, so a request
/// costs no statement to authenticate (each test first waits until the server keeps tokens).
/// Before the hot-path work these were 19, 34, 62 with 10 members (182 with 40), 19 and 27 on
/// PostgreSQL.
/// A change that needs more must say why here.
struct Ceilings {
    live_overview: usize,
    send_message: usize,
    customer_message: usize,
    hand_off_routed: usize,
    hand_off_queued: usize,
    accept: usize,
    close: usize,
}

const POSTGRES: Ceilings = Ceilings {
    live_overview: 7,
    send_message: 2,
    customer_message: 2,
    hand_off_routed: 19,
    hand_off_queued: 14,
    accept: 8,
    close: 12,
};

const SQLITE: Ceilings = Ceilings {
    live_overview: 7,
    send_message: 5,
    customer_message: 5,
    hand_off_routed: 20,
    hand_off_queued: 15,
    accept: 9,
    close: 13,
};

fn ceilings(app: &TestApp) -> &'static Ceilings {
    if app.database_url.starts_with("postgres") {
        &POSTGRES
    } else {
        &SQLITE
    }
}

/// Runs one operation and returns its statement count (failing on GraphQL errors).
async fn statements(app: &TestApp, token: &str, query: &str, variables: Value) -> (Value, usize) {
    let (body, count) = app
        .count_queries(app.gql(Some(token), query, variables))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    (body["data"].clone(), count)
}

async fn hand_off(app: &TestApp, key: &str, queue: &str, phone: &str) -> (Value, usize) {
    statements(
        app,
        key,
        "mutation($q: ID!, $p: String!) { handOffChat(input: { queueId: $q, source: TELEGRAM, customer: { phone: $p }, transcript: [{ authorKind: CUSTOMER, text: \"Hello\" }] }) { chat { id status } } }",
        json!({ "q": queue, "p": phone }),
    )
    .await
}

async fn the_hot_path_stays_within_its_statements(app: TestApp) {
    app.keeping_tokens().await;
    let desk = app.desk("Acme").await;
    let reason = app.wrap_up_reason(&desk.org.owner_token).await;
    // Warm: the first hand-off creates the customer's stream rows and caches nothing else.
    hand_off(&app, &desk.key, &desk.queue, "+48600100200").await;

    let (data, routed) = hand_off(&app, &desk.key, &desk.queue, "+48600100201").await;
    assert_eq!(data["handOffChat"]["chat"]["status"], "INVITED");
    let chat = data["handOffChat"]["chat"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, accept) = statements(
        &app,
        &desk.op.token,
        "mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }",
        json!({ "c": chat }),
    )
    .await;
    let (_, send) = statements(
        &app,
        &desk.op.token,
        "mutation($c: ID!) { sendMessage(input: { chatId: $c, text: \"Hello, how can I help?\" }) { message { id } } }",
        json!({ "c": chat }),
    )
    .await;
    let (_, customer) = statements(
        &app,
        &desk.key,
        "mutation($c: ID!) { postCustomerMessage(input: { chatId: $c, text: \"Thanks!\" }) { message { id } } }",
        json!({ "c": chat }),
    )
    .await;
    let (_, close) = statements(
        &app,
        &desk.op.token,
        "mutation($c: ID!, $r: ID!) { closeChat(input: { chatId: $c, wrapUpReasonId: $r }) { chat { id } } }",
        json!({ "c": chat, "r": reason }),
    )
    .await;
    eprintln!(
        "statements: handOffChat {routed}, acceptChat {accept}, sendMessage {send}, postCustomerMessage {customer}, closeChat {close}"
    );
    let most = ceilings(&app);
    assert!(
        routed <= most.hand_off_routed,
        "handOffChat sent {routed} statements"
    );
    assert!(accept <= most.accept, "acceptChat sent {accept} statements");
    assert!(
        send <= most.send_message,
        "sendMessage sent {send} statements"
    );
    assert!(
        customer <= most.customer_message,
        "postCustomerMessage sent {customer} statements"
    );
    assert!(close <= most.close, "closeChat sent {close} statements");
}

/// A queue with `members` operators (ONLINE, so a hand-off waits and every member is told).
async fn queue_of(app: &TestApp, owner: &str, members: usize) -> (String, Vec<Op>) {
    let queue = app
        .create_queue(owner, &format!("Queue of {members}"), None)
        .await;
    let mut ops = Vec::new();
    for _ in 0..members {
        ops.push(app.operator(owner, "OPERATOR").await);
    }
    let refs: Vec<&Op> = ops.iter().collect();
    app.set_members(owner, &queue, &refs).await;
    (queue, ops)
}

async fn a_hand_off_costs_the_same_for_10_or_40_queue_members(app: TestApp) {
    app.keeping_tokens().await;
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let (small, small_ops) = queue_of(&app, &org.owner_token, 10).await;
    let (large, large_ops) = queue_of(&app, &org.owner_token, 40).await;
    hand_off(&app, &key, &small, "+48600100300").await;
    hand_off(&app, &key, &large, "+48600100301").await;

    // Nobody READY: the chat waits, and its queue is told once (CHAT_QUEUED on the queue's
    // stream), not each member.
    let before = events(&app).await;
    let (_, queued_small) = hand_off(&app, &key, &small, "+48600100302").await;
    let between = events(&app).await;
    let (_, queued_large) = hand_off(&app, &key, &large, "+48600100303").await;
    let (small_events, large_events) = (between - before, events(&app).await - between);
    assert_eq!(
        small_events, large_events,
        "a queued hand-off's events grow with members"
    );
    assert!(small_events <= 3, "{small_events} events");
    // One READY member among the others: routing ranks them all, one is invited.
    app.set_status(&small_ops[3], "READY").await;
    app.set_status(&large_ops[30], "READY").await;
    let (routed_small_data, routed_small) = hand_off(&app, &key, &small, "+48600100304").await;
    let (routed_large_data, routed_large) = hand_off(&app, &key, &large, "+48600100305").await;
    for data in [&routed_small_data, &routed_large_data] {
        assert_eq!(data["handOffChat"]["chat"]["status"], "INVITED", "{data}");
    }
    eprintln!(
        "statements: queued {queued_small} (10 members) / {queued_large} (40); routed {routed_small} / {routed_large}"
    );
    assert_eq!(
        queued_small, queued_large,
        "queued hand-offs grow with members"
    );
    assert_eq!(
        routed_small, routed_large,
        "routed hand-offs grow with members"
    );
    let most = ceilings(&app);
    assert!(
        queued_large <= most.hand_off_queued,
        "{queued_large} statements"
    );
    assert!(
        routed_large <= most.hand_off_routed,
        "{routed_large} statements"
    );
}

/// A chat that starts waiting reaches every member's panel with its card: the members'
/// subscriptions read its rows together (one loader for every connection), so 30 more panels
/// cost less than a statement each (each read its own, some seven each, before).
async fn a_queued_chat_reaches_10_or_40_panels_for_about_the_same_statements(app: TestApp) {
    app.keeping_tokens().await;
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let mut costs = Vec::new();
    for members in [10usize, 40] {
        let (queue, ops) = queue_of(&app, &org.owner_token, members).await;
        let mut panels = Vec::new();
        for op in &ops {
            let (mut ws, _) = WsClient::connect(&app, &op.token).await;
            ws.subscribe(PANEL_QUEUE_EVENTS).await;
            assert_eq!(
                ws.next_data().await["queueEvents"]["kind"],
                "QUEUES_CHANGED"
            );
            panels.push(ws);
        }
        let (_, statements) = app
            .count_queries(async {
                let (data, _) =
                    hand_off(&app, &key, &queue, &format!("+4860010050{members:02}")).await;
                let chat = &data["handOffChat"]["chat"]["id"];
                for ws in &mut panels {
                    let event = ws.next_data().await["queueEvents"].clone();
                    assert_eq!(event["chat"]["id"], *chat, "{event}");
                    assert_eq!(event["chat"]["status"], "QUEUED", "{event}");
                }
            })
            .await;
        costs.push(statements);
    }
    eprintln!(
        "statements: a queued chat to 10 panels {}, to 40 {}",
        costs[0], costs[1]
    );
    assert!(
        costs[1] < costs[0] + 30,
        "30 more panels cost {} more statements",
        costs[1] - costs[0]
    );
}

/// How many events the outbox holds.
async fn events(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    omnipanel_domain::entity::event::Entity::find()
        .count(&app.domain.db)
        .await
        .unwrap()
}

/// The supervisor's view reads each figure in one grouped statement: its cost does not grow
/// with the queues, operators or chats on the floor.
async fn the_live_overview_costs_the_same_for_any_floor(app: TestApp) {
    app.keeping_tokens().await;
    const OVERVIEW: &str = "{ liveOverview { queues { waitingCount oldestWaitSecs estimatedWaitSecs availableOperators activeChats } operators { status timeInStatusSecs } lights { red } redChats { id } } }";
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let (small, _) = queue_of(&app, &org.owner_token, 2).await;
    hand_off(&app, &key, &small, "+48600100400").await;
    let (_, few) = statements(&app, &org.owner_token, OVERVIEW, json!({})).await;
    for n in 0..3 {
        let (queue, _) = queue_of(&app, &org.owner_token, 10 + n).await;
        hand_off(&app, &key, &queue, &format!("+4860010041{n}")).await;
    }
    let (_, many) = statements(&app, &org.owner_token, OVERVIEW, json!({})).await;
    eprintln!("statements: liveOverview {few} (1 queue, 2 operators) / {many} (4 queues, 35)");
    assert_eq!(few, many, "the live overview grows with the floor");
    assert!(
        many <= ceilings(&app).live_overview,
        "liveOverview sent {many} statements"
    );
}
