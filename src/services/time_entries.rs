//! Time entries: each member tracks their own time (Owners and Admins may read and change
//! everyone's). An entry without an end is a running timer; starting one stops the member's
//! running timer first. Every change writes its webhook event (the entry's API JSON, with its
//! project, task, user and tags) in the same transaction.

use crate::db::clients::Client;
use crate::db::memberships::Membership;
use crate::db::projects::{Project, WithClient};
use crate::db::tags::Tag;
use crate::db::tasks::Task;
use crate::db::time_entries::{EntryQuery, NewTimeEntry, TimeEntry, TimeEntryChange};
use crate::db::users::User;
use crate::db::DbConnection;
use crate::domain::{is_public_id, new_public_id, EventType};
use crate::dto::TimeEntryDto;

use super::workspaces::WorkspaceAccess;
use super::{events, ServiceError, ServiceResult};
use crate::clock::now_ms;

/// An entry's fields as a request gives them (instants as Unix ms): `None` keeps what is stored
/// (defaults on create); `project`/`task` are `Some(None)` to clear them.
#[derive(Debug, Clone, Default)]
pub struct EntryInput {
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub description: Option<String>,
    pub project: Option<Option<String>>,
    pub task: Option<Option<String>>,
    pub tags: Option<Vec<String>>,
    pub billable: Option<bool>,
}

/// Which entries a list shows.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub started_from: Option<i64>,
    pub started_until: Option<i64>,
    pub running_only: bool,
    pub page: i64,
    pub page_size: i64,
}

/// The references of an entry, resolved in the workspace.
struct Refs {
    project: Option<WithClient>,
    task: Option<Task>,
    tags: Vec<Tag>,
}

/// Creates an entry for the caller: with an end, a finished entry; without, a running timer
/// (after stopping the caller's running one, at the new one's start).
pub fn create(conn: &mut DbConnection, access: &WorkspaceAccess, input: &EntryInput) -> ServiceResult<TimeEntryDto> {
    let now = now_ms();
    let start = input.start.unwrap_or(now);
    check_order(start, input.end)?;
    let refs =
        resolve(conn, access, input.project.clone().flatten(), input.task.clone().flatten(), input.tags.clone())?;
    if input.end.is_none() {
        if let Some(running) = TimeEntry::running(conn, access.workspace.id, access.user_id)? {
            let stopped = TimeEntry::stop(conn, running.id, start.max(running.start_at), now)?;
            let dto = hydrate(conn, access, &stopped)?;
            emit(conn, access, EventType::TimerStopped, &dto)?;
        }
    }
    let billable = input.billable.unwrap_or_else(|| refs.project.as_ref().is_some_and(|(p, _)| p.billable));
    let entry = TimeEntry::insert(
        conn,
        &NewTimeEntry {
            public_id: &new_public_id(),
            workspace_id: access.workspace.id,
            user_id: access.user_id,
            project_id: refs.project.as_ref().map(|(p, _)| p.id),
            task_id: refs.task.as_ref().map(|t| t.id),
            description: input.description.as_deref().unwrap_or(""),
            tag_ids: &tag_ids(&refs.tags),
            billable,
            start_at: start,
            end_at: input.end,
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| match e {
        // Another timer of this user started in a request running at this very moment.
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
            ServiceError::invalid("end", "another timer of yours started at the same moment; retry")
        }
        other => other.into(),
    })?;
    let dto = dto(conn, access, &entry, refs)?;
    let event = if input.end.is_some() { EventType::NewTimeEntry } else { EventType::NewTimerStarted };
    emit(conn, access, event, &dto)?;
    Ok(dto)
}

