//! The CRM port: what the services ask of a CRM (contacts, accounts, cases, activities, business
//! processes), and the connectors that answer it per organization. The built-in local CRM
//! (`local_crm`) is the default; Creatio's connector lives in `omnipanel-integrations`.

use chrono::{DateTime, Utc};

use std::sync::Arc;

use crate::customer::normalize_phone;
use crate::entity::crm_connection;
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::ports::clock::Clock;

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
    /// The first contact the CRM gives, if it has any: what a connection check reads, proving
    /// the address, the credentials and the data path in one call.
    async fn first_contact(&self) -> Result<Option<CrmContact>>;
}

/// What a connector may use of the server: the database (the local CRM keeps its records there)
/// and the clock (token lifetimes).
#[derive(Clone)]
pub struct ConnectorContext {
    pub db: sea_orm::DatabaseConnection,
    pub clock: Arc<dyn Clock>,
}

/// Builds the connector an organization's CRM connection asks for.
pub trait CrmConnectors: Send + Sync {
    fn connector(
        &self, context: &ConnectorContext, connection: &crm_connection::Model,
    ) -> Result<Arc<dyn CrmConnector>>;
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
}
