//! A workspace's projects: listed and read by any member, created, changed and deleted by its
//! Owner and Admins; only an archived project can be deleted (Clockify's rule). Every change
//! writes its webhook event (the project's API JSON) in the same transaction; webhooks with the
//! trigger source PROJECT_ID receive only their projects' events.

use crate::db::clients::Client;
use crate::db::listing::Listing;
use crate::db::projects::{NewProject, Project, ProjectChange, WithClient};
use crate::db::DbConnection;
use crate::domain::{is_public_id, new_public_id, Color, EntityName, EventType};
use crate::dto::ProjectDto;

use super::workspaces::WorkspaceAccess;
use super::{ensure_name_free, events, unique_name, ServiceError, ServiceResult};
use crate::clock::now_ms;

/// A new project's colour when none is given (Clockify's light blue).
const DEFAULT_COLOR: &str = "#03A9F4";

/// A project's fields as a request gives them: `None` keeps what is stored (defaults on create).
/// `client` is `Some(None)` to clear the client.
#[derive(Debug, Clone, Default)]
pub struct ProjectInput {
    pub name: Option<EntityName>,
    pub client: Option<Option<String>>,
    pub color: Option<Color>,
    pub billable: Option<bool>,
    pub is_public: Option<bool>,
    pub archived: Option<bool>,
    pub note: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    listing: &Listing,
) -> ServiceResult<(Vec<WithClient>, bool)> {
    Ok(listing.page_of(Project::list(conn, access.workspace.id, listing)?))
}

pub fn find(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<WithClient> {
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    Project::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)
}

pub fn create(conn: &mut DbConnection, access: &WorkspaceAccess, input: &ProjectInput) -> ServiceResult<WithClient> {
    access.require_admin()?;
    let name = input.name.as_ref().ok_or_else(|| ServiceError::invalid("name", "must not be null"))?;
    ensure_free(conn, access, name, None)?;
    let client = client_of(conn, access, input.client.clone().flatten())?;
    let now = now_ms();
    let project = Project::insert(
        conn,
        &NewProject {
            public_id: &new_public_id(),
            workspace_id: access.workspace.id,
            client_id: client.as_ref().map(|c| c.id),
            name: name.as_str(),
            note: input.note.as_deref().unwrap_or(""),
            color: input.color.as_ref().map_or(DEFAULT_COLOR, Color::as_str),
            billable: input.billable.unwrap_or(true),
            is_public: input.is_public.unwrap_or(false),
            archived: input.archived.unwrap_or(false),
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| unique_name(e, "Project"))?;
    let created = (project, client);
    emit(conn, access, EventType::NewProject, &created)?;
    Ok(created)
}

pub fn update(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    input: &ProjectInput,
) -> ServiceResult<WithClient> {
    access.require_admin()?;
    let (current, current_client) = find(conn, access, public_id)?;
    if let Some(name) = &input.name {
        ensure_free(conn, access, name, Some(current.id))?;
    }
    let client = match &input.client {
        Some(id) => client_of(conn, access, id.clone())?,
        None => current_client,
    };
    let change = ProjectChange {
        client_id: client.as_ref().map(|c| c.id),
        name: input.name.as_ref().map_or(current.name.as_str(), EntityName::as_str),
        note: input.note.as_deref().unwrap_or(&current.note),
        color: input.color.as_ref().map_or(current.color.as_str(), Color::as_str),
        billable: input.billable.unwrap_or(current.billable),
        is_public: input.is_public.unwrap_or(current.is_public),
        archived: input.archived.unwrap_or(current.archived),
        updated_at: now_ms(),
    };
    Project::change(conn, current.id, &change).map_err(|e| unique_name(e, "Project"))?;
    let updated = find(conn, access, public_id)?;
    emit(conn, access, EventType::ProjectUpdated, &updated)?;
    Ok(updated)
}

/// Deletes an archived project with its tasks.
pub fn delete(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<WithClient> {
    access.require_admin()?;
    let project = find(conn, access, public_id)?;
    if !project.0.archived {
        return Err(ServiceError::invalid("archived", "Cannot delete an active project: archive it first."));
    }
    Project::delete(conn, project.0.id)?;
    emit(conn, access, EventType::ProjectDeleted, &project)?;
    Ok(project)
}

/// The client a request names, which must be this workspace's.
fn client_of(conn: &mut DbConnection, access: &WorkspaceAccess, id: Option<String>) -> ServiceResult<Option<Client>> {
    let Some(id) = id.filter(|id| !id.is_empty()) else { return Ok(None) };
    match super::clients::find(conn, access, &id) {
        Ok(client) => Ok(Some(client)),
        Err(ServiceError::NotFound) => {
            Err(ServiceError::invalid("clientId", format!("{id} is not a client of this workspace.")))
        }
        Err(other) => Err(other),
    }
}

fn ensure_free(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    name: &EntityName,
    except: Option<i64>,
) -> ServiceResult<()> {
    let holder = Project::named(conn, access.workspace.id, name.as_str())?.map(|p| p.id);
    ensure_name_free(holder, except, "Project")
}

fn emit(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    event: EventType,
    project: &WithClient,
) -> ServiceResult<()> {
    let dto = ProjectDto::new(&project.0, project.1.as_ref(), &access.workspace.public_id);
    events::emit_dto(conn, access.workspace.id, event, &dto)?;
    Ok(())
}
