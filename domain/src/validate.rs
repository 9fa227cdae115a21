//! Input validation in one place: `validator::Validate` on every command, and the failure turned
//! into `VALIDATION` naming the field as the API spells it (camelCase, with list indexes).

use std::borrow::Cow;

use validator::{Validate, ValidationError, ValidationErrors, ValidationErrorsKind};

use crate::error::{DomainError, Result, camel_case};

/// Validates a command; the first failing field (in a stable order) becomes the error.
pub fn check<T: Validate>(input: &T) -> Result<()> {
    input.validate().map_err(|errors| first_error("", &errors))
}

/// An administrator's command: the caller must be an administrator (`FORBIDDEN` otherwise), and
/// then the input valid.
pub fn check_admin<T: Validate>(actor: &crate::actor::Actor, input: &T) -> Result<()> {
    actor.require_admin()?;
    check(input)
}

fn first_error(prefix: &str, errors: &ValidationErrors) -> DomainError {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    let Some((field, kind)) = fields.into_iter().next() else {
        return DomainError::validation(prefix.to_owned(), "is invalid");
    };
    let path = join(prefix, &camel_case(field));
    match kind {
        ValidationErrorsKind::Field(list) => match list.first() {
            Some(error) => DomainError::validation(path, describe(error)),
            None => DomainError::validation(path, "is invalid"),
        },
        ValidationErrorsKind::Struct(inner) => first_error(&path, inner),
        ValidationErrorsKind::List(items) => match items.iter().next() {
            Some((index, inner)) => first_error(&format!("{path}[{index}]"), inner),
            None => DomainError::validation(path, "is invalid"),
        },
    }
}

fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

/// A sentence for a validator failure.
fn describe(error: &ValidationError) -> Cow<'static, str> {
    if let Some(message) = &error.message {
        return message.clone();
    }
    let param = |name: &str| error.params.get(name).map(|v| v.to_string());
    match error.code.as_ref() {
        "length" => match (param("min"), param("max"), param("equal")) {
            (_, _, Some(n)) => format!("must be exactly {n} characters").into(),
            (Some(min), Some(max), _) if min == "1" => {
                format!("must not be empty and at most {max} characters long").into()
            }
            (Some(min), Some(max), _) => {
                format!("must be between {min} and {max} characters long").into()
            }
            (Some(min), None, _) => format!("must be at least {min} characters long").into(),
            (None, Some(max), _) => format!("must be at most {max} characters long").into(),
            _ => "has the wrong length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}").into(),
            (Some(min), None) => format!("must be at least {min}").into(),
            (None, Some(max)) => format!("must be at most {max}").into(),
            _ => "is out of range".into(),
        },
        "email" => "must be an e-mail address".into(),
        "url" => "must be an absolute http(s) URL".into(),
        _ => "is invalid".into(),
    }
}

/// A required text that is not only whitespace.
pub fn not_blank(value: &str) -> Result<(), ValidationError> {
    if value.trim().is_empty() {
        Err(ValidationError::new("blank").with_message("must not be empty".into()))
    } else {
        Ok(())
    }
}

/// No control characters (names are shown in lists and headers).
pub fn single_line(value: &str) -> Result<(), ValidationError> {
    if value.chars().any(char::is_control) {
        Err(ValidationError::new("control")
            .with_message("must be a single line without control characters".into()))
    } else {
        not_blank(value)
    }
}

/// An absolute http or https URL.
pub fn http_url(value: &str) -> Result<(), ValidationError> {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(()),
        _ => Err(ValidationError::new("url")),
    }
}

/// A web origin (`https://crm.example.com[:port]`) as `frame-ancestors` wants it.
pub fn origin(value: &str) -> Result<(), ValidationError> {
    let bad = || {
        ValidationError::new("origin")
            .with_message("must be an origin such as https://crm.example.com".into())
    };
    let url = url::Url::parse(value).map_err(|_| bad())?;
    let is_origin = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.path() == "/"
        && !value.ends_with('/')
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty();
    if is_origin { Ok(()) } else { Err(bad()) }
}

/// Trims a validated name for storage.
pub fn clean(value: &str) -> String {
    value.trim().to_owned()
}

