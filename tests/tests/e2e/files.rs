//! Files (D4): uploads within the organization's limits, pictures marked as images (and
//! checked to be pictures), files listed on the chat and its messages, served only to the
//! chat's organization or through a signed link that expires, and sent to Telegram; customers'
//! files fetched from Telegram and from a generic provider's URLs, within the upload limits.

use omnipanel_tests::fake_telegram::FakeTelegram;
use omnipanel_tests::{
    Op, Org, TestApp, error_code, eventually, generic_signature, on_both_databases,
};
use serde_json::{Value, json};

on_both_databases!(
    files_are_checked_listed_served_and_sent,
    customers_files_arrive_from_telegram,
    a_generic_providers_files_are_fetched_within_the_limits,
);

const TOKEN: &str = "123456789:AAEhBP0av28mWeYq4N5r2J3c-dZ_qsqPXyZ";
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

struct Desk {
    org: Org,
    op: Op,
    chat: String,
    bot: FakeTelegram,
    /// The channel's webhook URL and secret.
    webhook: (String, String),
}

/// An operator in an accepted Telegram chat.
async fn desk(app: &TestApp) -> Desk {
    let org = app.create_org("Acme").await;
    let queue = app.create_queue(&org.owner_token, "Support", None).await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    app.set_members(&org.owner_token, &queue, &[&op]).await;
    app.set_status(&op, "READY").await;
    let bot = FakeTelegram::start().await;
    let made = app
        .ok(
            Some(&org.owner_token),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { secret webhookUrl } }",
            json!({ "input": { "kind": "TELEGRAM", "name": "Bot", "botToken": TOKEN, "apiBaseUrl": bot.url(), "queueId": queue } }),
        )
        .await["createChannel"]
        .clone();
    let update = json!({ "update_id": 1, "message": { "message_id": 1, "date": 1_763_800_000,
        "chat": { "id": 1_111_111, "type": "private" }, "from": { "id": 1_111_111, "is_bot": false, "first_name": "Ann" }, "text": "My receipt?" } });
    let webhook = (
        made["webhookUrl"].as_str().unwrap().to_owned(),
        made["secret"].as_str().unwrap().to_owned(),
    );
    post_update(app, &webhook, &update).await;
    let chats = app
        .ok(
            Some(&org.owner_token),
            "{ chats { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let chat = chats["chats"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accepted = app.chat_action(&op.token, "acceptChat", &chat).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    Desk {
        org,
        op,
        chat,
        bot,
        webhook,
    }
}

