//! Helpers for Omnipanel's end-to-end tests: `spawn_app` starts the real router on port 0 with a
//! fresh database (an SQLite file, or a PostgreSQL database named by a UUID) and a manual clock,
//! and `TestApp` speaks GraphQL to it.

pub mod fake_creatio;
pub mod fake_receiver;
pub mod fake_telegram;
pub mod introspection;
pub mod oauth_mock;
pub mod rows;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use omnipanel_api::{App, AppConfig, TimeSource, TimerSweep};
use omnipanel_domain::Domain;
use omnipanel_domain::identity::CreateOrganization;
use omnipanel_domain::ports::ManualClock;
use omnipanel_domain::store::connect;
use omnipanel_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// The database a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("OMNIPANEL_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A test's database: an SQLite file or a PostgreSQL database of its own, removed when the test
/// is done with it, and kept when the test failed (its name is printed) to be looked into.
pub struct TestDatabase {
    pub connection: DatabaseConnection,
    pub url: String,
    place: Place,
}

enum Place {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

/// A fresh, migrated database.
pub async fn fresh_database(db: Db) -> TestDatabase {
    let name = format!("omnipanel_test_{}", uuid::Uuid::new_v4().simple());
    let (url, place) = match db {
        Db::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite://{}", path.display()), Place::Sqlite(path))
        }
        Db::Postgres => {
            let admin_url = postgres_admin_url();
            let admin = connect(&admin_url).await.unwrap_or_else(|e| {
                panic!("PostgreSQL is needed for these tests at {admin_url} (set OMNIPANEL_TEST_POSTGRES): {e}")
            });
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create the test database");
            let base = admin_url
                .rsplit_once('/')
                .map_or(admin_url.as_str(), |(base, _)| base);
            (
                format!("{base}/{name}"),
                Place::Postgres { admin_url, name },
            )
        }
    };
    let connection = connect(&url).await.expect("connect to the test database");
    Migrator::up(&connection, None)
        .await
        .expect("migrations apply on an empty database");
    TestDatabase {
        connection,
        url,
        place,
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the failed test's database is kept: {}", self.url);
            return;
        }
        match &self.place {
            Place::Sqlite(file) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
            }
            Place::Postgres { admin_url, name } => {
                // Dropped inside the test's runtime, which cannot wait here: the database goes
                // from a thread and a runtime of their own. FORCE ends the server's connections.
                let (admin_url, statement) = (
                    admin_url.clone(),
                    format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                );
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("a runtime to drop the test database in");
                    runtime.block_on(async {
                        let admin = connect(&admin_url).await?;
                        admin.execute_unprepared(&statement).await
                    })
                })
                .join();
                if !matches!(dropped, Ok(Ok(_))) {
                    eprintln!("the test database {name} could not be dropped: {dropped:?}");
                }
            }
        }
    }
}

/// A running server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub clock: Arc<ManualClock>,
    pub domain: Domain,
    pub database_url: String,
    /// Statements the server has sent to the database so far.
    pub queries: Arc<AtomicUsize>,
    /// The database, when this instance made it, held to be dropped with the instance (another
    /// instance on it leaves it be).
    _database: Option<TestDatabase>,
    files_dir: PathBuf,
    /// The file of keys the server seals secrets with (in the files folder, removed with it).
    pub key_file: PathBuf,
    shutdown: Option<oneshot::Sender<()>>,
}

/// Starts the server with a manual clock (and `advanceClock`).
pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, true).await
}

/// Starts the server; `test_clock` decides whether it runs on the manual clock (and has
/// `advanceClock`) or on the system clock, as production does.
pub async fn spawn_app_with(db: Db, test_clock: bool) -> TestApp {
    // The fakes listen on 127.0.0.1.
    spawn_app_allowing(db, test_clock, true).await
}

