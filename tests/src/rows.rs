//! An organization's rows as PostgreSQL prints them, for tests that must show nothing changed:
//! every table with an `organization_id`, its rows as JSON in a stable order.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// The tables that hold an organization's rows, but `except`.
pub async fn organization_tables(db: &DatabaseConnection, except: &[&str]) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        DatabaseBackend::Postgres,
        "SELECT table_name::text AS t FROM information_schema.columns \
         WHERE column_name = 'organization_id' AND table_schema = 'public' ORDER BY 1",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "t").unwrap())
    .filter(|table| !except.contains(&table.as_str()))
    .collect()
}

/// An expression for one table's rows of the organization `$1`, as JSON text.
fn rows_of(table: &str) -> String {
    format!(
        "(SELECT coalesce(json_agg(x ORDER BY x::text)::text, '[]') FROM \"{table}\" x \
         WHERE organization_id = $1)"
    )
}

/// The text `expression` gives for the organization `$1`.
async fn text(db: &DatabaseConnection, expression: &str, org_id: &str) -> String {
    db.query_one_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        format!("SELECT {expression} AS text"),
        [uuid::Uuid::parse_str(org_id).unwrap().into()],
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "text")
    .unwrap()
}

/// Every row of the organization, table by table.
pub async fn snapshot(db: &DatabaseConnection, org_id: &str) -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    for table in organization_tables(db, &[]).await {
        let found = text(db, &rows_of(&table), org_id).await;
        rows.insert(table, found);
    }
    rows
}

/// A digest of the organization's rows in one statement, for checking around every call.
pub struct Fingerprint {
    expression: String,
}

impl Fingerprint {
    /// Over every table but `except` (sessions, say, which each request touches).
    pub async fn new(db: &DatabaseConnection, except: &[&str]) -> Self {
        let tables: Vec<String> = organization_tables(db, except)
            .await
            .iter()
            .map(|table| rows_of(table))
            .collect();
        Self {
            expression: format!("md5({})", tables.join(" || ")),
        }
    }

    pub async fn of(&self, db: &DatabaseConnection, org_id: &str) -> String {
        text(db, &self.expression, org_id).await
    }
}