async fn post_update(app: &TestApp, (url, secret): &(String, String), update: &Value) {
    let status = app
        .client
        .post(url)
        .header("X-Telegram-Bot-Api-Secret-Token", secret)
        .json(update)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

async fn upload(
    app: &TestApp, token: Option<&str>, chat: &str, name: &str, content_type: &str, bytes: &[u8],
) -> (u16, Value) {
    let mut request = app
        .client
        .post(app.url("/files"))
        .query(&[("chatId", chat), ("name", name)])
        .header("content-type", content_type)
        .body(bytes.to_vec());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn files_are_checked_listed_served_and_sent(app: TestApp) {
    let d = desk(&app).await;
    let token = Some(d.op.token.as_str());

    // What may not be uploaded stores nothing.
    let (status, body) = upload(
        &app,
        token,
        &d.chat,
        "page.html",
        "text/html",
        b"<script>alert(1)</script>",
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "VALIDATION"));
    assert_eq!(body["errors"][0]["extensions"]["field"], "contentType");
    let (status, body) = upload(
        &app,
        token,
        &d.chat,
        "receipt.png",
        "image/png",
        b"<svg onload=alert(1)>",
    )
    .await;
    assert_eq!(
        status, 400,
        "a picture must be the picture it claims: {body}"
    );
    let (status, body) = upload(&app, token, &d.chat, "../receipt.png", "image/png", PNG).await;
    assert_eq!(
        (status, body["errors"][0]["extensions"]["field"].as_str()),
        (400, Some("name"))
    );
    let (status, _) = upload(&app, None, &d.chat, "receipt.png", "image/png", PNG).await;
    assert_eq!(status, 401);
    let other = app.create_org("Globex").await;
    let (status, body) = upload(
        &app,
        Some(&other.owner_token),
        &d.chat,
        "receipt.png",
        "image/png",
        PNG,
    )
    .await;
    assert_eq!((status, error_code(&body)), (404, "NOT_FOUND"));
    app.ok(
        Some(&d.org.owner_token),
        "mutation { updateSettings(input: { fileMaxBytes: 1024 }) { settings { fileMaxBytes } } }",
        json!({}),
    )
    .await;
    let (status, body) = upload(
        &app,
        token,
        &d.chat,
        "big.pdf",
        "application/pdf",
        &[b'%'; 2048],
    )
    .await;
    assert_eq!((status, error_code(&body)), (413, "LIMIT_EXCEEDED"));
    let listed = app
        .ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { attachments { id } } }",
            json!({ "id": d.chat }),
        )
        .await;
    assert_eq!(listed["chat"]["attachments"], json!([]));

    // Pictures are images; other files are not.
    let (status, png) = upload(&app, token, &d.chat, "receipt.PNG", "image/png", PNG).await;
    assert_eq!(status, 201, "{png}");
    assert_eq!(png["isImage"], true);
    assert_eq!(png["sizeBytes"], PNG.len());
    let (status, pdf) = upload(
        &app,
        token,
        &d.chat,
        "invoice.pdf",
        "application/pdf; charset=binary",
        b"%PDF-1.4 tiny",
    )
    .await;
    assert_eq!(status, 201, "{pdf}");
    assert_eq!(pdf["isImage"], false);
    assert_eq!(pdf["contentType"], "application/pdf");

    // Served to the chat's organization, or by a link; never rendered when not a picture.
    let get = |path: String, token: Option<String>| {
        let request = app.client.get(app.url(&path));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        async move { request.send().await.unwrap() }
    };
    let png_id = png["id"].as_str().unwrap().to_owned();
    let pdf_id = pdf["id"].as_str().unwrap().to_owned();
    let served = get(format!("/files/{png_id}"), Some(d.org.owner_token.clone())).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert!(
        served.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(served.bytes().await.unwrap().as_ref(), PNG);
    let download = get(format!("/files/{pdf_id}"), Some(d.op.token.clone())).await;
    assert_eq!(
        download.headers()["content-type"],
        "application/octet-stream"
    );
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(download.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        get(format!("/files/{png_id}"), Some(other.owner_token.clone()))
            .await
            .status(),
        404
    );
    assert_eq!(get(format!("/files/{png_id}"), None).await.status(), 401);
    let link = png["url"].as_str().unwrap().to_owned();
    let path = link.trim_start_matches(&app.url(""));
    assert_eq!(get(path.to_owned(), None).await.status(), 200);
    let forged = path.replace("signature=", "signature=00");
    assert_eq!(get(forged, None).await.status(), 404);
    let other_file = path.replace(&png_id, &pdf_id);
    assert_eq!(
        get(other_file, None).await.status(),
        404,
        "a link is for one file"
    );

    // Sent with a message: a picture goes to Telegram as a photo with the text as caption.
    let foreign = app
        .gql(
            Some(&d.op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": d.chat, "text": "Two at once", "attachmentIds": [png_id, pdf_id] } }),
        )
        .await;
    assert_eq!(error_code(&foreign), "VALIDATION");
    let sent = app
        .ok(
            Some(&d.op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id attachments { id isImage } } } }",
            json!({ "input": { "chatId": d.chat, "text": "Here is your receipt", "attachmentIds": [png_id] } }),
        )
        .await;
    assert_eq!(
        sent["sendMessage"]["message"]["attachments"],
        json!([{ "id": png_id, "isImage": true }])
    );
    eventually("the photo at Telegram", || async {
        d.bot.delivered() == ["Here is your receipt"]
    })
    .await;
    let call = d.bot.calls().into_iter().find(|c| c.accepted).unwrap();
    assert_eq!(call.method, "sendPhoto");
    assert_eq!(call.body["chat_id"], "1111111");
    let (field, name, content_type, bytes) = call.file.unwrap();
    assert_eq!(
        (field.as_str(), name.as_str(), content_type.as_str()),
        ("photo", "receipt.PNG", "image/png")
    );
    assert_eq!(bytes, PNG);
    let again = app
        .gql(
            Some(&d.op.token),
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { message { id } } }",
            json!({ "input": { "chatId": d.chat, "text": "Again", "attachmentIds": [png_id] } }),
        )
        .await;
    assert_eq!(error_code(&again), "VALIDATION", "a file is sent once");

    // Every file is listed on the chat.
    let listed = app
        .ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { attachments { fileName isImage messageId } } }",
            json!({ "id": d.chat }),
        )
        .await;
    let files = listed["chat"]["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["fileName"], "receipt.PNG");
    assert!(files[0]["messageId"].is_string());
    assert!(files[1]["messageId"].is_null());

    // Links expire.
    app.advance(&d.org.owner_token, 2 * 3600).await;
    assert_eq!(get(path.to_owned(), None).await.status(), 404);
}

