//! The CRM (H1 to H5, D10): contacts found and linked on hand-off, cases made from chats,
//! customer identification, the connection settings, organization isolation, and the Creatio
//! connector against a fake Creatio that speaks its OAuth 2.0 and OData protocol.

use omnipanel_domain::ports::NewContact;
use omnipanel_integrations::creatio::ODATA_CONTENT_TYPE;
use omnipanel_tests::fake_creatio::{CLIENT_ID, CLIENT_SECRET, FakeCreatio};
use omnipanel_tests::{Desk, Org, TestApp, error_code, error_field, eventually, on_both_databases};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

on_both_databases!(
    the_local_crm_links_contacts_and_makes_cases,
    identifying_a_customer_creates_or_links_a_contact,
    crm_records_stay_in_their_organization,
    the_crm_connection_is_validated_and_its_secrets_never_shown,
    the_creatio_connector_speaks_oauth_and_odata,
    testing_the_connection_says_which_call_failed,
    simultaneous_clicks_make_one_case,
);

/// Hands a chat off and has the operator accept it; returns the chat id.
async fn accepted_chat(app: &TestApp, d: &Desk, phone: &str) -> String {
    let chat = app.hand_off_ok(&d.key, &d.queue, phone).await;
    let id = chat["id"].as_str().unwrap().to_owned();
    let accepted = app.chat_action(&d.op.token, "acceptChat", &id).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    id
}

/// A chat's CRM links as `token` sees them.
async fn links(app: &TestApp, token: &str, chat: &str) -> Value {
    app.ok(
        Some(token),
        "query($id: ID!) { chat(id: $id) { contactId accountId activityId caseId caseNumber customer { name phone crmContactId } } }",
        json!({ "id": chat }),
    )
    .await["chat"]
        .clone()
}

async fn create_case(app: &TestApp, token: &str, chat: &str, subject: &str) -> Value {
    app.gql(
        Some(token),
        "mutation($input: CreateCaseFromChatInput!) { createCaseFromChat(input: $input) { chat { caseId caseNumber } case { id number subject contactId } } }",
        json!({ "input": { "chatId": chat, "subject": subject } }),
    )
    .await
}

async fn contacts(app: &TestApp, token: &str, search: &str) -> Value {
    app.gql(
        Some(token),
        "query($s: String!) { crmContacts(search: $s) { id name phone email accountId } }",
        json!({ "s": search }),
    )
    .await
}

async fn link(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(
        Some(token),
        "mutation($input: LinkChatInput!) { linkChat(input: $input) { chat { contactId accountId caseId caseNumber } } }",
        json!({ "input": input }),
    )
    .await
}

async fn local_contact(app: &TestApp, org: &Org, name: &str, phone: &str) -> String {
    let crm = app
        .domain
        .crm()
        .crm_for(org.id.parse().unwrap())
        .await
        .unwrap();
    crm.create_contact(&NewContact {
        name: name.into(),
        phone: Some(phone.into()),
        email: Some(format!(
            "{}@example.com",
            name.to_lowercase().replace(' ', ".")
        )),
        messenger_id: None,
        account_id: None,
    })
    .await
    .unwrap()
    .id
}

