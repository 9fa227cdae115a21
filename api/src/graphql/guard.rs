//! What every GraphQL request is checked for before it runs, whatever it asks: how many root
//! fields it carries (a thousand aliased mutations in one request would run a thousand
//! mutations), and text with NUL characters (PostgreSQL stores none; no client means one).

use std::collections::HashSet;
use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Name, Pos, ServerError, ServerResult, Value, Variables};

/// The most root fields one mutation may carry.
pub const MAX_ROOT_MUTATIONS: usize = 10;
/// The most root fields one query or subscription may carry.
pub const MAX_ROOT_FIELDS: usize = 30;

pub struct InputGuard;

impl ExtensionFactory for InputGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(InputGuard)
    }
}

#[async_trait::async_trait]
impl Extension for InputGuard {
    async fn parse_query(
        &self, ctx: &ExtensionContext<'_>, query: &str, variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        for (name, value) in variables.iter() {
            if holds_nul(value) {
                return Err(nul(name.as_str(), None));
            }
        }
        let document = next.run(ctx, query, variables).await?;
        check(&document)?;
        Ok(document)
    }
}

fn check(document: &ExecutableDocument) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        let (limit, what) = match operation.node.ty {
            OperationType::Mutation => (MAX_ROOT_MUTATIONS, "mutations"),
            OperationType::Query | OperationType::Subscription => (MAX_ROOT_FIELDS, "root fields"),
        };
        let mut seen = HashSet::new();
        let count = root_fields(document, &operation.node.selection_set.node, &mut seen);
        if count > limit {
            return Err(coded(
                format!("At most {limit} {what} in one request, not {count}"),
                Some(operation.pos),
                "LIMIT_EXCEEDED",
                None,
            ));
        }
        for variable in &operation.node.variable_definitions {
            if let Some(default) = &variable.node.default_value
                && holds_nul(&default.node)
            {
                return Err(nul(variable.node.name.node.as_str(), Some(default.pos)));
            }
        }
        arguments_without_nul(&operation.node.selection_set.node)?;
    }
    // Each fragment once, where it is defined, rather than at every spread.
    for fragment in document.fragments.values() {
        arguments_without_nul(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

/// The fields an operation runs at its root, through its fragments (each spread once: cycles
/// are for validation to refuse, not for this count to follow).
fn root_fields<'a>(
    document: &'a ExecutableDocument, selections: &'a SelectionSet, seen: &mut HashSet<&'a Name>,
) -> usize {
    selections
        .items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(inline) => {
                root_fields(document, &inline.node.selection_set.node, seen)
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                match document.fragments.get(name) {
                    Some(fragment) if seen.insert(name) => {
                        root_fields(document, &fragment.node.selection_set.node, seen)
                    }
                    _ => 0,
                }
            }
        })
        .sum()
}

/// Refuses a NUL in the literal arguments of `selections` (fragment spreads are checked where
/// their fragments are defined).
fn arguments_without_nul(selections: &SelectionSet) -> ServerResult<()> {
    for selection in &selections.items {
        match &selection.node {
            Selection::Field(field) => {
                for (name, value) in &field.node.arguments {
                    // Variables are checked on their own: here they count as null.
                    let literal = value
                        .node
                        .clone()
                        .into_const_with(|_| Ok::<_, std::convert::Infallible>(Value::Null));
                    if literal.is_ok_and(|literal| holds_nul(&literal)) {
                        return Err(nul(name.node.as_str(), Some(value.pos)));
                    }
                }
                arguments_without_nul(&field.node.selection_set.node)?;
            }
            Selection::InlineFragment(inline) => {
                arguments_without_nul(&inline.node.selection_set.node)?;
            }
            Selection::FragmentSpread(_) => {}
        }
    }
    Ok(())
}

fn holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::List(items) => items.iter().any(holds_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || holds_nul(value)),
        _ => false,
    }
}

fn nul(field: &str, pos: Option<Pos>) -> ServerError {
    coded(
        format!("{field} must not contain NUL characters"),
        pos,
        "VALIDATION",
        Some(field),
    )
}

fn coded(message: String, pos: Option<Pos>, code: &str, field: Option<&str>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code);
    if let Some(field) = field {
        extensions.set("field", field);
    }
    error.extensions = Some(extensions);
    error
}
