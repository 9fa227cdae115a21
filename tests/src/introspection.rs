//! The served schema as introspection gives it, for tests generated from it.

use serde_json::Value;

/// Every type with its fields, arguments, input fields and enum values.
pub const INTROSPECTION: &str = r#"{ __schema {
  queryType { name } mutationType { name }
  types { name kind
    enumValues { name }
    inputFields { name defaultValue type { ...Ref } }
    fields { name type { ...Ref } args { name defaultValue type { ...Ref } } } } } }
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }"#;

/// A type reference as GraphQL spells it (`[ID!]!`), and its named type.
pub fn spelled(reference: &Value) -> String {
    match reference["kind"].as_str().unwrap() {
        "NON_NULL" => format!("{}!", spelled(&reference["ofType"])),
        "LIST" => format!("[{}]", spelled(&reference["ofType"])),
        _ => reference["name"].as_str().unwrap().to_owned(),
    }
}

pub fn named(reference: &Value) -> &Value {
    match reference["kind"].as_str().unwrap() {
        "NON_NULL" | "LIST" => named(&reference["ofType"]),
        _ => reference,
    }
}

/// `operation` calling `field` with `arguments`, each passed as the variable of its name:
/// `mutation($input: ChatIdInput!) { acceptChat(input: $input) { id } }`.
pub fn document(operation: &str, field: &str, arguments: &[&Value], selection: &str) -> String {
    if arguments.is_empty() {
        return format!("{operation} {{ {field}{selection} }}");
    }
    let declared: Vec<String> = arguments
        .iter()
        .map(|a| format!("${}: {}", a["name"].as_str().unwrap(), spelled(&a["type"])))
        .collect();
    let passed: Vec<String> = arguments
        .iter()
        .map(|a| format!("{0}: ${0}", a["name"].as_str().unwrap()))
        .collect();
    format!(
        "{operation}({}) {{ {field}({}){selection} }}",
        declared.join(", "),
        passed.join(", ")
    )
}
