//! Reports over a year of history (O2) on PostgreSQL read the figures of closed chats packed by
//! organization, UTC day, queue, operator and topic: one row holds, column by column, the closing
//! instant, first response and handle time (whole milliseconds), rating, wrap-up reason and
//! result of each chat in it.
//! A year of a busy organization is a few thousand rows instead of a million, and every figure is
//! still each chat's own, so percentiles stay exact and a report can cut its period and its local
//! days anywhere.
//!
//! The database keeps the rows itself, in the transaction that changes the chats, so they cannot
//! disagree with them: a statement that inserts chats adds the closed ones to their days; a chat
//! whose figures change (closed, rated, reopened) has its old figures taken out of its day and
//! its new ones added; a statement that deletes chats (retention, an organization's removal)
//! rebuilds their days from the chats that remain. Queue, operator and topic are the nil UUID
//! where a chat has none, so that they can be part of the key; a day of one queue, operator and
//! topic is split in parts of at most [`PART`] chats.
//!
//! SQLite reports add up the chats themselves (an embedded installation's history is small), so
//! this migration changes nothing there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261208_000014_closed_chats_by_day"
    }
}

/// The most chats one row holds. A chat closing is added to its day's last row, whose arrays
/// PostgreSQL writes again whole: bounded, that costs the same on a quiet day and on a day of
/// ten thousand chats without an operator.
const PART: i64 = 128;

/// The days' rows of the closed chats of `source` that `filter` keeps, in parts of at most
/// [`PART`] chats, numbered after the parts a day has already: what the backfill, the statement
/// trigger and a day's rebuild insert. `closed_chats_by_day_change` repeats the figures for one
/// chat.
fn days_of(source: &str, filter: &str) -> String {
    format!(
        "SELECT g.organization_id, g.day, g.queue_id, g.operator_id, g.topic_id,
            coalesce(known.next, 0) + g.chunk, g.closed_at, g.first_response_ms, g.handle_ms,
            g.rating, g.wrap_up_reason_id, g.result_id
        FROM (
            SELECT organization_id, day, queue_id, operator_id, topic_id, (n - 1) / {PART} AS chunk,
                array_agg(closed_at ORDER BY n) AS closed_at,
                array_agg(first_response_ms ORDER BY n) AS first_response_ms,
                array_agg(handle_ms ORDER BY n) AS handle_ms,
                array_agg(rating ORDER BY n) AS rating,
                array_agg(wrap_up_reason_id ORDER BY n) AS wrap_up_reason_id,
                array_agg(result_id ORDER BY n) AS result_id
            FROM (
                SELECT c.*, row_number() OVER (PARTITION BY organization_id, day, queue_id,
                    operator_id, topic_id ORDER BY closed_at) AS n
                FROM (
                    SELECT organization_id, (closed_at AT TIME ZONE 'UTC')::date AS day,
                        coalesce(queue_id, '00000000-0000-0000-0000-000000000000') AS queue_id,
                        coalesce(operator_id, '00000000-0000-0000-0000-000000000000')
                            AS operator_id,
                        coalesce(topic_id, '00000000-0000-0000-0000-000000000000') AS topic_id,
                        closed_at,
                        omnipanel_ms(first_response_at, coalesce(queued_at, created_at))
                            AS first_response_ms,
                        omnipanel_ms(closed_at, accepted_at) AS handle_ms,
                        rating, wrap_up_reason_id, result_id
                    FROM {source}
                    WHERE status = 'COMPLETED' AND closed_at IS NOT NULL {filter}
                ) AS c
            ) AS c
            GROUP BY 1, 2, 3, 4, 5, 6
        ) AS g
        LEFT JOIN LATERAL (
            SELECT d.part + 1 AS next FROM closed_chats_by_day d
            WHERE d.organization_id = g.organization_id AND d.day = g.day
                AND d.queue_id = g.queue_id AND d.operator_id = g.operator_id
                AND d.topic_id = g.topic_id
            ORDER BY d.part DESC LIMIT 1
        ) AS known ON true"
    )
}

const KEY: &str = "organization_id, day, queue_id, operator_id, topic_id, part";

