//! SeaORM entities, one module per table (see the initial migration for the indexes).
//!
//! Relations are not declared: services query by explicit, organization-scoped filters, and the
//! GraphQL layer batches relations through DataLoaders.

macro_rules! entity {
    ($(#[$doc:meta])* $module:ident, $table:tt, { $($body:tt)* }) => {
        $(#[$doc])*
        pub mod $module {
            #[allow(unused_imports)]
            use crate::{enums::*, ids::*};
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model { $($body)* }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(
    /// A tenant: one CRM installation (A1), with its number sequences.
    organization, "organizations", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: OrganizationId,
    pub name: String,
    pub chat_seq: i64,
    pub outgoing_chat_seq: i64,
    pub customer_seq: i64,
    pub case_seq: i64,
    pub event_seq: i64,
    pub created_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
});

entity!(
    /// The organization's settings (N1).
    organization_settings, "organization_settings", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: OrganizationId,
    pub traffic_light_enabled: bool,
    pub yellow_after_secs: i32,
    pub red_after_secs: i32,
    pub count_from_operator_message: bool,
    pub masking_enabled: bool,
    /// Roles that see customer data unmasked (a JSON array of role names).
    pub unmasked_roles: Json,
    pub away_after_minutes: i32,
    pub invitation_timeout_secs: i32,
    pub takeover_greeting_template: String,
    pub iframe_url_template: Option<String>,
    /// Origins allowed to frame the panel (a JSON array of strings).
    pub frame_ancestors: Json,
    pub default_max_chats: i32,
    pub after_chat_work_secs: i32,
    pub requeue_active_chats_on_away: bool,
    pub file_max_bytes: i64,
    /// Allowed upload content types (a JSON array of strings).
    pub file_allowed_types: Json,
    pub updated_at: DateTimeUtc,
    /// The chat card in the CRM, with `{chatId}`, `{contactId}`, `{caseId}` (C5 "Open").
    pub crm_chat_url_template: Option<String>,
    /// Days the event outbox keeps an event (S2).
    pub event_retention_days: i32,
    /// Days the delivery log keeps a finished delivery.
    pub delivery_log_retention_days: i32,
    /// Days an inbound receipt (a provider's update id, for deduplication) is kept.
    pub receipt_retention_days: i32,
    /// Days the status log keeps an ended status.
    pub status_log_retention_days: i32,
    /// Days a closed chat is kept; `None` keeps history for good.
    pub chat_retention_days: Option<i32>,
});

entity!(
    /// An operator, supervisor, manager, admin or owner.
    operator, "operators", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: OperatorId,
    pub organization_id: OrganizationId,
    /// Lower-cased; unique across organizations (sign-in is by e-mail).
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub status: OperatorStatus,
    pub custom_status_id: Option<CustomStatusId>,
    pub status_since: DateTimeUtc,
    pub next_status: Option<OperatorStatus>,
    pub next_custom_status_id: Option<CustomStatusId>,
    pub max_chats: i32,
    pub active_chats: i32,
    pub on_call: bool,
    pub last_activity_at: Option<DateTimeUtc>,
    pub last_assigned_at: Option<DateTimeUtc>,
    pub away_due_at: Option<DateTimeUtc>,
    pub after_work_until: Option<DateTimeUtc>,
    pub crm_user_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
});

entity!(
    /// An operator's password (argon2id PHC string).
    operator_credential, "operator_credentials", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub operator_id: OperatorId,
    pub password_hash: String,
    pub updated_at: DateTimeUtc,
});

entity!(
    /// A signed-in session; only the SHA-256 of its token is stored.
    session, "sessions", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: SessionId,
    pub organization_id: OrganizationId,
    pub operator_id: OperatorId,
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub client_address: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
});

entity!(
    /// An invitation to join an organization (A3); only the SHA-256 of its token is stored.
    invitation, "invitations", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: InvitationId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub role: Role,
    pub token_hash: String,
    pub invited_by: OperatorId,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub accepted_operator_id: Option<OperatorId>,
});

entity!(
    /// A machine client's key (A5); only the SHA-256 of the key is stored.
    api_key, "api_keys", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub scope: ApiKeyScope,
    pub key_hash: String,
    /// The first characters of the key, to tell keys apart in a list.
    pub key_prefix: String,
    pub created_by: Option<OperatorId>,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
});

entity!(
    /// Failed sign-ins counted for an account or a client address.
    sign_in_throttle, "sign_in_throttles", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub key: String,
    pub failures: i32,
    pub last_failure_at: DateTimeUtc,
    pub blocked_until: Option<DateTimeUtc>,
});

