//! Creatio's records as OData returns them, and the safe spelling of what goes into a filter.

use chrono::{DateTime, Utc};

use omnipanel_domain::ports::{CrmCase, CrmContact};

use serde::Deserialize;

use serde_json::Value;
use uuid::Uuid;

/// An OData string literal: quotes doubled.
pub(super) fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// A record id Creatio can have: a GUID. Anything else names no record (and never reaches a
/// URL or a filter).
pub(super) fn guid(id: &str) -> Option<Uuid> {
    Uuid::parse_str(id.trim()).ok()
}

/// Lookups Creatio leaves empty come back as the nil GUID or an empty string.
pub(super) fn lookup(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.is_empty() && guid(v) != Some(Uuid::nil()))
}

pub(super) fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

#[derive(Deserialize)]
pub(super) struct ODataList<T> {
    pub(super) value: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ContactRecord {
    pub(super) id: String,
    pub(super) name: Option<String>,
    pub(super) mobile_phone: Option<String>,
    pub(super) email: Option<String>,
    pub(super) account_id: Option<String>,
}

impl From<ContactRecord> for CrmContact {
    fn from(record: ContactRecord) -> Self {
        Self {
            id: record.id,
            name: record.name.unwrap_or_default(),
            phone: text(record.mobile_phone),
            email: text(record.email),
            account_id: lookup(record.account_id),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CaseRecord {
    pub(super) id: String,
    pub(super) number: Option<String>,
    pub(super) subject: Option<String>,
    pub(super) status_id: Option<String>,
    pub(super) contact_id: Option<String>,
    pub(super) account_id: Option<String>,
    pub(super) registered_on: Option<String>,
}

impl From<CaseRecord> for CrmCase {
    fn from(record: CaseRecord) -> Self {
        Self {
            id: record.id,
            number: record.number.unwrap_or_default(),
            subject: record.subject.unwrap_or_default(),
            status: lookup(record.status_id),
            contact_id: lookup(record.contact_id),
            account_id: lookup(record.account_id),
            created_at: record
                .registered_on
                .and_then(|at| DateTime::parse_from_rfc3339(&at).ok())
                .map(|at| at.with_timezone(&Utc)),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct NamedRecord {
    pub(super) id: String,
    #[serde(alias = "Title")]
    pub(super) name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CommunicationRecord {
    pub(super) contact_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProcessResult {
    pub(super) success: Option<bool>,
    pub(super) error_info: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odata_literals_and_ids_are_safe() {
        assert_eq!(literal("O'Brien"), "'O''Brien'");
        assert!(guid("x') or (1 eq 1").is_none());
        assert_eq!(
            lookup(Some("00000000-0000-0000-0000-000000000000".into())),
            None
        );
        assert_eq!(lookup(Some(String::new())), None);
    }
}