async fn customers_files_arrive_from_telegram(app: TestApp) {
    let d = desk(&app).await;
    let jpeg: &[u8] = b"\xFF\xD8\xFF\xE0\0\x10JFIF\0";
    d.bot.add_file("AgA-big", jpeg);
    d.bot.add_file("BQA-doc", b"%PDF-1.4 invoice");
    let photo = json!({ "update_id": 7, "message": { "message_id": 7, "date": 1_763_800_000,
        "chat": { "id": 1_111_111, "type": "private" }, "from": { "id": 1_111_111, "is_bot": false, "first_name": "Ann" },
        "photo": [
            { "file_id": "AgA-small", "file_unique_id": "s", "width": 90, "height": 67 },
            { "file_id": "AgA-big", "file_unique_id": "b", "width": 1280, "height": 960 }
        ],
        "caption": "my receipt" } });
    let document = json!({ "update_id": 8, "message": { "message_id": 8, "date": 1_763_800_000,
        "chat": { "id": 1_111_111, "type": "private" }, "from": { "id": 1_111_111, "is_bot": false, "first_name": "Ann" },
        "document": { "file_id": "BQA-doc", "file_unique_id": "d", "file_name": "invoice.pdf", "mime_type": "application/pdf" } } });
    post_update(&app, &d.webhook, &photo).await;
    post_update(&app, &d.webhook, &document).await;
    let chat = || async {
        app.ok(
            Some(&d.op.token),
            "query($id: ID!) { chat(id: $id) { attachments { id fileName contentType isImage messageId } messages(first: 10) { edges { node { id text } } } } }",
            json!({ "id": d.chat }),
        )
        .await["chat"]
            .clone()
    };
    eventually("both files kept", || async {
        chat().await["attachments"].as_array().unwrap().len() == 2
    })
    .await;
    let chat = chat().await;
    let attachments = chat["attachments"].as_array().unwrap();
    // The biggest size of the photo was fetched, and it is a picture.
    let photo = attachments
        .iter()
        .find(|a| a["fileName"] == "photo.jpg")
        .unwrap();
    assert_eq!(photo["isImage"], true);
    let document = attachments
        .iter()
        .find(|a| a["fileName"] == "invoice.pdf")
        .unwrap();
    assert_eq!(document["isImage"], false);
    assert_eq!(document["contentType"], "application/pdf");
    let texts: Vec<_> = chat["messages"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["text"].clone())
        .collect();
    assert!(texts.contains(&json!("📷 Photo: my receipt")), "{texts:?}");
    let id = photo["id"].as_str().unwrap();
    let served = app
        .client
        .get(app.url(&format!("/files/{id}")))
        .bearer_auth(&d.op.token)
        .send()
        .await
        .unwrap();
    assert_eq!(served.bytes().await.unwrap().as_ref(), jpeg);
    let asked: Vec<_> = d
        .bot
        .calls()
        .into_iter()
        .filter(|c| c.method == "getFile")
        .map(|c| c.body["file_id"].clone())
        .collect();
    assert_eq!(asked, [json!("AgA-big"), json!("BQA-doc")]);
}

