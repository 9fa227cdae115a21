//! Organization isolation, generated from the schema rather than from a hand-picked list: every
//! query and mutation that takes an id (directly or inside its input) is called by another
//! organization, under each role and key scope, with the first organization's ids in every id
//! it takes. Each call must be refused as `NOT_FOUND`, `FORBIDDEN` or `VALIDATION`, or answer
//! without a trace of the first organization; and the first organization's rows are the same
//! afterwards, to the byte. A new field that takes an id is covered the day it is added.

use std::collections::{BTreeMap, HashSet};

use omnipanel_tests::introspection::{INTROSPECTION, document, named};
use omnipanel_tests::rows::snapshot;
use omnipanel_tests::{Db, TestApp, error_code, spawn_app};
use serde_json::{Value, json};

/// The victim's ids, by what they name.
struct Victim {
    org_id: String,
    ids: BTreeMap<&'static str, String>,
}

async fn created(app: &TestApp, token: &str, field: &str, object: &str, input: Value) -> String {
    let input_type = format!("{}{}Input", field[..1].to_uppercase(), &field[1..]);
    let data = app
        .ok(
            Some(token),
            &format!(
                "mutation($input: {input_type}!) {{ {field}(input: $input) {{ {object} {{ id }} }} }}"
            ),
            json!({ "input": input }),
        )
        .await;
    data[field][object]["id"].as_str().unwrap().to_owned()
}

impl Victim {
    async fn new(app: &TestApp) -> Self {
        let d = app.desk("Victim").await;
        let owner = &d.org.owner_token;
        let chat = app.hand_off_ok(&d.key, &d.queue, "+48600100200").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        app.chat_action(&d.op.token, "acceptChat", &chat).await;
        let message = app
            .ok(
                Some(&d.op.token),
                "mutation($c: ID!) { sendMessage(input: { chatId: $c, text: \"Hello\" }) { message { id } } }",
                json!({ "c": chat }),
            )
            .await["sendMessage"]["message"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let note = created(
            app,
            &d.op.token,
            "addNote",
            "note",
            json!({ "chatId": chat, "text": "Private" }),
        )
        .await;
        let mut ids = BTreeMap::from([
            ("chat", chat),
            ("message", message),
            ("note", note),
            ("queue", d.queue.clone()),
            ("operator", d.op.id.clone()),
            ("wrapUpReason", app.wrap_up_reason(owner).await),
        ]);
        for (kind, field, object, input) in [
            ("topic", "createTopic", "topic", json!({ "name": "Orders" })),
            ("skill", "createSkill", "skill", json!({ "name": "Polish" })),
            (
                "quickReply",
                "createQuickReply",
                "quickReply",
                json!({ "name": "Hi", "text": "Hello!" }),
            ),
            (
                "customStatus",
                "createCustomStatus",
                "customStatus",
                json!({ "name": "Lunch" }),
            ),
            (
                "chatResult",
                "createChatResult",
                "chatResult",
                json!({ "name": "Solved" }),
            ),
            (
                "botScheme",
                "createBotScheme",
                "botScheme",
                json!({ "name": "Main" }),
            ),
            (
                "channel",
                "createChannel",
                "channel",
                json!({ "kind": "WEBCHAT", "name": "Website" }),
            ),
            (
                "webhook",
                "createWebhook",
                "webhook",
                json!({ "url": "http://127.0.0.1:9/hook", "events": ["CHAT_CLOSED"] }),
            ),
            (
                "apiKey",
                "createApiKey",
                "apiKey",
                json!({ "name": "CRM", "scope": "CRM" }),
            ),
        ] {
            ids.insert(kind, created(app, owner, field, object, input).await);
        }
        Self {
            org_id: d.org.id.clone(),
            ids,
        }
    }

    /// The victim's id an argument names: `chatId` a chat, `toQueueId` a queue, the `id` of
    /// `archiveChannel` a channel; anything else gets a chat's id, as foreign as any.
    fn id_for(&self, argument: &str, field: &str) -> String {
        let noun = if argument == "id" {
            ["archive", "update", "retry", "revoke"]
                .iter()
                .find_map(|verb| field.strip_prefix(verb))
                .unwrap_or(field)
                .to_owned()
        } else {
            let bare = argument
                .strip_suffix("Ids")
                .or_else(|| argument.strip_suffix("Id"))
                .unwrap_or(argument);
            bare.strip_prefix("to").unwrap_or(bare).to_owned()
        };
        let kind = match noun.to_lowercase().as_str() {
            "operator" => "operator",
            "queue" => "queue",
            "channel" | "gateway" => "channel",
            "webhook" => "webhook",
            "wrapupreason" => "wrapUpReason",
            "result" | "chatresult" => "chatResult",
            "topic" | "subtopic" | "parent" => "topic",
            "skill" => "skill",
            "quickreply" => "quickReply",
            "customstatus" => "customStatus",
            "scheme" | "botscheme" => "botScheme",
            "note" => "note",
            "message" => "message",
            "apikey" => "apiKey",
            _ => "chat",
        };
        self.ids[kind].clone()
    }

    fn leaks_into(&self, answer: &Value) -> Option<&str> {
        let text = answer.to_string();
        self.ids
            .values()
            .chain(std::iter::once(&self.org_id))
            .find(|id| text.contains(id.as_str()))
            .map(String::as_str)
    }
}

/// Which optional fields a call fills: every id, or only one (so that an id checked first does
/// not hide one checked later), with or without the optional fields that hold no id.
struct Plan<'a> {
    only: Option<&'a str>,
    full: bool,
}

