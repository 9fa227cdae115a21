//! The HTTP edge: GraphQL over HTTP (GET for queries, POST, `Accept`), and every error from
//! every route as JSON with a code in the route's own format, one test per class of malformed
//! request. The specification's own audit suite runs in the browser suite
//! (`tests/browser/graphql-http.test.mjs`).

use omnipanel_tests::{TestApp, on_both_databases};
use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use serde_json::{Value, json};

on_both_databases!(
    queries_run_over_get_and_mutations_do_not,
    the_answer_is_in_the_media_type_asked_for,
    malformed_graphql_requests_get_json_with_a_code,
    oversized_bodies_get_json_with_a_code,
    routes_and_methods_that_do_not_exist_get_json,
    malformed_web_chat_and_webhook_bodies_get_json_with_a_code,
);

/// The status, the content type and the body, which must be JSON.
async fn answer(response: reqwest::Response) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{status} answered with something other than JSON: {text:?}"));
    (status, kind, body)
}

/// GraphQL's error format: the first error's code and field.
fn graphql_error(body: &Value) -> (&str, Option<&str>) {
    let extensions = &body["errors"][0]["extensions"];
    (
        extensions["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no code in {body}")),
        extensions["field"].as_str(),
    )
}

/// Every other route's format: the code and field.
fn route_error(body: &Value) -> (&str, Option<&str>) {
    let error = &body["error"];
    assert!(error["message"].is_string(), "{body}");
    (
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no code in {body}")),
        error["field"].as_str(),
    )
}

async fn queries_run_over_get_and_mutations_do_not(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (status, kind, body) = answer(
        app.client
            .get(app.url("/graphql"))
            .query(&[
                (
                    "query",
                    "query Me($x: Boolean!) { me @include(if: $x) { email } }",
                ),
                ("variables", r#"{"x": true}"#),
            ])
            .bearer_auth(&org.owner_token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, kind.as_str()), (200, "application/json"));
    assert_eq!(body["data"]["me"]["email"], org.owner_email.as_str());

    // A mutation over GET is refused before it runs: nothing is created.
    let response = app
        .client
        .get(app.url("/graphql"))
        .query(&[(
            "query",
            r#"mutation { createQueue(input: { name: "Sneaky" }) { queue { id } } }"#,
        )])
        .bearer_auth(&org.owner_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()[ALLOW], "POST");
    let (status, _, body) = answer(response).await;
    assert_eq!(
        (status, graphql_error(&body)),
        (405, ("VALIDATION", Some("query")))
    );
    let queues = app
        .ok(Some(&org.owner_token), "{ queues { name } }", json!({}))
        .await;
    assert_eq!(queues["queues"], json!([]));

    // Of several operations, the one named decides.
    let (status, _, _) = answer(
        app.client
            .get(app.url("/graphql"))
            .query(&[
                ("query", "query Q { __typename } mutation M { __typename }"),
                ("operationName", "M"),
            ])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);

    // A browser with no query gets GraphiQL.
    let page = app
        .client
        .get(app.url("/graphql"))
        .header(ACCEPT, "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("graphiql"));
}

async fn the_answer_is_in_the_media_type_asked_for(app: TestApp) {
    let post = |accept: Option<&'static str>, query: &'static str| {
        let request = app
            .client
            .post(app.url("/graphql"))
            .json(&json!({ "query": query }));
        match accept {
            Some(accept) => request.header(ACCEPT, accept),
            None => request,
        }
        .send()
    };
    for accept in [None, Some("*/*"), Some("application/json")] {
        let (status, kind, body) = answer(post(accept, "{ __typename }").await.unwrap()).await;
        assert_eq!(
            (status, kind.as_str()),
            (200, "application/json"),
            "{accept:?}"
        );
        assert_eq!(body["data"]["__typename"], "Query");
    }
    let modern = Some("application/graphql-response+json, application/json;q=0.9");
    let (status, kind, _) = answer(post(modern, "{ __typename }").await.unwrap()).await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "application/graphql-response+json")
    );

    // A document that never ran: 400 without `data` for the new media type, 200 with
    // `data: null` for application/json, which older clients expect.
    for query in ["{", "{ noSuchField }"] {
        let (status, _, body) = answer(post(modern, query).await.unwrap()).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.get("data").is_none(), "{body}");
        assert_eq!(graphql_error(&body).0, "VALIDATION");
        let (status, _, body) = answer(post(Some("application/json"), query).await.unwrap()).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(graphql_error(&body).0, "VALIDATION");
    }
    // A field's error is not a request error: 200 with data.
    let (status, _, body) = answer(post(modern, "{ me { email } }").await.unwrap()).await;
    assert_eq!(
        (status, graphql_error(&body).0),
        (200, "UNAUTHENTICATED"),
        "{body}"
    );

    let (status, _, body) = answer(post(Some("text/csv"), "{ __typename }").await.unwrap()).await;
    assert_eq!(
        (status, graphql_error(&body)),
        (406, ("VALIDATION", Some("Accept")))
    );
}

