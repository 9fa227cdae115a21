//! Supervision (O1): the live view's figures against chats whose timings the manual clock sets
//! exactly, who sees which floor, and a supervisor setting an operator's status.

use omnipanel_domain::entity::{chat, status_log};
use omnipanel_tests::{
    Db, Desk, Op, TestApp, WsClient, error_code, error_field, on_both_databases, spawn_app,
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

on_both_databases!(
    the_live_overview_adds_up_the_floor,
    the_live_view_follows_the_floor,
    reports_add_up_chats_whose_timings_the_clock_set,
    reports_follow_every_change_of_the_chats,
    a_supervisor_sets_an_operators_status_on_their_floor
);

const OVERVIEW: &str = "{ liveOverview { at \
    queues { queue { name } waitingCount oldestWaitSecs estimatedWaitSecs availableOperators activeChats } \
    operators { operator { id } status timeInStatusSecs activeChats maxChats onCall } \
    lights { green yellow red grey } redChats { id trafficLight } } }";

async fn overview(app: &TestApp, token: &str) -> Value {
    app.ok(Some(token), OVERVIEW, json!({})).await["liveOverview"].clone()
}

/// The figures of the queue named `name`.
fn queue<'a>(overview: &'a Value, name: &str) -> &'a Value {
    overview["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["queue"]["name"] == name)
        .unwrap_or_else(|| panic!("no queue {name} in {overview}"))
}

/// The figures of `op`, if they are on the view.
fn operator<'a>(overview: &'a Value, op: &Op) -> Option<&'a Value> {
    overview["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["operator"]["id"] == op.id.as_str())
}

async fn accept(app: &TestApp, op: &Op, chat: &str) {
    app.ok(
        Some(&op.token),
        "mutation($c: ID!) { acceptChat(input: { chatId: $c }) { chat { id } } }",
        json!({ "c": chat }),
    )
    .await;
}

/// Two queues: Support (the desk's) with its operator and a supervisor, and Sales with one
/// operator the supervisor does not oversee.
struct Floor {
    desk: Desk,
    sales: String,
    seller: Op,
    supervisor: Op,
}

async fn floor(app: &TestApp) -> Floor {
    let desk = app.desk("Acme").await;
    let owner = &desk.org.owner_token;
    let sales = app.create_queue(owner, "Sales", None).await;
    let seller = app.operator(owner, "OPERATOR").await;
    let supervisor = app.operator(owner, "SUPERVISOR").await;
    app.set_members(owner, &sales, &[&seller]).await;
    app.set_members(owner, &desk.queue, &[&desk.op, &supervisor])
        .await;
    Floor {
        desk,
        sales,
        seller,
        supervisor,
    }
}