/// Text that passes the usual checks of a field with this name.
fn plausible_text(name: &str) -> Value {
    let name = name.to_lowercase();
    json!(if name.contains("email") {
        "probe@example.com"
    } else if name.contains("phone") {
        "+48600100999"
    } else if name.contains("url") {
        "https://example.com/probe"
    } else if name.contains("color") || name.contains("colour") {
        "#336699"
    } else {
        "Isolation probe"
    })
}

struct Schema<'a> {
    types: BTreeMap<&'a str, &'a Value>,
}

impl<'a> Schema<'a> {
    /// The fields of the input object `reference` names, the first time it is met.
    fn input_fields(&self, reference: &Value, seen: &mut HashSet<String>) -> Option<&'a [Value]> {
        let name = named(reference)["name"].as_str().unwrap();
        let input = self
            .types
            .get(name)
            .filter(|t| t["kind"] == "INPUT_OBJECT")?;
        seen.insert(name.to_owned())
            .then(|| input["inputFields"].as_array().unwrap().as_slice())
    }

    /// Whether a value of this type can hold an id.
    fn holds_id(&self, reference: &Value, seen: &mut HashSet<String>) -> bool {
        named(reference)["name"] == "ID"
            || self
                .input_fields(reference, seen)
                .is_some_and(|fields| fields.iter().any(|f| self.holds_id(&f["type"], seen)))
    }

    /// Whether a value of this type can hold the field `key` (at any depth) that holds an id.
    fn holds_key(&self, reference: &Value, key: &str, seen: &mut HashSet<String>) -> bool {
        self.input_fields(reference, seen).is_some_and(|fields| {
            fields.iter().any(|field| {
                (field["name"] == key && self.holds_id(&field["type"], &mut HashSet::new()))
                    || self.holds_key(&field["type"], key, seen)
            })
        })
    }

    /// Whether an optional argument or input field goes into the call.
    fn included(&self, key: &str, reference: &Value, required: bool, plan: &Plan) -> bool {
        if required {
            return true;
        }
        if self.holds_id(reference, &mut HashSet::new()) {
            return match plan.only {
                None => true,
                Some(only) => only == key || self.holds_key(reference, only, &mut HashSet::new()),
            };
        }
        plan.full
    }

    /// A value for `reference`: the victim's ids for ids, something plausible for the rest.
    fn value(
        &self, reference: &Value, name: &str, field: &str, victim: &Victim, plan: &Plan,
    ) -> Value {
        match reference["kind"].as_str().unwrap() {
            "NON_NULL" => self.value(&reference["ofType"], name, field, victim, plan),
            "LIST" => json!([self.value(&reference["ofType"], name, field, victim, plan)]),
            "ENUM" => {
                let values = &self.types[reference["name"].as_str().unwrap()]["enumValues"];
                values[0]["name"].clone()
            }
            "INPUT_OBJECT" => {
                let input = self.types[reference["name"].as_str().unwrap()];
                let mut object = serde_json::Map::new();
                for inner in input["inputFields"].as_array().unwrap() {
                    let key = inner["name"].as_str().unwrap();
                    let required =
                        inner["type"]["kind"] == "NON_NULL" && inner["defaultValue"].is_null();
                    if self.included(key, &inner["type"], required, plan) {
                        object.insert(
                            key.to_owned(),
                            self.value(&inner["type"], key, field, victim, plan),
                        );
                    }
                }
                Value::Object(object)
            }
            _ => match reference["name"].as_str().unwrap() {
                "ID" => json!(victim.id_for(name, field)),
                "Int" => json!(1),
                "Float" => json!(1.0),
                "Boolean" => json!(false),
                "DateTime" => json!("2026-12-01T10:00:00Z"),
                "JSON" => json!({}),
                _ => plausible_text(name),
            },
        }
    }

    /// The names of every optional field or argument of `field` that can hold an id.
    fn optional_ids(&self, field: &Value) -> Vec<String> {
        fn walk(
            schema: &Schema, reference: &Value, key: &str, required: bool, out: &mut Vec<String>,
            seen: &mut HashSet<String>,
        ) {
            if !required
                && schema.holds_id(reference, &mut HashSet::new())
                && !out.iter().any(|k| k == key)
            {
                out.push(key.to_owned());
            }
            let name = named(reference)["name"].as_str().unwrap();
            if let Some(input) = schema
                .types
                .get(name)
                .filter(|t| t["kind"] == "INPUT_OBJECT")
                && seen.insert(name.to_owned())
            {
                for inner in input["inputFields"].as_array().unwrap() {
                    let required =
                        inner["type"]["kind"] == "NON_NULL" && inner["defaultValue"].is_null();
                    walk(
                        schema,
                        &inner["type"],
                        inner["name"].as_str().unwrap(),
                        required,
                        out,
                        seen,
                    );
                }
            }
        }
        let mut out = Vec::new();
        for argument in field["args"].as_array().unwrap() {
            let required =
                argument["type"]["kind"] == "NON_NULL" && argument["defaultValue"].is_null();
            walk(
                self,
                &argument["type"],
                argument["name"].as_str().unwrap(),
                required,
                &mut out,
                &mut HashSet::new(),
            );
        }
        out
    }

    /// What to read of an answer: ids, so that anything of the victim's shows (the object's own
    /// id, or those of the objects a payload carries).
    fn selection(&self, returned: &Value) -> String {
        let Some(object) = returned["name"]
            .as_str()
            .and_then(|name| self.types.get(name))
            .filter(|t| t["kind"] == "OBJECT")
        else {
            return match returned["kind"].as_str().unwrap() {
                "INTERFACE" | "UNION" => " { __typename }".to_owned(),
                _ => String::new(),
            };
        };
        let has_id = |object: &Value| {
            object["fields"]
                .as_array()
                .is_some_and(|fields| fields.iter().any(|f| f["name"] == "id"))
        };
        if has_id(object) {
            return " { id }".to_owned();
        }
        let inner: Vec<String> = object["fields"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["args"].as_array().is_none_or(|a| a.is_empty()))
            .filter_map(|f| {
                let name = named(&f["type"])["name"].as_str()?;
                let target = self.types.get(name)?;
                has_id(target).then(|| format!("{} {{ id }}", f["name"].as_str().unwrap()))
            })
            .collect();
        if inner.is_empty() {
            " { __typename }".to_owned()
        } else {
            format!(" {{ __typename {} }}", inner.join(" "))
        }
    }

    /// The operation calling `field` with every argument that can hold an id or must be given.
    fn call(
        &self, operation: &str, field: &Value, victim: &Victim, plan: &Plan,
    ) -> Option<(String, Value)> {
        let name = field["name"].as_str().unwrap();
        let arguments: Vec<&Value> = field["args"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|argument| {
                let required =
                    argument["type"]["kind"] == "NON_NULL" && argument["defaultValue"].is_null();
                self.included(
                    argument["name"].as_str().unwrap(),
                    &argument["type"],
                    required,
                    plan,
                )
            })
            .collect();
        if !arguments
            .iter()
            .any(|argument| self.holds_id(&argument["type"], &mut HashSet::new()))
        {
            return None;
        }
        let variables: serde_json::Map<String, Value> = arguments
            .iter()
            .map(|a| {
                let argument = a["name"].as_str().unwrap();
                (
                    argument.to_owned(),
                    self.value(&a["type"], argument, name, victim, plan),
                )
            })
            .collect();
        let selection = self.selection(named(&field["type"]));
        Some((
            document(operation, name, &arguments, &selection),
            Value::Object(variables),
        ))
    }
}