entity!(
    /// A pending CRM OAuth sign-in: its `state` and PKCE verifier (A4).
    oauth_login_state, "oauth_login_states", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    pub organization_id: OrganizationId,
    pub pkce_verifier: String,
    pub return_to: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
});

entity!(
    /// One stretch of time an operator spent in one status (B3).
    status_log, "status_log", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: StatusLogId,
    pub organization_id: OrganizationId,
    pub operator_id: OperatorId,
    pub status: OperatorStatus,
    pub custom_status_id: Option<CustomStatusId>,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// The supervisor who set this status for the operator (O1); null when the operator or the
    /// server did.
    pub set_by_operator_id: Option<OperatorId>,
});

entity!(
    /// A custom status an admin defined (B1), a flavour of UNAVAILABLE.
    custom_status, "custom_statuses", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CustomStatusId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
});

entity!(
    /// A skill queues require and operators have (X3).
    skill, "skills", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: SkillId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
});

entity!(
    /// An operator's proficiency (1 to 5) in a skill.
    operator_skill, "operator_skills", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub operator_id: OperatorId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub skill_id: SkillId,
    pub level: i16,
});

entity!(
    /// A queue chats wait in (C4, C6).
    queue, "queues", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: QueueId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub skill_id: Option<SkillId>,
    pub size_limit: Option<i32>,
    /// After-chat work for this queue's chats (X6); none: the organization's setting.
    pub after_chat_work_secs: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    /// Sent to a customer whose chat has to wait in this queue (001).
    pub queued_reply: Option<String>,
    /// Sent instead of `queued_reply` outside the queue's working hours (001).
    pub out_of_hours_reply: Option<String>,
    /// The queue's weekly hours (`[{"day","opens","closes"}]`); none: always open.
    pub working_hours: Option<Json>,
    /// The IANA time zone the working hours are in; none: UTC.
    pub time_zone: Option<String>,
});

entity!(
    /// Membership of an operator in a queue.
    queue_member, "queue_members", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub queue_id: QueueId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub operator_id: OperatorId,
});

entity!(
    /// A quick reply (D5).
    quick_reply, "quick_replies", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: QuickReplyId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    /// An approved message template (WhatsApp HSM), the only text that may open a conversation.
    pub is_template: bool,
});

entity!(
    /// A queue a quick reply belongs to; a reply with none belongs to every queue (001).
    quick_reply_queue, "quick_reply_queues", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub quick_reply_id: QuickReplyId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub queue_id: QueueId,
});

entity!(
    /// A wrap-up reason (D6); system reasons are used by automatic closes.
    wrap_up_reason, "wrap_up_reasons", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: WrapUpReasonId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub is_system: bool,
});

entity!(
    /// A chat result (D6).
    chat_result, "chat_results", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ChatResultId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
});

entity!(
    /// A topic, or a subtopic when it has a parent (D9).
    topic, "topics", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: TopicId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub parent_id: Option<TopicId>,
});

entity!(
    /// A bot scheme ("chatplan") a chat can be transferred to (E1).
    bot_scheme, "bot_schemes", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: BotSchemeId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
    pub external_ref: Option<String>,
});

entity!(
    /// A messaging channel (M1).
    channel, "channels", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ChannelId,
    pub organization_id: OrganizationId,
    pub kind: ChannelKind,
    pub name: String,
    pub provider: String,
    pub gateway: Option<String>,
    pub secret_hash: Option<String>,
    pub credentials: Option<String>,
    pub api_base_url: Option<String>,
    pub config: Json,
    pub auto_close_after_secs: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
});

entity!(
    /// A customer ("Client #N" when no phone is known).
    customer, "customers", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CustomerId,
    pub organization_id: OrganizationId,
    pub number: i64,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub description: Option<String>,
    pub crm_contact_id: Option<String>,
    pub crm_account_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
});

entity!(
    /// One way a customer is known: a phone, a messenger id, a username, an e-mail.
    customer_identity, "customer_identities", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: CustomerIdentityId,
    pub organization_id: OrganizationId,
    pub customer_id: CustomerId,
    pub kind: IdentityKind,
    /// The provider the identity belongs to ("telegram"), empty for phones and e-mails.
    pub provider: String,
    pub value: String,
    pub created_at: DateTimeUtc,
});

