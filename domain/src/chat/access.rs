//! Which chats, queues and topics a caller may use (A1, A2), and who is told of a chat's changes.

use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, PaginatorTrait,
    QueryFilter, QuerySelect, QueryTrait,
};
use serde_json::json;

use crate::actor::{Actor, Principal};
use crate::chat::rules::MessageRules;
use crate::entity::{
    channel, chat, chat_assignment, chat_participant, organization_settings, queue, queue_member,
    topic,
};
use crate::enums::{ChatStatus, EventKind, ParticipantState, Role};
use crate::error::{DomainError, Result};
use crate::ids::*;
use crate::store::{find_own, relation};

use crate::service::Chats;
use crate::work::Work;

impl Chats<'_> {
    /// A chat the caller may see (A1, A2); anything else is `NOT_FOUND`.
    #[tracing::instrument(level = "debug", skip_all, fields(org = %actor.organization_id))]
    pub async fn visible_chat(
        self, db: &impl ConnectionTrait, actor: &Actor, id: ChatId,
    ) -> Result<chat::Model> {
        let found = find_own::<chat::Entity>(db, actor, id).await?;
        self.seen(db, actor, found).await
    }

    /// `chat` when the caller may see it; `NOT_FOUND` otherwise, as if it did not exist.
    async fn seen(
        self, db: &impl ConnectionTrait, actor: &Actor, chat: chat::Model,
    ) -> Result<chat::Model> {
        if self.can_see(db, actor, &chat).await? {
            Ok(chat)
        } else {
            Err(DomainError::not_found("chat"))
        }
    }

    pub(crate) async fn can_see(
        self, db: &impl ConnectionTrait, actor: &Actor, chat: &chat::Model,
    ) -> Result<bool> {
        let (me, role) = match actor.principal {
            Principal::ApiKey { .. } => return Ok(true),
            Principal::Operator { id, role, .. } => (id, role),
        };
        if role.at_least(Role::Manager) || chat.operator_id == Some(me) {
            return Ok(true);
        }
        let in_my_queue = match chat.queue_id {
            Some(queue_id) => queue_member::Entity::find_by_id((queue_id, me))
                .one(db)
                .await?
                .is_some(),
            None => false,
        };
        if in_my_queue
            && (role.at_least(Role::Supervisor)
                || matches!(chat.status, ChatStatus::Queued | ChatStatus::Bot))
        {
            return Ok(true);
        }
        let participated = chat_participant::Entity::find()
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::OperatorId.eq(me))
            .count(db)
            .await?
            > 0;
        let responsible = chat_assignment::Entity::find()
            .filter(chat_assignment::Column::ChatId.eq(chat.id))
            .filter(chat_assignment::Column::OperatorId.eq(me))
            .filter(chat_assignment::Column::AcceptedAt.is_not_null())
            .count(db)
            .await?
            > 0;
        Ok(participated || responsible)
    }

    /// The chat of which the caller is the owner (or, for closing, a supervisor above it).
    /// A chat the caller may see, locked for the rest of the transaction: one read where the
    /// caller works the chat. Anything else is `NOT_FOUND`.
    pub(crate) async fn locked_visible_chat(
        self, db: &impl ConnectionTrait, actor: &Actor, id: ChatId,
    ) -> Result<chat::Model> {
        let found = chat::Entity::find_by_id(id)
            .filter(chat::Column::OrganizationId.eq(actor.organization_id))
            .lock_exclusive()
            .one(db)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        self.seen(db, actor, found).await
    }

    /// [`Self::locked_visible_chat`] for a new message: the chat with the rules the message's
    /// effect on it follows and the operators to tell, in one round trip (the chat row alone is
    /// locked; its participants change only under that lock).
    pub(crate) async fn locked_for_message(
        self, db: &impl ConnectionTrait, actor: &Actor, id: ChatId,
    ) -> Result<(chat::Model, MessageRules)> {
        let select = locked_with_rules(
            chat::Entity::find_by_id(id)
                .filter(chat::Column::OrganizationId.eq(actor.organization_id)),
            db.get_database_backend(),
            None,
        );
        let row = db
            .query_one(&select)
            .await?
            .ok_or(DomainError::not_found("chat"))?;
        let (found, rules) = chat_with_rules(&row)?;
        if self.can_see(db, actor, &found).await? {
            Ok((found, rules))
        } else {
            Err(DomainError::not_found("chat"))
        }
    }

    /// PostgreSQL: [`Self::locked_for_message`] for several chats at once, whoever asks (the
    /// caller checks each chat against its own asker): the chats found, each with its rules,
    /// locked in the order of their ids. A chat another transaction holds locked is left out
    /// rather than waited for (`SKIP LOCKED`): the read never waits.
    ///
    /// The ids go as one JSON array. As an array parameter (`= ANY($1)`) PostgreSQL would plan
    /// the read again for every batch (a custom plan is cheaper for the array's exact length):
    /// planning cost three times the read itself.
    pub(crate) async fn locked_for_messages(
        self, db: &impl ConnectionTrait, ids: &[ChatId],
    ) -> Result<Vec<(chat::Model, MessageRules)>> {
        use sea_orm::sea_query::Expr;
        use sea_orm::{QueryOrder, Value};
        let ids = Value::from(serde_json::Value::from(
            ids.iter().map(|id| id.0.to_string()).collect::<Vec<_>>(),
        ));
        let wanted = Expr::cust_with_values(
            r#""chats"."id" IN (SELECT value::uuid FROM jsonb_array_elements_text($1))"#,
            [ids],
        );
        let select = locked_with_rules(
            chat::Entity::find()
                .filter(wanted)
                .order_by_asc(chat::Column::Id),
            db.get_database_backend(),
            Some(LockBehavior::SkipLocked),
        );
        db.query_all(&select)
            .await?
            .iter()
            .map(chat_with_rules)
            .collect()
    }

    /// The rules a new message in `chat` follows, read in one round trip.
    pub(crate) async fn message_rules(
        self, db: &impl ConnectionTrait, chat: &chat::Model,
    ) -> Result<MessageRules> {
        let row = with_message_rules(
            chat::Entity::find_by_id(chat.id).select_also(organization_settings::Entity),
            db.get_database_backend(),
        )
        .into_query();
        let row = db
            .query_one(&row)
            .await?
            .ok_or(DomainError::not_found("settings"))?;
        rules_of(&row)
    }

    /// Opens a change of a chat the caller works, at this instant: the chat, locked, as
    /// [`Self::owned_chat`] allows it.
    pub(crate) async fn begin_on_owned(
        self, actor: &Actor, chat_id: ChatId, supervisors_too: bool,
    ) -> Result<(Work, chat::Model)> {
        let work = self.domain.begin(self.domain.now()).await?;
        let chat = self
            .owned_chat(&work.tx, actor, chat_id, supervisors_too)
            .await?;
        Ok((work, chat))
    }

    pub(crate) async fn owned_chat(
        self, db: &impl ConnectionTrait, actor: &Actor, chat_id: ChatId, supervisors_too: bool,
    ) -> Result<chat::Model> {
        let (me, role) = actor.operator()?;
        let chat = self.locked_visible_chat(db, actor, chat_id).await?;
        let allowed =
            chat.operator_id == Some(me) || (supervisors_too && role.at_least(Role::Supervisor));
        if !allowed {
            return Err(DomainError::forbidden("This chat is not yours"));
        }
        crate::chat::rules::accepted_and_open(&chat)?;
        Ok(chat)
    }

    /// A queue of the caller's organization that is not archived, or `VALIDATION` on `field`.
    pub(crate) async fn usable_queue(
        self, db: &impl ConnectionTrait, actor: &Actor, id: QueueId, field: &'static str,
    ) -> Result<queue::Model> {
        match find_own::<queue::Entity>(db, actor, id).await {
            Ok(found) if found.archived_at.is_none() => Ok(found),
            Ok(_) => Err(DomainError::validation(field, "The queue is archived")),
            Err(DomainError::NotFound { .. }) => {
                Err(DomainError::validation(field, "No such queue"))
            }
            Err(other) => Err(other),
        }
    }

    /// Checks a topic and subtopic pair: both of the organization, active, the subtopic under
    /// the topic.
    pub(crate) async fn check_topics(
        self, db: &impl ConnectionTrait, actor: &Actor, topic_id: Option<TopicId>,
        subtopic_id: Option<TopicId>,
    ) -> Result<()> {
        let load = |id: TopicId, field: &'static str| async move {
            match topic::Entity::find_by_id(id)
                .filter(topic::Column::OrganizationId.eq(actor.organization_id))
                .filter(topic::Column::ArchivedAt.is_null())
                .one(db)
                .await?
            {
                Some(found) => Ok(found),
                None => Err(DomainError::validation(field, "No such topic")),
            }
        };
        if let Some(id) = topic_id {
            let found = load(id, "topicId").await?;
            if found.parent_id.is_some() {
                return Err(DomainError::validation(
                    "topicId",
                    "This is a subtopic; pass it as subtopicId",
                ));
            }
        }
        if let Some(id) = subtopic_id {
            let found = load(id, "subtopicId").await?;
            if topic_id.is_none() || found.parent_id != topic_id {
                return Err(DomainError::validation(
                    "subtopicId",
                    "The subtopic does not belong to the topic",
                ));
            }
        }
        Ok(())
    }

    /// Tells the followers of a message's chat that the message changed (`MESSAGE_UPDATED` with
    /// `change`).
    pub(crate) async fn tell_message_updated(
        self, work: &mut Work, chat_id: ChatId, change: serde_json::Value,
    ) -> Result<()> {
        if let Some(chat) = chat::Entity::find_by_id(chat_id).one(&work.tx).await? {
            self.tell_chat(work, &chat, EventKind::MessageUpdated, change)
                .await?;
        }
        Ok(())
    }

    /// Writes a chat's changed fields and tells its viewers what changed (`CHAT_UPDATED` with
    /// `change`).
    pub(crate) async fn update_chat(
        self, work: &mut Work, model: chat::ActiveModel, change: serde_json::Value,
    ) -> Result<chat::Model> {
        let updated = work.save(model).await?;
        self.tell_chat(work, &updated, EventKind::ChatUpdated, change)
            .await?;
        Ok(updated)
    }

    /// Tells the chat's viewers what changed (`CHAT_UPDATED` with `change`), commits the change
    /// and answers the chat.
    pub(crate) async fn commit_update(
        self, mut work: Work, chat: chat::Model, change: serde_json::Value,
    ) -> Result<chat::Model> {
        self.tell_chat(&mut work, &chat, EventKind::ChatUpdated, change)
            .await?;
        self.domain.answer(work, chat).await
    }

    /// Sends an event to a chat's stream and to every operator working it.
    pub(crate) async fn tell_chat(
        self, work: &mut Work, chat: &chat::Model, kind: EventKind, payload: serde_json::Value,
    ) -> Result<()> {
        self.tell_chat_all(work, chat, &[(kind, payload)]).await
    }

    /// Sends several events to a chat's stream and its operators, reading who they are once.
    /// Operators invited into it are told too, so an invitation card shows what happens in the
    /// chat while it waits (004).
    pub(crate) async fn tell_chat_all(
        self, work: &mut Work, chat: &chat::Model, events: &[(EventKind, serde_json::Value)],
    ) -> Result<()> {
        let participants = chat_participant::Entity::find()
            .select_only()
            .column(chat_participant::Column::OperatorId)
            .filter(chat_participant::Column::ChatId.eq(chat.id))
            .filter(chat_participant::Column::State.is_in(PRESENT))
            .into_tuple()
            .all(&work.tx)
            .await?;
        self.tell_participants(work, chat, participants, events);
        Ok(())
    }

    /// [`Self::tell_chat_all`] with the chat's joined and invited operators already read (as
    /// [`MessageRules::participants`] are).
    pub(crate) fn tell_participants(
        self, work: &mut Work, chat: &chat::Model, mut operators: Vec<OperatorId>,
        events: &[(EventKind, serde_json::Value)],
    ) {
        // A routed invitation is the chat's operator before it is a participant.
        if let (ChatStatus::Invited, Some(invited)) = (chat.status, chat.operator_id)
            && !operators.contains(&invited)
        {
            operators.push(invited);
        }
        for (kind, payload) in events {
            work.outbox.to_chat(
                chat.organization_id,
                chat.id,
                *kind,
                payload.clone(),
                work.now,
            );
            for operator in &operators {
                work.outbox.to_operator(
                    chat.organization_id,
                    *operator,
                    *kind,
                    Some(chat.id),
                    payload.clone(),
                    work.now,
                );
            }
        }
    }

    /// Tells whoever sees the chat's queue that the chat started waiting there (`CHAT_QUEUED`),
    /// that the bot has it there (`CHAT_WITH_BOT`), or that it left their "Unassigned" list
    /// (`CHAT_DEQUEUED`): one event on the queue's stream (`queueEvents`), however many members
    /// the queue has.
    pub(crate) fn tell_queue(self, work: &mut Work, chat: &chat::Model, kind: EventKind) {
        if let Some(queue_id) = chat.queue_id {
            work.outbox.to_queue(
                chat.organization_id,
                queue_id,
                kind,
                chat.id,
                json!({ "queueId": queue_id }),
                work.now,
            );
        }
    }
}

