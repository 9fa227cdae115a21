//! The CRM side of a chat (H1 to H5, D10): the connector port every CRM implements, the built-in
//! local CRM, and the services that find, link and create CRM records from chats.
//!
//! A CRM call is never made inside a database transaction: a slow CRM must not hold chat locks.
//! A service first reads and checks what it needs, then calls the CRM, then changes the chat in
//! one short transaction with the events it causes. When the CRM fails, nothing local changes.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;
use validator::{Validate, ValidationError};

use crate::actor::{Actor, Principal};
use crate::customer::{self, CustomerInput, normalize_phone};
use crate::entity::{
    chat, crm_connection, crm_local_account, crm_local_activity, crm_local_case, crm_local_contact,
    customer as customer_entity, message, organization,
};
use crate::enums::{ApiKeyScope, AuthorKind, ChatSource, CrmKind, EventKind};
use crate::error::{DomainError, Result};
use crate::events::Outbox;
use crate::history::contains_text;
use crate::ids::*;
use crate::routing::lock_chat;
use crate::service::Domain;
use crate::validate::{check, http_url, single_line};

/// A CRM contact (Creatio's `Contact`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmContact {
    pub id: String,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub account_id: Option<String>,
}

/// A CRM account (Creatio's `Account`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmAccount {
    pub id: String,
    pub name: String,
}

/// A CRM case (Creatio's `Case`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmCase {
    pub id: String,
    /// The number people quote ("SR00017").
    pub number: String,
    pub subject: String,
    /// The status as the CRM names or identifies it.
    pub status: Option<String>,
    pub contact_id: Option<String>,
    pub account_id: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A CRM activity (Creatio's `Activity`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmActivity {
    pub id: String,
    pub title: String,
}

/// How to look a contact up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactQuery {
    /// A normalized phone number (`+` and digits).
    Phone(String),
    /// A lower-case e-mail address.
    Email(String),
    /// A messenger's user id.
    MessengerId(String),
    /// Free text searched in names.
    Text(String),
}

impl ContactQuery {
    /// What an operator typed into the contact search: an e-mail, a phone number, or a name.
    pub fn parse(search: &str) -> Result<Self> {
        let search = search.trim();
        let length = search.chars().count();
        if !(2..=200).contains(&length) || search.chars().any(char::is_control) {
            return Err(DomainError::validation(
                "search",
                "must be 2 to 200 characters on one line",
            ));
        }
        if !search.starts_with('@') && validator::ValidateEmail::validate_email(&search) {
            return Ok(Self::Email(search.to_lowercase()));
        }
        if let Some(phone) = normalize_phone(search) {
            return Ok(Self::Phone(phone));
        }
        Ok(Self::Text(search.trim_start_matches('@').to_owned()))
    }
}

/// A contact to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewContact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub messenger_id: Option<String>,
    pub account_id: Option<String>,
}

/// A case to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCase {
    pub subject: String,
    /// The chat's transcript.
    pub description: String,
    pub contact_id: Option<String>,
    pub account_id: Option<String>,
}

/// An activity to create for a chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewActivity {
    pub title: String,
    pub chat_id: ChatId,
    pub contact_id: Option<String>,
    pub account_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// What every CRM can do for Omnipanel (H5). Implementations: [`LocalCrm`] here, Creatio in
/// `omnipanel-integrations`. Failures of the CRM itself are `UPSTREAM` errors that say which
/// call failed and how; a record that does not exist is `Ok(None)`.
#[async_trait::async_trait]
pub trait CrmConnector: Send + Sync {
    /// Contacts matching `query`, at most `limit`.
    async fn find_contacts(&self, query: &ContactQuery, limit: u32) -> Result<Vec<CrmContact>>;
    async fn contact(&self, id: &str) -> Result<Option<CrmContact>>;
    async fn create_contact(&self, contact: &NewContact) -> Result<CrmContact>;
    async fn account(&self, id: &str) -> Result<Option<CrmAccount>>;
    /// A contact's cases, newest first.
    async fn contact_cases(&self, contact_id: &str) -> Result<Vec<CrmCase>>;
    async fn case(&self, id: &str) -> Result<Option<CrmCase>>;
    async fn create_case(&self, case: &NewCase) -> Result<CrmCase>;
    async fn activity(&self, id: &str) -> Result<Option<CrmActivity>>;
    async fn create_activity(&self, activity: &NewActivity) -> Result<CrmActivity>;
    /// Starts a business process by its schema name with text parameters (H4).
    async fn run_process(&self, name: &str, parameters: &[(&str, String)]) -> Result<()>;
}