entity!(
    /// A conversation (D3).
    chat, "chats", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ChatId,
    pub organization_id: OrganizationId,
    /// "Chat-N" or "OutgoingChat-N", by direction.
    pub number: i64,
    pub direction: ChatDirection,
    pub status: ChatStatus,
    pub source: ChatSource,
    pub channel_id: Option<ChannelId>,
    pub queue_id: Option<QueueId>,
    pub customer_id: CustomerId,
    pub operator_id: Option<OperatorId>,
    pub topic_id: Option<TopicId>,
    pub subtopic_id: Option<TopicId>,
    /// The bot's free key/value variables (a JSON object of strings).
    pub variables: Json,
    pub crm_contact_id: Option<String>,
    pub crm_account_id: Option<String>,
    pub crm_activity_id: Option<String>,
    pub crm_case_id: Option<String>,
    pub crm_case_number: Option<String>,
    /// Set while `createCaseFromChat` is creating the chat's case in the CRM.
    pub crm_case_claimed_at: Option<DateTimeUtc>,
    pub rating: Option<i16>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
    pub wrap_up_reason_id: Option<WrapUpReasonId>,
    pub result_id: Option<ChatResultId>,
    pub result_detail: Option<String>,
    pub closed_by_kind: Option<ClosedByKind>,
    pub closed_by_operator_id: Option<OperatorId>,
    pub muted: bool,
    pub bot_scheme_id: Option<BotSchemeId>,
    pub queue_priority: i32,
    pub created_at: DateTimeUtc,
    pub queued_at: Option<DateTimeUtc>,
    pub invited_at: Option<DateTimeUtc>,
    pub invitation_expires_at: Option<DateTimeUtc>,
    pub accepted_at: Option<DateTimeUtc>,
    pub first_response_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub waiting_since: Option<DateTimeUtc>,
    pub last_customer_message_at: Option<DateTimeUtc>,
    pub last_operator_message_at: Option<DateTimeUtc>,
    pub last_message_at: Option<DateTimeUtc>,
    pub last_message_text: Option<String>,
    pub last_message_author_kind: Option<AuthorKind>,
    pub last_message_operator_id: Option<OperatorId>,
    pub traffic_light: TrafficLight,
    pub traffic_light_changes_at: Option<DateTimeUtc>,
    pub auto_close_at: Option<DateTimeUtc>,
    pub reply_window_expires_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// When the chat's channel was archived while the chat was open: the conversation cannot
    /// go on, its owner can only close it (004).
    pub interrupted_at: Option<DateTimeUtc>,
});

entity!(
    /// A free tag on a chat (D9).
    chat_tag, "chat_tags", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub chat_id: ChatId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tag: String,
});

entity!(
    /// An operator's part in a chat: owner, conference member, silent monitor (E2, X5).
    chat_participant, "chat_participants", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: ParticipantId,
    pub chat_id: ChatId,
    pub operator_id: OperatorId,
    pub role: ParticipantRole,
    pub state: ParticipantState,
    pub invited_by: Option<OperatorId>,
    pub invited_at: DateTimeUtc,
    pub joined_at: Option<DateTimeUtc>,
    pub left_at: Option<DateTimeUtc>,
});

entity!(
    /// One responsible operator or queue in a chat's history (E3).
    chat_assignment, "chat_assignments", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AssignmentId,
    pub organization_id: OrganizationId,
    pub chat_id: ChatId,
    pub kind: AssignmentKind,
    pub operator_id: Option<OperatorId>,
    pub queue_id: Option<QueueId>,
    pub bot_scheme_id: Option<BotSchemeId>,
    pub from_operator_id: Option<OperatorId>,
    pub by_operator_id: Option<OperatorId>,
    pub wrap_up_reason_id: Option<WrapUpReasonId>,
    pub started_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    pub end_reason: Option<AssignmentEnd>,
});

entity!(
    /// A routing decision with every candidate and why each lost (X2).
    routing_decision, "routing_decisions", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: RoutingDecisionId,
    pub organization_id: OrganizationId,
    pub chat_id: ChatId,
    pub queue_id: Option<QueueId>,
    pub trigger: RoutingTrigger,
    pub outcome: RoutingOutcome,
    pub chosen_operator_id: Option<OperatorId>,
    pub candidates: Json,
    pub decided_at: DateTimeUtc,
});

entity!(
    /// A message in a chat (D4).
    message, "messages", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: MessageId,
    pub organization_id: OrganizationId,
    pub chat_id: ChatId,
    pub author_kind: AuthorKind,
    pub author_operator_id: Option<OperatorId>,
    pub text: String,
    /// Seen by operators only (X5).
    pub is_whisper: bool,
    pub quick_reply_id: Option<QuickReplyId>,
    pub delivery_state: DeliveryState,
    pub delivery_error: Option<String>,
    pub channel_id: Option<ChannelId>,
    /// The provider's id, unique per channel: inbound de-duplication.
    pub external_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub delivered_at: Option<DateTimeUtc>,
});