/// Starts the server, calling loopback and private addresses only if `private_upstreams`.
pub async fn spawn_app_allowing(db: Db, test_clock: bool, private_upstreams: bool) -> TestApp {
    // OMNIPANEL_TEST_LOG=1 shows the server's logs (OMNIPANEL_LOG sets the filter as in serve).
    if std::env::var_os("OMNIPANEL_TEST_LOG").is_some() {
        omnipanel_api::telemetry::init(omnipanel_api::config::LogFormat::Text, false);
    }
    let database = fresh_database(db).await;
    start(
        database.connection.clone(),
        database.url.clone(),
        Some(database),
        test_clock,
        private_upstreams,
        None,
    )
    .await
}

/// Starts the server on a migrated database; `key_file`: the keys of an instance already on it.
async fn start(
    mut connection: DatabaseConnection, database_url: String, database: Option<TestDatabase>,
    test_clock: bool, private_upstreams: bool, key_file: Option<PathBuf>,
) -> TestApp {
    let queries = Arc::new(AtomicUsize::new(0));
    let counter = queries.clone();
    connection.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        if std::env::var("OMNIPANEL_TEST_LOG_SQL").is_ok() {
            eprintln!(
                "SQL {:>8.2?} {}",
                info.elapsed,
                info.statement.sql.chars().take(120).collect::<String>()
            );
        }
    });
    let clock = Arc::new(ManualClock::new());
    // Bound first, so that links and OAuth redirects name the real address.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind port 0");
    let files_dir =
        std::env::temp_dir().join(format!("omnipanel_files_{}", uuid::Uuid::new_v4().simple()));
    let key_file = key_file.unwrap_or_else(|| files_dir.join("secret.key"));
    // What `omnipanel serve` builds, with the manual clock and short upstream timeouts (so
    // failure tests stay quick). Timers fire through `advanceClock` (or
    // `domain.timers().run_due()`), never on their own, so nothing depends on timing luck and
    // no background statement mixes into a test's count of queries.
    let config = AppConfig {
        public_url: url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap(),
        session_ttl: chrono::Duration::hours(12),
        max_body_bytes: 64 * 1024,
        files_dir: files_dir.clone(),
        upstream: omnipanel_integrations::HttpPolicy {
            timeout: std::time::Duration::from_secs(1),
            retries: 2,
            backoff: std::time::Duration::from_millis(10),
            allow_private: private_upstreams,
        },
        time: if test_clock {
            TimeSource::Manual(clock.clone())
        } else {
            TimeSource::System
        },
        timers: TimerSweep::WhenAdvanced,
        demo: false,
        // Tests that need a proxy send X-Forwarded-For from 127.0.0.1.
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        keyring: omnipanel_domain::sealing::Keyring::load_or_create(&key_file)
            .expect("a key file in the test's folder"),
    };
    let app = App::build(config, connection)
        .await
        .expect("the server builds");
    let domain = app.domain.clone();
    let (sender, receiver) = oneshot::channel::<()>();
    let (addr, server) = app
        .serve(listener, async {
            let _ = receiver.await;
        })
        .expect("a bound listener");
    tokio::spawn(server);
    TestApp {
        addr,
        client: reqwest::Client::new(),
        clock,
        domain,
        database_url,
        queries,
        _database: database,
        files_dir,
        key_file,
        shutdown: Some(sender),
    }
}

