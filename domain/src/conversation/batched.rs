//! Operators' messages written together (PostgreSQL): group commit for `sendMessage`.
//!
//! A message costs PostgreSQL four round trips (BEGIN, its chat locked and read, the write,
//! COMMIT), and at a contact centre's peak those round trips, not the rows, are most of its
//! time (README, "Benchmarks"). So the messages sent while others are being written wait for
//! them and then go together: their chats locked and read in one statement, each message checked
//! against its chat in memory, all their rows and events written in one statement, one commit.
//! Each call is answered once its batch has committed, so what is acknowledged is as durable as
//! a message written alone. The messages wait in `gathering.rs`; one that finds fewer than
//! `WRITERS` batches being written starts one at once: at low load nothing waits.
//!
//! A batch decides only what it can from the chat it read: the caller owns the chat, the chat is
//! open and not interrupted, no template is needed. Any other message (a conference member's, a
//! closed chat's, an unknown id) goes back to its caller, who sends it alone, so its answer and
//! its error are the single path's. So does a message whose chat another transaction holds
//! locked at that moment (the batch's read skips it): the batch, and every message behind it,
//! never waits on one chat's lock; the message alone waits for it as any change of the chat
//! does. A batch whose write fails sends every message back the same way; only a failed
//! commit, which may have committed, is answered with the error. Instances sharing a database
//! batch on their own: the chats' row locks keep them correct.

use std::collections::HashMap;
use std::fmt::Write;

use sea_orm::sea_query::{PostgresQueryBuilder, SqlWriter, SqlWriterValues};
use sea_orm::{EntityTrait, IdenStatic, Iterable, ModelTrait, PrimaryKeyToColumn, Value};
use tokio::sync::oneshot;

use crate::actor::Actor;
use crate::chat::rules::{MessageRules, takes_messages};
use crate::conversation::effect::Effect;
use crate::conversation::gathering::{Batched, Job};
use crate::conversation::outgoing::chat_reply_policy;
use crate::conversation::said::Said;
use crate::entity::{chat, delivery, message};
use crate::error::DomainError;
use crate::ids::ChatId;
use crate::service::Domain;

/// Writes `text` to `chat_id` as `actor` in the next batch and answers once that batch has
/// committed (or sent it back). The batch runs in a task of its own: a caller that goes away
/// does not stop it.
pub(crate) async fn write(domain: &Domain, actor: &Actor, chat_id: ChatId, text: &str) -> Batched {
    let (answer, answered) = oneshot::channel();
    let job = Job {
        actor: actor.clone(),
        chat_id,
        text: text.to_owned(),
        answer,
    };
    if domain.message_batches.push(job) {
        let writer = Writer {
            domain: domain.clone(),
            stopped: false,
        };
        tokio::spawn(writer.run());
    }
    answered.await.unwrap_or_else(|_| {
        Batched::Failed(DomainError::Internal(
            "a batch of messages ended without an answer".into(),
        ))
    })
}

/// A task writing batches while messages wait.
struct Writer {
    domain: Domain,
    stopped: bool,
}

impl Writer {
    async fn run(mut self) {
        while let Some(jobs) = self.domain.message_batches.next() {
            let answers = write_batch(&self.domain, &jobs).await;
            for (job, answer) in jobs.into_iter().zip(answers) {
                // A caller that went away no longer needs its answer.
                let _ = job.answer.send(answer);
            }
        }
        self.stopped = true;
    }
}

impl Drop for Writer {
    /// A writer that panicked is counted out, so the next message starts another.
    fn drop(&mut self) {
        if !self.stopped {
            self.domain.message_batches.writer_gone();
        }
    }
}

/// Writes one batch in one transaction and answers each of its messages, in order.
#[tracing::instrument(level = "debug", skip_all, fields(messages = jobs.len()))]
async fn write_batch(domain: &Domain, jobs: &[Job]) -> Vec<Batched> {
    let alone = || jobs.iter().map(|_| Batched::Alone).collect();
    let now = domain.now();
    let mut work = match domain.begin(now).await {
        Ok(work) => work,
        Err(error) => {
            tracing::warn!(
                ?error,
                "a batch of messages could not begin: each goes alone"
            );
            return alone();
        }
    };
    let ids: Vec<ChatId> = jobs.iter().map(|job| job.chat_id).collect();
    let chats: HashMap<ChatId, (chat::Model, MessageRules)> =
        match domain.chats().locked_for_messages(&work.tx, &ids).await {
            Ok(chats) => chats.into_iter().map(|(c, r)| (c.id, (c, r))).collect(),
            Err(error) => {
                tracing::warn!(?error, "a batch of messages could not read its chats");
                return alone();
            }
        };
    let mut effects: Vec<Option<Effect>> = Vec::with_capacity(jobs.len());
    for job in jobs {
        let effect = chats
            .get(&job.chat_id)
            .and_then(|(chat, rules)| {
                let me = decided_in_memory(&job.actor, chat, now)?;
                Some((chat, rules, me))
            })
            .map(|(chat, rules, me)| {
                let effect = Effect::of(chat, rules, Said::operator(me, &job.text), now);
                domain.chats().tell_participants(
                    &mut work,
                    &effect.chat,
                    rules.participants.clone(),
                    &effect.events,
                );
                effect
            });
        effects.push(effect);
    }
    let written: Vec<&Effect> = effects.iter().flatten().collect();
    if written.is_empty() {
        return alone();
    }
    let messages: Vec<&message::Model> = written.iter().map(|e| &e.message).collect();
    let updated: Vec<&chat::Model> = written.iter().map(|e| &e.chat).collect();
    let deliveries: Vec<&delivery::Model> = written.iter().flat_map(|e| &e.delivery).collect();
    work.outbox.lead_with(|sql| insert_rows(sql, &messages));
    work.outbox.lead_with(|sql| update_rows(sql, &updated));
    if !deliveries.is_empty() {
        work.outbox.lead_with(|sql| insert_rows(sql, &deliveries));
        work.outbox.wake_deliveries();
    }
    let flushed = match domain.flush(work).await {
        Ok(flushed) => flushed,
        Err(error) => {
            tracing::warn!(
                ?error,
                "a batch of messages failed to write: each goes alone"
            );
            return alone();
        }
    };
    let committed = domain.commit_flushed(flushed).await;
    if let Err(error) = &committed {
        tracing::error!(?error, "a batch of messages failed to commit");
    }
    effects
        .into_iter()
        .map(|effect| match (effect, &committed) {
            (None, _) => Batched::Alone,
            (Some(effect), Ok(())) => Batched::Written(effect.message),
            (Some(_), Err(_)) => Batched::Failed(DomainError::Internal(
                "the message's transaction failed to commit".into(),
            )),
        })
        .collect()
}

