//! Reading people and workspaces as the REST API shows them.

use crate::db::memberships::Membership;
use crate::db::users::User;
use crate::db::workspaces::Workspace;
use crate::db::DbConnection;
use crate::dto::{MembershipDto, UserDto, WorkspaceDto};

use super::workspaces::WorkspaceAccess;
use super::{ServiceError, ServiceResult};

/// The caller, with every membership (`GET /user`).
pub fn current_user(conn: &mut DbConnection, user_id: i64) -> ServiceResult<UserDto> {
    let (user, memberships) = User::with_memberships(conn, user_id)?.ok_or(ServiceError::NotFound)?;
    let active = memberships
        .iter()
        .find(|(_, w)| Some(w.id) == user.active_workspace_id)
        .or(memberships.first())
        .map(|(_, w)| w.public_id.clone());
    let dtos = memberships.iter().map(|(m, w)| MembershipDto::new(&user, w, m)).collect();
    Ok(UserDto::new(&user, active, dtos))
}

/// The caller's workspaces, each with its members' memberships (`GET /workspaces`).
pub fn workspaces(conn: &mut DbConnection, user_id: i64) -> ServiceResult<Vec<WorkspaceDto>> {
    let mine: Vec<Workspace> = Membership::workspaces_of(conn, user_id)?.into_iter().map(|(_, w)| w).collect();
    let ids: Vec<i64> = mine.iter().map(|w| w.id).collect();
    let all = Membership::members_of_many(conn, &ids)?;
    Ok(mine
        .iter()
        .map(|w| {
            let memberships =
                all.iter().filter(|(m, _)| m.workspace_id == w.id).map(|(m, u)| MembershipDto::new(u, w, m)).collect();
            WorkspaceDto::new(w, memberships)
        })
        .collect())
}

/// One page of the workspace's members (`GET /workspaces/{id}/users`), and whether it is the last.
pub fn workspace_users(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    page: i64,
    page_size: i64,
) -> ServiceResult<(Vec<UserDto>, bool)> {
    let members = Membership::members_of(conn, access.workspace.id)?;
    let page_size = usize::try_from(page_size).unwrap_or(usize::MAX);
    let start = usize::try_from(page.saturating_sub(1)).unwrap_or(usize::MAX).saturating_mul(page_size);
    let last_page = start.saturating_add(page_size) >= members.len();
    let dtos = members
        .iter()
        .skip(start)
        .take(page_size)
        .map(|(m, u)| {
            let membership = MembershipDto::new(u, &access.workspace, m);
            UserDto::new(u, Some(access.workspace.public_id.clone()), vec![membership])
        })
        .collect();
    Ok((dtos, last_page))
}