impl TestApp {
    /// Waits until the server keeps the tokens it resolves: at once on SQLite, on PostgreSQL once
    /// its listener hears other instances' changes (`identity/credentials.rs`).
    pub async fn keeping_tokens(&self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !self.domain.credentials.is_on() {
            assert!(
                std::time::Instant::now() < deadline,
                "the listener never connected"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Another instance of the server on this one's database, as a deployment runs several: its
    /// own clock (manual), its own connections and listener, the same keys.
    pub async fn another_instance(&self) -> TestApp {
        let connection = connect(&self.database_url)
            .await
            .expect("connect to the test database");
        start(
            connection,
            self.database_url.clone(),
            None,
            true,
            true,
            Some(self.key_file.clone()),
        )
        .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = std::fs::remove_dir_all(&self.files_dir);
    }
}

/// An organization made for a test, with its owner signed in.
pub struct Org {
    pub id: String,
    pub owner_token: String,
    pub owner_email: String,
}

pub const PASSWORD: &str = "correct horse battery";

/// `queueEvents` as the panel follows it: each event with the chat's card
/// (`iframe-widget/js/operations.js`).
pub const PANEL_QUEUE_EVENTS: &str = "subscription { queueEvents { kind chatId payload chat { id number title status direction source customer { id number displayName name phone email crmContactId } operator { id firstName } queue { id name } topic { id name } subtopic { id name } createdAt queuedAt acceptedAt closedAt invitationExpiresAt waitingSince lastMessage lastMessageBy lastMessageAt trafficLight muted crmUrl canReply requiresTemplate replyWindowExpiresAt participants { role state operator { id firstName } } } } }";

impl TestApp {
    /// How many statements `f` made the server send.
    pub async fn count_queries<F: std::future::Future>(&self, f: F) -> (F::Output, usize) {
        let before = self.queries.load(Ordering::SeqCst);
        let output = f.await;
        (output, self.queries.load(Ordering::SeqCst) - before)
    }

    /// On PostgreSQL, how many closed chats' figures the reports' `closed_chats_by_day` holds
    /// that the chats do not, and the other way round: 0 when the database kept them as it must.
    /// SQLite's reports read the chats themselves: 0.
    pub async fn closed_days_disagreements(&self) -> i64 {
        use sea_orm::DatabaseBackend;
        if self.domain.db.get_database_backend() != DatabaseBackend::Postgres {
            return 0;
        }
        let sql = "WITH kept AS (
                SELECT d.organization_id, d.day, d.queue_id, d.operator_id, d.topic_id,
                    f.closed_at, f.first_response_ms, f.handle_ms, f.rating, f.reason, f.result
                FROM closed_chats_by_day d,
                    unnest(d.closed_at, d.first_response_ms, d.handle_ms, d.rating,
                        d.wrap_up_reason_id, d.result_id)
                        AS f (closed_at, first_response_ms, handle_ms, rating, reason, result)),
            chats AS (
                SELECT organization_id, (closed_at AT TIME ZONE 'UTC')::date,
                    coalesce(queue_id, '00000000-0000-0000-0000-000000000000'),
                    coalesce(operator_id, '00000000-0000-0000-0000-000000000000'),
                    coalesce(topic_id, '00000000-0000-0000-0000-000000000000'), closed_at,
                    omnipanel_ms(first_response_at, coalesce(queued_at, created_at)),
                    omnipanel_ms(closed_at, accepted_at), rating, wrap_up_reason_id, result_id
                FROM chats WHERE status = 'COMPLETED' AND closed_at IS NOT NULL)
            SELECT count(*) AS n FROM ((TABLE kept EXCEPT ALL TABLE chats)
                UNION ALL (TABLE chats EXCEPT ALL TABLE kept)) AS apart";
        self.postgres_number(sql).await
    }

    /// PostgreSQL: the number a query of one row and one column answers.
    pub async fn postgres_number(&self, sql: &str) -> i64 {
        use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
        let row = self
            .domain
            .db
            .query_one_raw(Statement::from_string(DatabaseBackend::Postgres, sql))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index(0).unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Posts a GraphQL operation and returns the whole response body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        response.json().await.expect("a JSON body")
    }

    /// Like `gql`, but fails the test on any error and returns `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let body = self.gql(token, query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        body["data"].clone()
    }

    /// Creates an organization (as `omnipanel org create` does) and signs its owner in.
    pub async fn create_org(&self, name: &str) -> Org {
        let owner_email = format!("owner-{}@example.test", uuid::Uuid::new_v4().simple());
        let created = self
            .domain
            .identity()
            .create_organization(CreateOrganization {
                name: name.into(),
                owner_email: owner_email.clone(),
                owner_password: PASSWORD.into(),
                owner_first_name: "Olga".into(),
                owner_last_name: "Owner".into(),
            })
            .await
            .expect("create an organization");
        let owner_token = self.sign_in(&owner_email, PASSWORD).await;
        Org {
            id: created.organization_id.to_string(),
            owner_token,
            owner_email,
        }
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let data = self
            .ok(
                None,
                "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
                json!({ "input": { "email": email, "password": password } }),
            )
            .await;
        data["signIn"]["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// Invites someone with `role` and accepts; returns their session token.
    pub async fn add_operator(&self, admin_token: &str, role: &str) -> (String, String) {
        let email = format!(
            "{}-{}@example.test",
            role.to_lowercase(),
            uuid::Uuid::new_v4().simple()
        );
        let invited = self
            .ok(
                Some(admin_token),
                "mutation($input: InviteOperatorInput!) { inviteOperator(input: $input) { invitationToken link } }",
                json!({ "input": { "email": email, "role": role } }),
            )
            .await;
        let token = invited["inviteOperator"]["invitationToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let accepted = self
            .ok(
                None,
                "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { token } }",
                json!({ "input": { "token": token, "password": PASSWORD, "firstName": "Ola", "lastName": "Nowak" } }),
            )
            .await;
        (
            accepted["acceptInvitation"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
            email,
        )
    }
}

/// An operator made for a test.
pub struct Op {
    pub id: String,
    pub token: String,
    pub email: String,
}

/// An organization with its chatbot key, a queue "Support" and one READY operator in it.
pub struct Desk {
    pub org: Org,
    pub key: String,
    pub queue: String,
    pub op: Op,
}

pub const CHAT_FIELDS: &str = "id number title status operator { id } queue { id } customer { displayName phone } \
    invitationExpiresAt acceptedAt closedAt trafficLight lastMessage lastMessageBy";

impl TestApp {
    /// A chatbot API key of the organization.
    pub async fn chatbot_key(&self, admin: &str) -> String {
        let data = self
            .ok(
                Some(admin),
                "mutation { createApiKey(input: { scope: CHATBOT, name: \"bot\" }) { key } }",
                json!({}),
            )
            .await;
        data["createApiKey"]["key"].as_str().unwrap().to_owned()
    }

    /// An organization named `name` set up to take chats (see [`Desk`]).
    pub async fn desk(&self, name: &str) -> Desk {
        let org = self.create_org(name).await;
        let key = self.chatbot_key(&org.owner_token).await;
        let queue = self.create_queue(&org.owner_token, "Support", None).await;
        let op = self.operator(&org.owner_token, "OPERATOR").await;
        self.set_members(&org.owner_token, &queue, &[&op]).await;
        self.set_status(&op, "READY").await;
        Desk {
            org,
            key,
            queue,
            op,
        }
    }

    /// A web chat channel "Website", routed to `queue` when given; returns its id.
    pub async fn webchat_channel(&self, admin: &str, queue: Option<&str>) -> String {
        let data = self
            .ok(
                Some(admin),
                "mutation($input: CreateChannelInput!) { createChannel(input: $input) { channel { id } } }",
                json!({ "input": { "kind": "WEBCHAT", "name": "Website", "queueId": queue } }),
            )
            .await;
        data["createChannel"]["channel"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A wrap-up reason "Solved"; returns its id.
    pub async fn wrap_up_reason(&self, admin: &str) -> String {
        self.ok(
            Some(admin),
            "mutation { createWrapUpReason(input: { name: \"Solved\" }) { wrapUpReason { id } } }",
            json!({}),
        )
        .await["createWrapUpReason"]["wrapUpReason"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A queue; returns its id.
    pub async fn create_queue(&self, admin: &str, name: &str, size_limit: Option<i32>) -> String {
        let data = self
            .ok(
                Some(admin),
                "mutation($input: CreateQueueInput!) { createQueue(input: $input) { queue { id } } }",
                json!({ "input": { "name": name, "sizeLimit": size_limit } }),
            )
            .await;
        data["createQueue"]["queue"]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An operator with `role`, signed in; their status is ONLINE.
    pub async fn operator(&self, admin: &str, role: &str) -> Op {
        let (token, email) = self.add_operator(admin, role).await;
        let id = self.ok(Some(&token), "{ me { id } }", json!({})).await["me"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        Op { id, token, email }
    }

    /// Replaces a queue's members.
    pub async fn set_members(&self, admin: &str, queue_id: &str, operators: &[&Op]) {
        let ids: Vec<_> = operators.iter().map(|op| op.id.clone()).collect();
        self.ok(
            Some(admin),
            "mutation($input: SetQueueMembersInput!) { setQueueMembers(input: $input) { queue { id } } }",
            json!({ "input": { "queueId": queue_id, "operatorIds": ids } }),
        )
        .await;
    }

    /// Sets an operator's status; returns the response body.
    pub async fn set_status(&self, op: &Op, status: &str) -> Value {
        self.gql(
            Some(&op.token),
            "mutation($input: SetMyStatusInput!) { setMyStatus(input: $input) { operator { status } } }",
            json!({ "input": { "status": status } }),
        )
        .await
    }

    /// Sets an operator's concurrent-chat limit.
    pub async fn set_max_chats(&self, admin: &str, op: &Op, max_chats: i32) {
        self.ok(
            Some(admin),
            "mutation($input: UpdateOperatorInput!) { updateOperator(input: $input) { operator { id } } }",
            json!({ "input": { "id": op.id, "maxChats": max_chats } }),
        )
        .await;
    }

    /// Hands a chat off as the chatbot; returns the response body.
    pub async fn hand_off(&self, key: &str, queue_id: &str, phone: &str) -> Value {
        let query = format!(
            "mutation($input: HandOffChatInput!) {{ handOffChat(input: $input) {{ chat {{ {CHAT_FIELDS} }} }} }}"
        );
        self.gql(
            Some(key),
            &query,
            json!({ "input": {
                "queueId": queue_id,
                "source": "TELEGRAM",
                "customer": { "phone": phone, "name": "Jan" },
                "variables": [{ "key": "orderId", "value": "A-17" }],
                "transcript": [
                    { "authorKind": "CUSTOMER", "text": "Hi, where is my order?" },
                    { "authorKind": "BOT", "text": "Let me find an operator for you." }
                ]
            } }),
        )
        .await
    }

    /// Hands a chat off and returns the chat.
    pub async fn hand_off_ok(&self, key: &str, queue_id: &str, phone: &str) -> Value {
        let body = self.hand_off(key, queue_id, phone).await;
        assert!(body.get("errors").is_none(), "hand-off failed: {body}");
        body["data"]["handOffChat"]["chat"].clone()
    }

    /// A chat as `token` sees it.
    pub async fn chat(&self, token: &str, id: &str) -> Value {
        let query = format!("query($id: ID!) {{ chat(id: $id) {{ {CHAT_FIELDS} }} }}");
        self.ok(Some(token), &query, json!({ "id": id })).await["chat"].clone()
    }

    /// Every chat `token` sees, as (its number, its customer's name and number, how many
    /// messages it holds), in order of number: how chats and customers were numbered.
    pub async fn numbered_chats(&self, token: &str) -> Vec<(i64, String, i64, usize)> {
        let data = self
            .ok(
                Some(token),
                "{ chats(first: 50) { edges { node { number customer { name number } messages(first: 10) { edges { node { id } } } } } } }",
                json!({}),
            )
            .await;
        let mut seen: Vec<_> = data["chats"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let chat = &e["node"];
                (
                    chat["number"].as_i64().unwrap(),
                    chat["customer"]["name"].as_str().unwrap().to_owned(),
                    chat["customer"]["number"].as_i64().unwrap(),
                    chat["messages"]["edges"].as_array().unwrap().len(),
                )
            })
            .collect();
        seen.sort();
        seen
    }

    /// Runs a chat mutation that takes `{ chatId }`; returns the response body.
    pub async fn chat_action(&self, token: &str, mutation: &str, chat_id: &str) -> Value {
        let query = format!(
            "mutation($input: ChatIdInput!) {{ {mutation}(input: $input) {{ chat {{ {CHAT_FIELDS} }} }} }}"
        );
        self.gql(
            Some(token),
            &query,
            json!({ "input": { "chatId": chat_id } }),
        )
        .await
    }

    /// Moves the server's clock and fires what became due.
    pub async fn advance(&self, admin: &str, seconds: i64) {
        self.ok(
            Some(admin),
            "mutation($s: Int!) { advanceClock(input: { seconds: $s }) { now fired } }",
            json!({ "s": seconds }),
        )
        .await;
    }
}

/// Waits until `check` holds, for work the server does in the background (deliveries); fails
/// the test after 10 s.
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The first error's `extensions.code`.
/// `X-Omnipanel-Signature` of a generic channel's request: `sha256=` and the hex HMAC-SHA256
/// of `<timestamp>.<body>` keyed with the channel's secret.
pub fn generic_signature(secret: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn error_code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

/// The first error's `extensions.field`.
pub fn error_field(body: &Value) -> &str {
    body["errors"][0]["extensions"]["field"]
        .as_str()
        .unwrap_or_else(|| panic!("no error field in {body}"))
}

/// Runs each listed `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$test($crate::spawn_app($crate::Db::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$test($crate::spawn_app($crate::Db::Postgres).await).await;
            }
        }
    )*};
}

/// A `graphql-transport-ws` client for subscription tests.
pub struct WsClient {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u32,
}

impl WsClient {
    /// Connects and sends `connection_init` with the token; returns the first server message
    /// (`connection_ack` on success).
    pub async fn connect(app: &TestApp, token: &str) -> (Self, Value) {
        Self::connect_to(app.addr, token).await
    }

    /// Connects to a server at `addr` (one not started by this process, as the benchmark's).
    pub async fn connect_to(addr: SocketAddr, token: &str) -> (Self, Value) {
        use futures_util::SinkExt;
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{addr}/graphql/ws")
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket handshake");
        let mut client = Self { socket, next_id: 0 };
        let init = json!({ "type": "connection_init", "payload": { "authorization": format!("Bearer {token}") } });
        client.socket.send(init.to_string().into()).await.unwrap();
        let first = client.receive().await;
        (client, first)
    }

    /// Starts a subscription; returns its id.
    pub async fn subscribe(&mut self, query: &str) -> String {
        use futures_util::SinkExt;
        self.next_id += 1;
        let id = self.next_id.to_string();
        let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
        self.socket.send(message.to_string().into()).await.unwrap();
        id
    }

    /// The next server message (pings answered), or `{"type": "closed"}` when the server closed.
    /// Waits at most 10 s so a missing event fails the test instead of hanging it.
    pub async fn receive(&mut self) -> Value {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        loop {
            let next = tokio::time::timeout(std::time::Duration::from_secs(10), self.socket.next())
                .await
                .expect("a websocket message within 10 s");
            match next {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ping" {
                        self.socket
                            .send(json!({ "type": "pong" }).to_string().into())
                            .await
                            .unwrap();
                        continue;
                    }
                    return value;
                }
                Some(Ok(Message::Close(frame))) => {
                    return json!({ "type": "closed", "reason": frame.map(|f| f.reason.to_string()) });
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return json!({ "type": "closed" }),
            }
        }
    }

    /// The data of the next `next` message.
    pub async fn next_data(&mut self) -> Value {
        let message = self.receive().await;
        assert_eq!(message["type"], "next", "expected data, got {message}");
        message["payload"]["data"].clone()
    }
}
