//! Sign-in, sessions, invitations, profiles and sign-in throttling.

use omnipanel_tests::{PASSWORD, TestApp, error_code, error_field, on_both_databases};
use serde_json::json;

const SIGN_IN: &str = "mutation($input: SignInInput!) { signIn(input: $input) { token operator { email role status } } }";
const ME: &str = "{ me { id firstName lastName email role status } }";

on_both_databases!(
    sign_in_returns_a_token_that_me_accepts,
    a_wrong_password_or_no_token_is_unauthenticated,
    an_invitation_is_accepted_once,
    operators_edit_their_own_profile,
    repeated_wrong_passwords_are_slowed_down_but_not_locked_out_for_good,
    api_keys_authenticate_machine_clients,
    sign_in_failures_are_counted_per_client_address,
    an_api_key_cannot_sign_out,
);

async fn sign_in_returns_a_token_that_me_accepts(app: TestApp) {
    let org = app.create_org("Acme").await;
    let data = app
        .ok(
            None,
            SIGN_IN,
            json!({ "input": { "email": org.owner_email.to_uppercase(), "password": PASSWORD } }),
        )
        .await;
    let token = data["signIn"]["token"].as_str().unwrap();
    assert_eq!(data["signIn"]["operator"]["role"], "OWNER");
    assert_eq!(
        data["signIn"]["operator"]["status"], "ONLINE",
        "signing in makes an operator ONLINE"
    );
    let me = app.ok(Some(token), ME, json!({})).await;
    assert_eq!(me["me"]["email"], org.owner_email.as_str());
    assert_eq!(me["me"]["lastName"], "Owner");
}

