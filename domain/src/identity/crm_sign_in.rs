//! Sign-in through the CRM (A4): OAuth 2.0 authorization code with PKCE and a `state` check
//! against the CRM's identity service. The HTTP exchange with the identity service lives in
//! `omnipanel-integrations`; here are the pending sign-ins (in the database, so the callback may
//! reach any instance, each used once and for ten minutes at most) and how a CRM user maps to
//! an operator of the organization.

use chrono::Duration;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};

use crate::entity::{crm_connection, crm_sign_in, operator};
use crate::enums::OperatorStatus;
use crate::error::{DomainError, Result};
use crate::identity::sessions::SignedIn;
use crate::ids::OrganizationId;
use crate::presence::rules::change_status;
use crate::secret::token_digest;
use crate::service::Identity;

/// How long a user has to come back from the CRM's sign-in page.
const PENDING_FOR_MINUTES: i64 = 10;

/// Who the CRM says signed in (its `userinfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmUser {
    /// The CRM's stable user id (`sub`).
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
}

impl Identity<'_> {
    /// The CRM connection of an organization whose operators may sign in through it.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %organization_id))]
    pub async fn crm_sign_in_settings(
        self, organization_id: OrganizationId,
    ) -> Result<crm_connection::Model> {
        let connection = self
            .domain
            .crm()
            .saved_connection(organization_id)
            .await?
            .ok_or(DomainError::not_found("organization"))?;
        if !crate::crm::connection::offers_sign_in(&connection) {
            return Err(DomainError::validation(
                "organization",
                "This organization has not set up sign-in through its CRM",
            ));
        }
        Ok(connection)
    }

    /// Remembers a sign-in sent to the CRM: the digest of its `state` and its PKCE verifier.
    /// Sign-ins left unfinished are pruned here.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %organization_id))]
    pub async fn begin_crm_sign_in(
        self, organization_id: OrganizationId, state: &str, pkce_verifier: &str, popup: bool,
    ) -> Result<()> {
        let now = self.domain.now();
        crm_sign_in::Entity::delete_many()
            .filter(crm_sign_in::Column::ExpiresAt.lt(now))
            .exec(&self.domain.db)
            .await?;
        crm_sign_in::ActiveModel {
            state_digest: Set(token_digest(state)),
            organization_id: Set(organization_id),
            pkce_verifier: Set(pkce_verifier.to_owned()),
            popup: Set(popup),
            created_at: Set(now),
            expires_at: Set(now + Duration::minutes(PENDING_FOR_MINUTES)),
        }
        .insert(&self.domain.db)
        .await?;
        Ok(())
    }

    /// Takes the pending sign-in a callback's `state` names. It is deleted as it is taken, so a
    /// state works once; an unknown, used or expired one is refused.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn finish_crm_sign_in(self, state: &str) -> Result<crm_sign_in::Model> {
        let digest = token_digest(state);
        let tx = self.domain.write().await?;
        let pending = crm_sign_in::Entity::find_by_id(digest.clone())
            .one(&tx)
            .await?
            .ok_or_else(|| {
                DomainError::Unauthenticated(
                    "This sign-in is unknown or was already used; start again".into(),
                )
            })?;
        crm_sign_in::Entity::delete_by_id(digest).exec(&tx).await?;
        tx.commit().await?;
        if pending.expires_at < self.domain.now() {
            return Err(DomainError::Unauthenticated(
                "The sign-in took too long; start again".into(),
            ));
        }
        Ok(pending)
    }

    /// Starts a session for the operator the CRM user is: the one linked to that CRM user, or
    /// else the organization's operator with the same e-mail, who is linked from now on. Anyone
    /// else is refused.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %organization_id))]
    pub async fn sign_in_crm_user(
        self, organization_id: OrganizationId, user: &CrmUser, client_address: Option<&str>,
    ) -> Result<SignedIn> {
        let refused = || {
            DomainError::forbidden(
                "Your CRM account is not an operator of this organization; ask an administrator to invite you",
            )
        };
        let now = self.domain.now();
        let mut work = self.domain.begin(now).await?;
        let linked = operator::Entity::find()
            .filter(operator::Column::OrganizationId.eq(organization_id))
            .filter(operator::Column::CrmUserId.eq(&user.subject))
            .one(&work.tx)
            .await?;
        let found = match linked {
            Some(found) => found,
            None => {
                let email = user.email.as_deref().map(|e| e.trim().to_lowercase());
                let Some(email) = email.filter(|e| !e.is_empty()) else {
                    return Err(refused());
                };
                let by_email = operator::Entity::find()
                    .filter(operator::Column::OrganizationId.eq(organization_id))
                    .filter(operator::Column::Email.eq(email))
                    .filter(operator::Column::CrmUserId.is_null())
                    .one(&work.tx)
                    .await?
                    .ok_or_else(refused)?;
                let mut model: operator::ActiveModel = by_email.into();
                model.crm_user_id = Set(Some(user.subject.clone()));
                model.update(&work.tx).await?
            }
        };
        if found.archived_at.is_some() {
            return Err(refused());
        }
        let found = if found.status == OperatorStatus::Offline {
            change_status(&mut work, &found, OperatorStatus::Online, None).await?
        } else {
            found
        };
        let token = self
            .create_session(&work.tx, &found, client_address)
            .await?;
        self.domain.commit(work).await?;
        Ok(SignedIn {
            token,
            operator: found,
        })
    }
}
