//! Organizations, operators, sign-in, sessions, invitations and API keys (A1–A5).

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use validator::Validate;

use crate::actor::{Actor, Principal};
use crate::entity::{
    api_key, crm_connection, invitation, operator, operator_credential, organization,
    organization_settings, session, wrap_up_reason,
};
use crate::enums::{ApiKeyScope, CrmKind, OperatorStatus, Role};
use crate::error::{DomainError, Result, conflict_on_unique};
use crate::events::Outbox;
use crate::ids::{ApiKeyId, InvitationId, OperatorId, OrganizationId, SessionId, WrapUpReasonId};
use crate::presence;
use crate::secret::{self, prefix};
use crate::service::Domain;
use crate::settings;
use crate::throttle;
use crate::validate::{check, clean, single_line};

/// The name of the system wrap-up reason automatic closes use (D11).
pub const SYSTEM_WRAP_UP_REASON: &str = "Closed automatically";

/// A new organization with its owner (the `omnipanel org create` command).
#[derive(Clone, Debug, Validate)]
pub struct CreateOrganization {
    #[validate(length(min = 1, max = 200), custom(function = "single_line"))]
    pub name: String,
    #[validate(email, length(max = 254))]
    pub owner_email: String,
    #[validate(length(min = 8, max = 256))]
    pub owner_password: String,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub owner_first_name: String,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub owner_last_name: String,
}