/// The operator writing when the batch can take the message as it stands: the caller owns
/// the chat (so may see it and write in it), in its own organization, the chat takes messages
/// as the single path asks ([`takes_messages`]), and the message needs no template. `None`
/// sends it alone, where every other case is answered.
fn decided_in_memory(
    actor: &Actor, chat: &chat::Model, now: chrono::DateTime<chrono::Utc>,
) -> Option<crate::ids::OperatorId> {
    let (me, _) = actor.operator().ok()?;
    let writable = chat.organization_id == actor.organization_id
        && chat.operator_id == Some(me)
        && takes_messages(chat).is_ok()
        && !chat_reply_policy(chat, now).requires_template;
    writable.then_some(me)
}

/// `INSERT` of `models` into their table: the rows go as one JSON parameter, one key per
/// column, that PostgreSQL reads back into the table's row type; the statement's text is the
/// same however many rows there are.
fn insert_rows<M: ModelTrait>(sql: &mut SqlWriterValues, models: &[&M]) {
    let table = table::<M::Entity>();
    let columns = columns::<M::Entity>(|_| true).join(", ");
    let _ = write!(
        sql,
        "INSERT INTO {table} ({columns}) SELECT {columns} FROM jsonb_populate_recordset(NULL::{table}, "
    );
    sql.push_param(rows_json(models), &PostgresQueryBuilder);
    let _ = sql.write_str(")");
}

/// `UPDATE` of `models`' rows to the values given, every column, by primary key, as
/// [`insert_rows`] passes them.
fn update_rows<M: ModelTrait>(sql: &mut SqlWriterValues, models: &[&M]) {
    let table = table::<M::Entity>();
    let keys = columns::<M::Entity>(is_key::<M::Entity>);
    let set = columns::<M::Entity>(|c| !is_key::<M::Entity>(c))
        .iter()
        .map(|c| format!("{c} = n.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = write!(
        sql,
        "UPDATE {table} SET {set} FROM jsonb_populate_recordset(NULL::{table}, "
    );
    sql.push_param(rows_json(models), &PostgresQueryBuilder);
    let matched = keys
        .iter()
        .map(|k| format!("{table}.{k} = n.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ");
    let _ = write!(sql, ") AS n WHERE {matched}");
}

fn table<E: EntityTrait>() -> String {
    format!("\"{}\"", E::default().table_name())
}

/// The entity's columns, quoted, that `keep` keeps.
fn columns<E: EntityTrait>(keep: impl Fn(&E::Column) -> bool) -> Vec<String> {
    E::Column::iter()
        .filter(keep)
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect()
}

fn is_key<E: EntityTrait>(column: &E::Column) -> bool {
    E::PrimaryKey::iter().any(|key| key.into_column().as_str() == column.as_str())
}

/// `models` as a JSON array of objects, one key per column, each value as it is stored.
fn rows_json<M: ModelTrait>(models: &[&M]) -> Value {
    let rows: Vec<serde_json::Value> = models
        .iter()
        .map(|model| {
            <M::Entity as EntityTrait>::Column::iter()
                .map(|column| (column.as_str().to_owned(), json_of(model.get(column))))
                .collect::<serde_json::Map<_, _>>()
                .into()
        })
        .collect();
    Value::from(serde_json::Value::Array(rows))
}

/// A column's value as JSON that PostgreSQL reads back into the column's type.
fn json_of(value: Value) -> serde_json::Value {
    match value {
        // sea-query renders a time as an SQL literal, quotes included.
        Value::ChronoDateTimeUtc(Some(at)) => at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            .into(),
        other => sea_orm::sea_query::value::sea_value_to_json_value(&other),
    }
}
