//! Retention (S2): the timer prunes by each organization's policy, with the manual clock, and
//! never touches what must stay (history by default, pending deliveries, open chats, the status
//! an operator is in, another organization's rows).

use chrono::{DateTime, Duration, Utc};
use omnipanel_domain::entity::{
    attachment, chat, delivery, event, inbound_receipt, message, session, status_log,
};
use omnipanel_domain::enums::{DeliveryKind, DeliveryState};
use omnipanel_domain::ids::{ChannelId, DeliveryId, OrganizationId};
use omnipanel_tests::{Desk, TestApp, error_field, on_both_databases};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

on_both_databases!(
    old_rows_go_by_each_organizations_policy,
    retention_policies_are_validated,
);

fn org_id(desk: &Desk) -> OrganizationId {
    desk.org.id.parse().unwrap()
}

/// A chat handed off, accepted and closed with a file in it; returns its id.
async fn closed_chat_with_a_file(app: &TestApp, desk: &Desk, phone: &str) -> String {
    let chat = app.hand_off_ok(&desk.key, &desk.queue, phone).await;
    let chat_id = chat["id"].as_str().unwrap().to_owned();
    app.chat_action(&desk.op.token, "acceptChat", &chat_id)
        .await;
    let uploaded = app
        .client
        .post(app.url("/files"))
        .query(&[("chatId", chat_id.as_str()), ("name", "note.txt")])
        .header("content-type", "text/plain")
        .bearer_auth(&desk.op.token)
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 201, "{}", uploaded.text().await.unwrap());
    let reason = app.wrap_up_reason(&desk.org.owner_token).await;
    app.ok(
        Some(&desk.op.token),
        "mutation($c: ID!, $r: ID!) { closeChat(input: { chatId: $c, wrapUpReasonId: $r }) { chat { status } } }",
        json!({ "c": chat_id, "r": reason }),
    )
    .await;
    chat_id
}

/// A finished and a pending delivery, and an inbound receipt, written now.
async fn log_rows(app: &TestApp, desk: &Desk, channel: &str) {
    let now = app.domain.now();
    for state in [DeliveryState::Sent, DeliveryState::Pending] {
        delivery::Entity::insert(delivery::ActiveModel {
            id: Set(DeliveryId::new()),
            organization_id: Set(org_id(desk)),
            kind: Set(DeliveryKind::Webhook),
            webhook_id: Set(None),
            channel_id: Set(None),
            chat_id: Set(None),
            message_id: Set(None),
            event_id: Set(None),
            event_kind: Set(Some("CHAT_CLOSED".into())),
            payload: Set(json!({})),
            state: Set(state),
            attempts: Set(1),
            next_attempt_at: Set(None),
            last_error: Set(None),
            last_status: Set(None),
            created_at: Set(now),
            sent_at: Set(None),
        })
        .exec(&app.domain.db)
        .await
        .unwrap();
    }
    inbound_receipt::Entity::insert(inbound_receipt::ActiveModel {
        channel_id: Set(channel.parse::<ChannelId>().unwrap()),
        external_id: Set("update-1".into()),
        received_at: Set(now),
    })
    .exec(&app.domain.db)
    .await
    .unwrap();
}

/// What an organization holds of each kind retention looks at; of events and ended statuses,
/// those from the set-up (timers add new ones as the clock moves).
#[derive(Debug, PartialEq, Eq)]
struct Held {
    events: u64,
    deliveries: u64,
    pending_deliveries: u64,
    receipts: u64,
    ended_statuses: u64,
    current_statuses: u64,
    chats: u64,
    messages: u64,
    attachments: u64,
}

