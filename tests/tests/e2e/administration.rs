//! Administration through GraphQL: every dictionary with valid and invalid input, roles, and
//! organizations that never see each other.

use omnipanel_tests::{PASSWORD, TestApp, error_code, error_field, on_both_databases};
use serde_json::{Value, json};

on_both_databases!(
    queues_are_created_updated_and_archived,
    quick_replies_are_validated,
    named_dictionaries_are_validated,
    topics_have_one_level_of_subtopics,
    settings_are_read_and_validated,
    operators_get_roles_limits_queues_and_skills,
    a_deactivated_operator_is_signed_out_and_their_chats_go_back,
    operators_cannot_administer,
    another_organization_is_not_found_and_unchanged,
    lists_load_relations_in_batches_not_per_row,
);

async fn mutate(
    app: &TestApp, token: &str, name: &str, input_type: &str, selection: &str, input: Value,
) -> Value {
    let query =
        format!("mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} }} }}");
    app.gql(Some(token), &query, json!({ "input": input }))
        .await
}

fn assert_validation(body: &Value, field: &str) {
    assert_eq!(error_code(body), "VALIDATION", "{body}");
    assert_eq!(error_field(body), field, "{body}");
    assert!(
        body["data"].is_null(),
        "nothing is returned on error: {body}"
    );
}

async fn queues_are_created_updated_and_archived(app: TestApp) {
    let org = app.create_org("Acme").await;
    let t = org.owner_token.as_str();
    let skill = mutate(
        &app,
        t,
        "createSkill",
        "CreateSkillInput",
        "skill { id name }",
        json!({ "name": "German" }),
    )
    .await;
    let skill_id = skill["data"]["createSkill"]["skill"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let created = mutate(
        &app,
        t,
        "createQueue",
        "CreateQueueInput",
        "queue { id name sizeLimit skill { name } }",
        json!({ "name": "  Support  ", "skillId": skill_id, "sizeLimit": 20 }),
    )
    .await;
    let queue = &created["data"]["createQueue"]["queue"];
    assert_eq!(queue["name"], "Support", "names are trimmed");
    assert_eq!(queue["sizeLimit"], 20);
    assert_eq!(queue["skill"]["name"], "German");
    let queue_id = queue["id"].as_str().unwrap().to_owned();

    assert_validation(
        &mutate(
            &app,
            t,
            "createQueue",
            "CreateQueueInput",
            "queue { id }",
            json!({ "name": "" }),
        )
        .await,
        "name",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "createQueue",
            "CreateQueueInput",
            "queue { id }",
            json!({ "name": "Support" }),
        )
        .await,
        "name",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "createQueue",
            "CreateQueueInput",
            "queue { id }",
            json!({ "name": "Q", "sizeLimit": 0 }),
        )
        .await,
        "sizeLimit",
    );
    let unknown_skill = uuid::Uuid::now_v7().to_string();
    assert_validation(
        &mutate(
            &app,
            t,
            "createQueue",
            "CreateQueueInput",
            "queue { id }",
            json!({ "name": "Q", "skillId": unknown_skill }),
        )
        .await,
        "skillId",
    );

    let updated = mutate(
        &app,
        t,
        "updateQueue",
        "UpdateQueueInput",
        "queue { name sizeLimit skill { id } }",
        json!({ "id": queue_id, "name": "Support DE", "clearSizeLimit": true, "clearSkill": true }),
    )
    .await;
    assert_eq!(
        updated["data"]["updateQueue"]["queue"],
        json!({ "name": "Support DE", "sizeLimit": null, "skill": null })
    );
    let missing = mutate(
        &app,
        t,
        "updateQueue",
        "UpdateQueueInput",
        "queue { id }",
        json!({ "id": uuid::Uuid::now_v7().to_string(), "name": "X" }),
    )
    .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    let malformed = mutate(
        &app,
        t,
        "updateQueue",
        "UpdateQueueInput",
        "queue { id }",
        json!({ "id": "not-an-id", "name": "X" }),
    )
    .await;
    assert_eq!(error_code(&malformed), "VALIDATION");

    mutate(
        &app,
        t,
        "archiveQueue",
        "ArchiveQueueInput",
        "queue { archivedAt }",
        json!({ "id": queue_id }),
    )
    .await;
    let listed = app
        .ok(
            Some(t),
            "{ queues(onlyAvailable: false) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["queues"],
        json!([]),
        "archived queues are not offered"
    );
}