async fn a_wrong_password_or_no_token_is_unauthenticated(app: TestApp) {
    let org = app.create_org("Acme").await;
    let wrong = app
        .gql(
            None,
            SIGN_IN,
            json!({ "input": { "email": org.owner_email, "password": "not it at all" } }),
        )
        .await;
    assert_eq!(error_code(&wrong), "UNAUTHENTICATED");
    assert!(wrong["data"].is_null());
    let unknown = app
        .gql(
            None,
            SIGN_IN,
            json!({ "input": { "email": "nobody@example.test", "password": PASSWORD } }),
        )
        .await;
    assert_eq!(error_code(&unknown), "UNAUTHENTICATED");
    assert_eq!(
        wrong["errors"][0]["message"], unknown["errors"][0]["message"],
        "no account enumeration"
    );

    assert_eq!(
        error_code(&app.gql(None, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.gql(Some("ops_forged"), ME, json!({})).await),
        "UNAUTHENTICATED"
    );

    // A signed-out session no longer works.
    app.ok(
        Some(&org.owner_token),
        "mutation { signOut { signedOut } }",
        json!({}),
    )
    .await;
    assert_eq!(
        error_code(&app.gql(Some(&org.owner_token), ME, json!({})).await),
        "UNAUTHENTICATED"
    );
}

async fn an_invitation_is_accepted_once(app: TestApp) {
    let org = app.create_org("Acme").await;
    let invited = app
        .ok(
            Some(&org.owner_token),
            "mutation($input: InviteOperatorInput!) { inviteOperator(input: $input) { invitationToken link } }",
            json!({ "input": { "email": "New.Person@Example.test", "role": "OPERATOR" } }),
        )
        .await;
    let token = invited["inviteOperator"]["invitationToken"]
        .as_str()
        .unwrap();
    let link = invited["inviteOperator"]["link"].as_str().unwrap();
    assert!(link.contains(token), "the link carries the token: {link}");
    // The sign-up page reads whom the token invites, without signing in.
    let open = "query($t: String!) { invitation(token: $t) { email role } }";
    let shown = app.ok(None, open, json!({ "t": token })).await;
    assert_eq!(
        shown["invitation"],
        json!({ "email": "new.person@example.test", "role": "OPERATOR" })
    );
    let forged = app.gql(None, open, json!({ "t": "opi_forged" })).await;
    assert_eq!(error_field(&forged), "token");

    let accept = "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { token operator { email role firstName lastName } } }";
    let short = app
        .gql(None, accept, json!({ "input": { "token": token, "password": "short", "firstName": "Ola", "lastName": "Nowak" } }))
        .await;
    assert_eq!(error_code(&short), "VALIDATION");
    assert_eq!(error_field(&short), "password");

    let accepted = app
        .ok(None, accept, json!({ "input": { "token": token, "password": PASSWORD, "firstName": "Ola", "lastName": "Nowak" } }))
        .await;
    assert_eq!(
        accepted["acceptInvitation"]["operator"]["email"],
        "new.person@example.test"
    );
    assert_eq!(accepted["acceptInvitation"]["operator"]["role"], "OPERATOR");
    assert_eq!(
        accepted["acceptInvitation"]["operator"]["lastName"], "Nowak",
        "the new operator sees their own name"
    );
    let session = accepted["acceptInvitation"]["token"].as_str().unwrap();
    let used = app.gql(None, open, json!({ "t": token })).await;
    assert_eq!(
        error_field(&used),
        "token",
        "a used invitation shows nothing"
    );
    assert_eq!(
        app.ok(Some(session), ME, json!({})).await["me"]["firstName"],
        "Ola"
    );
    app.sign_in("new.person@example.test", PASSWORD).await;

    let again = app
        .gql(None, accept, json!({ "input": { "token": token, "password": PASSWORD, "firstName": "X", "lastName": "Y" } }))
        .await;
    assert_eq!(error_code(&again), "VALIDATION");
    assert_eq!(error_field(&again), "token");

    // An operator cannot invite; an owner cannot invite the same e-mail twice.
    let invite =
        "mutation($input: InviteOperatorInput!) { inviteOperator(input: $input) { link } }";
    let forbidden = app
        .gql(
            Some(session),
            invite,
            json!({ "input": { "email": "x@example.test", "role": "OPERATOR" } }),
        )
        .await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
    let twice = app
        .gql(
            Some(&org.owner_token),
            invite,
            json!({ "input": { "email": "new.person@example.test", "role": "OPERATOR" } }),
        )
        .await;
    assert_eq!(error_code(&twice), "CONFLICT");
    let bad_email = app
        .gql(
            Some(&org.owner_token),
            invite,
            json!({ "input": { "email": "not-an-email", "role": "OPERATOR" } }),
        )
        .await;
    assert_eq!(error_code(&bad_email), "VALIDATION");
    assert_eq!(error_field(&bad_email), "email");
}

async fn operators_edit_their_own_profile(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (token, email) = app.add_operator(&org.owner_token, "OPERATOR").await;
    let update = "mutation($input: UpdateMyProfileInput!) { updateMyProfile(input: $input) { operator { firstName lastName } } }";
    let updated = app
        .ok(
            Some(&token),
            update,
            json!({ "input": { "firstName": " Alicja ", "lastName": "Zielińska" } }),
        )
        .await;
    assert_eq!(
        updated["updateMyProfile"]["operator"]["firstName"],
        "Alicja"
    );
    assert_eq!(
        updated["updateMyProfile"]["operator"]["lastName"],
        "Zielińska"
    );

    let blank = app
        .gql(
            Some(&token),
            update,
            json!({ "input": { "firstName": "   " } }),
        )
        .await;
    assert_eq!(error_field(&blank), "firstName");
    // Signed in elsewhere too (kept in memory once used).
    app.keeping_tokens().await;
    let elsewhere = app.sign_in(&email, PASSWORD).await;
    app.ok(Some(&elsewhere), "{ me { id } }", json!({})).await;
    let wrong_current = app
        .gql(
            Some(&token),
            update,
            json!({ "input": { "newPassword": "another password", "currentPassword": "nope" } }),
        )
        .await;
    assert_eq!(error_field(&wrong_current), "currentPassword");
    // A refused change ends nothing and keeps the password; a new password ends the other
    // session, not the one that set it, and nobody else's.
    app.ok(Some(&elsewhere), "{ me { id } }", json!({})).await;
    app.sign_in(&email, PASSWORD).await;
    app.ok(Some(&org.owner_token), "{ me { id } }", json!({}))
        .await;
    app.ok(
        Some(&token),
        update,
        json!({ "input": { "newPassword": "another password", "currentPassword": PASSWORD } }),
    )
    .await;
    let ended = app.gql(Some(&elsewhere), "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&ended), "UNAUTHENTICATED", "{ended}");
    app.ok(Some(&token), "{ me { id } }", json!({})).await;
    app.ok(Some(&org.owner_token), "{ me { id } }", json!({}))
        .await;
    app.sign_in(&email, "another password").await;

    // Operators see colleagues' first names only; supervisors and above see everything.
    let listing = "{ operators(onlyAvailable: false) { firstName lastName email role } }";
    let as_operator = app.ok(Some(&token), listing, json!({})).await;
    let owner_row = as_operator["operators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["role"] == "OWNER")
        .unwrap();
    assert_eq!(owner_row["firstName"], "Olga");
    assert!(owner_row["lastName"].is_null() && owner_row["email"].is_null());
    let as_owner = app.ok(Some(&org.owner_token), listing, json!({})).await;
    assert!(
        as_owner["operators"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["lastName"].is_string())
    );
}

async fn repeated_wrong_passwords_are_slowed_down_but_not_locked_out_for_good(app: TestApp) {
    let org = app.create_org("Acme").await;
    let attempt = |password: &'static str| {
        let email = org.owner_email.clone();
        let app = &app;
        async move {
            app.gql(
                None,
                SIGN_IN,
                json!({ "input": { "email": email, "password": password } }),
            )
            .await
        }
    };
    for _ in 0..5 {
        assert_eq!(
            error_code(&attempt("wrong password").await),
            "UNAUTHENTICATED"
        );
    }
    // Now even the right password waits, so guessing cannot go on at full speed.
    let blocked = attempt(PASSWORD).await;
    assert_eq!(error_code(&blocked), "LIMIT_EXCEEDED");
    assert!(
        blocked["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("try again in")
    );

    app.clock.advance(chrono::Duration::seconds(31));
    let data = attempt(PASSWORD).await;
    assert!(data["errors"].is_null(), "the block ends: {data}");

    // A success forgets the failures: one more wrong password is not blocked.
    assert_eq!(
        error_code(&attempt("wrong password").await),
        "UNAUTHENTICATED"
    );
    assert!(attempt(PASSWORD).await["errors"].is_null());
}

async fn api_keys_authenticate_machine_clients(app: TestApp) {
    let org = app.create_org("Acme").await;
    let created = app
        .ok(
            Some(&org.owner_token),
            "mutation { createApiKey(input: { scope: CHATBOT, name: \"Bot\" }) { key apiKey { id scope prefix } } }",
            json!({}),
        )
        .await;
    let key = created["createApiKey"]["key"].as_str().unwrap();
    assert!(key.starts_with("opk_"));
    let listed = app
        .ok(
            Some(&org.owner_token),
            "{ apiKeys { id scope prefix } }",
            json!({}),
        )
        .await;
    assert!(
        !listed.to_string().contains(key),
        "the key is never shown again"
    );

    // A chatbot key reads dictionaries but is not an operator and not an admin.
    app.ok(Some(key), "{ queues { id } }", json!({})).await;
    assert_eq!(
        error_code(&app.gql(Some(key), ME, json!({})).await),
        "FORBIDDEN"
    );
    let admin = app
        .gql(
            Some(key),
            "mutation { createSkill(input: { name: \"x\" }) { skill { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&admin), "FORBIDDEN");

    let id = created["createApiKey"]["apiKey"]["id"].as_str().unwrap();
    app.ok(
        Some(&org.owner_token),
        "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { apiKey { revokedAt } } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(
        error_code(&app.gql(Some(key), "{ queues { id } }", json!({})).await),
        "UNAUTHENTICATED"
    );
}

async fn sign_in_failures_are_counted_per_client_address(app: TestApp) {
    let org = app.create_org("Acme").await;
    // The test server trusts 127.0.0.1 as a reverse proxy: X-Forwarded-For names the client.
    let from = |address: &'static str, email: String, password: &'static str| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/graphql"))
                .header("x-forwarded-for", address)
                .json(&json!({
                    "query": SIGN_IN,
                    "variables": { "input": { "email": email, "password": password } }
                }))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    // 30 failures from one address, each for another (unknown) account...
    for i in 0..30 {
        let failed = from("198.51.100.7", format!("nobody{i}@example.com"), "guess").await;
        assert_eq!(
            error_code(&failed),
            "UNAUTHENTICATED",
            "attempt {i}: {failed}"
        );
    }
    // ...and that address waits, even with a real account's right password.
    let blocked = from("198.51.100.7", org.owner_email.clone(), PASSWORD).await;
    assert_eq!(error_code(&blocked), "LIMIT_EXCEEDED", "{blocked}");
    // Another client behind the same proxy does not.
    let other = from("198.51.100.8", org.owner_email.clone(), PASSWORD).await;
    assert!(other["errors"].is_null(), "{other}");
}

async fn an_api_key_cannot_sign_out(app: TestApp) {
    let org = app.create_org("Acme").await;
    let key = app.chatbot_key(&org.owner_token).await;
    let refused = app
        .gql(Some(&key), "mutation { signOut { signedOut } }", json!({}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    // The key still works, as the refusal says.
    let still = app
        .gql(Some(&key), "mutation { signOut { signedOut } }", json!({}))
        .await;
    assert_eq!(
        error_code(&still),
        "FORBIDDEN",
        "not UNAUTHENTICATED: {still}"
    );
}