/// Builds the connector an organization's CRM connection asks for.
pub trait CrmConnectors: Send + Sync {
    fn connector(
        &self,
        domain: &Domain,
        connection: &crm_connection::Model,
    ) -> Result<Arc<dyn CrmConnector>>;
}

/// The connectors a bare domain has: the local CRM only. The server plugs in
/// `omnipanel_integrations::Connectors`, which adds Creatio.
pub struct LocalOnly;

impl CrmConnectors for LocalOnly {
    fn connector(
        &self,
        domain: &Domain,
        connection: &crm_connection::Model,
    ) -> Result<Arc<dyn CrmConnector>> {
        match connection.kind {
            CrmKind::Local => Ok(Arc::new(LocalCrm::new(
                domain.clone(),
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
    domain: Domain,
    organization_id: OrganizationId,
}

impl LocalCrm {
    pub fn new(domain: Domain, organization_id: OrganizationId) -> Self {
        Self {
            domain,
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

    async fn contact_row(&self, id: &str) -> Result<Option<crm_local_contact::Model>> {
        let Some(id) = Self::id::<LocalContactId>(id) else {
            return Ok(None);
        };
        Ok(crm_local_contact::Entity::find_by_id(id)
            .filter(crm_local_contact::Column::OrganizationId.eq(self.organization_id))
            .one(&self.domain.db)
            .await?)
    }
}

/// The local CRM's contacts matching `query`, read on `db` (a transaction's own connection
/// when matching happens inside one).
async fn find_local_contacts(
    db: &impl ConnectionTrait,
    organization_id: OrganizationId,
    query: &ContactQuery,
    limit: u32,
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
        find_local_contacts(&self.domain.db, self.organization_id, query, limit).await
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
            created_at: Set(self.domain.now()),
        }
        .insert(&self.domain.db)
        .await?;
        Ok(Self::contact_of(row))
    }

    async fn account(&self, id: &str) -> Result<Option<CrmAccount>> {
        let Some(id) = Self::id::<LocalAccountId>(id) else {
            return Ok(None);
        };
        Ok(crm_local_account::Entity::find_by_id(id)
            .filter(crm_local_account::Column::OrganizationId.eq(self.organization_id))
            .one(&self.domain.db)
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
            .all(&self.domain.db)
            .await?;
        Ok(rows.into_iter().map(Self::case_of).collect())
    }

    async fn case(&self, id: &str) -> Result<Option<CrmCase>> {
        let Some(id) = Self::id::<LocalCaseId>(id) else {
            return Ok(None);
        };
        Ok(crm_local_case::Entity::find_by_id(id)
            .filter(crm_local_case::Column::OrganizationId.eq(self.organization_id))
            .one(&self.domain.db)
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
        let tx = self.domain.write().await?;
        organization::Entity::update_many()
            .col_expr(
                organization::Column::CaseSeq,
                Expr::col(organization::Column::CaseSeq).add(1),
            )
            .filter(organization::Column::Id.eq(self.organization_id))
            .exec(&tx)
            .await?;
        let seq: i64 = organization::Entity::find_by_id(self.organization_id)
            .select_only()
            .column(organization::Column::CaseSeq)
            .into_tuple()
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("organization"))?;
        let row = crm_local_case::ActiveModel {
            id: Set(LocalCaseId::new()),
            organization_id: Set(self.organization_id),
            number: Set(format!("CS-{seq:05}")),
            subject: Set(case.subject.clone()),
            description: Set(case.description.clone()),
            contact_id: Set(contact_id),
            account_id: Set(account_id),
            status: Set("NEW".into()),
            created_at: Set(self.domain.now()),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        Ok(Self::case_of(row))
    }

    async fn activity(&self, id: &str) -> Result<Option<CrmActivity>> {
        let Some(id) = Self::id::<LocalActivityId>(id) else {
            return Ok(None);
        };
        Ok(crm_local_activity::Entity::find_by_id(id)
            .filter(crm_local_activity::Column::OrganizationId.eq(self.organization_id))
            .one(&self.domain.db)
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
            created_at: Set(self.domain.now()),
        }
        .insert(&self.domain.db)
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
}

/// Creatio Cloud's identity service convention: `https://<tenant>-is.creatio.com`. Other hosts
/// (on-premise) run it on the application's own address unless configured otherwise.
pub fn default_identity_url(base_url: &str) -> String {
    if let Ok(url) = url::Url::parse(base_url)
        && let Some(host) = url.host_str()
        && let Some(tenant) = host.strip_suffix(".creatio.com")
        && !tenant.contains('.')
    {
        return format!("{}://{tenant}-is.creatio.com", url.scheme());
    }
    base_url.to_owned()
}

/// The identity service of a connection: the configured one, else the cloud convention.
pub fn identity_url(connection: &crm_connection::Model) -> Option<String> {
    match &connection.identity_url {
        Some(url) => Some(url.trim_end_matches('/').to_owned()),
        None => connection
            .base_url
            .as_deref()
            .map(|base| default_identity_url(base.trim_end_matches('/'))),
    }
}

/// What looking up an arriving customer in the CRM gave.
#[derive(Clone, Debug)]
pub(crate) enum Matching {
    /// No single contact (or no look-up).
    Nothing,
    Found(CrmContact),
    /// The CRM is the local one: look inside the transaction.
    InTransaction,
}

/// The look-ups an arriving customer's identities allow: phone, e-mail, messenger id.
fn identity_queries(input: &CustomerInput) -> Vec<ContactQuery> {
    [
        input
            .phone
            .as_deref()
            .and_then(normalize_phone)
            .map(ContactQuery::Phone),
        input
            .email
            .as_ref()
            .map(|e| ContactQuery::Email(e.trim().to_lowercase())),
        input
            .messenger_id
            .as_ref()
            .map(|id| ContactQuery::MessengerId(id.trim().to_owned())),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// A URL field: empty clears it, anything else must be an absolute http(s) URL.
fn optional_url(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        Ok(())
    } else {
        http_url(value)
    }
}

/// The OData service path: `/0/odata` (classic builds) or `/odata` (.NET 8 builds).
fn service_path(value: &str) -> Result<(), ValidationError> {
    let valid = value.starts_with('/')
        && !value.ends_with('/')
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_-.".contains(c));
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new("path")
            .with_message("must be a path such as /0/odata or /odata".into()))
    }
}

/// A Creatio lookup id: a GUID, or empty to clear it.
fn optional_guid(value: &str) -> Result<(), ValidationError> {
    if value.is_empty() || uuid::Uuid::parse_str(value).is_ok() {
        Ok(())
    } else {
        Err(ValidationError::new("guid").with_message("must be a GUID".into()))
    }
}

/// A business process's schema name (`UsrCreateCaseFromChat`), or empty to clear it.
fn process_name(value: &str) -> Result<(), ValidationError> {
    let valid = value.is_empty()
        || (value.len() <= 200
            && value.starts_with(|c: char| c.is_ascii_alphabetic())
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new("name")
            .with_message("must be a process schema name of letters, digits and _".into()))
    }
}

/// OAuth scopes: space-separated tokens of printable ASCII without `"` and `\\` (RFC 6749 3.3).
fn scopes(value: &str) -> Result<(), ValidationError> {
    let valid = value
        .chars()
        .all(|c| c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\'));
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new("scopes")
            .with_message("must be scope names separated by spaces".into()))
    }
}

/// Changes the organization's CRM connection (H5). Omitted fields keep their value; an empty
/// string clears an optional one. Secrets are write-only: they are never returned.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct UpdateCrmConnectionInput {
    pub kind: CrmKind,
    /// The CRM's address, such as `https://mycompany.creatio.com`.
    #[validate(length(max = 500), custom(function = "optional_url"))]
    pub base_url: Option<String>,
    /// The identity service; defaults to `https://<tenant>-is.creatio.com` for cloud sites.
    #[validate(length(max = 500), custom(function = "optional_url"))]
    pub identity_url: Option<String>,
    /// `/0/odata` (the default) or `/odata`.
    #[validate(length(max = 64), custom(function = "service_path"))]
    pub odata_path: Option<String>,
    /// The OAuth client for server-to-server calls (client credentials).
    #[validate(length(max = 200))]
    pub client_id: Option<String>,
    #[validate(length(max = 500))]
    pub client_secret: Option<String>,
    /// The case origin ("Chat") new cases get.
    #[validate(custom(function = "optional_guid"))]
    pub case_origin_id: Option<String>,
    /// The status new cases get.
    #[validate(custom(function = "optional_guid"))]
    pub case_status_id: Option<String>,
    /// The OAuth client for operators' sign-in through the CRM (authorization code).
    #[validate(length(max = 200))]
    pub oauth_client_id: Option<String>,
    #[validate(length(max = 500))]
    pub oauth_client_secret: Option<String>,
    /// A business process started when a chat closes, with the parameter `ChatId`.
    #[validate(custom(function = "process_name"))]
    pub close_process_name: Option<String>,
    /// Scopes asked for at sign-in through the CRM, space-separated (default
    /// `openid profile email`).
    #[validate(length(max = 500), custom(function = "scopes"))]
    pub oauth_scopes: Option<String>,
}

/// Sets `field` to `value` when given: empty clears it.
fn merge(field: &mut Option<String>, value: Option<String>) {
    if let Some(value) = value {
        let value = value.trim().to_owned();
        *field = (!value.is_empty()).then_some(value);
    }
}

/// Links a chat to CRM records (H1, H3). Every id given must exist in the CRM.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct LinkChatInput {
    pub chat_id: ChatId,
    #[validate(length(min = 1, max = 200))]
    pub contact_id: Option<String>,
    #[validate(length(min = 1, max = 200))]
    pub account_id: Option<String>,
    #[validate(length(min = 1, max = 200))]
    pub activity_id: Option<String>,
    /// Consulting on an existing case (H3): one of `crmCases(contactId)`.
    #[validate(length(min = 1, max = 200))]
    pub case_id: Option<String>,
}

/// Creates a CRM case from a chat (H2).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateCaseFromChatInput {
    pub chat_id: ChatId,
    #[validate(length(min = 1, max = 500), custom(function = "single_line"))]
    pub subject: String,
}

/// Creates a CRM activity for a chat and links it.
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct CreateActivityFromChatInput {
    pub chat_id: ChatId,
    /// Defaults to the chat's title.
    #[validate(length(min = 1, max = 500), custom(function = "single_line"))]
    pub title: Option<String>,
}

/// What an operator learned about an unknown customer (D10).
#[derive(Clone, Debug, Validate)]
#[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
pub struct IdentifyCustomerInput {
    pub chat_id: ChatId,
    #[validate(length(min = 1, max = 200), custom(function = "single_line"))]
    pub name: Option<String>,
    #[validate(custom(function = "crate::customer::valid_phone"))]
    pub phone: Option<String>,
    #[validate(email, length(max = 254))]
    pub email: Option<String>,
}

/// The chat's transcript as a case description: one line per message, whispers left out.
pub fn transcript(chat: &chat::Model, messages: &[message::Model]) -> String {
    let mut out = format!(
        "{} ({}), started {}\n\n",
        crate::chat::title(chat.direction, chat.number),
        chat.source.as_str().to_lowercase(),
        chat.created_at.format("%Y-%m-%d %H:%M UTC")
    );
    for message in messages.iter().filter(|m| !m.is_whisper) {
        let who = match message.author_kind {
            AuthorKind::Customer => "Customer",
            AuthorKind::Operator => "Operator",
            AuthorKind::Bot => "Bot",
            AuthorKind::System => "System",
        };
        out.push_str(&format!(
            "[{}] {who}: {}\n",
            message.created_at.format("%Y-%m-%d %H:%M:%S"),
            message.text
        ));
    }
    out
}

impl Domain {
    /// The connector of an organization's CRM.
    pub async fn crm_for(&self, organization_id: OrganizationId) -> Result<Arc<dyn CrmConnector>> {
        let connection = self.crm_connection_of(organization_id).await?;
        self.crm.connector(self, &connection)
    }

    async fn crm_connection_of(
        &self,
        organization_id: OrganizationId,
    ) -> Result<crm_connection::Model> {
        crm_connection::Entity::find_by_id(organization_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("CRM connection"))
    }

    /// The organization's CRM connection (administrators).
    pub async fn crm_connection(&self, actor: &Actor) -> Result<crm_connection::Model> {
        actor.require_admin()?;
        self.crm_connection_of(actor.organization_id).await
    }

    /// Changes the CRM connection (administrators). A Creatio connection needs its address and
    /// its client credentials; the check runs on the merged result, so a stored secret need not
    /// be sent again.
    pub async fn update_crm_connection(
        &self,
        actor: &Actor,
        input: UpdateCrmConnectionInput,
    ) -> Result<crm_connection::Model> {
        actor.require_admin()?;
        check(&input)?;
        let tx = self.write().await?;
        let existing = crm_connection::Entity::find_by_id(actor.organization_id)
            .lock_exclusive()
            .one(&tx)
            .await?
            .ok_or(DomainError::not_found("CRM connection"))?;
        let mut merged = existing.clone();
        merged.kind = input.kind;
        merge(&mut merged.base_url, input.base_url);
        merge(&mut merged.identity_url, input.identity_url);
        merge(&mut merged.odata_path, input.odata_path);
        merge(&mut merged.client_id, input.client_id);
        merge(&mut merged.client_secret, input.client_secret);
        merge(&mut merged.case_origin_id, input.case_origin_id);
        merge(&mut merged.case_status_id, input.case_status_id);
        merge(&mut merged.oauth_client_id, input.oauth_client_id);
        merge(&mut merged.oauth_client_secret, input.oauth_client_secret);
        merge(&mut merged.close_process_name, input.close_process_name);
        merge(&mut merged.oauth_scopes, input.oauth_scopes);
        if merged.kind == CrmKind::Creatio {
            for (field, value) in [
                ("baseUrl", &merged.base_url),
                ("clientId", &merged.client_id),
                ("clientSecret", &merged.client_secret),
            ] {
                if value.is_none() {
                    return Err(DomainError::validation(
                        field,
                        "A Creatio connection needs this",
                    ));
                }
            }
        }
        merged.updated_at = self.now();
        let mut model: crm_connection::ActiveModel = existing.into();
        model.kind = Set(merged.kind);
        model.base_url = Set(merged.base_url);
        model.identity_url = Set(merged.identity_url);
        model.odata_path = Set(merged.odata_path);
        model.client_id = Set(merged.client_id);
        model.client_secret = Set(merged.client_secret);
        model.case_origin_id = Set(merged.case_origin_id);
        model.case_status_id = Set(merged.case_status_id);
        model.oauth_client_id = Set(merged.oauth_client_id);
        model.oauth_client_secret = Set(merged.oauth_client_secret);
        model.close_process_name = Set(merged.close_process_name);
        model.oauth_scopes = Set(merged.oauth_scopes);
        model.updated_at = Set(merged.updated_at);
        let updated = model.update(&tx).await?;
        tx.commit().await?;
        Ok(updated)
    }

    /// Operators, and machine clients of the CRM and ADMIN scopes, work with CRM records; the
    /// chatbot's key does not.
    fn require_crm_user(actor: &Actor) -> Result<()> {
        match actor.principal {
            Principal::Operator { .. } => Ok(()),
            Principal::ApiKey {
                scope: ApiKeyScope::Crm | ApiKeyScope::Admin,
                ..
            } => Ok(()),
            Principal::ApiKey { .. } => Err(DomainError::forbidden(
                "CRM records need an operator or an API key of scope CRM",
            )),
        }
    }

    /// Contacts found by an e-mail, a phone number or a name (I1, D10).
    pub async fn crm_contacts(&self, actor: &Actor, search: &str) -> Result<Vec<CrmContact>> {
        Self::require_crm_user(actor)?;
        let query = ContactQuery::parse(search)?;
        self.crm_for(actor.organization_id)
            .await?
            .find_contacts(&query, 20)
            .await
    }

    /// A contact's cases, newest first (H3).
    pub async fn crm_cases(&self, actor: &Actor, contact_id: &str) -> Result<Vec<CrmCase>> {
        Self::require_crm_user(actor)?;
        let contact_id = contact_id.trim();
        if contact_id.is_empty() || contact_id.len() > 200 {
            return Err(DomainError::validation("contactId", "is not a contact id"));
        }
        self.crm_for(actor.organization_id)
            .await?
            .contact_cases(contact_id)
            .await
    }

    /// Looks up the CRM contact an arriving customer is (H1), before the transaction: a remote
    /// CRM must not be called while chat rows are locked. The local CRM is this database, so it
    /// is matched inside the transaction instead (on its connection).
    pub(crate) async fn match_contact(
        &self,
        organization_id: OrganizationId,
        source: ChatSource,
        input: &CustomerInput,
    ) -> Matching {
        let connection = match self.crm_connection_of(organization_id).await {
            Ok(connection) => connection,
            Err(error) => {
                tracing::warn!(?error, "no CRM connection for contact matching");
                return Matching::Nothing;
            }
        };
        if connection.kind == CrmKind::Local {
            return Matching::InTransaction;
        }
        match customer::find_existing(&self.db, organization_id, source, input).await {
            Ok(Some(known)) if known.crm_contact_id.is_some() => return Matching::Nothing,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(?error, "customer look-up before CRM matching failed");
                return Matching::Nothing;
            }
        }
        let crm = match self.crm.connector(self, &connection) {
            Ok(crm) => crm,
            Err(error) => {
                tracing::warn!(?error, "no CRM connector for contact matching");
                return Matching::Nothing;
            }
        };
        for query in identity_queries(input) {
            match crm.find_contacts(&query, 2).await {
                Ok(found) if found.len() == 1 => {
                    return found
                        .into_iter()
                        .next()
                        .map_or(Matching::Nothing, Matching::Found);
                }
                Ok(found) if found.len() > 1 => {
                    tracing::info!(?query, "several CRM contacts match; not linking");
                    return Matching::Nothing;
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "CRM contact matching failed; the chat stays unlinked");
                    return Matching::Nothing;
                }
            }
        }
        Matching::Nothing
    }

