//! A project's tasks: listed and read by any member, created, changed and deleted by the
//! workspace's Owner and Admins; only a DONE task can be deleted (Clockify's rule). Every change
//! writes its webhook event (the task's API JSON) in the same transaction; webhooks with the
//! trigger source TASK_ID receive only their tasks' events.

use crate::db::listing::Listing;
use crate::db::memberships::Membership;
use crate::db::projects::Project;
use crate::db::tasks::{NewTask, Task, TaskChange};
use crate::db::DbConnection;
use crate::domain::{is_public_id, new_public_id, EntityName, EventType, IsoDuration, TaskStatus};
use crate::dto::TaskDto;

use super::workspaces::WorkspaceAccess;
use super::{ensure_name_free, events, projects, unique_name, ServiceError, ServiceResult};
use crate::clock::now_ms;

/// A task's fields as a request gives them: `None` keeps what is stored (defaults on create).
#[derive(Debug, Clone, Default)]
pub struct TaskInput {
    pub name: Option<EntityName>,
    pub status: Option<TaskStatus>,
    pub estimate: Option<IsoDuration>,
    pub billable: Option<bool>,
    pub assignee_ids: Option<Vec<String>>,
}

fn project(conn: &mut DbConnection, access: &WorkspaceAccess, public_id: &str) -> ServiceResult<Project> {
    Ok(projects::find(conn, access, public_id)?.0)
}

pub fn list(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    project_id: &str,
    listing: &Listing,
) -> ServiceResult<(Vec<Task>, bool)> {
    let project = project(conn, access, project_id)?;
    Ok(listing.page_of(Task::list(conn, project.id, listing)?))
}

pub fn find(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    project_id: &str,
    public_id: &str,
) -> ServiceResult<Task> {
    let project = project(conn, access, project_id)?;
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    Task::find_in(conn, project.id, public_id)?.ok_or(ServiceError::NotFound)
}

pub fn create(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    project_id: &str,
    input: &TaskInput,
) -> ServiceResult<Task> {
    access.require_admin()?;
    let project = project(conn, access, project_id)?;
    let name = input.name.as_ref().ok_or_else(|| ServiceError::invalid("name", "must not be null"))?;
    ensure_free(conn, &project, name, None)?;
    let assignees = assignees(conn, access, input.assignee_ids.clone().unwrap_or_default())?;
    let now = now_ms();
    let task = Task::insert(
        conn,
        &NewTask {
            public_id: &new_public_id(),
            project_id: project.id,
            name: name.as_str(),
            status: input.status.unwrap_or(TaskStatus::Active).as_str(),
            estimate: input.estimate.as_ref().map(IsoDuration::as_str),
            billable: input.billable.unwrap_or(project.billable),
            assignee_ids: &assignees,
            created_at: now,
            updated_at: now,
        },
    )
    .map_err(|e| unique_name(e, "Task"))?;
    emit(conn, access, EventType::NewTask, &task, &project)?;
    Ok(task)
}

pub fn update(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    project_id: &str,
    public_id: &str,
    input: &TaskInput,
) -> ServiceResult<Task> {
    access.require_admin()?;
    let project = project(conn, access, project_id)?;
    let current = find(conn, access, project_id, public_id)?;
    if let Some(name) = &input.name {
        ensure_free(conn, &project, name, Some(current.id))?;
    }
    let assignees = match &input.assignee_ids {
        Some(ids) => assignees(conn, access, ids.clone())?,
        None => current.assignee_ids.clone(),
    };
    let change = TaskChange {
        name: input.name.as_ref().map_or(current.name.as_str(), EntityName::as_str),
        status: input.status.map(TaskStatus::as_str).unwrap_or(&current.status),
        estimate: input.estimate.as_ref().map(IsoDuration::as_str).or(current.estimate.as_deref()),
        billable: input.billable.unwrap_or(current.billable),
        assignee_ids: &assignees,
        updated_at: now_ms(),
    };
    let task = Task::change(conn, current.id, &change).map_err(|e| unique_name(e, "Task"))?;
    emit(conn, access, EventType::TaskUpdated, &task, &project)?;
    Ok(task)
}

/// Deletes a DONE task.
pub fn delete(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    project_id: &str,
    public_id: &str,
) -> ServiceResult<Task> {
    access.require_admin()?;
    let project = project(conn, access, project_id)?;
    let task = find(conn, access, project_id, public_id)?;
    if task.status != TaskStatus::Done.as_str() {
        return Err(ServiceError::invalid("status", "Cannot delete an active task: set its status to DONE first."));
    }
    Task::delete(conn, task.id)?;
    emit(conn, access, EventType::TaskDeleted, &task, &project)?;
    Ok(task)
}

/// Assignees must be members of the workspace; stored as a JSON array.
fn assignees(conn: &mut DbConnection, access: &WorkspaceAccess, ids: Vec<String>) -> ServiceResult<String> {
    let members = Membership::members_of(conn, access.workspace.id)?;
    if let Some(stranger) = ids.iter().find(|id| !members.iter().any(|(_, u)| &u.public_id == *id)) {
        return Err(ServiceError::invalid("assigneeIds", format!("{stranger} is not a member of this workspace.")));
    }
    Ok(serde_json::to_string(&ids).map_err(anyhow::Error::from)?)
}

fn ensure_free(
    conn: &mut DbConnection,
    project: &Project,
    name: &EntityName,
    except: Option<i64>,
) -> ServiceResult<()> {
    let holder = Task::named(conn, project.id, name.as_str())?.map(|t| t.id);
    ensure_name_free(holder, except, "Task")
}

fn emit(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    event: EventType,
    task: &Task,
    project: &Project,
) -> ServiceResult<()> {
    let dto = TaskDto::new(task, &project.public_id, &access.workspace.public_id);
    events::emit_dto(conn, access.workspace.id, event, &dto)?;
    Ok(())
}