entity!(
    /// A file on a chat (D4).
    attachment, "attachments", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: AttachmentId,
    pub organization_id: OrganizationId,
    pub chat_id: Option<ChatId>,
    pub message_id: Option<MessageId>,
    pub uploaded_by: Option<OperatorId>,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub storage_key: String,
    pub is_image: bool,
    pub sha256: Option<String>,
    pub created_at: DateTimeUtc,
});

entity!(
    /// An operator's note on a chat (D8): one per operator per assignment.
    note, "notes", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: NoteId,
    pub organization_id: OrganizationId,
    pub chat_id: ChatId,
    pub operator_id: OperatorId,
    pub assignment_id: AssignmentId,
    pub text: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
});

entity!(
    /// An outbox event for one recipient, with that recipient's sequence number (X1).
    event, "events", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: EventId,
    pub organization_id: OrganizationId,
    pub recipient_kind: RecipientKind,
    pub recipient_id: Uuid,
    pub seq: i64,
    pub kind: String,
    pub chat_id: Option<ChatId>,
    pub payload: Json,
    pub created_at: DateTimeUtc,
});

entity!(
    /// A webhook subscription of a CRM business process (H4).
    webhook, "webhooks", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: WebhookId,
    pub organization_id: OrganizationId,
    pub url: String,
    /// Event kinds delivered (a JSON array of strings).
    pub events: Json,
    /// The HMAC key; kept to sign deliveries, never returned after creation.
    pub secret: String,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
});

entity!(
    /// An outbound call to make, with its attempts (M2, H4).
    delivery, "deliveries", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: DeliveryId,
    pub organization_id: OrganizationId,
    pub kind: DeliveryKind,
    pub webhook_id: Option<WebhookId>,
    pub channel_id: Option<ChannelId>,
    pub chat_id: Option<ChatId>,
    pub message_id: Option<MessageId>,
    pub event_id: Option<EventId>,
    pub event_kind: Option<String>,
    pub payload: Json,
    pub state: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub last_status: Option<i32>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
});

entity!(
    /// An inbound provider update already processed.
    inbound_receipt, "inbound_receipts", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel_id: ChannelId,
    #[sea_orm(primary_key, auto_increment = false)]
    pub external_id: String,
    pub received_at: DateTimeUtc,
});

entity!(
    /// The organization's CRM connection (H5). Secrets are write-only through the API.
    crm_connection, "crm_connections", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: OrganizationId,
    pub kind: CrmKind,
    pub base_url: Option<String>,
    pub identity_url: Option<String>,
    pub odata_path: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub case_origin_id: Option<String>,
    pub case_status_id: Option<String>,
    pub oauth_client_id: Option<String>,
    pub oauth_client_secret: Option<String>,
    pub close_process_name: Option<String>,
    pub updated_at: DateTimeUtc,
    /// Scopes asked for at sign-in through the CRM, space-separated.
    pub oauth_scopes: Option<String>,
});

entity!(
    /// A sign-in through the CRM waiting for its callback (A4).
    crm_sign_in, "crm_sign_ins", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_digest: String,
    pub organization_id: OrganizationId,
    pub pkce_verifier: String,
    pub popup: bool,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
});

entity!(
    /// An account of the built-in local CRM.
    crm_local_account, "crm_local_accounts", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: LocalAccountId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub created_at: DateTimeUtc,
});

entity!(
    /// A contact of the built-in local CRM.
    crm_local_contact, "crm_local_contacts", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: LocalContactId,
    pub organization_id: OrganizationId,
    pub account_id: Option<LocalAccountId>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub messenger_id: Option<String>,
    pub created_at: DateTimeUtc,
});

entity!(
    /// A case of the built-in local CRM.
    crm_local_case, "crm_local_cases", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: LocalCaseId,
    pub organization_id: OrganizationId,
    pub number: String,
    pub subject: String,
    pub description: String,
    pub contact_id: Option<LocalContactId>,
    pub account_id: Option<LocalAccountId>,
    pub status: String,
    pub created_at: DateTimeUtc,
});

entity!(
    /// An activity of the built-in local CRM.
    crm_local_activity, "crm_local_activities", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: LocalActivityId,
    pub organization_id: OrganizationId,
    pub title: String,
    pub contact_id: Option<LocalContactId>,
    pub chat_id: Option<ChatId>,
    pub created_at: DateTimeUtc,
});

entity!(
    /// A recipient's event counter: the last sequence number it was given (X1).
    event_stream, "event_streams", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient_kind: RecipientKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient_id: Uuid,
    pub seq: i64,
});
