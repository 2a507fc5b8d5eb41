//! Roles in a workspace, and what each may do.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Owner,
    Admin,
    Manager,
    Regular,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Owner, Role::Admin, Role::Manager, Role::Regular];
    /// Roles that can be given by invitation or a role change, least power first (the default
    /// choice); ownership moves only by transfer.
    pub const ASSIGNABLE: [Role; 3] = [Role::Regular, Role::Manager, Role::Admin];

    pub fn parse(input: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == input.trim())
            .ok_or_else(|| "Choose a role from the list.".to_owned())
    }

    /// Like [`Role::parse`], refusing `OWNER`.
    pub fn parse_assignable(input: &str) -> Result<Self, String> {
        match Self::parse(input)? {
            Role::Owner => Err("Ownership moves only by transferring it.".into()),
            role => Ok(role),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "OWNER",
            Role::Admin => "ADMIN",
            Role::Manager => "MANAGER",
            Role::Regular => "REGULAR",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Manager => "Manager",
            Role::Regular => "Regular",
        }
    }

    /// Owners and Admins run the workspace: settings, members, and (later) API keys of
    /// others and webhooks.
    pub fn administers(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_owner_where_it_must() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("SUPERUSER").is_err());
        assert!(Role::parse_assignable("OWNER").is_err());
        assert_eq!(Role::parse_assignable("ADMIN"), Ok(Role::Admin));
    }

    #[test]
    fn only_owners_and_admins_administer() {
        assert!(Role::Owner.administers() && Role::Admin.administers());
        assert!(!Role::Manager.administers() && !Role::Regular.administers());
    }
}