/// The states of an operator who is told what happens in a chat: joined in it, or invited.
const PRESENT: [ParticipantState; 2] = [ParticipantState::Joined, ParticipantState::Invited];

/// Joins a chat's organization settings and its channel's auto-close time to a read of it.
fn with_message_rules(
    select: sea_orm::SelectTwo<chat::Entity, organization_settings::Entity>,
    backend: sea_orm::DatabaseBackend,
) -> sea_orm::SelectTwo<chat::Entity, organization_settings::Entity> {
    // The operators joined in or invited to the chat, as one comma-separated text (SQLite keeps
    // a UUID as its 16 bytes: in hex, which parses as well).
    let concat = match backend {
        sea_orm::DatabaseBackend::Postgres => "string_agg(p.operator_id::text, ',')",
        _ => "group_concat(hex(p.operator_id), ',')",
    };
    let present = PRESENT
        .map(|state| format!("'{}'", state.as_str()))
        .join(", ");
    let participants = format!(
        "(SELECT {concat} FROM chat_participants p WHERE p.chat_id = chats.id \
         AND p.state IN ({present}))"
    );
    select
        .column_as(sea_orm::sea_query::Expr::cust(participants), "participants")
        .join(
            JoinType::InnerJoin,
            relation(
                chat::Column::OrganizationId,
                organization_settings::Column::OrganizationId,
            ),
        )
        .join(
            JoinType::LeftJoin,
            relation(chat::Column::ChannelId, channel::Column::Id),
        )
        .column_as(channel::Column::AutoCloseAfterSecs, "auto_close_after_secs")
}

