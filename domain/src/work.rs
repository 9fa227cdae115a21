//! A change in the making: the write transaction it runs in, the events it causes (written in
//! that transaction, published after it commits) and the instant it happens at. Every step of a
//! change takes the one `Work`, so a step cannot write outside the change's transaction, lose an
//! event, or see another time.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel,
};

use crate::error::Result;
use crate::events::Outbox;
use crate::service::Domain;

pub(crate) struct Work {
    pub tx: DatabaseTransaction,
    pub outbox: Outbox,
    pub now: DateTime<Utc>,
    /// Whether the change alters who a bearer token stands for.
    credentials_changed: bool,
    /// Whether the change's message is the last thing it writes ([`Work::write_message_last`]).
    message_last: bool,
}

impl Work {
    /// Notes that the change alters who a token stands for (a session ended, an operator
    /// deactivated or given another role, a key revoked): every instance forgets the tokens it
    /// keeps as the change commits (`identity/credentials.rs`).
    pub(crate) fn change_credentials(&mut self) {
        self.credentials_changed = true;
    }

    /// Notes that the change's one message is the last thing it writes, and nothing after it
    /// reads or references it: on PostgreSQL the message, its chat's update and its delivery
    /// then go in the statement that writes the change's events, as it commits, one round trip
    /// instead of two.
    pub(crate) fn write_message_last(&mut self) {
        self.message_last = true;
    }

    /// Whether the message being written may wait for the events' statement; asked once, by
    /// the one message's writer.
    pub(crate) fn message_leads_events(&mut self) -> bool {
        std::mem::take(&mut self.message_last)
            && self.tx.get_database_backend() == sea_orm::DbBackend::Postgres
    }

    /// Writes a row's changed fields, its `updated_at` the change's instant.
    pub(crate) async fn save<A>(&self, mut model: A) -> Result<<A::Entity as EntityTrait>::Model>
    where
        A: Stamped + ActiveModelBehavior + Send,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        model.stamp(self.now);
        Ok(model.update(&self.tx).await?)
    }
}

/// A change with its events written, waiting for its commit ([`Domain::flush`]).
pub(crate) struct Flushed {
    tx: DatabaseTransaction,
    outbox: Outbox,
    credentials_changed: bool,
}

/// A row that keeps the instant it last changed.
pub(crate) trait Stamped: ActiveModelTrait {
    fn stamp(&mut self, now: DateTime<Utc>);
}

macro_rules! stamped {
    ($($entity:ident),* $(,)?) => {$(
        impl Stamped for crate::entity::$entity::ActiveModel {
            fn stamp(&mut self, now: DateTime<Utc>) {
                self.updated_at = Set(now);
            }
        }
    )*};
}

stamped!(
    bot_scheme,
    chat,
    chat_result,
    custom_status,
    operator,
    organization_settings,
    queue,
    quick_reply,
    skill,
    topic,
    wrap_up_reason,
);

impl Domain {
    /// Opens a write transaction for a change happening now.
    pub(crate) async fn begin_now(&self) -> Result<Work> {
        self.begin(self.now()).await
    }

    /// Opens a write transaction for a change happening at `now`.
    pub(crate) async fn begin(&self, now: DateTime<Utc>) -> Result<Work> {
        Ok(Work {
            tx: self.write().await?,
            outbox: Outbox::new(),
            now,
            credentials_changed: false,
            message_last: false,
        })
    }

    /// Commits a change with its events, then publishes them (and wakes the delivery worker
    /// when it queued deliveries); this instance's subscribers get the events from memory.
    pub(crate) async fn commit(&self, work: Work) -> Result<()> {
        let flushed = self.flush(work).await?;
        self.commit_flushed(flushed).await
    }

    /// The first half of [`Self::commit`]: writes the change's events (and the writes they
    /// lead). A failure here rolls the whole change back, so it may be tried again.
    pub(crate) async fn flush(&self, work: Work) -> Result<Flushed> {
        let Work {
            tx,
            mut outbox,
            credentials_changed,
            ..
        } = work;
        outbox.flush(&tx).await?;
        if credentials_changed {
            crate::identity::credentials::tell_instances(&tx).await?;
        }
        Ok(Flushed {
            tx,
            outbox,
            credentials_changed,
        })
    }

    /// The second half of [`Self::commit`]: commits, then publishes. A failure here may come
    /// after the database committed (a connection lost on the way back): never try it again.
    pub(crate) async fn commit_flushed(&self, flushed: Flushed) -> Result<()> {
        let Flushed {
            tx,
            mut outbox,
            credentials_changed,
        } = flushed;
        tx.commit().await?;
        if credentials_changed {
            self.credentials.forget_all();
        }
        if outbox.wakes_deliveries() {
            self.deliveries_due.notify_one();
        }
        // Before the wake-up, so the subscribers it wakes find the events in memory.
        self.event_tails.committed(outbox.take_written());
        outbox.publish(&self.bus);
        Ok(())
    }

    /// Commits a change as [`Self::commit`] does and answers `value`: what a call returns once
    /// its change is durable.
    pub(crate) async fn answer<T>(&self, work: Work, value: T) -> Result<T> {
        self.commit(work).await?;
        Ok(value)
    }
}
