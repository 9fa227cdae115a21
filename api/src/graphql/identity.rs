//! Identity in GraphQL: who is asking (the signed-in operator, the server's time), signing in
//! and out, invitations and signing up, one's profile, and API keys (never the key itself, after
//! it is made).

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::entity::api_key;
use omnipanel_domain::enums::ApiKeyScope;
use omnipanel_domain::identity::{
    AcceptInvitationInput, CreateApiKeyInput, InviteOperatorInput, SignInInput,
    UpdateMyProfileInput,
};
use omnipanel_domain::ids::*;

use crate::graphql::admin::mutation::OperatorPayload;
use crate::graphql::admin::types::Operator;
use crate::graphql::context::{RequestInfo, actor, call, call_each, domain};
use crate::graphql::error::Gql;
use crate::graphql::projection::projection;

projection!(
    /// A machine client's key, without the key itself.
    ApiKey(api_key::Model) {
        id: ApiKeyId,
        name: String,
        scope: ApiKeyScope,
        /// The key's first characters, to tell keys apart.
        #[graphql(name = "prefix")]
        key_prefix: String,
        created_at: DateTime<Utc>,
        last_used_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
    }
);

#[derive(Default)]
pub struct IdentityQuery;

#[Object]
impl IdentityQuery {
    /// The signed-in operator.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Operator> {
        call(ctx, |d, a| d.identity().me(a)).await.map(Operator::of)
    }

    /// The server's clock now. Panels show their timers (time in status, waiting, an
    /// invitation's countdown) against it rather than the browser's own.
    async fn server_time(
        &self, ctx: &Context<'_>,
    ) -> async_graphql::Result<chrono::DateTime<chrono::Utc>> {
        actor(ctx)?;
        Ok(domain(ctx).now())
    }

    /// The organization's API keys, without the keys (admins).
    async fn api_keys(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ApiKey>> {
        call_each(ctx, |d, a| d.identity().api_keys(a)).await
    }

    /// The open invitation a token carries, for the sign-up page (no sign-in: the token is the
    /// secret). Used or expired: `VALIDATION` on `token`.
    async fn invitation(
        &self, ctx: &Context<'_>, token: String,
    ) -> async_graphql::Result<OpenInvitation> {
        let found = domain(ctx).identity().open_invitation(&token).await.gql()?;
        Ok(OpenInvitation {
            email: found.email,
            role: found.role,
            expires_at: found.expires_at,
        })
    }
}

/// Whom an invitation invites, shown on the sign-up page.
#[derive(SimpleObject)]
pub struct OpenInvitation {
    /// The new operator's sign-in e-mail.
    pub email: String,
    pub role: omnipanel_domain::enums::Role,
    pub expires_at: DateTime<Utc>,
}

/// A session: the bearer token (keep it secret) and who it belongs to.
#[derive(SimpleObject)]
pub struct SignInPayload {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub operator: Operator,
}

#[derive(SimpleObject)]
pub struct SignOutPayload {
    pub signed_out: bool,
}

/// An invitation: the token and the link that carries it (shown once).
#[derive(SimpleObject)]
pub struct InviteOperatorPayload {
    pub invitation_token: String,
    /// Send this to the person invited.
    pub link: String,
}

/// A new API key: the key itself is shown only here, once.
#[derive(SimpleObject)]
pub struct CreateApiKeyPayload {
    pub key: String,
    pub api_key: ApiKey,
}

#[derive(SimpleObject)]
pub struct ApiKeyPayload {
    pub api_key: ApiKey,
}

impl From<omnipanel_domain::entity::api_key::Model> for ApiKeyPayload {
    fn from(row: omnipanel_domain::entity::api_key::Model) -> Self {
        Self {
            api_key: ApiKey::from(row),
        }
    }
}

#[derive(InputObject)]
pub struct RevokeApiKeyInput {
    pub id: ApiKeyId,
}

#[derive(Default)]
pub struct IdentityMutation;

#[Object]
impl IdentityMutation {
    /// Signs in with e-mail and password. Repeated failures are slowed down per account and per
    /// client address (`LIMIT_EXCEEDED` says how long to wait).
    async fn sign_in(
        &self, ctx: &Context<'_>, input: SignInInput,
    ) -> async_graphql::Result<SignInPayload> {
        let address = ctx
            .data_opt::<RequestInfo>()
            .and_then(|info| info.client_address.clone());
        let signed = domain(ctx)
            .identity()
            .sign_in(input, address.as_deref())
            .await
            .gql()?;
        Ok(SignInPayload {
            token: signed.token,
            operator: Operator::own(signed.operator),
        })
    }

    /// Ends the current session.
    async fn sign_out(&self, ctx: &Context<'_>) -> async_graphql::Result<SignOutPayload> {
        call(ctx, |d, a| d.identity().sign_out(a)).await?;
        Ok(SignOutPayload { signed_out: true })
    }

    /// Invites a person to the organization (admins; A3).
    async fn invite_operator(
        &self, ctx: &Context<'_>, input: InviteOperatorInput,
    ) -> async_graphql::Result<InviteOperatorPayload> {
        let invited = call(ctx, |d, a| d.identity().invite_operator(a, input)).await?;
        Ok(InviteOperatorPayload {
            invitation_token: invited.token,
            link: invited.link,
        })
    }

    /// Accepts an invitation: sets the password and name, and signs in.
    async fn accept_invitation(
        &self, ctx: &Context<'_>, input: AcceptInvitationInput,
    ) -> async_graphql::Result<SignInPayload> {
        let signed = domain(ctx)
            .identity()
            .accept_invitation(input)
            .await
            .gql()?;
        Ok(SignInPayload {
            token: signed.token,
            operator: Operator::own(signed.operator),
        })
    }

    /// Changes the caller's own name or password.
    async fn update_my_profile(
        &self, ctx: &Context<'_>, input: UpdateMyProfileInput,
    ) -> async_graphql::Result<OperatorPayload> {
        call(ctx, |d, a| d.identity().update_my_profile(a, input))
            .await
            .map(Into::into)
    }

    /// Creates an API key for a machine client (admins). The key is shown once.
    async fn create_api_key(
        &self, ctx: &Context<'_>, input: CreateApiKeyInput,
    ) -> async_graphql::Result<CreateApiKeyPayload> {
        let created = call(ctx, |d, a| d.identity().create_api_key(a, input)).await?;
        Ok(CreateApiKeyPayload {
            key: created.key,
            api_key: ApiKey::from(created.record),
        })
    }

    /// Revokes an API key (admins).
    async fn revoke_api_key(
        &self, ctx: &Context<'_>, input: RevokeApiKeyInput,
    ) -> async_graphql::Result<ApiKeyPayload> {
        call(ctx, |d, a| d.identity().revoke_api_key(a, input.id))
            .await
            .map(Into::into)
    }
}