async fn api_key(app: &TestApp, admin: &str, scope: &str) -> String {
    app.ok(
        Some(admin),
        "mutation($s: ApiKeyScope!) { createApiKey(input: { scope: $s, name: \"crm\" }) { key } }",
        json!({ "s": scope }),
    )
    .await["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn the_local_crm_links_contacts_and_makes_cases(app: TestApp) {
    let d = app.desk("Acme").await;
    let anna = local_contact(&app, &d.org, "Anna Nowak", "+48600100200").await;

    // H1: the customer's phone, however typed, finds the contact at hand-off.
    let chat = accepted_chat(&app, &d, "+48 (600) 100-200").await;
    let linked = links(&app, &d.op.token, &chat).await;
    assert_eq!(linked["contactId"], anna.as_str());
    assert_eq!(linked["customer"]["crmContactId"], anna.as_str());

    let found = contacts(&app, &d.op.token, "anna").await;
    assert_eq!(found["data"]["crmContacts"][0]["id"], anna.as_str());
    let by_phone = contacts(&app, &d.op.token, "+48600100200").await;
    assert_eq!(by_phone["data"]["crmContacts"].as_array().unwrap().len(), 1);
    assert_eq!(
        error_field(&contacts(&app, &d.op.token, "a").await),
        "search"
    );

    // H2: a case from the chat, with the transcript, written back on the chat.
    let bad = create_case(&app, &d.op.token, &chat, "  ").await;
    assert_eq!(error_field(&bad), "subject");
    let made = create_case(&app, &d.op.token, &chat, "Order A-17 is missing").await;
    assert!(made["errors"].is_null(), "{made}");
    let case = &made["data"]["createCaseFromChat"]["case"];
    assert_eq!(case["number"], "CS-00001");
    assert_eq!(case["contactId"], anna.as_str());
    assert_eq!(
        made["data"]["createCaseFromChat"]["chat"]["caseNumber"],
        "CS-00001"
    );
    let row = omnipanel_domain::entity::crm_local_case::Entity::find()
        .one(&app.domain.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.description.contains("Customer: Hi, where is my order?"),
        "{}",
        row.description
    );
    assert!(
        row.description
            .contains("Bot: Let me find an operator for you.")
    );
    // A second click makes no second case.
    let again = create_case(&app, &d.op.token, &chat, "Again").await;
    assert_eq!(error_code(&again), "CONFLICT");

    // H3: the contact's cases, and consulting on one from another chat.
    let cases = app
        .ok(
            Some(&d.op.token),
            "query($c: ID!) { crmCases(contactId: $c) { id number subject } }",
            json!({ "c": anna }),
        )
        .await;
    assert_eq!(cases["crmCases"][0]["number"], "CS-00001");
    let case_id = cases["crmCases"][0]["id"].as_str().unwrap().to_owned();
    let other = accepted_chat(&app, &d, "+48700700700").await;
    let bad = link(
        &app,
        &d.op.token,
        json!({ "chatId": other, "contactId": "nope" }),
    )
    .await;
    assert_eq!(error_field(&bad), "contactId");
    assert!(links(&app, &d.op.token, &other).await["contactId"].is_null());
    let consulted = link(
        &app,
        &d.op.token,
        json!({ "chatId": other, "contactId": anna, "caseId": case_id }),
    )
    .await;
    assert!(consulted["errors"].is_null(), "{consulted}");
    assert_eq!(
        consulted["data"]["linkChat"]["chat"]["caseNumber"],
        "CS-00001"
    );
    assert_eq!(
        consulted["data"]["linkChat"]["chat"]["contactId"],
        anna.as_str()
    );

    // A CRM business process reads the chat with its own key; the chatbot's key may not.
    let crm_key = api_key(&app, &d.org.owner_token, "CRM").await;
    let read = app
        .ok(
            Some(&crm_key),
            "query($id: ID!) { chat(id: $id) { caseNumber messages(first: 10) { edges { node { text } } } } }",
            json!({ "id": chat }),
        )
        .await;
    assert_eq!(read["chat"]["caseNumber"], "CS-00001");
    assert_eq!(
        error_code(&contacts(&app, &d.key, "anna").await),
        "FORBIDDEN"
    );
}

async fn identifying_a_customer_creates_or_links_a_contact(app: TestApp) {
    let d = app.desk("Acme").await;
    let chat = accepted_chat(&app, &d, "+48600111222").await;
    assert!(links(&app, &d.op.token, &chat).await["contactId"].is_null());
    let identify = |input: Value| {
        let app = &app;
        let token = d.op.token.clone();
        async move {
            app.gql(
                Some(&token),
                "mutation($input: IdentifyCustomerInput!) { identifyCustomer(input: $input) { chat { contactId } contact { id name phone email } } }",
                json!({ "input": input }),
            )
            .await
        }
    };
    assert_eq!(
        error_field(&identify(json!({ "chatId": chat })).await),
        "name"
    );
    assert_eq!(
        error_field(&identify(json!({ "chatId": chat, "email": "not-an-email" })).await),
        "email"
    );
    let made =
        identify(json!({ "chatId": chat, "name": "Jan Kowalski", "email": "Jan@Example.com" }))
            .await;
    assert!(made["errors"].is_null(), "{made}");
    let contact = &made["data"]["identifyCustomer"]["contact"];
    assert_eq!(contact["name"], "Jan Kowalski");
    assert_eq!(contact["phone"], "+48600111222");
    assert_eq!(contact["email"], "jan@example.com");
    let contact_id = contact["id"].as_str().unwrap().to_owned();
    let linked = links(&app, &d.op.token, &chat).await;
    assert_eq!(linked["contactId"], contact_id.as_str());
    assert_eq!(linked["customer"]["name"], "Jan Kowalski");

    // The next chat of this customer is linked at once; identifying by the e-mail finds the
    // same contact rather than making another.
    let next = accepted_chat(&app, &d, "+48600111222").await;
    assert_eq!(
        links(&app, &d.op.token, &next).await["contactId"],
        contact_id.as_str()
    );
    let third = accepted_chat(&app, &d, "+48600999888").await;
    let found = identify(json!({ "chatId": third, "email": "jan@example.com" })).await;
    assert_eq!(
        found["data"]["identifyCustomer"]["contact"]["id"],
        contact_id.as_str()
    );
}

async fn crm_records_stay_in_their_organization(app: TestApp) {
    let a = app.desk("Acme").await;
    let b = app.desk("Globex").await;
    let anna = local_contact(&app, &a.org, "Anna Nowak", "+48600100200").await;
    let chat_a = accepted_chat(&app, &a, "+48600100200").await;
    assert_eq!(
        links(&app, &a.op.token, &chat_a).await["contactId"],
        anna.as_str()
    );

    // The same phone in another organization finds nothing there.
    let chat_b = accepted_chat(&app, &b, "+48600100200").await;
    assert!(links(&app, &b.op.token, &chat_b).await["contactId"].is_null());
    let found = contacts(&app, &b.op.token, "Anna").await;
    assert_eq!(found["data"]["crmContacts"], json!([]));
    let stolen = link(
        &app,
        &b.op.token,
        json!({ "chatId": chat_b, "contactId": anna }),
    )
    .await;
    assert_eq!(error_field(&stolen), "contactId");
    let cases = app
        .ok(
            Some(&b.op.token),
            "query($c: ID!) { crmCases(contactId: $c) { id } }",
            json!({ "c": anna }),
        )
        .await;
    assert_eq!(cases["crmCases"], json!([]));
    assert_eq!(
        error_code(&create_case(&app, &b.op.token, &chat_a, "Not yours").await),
        "NOT_FOUND"
    );

    // One organization's Creatio settings are not another's.
    app.ok(
        Some(&a.org.owner_token),
        "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind } } }",
        json!({ "input": { "kind": "CREATIO", "baseUrl": "https://acme.creatio.com", "clientId": "a", "clientSecret": "a-secret" } }),
    )
    .await;
    let theirs = app
        .ok(
            Some(&b.org.owner_token),
            "{ crmConnection { kind baseUrl clientId } }",
            json!({}),
        )
        .await;
    assert_eq!(
        theirs["crmConnection"],
        json!({ "kind": "LOCAL", "baseUrl": null, "clientId": null })
    );
}

async fn the_crm_connection_is_validated_and_its_secrets_never_shown(app: TestApp) {
    let d = app.desk("Acme").await;
    let update = |token: String, input: Value| {
        let app = &app;
        async move {
            app.gql(
                Some(&token),
                "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind baseUrl identityUrl odataPath clientId hasClientSecret caseOriginId } } }",
                json!({ "input": input }),
            )
            .await
        }
    };
    let owner = d.org.owner_token.clone();
    let good = json!({ "kind": "CREATIO", "baseUrl": "https://acme.creatio.com", "clientId": "omni", "clientSecret": "top-secret-value" });
    assert_eq!(
        error_code(&update(d.op.token.clone(), good.clone()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(
            &app.gql(Some(&d.op.token), "{ crmConnection { kind } }", json!({}))
                .await
        ),
        "FORBIDDEN"
    );
    for (field, bad) in [
        (
            "baseUrl",
            json!({ "kind": "CREATIO", "baseUrl": "ftp://acme" }),
        ),
        (
            "odataPath",
            json!({ "kind": "CREATIO", "odataPath": "odata" }),
        ),
        (
            "caseOriginId",
            json!({ "kind": "CREATIO", "caseOriginId": "Chat" }),
        ),
        (
            "clientSecret",
            json!({ "kind": "CREATIO", "baseUrl": "https://acme.creatio.com", "clientId": "omni" }),
        ),
        (
            "closeProcessName",
            json!({ "kind": "LOCAL", "closeProcessName": "drop table" }),
        ),
    ] {
        let body = update(owner.clone(), bad).await;
        assert_eq!(error_code(&body), "VALIDATION", "{body}");
        assert_eq!(error_field(&body), field, "{body}");
    }
    let unchanged = app
        .ok(
            Some(&owner),
            "{ crmConnection { kind baseUrl } }",
            json!({}),
        )
        .await;
    assert_eq!(
        unchanged["crmConnection"],
        json!({ "kind": "LOCAL", "baseUrl": null })
    );

    let saved = update(owner.clone(), good).await;
    assert!(saved["errors"].is_null(), "{saved}");
    assert!(!saved.to_string().contains("top-secret-value"));
    assert_eq!(
        saved["data"]["updateCrmConnection"]["crmConnection"]["hasClientSecret"],
        true
    );
    // The secret is kept when not sent again; an empty string clears an optional field.
    let kept = update(
        owner.clone(),
        json!({ "kind": "CREATIO", "odataPath": "/odata", "caseOriginId": "" }),
    )
    .await;
    let connection = &kept["data"]["updateCrmConnection"]["crmConnection"];
    assert_eq!(connection["hasClientSecret"], true);
    assert_eq!(connection["odataPath"], "/odata");
    assert!(connection["caseOriginId"].is_null());
    let introspected = app
        .ok(
            None,
            "{ __type(name: \"CrmConnection\") { fields { name } } }",
            json!({}),
        )
        .await;
    assert!(!introspected.to_string().contains("\"clientSecret\""));
}

async fn the_creatio_connector_speaks_oauth_and_odata(app: TestApp) {
    let creatio = FakeCreatio::start().await;
    let anna = creatio.add_contact("Anna Nowak", "+48 600 100 200", "anna@example.com");
    let d = app.desk("Acme").await;
    let origin = "5a3c7c1e-9d3a-4c64-9c6e-2b9d8f0e4a11";
    app.ok(
        Some(&d.org.owner_token),
        "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind } } }",
        json!({ "input": {
            "kind": "CREATIO", "baseUrl": creatio.url(), "identityUrl": creatio.url(),
            "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "caseOriginId": origin,
        } }),
    )
    .await;

    // Hand-off: the contact is found by phone and linked with its account.
    let chat = accepted_chat(&app, &d, "+48600100200").await;
    let linked = links(&app, &d.op.token, &chat).await;
    assert_eq!(linked["contactId"], anna.as_str());
    assert!(linked["accountId"].is_string());

    let tokens = creatio.token_requests();
    assert_eq!(tokens.len(), 1);
    let form = tokens[0].form();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert!(!form.contains_key("scope"));
    assert!(
        tokens[0].header("authorization").is_none(),
        "credentials go in the body"
    );
    let lookup = &creatio.requests_to("/0/odata/Contact")[0];
    assert_eq!(lookup.header("authorization"), Some("Bearer token-1"));
    assert_eq!(lookup.header("accept"), Some("application/json"));
    assert_eq!(
        lookup.query["$select"],
        "Id,Name,MobilePhone,Email,AccountId"
    );
    assert_eq!(
        lookup.query["$filter"],
        "contains(MobilePhone,'48600100200')"
    );

    // A case from the chat: the body Creatio expects.
    let made = create_case(&app, &d.op.token, &chat, "Order A-17 is missing").await;
    assert!(made["errors"].is_null(), "{made}");
    assert_eq!(
        made["data"]["createCaseFromChat"]["case"]["number"],
        "SR00001"
    );
    assert_eq!(
        made["data"]["createCaseFromChat"]["chat"]["caseNumber"],
        "SR00001"
    );
    let posted = creatio.requests_to("/0/odata/Case");
    let post = posted.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.header("content-type"), Some(ODATA_CONTENT_TYPE));
    let body = post.json();
    assert_eq!(body["Subject"], "Order A-17 is missing");
    assert!(
        body["Symptoms"]
            .as_str()
            .unwrap()
            .contains("Customer: Hi, where is my order?")
    );
    assert_eq!(body["ContactId"], anna.as_str());
    assert_eq!(body["AccountId"], linked["accountId"]);
    assert_eq!(body["OriginId"], origin);
    let cases = app
        .ok(
            Some(&d.op.token),
            "query($c: ID!) { crmCases(contactId: $c) { number subject } }",
            json!({ "c": anna }),
        )
        .await;
    assert_eq!(
        cases["crmCases"],
        json!([{ "number": "SR00001", "subject": "Order A-17 is missing" }])
    );
    let listed = creatio.requests_to("/0/odata/Case");
    let list = listed.iter().rfind(|r| r.method == "GET").unwrap();
    assert_eq!(list.query["$filter"], format!("Contact/Id eq {anna}"));
    assert_eq!(creatio.token_requests().len(), 1, "the token is cached");

    // A failing write: UPSTREAM with Creatio's own message, tried once, nothing changed here.
    let second = accepted_chat(&app, &d, "+48700700700").await;
    let posts_before = creatio.requests_to("/0/odata/Case").len();
    creatio.fail_next(500, "Database is down");
    let failed = create_case(&app, &d.op.token, &second, "Broken").await;
    assert_eq!(error_code(&failed), "UPSTREAM");
    let message = failed["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("create case")
            && message.contains("500")
            && message.contains("Database is down"),
        "{message}"
    );
    assert_eq!(creatio.requests_to("/0/odata/Case").len(), posts_before + 1);
    assert!(links(&app, &d.op.token, &second).await["caseId"].is_null());

    // A business process starts in Creatio when a chat closes (H4).
    app.ok(
        Some(&d.org.owner_token),
        "mutation { updateCrmConnection(input: { kind: CREATIO, closeProcessName: \"UsrChatClosed\" }) { crmConnection { closeProcessName } } }",
        json!({}),
    )
    .await;
    let reason = app
        .ok(
            Some(&d.org.owner_token),
            "mutation { createWrapUpReason(input: { name: \"Solved\" }) { wrapUpReason { id } } }",
            json!({}),
        )
        .await["createWrapUpReason"]["wrapUpReason"]["id"]
        .clone();
    app.ok(
        Some(&d.op.token),
        "mutation($input: CloseChatInput!) { closeChat(input: $input) { chat { status } } }",
        json!({ "input": { "chatId": chat, "wrapUpReasonId": reason } }),
    )
    .await;
    let run = "/0/ServiceModel/ProcessEngineService.svc/RunProcess";
    eventually("the process started", || async {
        !creatio.requests_to(run).is_empty()
    })
    .await;
    let started = creatio.requests_to(run).remove(0);
    assert_eq!(started.header("authorization"), Some("Bearer token-1"));
    assert_eq!(
        started.json(),
        json!({ "schemaName": "UsrChatClosed", "parameterValues": [{ "name": "ChatId", "value": chat }], "resultParameterNames": [] })
    );
    eventually("the process delivery logged", || async {
        let log = app
            .ok(
                Some(&d.org.owner_token),
                "{ webhookDeliveries { edges { node { kind state } } } }",
                json!({}),
            )
            .await;
        log["webhookDeliveries"]["edges"][0]["node"]
            == json!({ "kind": "CRM_PROCESS", "state": "DELIVERED" })
    })
    .await;

    // Reads are retried on 5xx and 429, and give up with UPSTREAM.
    creatio.fail_next(503, "Busy");
    creatio.fail_next(429, "Slow down");
    let retried = contacts(&app, &d.op.token, "Anna").await;
    assert_eq!(retried["data"]["crmContacts"][0]["id"], anna.as_str());
    for _ in 0..3 {
        creatio.fail_next(500, "Still down");
    }
    let gave_up = contacts(&app, &d.op.token, "Anna").await;
    assert_eq!(error_code(&gave_up), "UPSTREAM");
    assert!(
        gave_up["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Still down")
    );

    // A 401 renews the token once and retries.
    creatio.revoke_tokens();
    assert!(contacts(&app, &d.op.token, "Anna").await["errors"].is_null());
    assert_eq!(creatio.token_requests().len(), 2);
    let last = creatio.requests_to("/0/odata/Contact").pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer token-2"));

    // The token is renewed before it expires.
    app.advance(&d.org.owner_token, 3600).await;
    assert!(contacts(&app, &d.op.token, "Anna").await["errors"].is_null());
    assert_eq!(creatio.token_requests().len(), 3);
    let last = creatio.requests_to("/0/odata/Contact").pop().unwrap();
    assert_eq!(last.header("authorization"), Some("Bearer token-3"));

    // A CRM that does not answer in time is a clear error.
    creatio.set_delay(Some(std::time::Duration::from_secs(3)));
    let slow = contacts(&app, &d.op.token, "Anna").await;
    assert_eq!(error_code(&slow), "UPSTREAM");
    let message = slow["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("no answer within 1 s"), "{message}");
}

async fn simultaneous_clicks_make_one_case(app: TestApp) {
    let creatio = FakeCreatio::start().await;
    let d = app.desk("Acme").await;
    app.ok(
        Some(&d.org.owner_token),
        "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind } } }",
        json!({ "input": {
            "kind": "CREATIO", "baseUrl": creatio.url(), "identityUrl": creatio.url(),
            "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
        } }),
    )
    .await;
    let chat = accepted_chat(&app, &d, "+48600100200").await;
    let case_posts = || {
        creatio
            .requests_to("/0/odata/Case")
            .iter()
            .filter(|r| r.method == "POST")
            .count()
    };

    // A refused call gives the claim back: the next click may try again.
    creatio.fail_next(500, "Creatio is down");
    let failed = create_case(&app, &d.op.token, &chat, "Order A-17 is missing").await;
    assert_eq!(error_code(&failed), "UPSTREAM", "{failed}");

    // Two clicks while the CRM takes its time: one case is created, the other click is told.
    creatio.set_delay(Some(std::time::Duration::from_millis(300)));
    let before = case_posts();
    let (first, second) = tokio::join!(
        create_case(&app, &d.op.token, &chat, "Order A-17 is missing"),
        create_case(&app, &d.op.token, &chat, "Order A-17 is missing"),
    );
    let codes = [&first, &second].map(|answer| {
        if answer["errors"].is_null() {
            "OK"
        } else {
            error_code(answer)
        }
    });
    assert!(
        codes.contains(&"OK") && codes.contains(&"CONFLICT"),
        "{first} {second}"
    );
    assert_eq!(case_posts() - before, 1, "one case in the CRM");
    assert!(links(&app, &d.op.token, &chat).await["caseNumber"].is_string());
    // And once linked, a further click is refused without calling the CRM.
    creatio.set_delay(None);
    let again = create_case(&app, &d.op.token, &chat, "Again").await;
    assert_eq!(error_code(&again), "CONFLICT");
    assert_eq!(case_posts() - before, 1);

    // A NUL in the CRM's answer is dropped where the answer arrives: the contact is linked.
    let ola = creatio.add_contact("Ola\u{0} Nowak", "+48 600 100 300", "ola@example.com");
    let chat = accepted_chat(&app, &d, "+48600100300").await;
    assert_eq!(
        links(&app, &d.op.token, &chat).await["contactId"],
        ola.as_str()
    );
    let found = contacts(&app, &d.op.token, "Ola").await;
    assert!(found.to_string().contains("\"Ola Nowak\""), "{found}");
}

const TEST_CONNECTION: &str = "mutation { testCrmConnection { ok failure contact { id name } } }";

/// The administrator's "Test the connection": a token and one contact, or which call failed and
/// the CRM's words; never an error for the CRM's refusal, and never for an operator.
async fn testing_the_connection_says_which_call_failed(app: TestApp) {
    let d = app.desk("Acme").await;
    let owner = Some(d.org.owner_token.as_str());

    // The local CRM, empty: it answers, with no contact to show.
    let local = app.ok(owner, TEST_CONNECTION, json!({})).await;
    assert_eq!(
        local["testCrmConnection"],
        json!({ "ok": true, "failure": null, "contact": null })
    );

    // Creatio with a wrong secret: the identity service's refusal, named as the token call.
    let creatio = FakeCreatio::start().await;
    let anna = creatio.add_contact("Anna Nowak", "+48 600 100 200", "anna@example.com");
    let connect = |secret: &'static str| {
        json!({ "input": {
            "kind": "CREATIO", "baseUrl": creatio.url(), "identityUrl": creatio.url(),
            "clientId": CLIENT_ID, "clientSecret": secret,
        } })
    };
    let update = "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { kind } } }";
    app.ok(owner, update, connect("not-the-secret")).await;
    let refused = app.ok(owner, TEST_CONNECTION, json!({})).await;
    assert_eq!(refused["testCrmConnection"]["ok"], false);
    let failure = refused["testCrmConnection"]["failure"].as_str().unwrap();
    assert!(
        failure.contains("get an access token") && failure.contains("invalid_client"),
        "{failure}"
    );
    assert!(creatio.requests_to("/0/odata/Contact").is_empty());

    // The right secret: a token, then one contact read with it (no filter, one row).
    app.ok(owner, update, connect(CLIENT_SECRET)).await;
    let fine = app.ok(owner, TEST_CONNECTION, json!({})).await;
    assert_eq!(
        fine["testCrmConnection"],
        json!({ "ok": true, "failure": null, "contact": { "id": anna, "name": "Anna Nowak" } })
    );
    let read = &creatio.requests_to("/0/odata/Contact")[0];
    assert_eq!(read.header("authorization"), Some("Bearer token-1"));
    assert_eq!(read.query["$top"], "1");
    assert!(!read.query.contains_key("$filter"));

    // The CRM's data refusing (past its retries): that call, in its words.
    for _ in 0..3 {
        creatio.fail_next(500, "Database is down");
    }
    let down = app.ok(owner, TEST_CONNECTION, json!({})).await;
    let failure = down["testCrmConnection"]["failure"].as_str().unwrap();
    assert!(
        failure.contains("read a contact") && failure.contains("Database is down"),
        "{failure}"
    );

    // Administrators only.
    let operator = app.gql(Some(&d.op.token), TEST_CONNECTION, json!({})).await;
    assert_eq!(error_code(&operator), "FORBIDDEN");
}