async fn quick_replies_are_validated(app: TestApp) {
    let org = app.create_org("Acme").await;
    let t = org.owner_token.as_str();
    let thirty = "x".repeat(30);
    let created = mutate(
        &app,
        t,
        "createQuickReply",
        "CreateQuickReplyInput",
        "quickReply { id name text }",
        json!({ "name": thirty, "text": "Hello <customer_name>, I am <operator_name> 👋" }),
    )
    .await;
    let id = created["data"]["createQuickReply"]["quickReply"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let long = mutate(
        &app,
        t,
        "createQuickReply",
        "CreateQuickReplyInput",
        "quickReply { id }",
        json!({ "name": "x".repeat(31), "text": "Hi" }),
    )
    .await;
    assert_validation(&long, "name");
    assert!(
        long["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("30")
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "createQuickReply",
            "CreateQuickReplyInput",
            "quickReply { id }",
            json!({ "name": "", "text": "Hi" }),
        )
        .await,
        "name",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "createQuickReply",
            "CreateQuickReplyInput",
            "quickReply { id }",
            json!({ "name": "Tag", "text": "<b>bold</b>" }),
        )
        .await,
        "text",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "updateQuickReply",
            "UpdateQuickReplyInput",
            "quickReply { id }",
            json!({ "id": id, "name": "y".repeat(31) }),
        )
        .await,
        "name",
    );

    // Nothing changed by the refused calls.
    let listed = app
        .ok(Some(t), "{ quickReplies { name } }", json!({}))
        .await;
    assert_eq!(listed["quickReplies"], json!([{ "name": "x".repeat(30) }]));

    mutate(
        &app,
        t,
        "createQuickReply",
        "CreateQuickReplyInput",
        "quickReply { id }",
        json!({ "name": "Goodbye", "text": "Bye!" }),
    )
    .await;
    let searched = app
        .ok(
            Some(t),
            "{ quickReplies(search: \"GOOD\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(searched["quickReplies"], json!([{ "name": "Goodbye" }]));
    mutate(
        &app,
        t,
        "archiveQuickReply",
        "ArchiveQuickReplyInput",
        "quickReply { archivedAt }",
        json!({ "id": id }),
    )
    .await;
    let listed = app
        .ok(Some(t), "{ quickReplies { name } }", json!({}))
        .await;
    assert_eq!(
        listed["quickReplies"],
        json!([{ "name": "Goodbye" }]),
        "only active replies are offered"
    );
}