const COLUMNS: &str = "organization_id, day, queue_id, operator_id, topic_id, part, closed_at, \
    first_response_ms, handle_ms, rating, wrap_up_reason_id, result_id";

/// What a day's row adds to its arrays when chats join it.
const APPEND: &str = "DO UPDATE SET
    closed_at = d.closed_at || EXCLUDED.closed_at,
    first_response_ms = d.first_response_ms || EXCLUDED.first_response_ms,
    handle_ms = d.handle_ms || EXCLUDED.handle_ms,
    rating = d.rating || EXCLUDED.rating,
    wrap_up_reason_id = d.wrap_up_reason_id || EXCLUDED.wrap_up_reason_id,
    result_id = d.result_id || EXCLUDED.result_id";

/// The key of the days' rows of the chat `row` (`OLD` or `NEW`) is, as a condition on `d`.
fn key_of(row: &str) -> String {
    format!(
        "d.organization_id = {row}.organization_id
            AND d.day = ({row}.closed_at AT TIME ZONE 'UTC')::date
            AND d.queue_id = coalesce({row}.queue_id, '00000000-0000-0000-0000-000000000000')
            AND d.operator_id = coalesce({row}.operator_id, '00000000-0000-0000-0000-000000000000')
            AND d.topic_id = coalesce({row}.topic_id, '00000000-0000-0000-0000-000000000000')"
    )
}

