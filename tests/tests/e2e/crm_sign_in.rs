//! Sign-in through the CRM (A4) against oauth2-mock-server: authorization code with PKCE and a
//! `state`, a bad or replayed state refused, a wrong PKCE verifier refused by the identity
//! service, unknown users refused, and the popup hand-over for the framed panel.

use omnipanel_domain::entity::crm_sign_in;
use omnipanel_tests::oauth_mock::OAuthMock;
use omnipanel_tests::{Org, TestApp, on_both_databases};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use serde_json::json;

on_both_databases!(
    operators_sign_in_through_the_crm,
    sign_in_refuses_what_it_cannot_trust,
);

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn configure(app: &TestApp, org: &Org, identity: &str) {
    app.ok(
        Some(&org.owner_token),
        "mutation($input: UpdateCrmConnectionInput!) { updateCrmConnection(input: $input) { crmConnection { oauthClientId } } }",
        json!({ "input": {
            "kind": "CREATIO", "baseUrl": identity, "identityUrl": identity,
            "clientId": "omnipanel-server", "clientSecret": "server-secret",
            "oauthClientId": "omnipanel-panel", "oauthClientSecret": "panel-secret",
        } }),
    )
    .await;
}

fn location(response: &reqwest::Response) -> String {
    assert!(response.status().is_redirection(), "{response:?}");
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// Starts a sign-in and lets the identity service sign the user in; returns the callback URL
/// it sends the browser back to.
async fn through_the_crm(app: &TestApp, org: &Org, extra: &str) -> String {
    let browser = browser();
    let start = browser
        .get(app.url(&format!("/oauth/crm/start?organization={}{extra}", org.id)))
        .send()
        .await
        .unwrap();
    let authorize = location(&start);
    let back = browser.get(&authorize).send().await.unwrap();
    location(&back)
}

/// The session token a successful callback page hands to the panel.
fn token_in(page: &str) -> Option<String> {
    let start = page.find("ops_")?;
    Some(
        page[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect(),
    )
}

async fn operators_sign_in_through_the_crm(app: TestApp) {
    let org = app.create_org("Acme").await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    let idp = OAuthMock::start(&op.email.to_uppercase());
    configure(&app, &org, &idp.url).await;

    let start = browser()
        .get(app.url(&format!("/oauth/crm/start?organization={}", org.id)))
        .send()
        .await
        .unwrap();
    let authorize = url::Url::parse(&location(&start)).unwrap();
    assert_eq!(
        format!(
            "{}{}",
            authorize.origin().ascii_serialization(),
            authorize.path()
        ),
        format!("{}/connect/authorize", idp.url)
    );
    let params: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], "omnipanel-panel");
    assert_eq!(params["redirect_uri"], app.url("/oauth/crm/callback"));
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert!(params["state"].len() >= 16);
    assert_eq!(params["scope"], "openid profile email");

    // The identity service signs the user in and sends them back; the e-mail maps to the
    // operator (case aside), who is linked to the CRM user from now on.
    let callback = location(&browser().get(authorize.as_str()).send().await.unwrap());
    assert!(callback.starts_with(&app.url("/oauth/crm/callback?")));
    let done = browser().get(&callback).send().await.unwrap();
    assert_eq!(done.status(), 200);
    let csp = done.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'nonce-"));
    let page = done.text().await.unwrap();
    let token = token_in(&page).expect("a session token on the page");
    assert!(page.contains("/widget/#session="));
    let me = app
        .ok(Some(&token), "{ me { id status } }", json!({}))
        .await;
    assert_eq!(me["me"]["id"], op.id.as_str());

    // The same state works once.
    let replay = browser().get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), 400);
    let replay = replay.text().await.unwrap();
    assert!(replay.contains("already used") && token_in(&replay).is_none());

    // In a popup, the page hands the session to its opener, on this server's origin only.
    let callback = through_the_crm(&app, &org, "&popup=1").await;
    let page = browser()
        .get(&callback)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let second = token_in(&page).expect("a second session");
    assert_ne!(second, token);
    assert!(page.contains("window.opener.postMessage"));
    assert!(page.contains(&format!("\"origin\":\"{}\"", app.url(""))));
    let me = app.ok(Some(&second), "{ me { id } }", json!({})).await;
    assert_eq!(me["me"]["id"], op.id.as_str());
}

async fn sign_in_refuses_what_it_cannot_trust(app: TestApp) {
    let org = app.create_org("Acme").await;
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    let idp = OAuthMock::start(&op.email);
    configure(&app, &org, &idp.url).await;

    // A state this server never issued.
    let forged = browser()
        .get(app.url("/oauth/crm/callback?code=abc&state=forged-state"))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
    assert!(forged.text().await.unwrap().contains("unknown"));

    // A PKCE verifier that does not match the challenge: the identity service refuses the code.
    let callback = through_the_crm(&app, &org, "").await;
    crm_sign_in::Entity::update_many()
        .col_expr(
            crm_sign_in::Column::PkceVerifier,
            Expr::value("x".repeat(43)),
        )
        .exec(&app.domain.db)
        .await
        .unwrap();
    let refused = browser().get(&callback).send().await.unwrap();
    assert_eq!(refused.status(), 502);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("code_verifier provided does not match code_challenge"),
        "{page}"
    );
    assert!(token_in(&page).is_none());

    // The identity service's own refusal is shown, escaped.
    let denied =
        browser()
            .get(app.url(
                "/oauth/crm/callback?error=access_denied&error_description=%3Cb%3Enope%3C%2Fb%3E",
            ))
            .send()
            .await
            .unwrap();
    assert_eq!(denied.status(), 400);
    let page = denied.text().await.unwrap();
    assert!(
        page.contains("access_denied") && page.contains("&lt;b&gt;nope") && !page.contains("<b>")
    );

    // A CRM user who is no operator of this organization.
    let other = app.create_org("Globex").await;
    configure(&app, &other, &idp.url).await;
    let callback = through_the_crm(&app, &other, "").await;
    let stranger = browser().get(&callback).send().await.unwrap();
    assert_eq!(stranger.status(), 403);
    assert!(token_in(&stranger.text().await.unwrap()).is_none());

    // Organizations that did not set it up, and links that name none.
    let plain = app.create_org("Initech").await;
    let unset = browser()
        .get(app.url(&format!("/oauth/crm/start?organization={}", plain.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(unset.status(), 400);
    assert!(unset.text().await.unwrap().contains("has not set up"));
    let nameless = browser()
        .get(app.url("/oauth/crm/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(nameless.status(), 400);
}
