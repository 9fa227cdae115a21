//! Operators' messages sent at the same moment (`conversation/batched.rs`). On PostgreSQL the
//! messages that arrive while others are being written go together, in one transaction; each
//! call is still answered as if its message had gone alone: its own message, or its own error.

use std::collections::HashMap;

use omnipanel_domain::conversation::gathering::WRITERS;
use omnipanel_tests::{Db, Op, TestApp, error_code, on_both_databases, spawn_app};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::{Value, json};

on_both_databases!(messages_sent_at_once_are_each_answered_as_if_alone);

/// Chats the operator works, each sent two messages at once.
const CHATS: usize = 16;

/// A `sendMessage` call that can run in a task of its own.
#[derive(Clone)]
struct Sender {
    client: reqwest::Client,
    url: String,
}

impl Sender {
    async fn send(self, token: String, chat: String, text: String) -> Value {
        self.client
            .post(&self.url)
            .bearer_auth(token)
            .json(&json!({
                "query": "mutation($c: ID!, $t: String!) { sendMessage(input: { chatId: $c, text: $t }) { message { id text } } }",
                "variables": { "c": chat, "t": text },
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// PostgreSQL: how many of the test database's connections wait for a lock now.
async fn lock_waiters(app: &TestApp) -> i64 {
    app.postgres_number(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .await
}

/// A chat handed off to `op`'s queue and accepted by them.
async fn accepted(app: &TestApp, key: &str, queue: &str, op: &Op, phone: &str) -> String {
    let chat = app.hand_off_ok(key, queue, phone).await;
    let id = chat["id"].as_str().unwrap().to_owned();
    let body = app.chat_action(&op.token, "acceptChat", &id).await;
    assert!(body.get("errors").is_none(), "{body}");
    id
}

async fn messages_sent_at_once_are_each_answered_as_if_alone(app: TestApp) {
    app.keeping_tokens().await;
    let postgres = app.database_url.starts_with("postgres");
    let desk = app.desk("Acme").await;
    let owner = &desk.org.owner_token;
    app.set_max_chats(owner, &desk.op, 40).await;
    let mut chats = Vec::new();
    for n in 0..WRITERS + CHATS + 1 {
        let phone = format!("+4860020{n:04}");
        chats.push(accepted(&app, &desk.key, &desk.queue, &desk.op, &phone).await);
    }
    let closed = chats.pop().unwrap();
    let reason = app.wrap_up_reason(owner).await;
    app.ok(
        Some(&desk.op.token),
        "mutation($c: ID!, $r: ID!) { closeChat(input: { chatId: $c, wrapUpReasonId: $r }) { chat { id } } }",
        json!({ "c": closed, "r": reason }),
    )
    .await;
    // A supervisor of the queue sees its chats but may not write in another's.
    let colleague = app.operator(owner, "SUPERVISOR").await;
    app.set_members(owner, &desk.queue, &[&desk.op, &colleague])
        .await;
    let other = app.desk("Other").await;
    let foreign = accepted(&app, &other.key, &other.queue, &other.op, "+48600300000").await;
    let base = app
        .ok(
            Some(&desk.op.token),
            "{ workplaceEventsSince(after: 0) { seq } }",
            json!({}),
        )
        .await["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .last()
        .map_or(0, |e| e["seq"].as_i64().unwrap());

    let sender = Sender {
        client: app.client.clone(),
        url: app.url("/graphql"),
    };
    let (first, burst) = chats.split_at(WRITERS);
    // PostgreSQL: the operator's event stream is held, so the first messages' batches (as many
    // as are written at once) wait on it with their chats locked, and the burst gathers behind
    // them.
    let held = if postgres {
        let tx = app.domain.db.begin().await.unwrap();
        tx.execute_unprepared(&format!(
            "SELECT seq FROM event_streams WHERE recipient_kind = 'OPERATOR' \
             AND recipient_id = '{}' FOR UPDATE",
            desk.op.id
        ))
        .await
        .unwrap();
        Some(tx)
    } else {
        None
    };
    // One at a time, each waiting before the next is sent: sent together, two could share a
    // batch and leave a writer free for the burst.
    let mut calls = Vec::new();
    for (waiting, chat) in first.iter().enumerate() {
        let call =
            sender
                .clone()
                .send(desk.op.token.clone(), chat.clone(), format!("first {chat}"));
        calls.push((chat.clone(), tokio::spawn(call)));
        if postgres {
            omnipanel_tests::eventually("the first batches to wait", || async {
                lock_waiters(&app).await == waiting as i64 + 1
            })
            .await;
        }
    }
    let mut expected_errors = Vec::new();
    for round in ["one", "two"] {
        for chat in burst {
            let call = sender.clone().send(
                desk.op.token.clone(),
                chat.clone(),
                format!("{round} {chat}"),
            );
            calls.push((chat.clone(), tokio::spawn(call)));
        }
    }
    for (token, chat, code) in [
        (&desk.op.token, &closed, "CONFLICT"),
        (&colleague.token, &burst[0], "FORBIDDEN"),
        (&desk.op.token, &foreign, "NOT_FOUND"),
        (
            &desk.op.token,
            &"0b9b2a8e-6a0e-4c57-9d0f-3c1f2d4e5a6b".to_owned(),
            "NOT_FOUND",
        ),
    ] {
        let call = sender
            .clone()
            .send(token.clone(), chat.clone(), "refused".to_owned());
        expected_errors.push((code, tokio::spawn(call)));
    }
    let sent = 2 * burst.len() + expected_errors.len();
    let (answers, statements) = app
        .count_queries(async {
            if let Some(held) = held {
                let waiting = &app.domain.message_batches;
                omnipanel_tests::eventually("the burst to wait", || async {
                    waiting.waiting() == sent
                })
                .await;
                held.commit().await.unwrap();
            }
            let mut answers = Vec::new();
            for (chat, call) in calls {
                answers.push((chat, call.await.unwrap()));
            }
            let mut errors = Vec::new();
            for (code, call) in expected_errors {
                errors.push((code, call.await.unwrap()));
            }
            (answers, errors)
        })
        .await;
    let (answers, errors) = answers;

    for (code, body) in &errors {
        assert_eq!(error_code(body), *code, "{body}");
    }
    // Every message is its call's own, in its chat.
    let mut sent_to: HashMap<&str, Vec<String>> = HashMap::new();
    for (chat, body) in &answers {
        assert!(body.get("errors").is_none(), "{body}");
        let message = &body["data"]["sendMessage"]["message"];
        assert!(message["text"].as_str().unwrap().ends_with(chat.as_str()));
        sent_to
            .entry(chat)
            .or_default()
            .push(message["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(sent_to.len(), chats.len());
    for (chat, ids) in &sent_to {
        let data = app
            .ok(
                Some(&desk.op.token),
                "query($id: ID!) { chat(id: $id) { status lastMessage messages(first: 10) { edges { node { id text authorKind } } } } }",
                json!({ "id": chat }),
            )
            .await;
        let written: Vec<&Value> = data["chat"]["messages"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .filter(|m| m["authorKind"] == "OPERATOR")
            .collect();
        let mut written_ids: Vec<&str> =
            written.iter().map(|m| m["id"].as_str().unwrap()).collect();
        let mut answered: Vec<&str> = ids.iter().map(String::as_str).collect();
        written_ids.sort_unstable();
        answered.sort_unstable();
        assert_eq!(written_ids, answered, "chat {chat}");
        assert_eq!(data["chat"]["status"], "IN_PROGRESS");
        // The chat shows its last message: the later of the two.
        assert_eq!(data["chat"]["lastMessage"], written.last().unwrap()["text"]);
    }
    // The operator was told of each message once, in a gap-free sequence.
    let events = app
        .ok(
            Some(&desk.op.token),
            "query($after: Int!) { workplaceEventsSince(after: $after) { seq kind message { id } } }",
            json!({ "after": base }),
        )
        .await["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .clone();
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (base + 1..=base + events.len() as i64).collect::<Vec<_>>()
    );
    let mut told: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "MESSAGE_CREATED")
        .map(|e| e["message"]["id"].as_str().unwrap())
        .collect();
    let mut answered: Vec<&str> = sent_to.values().flatten().map(String::as_str).collect();
    told.sort_unstable();
    answered.sort_unstable();
    assert_eq!(told, answered);
    if postgres {
        // Alone, each of the burst's messages would cost two statements; together its messages
        // to different chats cost two, its second messages two more, and the refused ones go
        // alone. The held batches end with one statement each.
        let messages = 2 * burst.len();
        assert!(
            statements < messages,
            "{statements} statements for {messages} messages sent at once"
        );
    }
}

/// PostgreSQL (where messages are batched): a chat that another change holds locked holds up
/// its own message, not the batches. The batch passes that message by; it waits alone for the
/// lock while messages to other chats are written; it is written once the lock is let go.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_chat_holds_up_only_its_own_message() {
    let app = spawn_app(Db::Postgres).await;
    app.keeping_tokens().await;
    let desk = app.desk("Acme").await;
    let held = accepted(&app, &desk.key, &desk.queue, &desk.op, "+48600400001").await;
    let free = accepted(&app, &desk.key, &desk.queue, &desk.op, "+48600400002").await;
    let sender = Sender {
        client: app.client.clone(),
        url: app.url("/graphql"),
    };
    let lock = app.domain.db.begin().await.unwrap();
    lock.execute_unprepared(&format!(
        "SELECT id FROM chats WHERE id = '{held}' FOR UPDATE"
    ))
    .await
    .unwrap();
    let waiting = tokio::spawn(sender.clone().send(
        desk.op.token.clone(),
        held.clone(),
        "to the held chat".to_owned(),
    ));
    omnipanel_tests::eventually("the held chat's message to wait for its lock", || async {
        lock_waiters(&app).await == 1
    })
    .await;
    // Were the batch waiting on the held chat, this message would wait behind it.
    let body = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        sender.send(
            desk.op.token.clone(),
            free.clone(),
            "to the free chat".to_owned(),
        ),
    )
    .await
    .expect("a message to another chat waited for the held chat's lock");
    assert_eq!(
        body["data"]["sendMessage"]["message"]["text"], "to the free chat",
        "{body}"
    );
    assert!(!waiting.is_finished());
    lock.commit().await.unwrap();
    let body = waiting.await.unwrap();
    assert_eq!(
        body["data"]["sendMessage"]["message"]["text"], "to the held chat",
        "{body}"
    );
    for (chat, text) in [(&held, "to the held chat"), (&free, "to the free chat")] {
        let data = app
            .ok(
                Some(&desk.op.token),
                "query($id: ID!) { chat(id: $id) { lastMessage } }",
                json!({ "id": chat }),
            )
            .await;
        assert_eq!(data["chat"]["lastMessage"], text);
    }
}