    /// Links an arriving customer to the contact matching found (or, for the local CRM, finds
    /// now on `db`). A customer already linked stays as they are; only a single match links.
    pub(crate) async fn link_matched(
        &self,
        db: &impl ConnectionTrait,
        customer: customer_entity::Model,
        matching: &Matching,
        input: &CustomerInput,
        now: DateTime<Utc>,
    ) -> Result<customer_entity::Model> {
        if customer.crm_contact_id.is_some() {
            return Ok(customer);
        }
        let contact = match matching {
            Matching::Nothing => None,
            Matching::Found(contact) => Some(contact.clone()),
            Matching::InTransaction => {
                let mut found = None;
                for query in identity_queries(input) {
                    let mut contacts =
                        find_local_contacts(db, customer.organization_id, &query, 2).await?;
                    if contacts.len() == 1 {
                        found = contacts.pop();
                        break;
                    }
                    if contacts.len() > 1 {
                        break;
                    }
                }
                found
            }
        };
        match contact {
            Some(contact) => self.link_customer(db, customer, &contact, now).await,
            None => Ok(customer),
        }
    }

    /// Links a customer (and so their future chats) to a CRM contact found at hand-off.
    pub(crate) async fn link_customer(
        &self,
        db: &impl ConnectionTrait,
        customer: customer_entity::Model,
        contact: &CrmContact,
        now: DateTime<Utc>,
    ) -> Result<customer_entity::Model> {
        let mut model: customer_entity::ActiveModel = customer.into();
        model.crm_contact_id = Set(Some(contact.id.clone()));
        model.crm_account_id = Set(contact.account_id.clone());
        model.updated_at = Set(now);
        Ok(model.update(db).await?)
    }