fn up_statements() -> Vec<String> {
    let (old_key, new_key) = (key_of("OLD"), key_of("NEW"));
    vec![
        // Milliseconds from one instant to another, cut toward zero as the reports' Rust does
        // (`Duration::num_milliseconds`); NULL when either is missing.
        "CREATE FUNCTION omnipanel_ms(later timestamptz, earlier timestamptz) RETURNS bigint
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT trunc(extract(epoch FROM later - earlier) * 1000)::bigint $$"
            .to_owned(),
        "CREATE TABLE closed_chats_by_day (
            organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
            day date NOT NULL,
            queue_id uuid NOT NULL,
            operator_id uuid NOT NULL,
            topic_id uuid NOT NULL,
            part integer NOT NULL,
            closed_at timestamptz[] NOT NULL,
            first_response_ms bigint[] NOT NULL,
            handle_ms bigint[] NOT NULL,
            rating smallint[] NOT NULL,
            wrap_up_reason_id uuid[] NOT NULL,
            result_id uuid[] NOT NULL,
            PRIMARY KEY (organization_id, day, queue_id, operator_id, topic_id, part)
        )"
        .to_owned(),
        format!(
            "INSERT INTO closed_chats_by_day ({COLUMNS}) {}",
            days_of("chats", "")
        ),
        // Chats inserted closed (imports, seeds) join their days, a statement's all at once.
        format!(
            "CREATE FUNCTION closed_chats_by_day_add() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                -- A hand-off inserts an open chat: nothing to add, and little to ask.
                IF NOT EXISTS (SELECT FROM new_chats WHERE status = 'COMPLETED') THEN
                    RETURN NULL;
                END IF;
                INSERT INTO closed_chats_by_day AS d ({COLUMNS}) {}
                ON CONFLICT ({KEY}) {APPEND};
                RETURN NULL;
            END $$",
            days_of("new_chats", "")
        ),
        "CREATE TRIGGER closed_chats_by_day_add AFTER INSERT ON chats
            REFERENCING NEW TABLE AS new_chats
            FOR EACH STATEMENT EXECUTE FUNCTION closed_chats_by_day_add()"
            .to_owned(),
        // One organization's day, again from its chats.
        format!(
            "CREATE FUNCTION closed_chats_by_day_rebuild(organization uuid, of_day date)
            RETURNS void LANGUAGE plpgsql AS $$
            BEGIN
                DELETE FROM closed_chats_by_day WHERE organization_id = organization AND day = of_day;
                INSERT INTO closed_chats_by_day ({COLUMNS}) {};
            END $$",
            days_of(
                "chats",
                "AND organization_id = organization
                    AND closed_at >= of_day::timestamp AT TIME ZONE 'UTC'
                    AND closed_at < (of_day + 1)::timestamp AT TIME ZONE 'UTC'"
            )
        ),
        "CREATE FUNCTION closed_chats_by_day_remove() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM closed_chats_by_day_rebuild(organization_id, day)
            FROM (SELECT DISTINCT organization_id, (closed_at AT TIME ZONE 'UTC')::date AS day
                  FROM old_chats WHERE status = 'COMPLETED' AND closed_at IS NOT NULL) AS days;
            RETURN NULL;
        END $$"
            .to_owned(),
        "CREATE TRIGGER closed_chats_by_day_remove AFTER DELETE ON chats
            REFERENCING OLD TABLE AS old_chats
            FOR EACH STATEMENT EXECUTE FUNCTION closed_chats_by_day_remove()"
            .to_owned(),
        "CREATE FUNCTION closed_chats_by_day_clear() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            TRUNCATE closed_chats_by_day;
            RETURN NULL;
        END $$"
            .to_owned(),
        "CREATE TRIGGER closed_chats_by_day_clear AFTER TRUNCATE ON chats
            FOR EACH STATEMENT EXECUTE FUNCTION closed_chats_by_day_clear()"
            .to_owned(),
        // A chat whose figures change: its old ones out of their day's rows (which stay locked,
        // so that two changes in one day cannot take the same place), its new ones into the
        // last row of their day, or a new one when that is full. Equal figures are
        // interchangeable, so the first equal place is the chat's.
        format!(
            "CREATE FUNCTION closed_chats_by_day_change() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            old_first bigint := omnipanel_ms(OLD.first_response_at, coalesce(OLD.queued_at, OLD.created_at));
            old_handle bigint := omnipanel_ms(OLD.closed_at, OLD.accepted_at);
            kept record;
            in_part int;
            place int;
            last_part int;
            size int;
        BEGIN
            IF OLD.status = 'COMPLETED' AND OLD.closed_at IS NOT NULL THEN
                <<rows>>
                FOR kept IN SELECT d.part, d.closed_at, d.first_response_ms, d.handle_ms, d.rating,
                        d.wrap_up_reason_id, d.result_id
                    FROM closed_chats_by_day d WHERE {old_key} ORDER BY d.part FOR UPDATE
                LOOP
                    FOR i IN 1 .. cardinality(kept.closed_at) LOOP
                        IF kept.closed_at[i] = OLD.closed_at
                            AND kept.first_response_ms[i] IS NOT DISTINCT FROM old_first
                            AND kept.handle_ms[i] IS NOT DISTINCT FROM old_handle
                            AND kept.rating[i] IS NOT DISTINCT FROM OLD.rating
                            AND kept.wrap_up_reason_id[i] IS NOT DISTINCT FROM OLD.wrap_up_reason_id
                            AND kept.result_id[i] IS NOT DISTINCT FROM OLD.result_id THEN
                            in_part := kept.part;
                            place := i;
                            EXIT rows;
                        END IF;
                    END LOOP;
                END LOOP;
                IF place IS NULL THEN
                    -- Not where it should be: the day again from the chats, this one included
                    -- as it now is.
                    PERFORM closed_chats_by_day_rebuild(OLD.organization_id,
                        (OLD.closed_at AT TIME ZONE 'UTC')::date);
                    IF NEW.status = 'COMPLETED' AND NEW.closed_at IS NOT NULL
                        AND NEW.organization_id = OLD.organization_id
                        AND (NEW.closed_at AT TIME ZONE 'UTC')::date
                            = (OLD.closed_at AT TIME ZONE 'UTC')::date THEN
                        RETURN NULL;
                    END IF;
                ELSE
                    UPDATE closed_chats_by_day d SET
                            closed_at = d.closed_at[:place - 1] || d.closed_at[place + 1:],
                            first_response_ms = d.first_response_ms[:place - 1]
                                || d.first_response_ms[place + 1:],
                            handle_ms = d.handle_ms[:place - 1] || d.handle_ms[place + 1:],
                            rating = d.rating[:place - 1] || d.rating[place + 1:],
                            wrap_up_reason_id = d.wrap_up_reason_id[:place - 1]
                                || d.wrap_up_reason_id[place + 1:],
                            result_id = d.result_id[:place - 1] || d.result_id[place + 1:]
                        WHERE {old_key} AND d.part = in_part;
                    DELETE FROM closed_chats_by_day d
                        WHERE {old_key} AND d.part = in_part AND cardinality(d.closed_at) = 0;
                END IF;
            END IF;
            IF NEW.status = 'COMPLETED' AND NEW.closed_at IS NOT NULL THEN
                SELECT d.part, cardinality(d.closed_at) INTO last_part, size
                    FROM closed_chats_by_day d WHERE {new_key}
                    ORDER BY d.part DESC LIMIT 1 FOR UPDATE;
                IF NOT FOUND THEN
                    last_part := 0;
                ELSIF size >= {PART} THEN
                    last_part := last_part + 1;
                END IF;
                INSERT INTO closed_chats_by_day AS d ({COLUMNS})
                    VALUES (NEW.organization_id, (NEW.closed_at AT TIME ZONE 'UTC')::date,
                        coalesce(NEW.queue_id, '00000000-0000-0000-0000-000000000000'),
                        coalesce(NEW.operator_id, '00000000-0000-0000-0000-000000000000'),
                        coalesce(NEW.topic_id, '00000000-0000-0000-0000-000000000000'),
                        last_part, ARRAY[NEW.closed_at],
                        ARRAY[omnipanel_ms(NEW.first_response_at, coalesce(NEW.queued_at, NEW.created_at))],
                        ARRAY[omnipanel_ms(NEW.closed_at, NEW.accepted_at)], ARRAY[NEW.rating],
                        ARRAY[NEW.wrap_up_reason_id], ARRAY[NEW.result_id])
                    ON CONFLICT ({KEY}) {APPEND};
            END IF;
            RETURN NULL;
        END $$"
        ),
        // Only changes of what the days hold call the function. An update that sets none of
        // these columns (a message's, of the chat's last message) is not even looked at:
        // measured with pgbench, an update with the trigger looking at each row cost 0.04 ms
        // more, one that skips it nothing.
        "CREATE TRIGGER closed_chats_by_day_change
            AFTER UPDATE OF organization_id, status, closed_at, queue_id, operator_id, topic_id,
                created_at, queued_at, accepted_at, first_response_at, rating, wrap_up_reason_id,
                result_id
            ON chats FOR EACH ROW
            WHEN ((OLD.status = 'COMPLETED' OR NEW.status = 'COMPLETED')
                AND (OLD.organization_id, OLD.status, OLD.closed_at, OLD.queue_id, OLD.operator_id,
                     OLD.topic_id, OLD.created_at, OLD.queued_at, OLD.accepted_at,
                     OLD.first_response_at, OLD.rating, OLD.wrap_up_reason_id, OLD.result_id)
                IS DISTINCT FROM
                    (NEW.organization_id, NEW.status, NEW.closed_at, NEW.queue_id, NEW.operator_id,
                     NEW.topic_id, NEW.created_at, NEW.queued_at, NEW.accepted_at,
                     NEW.first_response_at, NEW.rating, NEW.wrap_up_reason_id, NEW.result_id))
            EXECUTE FUNCTION closed_chats_by_day_change()"
            .to_owned(),
    ]
}

const DOWN: &[&str] = &[
    "DROP TRIGGER closed_chats_by_day_change ON chats",
    "DROP TRIGGER closed_chats_by_day_clear ON chats",
    "DROP TRIGGER closed_chats_by_day_remove ON chats",
    "DROP TRIGGER closed_chats_by_day_add ON chats",
    "DROP FUNCTION closed_chats_by_day_change()",
    "DROP FUNCTION closed_chats_by_day_clear()",
    "DROP FUNCTION closed_chats_by_day_remove()",
    "DROP FUNCTION closed_chats_by_day_rebuild(uuid, date)",
    "DROP FUNCTION closed_chats_by_day_add()",
    "DROP TABLE closed_chats_by_day",
    "DROP FUNCTION omnipanel_ms(timestamptz, timestamptz)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            for statement in up_statements() {
                db.execute_unprepared(&statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if db.get_database_backend() == DatabaseBackend::Postgres {
            for statement in DOWN {
                db.execute_unprepared(statement).await?;
            }
        }
        Ok(())
    }
}
