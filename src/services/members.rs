//! Members of a workspace: invitations, joining, role changes, removal, ownership transfer.
//! Each change appends its event in the same transaction.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::db::invitations::{Invitation, NewInvitation};
use crate::db::memberships::{Membership, NewMembership, INACTIVE};
use crate::db::users::User;
use crate::db::workspaces::Workspace;
use crate::db::DbConnection;
use crate::domain::{is_public_id, random_token, Email, Role};
use crate::dto::{MembershipDto, UserDto};

use super::accounts::{self, NewAccount};
use super::events;
use super::workspaces::WorkspaceAccess;
use super::{ServiceError, ServiceResult};
use crate::clock::now_ms;
use crate::domain::EventType;

/// How long an invitation link stays valid.
pub const INVITATION_TTL_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// One row of the Members tab.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: User,
    pub role: Role,
    pub status: String,
}

pub fn list(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<(Vec<Member>, Vec<Invitation>)> {
    access.require_admin()?;
    let members = Membership::members_of(conn, access.workspace.id)?
        .into_iter()
        .map(|(m, user)| Member { role: Role::parse(&m.role).unwrap_or(Role::Regular), status: m.status, user })
        .collect();
    let invitations = Invitation::pending_for(conn, access.workspace.id)?;
    Ok((members, invitations))
}

/// Invites an address with a role; answers the link's secret token, which is stored only as
/// its SHA-256 and so can be shown once. Inviting the same address again replaces the link.
/// Invites `email` with `role`; answers the invitation's token (the link is shown once). With
/// `mail_base` (mail is configured; the public URL), the link is also mailed to the invitee,
/// from the outbox like every mail.
pub fn invite(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    email: &Email,
    role: Role,
    mail_base: Option<&str>,
) -> ServiceResult<String> {
    access.require_admin()?;
    if role == Role::Owner {
        return Err(ServiceError::invalid("role", "Ownership moves only by transferring it."));
    }
    if let Some(user) = User::find_by_email(conn, email.as_str())? {
        if Membership::find(conn, access.workspace.id, user.id)?.is_some() {
            return Err(ServiceError::invalid("email", "This person is already a member of the workspace."));
        }
    }
    let token = random_token();
    let now = now_ms();
    Invitation::replace(
        conn,
        &NewInvitation {
            workspace_id: access.workspace.id,
            email: email.as_str(),
            role: role.as_str(),
            token_hash: &token_hash(&token),
            invited_by: access.user_id,
            created_at: now,
            expires_at: now + INVITATION_TTL_MS,
        },
    )?;
    let payload = json!([{
        "email": email.as_str(),
        "workspaceId": access.workspace.public_id,
        "role": role.as_str(),
        "status": "PENDING",
    }]);
    events::emit(conn, access.workspace.id, EventType::UsersInvitedToWorkspace, &payload)?;
    if let Some(base) = mail_base {
        let inviter = User::find(conn, access.user_id)?.map(|u| u.name).unwrap_or_else(|| "An admin".into());
        let days = INVITATION_TTL_MS / 86_400_000;
        let body = format!(
            "{inviter} invites you to join the workspace “{ws}” on keyhook as {role}.\n\n\
             Accept the invitation: {base}/invitations/{token}\n\n\
             The link works once and for {days} days. If you did not expect it, ignore this mail.\n",
            ws = access.workspace.name,
            role = role.label(),
        );
        super::mail::queue(
            conn,
            vec![super::mail::Outgoing {
                key: format!("invite:{}", token_hash(&token)),
                to: email.as_str().to_owned(),
                subject: format!("Join “{}” on keyhook", access.workspace.name),
                body,
            }],
        )?;
    }
    Ok(token)
}

/// Withdraws a pending invitation.
pub fn revoke_invitation(conn: &mut DbConnection, access: &WorkspaceAccess, invitation_id: i64) -> ServiceResult<()> {
    access.require_admin()?;
    if Invitation::delete_in(conn, access.workspace.id, invitation_id)? {
        Ok(())
    } else {
        Err(ServiceError::NotFound)
    }
}

/// A valid, unexpired invitation with its workspace and, if the address has one, the account.
pub struct OpenInvitation {
    pub invitation: Invitation,
    pub workspace: Workspace,
    pub existing_user: Option<User>,
}

pub fn open_invitation(conn: &mut DbConnection, token: &str) -> ServiceResult<OpenInvitation> {
    let invitation = Invitation::find_by_token_hash(conn, &token_hash(token))?
        .filter(|i| i.expires_at > now_ms())
        .ok_or(ServiceError::NotFound)?;
    let workspace = Workspace::find(conn, invitation.workspace_id)?.ok_or(ServiceError::NotFound)?;
    let existing_user = User::find_by_email(conn, &invitation.email)?;
    Ok(OpenInvitation { invitation, workspace, existing_user })
}

/// Who is accepting: a new account (name and hashed password chosen on the invitation page),
/// or the existing account of the invited address, whose password the caller has checked.
pub enum Joiner {
    NewAccount(NewAccount),
    Existing(User),
}

/// Accepts the invitation: creates the account if needed, the membership, and the event.
pub fn accept(conn: &mut DbConnection, token: &str, joiner: Joiner) -> ServiceResult<(User, Workspace)> {
    // Looked up again inside the transaction: the link may have been used or revoked since.
    let open = open_invitation(conn, token)?;
    let user = match joiner {
        Joiner::Existing(user) if user.email == open.invitation.email => user,
        Joiner::Existing(_) => return Err(ServiceError::NotFound),
        Joiner::NewAccount(account) => {
            if account.email.as_str() != open.invitation.email {
                return Err(ServiceError::NotFound);
            }
            accounts::create_user(conn, &account)?
        }
    };
    let role = Role::parse_assignable(&open.invitation.role).unwrap_or(Role::Regular);
    if Membership::find(conn, open.workspace.id, user.id)?.is_none() {
        Membership::insert(
            conn,
            &NewMembership {
                workspace_id: open.workspace.id,
                user_id: user.id,
                role: role.as_str(),
                status: "ACTIVE",
                created_at: now_ms(),
            },
        )?;
        let payload = member_payload(&user, &open.workspace, role);
        events::emit(conn, open.workspace.id, EventType::UserJoinedWorkspace, &payload)?;
    }
    Invitation::delete_in(conn, open.workspace.id, open.invitation.id)?;
    User::set_active_workspace(conn, user.id, open.workspace.id)?;
    Ok((user, open.workspace))
}

/// Gives a member another role. The Owner's role changes only by transferring ownership.
pub fn change_role(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    member_public_id: &str,
    role: Role,
) -> ServiceResult<()> {
    access.require_admin()?;
    let (membership, user) = find_member(conn, access, member_public_id)?;
    if membership.role == Role::Owner.as_str() {
        return Err(ServiceError::forbidden("The Owner's role changes only by transferring ownership."));
    }
    if role == Role::Owner {
        return Err(ServiceError::invalid("role", "Ownership moves only by transferring it."));
    }
    Membership::set_role(conn, membership.id, role.as_str())?;
    events::emit(conn, access.workspace.id, EventType::UserUpdated, &member_payload(&user, &access.workspace, role))?;
    Ok(())
}

/// Removes a member. The Owner cannot be removed. The removed user's sessions all end
/// (answered: their user id, for the caller's session cache), so no browser they used here
/// stays signed in; `keep` is the caller's own session, kept when Admins remove themselves.
/// Their other workspaces are untouched, and since joining a workspace takes the user's own
/// acceptance, no Owner can sign someone out this way again and again.
pub fn remove(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    member_public_id: &str,
    keep: Option<i64>,
) -> ServiceResult<i64> {
    access.require_admin()?;
    let (membership, user) = find_member(conn, access, member_public_id)?;
    if membership.role == Role::Owner.as_str() {
        return Err(ServiceError::forbidden("The Owner cannot be removed. Transfer ownership first."));
    }
    Membership::delete(conn, membership.id)?;
    let role = Role::parse(&membership.role).unwrap_or(Role::Regular);
    let payload = member_payload(&user, &access.workspace, role);
    events::emit(conn, access.workspace.id, EventType::UserDeletedFromWorkspace, &payload)?;
    let keep = keep.filter(|_| user.id == access.user_id);
    super::sessions::end_all(conn, user.id, keep)?;
    Ok(user.id)
}

/// Deactivates a member (they keep their place and their data but lose access to the
/// workspace) or activates them again. Not the Owner, and not oneself.
pub fn set_active(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    member_public_id: &str,
    active: bool,
) -> ServiceResult<()> {
    access.require_admin()?;
    let (membership, user) = find_member(conn, access, member_public_id)?;
    if membership.role == Role::Owner.as_str() {
        return Err(ServiceError::forbidden("The Owner cannot be deactivated."));
    }
    if membership.user_id == access.user_id {
        return Err(ServiceError::forbidden("You cannot deactivate yourself."));
    }
    if membership.is_active() == active {
        return Ok(());
    }
    let (status, event) = if active {
        ("ACTIVE", EventType::UserActivatedOnWorkspace)
    } else {
        (INACTIVE, EventType::UserDeactivatedOnWorkspace)
    };
    Membership::set_status(conn, membership.id, status)?;
    let role = Role::parse(&membership.role).unwrap_or(Role::Regular);
    let payload = member_payload_with(&user, &access.workspace, role, status);
    events::emit(conn, access.workspace.id, event, &payload)?;
    Ok(())
}

/// Makes another member the Owner; the previous Owner becomes an Admin.
pub fn transfer_ownership(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    member_public_id: &str,
) -> ServiceResult<()> {
    access.require_owner()?;
    let (new_owner, user) = find_member(conn, access, member_public_id)?;
    if new_owner.user_id == access.user_id {
        return Err(ServiceError::invalid("member", "You already own this workspace."));
    }
    let current = Membership::find(conn, access.workspace.id, access.user_id)?.ok_or(ServiceError::NotFound)?;
    // Demote first: the database allows one Owner per workspace at any moment.
    Membership::set_role(conn, current.id, Role::Admin.as_str())?;
    Membership::set_role(conn, new_owner.id, Role::Owner.as_str())?;
    events::emit(
        conn,
        access.workspace.id,
        EventType::UserUpdated,
        &member_payload(&user, &access.workspace, Role::Owner),
    )?;
    Ok(())
}

fn find_member(
    conn: &mut DbConnection,
    access: &WorkspaceAccess,
    public_id: &str,
) -> ServiceResult<(Membership, User)> {
    if !is_public_id(public_id) {
        return Err(ServiceError::NotFound);
    }
    Membership::members_of(conn, access.workspace.id)?
        .into_iter()
        .find(|(_, user)| user.public_id == public_id)
        .ok_or(ServiceError::NotFound)
}

/// The member as the REST API shows a user, with their (active) membership of this workspace.
pub fn member_payload(user: &User, workspace: &Workspace, role: Role) -> Value {
    member_payload_with(user, workspace, role, "ACTIVE")
}

fn member_payload_with(user: &User, workspace: &Workspace, role: Role, status: &str) -> Value {
    let membership = Membership {
        id: 0,
        workspace_id: workspace.id,
        user_id: user.id,
        role: role.as_str().to_owned(),
        status: status.to_owned(),
        created_at: 0,
    };
    let dto =
        UserDto::new(user, Some(workspace.public_id.clone()), vec![MembershipDto::new(user, workspace, &membership)]);
    serde_json::to_value(dto).unwrap_or(Value::Null)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