    /// A chat the caller may work with CRM records on.
    async fn chat_for_crm(&self, actor: &Actor, chat_id: ChatId) -> Result<chat::Model> {
        Self::require_crm_user(actor)?;
        self.visible_chat(&self.db, actor, chat_id).await
    }

    /// Writes CRM links on a chat in one transaction and tells whoever works it. With
    /// `customer_link`, the chat's customer is linked to that contact too, after taking what
    /// the operator learned about them (`identified`, D10).
    async fn write_links(
        &self,
        chat_id: ChatId,
        change: impl FnOnce(&mut chat::ActiveModel),
        customer_link: Option<&CrmContact>,
        identified: Option<&CustomerInput>,
    ) -> Result<chat::Model> {
        let now = self.now();
        let tx = self.write().await?;
        let chat = lock_chat(&tx, chat_id)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        let (customer_id, source) = (chat.customer_id, chat.source);
        let mut model: chat::ActiveModel = chat.into();
        change(&mut model);
        model.updated_at = Set(now);
        let updated = model.update(&tx).await?;
        if let Some(contact) = customer_link
            && let Some(mut found) = customer_entity::Entity::find_by_id(customer_id)
                .one(&tx)
                .await?
        {
            if let Some(details) = identified {
                found = customer::identify(&tx, found, source, details, now).await?;
            }
            self.link_customer(&tx, found, contact, now).await?;
        }
        let mut outbox = Outbox::new();
        self.tell_chat(
            &tx,
            &mut outbox,
            &updated,
            EventKind::ChatUpdated,
            json!({
                "crmContactId": updated.crm_contact_id,
                "crmAccountId": updated.crm_account_id,
                "crmActivityId": updated.crm_activity_id,
                "crmCaseId": updated.crm_case_id,
                "crmCaseNumber": updated.crm_case_number,
                "customerIdentified": identified.is_some(),
            }),
            now,
        )
        .await?;
        self.commit(tx, outbox).await?;
        Ok(updated)
    }

