//! History at scale (J1, G2): seeds a PostgreSQL database with N chats (a million by default),
//! two messages and one responsibility each, then times every filter of `chats(filter, first:
//! 20)` over HTTP, then every kind of `report` (O2) over a month, a week and the whole year,
//! next to a baseline measured in the same run: the same GraphQL round trip reading one chat by
//! id.
//!
//! ```sh
//! OMNIPANEL_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p omnipanel-tests --bench history -- [CHATS] [RUNS]
//! ```

use std::time::{Duration, Instant};

use omnipanel_tests::{Db, TestApp, spawn_app};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Runs a query `runs` times (after two warm-ups); returns its sorted latencies.
async fn time(
    app: &TestApp, token: &str, query: &str, variables: Value, runs: usize,
) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(runs);
    for round in 0..runs + 2 {
        let started = Instant::now();
        let body = app.gql(Some(token), query, variables.clone()).await;
        let elapsed = started.elapsed();
        assert!(body.get("errors").is_none(), "{query}: {body}");
        if round >= 2 {
            samples.push(elapsed);
        }
    }
    samples.sort();
    samples
}

/// What the seeded chats refer to besides operators and topics: the queue they were handled in,
/// and the wrap-up reasons and results they were closed with.
struct Dictionaries {
    queue: String,
    reasons: Vec<String>,
    results: Vec<String>,
}

