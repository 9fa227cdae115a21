//! DataLoaders: every relation a list can ask for is loaded in one query per request and
//! relation, never one per row (the N+1 that lldap's STYLE.md note warns of).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use omnipanel_domain::entity::{
    operator, operator_skill, queue, queue_member, quick_reply_queue, skill, topic,
};
use omnipanel_domain::ids::{
    ChatId, CustomerId, OperatorId, QueueId, QuickReplyId, SkillId, TopicId,
};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// The loaders of one request, over the database.
pub struct Loaders {
    db: DatabaseConnection,
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

type LoadResult<K, V> = Result<HashMap<K, V>, Arc<DbErr>>;

/// Each row placed under the key `place` gives it (a row it gives none is left out), in the order
/// the rows came; every asked key is there, with nothing where no row matched.
fn grouped<K, R, V>(
    keys: &[K], rows: impl IntoIterator<Item = R>, place: impl FnMut(R) -> Option<(K, V)>,
) -> HashMap<K, Vec<V>>
where
    K: Copy + Eq + std::hash::Hash,
{
    let mut out: HashMap<K, Vec<V>> = keys.iter().map(|k| (*k, Vec::new())).collect();
    for (key, value) in rows.into_iter().filter_map(place) {
        out.entry(key).or_default().push(value);
    }
    out
}

/// An operator's queues (active ones, by name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueuesOf(pub OperatorId);

/// The queues a quick reply belongs to (live ones, by name); none: every queue's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QueuesOfReply(pub QuickReplyId);

/// An operator's skills with levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SkillsOf(pub OperatorId);

/// A queue's members.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MembersOf(pub QueueId);

/// A topic's subtopics (active ones, by name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SubtopicsOf(pub TopicId);

impl Loaders {
    /// The live queues each key links to, by name: `links` pairs a key with a queue id.
    async fn live_queues<K: Copy + Eq + std::hash::Hash>(
        &self, keys: &[K], links: Vec<(K, QueueId)>,
    ) -> LoadResult<K, Vec<queue::Model>> {
        let queues: HashMap<QueueId, queue::Model> = queue::Entity::find()
            .filter(queue::Column::Id.is_in(links.iter().map(|(_, queue)| *queue)))
            .filter(queue::Column::ArchivedAt.is_null())
            .order_by_asc(queue::Column::Name)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|q| (q.id, q))
            .collect();
        let mut out = grouped(keys, links, |(key, queue)| {
            queues.get(&queue).map(|q| (key, q.clone()))
        });
        out.values_mut()
            .for_each(|list| list.sort_by(|a, b| a.name.cmp(&b.name)));
        Ok(out)
    }
}

impl Loader<QueuesOf> for Loaders {
    type Value = Vec<queue::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[QueuesOf]) -> LoadResult<QueuesOf, Self::Value> {
        let memberships = queue_member::Entity::find()
            .filter(queue_member::Column::OperatorId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        let links = memberships
            .into_iter()
            .map(|m| (QueuesOf(m.operator_id), m.queue_id))
            .collect();
        self.live_queues(keys, links).await
    }
}

impl Loader<QueuesOfReply> for Loaders {
    type Value = Vec<queue::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[QueuesOfReply]) -> LoadResult<QueuesOfReply, Self::Value> {
        let links = quick_reply_queue::Entity::find()
            .filter(quick_reply_queue::Column::QuickReplyId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|link| (QueuesOfReply(link.quick_reply_id), link.queue_id))
            .collect();
        self.live_queues(keys, links).await
    }
}

