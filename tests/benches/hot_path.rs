//! The hot path under load, against the real server in a process of its own (so its memory is
//! its own), on a fresh PostgreSQL database, each figure next to a baseline measured in the same
//! run:
//!
//! 1. `send`: `sendMessage` from 16 operators at once, against pgbench's one-row INSERT+COMMIT
//!    at the same concurrency on the same server; next to it, sendMessage's own SQL replayed by
//!    pgbench with no server in between, and the stack alone (a bare route, `{ me { id } }`).
//! 2. `handoff`: hand-offs offered at 10, 50 and 100 a second for 10 s to a queue of 200
//!    operators, each following `workplaceEvents` over graphql-transport-ws: the achieved rate,
//!    and the time from the `handOffChat` request to `CHAT_INVITED` at the operator.
//! 3. `subscriptions`: 2,000 live subscriptions (200 operators × 10), customer messages at 250 a
//!    second: the time from `postCustomerMessage` to the owner's subscriptions, and the server's
//!    resident memory before and after.
//! 4. `members`: one hand-off at a time into queues of 10 and of 500 members, routed and queued;
//!    then queued again with every member following `queueEvents`, to the last of them seeing the
//!    chat; then the supervisor's `liveOverview` of that floor, next to `{ me { id } }`.
//! 5. `inbound`: first messages from new customers through a messenger (signed generic webhooks,
//!    as a WhatsApp or Viber adapter sends them) at 50 and 100 a second, each a new customer and
//!    a new chat routed to a queue of 200 subscribed operators: the achieved rate, the webhook's
//!    answer time and the invitations that reached the operators.
//! 6. `webchat`: a campaign on the website: 16 visitors at once, each as soon as the last was
//!    answered, start a web chat conversation and write their first message (each a new customer
//!    and a new chat routed to a queue of 200 subscribed operators), for 10 s: conversations a
//!    second, each request's answer time and the invitations that reached the operators.
//!
//! ```sh
//! OMNIPANEL_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p omnipanel-tests --bench hot_path -- [send] [handoff] [subscriptions] [members] [inbound] [webchat]
//! ```
//! With no scenario named, all six run. The server is this same program run as `omnipanel`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use omnipanel_tests::{PANEL_QUEUE_EVENTS, postgres_admin_url};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const PASSWORD: &str = "correct horse battery";

/// The key file the server of the database at `database_url` seals secrets with.
fn key_file(database_url: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "{}.key",
        database_url.rsplit('/').next().unwrap_or("omnipanel")
    ))
}

/// The server under test: this program re-run as `omnipanel serve`.
struct Server {
    child: Child,
    addr: SocketAddr,
    database_url: String,
    http: reqwest::Client,
}

impl Server {
    fn start(database_url: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .env("OMNIPANEL_BENCH_SERVER", "1")
            // The messenger channel of `inbound` names an outbound address on this machine (it
            // sends nothing there: customers' messages are not delivered back).
            .env("OMNIPANEL_ALLOW_PRIVATE_UPSTREAMS", "true")
            .env("OMNIPANEL_LOG", "error")
            // The web chat's visitors each come from an address of their own, as a proxy here
            // says (one address may start only a few conversations).
            .env("OMNIPANEL_TRUSTED_PROXIES", "127.0.0.1/32")
            // Instances sharing a database share its key file.
            .env("OMNIPANEL_SECRET_KEY_FILE", key_file(database_url))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the server");
        let stdout = child.stdout.take().unwrap();
        let line = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|line| line.starts_with("Omnipanel listening on http://"))
            .expect("the server says where it listens");
        let addr = line["Omnipanel listening on http://".len()..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        Self {
            child,
            addr,
            database_url: database_url.to_owned(),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .unwrap(),
        }
    }

    /// The server's resident memory, in MiB.
    fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .http
            .post(format!("http://{}/graphql", self.addr))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "{query}: {body}");
        body["data"].clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An organization with its owner signed in and a chatbot key.
struct Org {
    owner: String,
    chatbot: String,
}