async fn seed(
    app: &TestApp, org: &str, chats: i64, operators: &[String], topics: &[String],
    dictionaries: &Dictionaries,
) {
    let db = &app.domain.db;
    let customers = (chats / 5).max(1);
    let array = |ids: &[String]| {
        format!(
            "ARRAY[{}]::uuid[]",
            ids.iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let (ops, tops) = (array(operators), array(topics));
    let (n_ops, n_tops) = (operators.len(), topics.len());
    let (reasons, results) = (array(&dictionaries.reasons), array(&dictionaries.results));
    let (n_reasons, n_results) = (dictionaries.reasons.len(), dictionaries.results.len());
    let queue = &dictionaries.queue;
    let statements = [
        format!(
            "INSERT INTO customers (id, organization_id, number, name, phone, created_at, updated_at)
             SELECT gen_random_uuid(), '{org}', g, 'Customer ' || g, '+4860' || lpad(g::text, 7, '0'), now(), now()
             FROM generate_series(1, {customers}) g"
        ),
        format!(
            // A chat every 30 s back from now, queued when created, accepted a minute later,
            // answered 0–119 s after that and closed 10–15 minutes after creation.
            "INSERT INTO chats (id, organization_id, number, direction, status, source, customer_id,
                operator_id, topic_id, queue_id, variables, rating, created_at, queued_at,
                accepted_at, first_response_at, closed_at, closed_by_kind, wrap_up_reason_id,
                result_id, traffic_light, updated_at)
             SELECT gen_random_uuid(), '{org}', g, 'INBOUND', 'COMPLETED', 'TELEGRAM', c.id,
                ({ops})[1 + g % {n_ops}], ({tops})[1 + g % {n_tops}], '{queue}', '{{}}',
                CASE WHEN g % 3 = 0 THEN 1 + g % 5 END,
                now() - make_interval(secs => g * 30), now() - make_interval(secs => g * 30),
                now() - make_interval(secs => g * 30 - 60),
                now() - make_interval(secs => g * 30 - 60 - g % 120),
                now() - make_interval(secs => g * 30 - 600 - g % 300), 'OPERATOR',
                ({reasons})[1 + g % {n_reasons}],
                CASE WHEN g % 2 = 0 THEN ({results})[1 + g % {n_results}] END,
                'NONE', now()
             FROM generate_series(1, {chats}) g
             JOIN customers c ON c.organization_id = '{org}' AND c.number = 1 + g % {customers}"
        ),
        format!(
            "INSERT INTO chat_assignments (id, organization_id, chat_id, kind, operator_id, started_at, accepted_at, ended_at, end_reason)
             SELECT gen_random_uuid(), '{org}', id, 'ROUTED', operator_id, created_at, accepted_at, closed_at, 'CLOSED'
             FROM chats WHERE organization_id = '{org}'"
        ),
        format!(
            "INSERT INTO messages (id, organization_id, chat_id, author_kind, text, delivery_state, created_at)
             SELECT gen_random_uuid(), '{org}', id,
                'CUSTOMER', 'Hello, where is my order ' || number ||
                    CASE WHEN number % 1000 = 0 THEN '? I want a refund.' ELSE '? Thanks.' END,
                'DELIVERED', created_at
             FROM chats WHERE organization_id = '{org}'"
        ),
        format!(
            "INSERT INTO messages (id, organization_id, chat_id, author_kind, text, delivery_state, created_at)
             SELECT gen_random_uuid(), '{org}', id, 'OPERATOR', 'It ships tomorrow, sorry for the wait.', 'SENT', accepted_at
             FROM chats WHERE organization_id = '{org}'"
        ),
        format!("UPDATE organizations SET chat_seq = {chats}, customer_seq = {customers} WHERE id = '{org}'"),
        "ANALYZE".to_owned(),
    ];
    for statement in statements {
        let started = Instant::now();
        db.execute_unprepared(&statement).await.expect("seed");
        eprintln!(
            "  {:>6.1} s  {}",
            started.elapsed().as_secs_f64(),
            statement
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}

/// Creates a named entry through `mutation` (`createTopic`, …); returns its id.
async fn create(app: &TestApp, token: &str, mutation: &str, field: &str, name: &str) -> String {
    let made = app
        .ok(
            Some(token),
            &format!("mutation($name: String!) {{ {mutation}(input: {{ name: $name }}) {{ {field} {{ id }} }} }}"),
            json!({ "name": name }),
        )
        .await;
    made[mutation][field]["id"].as_str().unwrap().to_owned()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // (`cargo bench` adds `--bench`; only the numbers count.)
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let chats: i64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let app = spawn_app(Db::Postgres).await;
    let org = app.create_org("Bench").await;
    let owner = org.owner_token.clone();
    let mut operators = Vec::new();
    for _ in 0..10 {
        operators.push(app.operator(&owner, "OPERATOR").await);
    }
    let mut topics = Vec::new();
    for name in ["Delivery", "Billing", "Returns", "Accounts", "Other"] {
        topics.push(create(&app, &owner, "createTopic", "topic", name).await);
    }
    let dictionaries = Dictionaries {
        queue: create(&app, &owner, "createQueue", "queue", "Support").await,
        reasons: vec![
            create(&app, &owner, "createWrapUpReason", "wrapUpReason", "Solved").await,
            create(
                &app,
                &owner,
                "createWrapUpReason",
                "wrapUpReason",
                "Escalated",
            )
            .await,
            create(&app, &owner, "createWrapUpReason", "wrapUpReason", "Spam").await,
        ],
        results: vec![
            create(
                &app,
                &owner,
                "createChatResult",
                "chatResult",
                "Order found",
            )
            .await,
            create(&app, &owner, "createChatResult", "chatResult", "Refunded").await,
        ],
    };
    let operator_ids: Vec<String> = operators.iter().map(|o| o.id.clone()).collect();
    eprintln!("seeding {chats} chats");
    seed(&app, &org.id, chats, &operator_ids, &topics, &dictionaries).await;

    let page = "edges { cursor node { id title rating } } pageInfo { hasNextPage }";
    let history = format!(
        "query($f: ChatFilter, $after: String) {{ chats(filter: $f, first: 20, after: $after) {{ {page} }} }}"
    );
    let first_page = app.ok(Some(&owner), &history, json!({ "f": {} })).await;
    let cursor = first_page["chats"]["edges"][19]["cursor"].clone();
    let some_chat = first_page["chats"]["edges"][0]["node"]["id"].clone();
    let middle = chrono::Utc::now() - chrono::Duration::seconds(chats * 15);
    let week = |at: chrono::DateTime<chrono::Utc>| (at - chrono::Duration::days(7)).to_rfc3339();
    let cases: Vec<(&str, &str, Value)> = vec![
        ("no filter", &owner, json!({ "f": {} })),
        ("next page", &owner, json!({ "f": {}, "after": cursor })),
        (
            "date range (a week)",
            &owner,
            json!({ "f": { "createdFrom": week(middle), "createdTo": middle.to_rfc3339() } }),
        ),
        ("topic", &owner, json!({ "f": { "topicId": topics[2] } })),
        (
            "operator",
            &owner,
            json!({ "f": { "operatorId": operator_ids[3] } }),
        ),
        ("rating", &owner, json!({ "f": { "rating": 2 } })),
        (
            "customer phone",
            &owner,
            json!({ "f": { "phone": "+48 60 0000 123" } }),
        ),
        (
            "text, 1 chat in 1000",
            &owner,
            json!({ "f": { "text": "refund" } }),
        ),
        (
            "text, no match",
            &owner,
            json!({ "f": { "text": "xylophone" } }),
        ),
        (
            "topic + rating + week",
            &owner,
            json!({ "f": { "topicId": topics[1], "rating": 5, "createdFrom": week(middle), "createdTo": middle.to_rfc3339() } }),
        ),
        (
            "as an operator (own chats)",
            &operators[0].token,
            json!({ "f": {} }),
        ),
    ];

    let baseline = time(
        &app,
        &owner,
        "query($id: ID!) { chat(id: $id) { id title rating } }",
        json!({ "id": some_chat }),
        runs,
    )
    .await;
    let base50 = percentile(&baseline, 0.5);
    println!(
        "\nHistory over {chats} chats ({} messages), {runs} runs each, PostgreSQL:",
        chats * 2
    );
    println!(
        "{:<30} {:>10} {:>10} {:>12}",
        "query", "p50 ms", "p95 ms", "p50 / base"
    );
    println!(
        "{:<30} {:>10.2} {:>10.2} {:>12}",
        "baseline: chat(id)",
        base50.as_secs_f64() * 1e3,
        percentile(&baseline, 0.95).as_secs_f64() * 1e3,
        "1.0"
    );
    for (name, token, variables) in cases {
        let samples = time(&app, token, &history, variables, runs).await;
        let p50 = percentile(&samples, 0.5);
        println!(
            "{:<30} {:>10.2} {:>10.2} {:>12.1}",
            name,
            p50.as_secs_f64() * 1e3,
            percentile(&samples, 0.95).as_secs_f64() * 1e3,
            p50.as_secs_f64() / base50.as_secs_f64()
        );
    }

    // Reports (O2) over the same history, the owner's (the whole organization), next to the same
    // baseline: the last month by day, by operator and by queue, the last week by hour, the
    // whole year (every chat) by week, queue, local day and operator, and time in status.
    let now = chrono::Utc::now();
    let back = |days: i64| (now - chrono::Duration::days(days)).to_rfc3339();
    let report = "query($i: ReportInput!) { report(input: $i) { rows { key count average p50 p90 distribution } total { count average p50 p90 } } }";
    let reports: Vec<(&str, Value)> = vec![
        (
            "CHATS, 31 days by day",
            json!({ "kind": "CHATS", "groupBy": "DAY", "from": back(31) }),
        ),
        (
            "FIRST_RESPONSE, 31 days by day",
            json!({ "kind": "FIRST_RESPONSE", "groupBy": "DAY", "from": back(31) }),
        ),
        (
            "HANDLE_TIME, 31 days by operator",
            json!({ "kind": "HANDLE_TIME", "groupBy": "OPERATOR", "from": back(31) }),
        ),
        (
            "CSAT, 31 days by topic",
            json!({ "kind": "CSAT", "groupBy": "TOPIC", "from": back(31) }),
        ),
        (
            "WRAP_UP, 31 days",
            json!({ "kind": "WRAP_UP", "groupBy": "DAY", "from": back(31) }),
        ),
        (
            "HANDLE_TIME, 7 days by hour",
            json!({ "kind": "HANDLE_TIME", "groupBy": "HOUR", "from": back(7), "timeZone": "Europe/Warsaw" }),
        ),
        (
            "CHATS, 366 days by week",
            json!({ "kind": "CHATS", "groupBy": "WEEK", "from": back(366) }),
        ),
        (
            "HANDLE_TIME, 366 days by week",
            json!({ "kind": "HANDLE_TIME", "groupBy": "WEEK", "from": back(366) }),
        ),
        (
            "CSAT, 366 days by queue",
            json!({ "kind": "CSAT", "groupBy": "QUEUE", "from": back(366) }),
        ),
        (
            "FIRST_RESPONSE, 366 days by day",
            json!({ "kind": "FIRST_RESPONSE", "groupBy": "DAY", "from": back(366), "timeZone": "Europe/Warsaw" }),
        ),
        (
            "HANDLE_TIME, 366 days by operator",
            json!({ "kind": "HANDLE_TIME", "groupBy": "OPERATOR", "from": back(366) }),
        ),
        (
            "WRAP_UP, 366 days",
            json!({ "kind": "WRAP_UP", "groupBy": "DAY", "from": back(366) }),
        ),
        (
            "STATUS_TIME, 31 days",
            json!({ "kind": "STATUS_TIME", "groupBy": "OPERATOR", "from": back(31) }),
        ),
    ];
    println!("\nReports over {chats} chats, {runs} runs each:");
    println!(
        "{:<34} {:>8} {:>10} {:>10} {:>12}",
        "report", "chats", "p50 ms", "p95 ms", "p50 / base"
    );
    for (name, mut input) in reports {
        input["to"] = json!(now.to_rfc3339());
        let variables = json!({ "i": input });
        let counted = app.gql(Some(&owner), report, variables.clone()).await;
        if let Some(error) = counted.get("errors") {
            println!("{name:<34} refused: {error}");
            continue;
        }
        let samples = time(&app, &owner, report, variables, runs).await;
        let p50 = percentile(&samples, 0.5);
        println!(
            "{:<34} {:>8} {:>10.2} {:>10.2} {:>12.1}",
            name,
            counted["data"]["report"]["total"]["count"],
            p50.as_secs_f64() * 1e3,
            percentile(&samples, 0.95).as_secs_f64() * 1e3,
            p50.as_secs_f64() / base50.as_secs_f64()
        );
    }
}
