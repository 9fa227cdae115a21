//! What administrators set up, as GraphQL shows it: operators, queues, skills, dictionaries,
//! quick replies, topics and the organization's settings.

use async_graphql::{ComplexObject, Context, Object, SimpleObject};
use chrono::{DateTime, Utc};
use omnipanel_domain::entity::{
    bot_scheme, chat_result, custom_status, operator, organization_settings, queue, quick_reply,
    skill, topic, wrap_up_reason,
};
use omnipanel_domain::enums::{ApiKeyScope, OperatorStatus, Role};
use omnipanel_domain::ids::*;
use omnipanel_domain::{Actor, Principal};

use omnipanel_domain::admin::{WorkingHours, queue_open, working_hours};

use crate::graphql::context::{actor, domain, load, load_each, loader};

use crate::graphql::loaders::{MembersOf, QueuesOf, QueuesOfReply, SkillsOf, SubtopicsOf};
use crate::graphql::projection::projection;

/// Whether the viewer sees an operator's full identity: the operator themself, supervisors and
/// above, and admin API keys. Everyone else sees the first name only (A3).
pub(crate) fn sees_full_identity(viewer: &Actor, subject: OperatorId) -> bool {
    match viewer.principal {
        Principal::Operator { id, role, .. } => id == subject || role.at_least(Role::Supervisor),
        Principal::ApiKey { scope, .. } => scope == ApiKeyScope::Admin,
    }
}

/// A person who works chats: operator, supervisor, manager, admin or owner.
pub struct Operator {
    model: operator::Model,
    /// The viewer is this operator (a sign-in payload, before any token is sent).
    own: bool,
}

impl Operator {
    /// An operator as seen by the request's caller.
    pub fn of(model: operator::Model) -> Self {
        Self { model, own: false }
    }

    /// An operator as seen by themself.
    pub fn own(model: operator::Model) -> Self {
        Self { model, own: true }
    }

    fn sees_full_identity(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self.own || sees_full_identity(actor(ctx)?, self.model.id))
    }
}