    /// Links a chat to a contact, an account, an activity and a case (H1, H3). Each id is
    /// checked in the CRM first; a contact also links the customer, and brings its account when
    /// none is given.
    pub async fn link_chat(&self, actor: &Actor, input: LinkChatInput) -> Result<chat::Model> {
        check(&input)?;
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        if input.contact_id.is_none()
            && input.account_id.is_none()
            && input.activity_id.is_none()
            && input.case_id.is_none()
        {
            return Err(DomainError::validation(
                "contactId",
                "Give at least one of contactId, accountId, activityId or caseId",
            ));
        }
        let crm = self.crm_for(chat.organization_id).await?;
        let contact = match &input.contact_id {
            Some(id) => Some(
                crm.contact(id)
                    .await?
                    .ok_or_else(|| DomainError::validation("contactId", "No such CRM contact"))?,
            ),
            None => None,
        };
        let account_id = match &input.account_id {
            Some(id) => Some(
                crm.account(id)
                    .await?
                    .ok_or_else(|| DomainError::validation("accountId", "No such CRM account"))?
                    .id,
            ),
            None => contact.as_ref().and_then(|c| c.account_id.clone()),
        };
        let activity =
            match &input.activity_id {
                Some(id) => Some(crm.activity(id).await?.ok_or_else(|| {
                    DomainError::validation("activityId", "No such CRM activity")
                })?),
                None => None,
            };
        let case = match &input.case_id {
            Some(id) => Some(
                crm.case(id)
                    .await?
                    .ok_or_else(|| DomainError::validation("caseId", "No such CRM case"))?,
            ),
            None => None,
        };
        self.write_links(
            chat.id,
            |model| {
                if let Some(contact) = &contact {
                    model.crm_contact_id = Set(Some(contact.id.clone()));
                }
                if account_id.is_some() {
                    model.crm_account_id = Set(account_id.clone());
                }
                if let Some(activity) = &activity {
                    model.crm_activity_id = Set(Some(activity.id.clone()));
                }
                if let Some(case) = &case {
                    model.crm_case_id = Set(Some(case.id.clone()));
                    model.crm_case_number = Set(Some(case.number.clone()));
                }
            },
            contact.as_ref(),
            None,
        )
        .await
    }