async fn named_dictionaries_are_validated(app: TestApp) {
    let org = app.create_org("Acme").await;
    let t = org.owner_token.as_str();
    for (kind, field, list) in [
        ("Skill", "skill", "skills"),
        ("WrapUpReason", "wrapUpReason", "wrapUpReasons"),
        ("ChatResult", "chatResult", "chatResults"),
        ("CustomStatus", "customStatus", "customStatuses"),
        ("BotScheme", "botScheme", "botSchemes"),
    ] {
        let create = format!("create{kind}");
        let selection = format!("{field} {{ id name archivedAt }}");
        let created = mutate(
            &app,
            t,
            &create,
            &format!("Create{kind}Input"),
            &selection,
            json!({ "name": "First" }),
        )
        .await;
        let id = created["data"][&create][field]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{created}"))
            .to_owned();
        assert_validation(
            &mutate(
                &app,
                t,
                &create,
                &format!("Create{kind}Input"),
                &selection,
                json!({ "name": " " }),
            )
            .await,
            "name",
        );
        assert_validation(
            &mutate(
                &app,
                t,
                &create,
                &format!("Create{kind}Input"),
                &selection,
                json!({ "name": "n".repeat(101) }),
            )
            .await,
            "name",
        );
        let update = format!("update{kind}");
        let renamed = mutate(
            &app,
            t,
            &update,
            &format!("Update{kind}Input"),
            &selection,
            json!({ "id": id, "name": "Second" }),
        )
        .await;
        assert_eq!(
            renamed["data"][&update][field]["name"], "Second",
            "{renamed}"
        );
        let missing = mutate(
            &app,
            t,
            &update,
            &format!("Update{kind}Input"),
            &selection,
            json!({ "id": uuid::Uuid::now_v7().to_string(), "name": "X" }),
        )
        .await;
        assert_eq!(error_code(&missing), "NOT_FOUND", "{missing}");
        let archive = format!("archive{kind}");
        let archived = mutate(
            &app,
            t,
            &archive,
            &format!("Archive{kind}Input"),
            &selection,
            json!({ "id": id }),
        )
        .await;
        assert!(
            archived["data"][&archive][field]["archivedAt"].is_string(),
            "{archived}"
        );
        let listed = app
            .ok(Some(t), &format!("{{ {list} {{ name }} }}"), json!({}))
            .await;
        assert_eq!(
            listed[list],
            json!([]),
            "{list} leaves out archived entries"
        );
    }
    // The system's own wrap-up reason exists but is not offered to operators.
    let system = app
        .ok(
            Some(t),
            "{ wrapUpReasons(includeSystem: true) { name isSystem } }",
            json!({}),
        )
        .await;
    assert_eq!(
        system["wrapUpReasons"],
        json!([{ "name": "Closed automatically", "isSystem": true }])
    );
}

async fn topics_have_one_level_of_subtopics(app: TestApp) {
    let org = app.create_org("Acme").await;
    let t = org.owner_token.as_str();
    let billing = mutate(
        &app,
        t,
        "createTopic",
        "CreateTopicInput",
        "topic { id }",
        json!({ "name": "Billing" }),
    )
    .await;
    let billing_id = billing["data"]["createTopic"]["topic"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund = mutate(
        &app,
        t,
        "createTopic",
        "CreateTopicInput",
        "topic { id parentId }",
        json!({ "name": "Refund", "parentId": billing_id }),
    )
    .await;
    let refund_id = refund["data"]["createTopic"]["topic"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_validation(
        &mutate(
            &app,
            t,
            "createTopic",
            "CreateTopicInput",
            "topic { id }",
            json!({ "name": "Deeper", "parentId": refund_id }),
        )
        .await,
        "parentId",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "createTopic",
            "CreateTopicInput",
            "topic { id }",
            json!({ "name": "X", "parentId": uuid::Uuid::now_v7().to_string() }),
        )
        .await,
        "parentId",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "createTopic",
            "CreateTopicInput",
            "topic { id }",
            json!({ "name": "Refund", "parentId": billing_id }),
        )
        .await,
        "name",
    );

    let tree = app
        .ok(Some(t), "{ topics { name subtopics { name } } }", json!({}))
        .await;
    assert_eq!(
        tree["topics"],
        json!([{ "name": "Billing", "subtopics": [{ "name": "Refund" }] }])
    );
    mutate(
        &app,
        t,
        "archiveTopic",
        "ArchiveTopicInput",
        "topic { id }",
        json!({ "id": billing_id }),
    )
    .await;
    let all = app
        .ok(
            Some(t),
            "{ topics(includeArchived: true) { name subtopics { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        all["topics"],
        json!([{ "name": "Billing", "subtopics": [] }]),
        "archiving a topic archives its subtopics"
    );
}