async fn the_live_overview_adds_up_the_floor(app: TestApp) {
    let Floor {
        desk,
        sales,
        seller,
        supervisor,
    } = floor(&app).await;
    let owner = &desk.org.owner_token;

    // t = 0: one chat taken at once in Support, one waiting in Sales.
    let a = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600200001")
        .await;
    let a = a["id"].as_str().unwrap().to_owned();
    accept(&app, &desk.op, &a).await;
    let b = app.hand_off_ok(&desk.key, &sales, "+48600200002").await;
    assert_eq!(b["status"], "QUEUED");
    let b = b["id"].as_str().unwrap().to_owned();

    // t = 100: Sales' operator takes the chat after 100 s and answers (GREY until the customer
    // writes again); with a limit of one, the next Sales chat waits.
    app.advance(owner, 100).await;
    app.set_status(&seller, "READY").await;
    accept(&app, &seller, &b).await;
    app.ok(
        Some(&seller.token),
        "mutation($c: ID!) { sendMessage(input: { chatId: $c, text: \"Hello!\" }) { message { id } } }",
        json!({ "c": b }),
    )
    .await;
    app.set_max_chats(owner, &seller, 1).await;
    let c = app.hand_off_ok(&desk.key, &sales, "+48600200003").await;
    assert_eq!(c["status"], "QUEUED");

    // t = 500: chat A, unanswered for 500 s, is past the red threshold (360 s).
    app.advance(owner, 400).await;
    let all = overview(&app, owner).await;
    let support = queue(&all, "Support");
    assert_eq!(support["waitingCount"], 0);
    assert_eq!(support["oldestWaitSecs"], Value::Null);
    assert_eq!(support["activeChats"], 1);
    assert_eq!(support["availableOperators"], 1, "{support}");
    let sales_figures = queue(&all, "Sales");
    assert_eq!(sales_figures["waitingCount"], 1);
    assert_eq!(sales_figures["oldestWaitSecs"], 400);
    // Sales' last chat waited 100 s; a chat arriving now is second in line.
    assert_eq!(sales_figures["estimatedWaitSecs"], 200);
    assert_eq!(sales_figures["availableOperators"], 0);
    assert_eq!(sales_figures["activeChats"], 1);
    assert_eq!(
        all["lights"],
        json!({ "green": 0, "yellow": 0, "red": 1, "grey": 1 })
    );
    assert_eq!(all["redChats"], json!([{ "id": a, "trafficLight": "RED" }]));
    let mine = operator(&all, &desk.op).expect("the Support operator is on the view");
    assert_eq!(
        (
            &mine["status"],
            &mine["timeInStatusSecs"],
            &mine["activeChats"],
            &mine["maxChats"],
            &mine["onCall"]
        ),
        (
            &json!("READY"),
            &json!(500),
            &json!(1),
            &json!(3),
            &json!(false)
        )
    );
    let theirs = operator(&all, &seller).expect("the Sales operator is on the view");
    assert_eq!(theirs["timeInStatusSecs"], 400);
    assert_eq!(theirs["maxChats"], 1);

    // A supervisor sees the queues they belong to, their operators and their chats only.
    let floor = overview(&app, &supervisor.token).await;
    let names: Vec<&Value> = floor["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| &q["queue"]["name"])
        .collect();
    assert_eq!(names, [&json!("Support")]);
    assert!(operator(&floor, &desk.op).is_some());
    assert!(operator(&floor, &seller).is_none(), "{floor}");
    assert_eq!(
        floor["lights"],
        json!({ "green": 0, "yellow": 0, "red": 1, "grey": 0 })
    );

    // Operators may not look; another organization sees nothing of this one.
    let refused = app.gql(Some(&desk.op.token), OVERVIEW, json!({})).await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let other = app.create_org("Globex").await;
    let theirs = overview(&app, &other.owner_token).await;
    assert_eq!(theirs["queues"], json!([]));
    assert_eq!(theirs["redChats"], json!([]));
    assert_eq!(
        theirs["lights"],
        json!({ "green": 0, "yellow": 0, "red": 0, "grey": 0 })
    );
    assert!(operator(&theirs, &desk.op).is_none());
}

async fn the_live_view_follows_the_floor(app: TestApp) {
    let desk = app.desk("Acme").await;
    let owner = &desk.org.owner_token;
    let supervisor = app.operator(owner, "SUPERVISOR").await;
    app.set_members(owner, &desk.queue, &[&desk.op, &supervisor])
        .await;
    app.set_status(&desk.op, "BREAK").await;
    let (mut ws, ack) = WsClient::connect(&app, &supervisor.token).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.subscribe(
        "subscription { liveOverviewEvents { seq overview { \
         queues { queue { name } waitingCount } operators { operator { id } status } } } }",
    )
    .await;
    let first = ws.next_data().await["liveOverviewEvents"].clone();
    assert_eq!(first["seq"], 1);
    assert_eq!(first["overview"]["queues"][0]["waitingCount"], 0);

    // Another organization's hand-off changes nothing here; this one's arrival does.
    let other = app.desk("Globex").await;
    app.set_status(&other.op, "BREAK").await;
    app.hand_off_ok(&other.key, &other.queue, "+48600200020")
        .await;
    app.hand_off_ok(&desk.key, &desk.queue, "+48600200021")
        .await;
    let arrived = ws.next_data().await["liveOverviewEvents"].clone();
    assert_eq!(arrived["seq"], 2, "{arrived}");
    assert_eq!(arrived["overview"]["queues"][0]["waitingCount"], 1);

    // The operator comes back from the break and takes the chat: the view follows.
    app.set_status(&desk.op, "READY").await;
    let mut seen = Vec::new();
    loop {
        let next = ws.next_data().await["liveOverviewEvents"].clone();
        seen.push(next["seq"].as_i64().unwrap());
        let back = operator(&next["overview"], &desk.op).map(|o| o["status"].clone());
        if back == Some(json!("READY")) && next["overview"]["queues"][0]["waitingCount"] == 0 {
            break;
        }
    }
    assert!(
        seen.windows(2).all(|w| w[1] == w[0] + 1) && seen[0] == 3,
        "{seen:?}"
    );

    // Operators may not follow it.
    let (mut theirs, _) = WsClient::connect(&app, &desk.op.token).await;
    theirs
        .subscribe("subscription { liveOverviewEvents { seq } }")
        .await;
    let refused = theirs.receive().await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
}

const REPORT: &str = "query($input: ReportInput!) { report(input: $input) { kind groupBy timeZone \
    rows { key label count average p50 p90 distribution statuses { status seconds } } \
    total { count average p50 p90 distribution statuses { status seconds } } } }";

async fn report(app: &TestApp, token: &str, input: Value) -> Value {
    app.ok(Some(token), REPORT, json!({ "input": input })).await["report"].clone()
}

/// A chat handed off, accepted after `accept` s, answered `answer` s after that, closed
/// `close` s after that with the reason and result, and rated.
#[allow(clippy::too_many_arguments)]
async fn worked_chat(
    app: &TestApp, key: &str, owner: &str, queue: &str, op: &Op, phone: &str,
    (accept_after, answer_after, close_after): (i64, i64, i64),
    (reason, result, score): (&str, &str, i32),
) -> String {
    let chat = app.hand_off_ok(key, queue, phone).await;
    let chat = chat["id"].as_str().unwrap().to_owned();
    app.advance(owner, accept_after).await;
    accept(app, op, &chat).await;
    app.advance(owner, answer_after).await;
    app.ok(
        Some(&op.token),
        "mutation($c: ID!) { sendMessage(input: { chatId: $c, text: \"Hello!\" }) { message { id } } }",
        json!({ "c": chat }),
    )
    .await;
    app.advance(owner, close_after).await;
    app.ok(
        Some(&op.token),
        "mutation($c: ID!, $r: ID!, $x: ID!) { closeChat(input: { chatId: $c, wrapUpReasonId: $r, resultId: $x }) { chat { id } } }",
        json!({ "c": chat, "r": reason, "x": result }),
    )
    .await;
    app.ok(
        Some(key),
        "mutation($c: ID!, $s: Int!) { rateChat(input: { chatId: $c, score: $s }) { chat { id } } }",
        json!({ "c": chat, "s": score }),
    )
    .await;
    chat
}

/// A wrap-up reason ("Solved") and a result ("Sold") to close chats with, and the server's time.
async fn closing_with(
    app: &TestApp, owner: &str,
) -> (String, String, chrono::DateTime<chrono::Utc>) {
    let reason = app.wrap_up_reason(owner).await;
    let result = app
        .ok(
            Some(owner),
            "mutation { createChatResult(input: { name: \"Sold\" }) { chatResult { id } } }",
            json!({}),
        )
        .await["createChatResult"]["chatResult"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = app.ok(Some(owner), "{ serverTime }", json!({})).await["serverTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    (reason, result, now)
}

async fn reports_add_up_chats_whose_timings_the_clock_set(app: TestApp) {
    let Floor {
        desk,
        sales,
        seller,
        supervisor,
    } = floor(&app).await;
    let owner = &desk.org.owner_token;
    app.set_status(&seller, "READY").await;
    let (reason, result, start) = closing_with(&app, owner).await;

    // Support: accepted after 10 s, first answer 40 s after queueing, handled for 90 s, rated 5.
    let support = (&desk.queue, &desk.op);
    worked_chat(
        &app,
        &desk.key,
        owner,
        support.0,
        support.1,
        "+48600300001",
        (10, 30, 60),
        (&reason, &result, 5),
    )
    .await;
    // Sales: accepted after 20 s, first answer after 80 s, handled for 280 s, rated 3.
    worked_chat(
        &app,
        &desk.key,
        owner,
        &sales,
        &seller,
        "+48600300002",
        (20, 60, 220),
        (&reason, &result, 3),
    )
    .await;
    let from = start - chrono::Duration::hours(1);
    let to = start + chrono::Duration::hours(1);
    let period =
        |kind: &str, group: &str| json!({ "kind": kind, "groupBy": group, "from": from, "to": to });

    let chats = report(&app, owner, period("CHATS", "QUEUE")).await;
    let counts: Vec<(&Value, &Value)> = chats["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["label"], &r["count"]))
        .collect();
    assert_eq!(
        counts,
        [(&json!("Sales"), &json!(1)), (&json!("Support"), &json!(1))]
    );
    assert_eq!(chats["total"]["count"], 2);
    assert_eq!(chats["total"]["average"], Value::Null);

    let first = report(&app, owner, period("FIRST_RESPONSE", "OPERATOR")).await;
    assert_eq!(
        (
            &first["total"]["average"],
            &first["total"]["p50"],
            &first["total"]["p90"]
        ),
        (&json!(60.0), &json!(40.0), &json!(80.0))
    );
    let handle = report(&app, owner, period("HANDLE_TIME", "QUEUE")).await;
    assert_eq!(handle["total"]["average"], 185.0);
    assert_eq!(handle["rows"][0]["average"], 280.0, "Sales first: {handle}");

    // By hour in the organization's zone: every hour of the period is a row, empty ones zero.
    let mut hourly = period("CSAT", "HOUR");
    hourly["timeZone"] = json!("Europe/Warsaw");
    let csat = report(&app, owner, hourly).await;
    assert_eq!(csat["timeZone"], "Europe/Warsaw");
    let rows = csat["rows"].as_array().unwrap();
    assert!(rows.len() >= 2, "{csat}");
    let rated: u64 = rows.iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert_eq!(rated, 2);
    assert!(
        rows.iter().any(|r| r["count"] == 0),
        "empty hours are rows of zero"
    );
    assert_eq!(csat["total"]["average"], 4.0);
    assert_eq!(csat["total"]["distribution"], json!([0, 0, 1, 0, 1]));

    let wrap_up = report(&app, owner, period("WRAP_UP", "QUEUE")).await;
    let rows: Vec<(&Value, &Value)> = wrap_up["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["label"], &r["count"]))
        .collect();
    assert_eq!(
        rows,
        [(&json!("Solved"), &json!(2)), (&json!("Sold"), &json!(2))]
    );

    // The Support operator was READY for all 400 s since the start.
    let mut status = json!({ "kind": "STATUS_TIME", "groupBy": "OPERATOR", "from": start,
        "to": start + chrono::Duration::seconds(400), "operatorId": desk.op.id });
    let time = report(&app, owner, status.clone()).await;
    assert_eq!(
        time["rows"][0]["statuses"],
        json!([{ "status": "READY", "seconds": 400 }]),
        "{time}"
    );

    // A supervisor sees their queues' chats only; operators see no reports.
    let theirs = report(&app, &supervisor.token, period("CHATS", "DAY")).await;
    assert_eq!(theirs["total"]["count"], 1);
    let refused = app
        .gql(
            Some(&desk.op.token),
            REPORT,
            json!({ "input": period("CHATS", "DAY") }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    // The same numbers as CSV, with the session.
    let csv = |path: &str, token: Option<&str>, group: &str| {
        let mut request = app.client.get(app.url(path)).query(&[
            ("from", from.to_rfc3339()),
            ("to", to.to_rfc3339()),
            ("groupBy", group.to_owned()),
        ]);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            let code = response.status().as_u16();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned());
            (code, kind, response.text().await.unwrap())
        }
    };
    let (code, content_type, body) =
        csv("/reports/first-response.csv", Some(owner), "OPERATOR").await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(content_type.as_deref(), Some("text/csv; charset=utf-8"));
    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], "key,label,count,average,p50,p90");
    assert_eq!(lines.last(), Some(&"total,Total,2,60,40,80"));
    assert_eq!(lines.len(), first["rows"].as_array().unwrap().len() + 2);
    let (_, _, body) = csv("/reports/csat.csv", Some(owner), "DAY").await;
    assert!(
        body.starts_with(
            "key,label,count,average,p50,p90,rated_1,rated_2,rated_3,rated_4,rated_5\n"
        ),
        "{body}"
    );
    assert!(body.ends_with("total,Total,2,4,3,5,0,0,1,0,1\n"), "{body}");
    let (code, _, body) = csv("/reports/csat.csv", None, "DAY").await;
    assert_eq!(code, 401, "{body}");
    let (code, _, body) = csv("/reports/sales.csv", Some(owner), "DAY").await;
    assert_eq!(code, 400);
    let refusal: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(refusal["error"]["field"], "kind", "{body}");
    let (code, _, _) = csv("/reports/chats.csv", Some(&desk.op.token), "DAY").await;
    assert_eq!(code, 403);

    // Bad input names its field and changes nothing.
    status["groupBy"] = json!("QUEUE");
    for (input, field) in [
        (
            json!({ "kind": "CHATS", "groupBy": "DAY", "from": to, "to": from }),
            "to",
        ),
        (
            json!({ "kind": "CHATS", "groupBy": "DAY", "from": from, "to": to, "timeZone": "Mars/Olympus" }),
            "timeZone",
        ),
        (
            json!({ "kind": "CHATS", "groupBy": "HOUR", "from": from, "to": from + chrono::Duration::days(40) }),
            "to",
        ),
        (status, "groupBy"),
    ] {
        let body = app
            .gql(Some(owner), REPORT, json!({ "input": input }))
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("VALIDATION", field),
            "{body}"
        );
    }
    assert_eq!(app.closed_days_disagreements().await, 0);
}

/// Reports read each closed chat's figures as the chat now has them, however it changed: rated
/// after closing, its result taken away, moved to another day, reopened, deleted (PostgreSQL keeps its packed days in
/// the same transactions; SQLite reads the chats).
async fn reports_follow_every_change_of_the_chats(app: TestApp) {
    let desk = app.desk("Acme").await;
    let owner = &desk.org.owner_token;
    let (reason, result, start) = closing_with(&app, owner).await;
    let mut chats = Vec::new();
    for (phone, timings, score) in [
        ("+48600300011", (10, 30, 60), 5),
        ("+48600300012", (20, 60, 220), 3),
        ("+48600300013", (5, 5, 30), 4),
    ] {
        let chat = worked_chat(
            &app,
            &desk.key,
            owner,
            &desk.queue,
            &desk.op,
            phone,
            timings,
            (&reason, &result, score),
        )
        .await;
        chats.push(omnipanel_domain::ids::ChatId(chat.parse().unwrap()));
    }
    let (from, to) = (
        start - chrono::Duration::hours(1),
        start + chrono::Duration::hours(1),
    );
    let figures = |kind: &str, from: chrono::DateTime<chrono::Utc>| {
        let input = json!({ "kind": kind, "groupBy": "OPERATOR", "from": from,
            "to": from + chrono::Duration::hours(2) });
        let app = &app;
        async move {
            let total = report(app, owner, input).await["total"].clone();
            (total["count"].as_u64().unwrap(), total["average"].as_f64())
        }
    };
    assert_eq!(figures("HANDLE_TIME", from).await, (3, Some(135.0)));
    assert_eq!(figures("CSAT", from).await, (3, Some(4.0)));
    assert_eq!(app.closed_days_disagreements().await, 0);

    let db = &app.domain.db;
    let change =
        |id: omnipanel_domain::ids::ChatId, column: chat::Column, value: sea_orm::Value| {
            chat::Entity::update_many()
                .col_expr(column, sea_orm::sea_query::Expr::value(value))
                .filter(chat::Column::Id.eq(id))
                .exec(db)
        };
    // Rated again: 1 instead of 5.
    change(chats[0], chat::Column::Rating, 1i16.into())
        .await
        .unwrap();
    assert_eq!(figures("CSAT", from).await, (3, Some(8.0 / 3.0)));
    // Its result taken away.
    change(chats[0], chat::Column::ResultId, sea_orm::Value::Uuid(None))
        .await
        .unwrap();
    let wrap_up = report(
        &app,
        owner,
        json!({ "kind": "WRAP_UP", "groupBy": "DAY", "from": from, "to": to }),
    )
    .await;
    let counts: Vec<(&str, u64)> = wrap_up["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["label"].as_str().unwrap(), r["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(counts, [("Solved", 3), ("Sold", 2)]);
    // Closed a day later: out of the period, into the next day's.
    let later = to + chrono::Duration::days(1);
    change(chats[1], chat::Column::ClosedAt, later.into())
        .await
        .unwrap();
    assert_eq!(figures("CHATS", from).await.0, 2);
    assert_eq!(
        figures("CHATS", later - chrono::Duration::hours(1)).await.0,
        1
    );
    assert_eq!(app.closed_days_disagreements().await, 0);
    // Reopened: no longer a closed chat.
    change(chats[2], chat::Column::Status, "ACTIVE".into())
        .await
        .unwrap();
    assert_eq!(figures("HANDLE_TIME", from).await, (1, Some(90.0)));
    // Deleted.
    chat::Entity::delete_by_id(chats[0]).exec(db).await.unwrap();
    assert_eq!(figures("CHATS", from).await.0, 0);
    assert_eq!(
        figures("CHATS", later - chrono::Duration::hours(1)).await.0,
        1
    );
    assert_eq!(app.closed_days_disagreements().await, 0);
}

const SET_STATUS: &str = "mutation($input: SetOperatorStatusInput!) { setOperatorStatus(input: $input) { operator { id status } } }";

async fn set_status_of(app: &TestApp, token: &str, op: &str, status: &str) -> Value {
    app.gql(
        Some(token),
        SET_STATUS,
        json!({ "input": { "operatorId": op, "status": status } }),
    )
    .await
}

async fn a_supervisor_sets_an_operators_status_on_their_floor(app: TestApp) {
    let desk = app.desk("Acme").await;
    let owner = &desk.org.owner_token;
    let supervisor = app.operator(owner, "SUPERVISOR").await;
    let peer = app.operator(owner, "SUPERVISOR").await;
    let elsewhere = app.operator(owner, "OPERATOR").await;
    app.set_members(owner, &desk.queue, &[&desk.op, &supervisor, &peer])
        .await;
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600200010")
        .await;
    let chat = chat["id"].as_str().unwrap().to_owned();
    accept(&app, &desk.op, &chat).await;

    // The operator left with a chat open: the supervisor signs them out, the chat goes back
    // to its queue, and the log says who did it.
    let done = set_status_of(&app, &supervisor.token, &desk.op.id, "OFFLINE").await;
    assert!(done.get("errors").is_none(), "{done}");
    assert_eq!(
        done["data"]["setOperatorStatus"]["operator"]["status"],
        "OFFLINE"
    );
    assert_eq!(app.chat(owner, &chat).await["status"], "QUEUED");
    let floor = overview(&app, &supervisor.token).await;
    assert_eq!(queue(&floor, "Support")["waitingCount"], 1);
    assert!(
        operator(&floor, &desk.op).is_none(),
        "OFFLINE is off the view"
    );
    let logged = status_log::Entity::find()
        .filter(status_log::Column::OperatorId.eq(uuid(&desk.op.id)))
        .filter(status_log::Column::EndedAt.is_null())
        .one(&app.domain.db)
        .await
        .unwrap()
        .expect("the current status is logged");
    assert_eq!(
        logged.set_by_operator_id.map(|id| id.0),
        Some(uuid(&supervisor.id))
    );

    // Peers and higher roles, operators off the floor, the caller themself and the server's own
    // statuses are refused, and so is an operator asking.
    let same_role = set_status_of(&app, &supervisor.token, &peer.id, "BREAK").await;
    assert_eq!(error_code(&same_role), "FORBIDDEN");
    let owner_id = owner_id(&app, owner).await;
    let owner_off_floor = set_status_of(&app, &supervisor.token, &owner_id, "BREAK").await;
    assert_eq!(error_field(&owner_off_floor), "operatorId");
    let off_floor = set_status_of(&app, &supervisor.token, &elsewhere.id, "BREAK").await;
    assert_eq!(
        (error_code(&off_floor), error_field(&off_floor)),
        ("VALIDATION", "operatorId")
    );
    let own = set_status_of(&app, &supervisor.token, &supervisor.id, "BREAK").await;
    assert_eq!(
        (error_code(&own), error_field(&own)),
        ("VALIDATION", "operatorId")
    );
    let away = set_status_of(&app, &supervisor.token, &desk.op.id, "AWAY").await;
    assert_eq!(
        (error_code(&away), error_field(&away)),
        ("VALIDATION", "status")
    );
    let as_operator = set_status_of(&app, &elsewhere.token, &desk.op.id, "READY").await;
    assert_eq!(error_code(&as_operator), "FORBIDDEN");
    // The owner sees the whole organization and may set anyone's below them.
    let ready = set_status_of(&app, owner, &elsewhere.id, "BREAK").await;
    assert!(ready.get("errors").is_none(), "{ready}");
}

fn uuid(id: &str) -> uuid::Uuid {
    id.parse().unwrap()
}

async fn owner_id(app: &TestApp, owner: &str) -> String {
    app.ok(Some(owner), "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// On PostgreSQL a day of one queue, operator and topic is kept in parts of at most 128 chats
/// (a closing chat rewrites only the last), however its chats arrive: 300 in one statement, 50
/// taken out and put back one by one; the report reads them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_day_is_kept_in_bounded_parts_on_postgres() {
    let app = spawn_app(Db::Postgres).await;
    let desk = app.desk("Acme").await;
    let owner = &desk.org.owner_token;
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600300021")
        .await;
    let id: uuid::Uuid = chat["id"].as_str().unwrap().parse().unwrap();
    let customer = chat::Entity::find_by_id(omnipanel_domain::ids::ChatId(id))
        .one(&app.domain.db)
        .await
        .unwrap()
        .unwrap()
        .customer_id;
    let db = &app.domain.db;
    let run = |sql: String| async move { db.execute_unprepared(&sql).await.unwrap() };
    // Accepted four minutes before 10:00 UTC, closed g seconds after it: handled 240 + g s.
    run(format!(
        "INSERT INTO chats (id, organization_id, number, direction, status, source, customer_id,
            queue_id, variables, created_at, accepted_at, closed_at, traffic_light, updated_at)
         SELECT gen_random_uuid(), '{org}', 100000 + g, 'INBOUND', 'COMPLETED', 'TELEGRAM',
            '{customer}', '{queue}', '{{}}', '2026-06-01 09:50Z', '2026-06-01 09:56Z',
            '2026-06-01 10:00Z'::timestamptz + g * interval '1 second', 'NONE', now()
         FROM generate_series(1, 300) AS g",
        org = desk.org.id,
        customer = customer.0,
        queue = desk.queue,
    ))
    .await;
    let parts = || async {
        let row = db
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT count(*) AS parts, max(cardinality(closed_at)) AS largest,
                    sum(cardinality(closed_at)) AS chats FROM closed_chats_by_day",
            ))
            .await
            .unwrap()
            .unwrap();
        let get = |column| row.try_get::<i64>("", column).unwrap();
        (
            get("parts"),
            i64::from(row.try_get::<i32>("", "largest").unwrap()),
            get("chats"),
        )
    };
    assert_eq!(parts().await, (3, 128, 300));
    assert_eq!(app.closed_days_disagreements().await, 0);

    for status in ["ACTIVE", "COMPLETED"] {
        run(format!(
            "UPDATE chats SET status = '{status}' WHERE number BETWEEN 100001 AND 100050"
        ))
        .await;
    }
    let (count, largest, chats) = parts().await;
    assert!(
        largest <= 128 && count >= 3,
        "{count} parts, the largest {largest}"
    );
    assert_eq!(chats, 300);
    assert_eq!(app.closed_days_disagreements().await, 0);
    let handled = report(
        &app,
        owner,
        json!({ "kind": "HANDLE_TIME", "groupBy": "DAY", "from": "2026-06-01T00:00:00Z",
            "to": "2026-06-02T00:00:00Z" }),
    )
    .await;
    assert_eq!(handled["total"]["count"], 300);
    assert_eq!(handled["total"]["average"], 390.5);
    assert_eq!(handled["total"]["p50"], 390.0);
    // The day whole inside a longer period, by operator and as wrap-ups.
    for kind in ["HANDLE_TIME", "WRAP_UP"] {
        let around = report(
            &app,
            owner,
            json!({ "kind": kind, "groupBy": "OPERATOR", "from": "2026-05-31T12:00:00Z",
                "to": "2026-06-02T12:00:00Z" }),
        )
        .await;
        assert_eq!(around["total"]["count"], 300, "{kind}");
    }
}
