//! C7 under real concurrency: two `omnipanel serve` processes on one PostgreSQL, 200
//! simultaneous hand-offs and closes against 10 operators with a limit of 3. No chat is
//! assigned twice, no operator holds more than 3 chats, every chat is accounted for.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use omnipanel_domain::entity::{chat, event};
use omnipanel_domain::enums::{ChatStatus, RecipientKind};
use omnipanel_tests::{Db, fresh_database};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const CHATS: usize = 200;
const OPERATORS: usize = 10;
const LIMIT: i32 = 3;

/// A server process; killed when dropped.
struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = dir.join("omnipanel");
    assert!(
        path.exists(),
        "build the server first: cargo build -p omnipanel-api ({} missing)",
        path.display()
    );
    path
}

/// The key file the instances of one database share (`OMNIPANEL_SECRET_KEY_FILE`), removed
/// when the test is done with it.
struct SharedKey(std::path::PathBuf);

impl SharedKey {
    fn of(database_url: &str) -> Self {
        Self(std::env::temp_dir().join(format!(
            "{}.key",
            database_url.rsplit('/').next().unwrap_or("omnipanel")
        )))
    }
}

impl Drop for SharedKey {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn start(database_url: &str, key: &SharedKey) -> Server {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            database_url,
        ])
        .env("OMNIPANEL_LOG", "warn")
        // Instances sharing a database share its key file.
        .env("OMNIPANEL_SECRET_KEY_FILE", &key.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start omnipanel serve");
    let stdout = child.stdout.take().unwrap();
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|line| line.starts_with("Omnipanel listening on "))
        .expect("the server says where it listens");
    let url = line["Omnipanel listening on ".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    Server { child, url }
}

async fn gql(
    client: &reqwest::Client, server: &Server, token: Option<&str>, query: &str, variables: Value,
) -> Value {
    let mut request = client
        .post(format!("{}/graphql", server.url))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("the server answers")
        .json()
        .await
        .expect("JSON")
}