    /// The chat's messages, oldest first, for a transcript.
    async fn transcript_of(&self, chat: &chat::Model) -> Result<String> {
        let messages = message::Entity::find()
            .filter(message::Column::ChatId.eq(chat.id))
            .order_by_asc(message::Column::CreatedAt)
            .order_by_asc(message::Column::Id)
            .limit(5000)
            .all(&self.db)
            .await?;
        Ok(transcript(chat, &messages))
    }

    /// Creates a CRM case from a chat (H2): the subject given, the transcript as its
    /// description, the chat's contact and account; the case's id and number are written back
    /// on the chat. A chat that already has a case is refused (`CONFLICT`), so a repeated click
    /// makes no second case.
    pub async fn create_case_from_chat(
        &self,
        actor: &Actor,
        input: CreateCaseFromChatInput,
    ) -> Result<(chat::Model, CrmCase)> {
        check(&input)?;
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        if let Some(number) = &chat.crm_case_number {
            return Err(DomainError::conflict(format!(
                "The chat is already linked to case {number}"
            )));
        }
        let description = self.transcript_of(&chat).await?;
        let crm = self.crm_for(chat.organization_id).await?;
        let case = crm
            .create_case(&NewCase {
                subject: input.subject.trim().to_owned(),
                description,
                contact_id: chat.crm_contact_id.clone(),
                account_id: chat.crm_account_id.clone(),
            })
            .await?;
        let updated = self
            .write_links(
                chat.id,
                |model| {
                    model.crm_case_id = Set(Some(case.id.clone()));
                    model.crm_case_number = Set(Some(case.number.clone()));
                },
                None,
                None,
            )
            .await?;
        Ok((updated, case))
    }