async fn malformed_graphql_requests_get_json_with_a_code(app: TestApp) {
    let send = |content_type: Option<&'static str>, body: &'static str| {
        let request = app.client.post(app.url("/graphql")).body(body);
        match content_type {
            Some(kind) => request.header(CONTENT_TYPE, kind),
            None => request,
        }
        .send()
    };
    let cases: &[(Option<&str>, &str, u16, &str)] = &[
        // Not JSON: our words, never the parser's debug text.
        (Some("application/json"), r#"{ "not a JSON"#, 400, "body"),
        (Some("application/json"), "", 400, "body"),
        (Some("application/json"), "[]", 400, "body"),
        (Some("application/json"), "42", 400, "body"),
        (
            Some("application/json"),
            r#"{ "qeury": "{ __typename }" }"#,
            400,
            "query",
        ),
        (
            Some("application/json"),
            r#"{ "query": ["{ a }"] }"#,
            400,
            "query",
        ),
        (
            Some("application/json"),
            r#"{ "query": "{ a }", "variables": "x" }"#,
            400,
            "variables",
        ),
        (
            Some("application/json"),
            r#"{ "query": "{ a }", "operationName": 0 }"#,
            400,
            "operationName",
        ),
        (
            Some("application/json"),
            r#"{ "query": "{ a }", "extensions": false }"#,
            400,
            "extensions",
        ),
        (
            None,
            r#"{ "query": "{ __typename }" }"#,
            415,
            "Content-Type",
        ),
        (
            Some("text/plain"),
            r#"{ "query": "{ __typename }" }"#,
            415,
            "Content-Type",
        ),
        (
            Some("application/json; charset=latin1"),
            r#"{ "query": "{ __typename }" }"#,
            415,
            "Content-Type",
        ),
        // GraphQL has no uploads here (files go to POST /files): a multipart body, broken or
        // not, is refused the same way.
        (
            Some("multipart/form-data; boundary=x"),
            "--x\r\nbroken",
            415,
            "Content-Type",
        ),
    ];
    for &(kind, body, status, field) in cases {
        let (got, _, answer) = answer(send(kind, body).await.unwrap()).await;
        assert_eq!(
            (got, graphql_error(&answer)),
            (status, ("VALIDATION", Some(field))),
            "{kind:?} {body:?}"
        );
        let message = answer["errors"][0]["message"].as_str().unwrap();
        assert!(
            !message.contains("InvalidRequest") && !message.contains("Error("),
            "{message}"
        );
    }

    // `/files`, the panel's other GraphQL-format route: a broken multipart body.
    let org = app.create_org("Acme").await;
    let (status, _, body) = answer(
        app.client
            .post(app.url("/files?chatId=00000000-0000-0000-0000-000000000000"))
            .bearer_auth(&org.owner_token)
            .header(CONTENT_TYPE, "multipart/form-data; boundary=x")
            .body("--x\r\nbroken")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!((400..500).contains(&status), "{status} {body}");
    assert!(
        body["errors"][0]["extensions"]["code"].is_string(),
        "{body}"
    );
}

async fn oversized_bodies_get_json_with_a_code(app: TestApp) {
    // Fresh connections: the server answers before reading the body and closes them.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let huge = "x".repeat(100 * 1024);
    let declared = client
        .post(app.url("/graphql"))
        .json(&json!({ "query": "{ __typename }", "variables": { "pad": huge } }))
        .send()
        .await
        .unwrap();
    let (status, _, body) = answer(declared).await;
    assert_eq!(
        (status, graphql_error(&body).0),
        (413, "LIMIT_EXCEEDED"),
        "{body}"
    );

    // Without a Content-Length, the limit is found while reading.
    let (status, body) = chunked_post(&app, "/graphql", 40 * 4096).await;
    assert_eq!(
        (status, graphql_error(&body).0),
        (413, "LIMIT_EXCEEDED"),
        "{body}"
    );

    let webchat = client
        .post(app.url("/webchat/00000000-0000-0000-0000-000000000000/conversations"))
        .json(&json!({ "name": huge }))
        .send()
        .await
        .unwrap();
    let (status, _, body) = answer(webchat).await;
    assert_eq!(
        (status, route_error(&body).0),
        (413, "LIMIT_EXCEEDED"),
        "{body}"
    );
}

/// POSTs `size` bytes of JSON whitespace in chunks, with no Content-Length, over a socket of
/// its own; the status and the JSON body of the answer.
async fn chunked_post(app: &TestApp, path: &str, size: usize) -> (u16, Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        app.addr
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("1000\r\n{}\r\n", " ".repeat(4096));
    for _ in 0..size / 4096 {
        // The server may answer and stop reading before the end.
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1;
    (
        status,
        serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {answer}")),
    )
}

async fn routes_and_methods_that_do_not_exist_get_json(app: TestApp) {
    let (status, _, body) = answer(
        app.client
            .get(app.url("/no/such/route"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, route_error(&body).0), (404, "NOT_FOUND"));

    let response = app.client.put(app.url("/graphql")).send().await.unwrap();
    assert!(response.headers()[ALLOW].to_str().unwrap().contains("POST"));
    let (status, _, body) = answer(response).await;
    assert_eq!(
        (status, graphql_error(&body)),
        (405, ("VALIDATION", Some("method")))
    );

    let (status, _, body) = answer(
        app.client
            .delete(app.url("/webhooks/telegram/x"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, route_error(&body)),
        (405, ("VALIDATION", Some("method")))
    );
}

async fn malformed_web_chat_and_webhook_bodies_get_json_with_a_code(app: TestApp) {
    let org = app.create_org("Acme").await;
    let channel = app.webchat_channel(&org.owner_token, None).await;
    let conversations = app.url(&format!("/webchat/{channel}/conversations"));
    let send = |body: &'static str, content_type: Option<&'static str>| {
        let request = app.client.post(&conversations).body(body);
        match content_type {
            Some(kind) => request.header(CONTENT_TYPE, kind),
            None => request,
        }
        .send()
    };
    // A wrongly typed field is named; axum's plain-text 422 never reaches the customer.
    let (status, _, body) = answer(
        send(r#"{ "name": 5 }"#, Some("application/json"))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, route_error(&body)),
        (400, ("VALIDATION", Some("name"))),
        "{body}"
    );
    let (status, _, body) = answer(send("{ name", Some("application/json")).await.unwrap()).await;
    assert_eq!(
        (status, route_error(&body)),
        (400, ("VALIDATION", Some("body")))
    );
    let (status, _, body) = answer(send("{}", None).await.unwrap()).await;
    assert_eq!(
        (status, route_error(&body)),
        (415, ("VALIDATION", Some("Content-Type")))
    );

    // Channels' webhooks: an unknown channel, a wrong signature.
    let (status, _, body) = answer(
        app.client
            .post(app.url("/webhooks/telegram/not-a-channel"))
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, route_error(&body).0), (404, "NOT_FOUND"));
    let (status, _, body) = answer(
        app.client
            .post(app.url(&format!("/webhooks/generic/{channel}")))
            .body("{}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, route_error(&body).0), (401, "UNAUTHENTICATED"));
}
