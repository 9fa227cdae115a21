//! The whole data model of PRODUCT.md: tenancy and identity, presence, routing, chats and their
//! conversation, dictionaries, CRM links (with the built-in local CRM), channels, the event outbox
//! and outbound deliveries.
//!
//! Conventions: every id is a UUID (v7, so keys are roughly time-ordered); every tenant-owned row
//! carries `organization_id`; enums are short strings; times are `timestamp with time zone`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261122_000001_initial"
    }
}

/// A primary key column named `id`.
fn id() -> ColumnDef {
    pk_uuid("id")
}

/// The owning organization; every tenant row has it and it is the first column of most indexes.
fn org() -> ColumnDef {
    uuid("organization_id")
}

fn enum_col(name: &'static str) -> ColumnDef {
    string_len(name, 32)
}

fn enum_col_null(name: &'static str) -> ColumnDef {
    string_len_null(name, 32)
}

fn at(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone(name)
}

fn at_null(name: &'static str) -> ColumnDef {
    timestamp_with_time_zone_null(name)
}

/// A foreign key from `table.column` to `target.id`.
fn fk(
    table: &'static str, column: &'static str, target: &'static str, on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(on_delete)
        .to_owned()
}

fn org_fk(table: &'static str) -> ForeignKeyCreateStatement {
    fk(
        table,
        "organization_id",
        "organizations",
        ForeignKeyAction::Cascade,
    )
}

fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(format!("idx_{table}_{name}")).table(table);
    for column in columns {
        statement.col(*column);
    }
    statement.to_owned()
}

fn unique(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = index(table, name, columns);
    statement.name(format!("uq_{table}_{name}")).unique();
    statement
}

/// A named dictionary of an organization (quick replies, wrap-up reasons, ...): id, name, archive.
fn dictionary(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(id())
        .col(org())
        .col(string_len("name", 100))
        .col(at("created_at"))
        .col(at("updated_at"))
        .col(at_null("archived_at"))
        .foreign_key(&mut org_fk(name))
        .to_owned()
}

