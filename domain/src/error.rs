//! The one error type of the domain. The API maps each variant to an `extensions.code`.

use std::borrow::Cow;

/// What went wrong, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// `UNAUTHENTICATED`: no credentials, or credentials that are not (or no longer) valid.
    #[error("{0}")]
    Unauthenticated(Cow<'static, str>),
    /// `FORBIDDEN`: the caller is known but its role or scope does not allow this.
    #[error("{0}")]
    Forbidden(Cow<'static, str>),
    /// `NOT_FOUND`: no such record in the caller's organization. Records of other organizations
    /// are reported the same way, so their existence never leaks.
    #[error("{what} not found")]
    NotFound { what: &'static str },
    /// `VALIDATION`: an input field is wrong; `field` names it as the client spelled it.
    #[error("{message}")]
    Validation {
        field: Cow<'static, str>,
        message: Cow<'static, str>,
    },
    /// `CONFLICT`: the request clashes with the current state (a duplicate, a lost race).
    #[error("{0}")]
    Conflict(Cow<'static, str>),
    /// `LIMIT_EXCEEDED`: a size, rate or capacity limit.
    #[error("{0}")]
    LimitExceeded(Cow<'static, str>),
    /// `UPSTREAM`: a CRM or channel call failed; the message says which and how.
    #[error("{0}")]
    Upstream(String),
    /// `INTERNAL`: the database failed. Details are logged, never shown.
    #[error("database error")]
    Db(sea_orm::DbErr),
    /// `INTERNAL`: anything else unexpected. Details are logged, never shown.
    #[error("internal error")]
    Internal(String),
}

/// The domain's result type.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

impl DomainError {
    /// A validation failure of one field.
    pub fn validation(
        field: impl Into<Cow<'static, str>>, message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(what: &'static str) -> Self {
        Self::NotFound { what }
    }

    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::Conflict(message.into())
    }

    /// The stable code clients switch on (API.md).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::Validation { .. } => "VALIDATION",
            Self::Conflict(_) => "CONFLICT",
            Self::LimitExceeded(_) => "LIMIT_EXCEEDED",
            Self::Upstream(_) => "UPSTREAM",
            Self::Db(_) | Self::Internal(_) => "INTERNAL",
        }
    }

    /// Whether the transaction lost a race it may win if run again: a deadlock, a
    /// serialization failure, a lock timeout (PostgreSQL), or a busy database (SQLite).
    pub fn is_retryable(&self) -> bool {
        use sea_orm::{DbErr, RuntimeErr};
        let Self::Db(
            DbErr::Exec(RuntimeErr::SqlxError(error)) | DbErr::Query(RuntimeErr::SqlxError(error)),
        ) = self
        else {
            return false;
        };
        error
            .as_database_error()
            .and_then(|database| database.code())
            .is_some_and(|code| {
                matches!(
                    code.as_ref(),
                    "40P01" | "40001" | "55P03" | "5" | "6" | "517"
                )
            })
    }

    /// Whether this error hides details that belong in the log, not in the response.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Db(_) | Self::Internal(_))
    }
}

/// A database error, except the two a client's input can cause, which the edges should have
/// refused already and which are theirs, not ours, if one slips through: a reference to a row
/// that does not exist (`VALIDATION` on the referencing field) and a NUL character in text
/// (`VALIDATION`; PostgreSQL stores no NUL).
impl From<sea_orm::DbErr> for DomainError {
    fn from(error: sea_orm::DbErr) -> Self {
        use sea_orm::{DbErr, RuntimeErr};
        let database = match &error {
            DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
                e.as_database_error()
            }
            _ => None,
        };
        let Some(database) = database else {
            return Self::Db(error);
        };
        match database.code().as_deref() {
            // PostgreSQL's foreign_key_violation; SQLite's SQLITE_CONSTRAINT_FOREIGNKEY.
            Some("23503") | Some("787") => {
                let field = referencing_field(pg_detail(database));
                tracing::warn!(%error, "a reference the edge let through");
                Self::validation(field, "refers to nothing that exists")
            }
            // character_not_in_repertoire: "invalid byte sequence for encoding UTF8: 0x00".
            Some("22021") | Some("22P05") => {
                tracing::warn!(%error, "a NUL character the edge let through");
                Self::validation("input", "must not contain NUL characters")
            }
            _ => Self::Db(error),
        }
    }
}

fn pg_detail(error: &dyn sea_orm::sqlx::error::DatabaseError) -> Option<&str> {
    error
        .try_downcast_ref::<sea_orm::sqlx::postgres::PgDatabaseError>()
        .and_then(|pg| pg.detail())
}

/// `channelId` from PostgreSQL's `Key (channel_id)=(…) is not present in table …`; `input` when
/// the database does not say (SQLite).
fn referencing_field(detail: Option<&str>) -> String {
    let column = detail
        .and_then(|detail| detail.strip_prefix("Key ("))
        .and_then(|rest| rest.split_once(')'))
        .map(|(column, _)| column)
        .filter(|column| column.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
    match column {
        Some(column) => camel_case(column),
        None => "input".to_owned(),
    }
}

/// Turns a unique-constraint violation into `CONFLICT` with a message; other errors pass through.
pub fn conflict_on_unique(err: sea_orm::DbErr, message: &'static str) -> DomainError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DomainError::conflict(message),
        _ => DomainError::Db(err),
    }
}

/// `max_chats` → `maxChats`, the GraphQL spelling.
pub fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_referencing_field_comes_from_postgresql_s_detail() {
        let detail = "Key (channel_id)=(0193…) is not present in table \"channels\".";
        assert_eq!(referencing_field(Some(detail)), "channelId");
        assert_eq!(referencing_field(None), "input");
        assert_eq!(
            referencing_field(Some("Key (a, b)=(1, 2) is not present")),
            "input"
        );
    }
}
