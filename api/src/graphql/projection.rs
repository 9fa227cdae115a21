//! GraphQL objects over database rows. An object shows the columns it lists, copied from the row
//! and resolved as they are; whatever needs more (a relation to load, a value to compute, a
//! secret reduced to "is it set") is a resolver of the object's `#[ComplexObject]`, which reads
//! the row it keeps. Only what is listed is shown: a column added to a table later, a secret say,
//! stays out of the API until someone lists it.

/// Defines an object over `$model`: its listed fields (each with its doc, which the schema
/// shows), the row kept as `row`, and the conversion from the row. `complex` says the object has
/// a `#[ComplexObject]` impl with more fields.
macro_rules! projection {
    (
        $(#[$doc:meta])*
        $name:ident($model:ty) $(+ $complex:ident)? {
            $( $(#[$field_doc:meta])* $field:ident: $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        $(#[graphql($complex)])?
        pub struct $name {
            $( $(#[$field_doc])* pub $field: $ty, )*
            #[graphql(skip)]
            pub row: $model,
        }

        impl From<$model> for $name {
            fn from(row: $model) -> Self {
                Self {
                    $( $field: Clone::clone(&row.$field), )*
                    row,
                }
            }
        }
    };
}

pub(crate) use projection;