/// What `org create` prints.
#[derive(Clone, Debug, Serialize)]
pub struct CreatedOrganization {
    pub organization_id: OrganizationId,
    pub owner_id: OperatorId,
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

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct InviteOperatorInput {
    /// Where the invitation goes; it becomes the operator's sign-in e-mail.
    #[validate(email, length(max = 254))]
    pub email: String,
    /// The role the operator will have (at most the inviter's own).
    pub role: Role,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct AcceptInvitationInput {
    /// The token from the invitation link.
    #[validate(length(min = 1, max = 200))]
    pub token: String,
    /// At least 8 characters.
    #[validate(length(min = 8, max = 256))]
    pub password: String,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub first_name: String,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub last_name: String,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateMyProfileInput {
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub first_name: Option<String>,
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub last_name: Option<String>,
    /// A new password; needs `currentPassword`.
    #[validate(length(min = 8, max = 256))]
    pub new_password: Option<String>,
    #[validate(length(min = 1, max = 256))]
    pub current_password: Option<String>,
}

#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateApiKeyInput {
    pub scope: ApiKeyScope,
    /// A label to tell keys apart ("Chatbot production").
    #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
    pub name: String,
}

/// A new session: the token (shown once) and its operator.
pub struct SignedIn {
    pub token: String,
    pub operator: operator::Model,
}

/// A new invitation: the token (shown once) and the link that carries it.
pub struct Invited {
    pub invitation: invitation::Model,
    pub token: String,
    pub link: String,
}

/// A new API key: the key (shown once) and its record.
pub struct CreatedApiKey {
    pub key: String,
    pub record: api_key::Model,
}

fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl Domain {
    /// Creates an organization, its default settings, its owner and the system dictionaries.
    pub async fn create_organization(
        &self,
        input: CreateOrganization,
    ) -> Result<CreatedOrganization> {
        check(&input)?;
        let now = self.now();
        let organization_id = OrganizationId::new();
        let tx = self.write().await?;
        organization::ActiveModel {
            id: Set(organization_id),
            name: Set(clean(&input.name)),
            chat_seq: Set(0),
            outgoing_chat_seq: Set(0),
            customer_seq: Set(0),
            case_seq: Set(0),
            event_seq: Set(0),
            created_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&tx)
        .await?;
        settings::defaults(organization_id, now).insert(&tx).await?;
        crm_connection::ActiveModel {
            organization_id: Set(organization_id),
            kind: Set(CrmKind::Local),
            base_url: Set(None),
            identity_url: Set(None),
            odata_path: Set(None),
            client_id: Set(None),
            client_secret: Set(None),
            case_origin_id: Set(None),
            case_status_id: Set(None),
            oauth_client_id: Set(None),
            oauth_client_secret: Set(None),
            close_process_name: Set(None),
            oauth_scopes: Set(None),
            updated_at: Set(now),
        }
        .insert(&tx)
        .await?;
        wrap_up_reason::ActiveModel {
            id: Set(WrapUpReasonId::new()),
            organization_id: Set(organization_id),
            name: Set(SYSTEM_WRAP_UP_REASON.into()),
            is_system: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(&tx)
        .await?;
        let owner = self
            .insert_operator(
                &tx,
                organization_id,
                &normalize_email(&input.owner_email),
                &input.owner_first_name,
                &input.owner_last_name,
                Role::Owner,
                &input.owner_password,
            )
            .await?;
        tx.commit().await?;
        Ok(CreatedOrganization {
            organization_id,
            owner_id: owner.id,
        })
    }

    /// Inserts an operator with a password; a taken e-mail is `CONFLICT`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn insert_operator(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        organization_id: OrganizationId,
        email: &str,
        first_name: &str,
        last_name: &str,
        role: Role,
        password: &str,
    ) -> Result<operator::Model> {
        let now = self.now();
        let max_chats = organization_settings::Entity::find_by_id(organization_id)
            .one(db)
            .await?
            .map_or(3, |s| s.default_max_chats);
        let password_hash = secret::hash_password(password)?;
        let created = operator::ActiveModel {
            id: Set(OperatorId::new()),
            organization_id: Set(organization_id),
            email: Set(email.to_owned()),
            first_name: Set(clean(first_name)),
            last_name: Set(clean(last_name)),
            role: Set(role),
            status: Set(OperatorStatus::Offline),
            custom_status_id: Set(None),
            status_since: Set(now),
            next_status: Set(None),
            next_custom_status_id: Set(None),
            max_chats: Set(max_chats),
            active_chats: Set(0),
            on_call: Set(false),
            last_activity_at: Set(None),
            last_assigned_at: Set(None),
            away_due_at: Set(None),
            after_work_until: Set(None),
            crm_user_id: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            archived_at: Set(None),
        }
        .insert(db)
        .await
        .map_err(|e| conflict_on_unique(e, "An operator with this e-mail already exists"))?;
        operator_credential::ActiveModel {
            operator_id: Set(created.id),
            password_hash: Set(password_hash),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        Ok(created)
    }

    /// Signs in with e-mail and password. Failures are throttled per account and per client
    /// address; an unknown e-mail and a wrong password are refused alike.
    pub async fn sign_in(
        &self,
        input: SignInInput,
        client_address: Option<&str>,
    ) -> Result<SignedIn> {
        check(&input)?;
        let email = normalize_email(&input.email);
        let now = self.now();
        let mut keys = vec![throttle::account_key(&email)];
        if let Some(address) = client_address {
            keys.push(throttle::address_key(address));
        }
        throttle::check(&self.db, &keys, now).await?;

        let found = operator::Entity::find()
            .filter(operator::Column::Email.eq(&email))
            .filter(operator::Column::ArchivedAt.is_null())
            .one(&self.db)
            .await?;
        let credential = match &found {
            Some(op) => {
                operator_credential::Entity::find_by_id(op.id)
                    .one(&self.db)
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

        let policy = &self.config.throttle;
        let (Some(op), true) = (found, matches && credential.is_some()) else {
            let tx = self.write().await?;
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

        let tx = self.write().await?;
        throttle::clear(&tx, keys[0].clone()).await?;
        let mut outbox = Outbox::new();
        let op = if op.status == OperatorStatus::Offline {
            presence::change_status(&tx, &mut outbox, &op, OperatorStatus::Online, None, now)
                .await?
        } else {
            op
        };
        let token = self.create_session(&tx, &op, client_address).await?;
        self.commit(tx, outbox).await?;
        Ok(SignedIn {
            token,
            operator: op,
        })
    }

    pub(crate) async fn create_session(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        op: &operator::Model,
        client_address: Option<&str>,
    ) -> Result<String> {
        let now = self.now();
        let token = secret::generate_token(prefix::SESSION);
        session::ActiveModel {
            id: Set(SessionId::new()),
            organization_id: Set(op.organization_id),
            operator_id: Set(op.id),
            token_hash: Set(secret::token_digest(&token)),
            created_at: Set(now),
            expires_at: Set(now + self.config.session_ttl),
            last_seen_at: Set(now),
            client_address: Set(client_address.map(|a| a.chars().take(64).collect())),
            revoked_at: Set(None),
        }
        .insert(db)
        .await?;
        Ok(token)
    }

    /// Resolves a bearer token (a session token or an API key) to the actor it stands for.
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        let invalid =
            || DomainError::Unauthenticated("The token is not valid or has expired".into());
        let now = self.now();
        let digest = secret::token_digest(token);
        if token.starts_with(prefix::SESSION) {
            let Some(found) = session::Entity::find()
                .filter(session::Column::TokenHash.eq(&digest))
                .one(&self.db)
                .await?
            else {
                return Err(invalid());
            };
            if found.revoked_at.is_some() || found.expires_at <= now {
                return Err(invalid());
            }
            let op = operator::Entity::find_by_id(found.operator_id)
                .filter(operator::Column::ArchivedAt.is_null())
                .one(&self.db)
                .await?
                .ok_or_else(invalid)?;
            // Sliding expiry, written at most once a minute per session.
            if now - found.last_seen_at > Duration::minutes(1) {
                session::Entity::update_many()
                    .col_expr(session::Column::LastSeenAt, Expr::value(now))
                    .col_expr(
                        session::Column::ExpiresAt,
                        Expr::value(now + self.config.session_ttl),
                    )
                    .filter(session::Column::Id.eq(found.id))
                    .exec(&self.db)
                    .await?;
            }
            Ok(Actor {
                organization_id: op.organization_id,
                principal: Principal::Operator {
                    id: op.id,
                    role: op.role,
                    session_id: Some(found.id),
                },
            })
        } else if token.starts_with(prefix::API_KEY) {
            let key = api_key::Entity::find()
                .filter(api_key::Column::KeyHash.eq(&digest))
                .filter(api_key::Column::RevokedAt.is_null())
                .one(&self.db)
                .await?
                .ok_or_else(invalid)?;
            if key
                .last_used_at
                .is_none_or(|at| now - at > Duration::minutes(1))
            {
                api_key::Entity::update_many()
                    .col_expr(api_key::Column::LastUsedAt, Expr::value(now))
                    .filter(api_key::Column::Id.eq(key.id))
                    .exec(&self.db)
                    .await?;
            }
            Ok(Actor {
                organization_id: key.organization_id,
                principal: Principal::ApiKey {
                    id: key.id,
                    scope: key.scope,
                },
            })
        } else {
            Err(invalid())
        }
    }

    /// Ends the caller's session.
    pub async fn sign_out(&self, actor: &Actor) -> Result<()> {
        if let Principal::Operator {
            session_id: Some(id),
            ..
        } = actor.principal
        {
            session::Entity::update_many()
                .col_expr(session::Column::RevokedAt, Expr::value(self.now()))
                .filter(session::Column::Id.eq(id))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// An operator of the caller's organization; any other is `NOT_FOUND`.
    pub async fn operator(&self, actor: &Actor, id: OperatorId) -> Result<operator::Model> {
        operator::Entity::find_by_id(id)
            .filter(operator::Column::OrganizationId.eq(actor.organization_id))
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("operator"))
    }

    /// The signed-in operator.
    pub async fn me(&self, actor: &Actor) -> Result<operator::Model> {
        let (id, _) = actor.operator()?;
        self.operator(actor, id).await
    }

    /// Invites someone to the organization (A3). Admins invite; nobody invites above their role.
    pub async fn invite_operator(
        &self,
        actor: &Actor,
        input: InviteOperatorInput,
    ) -> Result<Invited> {
        actor.require_admin()?;
        check(&input)?;
        let invited_by = actor.operator()?.0;
        let own_role = actor.operator()?.1;
        if !own_role.at_least(input.role) {
            return Err(DomainError::forbidden(
                "You cannot invite someone with a role above your own",
            ));
        }
        let email = normalize_email(&input.email);
        let taken = operator::Entity::find()
            .filter(operator::Column::Email.eq(&email))
            .one(&self.db)
            .await?
            .is_some();
        if taken {
            return Err(DomainError::conflict(
                "An operator with this e-mail already exists",
            ));
        }
        let now = self.now();
        let token = secret::generate_token(prefix::INVITATION);
        let created = invitation::ActiveModel {
            id: Set(InvitationId::new()),
            organization_id: Set(actor.organization_id),
            email: Set(email),
            role: Set(input.role),
            token_hash: Set(secret::token_digest(&token)),
            invited_by: Set(invited_by),
            created_at: Set(now),
            expires_at: Set(now + self.config.invitation_ttl),
            accepted_at: Set(None),
            accepted_operator_id: Set(None),
        }
        .insert(&self.db)
        .await?;
        let mut link = self
            .config
            .public_url
            .join("widget/")
            .map_err(|e| DomainError::Internal(e.to_string()))?;
        link.set_fragment(Some(&format!("/accept-invitation?token={token}")));
        Ok(Invited {
            invitation: created,
            token,
            link: link.to_string(),
        })
    }

    /// Accepts an invitation: creates the operator and signs them in.
    pub async fn accept_invitation(&self, input: AcceptInvitationInput) -> Result<SignedIn> {
        check(&input)?;
        let now = self.now();
        let invalid = || {
            DomainError::validation(
                "token",
                "The invitation is not valid, already used or expired",
            )
        };
        let found = invitation::Entity::find()
            .filter(invitation::Column::TokenHash.eq(secret::token_digest(&input.token)))
            .one(&self.db)
            .await?
            .ok_or_else(invalid)?;
        if found.accepted_at.is_some() || found.expires_at <= now {
            return Err(invalid());
        }
        let tx = self.write().await?;
        let op = self
            .insert_operator(
                &tx,
                found.organization_id,
                &found.email,
                &input.first_name,
                &input.last_name,
                found.role,
                &input.password,
            )
            .await?;
        // Only one acceptance wins, even when two race.
        let claimed = invitation::Entity::update_many()
            .col_expr(invitation::Column::AcceptedAt, Expr::value(now))
            .col_expr(invitation::Column::AcceptedOperatorId, Expr::value(op.id))
            .filter(invitation::Column::Id.eq(found.id))
            .filter(invitation::Column::AcceptedAt.is_null())
            .exec(&tx)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(invalid());
        }
        let mut outbox = Outbox::new();
        let op = presence::change_status(&tx, &mut outbox, &op, OperatorStatus::Online, None, now)
            .await?;
        let token = self.create_session(&tx, &op, None).await?;
        self.commit(tx, outbox).await?;
        Ok(SignedIn {
            token,
            operator: op,
        })
    }

    /// Changes the caller's own name or password.
    pub async fn update_my_profile(
        &self,
        actor: &Actor,
        input: UpdateMyProfileInput,
    ) -> Result<operator::Model> {
        check(&input)?;
        let me = self.me(actor).await?;
        let now = self.now();
        let tx = self.write().await?;
        if let Some(new_password) = &input.new_password {
            let current = input.current_password.as_deref().ok_or_else(|| {
                DomainError::validation("currentPassword", "is required to set a new password")
            })?;
            let credential = operator_credential::Entity::find_by_id(me.id)
                .one(&tx)
                .await?
                .ok_or_else(|| DomainError::Internal("operator without credentials".into()))?;
            if !secret::verify_password(current, &credential.password_hash) {
                return Err(DomainError::validation(
                    "currentPassword",
                    "is not your current password",
                ));
            }
            operator_credential::ActiveModel {
                operator_id: Set(me.id),
                password_hash: Set(secret::hash_password(new_password)?),
                updated_at: Set(now),
            }
            .update(&tx)
            .await?;
        }
        let mut model: operator::ActiveModel = me.into();
        if let Some(first) = &input.first_name {
            model.first_name = Set(clean(first));
        }
        if let Some(last) = &input.last_name {
            model.last_name = Set(clean(last));
        }
        model.updated_at = Set(now);
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Creates an API key (A5). The key is returned once; only its digest is kept.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        input: CreateApiKeyInput,
    ) -> Result<CreatedApiKey> {
        actor.require_admin()?;
        check(&input)?;
        self.insert_api_key(actor.organization_id, input, actor.operator_id())
            .await
    }

    /// Creates an API key without a caller (the `omnipanel api-key create` command).
    pub async fn insert_api_key(
        &self,
        organization_id: OrganizationId,
        input: CreateApiKeyInput,
        created_by: Option<OperatorId>,
    ) -> Result<CreatedApiKey> {
        check(&input)?;
        organization::Entity::find_by_id(organization_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("organization"))?;
        let key = secret::generate_token(prefix::API_KEY);
        let record = api_key::ActiveModel {
            id: Set(ApiKeyId::new()),
            organization_id: Set(organization_id),
            name: Set(clean(&input.name)),
            scope: Set(input.scope),
            key_hash: Set(secret::token_digest(&key)),
            key_prefix: Set(key.chars().take(10).collect()),
            created_by: Set(created_by),
            created_at: Set(self.now()),
            last_used_at: Set(None),
            revoked_at: Set(None),
        }
        .insert(&self.db)
        .await?;
        Ok(CreatedApiKey { key, record })
    }

    /// The organization's API keys (never the keys themselves).
    pub async fn api_keys(&self, actor: &Actor) -> Result<Vec<api_key::Model>> {
        actor.require_admin()?;
        Ok(api_key::Entity::find()
            .filter(api_key::Column::OrganizationId.eq(actor.organization_id))
            .all(&self.db)
            .await?)
    }

    /// Revokes an API key.
    pub async fn revoke_api_key(&self, actor: &Actor, id: ApiKeyId) -> Result<api_key::Model> {
        actor.require_admin()?;
        let found = api_key::Entity::find_by_id(id)
            .filter(api_key::Column::OrganizationId.eq(actor.organization_id))
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("API key"))?;
        let mut model: api_key::ActiveModel = found.into();
        model.revoked_at = Set(Some(self.now()));
        Ok(model.update(&self.db).await?)
    }
}
