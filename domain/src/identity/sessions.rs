//! Signing in and out (A3): argon2id passwords, session tokens kept only as digests, failures
//! throttled per account and per client address.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, IntoCondition};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
};
use validator::Validate;

use crate::actor::{Actor, Principal};
use crate::entity::{api_key, operator, operator_credential, session};
use crate::enums::{OperatorStatus, Role};
use crate::error::{DomainError, Result};
use crate::identity::credentials::Resolved;
use crate::identity::throttle::{self};
use crate::ids::{OperatorId, OrganizationId, SessionId};
use crate::presence::rules::change_status;
use crate::secret::{self, prefix};
use crate::service::Identity;
use crate::store::relation;
use crate::validate::check;
use crate::work::Work;

/// A session with its operator, as authentication reads them.
#[derive(Debug, FromQueryResult)]
struct SessionOf {
    session_id: SessionId,
    revoked_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    operator_id: OperatorId,
    organization_id: OrganizationId,
    role: Role,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct SignInInput {
    /// The operator's e-mail address.
    #[validate(length(min = 1, max = 254))]
    pub email: String,
    #[validate(length(min = 1, max = 256))]
    pub password: String,
}

/// A new session: the token (shown once) and its operator.
pub struct SignedIn {
    pub token: String,
    pub operator: operator::Model,
}

impl Identity<'_> {
    /// Signs in with e-mail and password. Failures are throttled per account and per client
    /// address; an unknown e-mail and a wrong password are refused alike.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn sign_in(
        self, input: SignInInput, client_address: Option<&str>,
    ) -> Result<SignedIn> {
        check(&input)?;
        let email = normalize_email(&input.email);
        let now = self.domain.now();
        let mut keys = vec![throttle::account_key(&email)];
        if let Some(address) = client_address {
            keys.push(throttle::address_key(address));
        }
        throttle::check(&self.domain.db, &keys, now).await?;

        let found = operator::Entity::find()
            .filter(operator::Column::Email.eq(&email))
            .filter(operator::Column::ArchivedAt.is_null())
            .one(&self.domain.db)
            .await?;
        let credential = match &found {
            Some(op) => {
                operator_credential::Entity::find_by_id(op.id)
                    .one(&self.domain.db)
                    .await?
            }
            None => None,
        };
        let stored = credential
            .as_ref()
            .map_or(secret::dummy_password_hash(), |c| &c.password_hash);
        let password = input.password.clone();
        let stored = stored.to_owned();
        // Argon2 is CPU-heavy by design: keep it off the async workers.
        let matches =
            tokio::task::spawn_blocking(move || secret::verify_password(&password, &stored))
                .await
                .map_err(|e| DomainError::Internal(format!("password check panicked: {e}")))?;

        let policy = &self.domain.config.throttle;
        let (Some(op), true) = (found, matches && credential.is_some()) else {
            let tx = self.domain.write().await?;
            throttle::record_failure(
                &tx,
                policy,
                keys[0].clone(),
                policy.account_free_failures,
                now,
            )
            .await?;
            if let Some(key) = keys.get(1) {
                throttle::record_failure(
                    &tx,
                    policy,
                    key.clone(),
                    policy.address_free_failures,
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            return Err(DomainError::Unauthenticated(
                "Wrong e-mail or password".into(),
            ));
        };

        let mut work = self.domain.begin(now).await?;
        throttle::clear(&work.tx, keys[0].clone()).await?;
        let op = if op.status == OperatorStatus::Offline {
            change_status(&mut work, &op, OperatorStatus::Online, None).await?
        } else {
            op
        };
        let token = self.create_session(&work.tx, &op, client_address).await?;
        self.domain.commit(work).await?;
        Ok(SignedIn {
            token,
            operator: op,
        })
    }

    pub(crate) async fn create_session(
        self, db: &impl sea_orm::ConnectionTrait, op: &operator::Model,
        client_address: Option<&str>,
    ) -> Result<String> {
        let now = self.domain.now();
        let token = secret::generate_token(prefix::SESSION);
        session::ActiveModel {
            id: Set(SessionId::new()),
            organization_id: Set(op.organization_id),
            operator_id: Set(op.id),
            token_hash: Set(secret::token_digest(&token)),
            created_at: Set(now),
            expires_at: Set(now + self.domain.config.session_ttl),
            last_seen_at: Set(now),
            client_address: Set(client_address.map(|a| a.chars().take(64).collect())),
            revoked_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(token)
    }

    /// Resolves a bearer token (a session token or an API key) to the actor it stands for. A
    /// token resolved lately is answered from this instance's memory (`credentials.rs`); a
    /// session's sliding expiry and a key's last use are written at most once a minute either way.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn authenticate(self, token: &str) -> Result<Actor> {
        let invalid =
            || DomainError::Unauthenticated("The token is not valid or has expired".into());
        let session = token.starts_with(prefix::SESSION);
        if !session && !token.starts_with(prefix::API_KEY) {
            return Err(invalid());
        }
        let now = self.domain.now();
        let digest = secret::token_digest(token);
        let cache = &self.domain.credentials;
        let resolved = match cache.get(&digest, now) {
            Some(kept) => kept,
            None => {
                let since = cache.generation();
                let read = if session {
                    self.session_of(&digest, now).await?
                } else {
                    self.key_of(&digest).await?
                };
                let resolved = read.ok_or_else(invalid)?;
                cache.keep(since, digest.clone(), resolved.clone(), now);
                resolved
            }
        };
        if resolved
            .touched_at
            .is_none_or(|at| now - at > Duration::minutes(1))
        {
            self.touch(&resolved, now).await?;
            let expires_at = session.then(|| now + self.domain.config.session_ttl);
            cache.touched(&digest, now, expires_at);
        }
        Ok(resolved.actor)
    }

    /// A live session's operator, by its token's digest, read with the session in one round trip.
    async fn session_of(self, digest: &str, now: DateTime<Utc>) -> Result<Option<Resolved>> {
        let found = session::Entity::find()
            .select_only()
            .column_as(session::Column::Id, "session_id")
            .column(session::Column::RevokedAt)
            .column(session::Column::ExpiresAt)
            .column(session::Column::LastSeenAt)
            .column_as(operator::Column::Id, "operator_id")
            .column_as(operator::Column::OrganizationId, "organization_id")
            .column_as(operator::Column::Role, "role")
            .join(
                JoinType::InnerJoin,
                relation(session::Column::OperatorId, operator::Column::Id),
            )
            .filter(session::Column::TokenHash.eq(digest))
            .filter(operator::Column::ArchivedAt.is_null())
            .into_model::<SessionOf>()
            .one(&self.domain.db)
            .await?;
        Ok(found
            .filter(|found| found.revoked_at.is_none() && found.expires_at > now)
            .map(|found| Resolved {
                actor: Actor {
                    organization_id: found.organization_id,
                    principal: Principal::Operator {
                        id: found.operator_id,
                        role: found.role,
                        session_id: Some(found.session_id),
                    },
                },
                expires_at: Some(found.expires_at),
                touched_at: Some(found.last_seen_at),
            }))
    }

    /// A live API key, by its digest.
    async fn key_of(self, digest: &str) -> Result<Option<Resolved>> {
        let found = api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(digest))
            .filter(api_key::Column::RevokedAt.is_null())
            .one(&self.domain.db)
            .await?;
        Ok(found.map(|key| Resolved {
            actor: Actor {
                organization_id: key.organization_id,
                principal: Principal::ApiKey {
                    id: key.id,
                    scope: key.scope,
                },
            },
            expires_at: None,
            touched_at: key.last_used_at,
        }))
    }

    /// Writes a token's use: a session's `last_seen_at`, moving its expiry on; a key's
    /// `last_used_at`.
    async fn touch(self, resolved: &Resolved, now: DateTime<Utc>) -> Result<()> {
        match resolved.actor.principal {
            Principal::Operator {
                session_id: Some(id),
                ..
            } => {
                session::Entity::update_many()
                    .col_expr(session::Column::LastSeenAt, Expr::value(now))
                    .col_expr(
                        session::Column::ExpiresAt,
                        Expr::value(now + self.domain.config.session_ttl),
                    )
                    .filter(session::Column::Id.eq(id))
                    .exec(&self.domain.db)
                    .await?;
            }
            Principal::ApiKey { id, .. } => {
                api_key::Entity::update_many()
                    .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
                    .filter(api_key::Column::Id.eq(id))
                    .exec(&self.domain.db)
                    .await?;
            }
            Principal::Operator { .. } => {}
        }
        Ok(())
    }

    /// Ends the caller's session. An API key has none: it is revoked by an administrator
    /// (`revokeApiKey`), and `signOut` with one is `FORBIDDEN` rather than a success that changes
    /// nothing.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn sign_out(self, actor: &Actor) -> Result<()> {
        if let Principal::ApiKey { .. } = actor.principal {
            return Err(DomainError::forbidden(
                "An API key has no session to end; an administrator revokes the key",
            ));
        }
        if let Principal::Operator {
            session_id: Some(id),
            ..
        } = actor.principal
        {
            let mut work = self.domain.begin_now().await?;
            end_sessions(&mut work, session::Column::Id.eq(id)).await?;
            self.domain.commit(work).await?;
        }
        Ok(())
    }
}

/// Ends the open sessions `which` selects, in the change: every instance forgets their tokens
/// as it commits.
pub(crate) async fn end_sessions(work: &mut Work, which: impl IntoCondition) -> Result<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(work.now))
        .filter(session::Column::RevokedAt.is_null())
        .filter(which)
        .exec(&work.tx)
        .await?;
    work.change_credentials();
    Ok(())
}

pub(crate) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}