    /// Creates a CRM activity for a chat (its title, start and end, the contact) and links it.
    pub async fn create_activity_from_chat(
        &self,
        actor: &Actor,
        input: CreateActivityFromChatInput,
    ) -> Result<(chat::Model, CrmActivity)> {
        check(&input)?;
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        let crm = self.crm_for(chat.organization_id).await?;
        let activity = crm
            .create_activity(&NewActivity {
                title: input
                    .title
                    .map(|t| t.trim().to_owned())
                    .unwrap_or_else(|| crate::chat::title(chat.direction, chat.number)),
                chat_id: chat.id,
                contact_id: chat.crm_contact_id.clone(),
                account_id: chat.crm_account_id.clone(),
                started_at: chat.created_at,
                ended_at: chat.closed_at,
            })
            .await?;
        let updated = self
            .write_links(
                chat.id,
                |model| model.crm_activity_id = Set(Some(activity.id.clone())),
                None,
                None,
            )
            .await?;
        Ok((updated, activity))
    }

    /// Identifies an unknown customer (D10): the details are stored on the customer, then the
    /// CRM contact with that phone or e-mail is linked, or a new one is created from them.
    pub async fn identify_customer(
        &self,
        actor: &Actor,
        input: IdentifyCustomerInput,
    ) -> Result<(chat::Model, CrmContact)> {
        check(&input)?;
        if input.name.is_none() && input.phone.is_none() && input.email.is_none() {
            return Err(DomainError::validation(
                "name",
                "Give at least one of name, phone or email",
            ));
        }
        let chat = self.chat_for_crm(actor, input.chat_id).await?;
        let known = customer_entity::Entity::find_by_id(chat.customer_id)
            .one(&self.db)
            .await?
            .ok_or(DomainError::not_found("customer"))?;
        let details = CustomerInput {
            name: input.name.clone(),
            phone: input.phone.clone(),
            email: input.email.clone(),
            messenger_id: None,
            username: None,
        };
        let crm = self.crm_for(chat.organization_id).await?;
        let mut found = None;
        let lookups = [
            details
                .phone
                .as_deref()
                .and_then(normalize_phone)
                .map(ContactQuery::Phone),
            details
                .email
                .as_ref()
                .map(|e| ContactQuery::Email(e.trim().to_lowercase())),
        ];
        for query in lookups.into_iter().flatten() {
            if let Some(contact) = crm.find_contacts(&query, 1).await?.into_iter().next() {
                found = Some(contact);
                break;
            }
        }
        let contact = match found {
            Some(contact) => contact,
            None => {
                let name = details
                    .name
                    .clone()
                    .or_else(|| known.name.clone())
                    .ok_or_else(|| {
                        DomainError::validation(
                            "name",
                            "No CRM contact has this phone or e-mail; give a name to create one",
                        )
                    })?;
                crm.create_contact(&NewContact {
                    name,
                    phone: details.phone.clone().or_else(|| known.phone.clone()),
                    email: details.email.clone().or_else(|| known.email.clone()),
                    messenger_id: None,
                    account_id: None,
                })
                .await?
            }
        };
        let updated = self
            .write_links(
                chat.id,
                |model| {
                    model.crm_contact_id = Set(Some(contact.id.clone()));
                    model.crm_account_id = Set(contact.account_id.clone());
                },
                Some(&contact),
                Some(&details),
            )
            .await?;
        Ok((updated, contact))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_are_told_apart() {
        assert_eq!(
            ContactQuery::parse(" Ann@Example.com ").unwrap(),
            ContactQuery::Email("ann@example.com".into())
        );
        assert_eq!(
            ContactQuery::parse("+48 600 100 200").unwrap(),
            ContactQuery::Phone("+48600100200".into())
        );
        assert_eq!(
            ContactQuery::parse("Anna Nowak").unwrap(),
            ContactQuery::Text("Anna Nowak".into())
        );
        assert_eq!(
            ContactQuery::parse("@anna").unwrap(),
            ContactQuery::Text("anna".into())
        );
        assert!(ContactQuery::parse("a").is_err());
        assert!(ContactQuery::parse(&"x".repeat(201)).is_err());
    }

    #[test]
    fn identity_url_follows_the_cloud_convention() {
        assert_eq!(
            default_identity_url("https://acme.creatio.com"),
            "https://acme-is.creatio.com"
        );
        assert_eq!(
            default_identity_url("https://crm.acme.local"),
            "https://crm.acme.local"
        );
    }

    #[test]
    fn input_rules() {
        assert!(service_path("/0/odata").is_ok());
        assert!(service_path("/odata").is_ok());
        assert!(service_path("odata").is_err());
        assert!(service_path("/0/odata/").is_err());
        assert!(optional_guid("").is_ok());
        assert!(optional_guid("6a23e3d8-6e4b-4a7a-9b0e-3f1f5b0b1c2d").is_ok());
        assert!(optional_guid("Chat").is_err());
        assert!(process_name("UsrCreateCaseFromChat").is_ok());
        assert!(process_name("1abc").is_err());
        assert!(process_name("a b").is_err());
    }

    #[test]
    fn merging_keeps_clears_and_sets() {
        let mut field = Some("kept".to_owned());
        merge(&mut field, None);
        assert_eq!(field.as_deref(), Some("kept"));
        merge(&mut field, Some("  new ".into()));
        assert_eq!(field.as_deref(), Some("new"));
        merge(&mut field, Some(String::new()));
        assert_eq!(field, None);
    }
}
