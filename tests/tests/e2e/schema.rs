//! The checked-in `schema.graphql` is what the server serves, and migrations run both ways.

use omnipanel_migrations::{Migrator, MigratorTrait};
use omnipanel_tests::{Db, fresh_database, spawn_app_with};

#[tokio::test]
async fn schema_graphql_is_the_served_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let checked_in = std::fs::read_to_string(&path).expect("schema.graphql at the repository root");
    let generated = omnipanel_api::graphql::sdl();
    assert!(
        checked_in == generated,
        "schema.graphql is stale: run `cargo run -p omnipanel-api -- schema > schema.graphql`"
    );
    let app = spawn_app_with(Db::Sqlite, false).await;
    let state = omnipanel_api::AppState::new(app.domain.clone(), None, 1024);
    assert_eq!(
        state
            .schema
            .sdl_with_options(async_graphql::SDLExportOptions::new().sorted_fields()),
        checked_in,
        "the served schema is the generated one"
    );
}

async fn migrations_go_down_and_up(db: Db) {
    let database = fresh_database(db).await;
    let connection = database.connection.clone();
    Migrator::down(&connection, None)
        .await
        .expect("every migration reverts");
    Migrator::up(&connection, None)
        .await
        .expect("and applies again");
    assert!(
        Migrator::get_pending_migrations(&connection)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn migrations_go_down_and_up_on_sqlite() {
    migrations_go_down_and_up(Db::Sqlite).await;
}

#[tokio::test]
async fn migrations_go_down_and_up_on_postgres() {
    migrations_go_down_and_up(Db::Postgres).await;
}