async fn organization(server: &Server) -> Org {
    let email = format!("owner-{}@bench.test", uuid::Uuid::new_v4().simple());
    let made = Command::new(std::env::current_exe().unwrap())
        .args(["org", "create", "--name", "Bench", "--owner-email", &email])
        .args([
            "--owner-password",
            PASSWORD,
            "--database-url",
            &server.database_url,
        ])
        .env("OMNIPANEL_BENCH_SERVER", "1")
        .env("OMNIPANEL_LOG", "warn")
        .output()
        .expect("omnipanel org create");
    assert!(made.status.success(), "{made:?}");
    let owner = server
        .ok(
            None,
            "mutation($e: String!, $p: String!) { signIn(input: { email: $e, password: $p }) { token } }",
            json!({ "e": email, "p": PASSWORD }),
        )
        .await["signIn"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    server
        .ok(
            Some(&owner),
            "mutation { updateSettings(input: { invitationTimeoutSecs: 600, awayAfterMinutes: 1440 }) { settings { invitationTimeoutSecs } } }",
            json!({}),
        )
        .await;
    let chatbot = server
        .ok(
            Some(&owner),
            "mutation { createApiKey(input: { scope: CHATBOT, name: \"bench\" }) { key } }",
            json!({}),
        )
        .await["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    Org { owner, chatbot }
}

struct Op {
    id: String,
    token: String,
}

/// `count` operators (invited and signed up, a few at a time), each allowed `max_chats`.
async fn operators(server: &Server, org: &Org, count: usize, max_chats: i32) -> Vec<Op> {
    let mut made = Vec::with_capacity(count);
    for batch in (0..count).collect::<Vec<_>>().chunks(8) {
        let joined = futures_util::future::join_all(batch.iter().map(|_| async {
            let email = format!("op-{}@bench.test", uuid::Uuid::new_v4().simple());
            let invited = server
                .ok(
                    Some(&org.owner),
                    "mutation($e: String!) { inviteOperator(input: { email: $e, role: OPERATOR }) { invitationToken } }",
                    json!({ "e": email }),
                )
                .await;
            let accepted = server
                .ok(
                    None,
                    "mutation($t: String!, $p: String!) { acceptInvitation(input: { token: $t, password: $p, firstName: \"Op\", lastName: \"Bench\" }) { token operator { id } } }",
                    json!({ "t": invited["inviteOperator"]["invitationToken"], "p": PASSWORD }),
                )
                .await;
            let op = Op {
                id: accepted["acceptInvitation"]["operator"]["id"].as_str().unwrap().to_owned(),
                token: accepted["acceptInvitation"]["token"].as_str().unwrap().to_owned(),
            };
            server
                .ok(
                    Some(&org.owner),
                    "mutation($id: ID!, $m: Int!) { updateOperator(input: { id: $id, maxChats: $m }) { operator { id } } }",
                    json!({ "id": op.id, "m": max_chats }),
                )
                .await;
            op
        }))
        .await;
        made.extend(joined);
    }
    made
}

async fn queue(server: &Server, org: &Org, name: &str, members: &[Op]) -> String {
    let id = server
        .ok(
            Some(&org.owner),
            "mutation($n: String!) { createQueue(input: { name: $n }) { queue { id } } }",
            json!({ "n": name }),
        )
        .await["createQueue"]["queue"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ids: Vec<&str> = members.iter().map(|op| op.id.as_str()).collect();
    server
        .ok(
            Some(&org.owner),
            "mutation($q: ID!, $o: [ID!]!) { setQueueMembers(input: { queueId: $q, operatorIds: $o }) { queue { id } } }",
            json!({ "q": id, "o": ids }),
        )
        .await;
    id
}

async fn set_status(server: &Server, ops: &[Op], status: &str) {
    for batch in ops.chunks(16) {
        futures_util::future::join_all(batch.iter().map(|op| {
            server.ok(
                Some(&op.token),
                "mutation($s: OperatorStatus!) { setMyStatus(input: { status: $s }) { operator { id } } }",
                json!({ "s": status }),
            )
        }))
        .await;
    }
}

const HAND_OFF: &str = "mutation($q: ID!, $p: String!) { handOffChat(input: { queueId: $q, source: TELEGRAM, customer: { phone: $p }, transcript: [{ authorKind: CUSTOMER, text: \"Where is my order?\" }] }) { chat { id status operator { id } } } }";

fn phone(n: usize) -> String {
    format!("+48{:09}", 500_000_000 + n)
}

/// What the operators' sockets saw: every arrival of each (chat, event kind), and of each new
/// message by its id (`MESSAGE_CREATED` carries it in its payload).
type Seen = Arc<Mutex<HashMap<(String, String), Vec<Instant>>>>;

/// What a follower subscribes to.
#[derive(Clone, Copy)]
enum Feed {
    /// `workplaceEvents`, from the operator's latest event.
    Workplace,
    /// `queueEvents`: its QUEUES_CHANGED (recorded for the chat "") says it follows the queues.
    Queues,
}

impl Feed {
    fn field(self) -> &'static str {
        match self {
            Self::Workplace => "workplaceEvents",
            Self::Queues => "queueEvents",
        }
    }
}

/// Opens a subscription to `feed` for `token` that records arrivals in `seen`.
async fn follow(server: &Server, token: &str, seen: Seen, feed: Feed) {
    let mut request = format!("ws://{}/graphql/ws", server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
    socket.send(init.to_string().into()).await.unwrap();
    let payload = match feed {
        Feed::Workplace => {
            let seq = server
                .ok(Some(token), "{ workplaceEventSeq }", json!({}))
                .await["workplaceEventSeq"]
                .clone();
            json!({
                "query": "subscription($a: Int!) { workplaceEvents(after: $a) { kind chatId payload } }",
                "variables": { "a": seq } })
        }
        // As the panel asks: the chat's card with each event.
        Feed::Queues => json!({ "query": PANEL_QUEUE_EVENTS }),
    };
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": payload });
    socket.send(subscribe.to_string().into()).await.unwrap();
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let at = Instant::now();
            let value: Value = serde_json::from_str(&text).unwrap_or_default();
            match value["type"].as_str() {
                Some("ping") => {
                    let _ = socket
                        .send(json!({ "type": "pong" }).to_string().into())
                        .await;
                }
                Some("next") => {
                    let event = &value["payload"]["data"][feed.field()];
                    let key = match (event["kind"].as_str(), event["chatId"].as_str()) {
                        (Some("MESSAGE_CREATED"), _) => event["payload"]["messageId"]
                            .as_str()
                            .map(|id| (id.to_owned(), "MESSAGE_CREATED".to_owned())),
                        (Some(kind), Some(chat)) => Some((chat.to_owned(), kind.to_owned())),
                        (Some(kind), None) => Some((String::new(), kind.to_owned())),
                        _ => None,
                    };
                    if let Some(key) = key {
                        seen.lock().unwrap().entry(key).or_default().push(at);
                    }
                }
                _ => {}
            }
        }
    });
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// pgbench's one-row INSERT+COMMIT at `clients` for `secs` on `database_url`: transactions a
/// second and the mean latency.
fn pgbench(database_url: &str, clients: usize, secs: u64) -> (f64, f64) {
    let setup = Command::new("psql")
        .args([database_url, "-qc", "CREATE TABLE IF NOT EXISTS bench_baseline (id uuid PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL)"])
        .status()
        .expect("psql");
    assert!(setup.success());
    run_pgbench(
        database_url,
        clients,
        secs,
        "insert",
        "INSERT INTO bench_baseline (id, payload, created_at) VALUES (gen_random_uuid(), 'hello', now());\n",
        &[],
    )
}

/// pgbench running `script` (named `name`) from `clients` connections for `secs`: its
/// transactions a second and their mean latency in milliseconds.
fn run_pgbench(
    database_url: &str, clients: usize, secs: u64, name: &str, script: &str, options: &[&str],
) -> (f64, f64) {
    let path = std::env::temp_dir().join(format!("omnipanel-bench-{name}.sql"));
    std::fs::write(&path, script).unwrap();
    let script = path;
    let out = Command::new("pgbench")
        .args(options)
        .args([
            "-n",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &secs.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(database_url)
        .output()
        .expect("pgbench (apt-get install postgresql-client)");
    let text = String::from_utf8_lossy(&out.stdout);
    let number = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|v| v.trim().trim_start_matches('=').split_whitespace().next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (number("tps"), number("latency average"))
}

async fn scenario_send(server: &Server, org: &Org) {
    const CLIENTS: usize = 16;
    const SECS: u64 = 10;
    let ops = operators(server, org, CLIENTS, 5).await;
    let mut chats = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let q = queue(server, org, &format!("Send {i}"), std::slice::from_ref(op)).await;
        set_status(server, std::slice::from_ref(op), "READY").await;
        let handed = server
            .ok(
                Some(&org.chatbot),
                HAND_OFF,
                json!({ "q": q, "p": phone(i) }),
            )
            .await;
        let chat = handed["handOffChat"]["chat"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        server
            .ok(
                Some(&op.token),
                "mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }",
                json!({ "c": chat }),
            )
            .await;
        chats.push(chat);
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(SECS);
    let samples = Arc::new(Mutex::new(Vec::new()));
    futures_util::future::join_all(ops.iter().zip(&chats).map(|(op, chat)| {
        let samples = samples.clone();
        async move {
            let mut n = 0;
            while Instant::now() < until {
                n += 1;
                let at = Instant::now();
                server
                    .ok(
                        Some(&op.token),
                        "mutation($c: ID!, $t: String!) { sendMessage(input: { chatId: $c, text: $t }) { message { id } } }",
                        json!({ "c": chat, "t": format!("Message {n}") }),
                    )
                    .await;
                samples.lock().unwrap().push(at.elapsed());
            }
        }
    }))
    .await;
    let wall = started.elapsed();
    let mut samples = samples.lock().unwrap().clone();
    samples.sort();
    let rate = samples.len() as f64 / wall.as_secs_f64();
    // The stack's own floor, from the same callers: a bare route through the same router and
    // middleware, the smallest authenticated GraphQL query (answered from memory), and one that
    // reads a row.
    let healthz = format!("http://{}/healthz", server.addr);
    let bare = closed_loop(CLIENTS, SECS, |_| async {
        let answer = server.http.get(&healthz).send().await.unwrap();
        assert!(answer.status().is_success());
    })
    .await;
    let time = closed_loop(CLIENTS, SECS, |client| {
        let token = &ops[client].token;
        async move {
            server.ok(Some(token), "{ serverTime }", json!({})).await;
        }
    })
    .await;
    let me = closed_loop(CLIENTS, SECS, |client| {
        let token = &ops[client].token;
        async move {
            server.ok(Some(token), "{ me { id } }", json!({})).await;
        }
    })
    .await;
    let (tps, latency) = pgbench(&server.database_url, CLIENTS, SECS);
    let (replayed, _) = replay_send_sql(&server.database_url, &chats, CLIENTS, SECS);
    println!("\n## sendMessage, {CLIENTS} operators at once, {SECS} s");
    println!("baseline pgbench INSERT+COMMIT: {tps:.0} tx/s, mean {latency:.2} ms");
    println!(
        "sendMessage: {rate:.0} messages/s ({:.2} of the baseline), p50 {}, p99 {}",
        rate / tps.max(1.0),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99))
    );
    println!(
        "sendMessage's SQL alone, replayed by pgbench: {replayed:.0} messages/s ({:.2} of the baseline)",
        replayed / tps.max(1.0)
    );
    println!(
        "the stack alone: GET /healthz {bare:.0}/s ({:.2}), {{ serverTime }} {time:.0}/s ({:.2}), {{ me {{ id }} }} {me:.0}/s ({:.2})",
        bare / tps.max(1.0),
        time / tps.max(1.0),
        me / tps.max(1.0)
    );
}

/// Requests a second from `clients` callers at once for `secs`, each calling `request` (with
/// its number) again as soon as the last one was answered.
async fn closed_loop<F, Fut>(clients: usize, secs: u64, request: F) -> f64
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = ()>,
{
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let counts = futures_util::future::join_all((0..clients).map(|client| {
        let request = &request;
        async move {
            let mut done = 0u64;
            while Instant::now() < until {
                request(client).await;
                done += 1;
            }
            done
        }
    }))
    .await;
    counts.iter().sum::<u64>() as f64 / started.elapsed().as_secs_f64()
}

/// The database's own ceiling for `sendMessage`: its transaction on PostgreSQL (BEGIN; the chat
/// locked and read with its rules; the message, the chat's update and its two events in one
/// statement; COMMIT), as `pg_stat_statements` shows the server sending it, replayed by pgbench
/// from `clients` connections, prepared as sqlx prepares it, with no server in between. Each
/// connection writes to a chat of its own, a copy of one of `chats` (the rows and indexes the
/// server writes, without touching the server's own chats). Messages a second.
fn replay_send_sql(database_url: &str, chats: &[String], clients: usize, secs: u64) -> (f64, f64) {
    let ids = chats
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let copy = format!(
        "INSERT INTO chats SELECT (jsonb_populate_record(NULL::chats, to_jsonb(c) || \
         jsonb_build_object('id', md5('replay-chat' || c.n)::uuid, 'number', c.number + 1000000))).* \
         FROM (SELECT *, row_number() OVER (ORDER BY id) AS n FROM chats WHERE id IN ({ids})) c"
    );
    let copied = Command::new("psql")
        .args([database_url, "-qc", &copy])
        .status()
        .expect("psql");
    assert!(copied.success());
    let organization = Command::new("psql")
        .args([
            database_url,
            "-Atc",
            &format!(
                "SELECT organization_id FROM chats WHERE id = {}",
                ids.split(", ").next().unwrap_or("NULL")
            ),
        ])
        .output()
        .expect("psql");
    let organization = String::from_utf8_lossy(&organization.stdout)
        .trim()
        .to_owned();
    run_pgbench(
        database_url,
        clients,
        secs,
        "send-replay",
        &SEND_SQL.replace("ORGANIZATION", &organization),
        &["-M", "prepared"],
    )
}

/// `sendMessage`'s transaction, for [`replay_send_sql`]: client `n` writes to the chat copied
/// as `n + 1`, as an operator of its own, in the organization named for `ORGANIZATION`.
const SEND_SQL: &str = r#"\set i :client_id + 1
BEGIN;
SELECT c.*, s.*, (SELECT string_agg(p.operator_id::text, ',') FROM chat_participants p WHERE p.chat_id = c.id AND p.state IN ('JOINED', 'INVITED')) AS participants, ch.auto_close_after_secs FROM chats c INNER JOIN organization_settings s ON c.organization_id = s.organization_id LEFT JOIN channels ch ON c.channel_id = ch.id WHERE c.id = md5('replay-chat' || :i)::uuid FOR UPDATE OF c;
WITH lead_0 AS (INSERT INTO messages (id, organization_id, chat_id, author_kind, author_operator_id, text, is_whisper, delivery_state, created_at) VALUES (gen_random_uuid(), 'ORGANIZATION', md5('replay-chat' || :i)::uuid, 'OPERATOR', md5('replay-op' || :i)::uuid, 'Message ' || :i, false, 'DELIVERED', now())), lead_1 AS (UPDATE chats SET last_message_at = now(), last_message_text = 'Message ' || :i, last_message_author_kind = 'OPERATOR', last_message_operator_id = md5('replay-op' || :i)::uuid, last_operator_message_at = now(), waiting_since = NULL, updated_at = now() WHERE id = md5('replay-chat' || :i)::uuid), v AS (SELECT id, organization_id, recipient_kind, recipient_id, grp, back, kind, NULLIF(chat_id, '00000000-0000-0000-0000-000000000000') AS chat_id, payload::json AS payload, created_at FROM unnest(ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY['ORGANIZATION', 'ORGANIZATION']::uuid[], ARRAY['CHAT', 'OPERATOR']::varchar[], ARRAY[md5('replay-chat' || :i)::uuid, md5('replay-op' || :i)::uuid], ARRAY[0, 1], ARRAY[0, 0]::bigint[], ARRAY['MESSAGE_CREATED', 'MESSAGE_CREATED']::varchar[], ARRAY[md5('replay-chat' || :i)::uuid, md5('replay-chat' || :i)::uuid], ARRAY['{"messageId": "0", "authorKind": "OPERATOR"}', '{"messageId": "0", "authorKind": "OPERATOR"}'], ARRAY[now(), now()]) AS u (id, organization_id, recipient_kind, recipient_id, grp, back, kind, chat_id, payload, created_at)), s AS (INSERT INTO event_streams (recipient_kind, recipient_id, seq) SELECT recipient_kind, recipient_id, count(*) FROM v GROUP BY grp, recipient_kind, recipient_id ORDER BY grp ON CONFLICT (recipient_kind, recipient_id) DO UPDATE SET seq = event_streams.seq + excluded.seq RETURNING recipient_kind, recipient_id, seq), e AS (INSERT INTO events (id, organization_id, recipient_kind, recipient_id, seq, kind, chat_id, payload, created_at) SELECT v.id, v.organization_id, v.recipient_kind, v.recipient_id, s.seq - v.back, v.kind, v.chat_id, v.payload, v.created_at FROM v JOIN s USING (recipient_kind, recipient_id)) SELECT recipient_kind, recipient_id, seq FROM s;
COMMIT;
"#;

/// A queue of `ops`, all READY, each following `workplaceEvents`: the queue and what they see.
async fn followed_queue(server: &Server, org: &Org, name: &str, ops: &[Op]) -> (String, Seen) {
    let q = queue(server, org, name, ops).await;
    set_status(server, ops, "READY").await;
    let seen: Seen = Arc::default();
    for op in ops {
        follow(server, &op.token, seen.clone(), Feed::Workplace).await;
    }
    (q, seen)
}

async fn scenario_handoff(server: &Server, org: &Org, ops: &[Op]) {
    let (q, seen) = followed_queue(server, org, "Hand-offs", ops).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "\n## hand-offs to a queue of {} subscribed operators, 10 s each",
        ops.len()
    );
    let mut serial = 0;
    for rate in [10u32, 50, 100] {
        let total = rate as usize * 10;
        let started = Instant::now();
        let sent: Arc<Mutex<Vec<(String, Instant, Instant)>>> = Arc::default();
        let mut tasks = Vec::with_capacity(total);
        for k in 0..total {
            let at = started + Duration::from_secs_f64(k as f64 / f64::from(rate));
            tokio::time::sleep_until(at.into()).await;
            serial += 1;
            let (client, addr, key, q, sent) = (
                server.http.clone(),
                server.addr,
                org.chatbot.clone(),
                q.clone(),
                sent.clone(),
            );
            let number = serial;
            tasks.push(tokio::spawn(async move {
                let begun = Instant::now();
                let body: Value = client
                    .post(format!("http://{addr}/graphql"))
                    .bearer_auth(key)
                    .json(&json!({ "query": HAND_OFF, "variables": { "q": q, "p": phone(100_000 + number) } }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let chat = body["data"]["handOffChat"]["chat"]["id"].as_str().unwrap_or_default().to_owned();
                sent.lock().unwrap().push((chat, begun, Instant::now()));
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let finished = started.elapsed();
        // Give the last invitations a moment to arrive.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let sent = sent.lock().unwrap().clone();
        let seen = seen.lock().unwrap().clone();
        let mut to_invite: Vec<Duration> = Vec::new();
        let mut answers: Vec<Duration> = Vec::new();
        let mut missing = 0;
        for (chat, begun, answered) in &sent {
            answers.push(*answered - *begun);
            match seen.get(&(chat.clone(), "CHAT_INVITED".to_owned())) {
                Some(at) => to_invite.push(at[0].saturating_duration_since(*begun)),
                None => missing += 1,
            }
        }
        to_invite.sort();
        answers.sort();
        println!(
            "offered {rate}/s: achieved {:.1}/s; handOffChat p50 {} p99 {}; to CHAT_INVITED p50 {} p99 {} max {}; invitations missing {missing}",
            sent.len() as f64 / finished.as_secs_f64().max(10.0),
            ms(percentile(&answers, 0.5)),
            ms(percentile(&answers, 0.99)),
            ms(percentile(&to_invite, 0.5)),
            ms(percentile(&to_invite, 0.99)),
            ms(to_invite.last().copied().unwrap_or_default()),
        );
    }
}

/// How many chats' invitations the followers have seen.
fn invitations(seen: &Seen) -> usize {
    seen.lock()
        .unwrap()
        .keys()
        .filter(|(_, kind)| kind == "CHAT_INVITED")
        .count()
}

async fn scenario_inbound(server: &Server, org: &Org, ops: &[Op]) {
    let (q, seen) = followed_queue(server, org, "Messenger", ops).await;
    let made = server
        .ok(
            Some(&org.owner),
            "mutation($q: ID!) { createChannel(input: { kind: VIBER, name: \"Viber\", outboundUrl: \"http://127.0.0.1:9/out\", queueId: $q }) { webhookUrl secret } }",
            json!({ "q": q }),
        )
        .await;
    let channel = made["createChannel"]["webhookUrl"]
        .as_str()
        .and_then(|url| url.rsplit('/').next())
        .unwrap()
        .to_owned();
    let url = format!("http://{}/webhooks/generic/{channel}", server.addr);
    let secret = made["createChannel"]["secret"].as_str().unwrap().to_owned();
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "\n## first messages from new customers through a messenger, to a queue of {} subscribed operators, 10 s each",
        ops.len()
    );
    let mut serial = 0;
    for rate in [50u32, 100] {
        let total = rate as usize * 10;
        let invited_before = invitations(&seen);
        let started = Instant::now();
        let answers: Arc<Mutex<Vec<(u16, Duration)>>> = Arc::default();
        let mut tasks = Vec::with_capacity(total);
        for k in 0..total {
            let at = started + Duration::from_secs_f64(k as f64 / f64::from(rate));
            tokio::time::sleep_until(at.into()).await;
            serial += 1;
            let body = json!({
                "id": format!("in-{serial}"),
                "from": { "id": format!("viber-{serial}"), "name": "Customer", "phone": phone(300_000 + serial) },
                "text": "Hello, I have a question",
            })
            .to_string();
            let timestamp = chrono::Utc::now().timestamp();
            let signature = omnipanel_tests::generic_signature(&secret, timestamp, &body);
            let request = server
                .http
                .post(&url)
                .header("content-type", "application/json")
                .header("X-Omnipanel-Timestamp", timestamp.to_string())
                .header("X-Omnipanel-Signature", signature)
                .body(body);
            let answers = answers.clone();
            tasks.push(tokio::spawn(async move {
                let begun = Instant::now();
                let status = request.send().await.map_or(0, |r| r.status().as_u16());
                answers.lock().unwrap().push((status, begun.elapsed()));
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let finished = started.elapsed();
        tokio::time::sleep(Duration::from_secs(2)).await;
        let answers = answers.lock().unwrap().clone();
        let refused = answers.iter().filter(|(status, _)| *status != 200).count();
        let mut times: Vec<Duration> = answers.iter().map(|(_, took)| *took).collect();
        times.sort();
        println!(
            "offered {rate}/s: achieved {:.1}/s; webhook answered p50 {} p99 {} max {}; not 200: {refused}; chats invited {} of {total}",
            answers.len() as f64 / finished.as_secs_f64().max(10.0),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(times.last().copied().unwrap_or_default()),
            invitations(&seen) - invited_before,
        );
    }
}

/// Visitors at once in `webchat`, as many as the operators sending in `send`.
const VISITORS: usize = 16;

async fn scenario_webchat(server: &Server, org: &Org, ops: &[Op]) {
    let (q, seen) = followed_queue(server, org, "Website", ops).await;
    let made = server
        .ok(
            Some(&org.owner),
            "mutation($q: ID!) { createChannel(input: { kind: WEBCHAT, name: \"Website\", queueId: $q }) { channel { id } } }",
            json!({ "q": q }),
        )
        .await;
    let channel = made["createChannel"]["channel"]["id"].as_str().unwrap();
    let base = format!("http://{}/webchat/{channel}", server.addr);
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!(
        "\n## a campaign on the website: {VISITORS} visitors at once start a conversation and write, 10 s, to a queue of {} subscribed operators",
        ops.len()
    );
    let visitor = std::sync::atomic::AtomicUsize::new(0);
    let times: Mutex<(Vec<Duration>, Vec<Duration>, usize)> = Mutex::default();
    let rate = closed_loop(VISITORS, 10, |_| async {
        let n = visitor.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // An address of its own: 10.x.y.z.
        let address = format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
        let begun = Instant::now();
        let started = server
            .http
            .post(format!("{base}/conversations"))
            .header("X-Forwarded-For", &address)
            .json(&json!({ "name": "Visitor" }))
            .send()
            .await
            .unwrap();
        let start_took = begun.elapsed();
        let (ok, body) = (
            started.status() == 201,
            started.json::<Value>().await.unwrap(),
        );
        let token = body["token"].as_str().unwrap_or_default().to_owned();
        let begun = Instant::now();
        let said = server
            .http
            .post(format!("{base}/messages"))
            .bearer_auth(token)
            .json(&json!({ "text": "Hello, I saw your offer" }))
            .send()
            .await
            .unwrap();
        let say_took = begun.elapsed();
        let mut times = times.lock().unwrap();
        times.0.push(start_took);
        times.1.push(say_took);
        times.2 += usize::from(!ok || said.status() != 201);
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (mut starts, mut says, refused) = std::mem::take(&mut *times.lock().unwrap());
    starts.sort();
    says.sort();
    let invited = invitations(&seen);
    println!(
        "conversations {rate:.1}/s; start p50 {} p99 {}; first message p50 {} p99 {}; refused {refused}; chats invited {invited} of {}",
        ms(percentile(&starts, 0.5)),
        ms(percentile(&starts, 0.99)),
        ms(percentile(&says, 0.5)),
        ms(percentile(&says, 0.99)),
        starts.len(),
    );
}

async fn scenario_subscriptions(server: &Server, org: &Org, ops: &[Op]) {
    const TABS: usize = 10;
    const RATE: u32 = 250;
    const SECS: u32 = 10;
    let q = queue(server, org, "Subscriptions", ops).await;
    // One chat per operator: everyone READY with room for one, one hand-off each.
    for op in ops {
        server
            .ok(
                Some(&org.owner),
                "mutation($id: ID!) { updateOperator(input: { id: $id, maxChats: 1 }) { operator { id } } }",
                json!({ "id": op.id }),
            )
            .await;
    }
    set_status(server, ops, "READY").await;
    let tokens: HashMap<&str, &str> = ops
        .iter()
        .map(|op| (op.id.as_str(), op.token.as_str()))
        .collect();
    let mut chats = Vec::new();
    for i in 0..ops.len() {
        let handed = server
            .ok(
                Some(&org.chatbot),
                HAND_OFF,
                json!({ "q": q, "p": phone(200_000 + i) }),
            )
            .await;
        let chat = &handed["handOffChat"]["chat"];
        let owner = chat["operator"]["id"]
            .as_str()
            .expect("every chat finds an operator");
        server
            .ok(
                Some(tokens[owner]),
                "mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }",
                json!({ "c": chat["id"] }),
            )
            .await;
        chats.push(chat["id"].as_str().unwrap().to_owned());
    }
    let before = server.rss_mib();
    let seen: Seen = Arc::default();
    for op in ops {
        for _ in 0..TABS {
            follow(server, &op.token, seen.clone(), Feed::Workplace).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = server.rss_mib();
    let total = (RATE * SECS) as usize;
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    // Each message's id, when its request began, and how long the mutation took.
    let sent: Arc<Mutex<Vec<(String, Instant, Duration)>>> = Arc::default();
    for k in 0..total {
        tokio::time::sleep_until(
            (started + Duration::from_secs_f64(k as f64 / f64::from(RATE))).into(),
        )
        .await;
        let (client, addr, key, chat, sent) = (
            server.http.clone(),
            server.addr,
            org.chatbot.clone(),
            chats[k % chats.len()].clone(),
            sent.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let begun = Instant::now();
            let body: Value = client
                .post(format!("http://{addr}/graphql"))
                .bearer_auth(key)
                .json(&json!({ "query": "mutation($c: ID!, $t: String!) { postCustomerMessage(input: { chatId: $c, authorKind: CUSTOMER, text: $t }) { message { id } } }", "variables": { "c": chat, "t": format!("Question {k}") } }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let id = body["data"]["postCustomerMessage"]["message"]["id"].as_str().unwrap_or_default().to_owned();
            sent.lock().unwrap().push((id, begun, begun.elapsed()));
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let achieved = total as f64 / started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let peak = server.rss_mib();
    let seen = seen.lock().unwrap().clone();
    let mut deliveries = Vec::new();
    let mut posts = Vec::new();
    let mut missing = 0;
    for (id, begun, took) in sent.lock().unwrap().iter() {
        posts.push(*took);
        match seen.get(&(id.clone(), "MESSAGE_CREATED".to_owned())) {
            Some(arrivals) => {
                deliveries.extend(
                    arrivals
                        .iter()
                        .map(|at| at.saturating_duration_since(*begun)),
                );
                missing += TABS.saturating_sub(arrivals.len());
            }
            None => missing += TABS,
        }
    }
    deliveries.sort();
    posts.sort();
    println!(
        "\n## {} subscriptions ({} operators × {TABS}), customer messages at {RATE}/s for {SECS} s",
        ops.len() * TABS,
        ops.len()
    );
    println!(
        "server memory: {before:.0} MiB before the subscriptions, {after:.0} MiB with them ({:.0} KiB each), {peak:.0} MiB after the messages",
        (after - before) * 1024.0 / (ops.len() * TABS) as f64
    );
    println!(
        "messages posted at {achieved:.0}/s; postCustomerMessage to each subscription: p50 {}, p99 {}, max {}; deliveries missing {missing}",
        ms(percentile(&deliveries, 0.5)),
        ms(percentile(&deliveries, 0.99)),
        ms(deliveries.last().copied().unwrap_or_default()),
    );
    // The part of the above the message's own mutation takes (its events are announced at its
    // commit, just before it answers).
    println!(
        "postCustomerMessage's own answer: p50 {}, p99 {}",
        ms(percentile(&posts, 0.5)),
        ms(percentile(&posts, 0.99)),
    );
}

async fn scenario_members(server: &Server, org: &Org, ops: &[Op]) {
    const RUNS: usize = 30;
    println!("\n## one hand-off at a time ({RUNS} each), by the number of queue members");
    for members in [10usize, 500.min(ops.len())] {
        let group = &ops[..members];
        let q = queue(server, org, &format!("Members {members}"), group).await;
        for (label, status) in [
            ("queued (nobody READY)", "ONLINE"),
            ("routed (all READY)", "READY"),
        ] {
            set_status(server, group, status).await;
            let mut samples = Vec::with_capacity(RUNS);
            for run in 0..RUNS {
                let at = Instant::now();
                server
                    .ok(
                        Some(&org.chatbot),
                        HAND_OFF,
                        json!({ "q": q, "p": phone(300_000 + members * 1000 + run) }),
                    )
                    .await;
                samples.push(at.elapsed());
            }
            samples.sort();
            println!(
                "{members} members, {label}: p50 {}, p99 {}",
                ms(percentile(&samples, 0.5)),
                ms(percentile(&samples, 0.99))
            );
        }
        set_status(server, group, "ONLINE").await;
        queued_to_every_member(server, org, group, &q).await;
    }
    overview(server, org, ops.len()).await;
}

/// Queued hand-offs into `q` while each of its `members` (ONLINE) follows `queueEvents` with the
/// panel's card: the time from the request to the last of them seeing the chat arrive in
/// "Unassigned".
async fn queued_to_every_member(server: &Server, org: &Org, members: &[Op], q: &str) {
    const RUNS: usize = 30;
    let seen: Seen = Arc::default();
    for op in members {
        follow(server, &op.token, seen.clone(), Feed::Queues).await;
    }
    let arrivals = |chat: &str, kind: &str| {
        seen.lock()
            .unwrap()
            .get(&(chat.to_owned(), kind.to_owned()))
            .cloned()
            .unwrap_or_default()
    };
    // Every follower has said which queues it follows.
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals("", "QUEUES_CHANGED").len() < members.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (mut samples, mut missing) = (Vec::with_capacity(RUNS), 0);
    for run in 0..RUNS {
        let at = Instant::now();
        let data = server
            .ok(
                Some(&org.chatbot),
                HAND_OFF,
                json!({ "q": q, "p": phone(400_000 + members.len() * 1000 + run) }),
            )
            .await;
        let chat = data["handOffChat"]["chat"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut seen_by = arrivals(&chat, "CHAT_QUEUED");
        while seen_by.len() < members.len() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
            seen_by = arrivals(&chat, "CHAT_QUEUED");
        }
        missing += members.len() - seen_by.len();
        if let Some(last) = seen_by.iter().max() {
            samples.push(*last - at);
        }
    }
    samples.sort();
    println!(
        "{} members, queued, each following queueEvents: to CHAT_QUEUED at the last of them p50 {}, p99 {}; missing {missing}",
        members.len(),
        ms(percentile(&samples, 0.5)),
        ms(percentile(&samples, 0.99))
    );
}

/// The supervisor's live view of the whole floor (the members scenario's operators, queues and
/// chats), next to the smallest authenticated query through the same stack.
async fn overview(server: &Server, org: &Org, operators: usize) {
    const RUNS: usize = 50;
    let time = |query: &'static str| async move {
        let mut samples = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let at = Instant::now();
            server.ok(Some(&org.owner), query, json!({})).await;
            samples.push(at.elapsed());
        }
        samples.sort();
        samples
    };
    let baseline = time("{ me { id } }").await;
    let view = time(
        "{ liveOverview { queues { waitingCount oldestWaitSecs estimatedWaitSecs availableOperators activeChats } \
         operators { operator { id firstName } status timeInStatusSecs activeChats maxChats onCall } \
         lights { green yellow red grey } redChats { id } } }",
    )
    .await;
    println!("\n## liveOverview of the whole organization ({operators} operators), {RUNS} runs");
    println!(
        "baseline {{ me {{ id }} }}: p50 {}, p99 {}",
        ms(percentile(&baseline, 0.5)),
        ms(percentile(&baseline, 0.99))
    );
    println!(
        "liveOverview: p50 {}, p99 {}",
        ms(percentile(&view, 0.5)),
        ms(percentile(&view, 0.99))
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> std::process::ExitCode {
    if std::env::var_os("OMNIPANEL_BENCH_SERVER").is_some() {
        return omnipanel_api::cli::run().await;
    }
    let named: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let runs = |name: &str| named.is_empty() || named.iter().any(|n| n == name);
    let admin = postgres_admin_url();
    let name = format!("omnipanel_bench_{}", uuid::Uuid::new_v4().simple());
    let created = Command::new("psql")
        .args([&admin, "-qc", &format!("CREATE DATABASE \"{name}\"")])
        .status()
        .expect("psql");
    assert!(created.success());
    let database_url = format!(
        "{}/{name}",
        admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base)
    );
    let server = Server::start(&database_url);
    // Each scenario has an organization and operators of its own, so none inherits another's
    // chats.
    if runs("send") {
        let org = organization(&server).await;
        scenario_send(&server, &org).await;
    }
    if runs("handoff") {
        let org = organization(&server).await;
        let ops = operators(&server, &org, 200, 50).await;
        scenario_handoff(&server, &org, &ops).await;
    }
    if runs("members") {
        let org = organization(&server).await;
        let ops = operators(&server, &org, 500, 50).await;
        scenario_members(&server, &org, &ops).await;
    }
    if runs("subscriptions") {
        let org = organization(&server).await;
        let ops = operators(&server, &org, 200, 1).await;
        scenario_subscriptions(&server, &org, &ops).await;
    }
    if runs("inbound") {
        let org = organization(&server).await;
        let ops = operators(&server, &org, 200, 50).await;
        scenario_inbound(&server, &org, &ops).await;
    }
    if runs("webchat") {
        let org = organization(&server).await;
        let ops = operators(&server, &org, 200, 50).await;
        scenario_webchat(&server, &org, &ops).await;
    }
    drop(server);
    let _ = Command::new("psql")
        .args([
            &admin,
            "-qc",
            &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
        ])
        .status();
    let _ = std::fs::remove_file(key_file(&database_url));
    std::process::ExitCode::SUCCESS
}
