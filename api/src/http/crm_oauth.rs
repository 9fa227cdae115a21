//! Sign-in through the CRM (A4): `/oauth/crm/start` sends the user to the CRM's identity
//! service; `/oauth/crm/callback` checks the `state`, exchanges the code with the PKCE verifier,
//! maps the CRM user to an operator and starts a session.
//!
//! From the framed panel, open `/oauth/crm/start?organization=<id>&popup=1` in a popup: the
//! callback page posts `{ type: "omnipanel:signed-in", token }` to its opener (only to this
//! server's own origin) and closes. Without `popup`, it goes on to `/widget/#session=<token>`.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use omnipanel_domain::DomainError;
use omnipanel_domain::ids::OrganizationId;
use serde::Deserialize;

use super::client_address::ClientAddress;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct StartParams {
    organization: Option<String>,
    popup: Option<String>,
}

#[derive(Deserialize)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn redirect_uri(state: &AppState) -> String {
    let base = state
        .domain
        .config
        .public_url
        .as_str()
        .trim_end_matches('/');
    format!("{base}/oauth/crm/callback")
}

/// Sends the user to the CRM's sign-in page.
#[tracing::instrument(skip_all)]
pub async fn start(State(state): State<AppState>, Query(params): Query<StartParams>) -> Response {
    let Some(organization_id) = params
        .organization
        .as_deref()
        .and_then(|id| id.parse::<OrganizationId>().ok())
    else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in link incomplete",
            "The link must name the organization: /oauth/crm/start?organization=<id>.",
        );
    };
    let popup = matches!(params.popup.as_deref(), Some("1" | "true"));
    let started = async {
        let connection = state
            .domain
            .identity()
            .crm_sign_in_settings(organization_id)
            .await?;
        let authorization = state
            .crm_sign_in
            .authorize(&connection, &redirect_uri(&state))?;
        state
            .domain
            .identity()
            .begin_crm_sign_in(
                organization_id,
                &authorization.state,
                &authorization.pkce_verifier,
                popup,
            )
            .await?;
        Ok::<_, DomainError>(authorization.url)
    };
    match started.await {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(error) => failure(error),
    }
}

/// Where the CRM sends the user back.
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AppState>, ClientAddress(client): ClientAddress,
    Query(params): Query<CallbackParams>,
) -> Response {
    if let Some(error) = params.error {
        let detail = params.error_description.unwrap_or_default();
        return page(
            StatusCode::BAD_REQUEST,
            "The CRM did not sign you in",
            &format!("The CRM answered: {error}. {detail}"),
        );
    }
    let (Some(code), Some(sign_in_state)) = (params.code, params.state) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Sign-in incomplete",
            "The CRM sent no code or state back. Start the sign-in again.",
        );
    };
    let address = client.to_string();
    let finished = async {
        let pending = state
            .domain
            .identity()
            .finish_crm_sign_in(&sign_in_state)
            .await?;
        let connection = state
            .domain
            .identity()
            .crm_sign_in_settings(pending.organization_id)
            .await?;
        let user = state
            .crm_sign_in
            .user(
                &connection,
                &redirect_uri(&state),
                &code,
                &pending.pkce_verifier,
            )
            .await?;
        let signed_in = state
            .domain
            .identity()
            .sign_in_crm_user(pending.organization_id, &user, Some(&address))
            .await?;
        Ok::<_, DomainError>((signed_in, pending.popup))
    };
    match finished.await {
        Ok((signed_in, popup)) => signed_in_page(&state, &signed_in.token, popup),
        Err(error) => failure(error),
    }
}

/// A refusal as a page a person can read, with the status that fits it.
fn failure(error: DomainError) -> Response {
    let (status, title) = match &error {
        DomainError::Unauthenticated(_) | DomainError::Validation { .. } => {
            (StatusCode::BAD_REQUEST, "Sign-in refused")
        }
        DomainError::NotFound { .. } => (StatusCode::NOT_FOUND, "Unknown organization"),
        DomainError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not an operator here"),
        DomainError::Upstream(_) => (StatusCode::BAD_GATEWAY, "The CRM refused the sign-in"),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed"),
    };
    if error.is_internal() {
        tracing::error!(?error, "CRM sign-in failed");
        return page(
            status,
            title,
            "Something went wrong on our side. Try again later.",
        );
    }
    tracing::info!(%error, "CRM sign-in refused");
    page(status, title, &error.to_string())
}

/// Text for HTML: the five characters that mean something there are escaped.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn html(status: StatusCode, body: String, script_nonce: Option<&str>) -> Response {
    let script = script_nonce
        .map(|n| format!(" script-src 'nonce-{n}';"))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline';{script} base-uri 'none'; form-action 'none'"
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
            (header::REFERRER_POLICY, "no-referrer".to_owned()),
            (header::CONTENT_SECURITY_POLICY, policy),
        ],
        body,
    )
        .into_response()
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font:16px system-ui,sans-serif;margin:3em auto;max-width:32em;padding:0 1em}}</style>\
         </head><body><h1>{title}</h1><p>{message}</p></body></html>",
        title = escape(title),
        message = escape(message),
    );
    html(status, body, None)
}

/// Hands the session to the panel: to the popup's opener on this server's origin, or by
/// going on to the panel.
fn signed_in_page(state: &AppState, token: &str, popup: bool) -> Response {
    let nonce = omnipanel_domain::secret::generate_token("");
    let origin = state
        .domain
        .config
        .public_url
        .origin()
        .ascii_serialization();
    let data = serde_json::json!({ "token": token, "origin": origin, "popup": popup });
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signed in</title></head>\
         <body><p>Signed in. You can close this window.</p>\
         <script nonce=\"{nonce}\">\
         const s = {data};\
         if (s.popup && window.opener) {{\
           window.opener.postMessage({{ type: \"omnipanel:signed-in\", token: s.token }}, s.origin);\
           window.close();\
         }} else {{\
           location.replace(\"/widget/#session=\" + encodeURIComponent(s.token));\
         }}\
         </script></body></html>",
        data = serde_json::to_string(&data)
            .unwrap_or_default()
            .replace('<', "\\u003c"),
    );
    html(StatusCode::OK, body, Some(&nonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_text_is_escaped() {
        assert_eq!(
            escape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
    }
}