async fn held(app: &TestApp, desk: &Desk, channel: &str, set_up: DateTime<Utc>) -> Held {
    let db = &app.domain.db;
    let org = org_id(desk);
    let channel: ChannelId = channel.parse().unwrap();
    let statuses = || status_log::Entity::find().filter(status_log::Column::OrganizationId.eq(org));
    let deliveries = || delivery::Entity::find().filter(delivery::Column::OrganizationId.eq(org));
    Held {
        events: event::Entity::find()
            .filter(event::Column::OrganizationId.eq(org))
            .filter(event::Column::CreatedAt.lte(set_up))
            .count(db)
            .await
            .unwrap(),
        deliveries: deliveries().count(db).await.unwrap(),
        pending_deliveries: deliveries()
            .filter(delivery::Column::State.eq(DeliveryState::Pending))
            .count(db)
            .await
            .unwrap(),
        receipts: inbound_receipt::Entity::find()
            .filter(inbound_receipt::Column::ChannelId.eq(channel))
            .count(db)
            .await
            .unwrap(),
        ended_statuses: statuses()
            .filter(status_log::Column::EndedAt.lte(set_up))
            .count(db)
            .await
            .unwrap(),
        current_statuses: statuses()
            .filter(status_log::Column::EndedAt.is_null())
            .count(db)
            .await
            .unwrap(),
        chats: chat::Entity::find()
            .filter(chat::Column::OrganizationId.eq(org))
            .count(db)
            .await
            .unwrap(),
        messages: message::Entity::find()
            .filter(message::Column::OrganizationId.eq(org))
            .count(db)
            .await
            .unwrap(),
        attachments: attachment::Entity::find()
            .filter(attachment::Column::OrganizationId.eq(org))
            .count(db)
            .await
            .unwrap(),
    }
}

/// Moves the clock by `days` and runs the timer, as every instance does each second.
async fn days_later(app: &TestApp, days: i64) {
    app.clock.advance(Duration::days(days));
    app.domain.timers().run_due().await.unwrap();
}

async fn old_rows_go_by_each_organizations_policy(app: TestApp) {
    // Keeper keeps the defaults; Brief keeps events 5 days, the status log 3 and chats 10.
    let keeper = app.desk("Keeper").await;
    let brief = app.desk("Brief").await;
    let settings = app
        .ok(
            Some(&brief.org.owner_token),
            "mutation { updateSettings(input: { eventRetentionDays: 5, statusLogRetentionDays: 3, chatRetentionDays: 10 }) {
                settings { eventRetentionDays deliveryLogRetentionDays receiptRetentionDays statusLogRetentionDays chatRetentionDays } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        settings["updateSettings"]["settings"],
        json!({ "eventRetentionDays": 5, "deliveryLogRetentionDays": 90, "receiptRetentionDays": 7,
                "statusLogRetentionDays": 3, "chatRetentionDays": 10 })
    );
    let mut channels = Vec::new();
    let mut files = Vec::new();
    for desk in [&keeper, &brief] {
        let channel = app.webchat_channel(&desk.org.owner_token, None).await;
        let chat = closed_chat_with_a_file(&app, desk, "+48500100200").await;
        app.set_status(&desk.op, "BREAK").await;
        app.set_status(&desk.op, "READY").await;
        log_rows(&app, desk, &channel).await;
        let key: String = attachment::Entity::find()
            .filter(
                attachment::Column::ChatId
                    .eq(chat.parse::<omnipanel_domain::ids::ChatId>().unwrap()),
            )
            .one(&app.domain.db)
            .await
            .unwrap()
            .unwrap()
            .storage_key;
        files.push(key);
        channels.push(channel);
    }
    // An open chat in Brief, handed off later: retention never closes or removes it.
    app.set_status(&brief.op, "BREAK").await;
    let waiting = app
        .hand_off_ok(&brief.key, &brief.queue, "+48500100300")
        .await;
    assert_eq!(waiting["status"], "QUEUED");
    app.set_status(&brief.op, "READY").await;

    let set_up = app.domain.now();
    let keeper_at_start = held(&app, &keeper, &channels[0], set_up).await;
    let brief_at_start = held(&app, &brief, &channels[1], set_up).await;
    assert!(keeper_at_start.events > 0 && keeper_at_start.ended_statuses >= 2);
    assert_eq!((brief_at_start.chats, brief_at_start.attachments), (2, 1));

    days_later(&app, 1).await;
    assert_eq!(
        held(&app, &keeper, &channels[0], set_up).await,
        keeper_at_start
    );
    assert_eq!(
        held(&app, &brief, &channels[1], set_up).await,
        brief_at_start
    );

    // Day 6: Brief's events (5 days) and ended statuses (3) are gone, Keeper's are not.
    // Sessions expired (12 hours idle) more than a day ago are gone for everyone.
    days_later(&app, 5).await;
    let brief_now = held(&app, &brief, &channels[1], set_up).await;
    assert_eq!(
        (
            brief_now.events,
            brief_now.ended_statuses,
            brief_now.current_statuses
        ),
        (0, 0, brief_at_start.current_statuses)
    );
    assert_eq!(brief_now.chats, 2);
    assert_eq!(
        held(&app, &keeper, &channels[0], set_up).await,
        keeper_at_start
    );
    assert_eq!(
        session::Entity::find().count(&app.domain.db).await.unwrap(),
        0
    );

    // Day 8: receipts (7 days) are gone in both.
    days_later(&app, 2).await;
    assert_eq!(held(&app, &keeper, &channels[0], set_up).await.receipts, 0);
    assert_eq!(held(&app, &brief, &channels[1], set_up).await.receipts, 0);

    // Day 11: Brief's closed chat goes with its messages and its file; the open one stays.
    days_later(&app, 3).await;
    let brief_now = held(&app, &brief, &channels[1], set_up).await;
    assert_eq!((brief_now.chats, brief_now.attachments), (1, 0));
    assert!(brief_now.messages < brief_at_start.messages && brief_now.messages > 0);
    assert_eq!(app.closed_days_disagreements().await, 0);
    assert!(
        app.domain
            .file_store
            .get(&files[1])
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.domain
            .file_store
            .get(&files[0])
            .await
            .unwrap()
            .is_some()
    );

    // Day 31: Keeper's events go; its history stays, with its file.
    days_later(&app, 20).await;
    let keeper_now = held(&app, &keeper, &channels[0], set_up).await;
    assert_eq!(keeper_now.events, 0);
    assert_eq!(
        (
            keeper_now.chats,
            keeper_now.messages,
            keeper_now.attachments
        ),
        (keeper_at_start.chats, keeper_at_start.messages, 1)
    );
    assert_eq!(keeper_now.deliveries, 2);

    // Day 91: finished deliveries go; a pending one is work still to do and stays.
    days_later(&app, 60).await;
    for (desk, channel) in [(&keeper, &channels[0]), (&brief, &channels[1])] {
        let now = held(&app, desk, channel, set_up).await;
        assert_eq!((now.deliveries, now.pending_deliveries), (1, 1));
    }
    // Day 401: Keeper's ended statuses go; the one its operator is in stays.
    days_later(&app, 310).await;
    let keeper_now = held(&app, &keeper, &channels[0], set_up).await;
    assert_eq!(
        (keeper_now.ended_statuses, keeper_now.current_statuses),
        (0, keeper_at_start.current_statuses)
    );
    assert_eq!(keeper_now.chats, keeper_at_start.chats);
}