pub fn get(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<TimeEntryDto> {
    let entry = visible(conn, access, public_id)?;
    hydrate(conn, access, &entry)
}

/// Changes an entry; fields left out keep their values.
pub fn update(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
    input: &EntryInput,
) -> ServiceResult<TimeEntryDto> {
    let current = visible(conn, access, public_id)?;
    let start = input.start.unwrap_or(current.start_at);
    let end = input.end.or(current.end_at);
    check_order(start, end)?;
    let project = match &input.project {
        Some(id) => id.clone(),
        None => project_public_id(conn, &current)?,
    };
    let task = match &input.task {
        Some(id) => id.clone(),
        None => task_public_id(conn, &current)?,
    };
    let tags = input.tags.clone().unwrap_or_else(|| serde_json::from_str(&current.tag_ids).unwrap_or_default());
    let refs = resolve(conn, access, project, task, Some(tags))?;
    let entry = TimeEntry::change(
        conn,
        current.id,
        &TimeEntryChange {
            project_id: refs.project.as_ref().map(|(p, _)| p.id),
            task_id: refs.task.as_ref().map(|t| t.id),
            description: input.description.as_deref().unwrap_or(&current.description),
            tag_ids: &tag_ids(&refs.tags),
            billable: input.billable.unwrap_or(current.billable),
            start_at: start,
            end_at: end,
            updated_at: now_ms(),
        },
    )?;
    let dto = dto(conn, access, &entry, refs)?;
    emit(conn, access, EventType::TimeEntryUpdated, &dto)?;
    Ok(dto)
}

pub fn delete(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<TimeEntryDto> {
    let entry = visible(conn, access, public_id)?;
    let dto = hydrate(conn, access, &entry)?;
    TimeEntry::delete(conn, entry.id)?;
    emit(conn, access, EventType::TimeEntryDeleted, &dto)?;
    Ok(dto)
}

/// Stops the member's running timer at `end`. No running timer: not found (as Clockify).
pub fn stop(conn: &mut DbConnection, access: &WorkspaceAccess, user: &str, end: i64) -> ServiceResult<TimeEntryDto> {
    let user = member(conn, access, user)?;
    let running = TimeEntry::running(conn, access.workspace.id, user.id)?.ok_or(ServiceError::NotFound)?;
    check_order(running.start_at, Some(end))?;
    let stopped = TimeEntry::stop(conn, running.id, end, now_ms())?;
    let dto = hydrate(conn, access, &stopped)?;
    emit(conn, access, EventType::TimerStopped, &dto)?;
    Ok(dto)
}

/// A member's entries, newest first; answers the page and whether it is the last.
pub fn of_user(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    user: &str,
    filter: &EntryFilter,
) -> ServiceResult<(Vec<TimeEntryDto>, bool)> {
    let user = member(conn, access, user)?;
    page(conn, access, Some(user.id), filter)
}

/// The running timers: everyone's for Owners and Admins, the caller's own for others.
pub fn in_progress(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    filter: &EntryFilter,
) -> ServiceResult<(Vec<TimeEntryDto>, bool)> {
    let user = if access.role.administers() { None } else { Some(access.user_id) };
    page(conn, access, user, &EntryFilter { running_only: true, ..filter.clone() })
}

fn page(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    user_id: Option<i64>,
    filter: &EntryFilter,
) -> ServiceResult<(Vec<TimeEntryDto>, bool)> {
    let query = EntryQuery {
        user_id,
        started_from: filter.started_from,
        started_until: filter.started_until,
        running_only: filter.running_only,
        offset: (filter.page - 1) * filter.page_size,
        limit: filter.page_size + 1,
    };
    let mut rows = TimeEntry::page(conn, access.workspace.id, &query)?;
    let last = rows.len() as i64 <= filter.page_size;
    rows.truncate(usize::try_from(filter.page_size).unwrap_or(usize::MAX));
    let dtos = rows.iter().map(|entry| hydrate(conn, access, entry)).collect::<ServiceResult<Vec<_>>>()?;
    Ok((dtos, last))
}

/// An entry the caller may see and change: their own, or any for Owners and Admins.
fn visible(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<TimeEntry> {
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    let entry = TimeEntry::find_in(conn, access.workspace.id, public_id)?.ok_or(ServiceError::NotFound)?;
    if entry.user_id != access.user_id && !access.role.administers() {
        return Err(ServiceError::NotFound);
    }
    Ok(entry)
}

/// The member `user` (a public id) whose entries the caller may see: themselves, or anyone
/// for Owners and Admins. Someone else: forbidden; not a member: not found.
fn member(conn: &mut DbConnection, access: &WorkspaceAccess, user: &str) -> ServiceResult<User> {
    let members = Membership::members_of(conn, access.workspace.id)?;
    let (_, found) = members.into_iter().find(|(_, u)| u.public_id == user).ok_or(ServiceError::NotFound)?;
    if found.id != access.user_id && !access.role.administers() {
        return Err(ServiceError::forbidden("Only the workspace's Owner and Admins can see others' time."));
    }
    Ok(found)
}

fn check_order(start: i64, end: Option<i64>) -> ServiceResult<()> {
    match end {
        Some(end) if end < start => Err(ServiceError::invalid("end", "must not be before start")),
        _ => Ok(()),
    }
}

/// Resolves the project, task and tags a request names; each must be this workspace's (and
/// the task the project's).
fn resolve(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    project: Option<String>,
    task: Option<String>,
    tags: Option<Vec<String>>,
) -> ServiceResult<Refs> {
    let ws = access.workspace.id;
    let project = match project.filter(|id| !id.is_empty()) {
        Some(id) => Some(
            Project::find_in(conn, ws, &id)?
                .ok_or_else(|| ServiceError::invalid("projectId", "Project doesn't belong to Workspace"))?,
        ),
        None => None,
    };
    let task = match task.filter(|id| !id.is_empty()) {
        Some(id) => {
            let (p, _) =
                project.as_ref().ok_or_else(|| ServiceError::invalid("taskId", "a task needs its projectId"))?;
            Some(
                Task::find_in(conn, p.id, &id)?
                    .ok_or_else(|| ServiceError::invalid("taskId", "Task doesn't belong to the project"))?,
            )
        }
        None => None,
    };
    let mut found = Vec::new();
    for id in tags.unwrap_or_default() {
        let tag = Tag::find_in(conn, ws, &id)?
            .ok_or_else(|| ServiceError::invalid("tagIds", format!("{id} is not a tag of this workspace")))?;
        if !found.iter().any(|t: &Tag| t.id == tag.id) {
            found.push(tag);
        }
    }
    Ok(Refs { project, task, tags: found })
}

fn tag_ids(tags: &[Tag]) -> String {
    serde_json::to_string(&tags.iter().map(|t| t.public_id.as_str()).collect::<Vec<_>>())
        .unwrap_or_else(|_| "[]".into())
}

fn project_public_id(conn: &mut DbConnection, entry: &TimeEntry) -> ServiceResult<Option<String>> {
    use crate::db::schema::projects;
    use diesel::prelude::*;
    let Some(id) = entry.project_id else { return Ok(None) };
    Ok(projects::table.find(id).select(projects::public_id).first(conn).optional()?)
}

fn task_public_id(conn: &mut DbConnection, entry: &TimeEntry) -> ServiceResult<Option<String>> {
    use crate::db::schema::tasks;
    use diesel::prelude::*;
    let Some(id) = entry.task_id else { return Ok(None) };
    Ok(tasks::table.find(id).select(tasks::public_id).first(conn).optional()?)
}

/// The entry's API JSON, its references read from storage (one deleted since is left out).
fn hydrate(conn: &mut DbConnection, access: &WorkspaceAccess, entry: &TimeEntry) -> ServiceResult<TimeEntryDto> {
    let ws = access.workspace.id;
    let project = match entry.project_id {
        Some(id) => Project::with_client(conn, ws, id)?,
        None => None,
    };
    let task = match entry.task_id {
        Some(id) => Task::find(conn, id)?,
        None => None,
    };
    let mut tags = Vec::new();
    for id in serde_json::from_str::<Vec<String>>(&entry.tag_ids).unwrap_or_default() {
        tags.extend(Tag::find_in(conn, ws, &id)?);
    }
    dto(conn, access, entry, Refs { project, task, tags })
}

fn dto(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    entry: &TimeEntry,
    refs: Refs,
) -> ServiceResult<TimeEntryDto> {
    let user = User::find(conn, entry.user_id)?.ok_or(ServiceError::NotFound)?;
    let project = refs.project.as_ref().map(|(p, c): &(Project, Option<Client>)| (p, c.as_ref()));
    Ok(TimeEntryDto::new(entry, &access.workspace.public_id, &user, project, refs.task.as_ref(), &refs.tags))
}

fn emit(conn: &mut DbConnection, access: &WorkspaceAccess, event: EventType, dto: &TimeEntryDto) -> ServiceResult<()> {
    events::emit_dto(conn, access.workspace.id, event, dto)?;
    Ok(())
}