fn tables() -> Vec<TableCreateStatement> {
    use ForeignKeyAction::{Cascade, SetNull};
    vec![
        // --- Tenancy and identity -------------------------------------------------------------
        Table::create()
            .table("organizations")
            .col(id())
            .col(string_len("name", 200))
            .col(big_integer("chat_seq").default(0))
            .col(big_integer("outgoing_chat_seq").default(0))
            .col(big_integer("customer_seq").default(0))
            .col(big_integer("case_seq").default(0))
            .col(big_integer("event_seq").default(0))
            .col(at("created_at"))
            .col(at_null("archived_at"))
            .to_owned(),
        Table::create()
            .table("organization_settings")
            .col(uuid("organization_id").primary_key())
            .col(boolean("traffic_light_enabled").default(true))
            .col(integer("yellow_after_secs").default(180))
            .col(integer("red_after_secs").default(360))
            .col(boolean("count_from_operator_message").default(false))
            .col(boolean("masking_enabled").default(false))
            .col(json("unmasked_roles"))
            .col(integer("away_after_minutes").default(10))
            .col(integer("invitation_timeout_secs").default(30))
            .col(text("takeover_greeting_template"))
            .col(text_null("iframe_url_template"))
            .col(json("frame_ancestors"))
            .col(integer("default_max_chats").default(3))
            .col(integer("after_chat_work_secs").default(0))
            .col(boolean("requeue_active_chats_on_away").default(true))
            .col(big_integer("file_max_bytes").default(10 * 1024 * 1024))
            .col(json("file_allowed_types"))
            .col(at("updated_at"))
            .foreign_key(&mut org_fk("organization_settings"))
            .to_owned(),
        Table::create()
            .table("custom_statuses")
            .col(id())
            .col(org())
            .col(string_len("name", 100))
            .col(at("created_at"))
            .col(at("updated_at"))
            .col(at_null("archived_at"))
            .foreign_key(&mut org_fk("custom_statuses"))
            .to_owned(),
        Table::create()
            .table("operators")
            .col(id())
            .col(org())
            .col(string_len("email", 254))
            .col(string_len("first_name", 100))
            .col(string_len("last_name", 100))
            .col(enum_col("role"))
            .col(enum_col("status"))
            .col(uuid_null("custom_status_id"))
            .col(at("status_since"))
            .col(enum_col_null("next_status"))
            .col(uuid_null("next_custom_status_id"))
            .col(integer("max_chats"))
            .col(
                integer("active_chats")
                    .default(0)
                    .check(Expr::col("active_chats").gte(0)),
            )
            .col(boolean("on_call").default(false))
            .col(at_null("last_activity_at"))
            .col(at_null("last_assigned_at"))
            .col(at_null("away_due_at"))
            .col(at_null("after_work_until"))
            .col(string_len_null("crm_user_id", 200))
            .col(big_integer("event_seq").default(0))
            .col(at("created_at"))
            .col(at("updated_at"))
            .col(at_null("archived_at"))
            .foreign_key(&mut org_fk("operators"))
            .foreign_key(&mut fk(
                "operators",
                "custom_status_id",
                "custom_statuses",
                SetNull,
            ))
            .to_owned(),
        Table::create()
            .table("operator_credentials")
            .col(uuid("operator_id").primary_key())
            .col(text("password_hash"))
            .col(at("updated_at"))
            .foreign_key(&mut fk(
                "operator_credentials",
                "operator_id",
                "operators",
                Cascade,
            ))
            .to_owned(),
        Table::create()
            .table("sessions")
            .col(id())
            .col(org())
            .col(uuid("operator_id"))
            .col(string_len("token_hash", 64))
            .col(at("created_at"))
            .col(at("expires_at"))
            .col(at("last_seen_at"))
            .col(string_len_null("client_address", 64))
            .col(at_null("revoked_at"))
            .foreign_key(&mut org_fk("sessions"))
            .foreign_key(&mut fk("sessions", "operator_id", "operators", Cascade))
            .to_owned(),
        Table::create()
            .table("invitations")
            .col(id())
            .col(org())
            .col(string_len("email", 254))
            .col(enum_col("role"))
            .col(string_len("token_hash", 64))
            .col(uuid("invited_by"))
            .col(at("created_at"))
            .col(at("expires_at"))
            .col(at_null("accepted_at"))
            .col(uuid_null("accepted_operator_id"))
            .foreign_key(&mut org_fk("invitations"))
            .to_owned(),
        Table::create()
            .table("api_keys")
            .col(id())
            .col(org())
            .col(string_len("name", 100))
            .col(enum_col("scope"))
            .col(string_len("key_hash", 64))
            .col(string_len("key_prefix", 16))
            .col(uuid_null("created_by"))
            .col(at("created_at"))
            .col(at_null("last_used_at"))
            .col(at_null("revoked_at"))
            .foreign_key(&mut org_fk("api_keys"))
            .to_owned(),
        // Failed sign-ins per account and per client address, kept in the database so that every
        // instance behind a load balancer sees the same count.
        Table::create()
            .table("sign_in_throttles")
            .col(string_len("key", 300).primary_key())
            .col(integer("failures").default(0))
            .col(at("last_failure_at"))
            .col(at_null("blocked_until"))
            .to_owned(),
        Table::create()
            .table("oauth_login_states")
            .col(string_len("state", 128).primary_key())
            .col(org())
            .col(text("pkce_verifier"))
            .col(text_null("return_to"))
            .col(at("created_at"))
            .col(at("expires_at"))
            .foreign_key(&mut org_fk("oauth_login_states"))
            .to_owned(),
        Table::create()
            .table("status_log")
            .col(id())
            .col(org())
            .col(uuid("operator_id"))
            .col(enum_col("status"))
            .col(uuid_null("custom_status_id"))
            .col(at("started_at"))
            .col(at_null("ended_at"))
            .foreign_key(&mut org_fk("status_log"))
            .foreign_key(&mut fk("status_log", "operator_id", "operators", Cascade))
            .to_owned(),
        // --- Routing dictionaries ---------------------------------------------------------------
        dictionary("skills"),
        Table::create()
            .table("operator_skills")
            .col(uuid("operator_id"))
            .col(uuid("skill_id"))
            .col(small_integer("level"))
            .primary_key(Index::create().col("operator_id").col("skill_id"))
            .foreign_key(&mut fk(
                "operator_skills",
                "operator_id",
                "operators",
                Cascade,
            ))
            .foreign_key(&mut fk("operator_skills", "skill_id", "skills", Cascade))
            .to_owned(),
        Table::create()
            .table("queues")
            .col(id())
            .col(org())
            .col(string_len("name", 100))
            .col(uuid_null("skill_id"))
            .col(integer_null("size_limit"))
            .col(at("created_at"))
            .col(at("updated_at"))
            .col(at_null("archived_at"))
            .foreign_key(&mut org_fk("queues"))
            .foreign_key(&mut fk("queues", "skill_id", "skills", SetNull))
            .to_owned(),
        Table::create()
            .table("queue_members")
            .col(uuid("queue_id"))
            .col(uuid("operator_id"))
            .primary_key(Index::create().col("queue_id").col("operator_id"))
            .foreign_key(&mut fk("queue_members", "queue_id", "queues", Cascade))
            .foreign_key(&mut fk(
                "queue_members",
                "operator_id",
                "operators",
                Cascade,
            ))
            .to_owned(),
        // --- Conversation dictionaries ----------------------------------------------------------
        Table::create()
            .table("quick_replies")
            .col(id())
            .col(org())
            .col(string_len("name", 30))
            .col(text("text"))
            .col(at("created_at"))
            .col(at("updated_at"))
            .col(at_null("archived_at"))
            .foreign_key(&mut org_fk("quick_replies"))
            .to_owned(),
        {
            let mut table = dictionary("wrap_up_reasons");
            table.col(boolean("is_system").default(false));
            table
        },
        dictionary("chat_results"),
        {
            let mut table = dictionary("topics");
            table.col(uuid_null("parent_id")).foreign_key(&mut fk(
                "topics",
                "parent_id",
                "topics",
                Cascade,
            ));
            table
        },
        {
            let mut table = dictionary("bot_schemes");
            table.col(string_len_null("external_ref", 200));
            table
        },
        // --- Channels and customers -------------------------------------------------------------
        Table::create()
            .table("channels")
            .col(id())
            .col(org())
            .col(enum_col("kind"))
            .col(string_len("name", 100))
            .col(string_len("provider", 64))
            .col(string_len_null("gateway", 200))
            // Hash of the secret inbound webhooks must present.
            .col(string_len_null("secret_hash", 64))
            // Credentials for calling the provider (a bot token); write-only through the API.
            .col(text_null("credentials"))
            .col(text_null("api_base_url"))
            .col(json("config"))
            .col(integer_null("auto_close_after_secs"))
            .col(at("created_at"))
            .col(at("updated_at"))
            .col(at_null("archived_at"))
            .foreign_key(&mut org_fk("channels"))
            .to_owned(),
        Table::create()
            .table("customers")
            .col(id())
            .col(org())
            .col(big_integer("number"))
            .col(string_len_null("name", 200))
            .col(string_len_null("phone", 32))
            .col(string_len_null("email", 254))
            .col(text_null("description"))
            .col(string_len_null("crm_contact_id", 200))
            .col(string_len_null("crm_account_id", 200))
            .col(at("created_at"))
            .col(at("updated_at"))
            .foreign_key(&mut org_fk("customers"))
            .to_owned(),
        Table::create()
            .table("customer_identities")
            .col(id())
            .col(org())
            .col(uuid("customer_id"))
            .col(enum_col("kind"))
            .col(string_len("provider", 64))
            .col(string_len("value", 254))
            .col(at("created_at"))
            .foreign_key(&mut org_fk("customer_identities"))
            .foreign_key(&mut fk(
                "customer_identities",
                "customer_id",
                "customers",
                Cascade,
            ))
            .to_owned(),
        // --- Chats -------------------------------------------------------------------------------
        Table::create()
            .table("chats")
            .col(id())
            .col(org())
            .col(big_integer("number"))
            .col(enum_col("direction"))
            .col(enum_col("status"))
            .col(enum_col("source"))
            .col(uuid_null("channel_id"))
            .col(uuid_null("queue_id"))
            .col(uuid("customer_id"))
            .col(uuid_null("operator_id"))
            .col(uuid_null("topic_id"))
            .col(uuid_null("subtopic_id"))
            .col(json("variables"))
            .col(string_len_null("crm_contact_id", 200))
            .col(string_len_null("crm_account_id", 200))
            .col(string_len_null("crm_activity_id", 200))
            .col(string_len_null("crm_case_id", 200))
            .col(string_len_null("crm_case_number", 100))
            .col(small_integer_null("rating"))
            .col(text_null("rating_comment"))
            .col(at_null("rated_at"))
            .col(uuid_null("wrap_up_reason_id"))
            .col(uuid_null("result_id"))
            .col(text_null("result_detail"))
            .col(enum_col_null("closed_by_kind"))
            .col(uuid_null("closed_by_operator_id"))
            .col(boolean("muted").default(false))
            .col(uuid_null("bot_scheme_id"))
            // Higher goes first; chats handed back by an operator who left go to the head (X7).
            .col(integer("queue_priority").default(0))
            .col(at("created_at"))
            .col(at_null("queued_at"))
            .col(at_null("invited_at"))
            .col(at_null("invitation_expires_at"))
            .col(at_null("accepted_at"))
            .col(at_null("first_response_at"))
            .col(at_null("closed_at"))
            .col(at_null("waiting_since"))
            .col(at_null("last_customer_message_at"))
            .col(at_null("last_operator_message_at"))
            .col(at_null("last_message_at"))
            .col(text_null("last_message_text"))
            .col(enum_col_null("last_message_author_kind"))
            .col(uuid_null("last_message_operator_id"))
            .col(enum_col("traffic_light"))
            .col(at_null("traffic_light_changes_at"))
            .col(at_null("auto_close_at"))
            .col(at_null("reply_window_expires_at"))
            .col(big_integer("event_seq").default(0))
            .col(at("updated_at"))
            .foreign_key(&mut org_fk("chats"))
            .foreign_key(&mut fk("chats", "customer_id", "customers", Cascade))
            .foreign_key(&mut fk("chats", "queue_id", "queues", SetNull))
            .foreign_key(&mut fk("chats", "operator_id", "operators", SetNull))
            .foreign_key(&mut fk("chats", "channel_id", "channels", SetNull))
            .to_owned(),
        Table::create()
            .table("chat_tags")
            .col(uuid("chat_id"))
            .col(string_len("tag", 50))
            .primary_key(Index::create().col("chat_id").col("tag"))
            .foreign_key(&mut fk("chat_tags", "chat_id", "chats", Cascade))
            .to_owned(),
        Table::create()
            .table("chat_participants")
            .col(id())
            .col(uuid("chat_id"))
            .col(uuid("operator_id"))
            .col(enum_col("role"))
            .col(enum_col("state"))
            .col(uuid_null("invited_by"))
            .col(at("invited_at"))
            .col(at_null("joined_at"))
            .col(at_null("left_at"))
            .foreign_key(&mut fk("chat_participants", "chat_id", "chats", Cascade))
            .foreign_key(&mut fk(
                "chat_participants",
                "operator_id",
                "operators",
                Cascade,
            ))
            .to_owned(),
        // The responsibility and transfer history (E3): one row per responsible operator or queue.
        Table::create()
            .table("chat_assignments")
            .col(id())
            .col(org())
            .col(uuid("chat_id"))
            .col(enum_col("kind"))
            .col(uuid_null("operator_id"))
            .col(uuid_null("queue_id"))
            .col(uuid_null("bot_scheme_id"))
            .col(uuid_null("from_operator_id"))
            .col(uuid_null("by_operator_id"))
            .col(uuid_null("wrap_up_reason_id"))
            .col(at("started_at"))
            .col(at_null("accepted_at"))
            .col(at_null("ended_at"))
            .col(enum_col_null("end_reason"))
            .foreign_key(&mut fk("chat_assignments", "chat_id", "chats", Cascade))
            .to_owned(),
        Table::create()
            .table("routing_decisions")
            .col(id())
            .col(org())
            .col(uuid("chat_id"))
            .col(uuid_null("queue_id"))
            .col(enum_col("trigger"))
            .col(enum_col("outcome"))
            .col(uuid_null("chosen_operator_id"))
            .col(json("candidates"))
            .col(at("decided_at"))
            .foreign_key(&mut fk("routing_decisions", "chat_id", "chats", Cascade))
            .to_owned(),
        Table::create()
            .table("messages")
            .col(id())
            .col(org())
            .col(uuid("chat_id"))
            .col(enum_col("author_kind"))
            .col(uuid_null("author_operator_id"))
            .col(text("text"))
            .col(boolean("is_whisper").default(false))
            .col(uuid_null("quick_reply_id"))
            .col(enum_col("delivery_state"))
            .col(text_null("delivery_error"))
            .col(uuid_null("channel_id"))
            .col(string_len_null("external_id", 200))
            .col(at("created_at"))
            .col(at_null("delivered_at"))
            .foreign_key(&mut fk("messages", "chat_id", "chats", Cascade))
            .to_owned(),
        Table::create()
            .table("attachments")
            .col(id())
            .col(org())
            .col(uuid_null("chat_id"))
            .col(uuid_null("message_id"))
            .col(uuid_null("uploaded_by"))
            .col(string_len("file_name", 255))
            .col(string_len("content_type", 127))
            .col(big_integer("size_bytes"))
            .col(string_len("storage_key", 255))
            .col(boolean("is_image").default(false))
            .col(string_len_null("sha256", 64))
            .col(at("created_at"))
            .foreign_key(&mut org_fk("attachments"))
            .foreign_key(&mut fk("attachments", "chat_id", "chats", Cascade))
            .foreign_key(&mut fk("attachments", "message_id", "messages", SetNull))
            .to_owned(),
        Table::create()
            .table("notes")
            .col(id())
            .col(org())
            .col(uuid("chat_id"))
            .col(uuid("operator_id"))
            .col(uuid("assignment_id"))
            .col(text("text"))
            .col(at("created_at"))
            .col(at("updated_at"))
            .foreign_key(&mut fk("notes", "chat_id", "chats", Cascade))
            .foreign_key(&mut fk(
                "notes",
                "assignment_id",
                "chat_assignments",
                Cascade,
            ))
            .to_owned(),
        // --- Events and the outside world -------------------------------------------------------
        // The outbox: each event names its recipient and carries that recipient's gap-free
        // sequence number, taken in the transaction that caused it (ARCHITECTURE.md 3).
        Table::create()
            .table("events")
            .col(id())
            .col(org())
            .col(enum_col("recipient_kind"))
            .col(uuid("recipient_id"))
            .col(big_integer("seq"))
            .col(string_len("kind", 64))
            .col(uuid_null("chat_id"))
            .col(json("payload"))
            .col(at("created_at"))
            .foreign_key(&mut org_fk("events"))
            .to_owned(),
        Table::create()
            .table("webhooks")
            .col(id())
            .col(org())
            .col(text("url"))
            .col(json("events"))
            .col(text("secret"))
            .col(boolean("active").default(true))
            .col(at("created_at"))
            .col(at("updated_at"))
            .col(at_null("archived_at"))
            .foreign_key(&mut org_fk("webhooks"))
            .to_owned(),
        // Every outbound call (a message to a channel, an event to a webhook, a CRM process):
        // written in the transaction that caused it, claimed and retried by workers.
        Table::create()
            .table("deliveries")
            .col(id())
            .col(org())
            .col(enum_col("kind"))
            .col(uuid_null("webhook_id"))
            .col(uuid_null("channel_id"))
            .col(uuid_null("chat_id"))
            .col(uuid_null("message_id"))
            .col(uuid_null("event_id"))
            .col(string_len_null("event_kind", 64))
            .col(json("payload"))
            .col(enum_col("state"))
            .col(integer("attempts").default(0))
            .col(at_null("next_attempt_at"))
            .col(text_null("last_error"))
            .col(integer_null("last_status"))
            .col(at("created_at"))
            .col(at_null("sent_at"))
            .foreign_key(&mut org_fk("deliveries"))
            .to_owned(),
        // Inbound provider updates already processed (Telegram `update_id` and the like).
        Table::create()
            .table("inbound_receipts")
            .col(uuid("channel_id"))
            .col(string_len("external_id", 200))
            .col(at("received_at"))
            .primary_key(Index::create().col("channel_id").col("external_id"))
            .foreign_key(&mut fk(
                "inbound_receipts",
                "channel_id",
                "channels",
                Cascade,
            ))
            .to_owned(),
        // --- CRM ---------------------------------------------------------------------------------
        Table::create()
            .table("crm_connections")
            .col(uuid("organization_id").primary_key())
            .col(enum_col("kind"))
            .col(text_null("base_url"))
            .col(text_null("identity_url"))
            .col(string_len_null("odata_path", 64))
            .col(text_null("client_id"))
            .col(text_null("client_secret"))
            .col(string_len_null("case_origin_id", 64))
            .col(string_len_null("case_status_id", 64))
            .col(text_null("oauth_client_id"))
            .col(text_null("oauth_client_secret"))
            .col(string_len_null("close_process_name", 200))
            .col(at("updated_at"))
            .foreign_key(&mut org_fk("crm_connections"))
            .to_owned(),
        Table::create()
            .table("crm_local_accounts")
            .col(id())
            .col(org())
            .col(string_len("name", 200))
            .col(at("created_at"))
            .foreign_key(&mut org_fk("crm_local_accounts"))
            .to_owned(),
        Table::create()
            .table("crm_local_contacts")
            .col(id())
            .col(org())
            .col(uuid_null("account_id"))
            .col(string_len("name", 200))
            .col(string_len_null("phone", 32))
            .col(string_len_null("email", 254))
            .col(string_len_null("messenger_id", 200))
            .col(at("created_at"))
            .foreign_key(&mut org_fk("crm_local_contacts"))
            .to_owned(),
        Table::create()
            .table("crm_local_cases")
            .col(id())
            .col(org())
            .col(string_len("number", 32))
            .col(string_len("subject", 500))
            .col(text("description"))
            .col(uuid_null("contact_id"))
            .col(uuid_null("account_id"))
            .col(string_len("status", 32))
            .col(at("created_at"))
            .foreign_key(&mut org_fk("crm_local_cases"))
            .to_owned(),
        Table::create()
            .table("crm_local_activities")
            .col(id())
            .col(org())
            .col(string_len("title", 500))
            .col(uuid_null("contact_id"))
            .col(uuid_null("chat_id"))
            .col(at("created_at"))
            .foreign_key(&mut org_fk("crm_local_activities"))
            .to_owned(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        // Sign-in is by e-mail across organizations, so an e-mail is one operator.
        unique("operators", "email", &["email"]),
        index("operators", "org_status", &["organization_id", "status"]),
        unique("operators", "crm_user", &["organization_id", "crm_user_id"]),
        index("operators", "away_due", &["away_due_at"]),
        index("operators", "after_work", &["after_work_until"]),
        unique("sessions", "token", &["token_hash"]),
        index("sessions", "operator", &["operator_id"]),
        unique("invitations", "token", &["token_hash"]),
        unique("api_keys", "key", &["key_hash"]),
        index("status_log", "operator", &["operator_id", "started_at"]),
        index("skills", "org", &["organization_id", "name"]),
        index("operator_skills", "skill", &["skill_id"]),
        index("queues", "org", &["organization_id", "name"]),
        index("queue_members", "operator", &["operator_id"]),
        index("quick_replies", "org", &["organization_id", "name"]),
        index("wrap_up_reasons", "org", &["organization_id", "name"]),
        index("chat_results", "org", &["organization_id", "name"]),
        index("topics", "org", &["organization_id", "parent_id", "name"]),
        index("custom_statuses", "org", &["organization_id", "name"]),
        index("bot_schemes", "org", &["organization_id", "name"]),
        index("channels", "org", &["organization_id"]),
        unique("customers", "number", &["organization_id", "number"]),
        index("customers", "phone", &["organization_id", "phone"]),
        unique(
            "customer_identities",
            "value",
            &["organization_id", "kind", "provider", "value"],
        ),
        index("customer_identities", "customer", &["customer_id"]),
        unique(
            "chats",
            "number",
            &["organization_id", "direction", "number"],
        ),
        // History (J1): newest first with keyset pagination, narrowed by each filter.
        index("chats", "history", &["organization_id", "created_at", "id"]),
        index(
            "chats",
            "operator",
            &["organization_id", "operator_id", "created_at"],
        ),
        index(
            "chats",
            "topic",
            &["organization_id", "topic_id", "created_at"],
        ),
        index(
            "chats",
            "subtopic",
            &["organization_id", "subtopic_id", "created_at"],
        ),
        index(
            "chats",
            "rating",
            &["organization_id", "rating", "created_at"],
        ),
        index("chats", "customer", &["customer_id", "created_at"]),
        // Routing: the waiting chats of a queue in order, and an operator's open chats.
        index(
            "chats",
            "waiting",
            &["queue_id", "status", "queue_priority", "queued_at"],
        ),
        index("chats", "operator_status", &["operator_id", "status"]),
        // Timers claimed by the scheduler.
        index("chats", "invitation_due", &["invitation_expires_at"]),
        index("chats", "light_due", &["traffic_light_changes_at"]),
        index("chats", "auto_close_due", &["auto_close_at"]),
        index("chat_tags", "tag", &["tag"]),
        index("chat_participants", "chat", &["chat_id", "operator_id"]),
        index("chat_participants", "operator", &["operator_id", "state"]),
        index("chat_assignments", "chat", &["chat_id", "started_at"]),
        index("routing_decisions", "chat", &["chat_id", "decided_at"]),
        index("messages", "chat", &["chat_id", "created_at", "id"]),
        // De-duplication of inbound messages: an external id is unique per channel.
        unique("messages", "external", &["channel_id", "external_id"]),
        index("attachments", "chat", &["chat_id", "created_at"]),
        index("attachments", "message", &["message_id"]),
        index("notes", "chat", &["chat_id", "created_at"]),
        unique(
            "notes",
            "assignment_operator",
            &["assignment_id", "operator_id"],
        ),
        unique(
            "events",
            "recipient_seq",
            &["recipient_kind", "recipient_id", "seq"],
        ),
        index("events", "created", &["created_at"]),
        index("webhooks", "org", &["organization_id"]),
        index("deliveries", "due", &["state", "next_attempt_at"]),
        index("deliveries", "chat", &["chat_id", "created_at"]),
        index("deliveries", "webhook", &["webhook_id", "created_at"]),
        index("crm_local_contacts", "phone", &["organization_id", "phone"]),
        index("crm_local_contacts", "email", &["organization_id", "email"]),
        index(
            "crm_local_contacts",
            "messenger",
            &["organization_id", "messenger_id"],
        ),
        index(
            "crm_local_cases",
            "contact",
            &["organization_id", "contact_id"],
        ),
        unique("crm_local_cases", "number", &["organization_id", "number"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Dependents before what they reference.
        for table in tables().iter().rev() {
            let name = table
                .get_table_name()
                .expect("every table is named")
                .clone();
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