#[tokio::test]
async fn another_organizations_ids_resolve_to_nothing() {
    let app = spawn_app(Db::Postgres).await;
    let victim = Victim::new(&app).await;
    let before = snapshot(&app.domain.db, &victim.org_id).await;

    let intruder = app.desk("Intruder").await;
    let supervisor = app.operator(&intruder.org.owner_token, "SUPERVISOR").await;
    let crm_key = app
        .ok(
            Some(&intruder.org.owner_token),
            "mutation { createApiKey(input: { name: \"CRM\", scope: CRM }) { key } }",
            json!({}),
        )
        .await["createApiKey"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let callers = [
        ("owner", intruder.org.owner_token.clone()),
        ("supervisor", supervisor.token.clone()),
        ("operator", intruder.op.token.clone()),
        ("chatbot key", intruder.key.clone()),
        ("CRM key", crm_key),
    ];

    let introspected = app.ok(None, INTROSPECTION, json!({})).await;
    let types = introspected["__schema"]["types"].as_array().unwrap();
    let schema = Schema {
        types: types
            .iter()
            .map(|t| (t["name"].as_str().unwrap(), t))
            .collect(),
    };
    let mut fields = 0;
    let mut calls = 0;
    let mut failures = Vec::new();
    let mut answers: BTreeMap<String, usize> = BTreeMap::new();
    for (root, operation) in [("Query", "query"), ("Mutation", "mutation")] {
        let root_type = introspected["__schema"][format!("{operation}Type")]["name"]
            .as_str()
            .unwrap_or(root);
        for field in schema.types[root_type]["fields"].as_array().unwrap() {
            let optional = schema.optional_ids(field);
            let mut plans = vec![
                Plan {
                    only: None,
                    full: false,
                },
                Plan {
                    only: None,
                    full: true,
                },
            ];
            for key in &optional {
                plans.push(Plan {
                    only: Some(key),
                    full: false,
                });
                plans.push(Plan {
                    only: Some(key),
                    full: true,
                });
            }
            let variants: Vec<(String, Value)> = plans
                .iter()
                .filter_map(|plan| schema.call(operation, field, &victim, plan))
                .collect();
            if variants.is_empty() {
                continue;
            }
            fields += 1;
            for ((document, variables), (caller, token)) in variants
                .iter()
                .flat_map(|variant| callers.iter().map(move |caller| (variant, caller)))
            {
                calls += 1;
                let answer = app.gql(Some(token), document, variables.clone()).await;
                let refused = !answer["errors"].is_null();
                let code = if refused {
                    error_code(&answer)
                } else {
                    "answered"
                };
                *answers.entry(code.to_owned()).or_default() += 1;
                let verdict = if refused {
                    match error_code(&answer) {
                        "NOT_FOUND" | "FORBIDDEN" | "VALIDATION" => None,
                        other => Some(format!("answered {other}")),
                    }
                } else {
                    victim
                        .leaks_into(&answer)
                        .map(|id| format!("answered with the victim's {id}"))
                };
                if let Some(verdict) = verdict {
                    failures.push(format!(
                        "{caller}: {document} {variables}: {verdict}: {answer}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(fields >= 60, "only {fields} fields take ids");
    eprintln!("{fields} fields, {calls} calls, none reached the victim: {answers:?}");
    assert_eq!(
        snapshot(&app.domain.db, &victim.org_id).await,
        before,
        "the victim's rows changed"
    );
    // Nor did anything the intruder did point at the victim's rows (a chat of its own bound to
    // the victim's channel, say).
    for (table, rows) in snapshot(&app.domain.db, &intruder.org.id).await {
        assert!(
            victim.leaks_into(&Value::String(rows.clone())).is_none(),
            "the intruder's {table} refer to the victim: {rows}"
        );
    }
}
