//! Workspaces: creating one, the caller's access to one, switching, and its settings.

use crate::db::memberships::{Membership, NewMembership};
use crate::db::users::User;
use crate::db::workspaces::{NewWorkspace, Workspace};
use crate::db::DbConnection;
use crate::domain::{is_public_id, new_public_id, Name, Plan, Role};

use super::{ServiceError, ServiceResult};
use crate::clock::now_ms;

/// What the caller may do in one workspace: proof that they belong to it, with their role.
/// Every workspace-scoped service takes one, so no query runs outside the caller's workspaces.
#[derive(Debug, Clone)]
pub struct WorkspaceAccess {
    pub user_id: i64,
    pub workspace: Workspace,
    pub role: Role,
    /// The add-on acting with its installation token, if it is one and not a person. It
    /// reaches the time-tracking API and its own add-on's webhooks, nothing else.
    pub addon: Option<i64>,
}

impl WorkspaceAccess {
    /// A person only (an Owner, Admin or member), never an add-on's token: installing add-ons,
    /// managing members, keys and any webhook.
    pub fn require_person(&self) -> ServiceResult<()> {
        match self.addon {
            None => Ok(()),
            Some(_) => Err(ServiceError::forbidden(
                "An add-on token reaches only the time-tracking API and its own add-on's webhooks.",
            )),
        }
    }

    /// Owners and Admins only; other members are told they lack the role.
    pub fn require_admin(&self) -> ServiceResult<()> {
        if self.role.administers() {
            Ok(())
        } else {
            Err(ServiceError::forbidden("Only the workspace's Owner and Admins can do this."))
        }
    }

    /// The workspace's plan (FREE if the stored one is unknown to this build).
    pub fn plan(&self) -> Plan {
        Plan::parse(&self.workspace.plan).unwrap_or(Plan::Free)
    }

    pub fn require_owner(&self) -> ServiceResult<()> {
        if self.role == Role::Owner {
            Ok(())
        } else {
            Err(ServiceError::forbidden("Only the workspace's Owner can do this."))
        }
    }
}

/// The caller's access to the workspace with this public id. Answers `NotFound` alike for a
/// malformed id, a missing workspace and a workspace the caller does not belong to (or was
/// deactivated in).
pub fn access(conn: &mut DbConnection, user_id: i64, public_id: &str) -> ServiceResult<WorkspaceAccess> {
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    // A deactivated member keeps their place in the list but loses access, as one who left.
    let (membership, workspace) = Membership::of_user_in(conn, public_id, user_id)?
        .filter(|(m, _)| m.is_active())
        .ok_or(ServiceError::NotFound)?;
    let role = Role::parse(&membership.role)
        .map_err(|_| anyhow::anyhow!("membership {} has unknown role {:?}", membership.id, membership.role))?;
    Ok(WorkspaceAccess { user_id, workspace, role, addon: None })
}

/// The access of the add-on `addon_id` installed in the workspace `workspace_id`: an Admin's
/// reach into the time-tracking API, acting as `acts_as`, in that workspace only (any other is
/// not found); see [`WorkspaceAccess::require_person`] for what it may not do.
pub fn addon_access(
    conn: &mut DbConnection,
    (addon_id, workspace_id): (i64, i64),
    acts_as: i64,
    public_id: &str,
) -> ServiceResult<WorkspaceAccess> {
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    let workspace = Workspace::find_by_public_id(conn, public_id)?
        .filter(|w| w.id == workspace_id)
        .ok_or(ServiceError::NotFound)?;
    Ok(WorkspaceAccess { user_id: acts_as, workspace, role: Role::Admin, addon: Some(addon_id) })
}

impl WorkspaceAccess {
    /// The access that one of the user's memberships (as [`list_for`] answers them) gives to
    /// the workspace with this public id; `NotFound` if it is not among them. Lets a page that
    /// already loaded the user's workspaces for its top bar check access without a query.
    pub fn among(user_id: i64, memberships: &[(Workspace, Role)], public_id: &str) -> ServiceResult<Self> {
        memberships
            .iter()
            .find(|(w, _)| w.public_id == public_id)
            .map(|(workspace, role)| Self { user_id, workspace: workspace.clone(), role: *role, addon: None })
            .ok_or(ServiceError::NotFound)
    }
}

/// Creates a workspace owned by the user and makes it their active one.
pub fn create(conn: &mut DbConnection, owner: &User, name: &Name) -> ServiceResult<Workspace> {
    let now = now_ms();
    let workspace = Workspace::insert(
        conn,
        &NewWorkspace { public_id: &new_public_id(), name: name.as_str(), plan: Plan::Free.as_str(), created_at: now },
    )?;
    Membership::insert(
        conn,
        &NewMembership {
            workspace_id: workspace.id,
            user_id: owner.id,
            role: Role::Owner.as_str(),
            status: "ACTIVE",
            created_at: now,
        },
    )?;
    User::set_active_workspace(conn, owner.id, workspace.id)?;
    Ok(workspace)
}

/// Makes the workspace the user's active one (remembered across sessions).
pub fn switch(conn: &mut DbConnection, user_id: i64, public_id: &str) -> ServiceResult<Workspace> {
    let access = access(conn, user_id, public_id)?;
    User::set_active_workspace(conn, user_id, access.workspace.id)?;
    Ok(access.workspace)
}

/// Renames the workspace (Owner or Admin).
pub fn rename(conn: &mut DbConnection, access: &WorkspaceAccess, name: &Name) -> ServiceResult<()> {
    access.require_admin()?;
    Workspace::rename(conn, access.workspace.id, name.as_str())?;
    Ok(())
}

/// Changes the plan (Owner only; there is no billing) and re-evaluates every webhook of the
/// workspace against it, in the same transaction.
pub fn set_plan(conn: &mut DbConnection, access: &WorkspaceAccess, plan: Plan) -> ServiceResult<()> {
    access.require_owner()?;
    Workspace::set_plan(conn, access.workspace.id, plan.as_str())?;
    super::webhooks::apply_plan(conn, access.workspace.id, plan)
}

/// The user's workspaces with their role in each, by name.
pub fn list_for(conn: &mut DbConnection, user_id: i64) -> ServiceResult<Vec<(Workspace, Role)>> {
    Ok(Membership::workspaces_of(conn, user_id)?
        .into_iter()
        .map(|(m, w)| (w, Role::parse(&m.role).unwrap_or(Role::Regular)))
        .collect())
}
