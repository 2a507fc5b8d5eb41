//! Accounts: first-run setup, scripted creation, checking a login, and what a user changes of
//! their own account (name, e-mail, password).

use crate::db::users::{NewUser, User};
use crate::db::workspaces::Workspace;
use crate::db::DbConnection;
use crate::domain::{new_public_id, Email, Name};

use super::{passwords, workspaces, ServiceError, ServiceResult};
use crate::clock::now_ms;

/// A new account's details, already parsed; the password already hashed.
pub struct NewAccount {
    pub name: Name,
    pub email: Email,
    pub password_hash: String,
}

/// First run: creates the Owner and the first workspace. Refused once any account exists,
/// checked inside the transaction so that two racing setups cannot both win.
pub fn setup(conn: &mut DbConnection, account: &NewAccount, workspace: &Name) -> ServiceResult<(User, Workspace)> {
    if User::any_exists(conn)? {
        return Err(ServiceError::forbidden("keyhook is already set up. Log in instead."));
    }
    let user = create_user(conn, account)?;
    let workspace = workspaces::create(conn, &user, workspace)?;
    Ok((user, workspace))
}

/// Creates an account; the address must be free.
pub fn create_user(conn: &mut DbConnection, account: &NewAccount) -> ServiceResult<User> {
    if User::find_by_email(conn, account.email.as_str())?.is_some() {
        return Err(ServiceError::invalid("email", "An account with this email already exists."));
    }
    Ok(User::insert(
        conn,
        &NewUser {
            public_id: &new_public_id(),
            email: account.email.as_str(),
            name: account.name.as_str(),
            password_hash: &account.password_hash,
            time_zone: "UTC",
            active_workspace_id: None,
            created_at: now_ms(),
        },
    )?)
}

/// The account a login names, if the address is well-formed and has one.
pub fn find_for_login(conn: &mut DbConnection, email: &str) -> ServiceResult<Option<User>> {
    match Email::parse(email) {
        Ok(email) => Ok(User::find_by_email(conn, email.as_str())?),
        Err(_) => Ok(None),
    }
}

/// Whether `password` opens `user`. Blocking and deliberately slow (argon2); spends the
/// same time when there is no account, so a login's timing does not tell whether one exists.
pub fn password_matches(user: Option<&User>, password: &str) -> bool {
    match user {
        Some(user) => passwords::verify(password, &user.password_hash),
        None => {
            passwords::verify_against_nothing(password);
            false
        }
    }
}

/// Changes the user's name and e-mail; the address must be free. The caller has checked the
/// current password when the address changes.
pub fn update_identity(conn: &mut DbConnection, user_id: i64, name: &Name, email: &Email) -> ServiceResult<User> {
    if User::find_by_email(conn, email.as_str())?.is_some_and(|other| other.id != user_id) {
        return Err(ServiceError::invalid("email", "An account with this email already exists."));
    }
    User::set_identity(conn, user_id, name.as_str(), email.as_str())?;
    User::find(conn, user_id)?.ok_or(ServiceError::NotFound)
}

/// Sets a new password (already hashed) and ends every session of the user but `keep` (the
/// one that changed it, if any): whoever knew the old password is signed out everywhere.
pub fn set_password(
    conn: &mut DbConnection,
    user_id: i64,
    password_hash: &str,
    keep: Option<i64>,
) -> ServiceResult<usize> {
    User::set_password_hash(conn, user_id, password_hash)?;
    super::sessions::end_all(conn, user_id, keep)
}

/// Whether anyone has an account yet (until then, every page leads to setup).
pub fn is_set_up(conn: &mut DbConnection) -> ServiceResult<bool> {
    Ok(User::any_exists(conn)?)
}