/// `chats` with the rules a new message follows ([`with_message_rules`]), the chat rows locked
/// for the rest of the transaction; `behavior`: what of the rows another transaction holds
/// (waited for when `None`).
fn locked_with_rules(
    chats: sea_orm::Select<chat::Entity>, backend: sea_orm::DatabaseBackend,
    behavior: Option<LockBehavior>,
) -> sea_orm::sea_query::SelectStatement {
    let mut select =
        with_message_rules(chats.select_also(organization_settings::Entity), backend).into_query();
    match behavior {
        Some(behavior) => {
            select.lock_with_tables_behavior(LockType::Update, [chat::Entity], behavior)
        }
        None => select.lock_with_tables(LockType::Update, [chat::Entity]),
    };
    select
}

/// A chat and its rules from a row [`locked_with_rules`] read.
fn chat_with_rules(row: &sea_orm::QueryResult) -> Result<(chat::Model, MessageRules)> {
    Ok((chat::Model::from_query_result(row, "A_")?, rules_of(row)?))
}

/// The rules read by [`with_message_rules`].
fn rules_of(row: &sea_orm::QueryResult) -> Result<MessageRules> {
    let participants: Option<String> = row.try_get("", "participants")?;
    Ok(MessageRules {
        settings: organization_settings::Model::from_query_result(row, "B_")?,
        auto_close_after_secs: row.try_get("", "auto_close_after_secs")?,
        participants: participants
            .iter()
            .flat_map(|list| list.split(','))
            .map(|id| {
                id.parse()
                    .map(OperatorId)
                    .map_err(|_| DomainError::Db(sea_orm::DbErr::Type(format!("participant {id}"))))
            })
            .collect::<Result<_>>()?,
    })
}
