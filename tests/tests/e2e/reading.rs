//! Reading a long conversation (001): from its end page by page, from a date, and the days it
//! has messages on in the reader's time zone; bad page arguments refused on their field.

use chrono::{DateTime, Duration, Utc};
use omnipanel_tests::{TestApp, error_code, error_field, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(a_long_conversation_is_read_from_its_end_and_from_a_date);

const PAGE: &str = "query($id: ID!, $first: Int, $after: String, $last: Int, $before: String, $from: DateTime) {
  chat(id: $id) { messages(first: $first, after: $after, last: $last, before: $before, from: $from) {
    edges { node { text } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
  } } }";

/// A page's texts and its page info.
async fn page(app: &TestApp, token: &str, args: Value) -> (Vec<String>, Value) {
    let data = app.ok(Some(token), PAGE, args).await;
    let messages = &data["chat"]["messages"];
    let texts = messages["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["text"].as_str().unwrap().to_owned())
        .collect();
    (texts, messages["pageInfo"].clone())
}

async fn a_long_conversation_is_read_from_its_end_and_from_a_date(app: TestApp) {
    let desk = app.desk("Acme").await;
    let owner = desk.org.owner_token.as_str();
    // Day 0 holds the bot's transcript (two messages, at 08:00); then one message at noon on
    // each of the next three days.
    let now = app_now(&app, owner).await;
    let started = (now.date_naive() + Duration::days(1))
        .and_hms_opt(8, 0, 0)
        .unwrap()
        .and_utc();
    advance_to(&app, owner, started).await;
    let chat = app
        .hand_off_ok(&desk.key, &desk.queue, "+48600300100")
        .await;
    let id = chat["id"].as_str().unwrap().to_owned();
    let mut days = vec![started.date_naive()];
    for day in 1..=3 {
        let at = (started.date_naive() + Duration::days(day))
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc();
        advance_to(&app, owner, at).await;
        app.ok(
            Some(&desk.key),
            "mutation($input: PostCustomerMessageInput!) { postCustomerMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": id, "text": format!("Day {day}") } }),
        )
        .await;
        days.push(at.date_naive());
    }

    // From the end: the last two, then the two before them, then the first.
    let (texts, info) = page(&app, owner, json!({ "id": id, "last": 2 })).await;
    assert_eq!(texts, ["Day 2", "Day 3"]);
    assert_eq!(
        (
            info["hasPreviousPage"].as_bool(),
            info["hasNextPage"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let (texts, info) = page(
        &app,
        owner,
        json!({ "id": id, "last": 2, "before": info["startCursor"] }),
    )
    .await;
    assert_eq!(texts, ["Let me find an operator for you.", "Day 1"]);
    assert_eq!(info["hasPreviousPage"], true);
    let (texts, info) = page(
        &app,
        owner,
        json!({ "id": id, "last": 2, "before": info["startCursor"] }),
    )
    .await;
    assert_eq!(texts, ["Hi, where is my order?"]);
    assert_eq!(info["hasPreviousPage"], false);

    // From a date: what was written since day 2 began, forwards; backwards, bounded by it.
    let day_two = days[2].and_hms_opt(0, 0, 0).unwrap().and_utc();
    let (texts, _) = page(
        &app,
        owner,
        json!({ "id": id, "first": 10, "from": day_two }),
    )
    .await;
    assert_eq!(texts, ["Day 2", "Day 3"]);
    let (texts, info) = page(&app, owner, json!({ "id": id, "last": 1 })).await;
    assert_eq!(texts, ["Day 3"]);
    let (texts, info) = page(
        &app,
        owner,
        json!({ "id": id, "last": 100, "before": info["startCursor"], "from": day_two }),
    )
    .await;
    assert_eq!(texts, ["Day 2"]);
    assert_eq!(info["hasPreviousPage"], false);

    // The days with messages, in UTC and fourteen hours ahead (noon becomes 02:00 next day).
    let days_in = |zone: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            app.ok(
                Some(owner),
                "query($id: ID!, $z: String) { chat(id: $id) { messageDays(timeZone: $z) } }",
                json!({ "id": id, "z": zone }),
            )
            .await["chat"]["messageDays"]
                .clone()
        }
    };
    let iso = |d: &chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    assert_eq!(
        days_in("UTC").await,
        json!(days.iter().map(iso).collect::<Vec<_>>())
    );
    let ahead = days_in("Pacific/Kiritimati").await;
    assert_eq!(
        ahead.as_array().unwrap().last().unwrap(),
        &json!(iso(&(days[3] + Duration::days(1))))
    );

    // Bad arguments, each refused on its field.
    for (args, field) in [
        (json!({ "first": 2, "last": 2 }), "last"),
        (json!({ "last": 2, "after": info["startCursor"] }), "after"),
        (
            json!({ "first": 2, "before": info["startCursor"] }),
            "before",
        ),
        (json!({ "last": 0 }), "last"),
        (json!({ "last": 101 }), "last"),
    ] {
        let mut args = args;
        args["id"] = json!(id);
        let body = app.gql(Some(owner), PAGE, args).await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("VALIDATION", field),
            "{body}"
        );
    }
    let body = app
        .gql(
            Some(owner),
            "query($id: ID!) { chat(id: $id) { messageDays(timeZone: \"Mars/Olympus\") } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        ("VALIDATION", "timeZone"),
        "{body}"
    );
}

/// Moves the server's clock to `at`, in steps shorter than a session's twelve idle hours so
/// the owner's session slides along.
async fn advance_to(app: &TestApp, owner: &str, at: DateTime<Utc>) {
    loop {
        let left = (at - app_now(app, owner).await).num_seconds();
        if left <= 0 {
            return;
        }
        app.advance(owner, left.min(8 * 3600)).await;
    }
}

/// The server's clock now (without moving it).
async fn app_now(app: &TestApp, owner: &str) -> DateTime<Utc> {
    app.ok(Some(owner), "{ serverTime }", json!({})).await["serverTime"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}
