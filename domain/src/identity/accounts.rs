//! Organizations and their operators' accounts (A1, A2): creating an organization with its owner,
//! invitations and signing up from one, one's own profile.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter};
use serde::Serialize;
use validator::Validate;

use crate::actor::{Actor, Principal};
use crate::admin::settings::{self};
use crate::entity::{
    crm_connection, invitation, operator, operator_credential, organization, organization_settings,
    session, wrap_up_reason,
};
use crate::enums::{CrmKind, OperatorStatus, Role};
use crate::error::{DomainError, Result, conflict_on_unique};
use crate::identity::sessions::{SignedIn, end_sessions, normalize_email};
use crate::ids::{InvitationId, OperatorId, OrganizationId, WrapUpReasonId};
use crate::presence::rules::change_status;
use crate::secret::{self, prefix};
use crate::service::Identity;
use crate::store::find_own;
use crate::validate::{check, check_admin, clean, single_line};

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

/// A new invitation: the token (shown once) and the link that carries it.
pub struct Invited {
    pub invitation: invitation::Model,
    pub token: String,
    pub link: String,
}

impl Identity<'_> {
    /// Creates an organization, its default settings, its owner and the system dictionaries.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn create_organization(
        self, input: CreateOrganization,
    ) -> Result<CreatedOrganization> {
        check(&input)?;
        let now = self.domain.now();
        let organization_id = OrganizationId::new();
        let tx = self.domain.write().await?;
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
        self, db: &impl sea_orm::ConnectionTrait, organization_id: OrganizationId, email: &str,
        first_name: &str, last_name: &str, role: Role, password: &str,
    ) -> Result<operator::Model> {
        let now = self.domain.now();
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

    /// An operator of the caller's organization; any other is `NOT_FOUND`.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn operator(self, actor: &Actor, id: OperatorId) -> Result<operator::Model> {
        find_own::<operator::Entity>(&self.domain.db, actor, id).await
    }

    /// The signed-in operator.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn me(self, actor: &Actor) -> Result<operator::Model> {
        let (id, _) = actor.operator()?;
        self.operator(actor, id).await
    }

    /// Invites someone to the organization (A3). Admins invite; nobody invites above their role.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn invite_operator(
        self, actor: &Actor, input: InviteOperatorInput,
    ) -> Result<Invited> {
        check_admin(actor, &input)?;
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
            .one(&self.domain.db)
            .await?
            .is_some();
        if taken {
            return Err(DomainError::conflict(
                "An operator with this e-mail already exists",
            ));
        }
        let now = self.domain.now();
        let token = secret::generate_token(prefix::INVITATION);
        let created = invitation::ActiveModel {
            id: Set(InvitationId::new()),
            organization_id: Set(actor.organization_id),
            email: Set(email),
            role: Set(input.role),
            token_hash: Set(secret::token_digest(&token)),
            invited_by: Set(invited_by),
            created_at: Set(now),
            expires_at: Set(now + self.domain.config.invitation_ttl),
            accepted_at: Set(None),
            accepted_operator_id: Set(None),
        }
        .insert(&self.domain.db)
        .await?;
        let mut link = self
            .domain
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

    /// The open invitation a token carries, for the sign-up page: anyone holding the token
    /// (its only secret) may read whom it invites. Used or expired, it is `VALIDATION`.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn open_invitation(self, token: &str) -> Result<invitation::Model> {
        let found = invitation::Entity::find()
            .filter(invitation::Column::TokenHash.eq(secret::token_digest(token)))
            .one(&self.domain.db)
            .await?
            .filter(|found| found.accepted_at.is_none() && found.expires_at > self.domain.now());
        found.ok_or_else(|| {
            DomainError::validation(
                "token",
                "The invitation is not valid, already used or expired",
            )
        })
    }

    /// Accepts an invitation: creates the operator and signs them in.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn accept_invitation(self, input: AcceptInvitationInput) -> Result<SignedIn> {
        check(&input)?;
        let now = self.domain.now();
        let invalid = || {
            DomainError::validation(
                "token",
                "The invitation is not valid, already used or expired",
            )
        };
        let found = self.open_invitation(&input.token).await?;
        let mut work = self.domain.begin(now).await?;
        let op = self
            .insert_operator(
                &work.tx,
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
            .exec(&work.tx)
            .await?;
        if claimed.rows_affected != 1 {
            return Err(invalid());
        }
        let op = change_status(&mut work, &op, OperatorStatus::Online, None).await?;
        let token = self.create_session(&work.tx, &op, None).await?;
        self.domain.commit(work).await?;
        Ok(SignedIn {
            token,
            operator: op,
        })
    }

    /// Changes the caller's own name or password. A new password ends the caller's other
    /// sessions (another browser, a device left signed in) on every instance as it commits;
    /// the session that changed it stays signed in.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn update_my_profile(
        self, actor: &Actor, input: UpdateMyProfileInput,
    ) -> Result<operator::Model> {
        check(&input)?;
        let me = self.me(actor).await?;
        let mut work = self.domain.begin_now().await?;
        let now = work.now;
        if let Some(new_password) = &input.new_password {
            let current = input.current_password.as_deref().ok_or_else(|| {
                DomainError::validation("currentPassword", "is required to set a new password")
            })?;
            let credential = operator_credential::Entity::find_by_id(me.id)
                .one(&work.tx)
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
            .update(&work.tx)
            .await?;
            let mut others = Condition::all().add(session::Column::OperatorId.eq(me.id));
            if let Principal::Operator {
                session_id: Some(mine),
                ..
            } = actor.principal
            {
                others = others.add(session::Column::Id.ne(mine));
            }
            end_sessions(&mut work, others).await?;
        }
        let mut model: operator::ActiveModel = me.into();
        if let Some(first) = &input.first_name {
            model.first_name = Set(clean(first));
        }
        if let Some(last) = &input.last_name {
            model.last_name = Set(clean(last));
        }
        model.updated_at = Set(now);
        let updated = model.update(&work.tx).await?;
        self.domain.answer(work, updated).await
    }
}