#[Object]
impl Operator {
    async fn id(&self) -> OperatorId {
        self.model.id
    }
    /// What customers see of the operator.
    async fn first_name(&self) -> &str {
        &self.model.first_name
    }
    /// Visible to the operator and to supervisors and above; null for others (A3).
    async fn last_name(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(self
            .sees_full_identity(ctx)?
            .then_some(self.model.last_name.as_str()))
    }
    /// Visible to the operator and to supervisors and above; null for others.
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(self
            .sees_full_identity(ctx)?
            .then_some(self.model.email.as_str()))
    }
    async fn role(&self) -> Role {
        self.model.role
    }
    async fn status(&self) -> OperatorStatus {
        self.model.status
    }
    /// The admin-defined status, when `status` is UNAVAILABLE with one.
    async fn custom_status_id(&self) -> Option<CustomStatusId> {
        self.model.custom_status_id
    }
    /// When the current status began; the panel shows the time since (B2).
    async fn status_since(&self) -> DateTime<Utc> {
        self.model.status_since
    }
    /// The status scheduled to apply when the current work ends (B2).
    async fn next_status(&self) -> Option<OperatorStatus> {
        self.model.next_status
    }
    /// Chats the operator is responsible for now.
    async fn active_chat_count(&self) -> i32 {
        self.model.active_chats
    }
    /// The concurrent-chat limit.
    async fn max_chats(&self) -> i32 {
        self.model.max_chats
    }
    /// On a phone call (reported by the telephony side): gets no chats (C3).
    async fn on_call(&self) -> bool {
        self.model.on_call
    }
    /// Seconds spent in each status over a period (B3): the operator themself and
    /// supervisors and above.
    async fn time_in_status(
        &self, ctx: &Context<'_>, from: DateTime<Utc>, to: DateTime<Utc>,
    ) -> async_graphql::Result<Vec<omnipanel_domain::presence::StatusTime>> {
        crate::graphql::context::domain(ctx)
            .presence()
            .time_in_status(actor(ctx)?, self.model.id, from, to)
            .await
            .map_err(crate::graphql::error::to_gql)
    }
    /// Whether the telephony side may route a call to the operator: signed in and with no
    /// chat in hand (C3).
    async fn can_take_call(&self) -> bool {
        self.model.active_chats == 0
            && self.model.status != OperatorStatus::Offline
            && !self.model.on_call
    }
    /// Until when the operator is in after-chat work (X6).
    async fn after_chat_work_until(&self) -> Option<DateTime<Utc>> {
        self.model.after_work_until
    }
    /// The queues the operator belongs to.
    async fn queues(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Queue>> {
        load_each(ctx, QueuesOf(self.model.id), Queue::from).await
    }
    /// The operator's skills and proficiency levels (X3).
    async fn skills(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OperatorSkill>> {
        load_each(ctx, SkillsOf(self.model.id), |(skill, level)| {
            OperatorSkill {
                skill: Skill::from(skill),
                level: i32::from(level),
            }
        })
        .await
    }
}

/// Loads what a list of operators may ask for (queues with their members and skills, skills),
/// one query per relation, so the batches do not depend on timing.
pub async fn prime_operators(ctx: &Context<'_>, ids: Vec<OperatorId>) -> async_graphql::Result<()> {
    let loader = loader(ctx);
    let queues_of: Vec<QueuesOf> = ids.iter().copied().map(QueuesOf).collect();
    let skills_of: Vec<SkillsOf> = ids.into_iter().map(SkillsOf).collect();
    let (queues, _) =
        futures_util::try_join!(loader.load_many(queues_of), loader.load_many(skills_of))?;
    let queues: Vec<_> = queues.into_values().flatten().collect();
    prime_queues(ctx, &queues).await
}

/// Loads what a list of queues may ask for (members, skills).
pub async fn prime_queues(ctx: &Context<'_>, queues: &[queue::Model]) -> async_graphql::Result<()> {
    let loader = loader(ctx);
    let members: Vec<MembersOf> = queues.iter().map(|q| MembersOf(q.id)).collect();
    let skills: Vec<SkillId> = queues.iter().filter_map(|q| q.skill_id).collect();
    futures_util::try_join!(loader.load_many(members), loader.load_many(skills))?;
    Ok(())
}

/// A skill and how well an operator has it.
#[derive(SimpleObject)]
pub struct OperatorSkill {
    pub skill: Skill,
    /// 1 (basic) to 5 (expert).
    pub level: i32,
}

/// Defines a GraphQL object over a dictionary row with id, name and archive time.
macro_rules! dictionary_object {
    ($(#[$doc:meta])* $name:ident, $model:ty, $id:ty) => {
        projection!(
            $(#[$doc])*
            $name($model) {
                id: $id,
                name: String,
                /// Set when archived; archived entries are no longer offered.
                archived_at: Option<DateTime<Utc>>,
            }
        );
    };
}

dictionary_object!(
    /// A skill queues require and operators have (X3).
    Skill, skill::Model, SkillId);

dictionary_object!(
    /// A result a chat may be closed with (D6).
    ChatResult, chat_result::Model, ChatResultId);

dictionary_object!(
    /// An admin-defined flavour of UNAVAILABLE (B1).
    CustomStatus, custom_status::Model, CustomStatusId);

dictionary_object!(
    /// A bot scheme ("chatplan") a chat can be transferred to (E1).
    BotScheme, bot_scheme::Model, BotSchemeId);

projection!(
    /// Why a chat was closed (D6).
    WrapUpReason(wrap_up_reason::Model) {
        id: WrapUpReasonId,
        name: String,
        /// Used by the server itself (automatic closes); not offered to operators.
        is_system: bool,
        archived_at: Option<DateTime<Utc>>,
    }
);

projection!(
    /// A queue chats wait in for an operator.
    Queue(queue::Model) + complex {
        id: QueueId,
        name: String,
        /// How many chats may wait; null for no limit (C6).
        size_limit: Option<i32>,
        /// Seconds of after-chat work after this queue's chats (X6); null: the organization's.
        after_chat_work_secs: Option<i32>,
        archived_at: Option<DateTime<Utc>>,
        /// Sent to a customer whose chat has to wait (001).
        queued_reply: Option<String>,
        /// Sent instead of `queuedReply` outside the working hours (001).
        out_of_hours_reply: Option<String>,
        /// The IANA time zone of the working hours; null: UTC.
        time_zone: Option<String>,
    }
);

#[ComplexObject]
impl Queue {
    /// The skill routing requires of the queue's operators.
    async fn skill(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Skill>> {
        load(ctx, self.row.skill_id, Skill::from).await
    }
    /// The queue's operators.
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Operator>> {
        load_each(ctx, MembersOf(self.row.id), Operator::of).await
    }
    /// The queue's weekly hours; empty: always open.
    async fn working_hours(&self) -> Vec<WorkingHours> {
        working_hours(&self.row)
    }
    /// Whether the queue is within its working hours now.
    async fn open_now(&self, ctx: &Context<'_>) -> bool {
        queue_open(&self.row, domain(ctx).now())
    }
}

projection!(
    /// A prepared reply (D5).
    QuickReply(quick_reply::Model) + complex {
        id: QuickReplyId,
        /// At most 30 characters; what operators search by.
        name: String,
        /// An approved message template (WhatsApp HSM): what may be sent when the channel takes
        /// no free text (I3, X4).
        #[graphql(name = "approvedTemplate")]
        is_template: bool,
        /// The text, with `<customer_name>` and `<operator_name>` still unfilled.
        text: String,
        archived_at: Option<DateTime<Utc>>,
    }
);

#[ComplexObject]
impl QuickReply {
    /// The queues whose chats may use it (001); empty: every queue's.
    async fn queues(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Queue>> {
        load_each(ctx, QueuesOfReply(self.row.id), Queue::from).await
    }
    /// The text with its parameters filled for a chat: the customer's name (or how operators
    /// see the customer) and the caller's first name (D5). The operator may edit it.
    async fn filled_text(
        &self, ctx: &Context<'_>, chat_id: ChatId,
    ) -> async_graphql::Result<String> {
        let domain = crate::graphql::context::domain(ctx);
        let viewer = actor(ctx)?;
        let chat = domain
            .chats()
            .visible_chat(&domain.db, viewer, chat_id)
            .await
            .map_err(crate::graphql::error::to_gql)?;
        let customer = loader(ctx)
            .load_one(chat.customer_id)
            .await?
            .ok_or_else(|| {
                crate::graphql::error::to_gql(omnipanel_domain::DomainError::not_found("customer"))
            })?;
        let masking = crate::graphql::context::masking(ctx, chat.organization_id).await?;
        let customer_name = customer
            .name
            .clone()
            .unwrap_or_else(|| omnipanel_domain::customer::display_name(&customer));
        let operator_name = match viewer.operator_id() {
            Some(id) => loader(ctx)
                .load_one(id)
                .await?
                .map(|o| o.first_name)
                .unwrap_or_default(),
            None => String::new(),
        };
        Ok(omnipanel_domain::chat::fill_template(
            &self.row.text,
            &masking.apply(&customer_name),
            &operator_name,
        ))
    }
}

projection!(
    /// A topic, or a subtopic when it has a parent (D9).
    Topic(topic::Model) + complex {
        id: TopicId,
        name: String,
        /// The topic this is a subtopic of.
        parent_id: Option<TopicId>,
        archived_at: Option<DateTime<Utc>>,
    }
);

#[ComplexObject]
impl Topic {
    /// Active subtopics.
    async fn subtopics(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Topic>> {
        load_each(ctx, SubtopicsOf(self.row.id), Topic::from).await
    }
}

pub(crate) fn strings(value: &serde_json::Value) -> Vec<String> {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

projection!(
    /// The organization's settings (N1).
    OrganizationSettings(organization_settings::Model) + complex {
        /// Whether chats show the SLA traffic light (F1).
        traffic_light_enabled: bool,
        /// Seconds of waiting before YELLOW (default 180).
        yellow_after_secs: i32,
        /// Seconds of waiting before RED (default 360).
        red_after_secs: i32,
        /// Waiting counts from the operator's last message instead of the customer's.
        count_from_operator_message: bool,
        /// Customer data is masked for operators (K1).
        masking_enabled: bool,
        /// Minutes without activity before AWAY.
        away_after_minutes: i32,
        /// Seconds an invitation waits for Accept (RONA).
        invitation_timeout_secs: i32,
        /// The customer's message when an operator takes over from the bot.
        takeover_greeting_template: String,
        /// The side iframe's URL template (L1).
        iframe_url_template: Option<String>,
        /// The chat card in the CRM; an invitation's "Open" goes there (C5).
        crm_chat_url_template: Option<String>,
        /// The concurrent-chat limit of new operators.
        default_max_chats: i32,
        /// Seconds of after-chat work before returning to READY (X6).
        after_chat_work_secs: i32,
        /// Whether going AWAY or OFFLINE hands back accepted chats too (X7).
        requeue_active_chats_on_away: bool,
        /// The largest upload, in bytes.
        file_max_bytes: i64,
        /// Days the event outbox keeps events (default 30; never less than a session lasts).
        event_retention_days: i32,
        /// Days the delivery log keeps finished deliveries (default 90).
        delivery_log_retention_days: i32,
        /// Days inbound receipts are kept (default 7).
        receipt_retention_days: i32,
        /// Days the status log keeps ended statuses (default 400).
        status_log_retention_days: i32,
        /// Days closed chats are kept; null keeps history for good (the default).
        chat_retention_days: Option<i32>,
    }
);

#[ComplexObject]
impl OrganizationSettings {
    /// Roles that see customer data unmasked.
    async fn unmasked_roles(&self) -> Vec<Role> {
        serde_json::from_value(self.row.unmasked_roles.clone()).unwrap_or_default()
    }
    /// CRM origins allowed to embed the panel (L2).
    async fn frame_ancestors(&self) -> Vec<String> {
        strings(&self.row.frame_ancestors)
    }
    /// Content types operators may upload.
    async fn file_allowed_types(&self) -> Vec<String> {
        strings(&self.row.file_allowed_types)
    }
}