/// `body` with NUL characters removed from every string (and key) of its JSON; unchanged when it
/// holds none, or when it is not JSON (its reader refuses it then). PostgreSQL stores no NUL:
/// JSON bodies of channels' webhooks, the web chat and CRM answers are cleaned once, where they
/// arrive.
pub fn json_without_nul(body: &[u8]) -> Cow<'_, [u8]> {
    // JSON spells a NUL only as the escape `\u0000`: without it there is nothing to clean.
    if !body.windows(6).any(|window| window == b"\\u0000") {
        return body.into();
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            strip_nul(&mut value);
            serde_json::to_vec(&value).map_or(body.into(), Into::into)
        }
        Err(_) => body.into(),
    }
}

/// Removes NUL characters from every string and key of `value`.
pub fn strip_nul(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) => text.retain(|c| c != '\0'),
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip_nul),
        serde_json::Value::Object(fields) => {
            if fields.keys().any(|key| key.contains('\0')) {
                *fields = std::mem::take(fields)
                    .into_iter()
                    .map(|(key, value)| (key.replace('\0', ""), value))
                    .collect();
            }
            fields.values_mut().for_each(strip_nul);
        }
        _ => {}
    }
}

/// What an update asks of an optional field it can also clear: `Some(None)` to clear it (the
/// clear flag wins), `Some(Some(value))` to set it, `None` to leave it.
pub fn change<T>(clear: Option<bool>, value: Option<T>) -> Option<Option<T>> {
    if clear == Some(true) {
        Some(None)
    } else {
        value.map(Some)
    }
}

/// Passes when `valid` holds; otherwise fails with `code` and the message a client is shown.
pub fn rule(valid: bool, code: &'static str, message: &'static str) -> Result<(), ValidationError> {
    if valid {
        Ok(())
    } else {
        Err(ValidationError::new(code).with_message(message.into()))
    }
}

/// Asserts that `check` accepts each of `valid` and refuses each of `invalid`, naming the value
/// that breaks the expectation.
#[cfg(test)]
pub(crate) fn assert_rule(
    check: impl Fn(&str) -> Result<(), ValidationError>, valid: &[&str], invalid: &[&str],
) {
    for value in valid {
        assert!(check(value).is_ok(), "{value:?} should pass");
    }
    for value in invalid {
        assert!(check(value).is_err(), "{value:?} should be refused");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_wins_over_a_value() {
        assert_eq!(change(Some(true), Some(5)), Some(None));
        assert_eq!(change(Some(false), Some(5)), Some(Some(5)));
        assert_eq!(change(None, Some(5)), Some(Some(5)));
        assert_eq!(change::<i32>(Some(false), None), None);
        assert_eq!(change::<i32>(None, None), None);
    }

    #[derive(Validate)]
    struct Sample {
        #[validate(length(min = 1, max = 30), custom(function = "single_line"))]
        display_name: String,
        #[validate(range(min = 1, max = 5))]
        level: i32,
    }

    #[test]
    fn the_error_names_the_field_in_camel_case() {
        let long = Sample {
            display_name: "x".repeat(31),
            level: 3,
        };
        assert_refused(
            &long,
            "displayName",
            "must not be empty and at most 30 characters long",
        );
        let ok = Sample {
            display_name: "x".repeat(30),
            level: 5,
        };
        assert!(check(&ok).is_ok());
        let blank = Sample {
            display_name: "   ".into(),
            level: 1,
        };
        assert!(matches!(check(&blank), Err(DomainError::Validation { .. })));
        let level = Sample {
            display_name: "a".into(),
            level: 6,
        };
        assert_refused(&level, "level", "must be between 1 and 5");
    }

    fn assert_refused(sample: &Sample, expected_field: &str, expected_message: &str) {
        match check(sample) {
            Err(DomainError::Validation { field, message }) => {
                assert_eq!(field, expected_field);
                assert_eq!(message, expected_message);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn origins_are_bare() {
        assert_rule(
            origin,
            &["https://crm.example.com", "http://localhost:5000"],
            &[
                "https://crm.example.com/",
                "https://crm.example.com/path",
                "javascript:alert(1)",
                "*",
            ],
        );
    }

    #[test]
    fn nul_characters_leave_every_string_and_nothing_else() {
        let body = br#"{"text":"a\u0000b","list":["\u0000"],"k\u0000":{"n":1},"path":"C:\\u0000"}"#;
        let cleaned: serde_json::Value = serde_json::from_slice(&json_without_nul(body)).unwrap();
        assert_eq!(
            cleaned,
            serde_json::json!({"text": "ab", "list": [""], "k": {"n": 1}, "path": "C:\\u0000"})
        );
        let plain = br#"{"text":"hello"}"#;
        assert!(matches!(
            json_without_nul(plain),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