impl Loader<SkillsOf> for Loaders {
    type Value = Vec<(skill::Model, i16)>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[SkillsOf]) -> LoadResult<SkillsOf, Self::Value> {
        let levels = operator_skill::Entity::find()
            .filter(operator_skill::Column::OperatorId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        let skills: HashMap<SkillId, skill::Model> = skill::Entity::find()
            .filter(skill::Column::Id.is_in(levels.iter().map(|l| l.skill_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let mut out = grouped(keys, levels, |level| {
            skills
                .get(&level.skill_id)
                .map(|s| (SkillsOf(level.operator_id), (s.clone(), level.level)))
        });
        out.values_mut()
            .for_each(|list| list.sort_by(|a, b| a.0.name.cmp(&b.0.name)));
        Ok(out)
    }
}

impl Loader<MembersOf> for Loaders {
    type Value = Vec<operator::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[MembersOf]) -> LoadResult<MembersOf, Self::Value> {
        let memberships = queue_member::Entity::find()
            .filter(queue_member::Column::QueueId.is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await?;
        let operators: HashMap<OperatorId, operator::Model> = operator::Entity::find()
            .filter(operator::Column::Id.is_in(memberships.iter().map(|m| m.operator_id)))
            .filter(operator::Column::ArchivedAt.is_null())
            .all(&self.db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let mut out = grouped(keys, memberships, |membership| {
            operators
                .get(&membership.operator_id)
                .map(|o| (MembersOf(membership.queue_id), o.clone()))
        });
        out.values_mut().for_each(|list| {
            list.sort_by(|a, b| (&a.first_name, &a.last_name).cmp(&(&b.first_name, &b.last_name)))
        });
        Ok(out)
    }
}

impl Loader<SubtopicsOf> for Loaders {
    type Value = Vec<topic::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[SubtopicsOf]) -> LoadResult<SubtopicsOf, Self::Value> {
        let children = topic::Entity::find()
            .filter(topic::Column::ParentId.is_in(keys.iter().map(|k| k.0)))
            .filter(topic::Column::ArchivedAt.is_null())
            .order_by_asc(topic::Column::Name)
            .all(&self.db)
            .await?;
        Ok(grouped(keys, children, |child| {
            child.parent_id.map(|parent| (SubtopicsOf(parent), child))
        }))
    }
}

/// A loader of rows by primary key, one query per batch.
macro_rules! by_id {
    ($id:ty, $entity:ident) => {
        impl Loader<$id> for Loaders {
            type Value = omnipanel_domain::entity::$entity::Model;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$id]) -> LoadResult<$id, Self::Value> {
                use omnipanel_domain::entity::$entity;
                Ok($entity::Entity::find()
                    .filter($entity::Column::Id.is_in(keys.iter().copied()))
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|row| (row.id, row))
                    .collect())
            }
        }
    };
}

by_id!(ChatId, chat);
by_id!(SkillId, skill);
by_id!(QueueId, queue);
by_id!(OperatorId, operator);
by_id!(TopicId, topic);
by_id!(omnipanel_domain::ids::CustomerId, customer);
by_id!(omnipanel_domain::ids::WrapUpReasonId, wrap_up_reason);
by_id!(omnipanel_domain::ids::ChatResultId, chat_result);

impl Loader<omnipanel_domain::ids::OrganizationId> for Loaders {
    type Value = omnipanel_domain::entity::organization_settings::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self, keys: &[omnipanel_domain::ids::OrganizationId],
    ) -> LoadResult<omnipanel_domain::ids::OrganizationId, Self::Value> {
        use omnipanel_domain::entity::organization_settings;
        Ok(organization_settings::Entity::find()
            .filter(organization_settings::Column::OrganizationId.is_in(keys.iter().copied()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| (row.organization_id, row))
            .collect())
    }
}

/// A loader of the rows whose `$column` is one of the keys, in the given order, gathered by key:
/// `rows_of!(NotesOf(ChatId): note.ChatId = chat_id, order_by_asc(CreatedAt))`.
macro_rules! rows_of {
    ($(#[$doc:meta])* $key:ident($id:ty): $entity:ident.$column:ident = $field:ident,
        $($order:ident($by:ident)),+ $(=> $value:ident)?) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub $id);

        impl Loader<$key> for Loaders {
            type Value = Vec<rows_of!(@value $entity $($value)?)>;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> LoadResult<$key, Self::Value> {
                use omnipanel_domain::entity::$entity;
                let rows = $entity::Entity::find()
                    .filter($entity::Column::$column.is_in(keys.iter().map(|k| k.0)))
                    $(.$order($entity::Column::$by))+
                    .all(&self.db)
                    .await?;
                Ok(grouped(keys, rows, |row| {
                    Option::from(row.$field).map(|key| ($key(key), rows_of!(@take row $($value)?)))
                }))
            }
        }
    };
    (@value $entity:ident) => { omnipanel_domain::entity::$entity::Model };
    (@value $entity:ident $value:ident) => { String };
    (@take $row:ident) => { $row };
    (@take $row:ident $value:ident) => { $row.$value };
}

rows_of!(
    /// A chat's responsibility history, oldest first (E3).
    HistoryOf(ChatId): chat_assignment.ChatId = chat_id,
    order_by_asc(StartedAt), order_by_asc(Id)
);
rows_of!(
    /// A chat's tags, sorted.
    TagsOf(ChatId): chat_tag.ChatId = chat_id, order_by_asc(Tag) => tag
);
rows_of!(
    /// A chat's notes, oldest first.
    NotesOf(ChatId): note.ChatId = chat_id, order_by_asc(CreatedAt)
);
rows_of!(
    /// The files of chats, oldest first (D4).
    FilesOfChat(ChatId): attachment.ChatId = chat_id,
    order_by_asc(CreatedAt), order_by_asc(Id)
);
rows_of!(
    /// A customer's chats, newest first (D10).
    ChatsOf(CustomerId): chat.CustomerId = customer_id, order_by_desc(CreatedAt)
);
rows_of!(
    /// The operators in a chat.
    ParticipantsOf(ChatId): chat_participant.ChatId = chat_id, order_by_asc(InvitedAt)
);
