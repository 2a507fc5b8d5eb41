//! A workspace's clients: listed and read by any member, created, changed and deleted by its
//! Owner and Admins. Every change writes its webhook event (the client's API JSON) in the same
//! transaction.

use crate::db::clients::{Client, ClientChange, NewClient};
use crate::db::listing::Listing;
use crate::db::DbConnection;
use crate::domain::{is_public_id, new_public_id, Email, EntityName, EventType};
use crate::dto::ClientDto;

use super::workspaces::WorkspaceAccess;
use super::{ensure_name_free, events, unique_name, ServiceError, ServiceResult};
use crate::clock::now_ms;

/// A client's fields as a request gives them: `None` keeps what is stored (empty on create).
#[derive(Debug, Clone, Default)]
pub struct ClientInput {
    pub name: Option<EntityName>,
    pub email: Option<Email>,
    pub address: Option<String>,
    pub note: Option<String>,
    pub archived: Option<bool>,
}

pub fn list(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    listing: &Listing,
) -> ServiceResult<(Vec<Client>, bool)> {
    Ok(listing.page_of(Client::list(conn, access.workspace.id, listing)?))
}

pub fn find(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Client> {
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    Client::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)
}

pub fn create(conn: &mut DbConnection, access: &WorkspaceAccess, input: &ClientInput) -> ServiceResult<Client> {
    access.require_admin()?;
    let name = input.name.as_ref().ok_or_else(|| ServiceError::invalid("name", "must not be null"))?;
    ensure_free(conn, access, name, None)?;
    let now = now_ms();
    let client = Client::insert(
        conn,
        &NewClient {
            public_id: &new_public_id(),
            workspace_id: access.workspace.id,
            name: name.as_str(),
            email: input.email.as_ref().map(Email::as_str),
            address: input.address.as_deref(),
            note: input.note.as_deref(),
            archived: input.archived.unwrap_or(false),
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| unique_name(e, "Client"))?;
    emit(conn, access, EventType::NewClient, &client)?;
    Ok(client)
}

pub fn update(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    input: &ClientInput,
) -> ServiceResult<Client> {
    access.require_admin()?;
    let current = find(conn, access, public_id)?;
    if let Some(name) = &input.name {
        ensure_free(conn, access, name, Some(current.id))?;
    }
    let client = Client::change(
        conn,
        current.id,
        &ClientChange {
            name: input.name.as_ref().map_or(current.name.as_str(), EntityName::as_str),
            email: input.email.as_ref().map(Email::as_str).or(current.email.as_deref()),
            address: input.address.as_deref().or(current.address.as_deref()),
            note: input.note.as_deref().or(current.note.as_deref()),
            archived: input.archived.unwrap_or(current.archived),
            updated_at: now_ms(),
        },
    )
    .map_err(|e| unique_name(e, "Client"))?;
    emit(conn, access, EventType::ClientUpdated, &client)?;
    Ok(client)
}

pub fn delete(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Client> {
    access.require_admin()?;
    let client = find(conn, access, public_id)?;
    Client::delete(conn, client.id)?;
    emit(conn, access, EventType::ClientDeleted, &client)?;
    Ok(client)
}

fn ensure_free(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    name: &EntityName,
    except: Option<i64>,
) -> ServiceResult<()> {
    let holder = Client::named(conn, access.workspace.id, name.as_str())?.map(|c| c.id);
    ensure_name_free(holder, except, "Client")
}

fn emit(conn: &mut DbConnection, access: &WorkspaceAccess, event: EventType, client: &Client) -> ServiceResult<()> {
    events::emit_dto(conn, access.workspace.id, event, &ClientDto::new(client, &access.workspace.public_id))?;
    Ok(())
}