async fn settings_are_read_and_validated(app: TestApp) {
    let org = app.create_org("Acme").await;
    let t = org.owner_token.as_str();
    let defaults = app.ok(Some(t), "{ settings { trafficLightEnabled yellowAfterSecs redAfterSecs maskingEnabled invitationTimeoutSecs frameAncestors } }", json!({})).await;
    assert_eq!(
        defaults["settings"],
        json!({
            "trafficLightEnabled": true, "yellowAfterSecs": 180, "redAfterSecs": 360,
            "maskingEnabled": false, "invitationTimeoutSecs": 30, "frameAncestors": []
        })
    );
    let selection =
        "settings { yellowAfterSecs redAfterSecs maskingEnabled frameAncestors iframeUrlTemplate }";
    let updated = mutate(
        &app,
        t,
        "updateSettings",
        "UpdateSettingsInput",
        selection,
        json!({
            "yellowAfterSecs": 60, "redAfterSecs": 120, "maskingEnabled": true,
            "frameAncestors": ["https://crm.example.com"],
            "iframeUrlTemplate": "https://tools.example.com/card?chat={chatId}&phone={phone}"
        }),
    )
    .await;
    assert_eq!(
        updated["data"]["updateSettings"]["settings"]["redAfterSecs"], 120,
        "{updated}"
    );

    assert_validation(
        &mutate(
            &app,
            t,
            "updateSettings",
            "UpdateSettingsInput",
            selection,
            json!({ "redAfterSecs": 30 }),
        )
        .await,
        "redAfterSecs",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "updateSettings",
            "UpdateSettingsInput",
            selection,
            json!({ "yellowAfterSecs": 0 }),
        )
        .await,
        "yellowAfterSecs",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "updateSettings",
            "UpdateSettingsInput",
            selection,
            json!({ "frameAncestors": ["*"] }),
        )
        .await,
        "frameAncestors",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "updateSettings",
            "UpdateSettingsInput",
            selection,
            json!({ "iframeUrlTemplate": "javascript:alert(1)" }),
        )
        .await,
        "iframeUrlTemplate",
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "updateSettings",
            "UpdateSettingsInput",
            selection,
            json!({ "invitationTimeoutSecs": 1 }),
        )
        .await,
        "invitationTimeoutSecs",
    );

    let after = app
        .ok(Some(t), &format!("{{ {selection} }}"), json!({}))
        .await;
    assert_eq!(
        after["settings"], updated["data"]["updateSettings"]["settings"],
        "refused updates change nothing"
    );
}

