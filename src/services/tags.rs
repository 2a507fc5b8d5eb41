//! A workspace's tags: listed and read by any member, created, changed and deleted by its
//! Owner and Admins. Every change writes its webhook event (the tag's API JSON) in the same
//! transaction; webhooks with the trigger source TAG_ID receive only their tags' events.

use crate::db::listing::Listing;
use crate::db::tags::{NewTag, Tag, TagChange};
use crate::db::DbConnection;
use crate::domain::{is_public_id, new_public_id, EntityName, EventType};
use crate::dto::TagDto;

use super::workspaces::WorkspaceAccess;
use super::{ensure_name_free, events, unique_name, ServiceError, ServiceResult};
use crate::clock::now_ms;

/// A tag's fields as a request gives them: `None` keeps what is stored.
#[derive(Debug, Clone, Default)]
pub struct TagInput {
    pub name: Option<EntityName>,
    pub archived: Option<bool>,
}

pub fn list(conn: &mut DbConnection, access: &WorkspaceAccess, listing: &Listing) -> ServiceResult<(Vec<Tag>, bool)> {
    Ok(listing.page_of(Tag::list(conn, access.workspace.id, listing)?))
}

pub fn find(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Tag> {
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    Tag::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)
}

pub fn create(conn: &mut DbConnection, access: &WorkspaceAccess, input: &TagInput) -> ServiceResult<Tag> {
    access.require_admin()?;
    let name = input.name.as_ref().ok_or_else(|| ServiceError::invalid("name", "must not be null"))?;
    ensure_free(conn, access, name, None)?;
    let now = now_ms();
    let tag = Tag::insert(
        conn,
        &NewTag {
            public_id: &new_public_id(),
            workspace_id: access.workspace.id,
            name: name.as_str(),
            archived: input.archived.unwrap_or(false),
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| unique_name(e, "Tag"))?;
    emit(conn, access, EventType::NewTag, &tag)?;
    Ok(tag)
}

pub fn update(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    input: &TagInput,
) -> ServiceResult<Tag> {
    access.require_admin()?;
    let current = find(conn, access, public_id)?;
    if let Some(name) = &input.name {
        ensure_free(conn, access, name, Some(current.id))?;
    }
    let change = TagChange {
        name: input.name.as_ref().map_or(current.name.as_str(), EntityName::as_str),
        archived: input.archived.unwrap_or(current.archived),
        updated_at: now_ms(),
    };
    let tag = Tag::change(conn, current.id, &change).map_err(|e| unique_name(e, "Tag"))?;
    emit(conn, access, EventType::TagUpdated, &tag)?;
    Ok(tag)
}

pub fn delete(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Tag> {
    access.require_admin()?;
    let tag = find(conn, access, public_id)?;
    Tag::delete(conn, tag.id)?;
    emit(conn, access, EventType::TagDeleted, &tag)?;
    Ok(tag)
}

fn ensure_free(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    name: &EntityName,
    except: Option<i64>,
) -> ServiceResult<()> {
    let holder = Tag::named(conn, access.workspace.id, name.as_str())?.map(|t| t.id);
    ensure_name_free(holder, except, "Tag")
}

fn emit(conn: &mut DbConnection, access: &WorkspaceAccess, event: EventType, tag: &Tag) -> ServiceResult<()> {
    events::emit_dto(conn, access.workspace.id, event, &TagDto::new(tag, &access.workspace.public_id))?;
    Ok(())
}
