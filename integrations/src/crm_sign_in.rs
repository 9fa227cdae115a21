//! Sign-in through the CRM (A4), the HTTP half: the authorization URL with PKCE (S256) and a
//! random `state`, the code exchange, and the user's `userinfo`, against the identity service
//! (`/connect/authorize`, `/connect/token`, `/connect/userinfo`).

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use omnipanel_domain::crm::identity_url;
use omnipanel_domain::entity::crm_connection;
use omnipanel_domain::identity::CrmUser;
use omnipanel_domain::{DomainError, Result};
use serde::Deserialize;

use crate::HttpPolicy;

/// Scopes asked for when the organization set none.
pub const DEFAULT_SCOPES: &str = "openid profile email";

/// Where to send the user, and what to remember until they come back.
pub struct Authorization {
    pub url: url::Url,
    pub state: String,
    pub pkce_verifier: String,
}

/// The identity-service client of the server.
#[derive(Clone)]
pub struct CrmSignIn {
    http: reqwest::Client,
    policy: HttpPolicy,
}

fn upstream(what: &str, detail: impl std::fmt::Display) -> DomainError {
    DomainError::Upstream(format!("CRM sign-in failed to {what}: {detail}"))
}

#[derive(Deserialize)]
struct UserInfo {
    sub: String,
    email: Option<String>,
    name: Option<String>,
}

impl CrmSignIn {
    pub fn new(policy: HttpPolicy) -> Result<Self> {
        Ok(Self {
            http: crate::http_client(&policy)?,
            policy,
        })
    }

    fn identity(&self, connection: &crm_connection::Model) -> Result<String> {
        let identity = identity_url(connection)
            .ok_or_else(|| upstream("start", "no identity service is set"))?;
        match self.policy.refusal(&identity) {
            Some(why) => Err(upstream("start", why)),
            None => Ok(identity),
        }
    }

    /// The OAuth client a `step` of the sign-in uses, and the identity service it calls.
    fn client(&self, connection: &crm_connection::Model, step: &str) -> Result<(ClientId, String)> {
        let identity = self.identity(connection)?;
        let client_id = connection
            .oauth_client_id
            .clone()
            .ok_or_else(|| upstream(step, "no OAuth client is set"))?;
        Ok((ClientId::new(client_id), identity))
    }

    /// The authorization URL (code flow, PKCE S256, a fresh `state`).
    pub fn authorize(
        &self, connection: &crm_connection::Model, redirect: &str,
    ) -> Result<Authorization> {
        let (client_id, identity) = self.client(connection, "start")?;
        let auth_url = AuthUrl::new(format!("{identity}/connect/authorize"))
            .map_err(|e| upstream("start", e))?;
        let redirect = RedirectUrl::new(redirect.to_owned()).map_err(|e| upstream("start", e))?;
        let client = BasicClient::new(client_id)
            .set_auth_uri(auth_url)
            .set_redirect_uri(redirect);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let scopes = connection.oauth_scopes.as_deref().unwrap_or(DEFAULT_SCOPES);
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(scopes.split_whitespace().map(|s| Scope::new(s.to_owned())))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Authorization {
            url,
            state: state.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and reads who signed in.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %connection.organization_id))]
    pub async fn user(
        &self, connection: &crm_connection::Model, redirect: &str, code: &str, pkce_verifier: &str,
    ) -> Result<CrmUser> {
        let (client_id, identity) = self.client(connection, "exchange the code")?;
        let token_url = TokenUrl::new(format!("{identity}/connect/token"))
            .map_err(|e| upstream("exchange the code", e))?;
        let redirect =
            RedirectUrl::new(redirect.to_owned()).map_err(|e| upstream("exchange the code", e))?;
        let mut client = BasicClient::new(client_id)
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(token_url)
            .set_redirect_uri(redirect);
        if let Some(secret) = &connection.oauth_client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(refusal) => upstream(
                    "exchange the code",
                    format!(
                        "the CRM refused: {}{}",
                        refusal.error(),
                        refusal
                            .error_description()
                            .map(|d| format!(" ({d})"))
                            .unwrap_or_default()
                    ),
                ),
                RequestTokenError::Request(inner) => {
                    tracing::warn!(error = ?inner, "identity service unreachable");
                    upstream(
                        "exchange the code",
                        "the identity service could not be reached",
                    )
                }
                RequestTokenError::Parse(..) => upstream(
                    "exchange the code",
                    "the identity service answered unexpectedly",
                ),
                RequestTokenError::Other(message) => upstream("exchange the code", message),
            })?;
        let response = self
            .http
            .get(format!("{identity}/connect/userinfo"))
            .bearer_auth(token.access_token().secret())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|_| upstream("read the user", "the identity service could not be reached"))?;
        if !response.status().is_success() {
            return Err(upstream(
                "read the user",
                format!("HTTP {}", response.status().as_u16()),
            ));
        }
        let body = response
            .bytes()
            .await
            .map_err(|_| upstream("read the user", "the answer was cut off"))?;
        let info: UserInfo =
            serde_json::from_slice(&omnipanel_domain::validate::json_without_nul(&body))
                .map_err(|_| upstream("read the user", "the answer has no user id"))?;
        let subject = info.sub.trim().to_owned();
        if subject.is_empty() || subject.len() > 200 {
            return Err(upstream(
                "read the user",
                "the user id is empty or too long",
            ));
        }
        Ok(CrmUser {
            subject,
            email: info.email.filter(|e| e.contains('@') && e.len() <= 254),
            name: info.name,
        })
    }
}