async fn retention_policies_are_validated(app: TestApp) {
    let org = app.create_org("Acme").await;
    for (input, field) in [
        ("eventRetentionDays: 0", "eventRetentionDays"),
        ("deliveryLogRetentionDays: 5000", "deliveryLogRetentionDays"),
        ("receiptRetentionDays: 0", "receiptRetentionDays"),
        ("statusLogRetentionDays: -1", "statusLogRetentionDays"),
        ("chatRetentionDays: -3", "chatRetentionDays"),
    ] {
        let body = app
            .gql(
                Some(&org.owner_token),
                &format!("mutation {{ updateSettings(input: {{ {input} }}) {{ settings {{ eventRetentionDays }} }} }}"),
                json!({}),
            )
            .await;
        assert_eq!(error_field(&body), field, "{body}");
    }
    // 0 days of chat retention means none: history is kept.
    let kept = app
        .ok(
            Some(&org.owner_token),
            "mutation { updateSettings(input: { chatRetentionDays: 0 }) { settings { chatRetentionDays eventRetentionDays } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        kept["updateSettings"]["settings"],
        json!({ "chatRetentionDays": null, "eventRetentionDays": 30 })
    );
    let op = app.operator(&org.owner_token, "OPERATOR").await;
    let refused = app
        .gql(
            Some(&op.token),
            "mutation { updateSettings(input: { chatRetentionDays: 1 }) { settings { chatRetentionDays } } }",
            json!({}),
        )
        .await;
    assert_eq!(omnipanel_tests::error_code(&refused), "FORBIDDEN");
}
