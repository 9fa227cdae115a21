//! Errors as API.md wants them: every error carries `extensions.code`, and `VALIDATION` errors
//! carry `extensions.field`. Internal details are logged, never returned.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::{ErrorExtensions, Response, ServerError, Value};
use omnipanel_domain::DomainError;

/// A domain error as a GraphQL error.
pub fn to_gql(error: DomainError) -> async_graphql::Error {
    if error.is_internal() {
        tracing::error!(error = ?error, "internal error");
    }
    let message = error.to_string();
    async_graphql::Error::new(message).extend_with(|_, extensions| {
        extensions.set("code", error.code());
        if let DomainError::Validation { field, .. } = &error {
            extensions.set("field", field.as_ref());
        }
    })
}

/// `.gql()` turns a domain result into a GraphQL result.
pub trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> Gql<T> for Result<T, DomainError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_gql)
    }
}

/// Gives a code to errors raised by the GraphQL engine itself (parsing, validation, input
/// coercion, limits), which know nothing of our codes.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            classify(error);
        }
        response
    }
}

fn classify(error: &mut ServerError) {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_some() {
        return;
    }
    let message = error.message.as_str();
    let code = if message.contains("nested too deep")
        || message.contains("too complex")
        || message.contains("recursion")
    {
        "LIMIT_EXCEEDED"
    } else if error.path.is_empty()
        || message.starts_with("Failed to parse")
        || message.starts_with("Invalid value")
        || message.starts_with("Expected input type")
        || variable_name(message).is_some()
    {
        "VALIDATION"
    } else {
        tracing::error!(message, "unclassified GraphQL error");
        "INTERNAL"
    };
    extensions.set("code", code);
    if code == "VALIDATION"
        && let Some(field) = argument_name(message)
            .or_else(|| variable_name(message))
            .or_else(|| coerced_input(message))
    {
        extensions.set("field", Value::String(field));
    }
}

/// The variable an operation uses without declaring or passing it: the engine says
/// `Variable chatId is not defined.`
fn variable_name(message: &str) -> Option<String> {
    message
        .strip_prefix("Variable ")?
        .strip_suffix(" is not defined.")
        .filter(|name| name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .map(str::to_owned)
}

/// A variable of the wrong type for an input object: `Expected input type "ChatIdInput", found
/// 12.` (or a field inside one, `… (occurred while parsing "ChatIdInput")`) is the `input`.
fn coerced_input(message: &str) -> Option<String> {
    message.starts_with("Expected input type").then_some(())?;
    let input_object = message.contains("Input\",") || message.contains("Input\")");
    input_object.then(|| "input".to_owned())
}

/// The argument named in an engine message such as `Invalid value for argument "input.name"`.
fn argument_name(message: &str) -> Option<String> {
    let start = message.find("argument \"")? + "argument \"".len();
    let end = message[start..].find('"')? + start;
    let raw = &message[start..end];
    Some(raw.strip_prefix("input.").unwrap_or(raw).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argument_names_are_read_from_engine_messages() {
        assert_eq!(
            argument_name(r#"Invalid value for argument "input.name", expected type "String""#),
            Some("name".into())
        );
        assert_eq!(argument_name("Unknown field"), None);
    }

    #[test]
    fn values_of_the_wrong_type_for_an_input_are_the_input_s() {
        assert_eq!(
            coerced_input(r#"Expected input type "ChatIdInput", found 12."#),
            Some("input".into())
        );
        assert_eq!(
            coerced_input(
                r#"Expected input type "ID", found 12. (occurred while parsing "ChatIdInput")"#
            ),
            Some("input".into())
        );
        assert_eq!(
            coerced_input(r#"Expected input type "ID", found 12."#),
            None
        );
    }

    #[test]
    fn missing_variables_are_named() {
        assert_eq!(
            variable_name("Variable chatId is not defined."),
            Some("chatId".into())
        );
        assert_eq!(variable_name("Variable chat id is not defined."), None);
        assert_eq!(variable_name("Unknown field"), None);
    }

    #[test]
    fn domain_errors_carry_code_and_field() {
        let error = to_gql(DomainError::validation("name", "must not be empty"));
        let extensions = error.extensions.expect("extensions");
        assert_eq!(extensions.get("code"), Some(&Value::from("VALIDATION")));
        assert_eq!(extensions.get("field"), Some(&Value::from("name")));
        let internal = to_gql(DomainError::Internal("secret detail".into()));
        assert!(!internal.message.contains("secret"));
    }
}
