//! The core-path benchmark: the chat lifecycle (hand-off, accept, message, close) driven over
//! real HTTP and WebSocket against PostgreSQL, next to a baseline measured in the same run on
//! the same driver and concurrency: a plain single-row INSERT and COMMIT.
//!
//! ```sh
//! cargo bench -p omnipanel-tests --bench lifecycle -- [CHATS] [CONCURRENCY]
//! ```
//! `OMNIPANEL_TEST_POSTGRES` names the server (a fresh database is created on it).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use omnipanel_tests::{Db, Op, TestApp, WsClient, spawn_app};
use sea_orm::{ConnectionTrait, TransactionTrait};
use serde_json::json;
use tokio::sync::Mutex;

type Samples = Arc<Mutex<HashMap<&'static str, Vec<Duration>>>>;

async fn timed<T>(
    samples: &Samples, name: &'static str, future: impl std::future::Future<Output = T>,
) -> T {
    let started = Instant::now();
    let output = future.await;
    samples
        .lock()
        .await
        .entry(name)
        .or_default()
        .push(started.elapsed());
    output
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

struct Row {
    name: &'static str,
    count: usize,
    per_second: f64,
    p50: Duration,
    p99: Duration,
}

fn summarize(name: &'static str, mut samples: Vec<Duration>, wall: Duration) -> Row {
    samples.sort();
    Row {
        name,
        count: samples.len(),
        per_second: samples.len() as f64 / wall.as_secs_f64(),
        p50: percentile(&samples, 0.5),
        p99: percentile(&samples, 0.99),
    }
}

/// The baseline: `concurrency` tasks each inserting and committing one row at a time.
async fn baseline(app: &TestApp, total: usize, concurrency: usize) -> Row {
    let db = app.domain.db.clone();
    db.execute_unprepared("CREATE TABLE bench_baseline (id uuid PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL)")
        .await
        .expect("create the baseline table");
    let samples: Samples = Arc::default();
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (db, samples) = (db.clone(), samples.clone());
            tokio::spawn(async move {
                for _ in (worker..total).step_by(concurrency) {
                    timed(&samples, "baseline", async {
                        let tx = db.begin().await.unwrap();
                        tx.execute_raw(sea_orm::Statement::from_sql_and_values(
                            sea_orm::DatabaseBackend::Postgres,
                            "INSERT INTO bench_baseline (id, payload, created_at) VALUES ($1, $2, now())",
                            [uuid::Uuid::now_v7().into(), "hello".into()],
                        ))
                        .await
                        .unwrap();
                        tx.commit().await.unwrap();
                    })
                    .await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let wall = started.elapsed();
    let mut all = samples.lock().await;
    summarize(
        "baseline INSERT+COMMIT",
        all.remove("baseline").unwrap_or_default(),
        wall,
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // (`cargo bench` adds `--bench`; only the numbers count.)
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let chats = args.first().copied().unwrap_or(400);
    let concurrency = args.get(1).copied().unwrap_or(8);
    let app = Arc::new(spawn_app(Db::Postgres).await);
    let org = app.create_org("Bench").await;
    let admin = org.owner_token.clone();
    app.ok(Some(&admin), "mutation { updateSettings(input: { invitationTimeoutSecs: 600 }) { settings { invitationTimeoutSecs } } }", json!({}))
        .await;
    let key = app.chatbot_key(&admin).await;
    let queue = app.create_queue(&admin, "Bench", None).await;
    let reason = app
        .ok(
            Some(&admin),
            "mutation { createWrapUpReason(input: { name: \"Done\" }) { wrapUpReason { id } } }",
            json!({}),
        )
        .await["createWrapUpReason"]["wrapUpReason"]["id"]
        .clone();
    let mut operators: Vec<Op> = Vec::new();
    for _ in 0..concurrency {
        operators.push(app.operator(&admin, "OPERATOR").await);
    }
    let refs: Vec<&Op> = operators.iter().collect();
    app.set_members(&admin, &queue, &refs).await;
    for op in &operators {
        app.set_status(op, "READY").await;
    }

    let base = baseline(&app, chats, concurrency).await;

    let samples: Samples = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    // Operators: invitations arrive on the WebSocket; each is accepted, answered and closed.
    let operator_tasks: Vec<_> = operators
        .into_iter()
        .map(|op| {
            let (app, samples, reason, done) = (app.clone(), samples.clone(), reason.clone(), done.clone());
            tokio::spawn(async move {
                let (mut ws, _) = WsClient::connect(&app, &op.token).await;
                ws.subscribe("subscription { workplaceEvents(after: 0) { kind chatId } }").await;
                while done.load(std::sync::atomic::Ordering::SeqCst) < chats {
                    let event = ws.receive().await;
                    if event["type"] != "next" || event["payload"]["data"]["workplaceEvents"]["kind"] != "CHAT_INVITED" {
                        continue;
                    }
                    let chat = event["payload"]["data"]["workplaceEvents"]["chatId"].as_str().unwrap().to_owned();
                    timed(&samples, "acceptChat", app.chat_action(&op.token, "acceptChat", &chat)).await;
                    timed(
                        &samples,
                        "sendMessage",
                        app.gql(
                            Some(&op.token),
                            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
                            json!({ "input": { "chatId": chat, "text": "Hello, how can I help?" } }),
                        ),
                    )
                    .await;
                    timed(
                        &samples,
                        "closeChat",
                        app.gql(
                            Some(&op.token),
                            "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { id } } }",
                            json!({ "input": { "chatId": chat, "wrapUpReasonId": reason } }),
                        ),
                    )
                    .await;
                    done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            })
        })
        .collect();
    // The chatbot: `concurrency` tasks handing chats off.
    let bot_tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (app, samples, key, queue) =
                (app.clone(), samples.clone(), key.clone(), queue.clone());
            tokio::spawn(async move {
                for n in (worker..chats).step_by(concurrency) {
                    let body = timed(
                        &samples,
                        "handOffChat",
                        app.hand_off(&key, &queue, &format!("+4870{n:07}")),
                    )
                    .await;
                    assert!(body.get("errors").is_none(), "{body}");
                }
            })
        })
        .collect();
    for task in bot_tasks {
        task.await.unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while done.load(std::sync::atomic::Ordering::SeqCst) < chats && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let wall = started.elapsed();
    for task in operator_tasks {
        task.abort();
    }
    let mut all = samples.lock().await;
    let rows: Vec<Row> = ["handOffChat", "acceptChat", "sendMessage", "closeChat"]
        .into_iter()
        .map(|name| summarize(name, all.remove(name).unwrap_or_default(), wall))
        .collect();

    println!(
        "chat lifecycle over HTTP + WebSocket on PostgreSQL: {chats} chats, concurrency {concurrency}"
    );
    println!(
        "{:<24} {:>7} {:>10} {:>9} {:>9} {:>12} {:>12}",
        "operation", "count", "ops/s", "p50 ms", "p99 ms", "p50 / base", "p99 / base"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{:<24} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>12} {:>12}",
        base.name,
        base.count,
        base.per_second,
        ms(base.p50),
        ms(base.p99),
        "1.0",
        "1.0"
    );
    for row in &rows {
        println!(
            "{:<24} {:>7} {:>10.0} {:>9.2} {:>9.2} {:>11.1}x {:>11.1}x",
            row.name,
            row.count,
            row.per_second,
            ms(row.p50),
            ms(row.p99),
            ms(row.p50) / ms(base.p50),
            ms(row.p99) / ms(base.p99)
        );
    }
    let completed = done.load(std::sync::atomic::Ordering::SeqCst);
    println!(
        "{completed} chats completed in {:.2} s: {:.0} chats/s ({:.1}% of the baseline's rows/s)",
        wall.as_secs_f64(),
        completed as f64 / wall.as_secs_f64(),
        100.0 * (completed as f64 / wall.as_secs_f64()) / base.per_second
    );
}
