//! The built-in CRM: contacts, accounts, cases ("CS-00001", numbered per organization) and
//! activities in Omnipanel's own tables, every query scoped to its organization. It is the
//! default connector, and the demo's.

use sea_orm::ActiveValue::Set;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PrimaryKeyTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use std::sync::Arc;

use crate::customer::normalize_phone;
use crate::entity::{
    crm_connection, crm_local_account, crm_local_activity, crm_local_case, crm_local_contact,
    organization,
};
use crate::enums::CrmKind;
use crate::error::{DomainError, Result};
use crate::ids::*;

use crate::ports::crm::{
    ConnectorContext, ContactQuery, CrmAccount, CrmActivity, CrmCase, CrmConnector, CrmConnectors,
    CrmContact, NewActivity, NewCase, NewContact,
};
use crate::store::{Owned, begin_write, contains_text, next_number};

/// The connectors a bare domain has: the local CRM only. The server plugs in
/// `omnipanel_integrations::Connectors`, which adds Creatio.
pub struct LocalOnly;

impl CrmConnectors for LocalOnly {
    fn connector(
        &self, context: &ConnectorContext, connection: &crm_connection::Model,
    ) -> Result<Arc<dyn CrmConnector>> {
        match connection.kind {
            CrmKind::Local => Ok(Arc::new(LocalCrm::new(
                context.clone(),
                connection.organization_id,
            ))),
            other => Err(DomainError::Upstream(format!(
                "This server has no {} connector",
                other.as_str()
            ))),
        }
    }
}

/// The built-in CRM: contacts, accounts, cases and activities in Omnipanel's own database, so
/// that everything works with no external system. Every query is scoped to one organization.
pub struct LocalCrm {
    context: ConnectorContext,
    organization_id: OrganizationId,
}

impl LocalCrm {
    pub fn new(context: ConnectorContext, organization_id: OrganizationId) -> Self {
        Self {
            context,
            organization_id,
        }
    }

    fn contact_of(row: crm_local_contact::Model) -> CrmContact {
        CrmContact {
            id: row.id.to_string(),
            name: row.name,
            phone: row.phone,
            email: row.email,
            account_id: row.account_id.map(|id| id.to_string()),
        }
    }

    fn case_of(row: crm_local_case::Model) -> CrmCase {
        CrmCase {
            id: row.id.to_string(),
            number: row.number,
            subject: row.subject,
            status: Some(row.status),
            contact_id: row.contact_id.map(|id| id.to_string()),
            account_id: row.account_id.map(|id| id.to_string()),
            created_at: Some(row.created_at),
        }
    }

    /// A local id from its text; text that is no id names no record.
    fn id<T: std::str::FromStr>(text: &str) -> Option<T> {
        text.parse().ok()
    }

    /// The organization's record of `E` that the text `id` names; none for text that is no
    /// such id, and for another organization's record.
    async fn row<E: Owned>(&self, id: &str) -> Result<Option<E::Model>>
    where
        <E::PrimaryKey as PrimaryKeyTrait>::ValueType: std::str::FromStr,
    {
        let Some(id) = Self::id::<<E::PrimaryKey as PrimaryKeyTrait>::ValueType>(id) else {
            return Ok(None);
        };
        Ok(E::find_by_id(id)
            .filter(E::ORGANIZATION.eq(self.organization_id))
            .one(&self.context.db)
            .await?)
    }

    async fn contact_row(&self, id: &str) -> Result<Option<crm_local_contact::Model>> {
        self.row::<crm_local_contact::Entity>(id).await
    }
}

/// The local CRM's contacts matching `query`, read on `db` (a transaction's own connection
/// when matching happens inside one).
pub(crate) async fn find_local_contacts(
    db: &impl ConnectionTrait, organization_id: OrganizationId, query: &ContactQuery, limit: u32,
) -> Result<Vec<CrmContact>> {
    let condition = match query {
        ContactQuery::Phone(phone) => {
            Condition::all().add(crm_local_contact::Column::Phone.eq(phone))
        }
        ContactQuery::Email(email) => {
            Condition::all().add(crm_local_contact::Column::Email.eq(email))
        }
        ContactQuery::MessengerId(id) => {
            Condition::all().add(crm_local_contact::Column::MessengerId.eq(id))
        }
        ContactQuery::Text(text) => Condition::any()
            .add(contains_text(crm_local_contact::Column::Name, text))
            .add(contains_text(crm_local_contact::Column::Email, text)),
    };
    let rows = crm_local_contact::Entity::find()
        .filter(crm_local_contact::Column::OrganizationId.eq(organization_id))
        .filter(condition)
        .order_by_asc(crm_local_contact::Column::Name)
        .order_by_asc(crm_local_contact::Column::Id)
        .limit(u64::from(limit))
        .all(db)
        .await?;
    Ok(rows.into_iter().map(LocalCrm::contact_of).collect())
}