/// A provider's file host: `/receipt.png`, `/big.pdf` (2 KB), `/page.html`; `/gone` is 404.
async fn file_host() -> String {
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/receipt.png", get(|| async { PNG.to_vec() }))
        .route("/big.pdf", get(|| async { vec![b'%'; 2048] }))
        .route("/page.html", get(|| async { "<html></html>" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

async fn a_generic_providers_files_are_fetched_within_the_limits(app: TestApp) {
    let d = app.desk("Acme").await;
    let owner = &d.org.owner_token;
    app.ok(
        Some(owner),
        "mutation { updateSettings(input: { fileMaxBytes: 1000 }) { settings { fileMaxBytes } } }",
        json!({}),
    )
    .await;
    let made = app
        .ok(
            Some(owner),
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { secret webhookUrl } }",
            json!({ "input": { "kind": "VIBER", "name": "Viber", "outboundUrl": "http://127.0.0.1:9/out", "queueId": d.queue } }),
        )
        .await["createChannel"]
        .clone();
    let (url, secret) = (
        made["webhookUrl"].as_str().unwrap(),
        made["secret"].as_str().unwrap(),
    );
    let post = |body: Value| {
        let body = body.to_string();
        let now = app.domain.now().timestamp();
        let request = app
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("X-Omnipanel-Timestamp", now.to_string())
            .header(
                "X-Omnipanel-Signature",
                generic_signature(secret, now, &body),
            )
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let host = file_host().await;
    let from = json!({ "id": "viber-user-7", "name": "Piotr" });

    // Checked at the edge: an address that is no http(s) URL stores nothing.
    let (status, body) = post(json!({ "id": "v-0", "from": from, "text": "x",
        "attachments": [{ "url": "ftp://files.example/receipt.png", "name": "r.png", "contentType": "image/png" }] }))
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("VALIDATION")),
        "{body}"
    );

    // Files alone make a message; each is fetched, and only what an operator could upload stays.
    let (status, _) = post(json!({ "id": "v-1", "from": from, "attachments": [
        { "url": format!("{host}/receipt.png"), "name": "receipt.png", "contentType": "image/png" },
        { "url": format!("{host}/big.pdf"), "name": "big.pdf", "contentType": "application/pdf" },
        { "url": format!("{host}/page.html"), "name": "page.html", "contentType": "text/html" },
        { "url": format!("{host}/gone"), "name": "gone.pdf", "contentType": "application/pdf" },
    ] }))
    .await;
    assert_eq!(status, 200);
    let message = || async {
        app.ok(
            Some(owner),
            "{ chats { edges { node { messages(first: 5) { edges { node { text attachments { fileName contentType isImage sizeBytes } } } } } } } }",
            json!({}),
        )
        .await["chats"]["edges"][0]["node"]["messages"]["edges"][0]["node"]
            .clone()
    };
    eventually("the picture is kept", || async {
        message().await["attachments"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    })
    .await;
    let shown = message().await;
    assert_eq!(
        shown["text"],
        "📎 receipt.png\n📎 big.pdf\n📎 page.html\n📎 gone.pdf"
    );
    assert_eq!(
        shown["attachments"],
        json!([{ "fileName": "receipt.png", "contentType": "image/png", "isImage": true, "sizeBytes": PNG.len() }])
    );
    // The others are refused for good, with the reason on their delivery.
    use omnipanel_domain::entity::delivery;
    use omnipanel_domain::enums::{DeliveryKind, DeliveryState};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    eventually("every file handled", || async {
        delivery::Entity::find()
            .filter(delivery::Column::Kind.eq(DeliveryKind::ChannelFile))
            .all(&app.domain.db)
            .await
            .unwrap()
            .iter()
            .all(|job| job.state != DeliveryState::Pending)
    })
    .await;
    let mut reasons: Vec<String> = delivery::Entity::find()
        .filter(delivery::Column::Kind.eq(DeliveryKind::ChannelFile))
        .filter(delivery::Column::State.eq(DeliveryState::Failed))
        .all(&app.domain.db)
        .await
        .unwrap()
        .into_iter()
        .map(|job| job.last_error.unwrap_or_default())
        .collect();
    reasons.sort();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons.iter().any(|r| r.contains("larger than 1000 bytes")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("text/html are not allowed")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("HTTP 404")),
        "{reasons:?}"
    );
}