async fn operators_get_roles_limits_queues_and_skills(app: TestApp) {
    let org = app.create_org("Acme").await;
    let t = org.owner_token.as_str();
    let (op_token, _) = app.add_operator(t, "OPERATOR").await;
    let me = app
        .ok(Some(&op_token), "{ me { id maxChats } }", json!({}))
        .await;
    let op_id = me["me"]["id"].as_str().unwrap().to_owned();
    assert_eq!(me["me"]["maxChats"], 3, "the organization's default limit");

    let queue = mutate(
        &app,
        t,
        "createQueue",
        "CreateQueueInput",
        "queue { id }",
        json!({ "name": "Sales" }),
    )
    .await;
    let queue_id = queue["data"]["createQueue"]["queue"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let skill = mutate(
        &app,
        t,
        "createSkill",
        "CreateSkillInput",
        "skill { id }",
        json!({ "name": "Spanish" }),
    )
    .await;
    let skill_id = skill["data"]["createSkill"]["skill"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let members = mutate(
        &app,
        t,
        "setQueueMembers",
        "SetQueueMembersInput",
        "queue { members { id } }",
        json!({ "queueId": queue_id, "operatorIds": [op_id] }),
    )
    .await;
    assert_eq!(
        members["data"]["setQueueMembers"]["queue"]["members"],
        json!([{ "id": op_id }])
    );
    let unknown = mutate(
        &app,
        t,
        "setQueueMembers",
        "SetQueueMembersInput",
        "queue { id }",
        json!({ "queueId": queue_id, "operatorIds": [uuid::Uuid::now_v7().to_string()] }),
    )
    .await;
    assert_validation(&unknown, "operatorIds");

    mutate(
        &app,
        t,
        "setOperatorSkills",
        "SetOperatorSkillsInput",
        "operator { id }",
        json!({ "operatorId": op_id, "skills": [{ "skillId": skill_id, "level": 4 }] }),
    )
    .await;
    let bad_level = mutate(
        &app,
        t,
        "setOperatorSkills",
        "SetOperatorSkillsInput",
        "operator { id }",
        json!({ "operatorId": op_id, "skills": [{ "skillId": skill_id, "level": 6 }] }),
    )
    .await;
    assert_validation(&bad_level, "skills[0].level");

    let updated = mutate(
        &app,
        t,
        "updateOperator",
        "UpdateOperatorInput",
        "operator { role maxChats }",
        json!({ "id": op_id, "role": "SUPERVISOR", "maxChats": 5 }),
    )
    .await;
    assert_eq!(
        updated["data"]["updateOperator"]["operator"],
        json!({ "role": "SUPERVISOR", "maxChats": 5 })
    );
    assert_validation(
        &mutate(
            &app,
            t,
            "updateOperator",
            "UpdateOperatorInput",
            "operator { id }",
            json!({ "id": op_id, "maxChats": 0 }),
        )
        .await,
        "maxChats",
    );

    let seen = app
        .ok(
            Some(&op_token),
            "{ me { role maxChats queues { name } skills { level skill { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        seen["me"],
        json!({ "role": "SUPERVISOR", "maxChats": 5, "queues": [{ "name": "Sales" }], "skills": [{ "level": 4, "skill": { "name": "Spanish" } }] })
    );
}

async fn operators_cannot_administer(app: TestApp) {
    let org = app.create_org("Acme").await;
    let (op, _) = app.add_operator(&org.owner_token, "OPERATOR").await;
    let (supervisor, _) = app.add_operator(&org.owner_token, "SUPERVISOR").await;
    for token in [&op, &supervisor] {
        for (name, input_type, input) in [
            ("createQueue", "CreateQueueInput", json!({ "name": "Mine" })),
            ("createSkill", "CreateSkillInput", json!({ "name": "Mine" })),
            (
                "createQuickReply",
                "CreateQuickReplyInput",
                json!({ "name": "Mine", "text": "Hi" }),
            ),
            (
                "createWrapUpReason",
                "CreateWrapUpReasonInput",
                json!({ "name": "Mine" }),
            ),
            ("createTopic", "CreateTopicInput", json!({ "name": "Mine" })),
            (
                "updateSettings",
                "UpdateSettingsInput",
                json!({ "maskingEnabled": true }),
            ),
        ] {
            let selection = if name == "updateSettings" {
                "settings { maskingEnabled }"
            } else {
                "__typename"
            };
            let body = mutate(&app, token, name, input_type, selection, input).await;
            assert_eq!(error_code(&body), "FORBIDDEN", "{name}: {body}");
        }
    }
    // Even bad input is FORBIDDEN first: an operator learns nothing about validation rules.
    let body = mutate(
        &app,
        &op,
        "createQuickReply",
        "CreateQuickReplyInput",
        "__typename",
        json!({ "name": "x".repeat(31), "text": "Hi" }),
    )
    .await;
    assert_eq!(error_code(&body), "FORBIDDEN");
    let listed = app.ok(Some(&org.owner_token), "{ queues(onlyAvailable: false) { id } quickReplies { id } settings { maskingEnabled } }", json!({})).await;
    assert_eq!(
        listed,
        json!({ "queues": [], "quickReplies": [], "settings": { "maskingEnabled": false } })
    );
}

async fn another_organization_is_not_found_and_unchanged(app: TestApp) {
    let a = app.create_org("A").await;
    let b = app.create_org("B").await;
    let queue = mutate(
        &app,
        &a.owner_token,
        "createQueue",
        "CreateQueueInput",
        "queue { id }",
        json!({ "name": "A's queue" }),
    )
    .await;
    let queue_id = queue["data"]["createQueue"]["queue"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = mutate(
        &app,
        &a.owner_token,
        "createQuickReply",
        "CreateQuickReplyInput",
        "quickReply { id }",
        json!({ "name": "A's", "text": "Hi" }),
    )
    .await;
    let reply_id = reply["data"]["createQuickReply"]["quickReply"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_owner = app
        .ok(Some(&a.owner_token), "{ me { id } }", json!({}))
        .await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    for (name, input_type, input) in [
        (
            "updateQueue",
            "UpdateQueueInput",
            json!({ "id": queue_id, "name": "Taken" }),
        ),
        (
            "archiveQueue",
            "ArchiveQueueInput",
            json!({ "id": queue_id }),
        ),
        (
            "setQueueMembers",
            "SetQueueMembersInput",
            json!({ "queueId": queue_id, "operatorIds": [] }),
        ),
        (
            "updateQuickReply",
            "UpdateQuickReplyInput",
            json!({ "id": reply_id, "text": "Taken" }),
        ),
        (
            "archiveQuickReply",
            "ArchiveQuickReplyInput",
            json!({ "id": reply_id }),
        ),
        (
            "updateOperator",
            "UpdateOperatorInput",
            json!({ "id": a_owner, "maxChats": 1 }),
        ),
    ] {
        let body = mutate(&app, &b.owner_token, name, input_type, "__typename", input).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{name}: {body}");
    }
    // B sees none of A's records.
    let seen = app.ok(Some(&b.owner_token), "{ queues(onlyAvailable: false) { id } quickReplies { id } operators(onlyAvailable: false) { id } }", json!({})).await;
    assert_eq!(seen["queues"], json!([]));
    assert_eq!(seen["quickReplies"], json!([]));
    assert_eq!(
        seen["operators"].as_array().unwrap().len(),
        1,
        "only B's owner"
    );
    // And A's records are as they were.
    let a_view = app.ok(Some(&a.owner_token), "{ queues(onlyAvailable: false) { name archivedAt } quickReplies { text } me { maxChats } }", json!({})).await;
    assert_eq!(
        a_view,
        json!({ "queues": [{ "name": "A's queue", "archivedAt": null }], "quickReplies": [{ "text": "Hi" }], "me": { "maxChats": 3 } })
    );
}

async fn lists_load_relations_in_batches_not_per_row(app: TestApp) {
    let org = app.create_org("Acme").await;
    let t = org.owner_token.as_str();
    let queue = mutate(
        &app,
        t,
        "createQueue",
        "CreateQueueInput",
        "queue { id }",
        json!({ "name": "Sales" }),
    )
    .await;
    let queue_id = queue["data"]["createQueue"]["queue"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let skill = mutate(
        &app,
        t,
        "createSkill",
        "CreateSkillInput",
        "skill { id }",
        json!({ "name": "Spanish" }),
    )
    .await;
    let skill_id = skill["data"]["createSkill"]["skill"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listing = "{ operators(onlyAvailable: false) { firstName queues { name members { firstName } skill { name } } skills { level skill { name } } } }";
    // One operator with every relation filled, then six: the same number of queries.
    let owner_id = app.ok(Some(t), "{ me { id } }", json!({})).await["me"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    mutate(
        &app,
        t,
        "updateQueue",
        "UpdateQueueInput",
        "queue { id }",
        json!({ "id": queue_id, "skillId": skill_id }),
    )
    .await;
    mutate(
        &app,
        t,
        "setQueueMembers",
        "SetQueueMembersInput",
        "queue { id }",
        json!({ "queueId": queue_id, "operatorIds": [owner_id] }),
    )
    .await;
    mutate(
        &app,
        t,
        "setOperatorSkills",
        "SetOperatorSkillsInput",
        "operator { id }",
        json!({ "operatorId": owner_id, "skills": [{ "skillId": skill_id, "level": 5 }] }),
    )
    .await;

    let (one, with_one) = app.count_queries(app.ok(Some(t), listing, json!({}))).await;
    assert_eq!(one["operators"].as_array().unwrap().len(), 1);

    let mut ids = vec![owner_id];
    for _ in 0..5 {
        let (token, _) = app.add_operator(t, "OPERATOR").await;
        ids.push(
            app.ok(Some(&token), "{ me { id } }", json!({})).await["me"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    mutate(
        &app,
        t,
        "setQueueMembers",
        "SetQueueMembersInput",
        "queue { id }",
        json!({ "queueId": queue_id, "operatorIds": ids }),
    )
    .await;
    for id in &ids {
        mutate(
            &app,
            t,
            "setOperatorSkills",
            "SetOperatorSkillsInput",
            "operator { id }",
            json!({ "operatorId": id, "skills": [{ "skillId": skill_id, "level": 2 }] }),
        )
        .await;
    }
    let (six, with_six) = app.count_queries(app.ok(Some(t), listing, json!({}))).await;
    assert_eq!(six["operators"].as_array().unwrap().len(), 6);
    assert_eq!(
        with_one, with_six,
        "the number of queries does not grow with the number of rows"
    );
}

const ARCHIVE_OPERATOR: &str = "mutation($input: ArchiveOperatorInput!) { archiveOperator(input: $input) { operator { id status } } }";

/// Deactivating an operator (#18): OFFLINE, their accepted chat back in its queue and routed to
/// a colleague, out of their queues, their session refused and no sign-in; refused for oneself,
/// for someone above one's role, for operators, and for another organization's operator.
async fn a_deactivated_operator_is_signed_out_and_their_chats_go_back(app: TestApp) {
    let d = app.desk("Acme").await;
    let owner = d.org.owner_token.as_str();
    let chat = app.hand_off_ok(&d.key, &d.queue, "+48600700800").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let accepted = app.chat_action(&d.op.token, "acceptChat", &chat).await;
    assert!(accepted["errors"].is_null(), "{accepted}");
    let colleague = app.operator(owner, "OPERATOR").await;

    // Refusals first: none of them changes anything.
    let admin = app.operator(owner, "ADMIN").await;
    let own = app
        .gql(
            Some(&admin.token),
            ARCHIVE_OPERATOR,
            json!({ "input": { "id": admin.id } }),
        )
        .await;
    assert_validation(&own, "id");
    let owner_id = app.ok(Some(owner), "{ me { id } }", json!({})).await["me"]["id"].clone();
    let above = app
        .gql(
            Some(&admin.token),
            ARCHIVE_OPERATOR,
            json!({ "input": { "id": owner_id } }),
        )
        .await;
    assert_eq!(error_code(&above), "FORBIDDEN");
    let by_operator = app
        .gql(
            Some(&colleague.token),
            ARCHIVE_OPERATOR,
            json!({ "input": { "id": d.op.id } }),
        )
        .await;
    assert_eq!(error_code(&by_operator), "FORBIDDEN");
    let other = app.create_org("Other").await;
    let elsewhere = app
        .gql(
            Some(&other.owner_token),
            ARCHIVE_OPERATOR,
            json!({ "input": { "id": d.op.id } }),
        )
        .await;
    assert_eq!(error_code(&elsewhere), "NOT_FOUND");
    assert_eq!(
        app.chat(owner, &chat).await["status"],
        "NEW",
        "the refusals left the chat with its operator"
    );

    // The colleague joins the queue and is ready; then the operator is deactivated.
    app.set_members(owner, &d.queue, &[&d.op, &colleague]).await;
    app.set_status(&colleague, "READY").await;
    let archived = app
        .ok(
            Some(owner),
            ARCHIVE_OPERATOR,
            json!({ "input": { "id": d.op.id } }),
        )
        .await;
    assert_eq!(archived["archiveOperator"]["operator"]["status"], "OFFLINE");

    // The chat went back to the queue and on to the colleague.
    let moved = app.chat(owner, &chat).await;
    assert_eq!(moved["status"], "INVITED", "{moved}");
    assert_eq!(moved["operator"]["id"], colleague.id.as_str());

    // Signed out everywhere, and no way back in.
    let session = app.gql(Some(&d.op.token), "{ me { id } }", json!({})).await;
    assert_eq!(error_code(&session), "UNAUTHENTICATED");
    let sign_in = app
        .gql(
            None,
            "mutation($input: SignInInput!) { signIn(input: $input) { token } }",
            json!({ "input": { "email": d.op.email, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(error_code(&sign_in), "UNAUTHENTICATED");

    // Gone from the lists and the queue; deactivating again finds no one.
    let lists = app
        .ok(
            Some(owner),
            "{ operators(onlyAvailable: false) { id } queues(onlyAvailable: false) { members { id } } }",
            json!({}),
        )
        .await;
    assert!(!lists.to_string().contains(d.op.id.as_str()), "{lists}");
    let again = app
        .gql(
            Some(owner),
            ARCHIVE_OPERATOR,
            json!({ "input": { "id": d.op.id } }),
        )
        .await;
    assert_eq!(error_code(&again), "NOT_FOUND");
}
