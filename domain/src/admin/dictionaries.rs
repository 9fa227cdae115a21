//! The organization's simple dictionaries (skills, wrap-up reasons, results, custom statuses, bot
//! schemes): create, rename, archive and list, names unique among active entries.

use sea_orm::ActiveValue::Set;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use validator::Validate;

use crate::actor::Actor;
use crate::entity::{bot_scheme, chat_result, custom_status, skill, wrap_up_reason};
use crate::error::{DomainError, Result};
use crate::ids::{BotSchemeId, ChatResultId, CustomStatusId, SkillId, WrapUpReasonId};
use crate::service::Admin;
use crate::store::{Archived, find_own};
use crate::validate::{check_admin, clean, single_line};

/// An organization's entry that is named and archived rather than deleted (its organization and
/// archiving columns are [`Archived`]'s), its name unique among the active entries of its kind.
pub(crate) trait NamedEntry: Archived {
    const NAME: Self::Column;
    const ID: Self::Column;
}

macro_rules! named_entries {
    ($($entity:ident),*) => {$(
        impl NamedEntry for crate::entity::$entity::Entity {
            const NAME: Self::Column = crate::entity::$entity::Column::Name;
            const ID: Self::Column = crate::entity::$entity::Column::Id;
        }
    )*};
}

named_entries!(
    skill,
    wrap_up_reason,
    chat_result,
    custom_status,
    bot_scheme,
    queue,
    quick_reply
);

/// The name an input gives an entry, trimmed; `VALIDATION` on `name` when an active entry of
/// the same kind already has it (`except` is the entry renamed).
pub(crate) async fn unique_name<E>(
    db: &impl ConnectionTrait, actor: &Actor, name: &str, except: Option<uuid::Uuid>,
) -> Result<String>
where
    E: NamedEntry,
    E::Model: Sync,
{
    let name = clean(name);
    let mut query = E::find()
        .filter(E::ORGANIZATION.eq(actor.organization_id))
        .filter(E::NAME.eq(&name))
        .filter(E::ARCHIVED_AT.is_null());
    if let Some(except) = except {
        query = query.filter(E::ID.ne(except));
    }
    if query.count(db).await? > 0 {
        Err(DomainError::validation(
            "name",
            "An active entry with this name already exists",
        ))
    } else {
        Ok(name)
    }
}

/// Create, rename, archive and list for a dictionary whose entries are just a name.
macro_rules! named_dictionary {
    (
        $entity:ident, $Id:ident, $what:literal,
        $Create:ident, $Update:ident,
        $create:ident, $update:ident, $archive:ident, $list:ident
    ) => {
        #[derive(Clone, Debug, Validate)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
        pub struct $Create {
            /// Shown to operators; 1 to 100 characters, unique among active entries.
            #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
            pub name: String,
        }

        #[derive(Clone, Debug, Validate)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::InputObject))]
        pub struct $Update {
            pub id: $Id,
            /// The new name.
            #[validate(length(min = 1, max = 100), custom(function = "single_line"))]
            pub name: String,
        }

        impl Admin<'_> {
            pub async fn $create(self, actor: &Actor, input: $Create) -> Result<$entity::Model> {
                check_admin(actor, &input)?;
                let work = self.domain.begin_now().await?;
                let name =
                    unique_name::<$entity::Entity>(&work.tx, actor, &input.name, None).await?;
                let mut model = <$entity::ActiveModel as Default>::default();
                model.id = Set($Id::new());
                model.organization_id = Set(actor.organization_id);
                model.name = Set(name);
                model.created_at = Set(work.now);
                model.updated_at = Set(work.now);
                model.archived_at = Set(None);
                let created = model.insert(&work.tx).await?;
                self.domain.answer(work, created).await
            }

            pub async fn $update(self, actor: &Actor, input: $Update) -> Result<$entity::Model> {
                check_admin(actor, &input)?;
                let work = self.domain.begin_now().await?;
                let found = find_own::<$entity::Entity>(&work.tx, actor, input.id).await?;
                let name =
                    unique_name::<$entity::Entity>(&work.tx, actor, &input.name, Some(input.id.0))
                        .await?;
                let mut model: $entity::ActiveModel = found.into();
                model.name = Set(name);
                let updated = work.save(model).await?;
                self.domain.answer(work, updated).await
            }

            pub async fn $archive(self, actor: &Actor, id: $Id) -> Result<$entity::Model> {
                actor.require_admin()?;
                let work = self.domain.begin_now().await?;
                let found = find_own::<$entity::Entity>(&work.tx, actor, id).await?;
                let mut model: $entity::ActiveModel = found.into();
                model.archived_at = Set(Some(work.now));
                let archived = work.save(model).await?;
                self.domain.answer(work, archived).await
            }

            /// Active entries by name; archived ones too when asked.
            pub async fn $list(
                self, actor: &Actor, include_archived: bool,
            ) -> Result<Vec<$entity::Model>> {
                let mut query = $entity::Entity::find()
                    .filter($entity::Column::OrganizationId.eq(actor.organization_id));
                if !include_archived {
                    query = query.filter($entity::Column::ArchivedAt.is_null());
                }
                Ok(query
                    .order_by_asc($entity::Column::Name)
                    .all(&self.domain.db)
                    .await?)
            }
        }
    };
}

named_dictionary!(
    skill,
    SkillId,
    "skill",
    CreateSkillInput,
    UpdateSkillInput,
    create_skill,
    update_skill,
    archive_skill,
    skills
);

named_dictionary!(
    wrap_up_reason,
    WrapUpReasonId,
    "wrap-up reason",
    CreateWrapUpReasonInput,
    UpdateWrapUpReasonInput,
    create_wrap_up_reason,
    update_wrap_up_reason,
    archive_wrap_up_reason,
    wrap_up_reasons
);

named_dictionary!(
    chat_result,
    ChatResultId,
    "chat result",
    CreateChatResultInput,
    UpdateChatResultInput,
    create_chat_result,
    update_chat_result,
    archive_chat_result,
    chat_results
);

named_dictionary!(
    custom_status,
    CustomStatusId,
    "custom status",
    CreateCustomStatusInput,
    UpdateCustomStatusInput,
    create_custom_status,
    update_custom_status,
    archive_custom_status,
    custom_statuses
);

named_dictionary!(
    bot_scheme,
    BotSchemeId,
    "bot scheme",
    CreateBotSchemeInput,
    UpdateBotSchemeInput,
    create_bot_scheme,
    update_bot_scheme,
    archive_bot_scheme,
    bot_schemes
);