#[async_trait::async_trait]
impl CrmConnector for LocalCrm {
    async fn find_contacts(&self, query: &ContactQuery, limit: u32) -> Result<Vec<CrmContact>> {
        find_local_contacts(&self.context.db, self.organization_id, query, limit).await
    }

    async fn contact(&self, id: &str) -> Result<Option<CrmContact>> {
        Ok(self.contact_row(id).await?.map(Self::contact_of))
    }

    async fn create_contact(&self, contact: &NewContact) -> Result<CrmContact> {
        let account_id = match &contact.account_id {
            Some(id) => Some(
                self.account(id)
                    .await?
                    .and_then(|a| Self::id::<LocalAccountId>(&a.id))
                    .ok_or_else(|| DomainError::validation("accountId", "No such account"))?,
            ),
            None => None,
        };
        let row = crm_local_contact::ActiveModel {
            id: Set(LocalContactId::new()),
            organization_id: Set(self.organization_id),
            account_id: Set(account_id),
            name: Set(contact.name.clone()),
            phone: Set(contact.phone.as_deref().and_then(normalize_phone)),
            email: Set(contact.email.as_ref().map(|e| e.trim().to_lowercase())),
            messenger_id: Set(contact.messenger_id.clone()),
            created_at: Set(self.context.clock.now()),
        }
        .insert(&self.context.db)
        .await?;
        Ok(Self::contact_of(row))
    }

    async fn account(&self, id: &str) -> Result<Option<CrmAccount>> {
        Ok(self
            .row::<crm_local_account::Entity>(id)
            .await?
            .map(|row| CrmAccount {
                id: row.id.to_string(),
                name: row.name,
            }))
    }

    async fn contact_cases(&self, contact_id: &str) -> Result<Vec<CrmCase>> {
        let Some(id) = Self::id::<LocalContactId>(contact_id) else {
            return Ok(Vec::new());
        };
        let rows = crm_local_case::Entity::find()
            .filter(crm_local_case::Column::OrganizationId.eq(self.organization_id))
            .filter(crm_local_case::Column::ContactId.eq(id))
            .order_by_desc(crm_local_case::Column::CreatedAt)
            .order_by_desc(crm_local_case::Column::Id)
            .limit(100)
            .all(&self.context.db)
            .await?;
        Ok(rows.into_iter().map(Self::case_of).collect())
    }

    async fn case(&self, id: &str) -> Result<Option<CrmCase>> {
        Ok(self
            .row::<crm_local_case::Entity>(id)
            .await?
            .map(Self::case_of))
    }

    async fn create_case(&self, case: &NewCase) -> Result<CrmCase> {
        let contact_id = case
            .contact_id
            .as_deref()
            .and_then(Self::id::<LocalContactId>);
        let account_id = case
            .account_id
            .as_deref()
            .and_then(Self::id::<LocalAccountId>);
        let tx = begin_write(&self.context.db).await?;
        let seq = next_number(&tx, self.organization_id, organization::Column::CaseSeq).await?;
        let row = crm_local_case::ActiveModel {
            id: Set(LocalCaseId::new()),
            organization_id: Set(self.organization_id),
            number: Set(format!("CS-{seq:05}")),
            subject: Set(case.subject.clone()),
            description: Set(case.description.clone()),
            contact_id: Set(contact_id),
            account_id: Set(account_id),
            status: Set("NEW".into()),
            created_at: Set(self.context.clock.now()),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(Self::case_of(row))
    }

    async fn activity(&self, id: &str) -> Result<Option<CrmActivity>> {
        Ok(self
            .row::<crm_local_activity::Entity>(id)
            .await?
            .map(|row| CrmActivity {
                id: row.id.to_string(),
                title: row.title,
            }))
    }

    async fn create_activity(&self, activity: &NewActivity) -> Result<CrmActivity> {
        let row = crm_local_activity::ActiveModel {
            id: Set(LocalActivityId::new()),
            organization_id: Set(self.organization_id),
            title: Set(activity.title.clone()),
            contact_id: Set(activity
                .contact_id
                .as_deref()
                .and_then(Self::id::<LocalContactId>)),
            chat_id: Set(Some(activity.chat_id)),
            created_at: Set(self.context.clock.now()),
        }
        .insert(&self.context.db)
        .await?;
        Ok(CrmActivity {
            id: row.id.to_string(),
            title: row.title,
        })
    }

    async fn run_process(&self, name: &str, _parameters: &[(&str, String)]) -> Result<()> {
        Err(DomainError::Upstream(format!(
            "The local CRM runs no business processes (asked for {name})"
        )))
    }

    async fn first_contact(&self) -> Result<Option<CrmContact>> {
        let first = crm_local_contact::Entity::find()
            .filter(crm_local_contact::Column::OrganizationId.eq(self.organization_id))
            .order_by_asc(crm_local_contact::Column::Name)
            .one(&self.context.db)
            .await?;
        Ok(first.map(Self::contact_of))
    }
}