async fn ok(
    client: &reqwest::Client, server: &Server, token: Option<&str>, query: &str, variables: Value,
) -> Value {
    let body = gql(client, server, token, query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

const OWNER_EMAIL: &str = "owner@concurrency.test";
const PASSWORD: &str = "correct horse battery";

/// An organization made as `omnipanel org create` makes it, before any server starts.
async fn create_organization(db: &sea_orm::DatabaseConnection) {
    omnipanel_domain::Domain::new(
        db.clone(),
        Arc::new(omnipanel_domain::ports::SystemClock),
        Default::default(),
    )
    .identity()
    .create_organization(omnipanel_domain::identity::CreateOrganization {
        name: "Load".into(),
        owner_email: OWNER_EMAIL.into(),
        owner_password: PASSWORD.into(),
        owner_first_name: "O".into(),
        owner_last_name: "W".into(),
    })
    .await
    .unwrap();
}

/// A queue named `name`, made by `owner` on `server`; its id.
async fn create_queue(client: &reqwest::Client, server: &Server, owner: &str, name: &str) -> Value {
    ok(
        client,
        server,
        Some(owner),
        "mutation($n: String!) { createQueue(input: { name: $n }) { queue { id } } }",
        json!({ "n": name }),
    )
    .await["createQueue"]["queue"]["id"]
        .clone()
}

/// A chatbot's API key, made by `owner` on `server`.
async fn chatbot_key(client: &reqwest::Client, server: &Server, owner: &str) -> String {
    ok(
        client,
        server,
        Some(owner),
        "mutation { createApiKey(input: { scope: CHATBOT, name: \"bot\" }) { key } }",
        json!({}),
    )
    .await["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The owner's session token and operator id.
async fn sign_in_owner(client: &reqwest::Client, server: &Server) -> (String, String) {
    let signed_in = ok(
        client,
        server,
        None,
        "mutation($input: SignInInput!) { signIn(input: $input) { token operator { id } } }",
        json!({ "input": { "email": OWNER_EMAIL, "password": PASSWORD } }),
    )
    .await;
    let text = |v: &Value| v.as_str().unwrap().to_owned();
    (
        text(&signed_in["signIn"]["token"]),
        text(&signed_in["signIn"]["operator"]["id"]),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_never_assign_a_chat_twice_nor_exceed_a_limit() {
    let database = fresh_database(Db::Postgres).await;
    let (db, url) = (database.connection.clone(), database.url.clone());
    create_organization(&db).await;
    let key = SharedKey::of(&url);
    let servers = [start(&url, &key), start(&url, &key)];
    let client = reqwest::Client::new();
    let (owner, _) = sign_in_owner(&client, &servers[0]).await;
    let o = Some(owner.as_str());
    ok(&client, &servers[0], o, "mutation { updateSettings(input: { invitationTimeoutSecs: 600, defaultMaxChats: 3 }) { settings { invitationTimeoutSecs } } }", json!({})).await;
    let queue = create_queue(&client, &servers[0], &owner, "Load").await;
    let key = chatbot_key(&client, &servers[0], &owner).await;
    let reason = ok(
        &client,
        &servers[0],
        o,
        "mutation { createWrapUpReason(input: { name: \"Done\" }) { wrapUpReason { id } } }",
        json!({}),
    )
    .await["createWrapUpReason"]["wrapUpReason"]["id"]
        .clone();
    let mut operators = Vec::new();
    for n in 0..OPERATORS {
        let invited = ok(&client, &servers[0], o, "mutation($e: String!) { inviteOperator(input: { email: $e, role: OPERATOR }) { invitationToken } }", json!({ "e": format!("op{n}@concurrency.test") })).await;
        let token = invited["inviteOperator"]["invitationToken"].clone();
        let accepted = ok(
            &client,
            &servers[1],
            None,
            "mutation($t: String!) { acceptInvitation(input: { token: $t, password: \"correct horse battery\", firstName: \"Op\", lastName: \"N\" }) { token operator { id } } }",
            json!({ "t": token }),
        )
        .await;
        operators.push((
            accepted["acceptInvitation"]["token"]
                .as_str()
                .unwrap()
                .to_owned(),
            accepted["acceptInvitation"]["operator"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        ));
    }
    let ids: Vec<_> = operators.iter().map(|(_, id)| id.clone()).collect();
    ok(&client, &servers[0], o, "mutation($q: ID!, $ids: [ID!]!) { setQueueMembers(input: { queueId: $q, operatorIds: $ids }) { queue { id } } }", json!({ "q": queue, "ids": ids })).await;
    for (n, (token, _)) in operators.iter().enumerate() {
        ok(
            &client,
            &servers[n % 2],
            Some(token),
            "mutation { setMyStatus(input: { status: READY }) { operator { status } } }",
            json!({}),
        )
        .await;
    }

    let servers = Arc::new(servers);
    let closed = Arc::new(AtomicUsize::new(0));
    let over_limit = Arc::new(AtomicUsize::new(0));

    // The chatbot hands off 200 chats at once, through both servers.
    let hand_offs = (0..CHATS).map(|n| {
        let (client, servers, key, queue) = (client.clone(), servers.clone(), key.clone(), queue.clone());
        tokio::spawn(async move {
            let body = gql(
                &client,
                &servers[n % 2],
                Some(&key),
                "mutation($input: HandOffChatInput!) { handOffChat(input: $input) { chat { id } } }",
                json!({ "input": { "queueId": queue, "source": "WEBCHAT", "customer": { "phone": format!("+4860000{n:04}") } } }),
            )
            .await;
            assert!(body.get("errors").is_none(), "hand-off failed: {body}");
        })
    });
    // Meanwhile each operator accepts and closes whatever comes, alternating servers.
    let workers = operators.iter().enumerate().map(|(n, (token, _))| {
        let (client, servers, token, reason, closed, over_limit) =
            (client.clone(), servers.clone(), token.clone(), reason.clone(), closed.clone(), over_limit.clone());
        tokio::spawn(async move {
            for round in 0..4000 {
                if closed.load(Ordering::SeqCst) >= CHATS {
                    return;
                }
                let server = &servers[(n + round) % 2];
                let mine = ok(&client, server, Some(&token), "{ myChats(tab: ACTIVE) { id status } me { activeChatCount } }", json!({})).await;
                if mine["me"]["activeChatCount"].as_i64().unwrap() > i64::from(LIMIT) {
                    over_limit.fetch_add(1, Ordering::SeqCst);
                }
                let chats = mine["myChats"].as_array().unwrap().clone();
                if chats.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                for chat in chats {
                    let input = json!({ "input": { "chatId": chat["id"] } });
                    if chat["status"] == "INVITED" {
                        gql(&client, server, Some(&token), "mutation($input: ChatIdInput!) { acceptChat(input: $input) { chat { id } } }", input).await;
                    } else {
                        let body = gql(
                            &client,
                            server,
                            Some(&token),
                            "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { id } } }",
                            json!({ "input": { "chatId": chat["id"], "wrapUpReasonId": reason } }),
                        )
                        .await;
                        if body.get("errors").is_none() {
                            closed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            }
        })
    });
    let hand_offs: Vec<_> = hand_offs.collect();
    let workers: Vec<_> = workers.collect();
    for task in hand_offs.into_iter().chain(workers) {
        task.await.unwrap();
    }

    assert_eq!(
        over_limit.load(Ordering::SeqCst),
        0,
        "an operator held more than {LIMIT} chats"
    );
    assert_eq!(
        closed.load(Ordering::SeqCst),
        CHATS,
        "every chat was closed exactly once"
    );
    let chats = chat::Entity::find().all(&db).await.unwrap();
    assert_eq!(chats.len(), CHATS, "every hand-off made one chat");
    assert!(
        chats.iter().all(|c| c.status == ChatStatus::Completed),
        "every chat accounted for"
    );

    // From the event log, in commit order (each operator's events carry gap-free sequence
    // numbers taken at commit): every chat was offered exactly once, and replaying each
    // operator's offers (+1) and releases (-1) never goes above the limit.
    let events = event::Entity::find()
        .filter(event::Column::RecipientKind.eq(RecipientKind::Operator))
        .order_by_asc(event::Column::RecipientId)
        .order_by_asc(event::Column::Seq)
        .all(&db)
        .await
        .unwrap();
    let mut offers: HashMap<_, usize> = HashMap::new();
    let mut load: HashMap<_, i32> = HashMap::new();
    let mut previous: HashMap<_, i64> = HashMap::new();
    for event in &events {
        let seq = previous.entry(event.recipient_id).or_insert(0);
        assert_eq!(event.seq, *seq + 1, "an operator's sequence has no gaps");
        *seq = event.seq;
        let held = load.entry(event.recipient_id).or_insert(0);
        match event.kind.as_str() {
            "CHAT_INVITED" => {
                *held += 1;
                *offers.entry(event.chat_id.unwrap()).or_insert(0) += 1;
            }
            "CHAT_UNASSIGNED" | "INVITATION_WITHDRAWN" => *held -= 1,
            _ => {}
        }
        assert!(
            *held <= LIMIT,
            "operator {} held {held} chats at once",
            event.recipient_id
        );
    }
    assert_eq!(offers.len(), CHATS, "every chat was offered");
    assert!(
        offers.values().all(|n| *n == 1),
        "no chat was offered twice"
    );
    assert!(
        load.values().all(|held| *held == 0),
        "every operator ends with no chat"
    );
}

/// Events across instances: a panel following its stream on one instance hears what another
/// instance commits (its notices are relayed after the commit), and hears an event whose notice
/// never came (a writer stopped between its commit and its relay) when the instance reconciles
/// the streams it follows with their counters.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_on_one_instance_hears_what_another_commits() {
    use omnipanel_domain::entity::event_stream;
    use omnipanel_domain::enums::EventKind;
    use omnipanel_tests::WsClient;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let database = fresh_database(Db::Postgres).await;
    let (db, url) = (database.connection.clone(), database.url.clone());
    create_organization(&db).await;
    let key = SharedKey::of(&url);
    let servers = [start(&url, &key), start(&url, &key)];
    let client = reqwest::Client::new();
    let (owner, owner_id) = sign_in_owner(&client, &servers[0]).await;
    let set_status = |status: &'static str| {
        let (client, owner) = (client.clone(), owner.clone());
        let servers = &servers;
        async move {
            let n = usize::from(status != "READY");
            ok(&client, &servers[n], Some(&owner), "mutation($s: OperatorStatus!) { setMyStatus(input: { status: $s }) { operator { status } } }", json!({ "s": status })).await;
        }
    };
    // The panel follows from the owner's latest event (signing in made the owner ONLINE).
    let since = ok(
        &client,
        &servers[1],
        Some(&owner),
        "{ workplaceEventsSince(after: 0) { seq } }",
        json!({}),
    )
    .await;
    let base = since["workplaceEventsSince"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["seq"].as_i64())
        .max()
        .unwrap_or(0);
    let address = servers[1]
        .url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let (mut panel, ack) = WsClient::connect_to(address, &owner).await;
    assert_eq!(ack["type"], "connection_ack");
    panel
        .subscribe(&format!(
            "subscription {{ workplaceEvents(after: {base}) {{ seq kind operator {{ status }} }} }}"
        ))
        .await;

    // Written on the panel's own instance: the stream is live and waiting after it.
    set_status("BREAK").await;
    let local = panel.next_data().await;
    assert_eq!(local["workplaceEvents"]["operator"]["status"], "BREAK");
    let seq = local["workplaceEvents"]["seq"].as_i64().unwrap();
    assert_eq!(seq, base + 1);

    // Written on the other instance.
    set_status("READY").await;
    let remote = panel.next_data().await;
    assert_eq!(remote["workplaceEvents"]["seq"].as_i64().unwrap(), seq + 1);
    assert_eq!(remote["workplaceEvents"]["kind"], "OPERATOR_UPDATED");
    assert_eq!(remote["workplaceEvents"]["operator"]["status"], "READY");

    // Committed with no notice at all, as by an instance that stopped right after its commit.
    let recipient: uuid::Uuid = owner_id.parse().unwrap();
    let stream = event_stream::Entity::find_by_id((RecipientKind::Operator, recipient))
        .one(&db)
        .await
        .unwrap()
        .expect("the owner's stream");
    assert_eq!(stream.seq, seq + 1);
    let organization_id = event::Entity::find()
        .filter(event::Column::RecipientId.eq(recipient))
        .one(&db)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let mut advanced: event_stream::ActiveModel = stream.into();
    advanced.seq = Set(seq + 2);
    advanced.update(&db).await.unwrap();
    event::ActiveModel {
        id: Set(omnipanel_domain::ids::EventId::new()),
        organization_id: Set(organization_id),
        recipient_kind: Set(RecipientKind::Operator),
        recipient_id: Set(recipient),
        seq: Set(seq + 2),
        kind: Set(EventKind::OperatorUpdated.as_str().to_owned()),
        chat_id: Set(None),
        payload: Set(json!({})),
        created_at: Set(chrono::Utc::now()),
    }
    .insert(&db)
    .await
    .unwrap();
    let unannounced = panel.next_data().await;
    assert_eq!(
        unannounced["workplaceEvents"]["seq"].as_i64().unwrap(),
        seq + 2,
        "the next reconciliation (every {:?}) wakes the panel",
        omnipanel_domain::ports::RECONCILE_EVERY
    );

    // The queues' stream, followed on one instance, written on the other: a new queue the
    // owner sees (they see every queue), then a chat that waits there.
    let (mut panel, _) = WsClient::connect_to(address, &owner).await;
    panel
        .subscribe("subscription { queueEvents { kind queueId chatId payload } }")
        .await;
    let first = panel.next_data().await;
    assert_eq!(first["queueEvents"]["kind"], "QUEUES_CHANGED", "{first}");
    assert_eq!(first["queueEvents"]["payload"]["queueIds"], json!([]));
    let queue = create_queue(&client, &servers[0], &owner, "Elsewhere").await;
    let changed = panel.next_data().await;
    assert_eq!(
        changed["queueEvents"]["kind"], "QUEUES_CHANGED",
        "{changed}"
    );
    assert_eq!(
        changed["queueEvents"]["payload"]["queueIds"],
        json!([queue])
    );
    let bot = chatbot_key(&client, &servers[0], &owner).await;
    // The queue has no members: the chat waits.
    let waiting = ok(&client, &servers[0], Some(&bot), "mutation($q: ID!) { handOffChat(input: { queueId: $q, source: TELEGRAM, customer: { phone: \"+48600100900\" } }) { chat { id status } } }", json!({ "q": queue }))
        .await["handOffChat"]["chat"]
        .clone();
    assert_eq!(waiting["status"], "QUEUED");
    let queued = panel.next_data().await;
    assert_eq!(queued["queueEvents"]["kind"], "CHAT_QUEUED", "{queued}");
    assert_eq!(queued["queueEvents"]["chatId"], waiting["id"]);
    assert_eq!(queued["queueEvents"]["queueId"], queue);
}
