//! API keys: generate, rename, regenerate, delete (by their owner), revoke for one workspace
//! (by that workspace's Owner or Admin), and the verdict on a presented key. Every change
//! writes an audit row.
//!
//! A key belongs to its user: an Admin's revoke takes away its access to that Admin's
//! workspace only, and leaves it working in the user's other workspaces.

use subtle::ConstantTimeEq;

use crate::db::addons::Addon;
use crate::db::api_key_revocations::{NewRevocation, Revocation};
use crate::db::api_keys::{ApiKey, NewApiKey, Rotation};
use crate::db::audit_log::AuditEntry;
use crate::db::users::User;
use crate::db::DbConnection;
use crate::domain::{is_public_id, new_public_id, ApiKeySecret, GracePeriod, KeyExpiry, Name};

use super::workspaces::WorkspaceAccess;
use super::{ServiceError, ServiceResult};
use crate::clock::now_ms;

/// A key as just created or regenerated: the row, and the secret to show once.
pub struct IssuedKey {
    pub key: ApiKey,
    pub secret: ApiKeySecret,
}

pub fn list_mine(conn: &mut DbConnection, user_id: i64) -> ServiceResult<Vec<ApiKey>> {
    Ok(ApiKey::of_user(conn, user_id)?)
}

pub fn find_mine(conn: &mut DbConnection, user_id: i64, key: &str) -> ServiceResult<ApiKey> {
    if !is_public_id(key) {
        return Err(ServiceError::NotFound);
    }
    ApiKey::find_of_user(conn, user_id, key)?.ok_or(ServiceError::NotFound)
}

pub fn generate(conn: &mut DbConnection, user_id: i64, name: &Name, expiry: KeyExpiry) -> ServiceResult<IssuedKey> {
    ensure_name_free(conn, user_id, name, None)?;
    let secret = ApiKeySecret::generate();
    let now = now_ms();
    let key = ApiKey::insert(
        conn,
        &NewApiKey {
            public_id: &new_public_id(),
            user_id,
            name: name.as_str(),
            hint: &secret.hint(),
            secret_hash: &secret.hash(),
            created_at: now,
            expires_at: expiry.expires_at(now),
        },
    )?;
    audit(conn, user_id, &key, "Generated")?;
    Ok(IssuedKey { key, secret })
}

pub fn rename(conn: &mut DbConnection, user_id: i64, key: &str, name: &Name) -> ServiceResult<ApiKey> {
    let key = find_mine(conn, user_id, key)?;
    ensure_name_free(conn, user_id, name, Some(key.id))?;
    ApiKey::rename(conn, key.id, name.as_str())?;
    let renamed = ApiKey { name: name.as_str().to_owned(), ..key };
    audit(conn, user_id, &renamed, "Renamed")?;
    Ok(renamed)
}

/// A new secret under the same name. The old one stops at once, or after the grace period.
pub fn regenerate(conn: &mut DbConnection, user_id: i64, key: &str, grace: GracePeriod) -> ServiceResult<IssuedKey> {
    let key = find_mine(conn, user_id, key)?;
    let secret = ApiKeySecret::generate();
    let (hint, hash) = (secret.hint(), secret.hash());
    let keep_old = grace != GracePeriod::None;
    ApiKey::rotate(
        conn,
        key.id,
        &Rotation {
            hint: &hint,
            secret_hash: &hash,
            previous_secret_hash: keep_old.then_some(key.secret_hash.as_str()),
            previous_valid_until: keep_old.then(|| now_ms() + grace.millis()),
        },
    )?;
    let key = ApiKey { hint, secret_hash: hash, ..key };
    audit(conn, user_id, &key, "Regenerated")?;
    Ok(IssuedKey { key, secret })
}

pub fn delete(conn: &mut DbConnection, user_id: i64, key: &str) -> ServiceResult<ApiKey> {
    let key = find_mine(conn, user_id, key)?;
    ApiKey::delete(conn, key.id)?;
    audit(conn, user_id, &key, "Deleted")?;
    Ok(key)
}

/// One row of a workspace's Accounts tab.
pub struct MemberKey {
    pub key: ApiKey,
    pub owner: User,
    /// An Admin revoked it for this workspace (it may still work in others).
    pub revoked_here: bool,
}

/// A key row as the API's cache keeps it: the row and the workspaces it was revoked for.
#[derive(Debug, Clone)]
pub struct KeyGrant {
    pub key: ApiKey,
    pub revoked_in: Vec<i64>,
}

/// One row of the Accounts tab's audit list, with names resolved.
pub struct AuditRow {
    pub at: i64,
    pub actor: String,
    pub owner: String,
    pub action: String,
    pub target: String,
}

/// Every key of the workspace's members, and the audit of key changes (Owner and Admin).
pub fn accounts(conn: &mut DbConnection, access: &WorkspaceAccess) -> ServiceResult<(Vec<MemberKey>, Vec<AuditRow>)> {
    access.require_person()?;
    access.require_admin()?;
    let rows = ApiKey::of_workspace(conn, access.workspace.id)?;
    let ids: Vec<i64> = rows.iter().map(|(key, _)| key.id).collect();
    let revoked = Revocation::among(conn, access.workspace.id, &ids)?;
    let keys = rows
        .into_iter()
        .map(|(key, owner)| MemberKey { revoked_here: revoked.contains(&key.id), key, owner })
        .collect();
    let entries = AuditEntry::for_workspace(conn, access.workspace.id, 100)?;
    let mut ids: Vec<i64> = entries.iter().flat_map(|e| [e.actor_user_id, e.subject_user_id]).flatten().collect();
    ids.sort_unstable();
    ids.dedup();
    let people = User::find_many(conn, &ids)?;
    let addon_ids: Vec<i64> = entries.iter().filter_map(|e| e.actor_addon_id).collect();
    let addons = Addon::find_many(conn, &addon_ids)?;
    let name_of = |id: Option<i64>| {
        id.and_then(|id| people.iter().find(|u| u.id == id))
            .map_or_else(|| "A former user".to_owned(), |u| u.name.clone())
    };
    let actor_of = |e: &AuditEntry| match e.actor_addon_id {
        Some(id) => {
            let name = addons.iter().find(|a| a.id == id).map_or("a removed add-on", |a| a.name.as_str());
            format!("Add-on {name}")
        }
        None => name_of(e.actor_user_id),
    };
    let audit = entries
        .into_iter()
        .map(|e| AuditRow {
            at: e.created_at,
            actor: actor_of(&e),
            owner: name_of(e.subject_user_id),
            action: e.action,
            target: e.target,
        })
        .collect();
    Ok((keys, audit))
}

/// Revokes a member's key for this workspace (Owner or Admin): it answers 403 here from now
/// on, and keeps working in its user's other workspaces.
pub fn revoke(conn: &mut DbConnection, access: &WorkspaceAccess, key: &str) -> ServiceResult<ApiKey> {
    access.require_person()?;
    access.require_admin()?;
    let key = ApiKey::of_workspace(conn, access.workspace.id)?
        .into_iter()
        .map(|(key, _)| key)
        .find(|k| k.public_id == key)
        .ok_or(ServiceError::NotFound)?;
    // Two Admins revoking at once must not both pass the "already revoked?" check (the second
    // insert would hit the unique index): the workspace is held while checking, as for plan limits.
    crate::db::workspaces::Workspace::lock(conn, access.workspace.id)?;
    let revocation = NewRevocation {
        api_key_id: key.id,
        workspace_id: access.workspace.id,
        revoked_by: Some(access.user_id),
        revoked_at: now_ms(),
    };
    if Revocation::insert(conn, &revocation)? {
        super::audit::in_workspace(conn, access, Some(key.user_id), "Revoked for this workspace", &target(&key))?;
    }
    Ok(key)
}

/// Whether a key revoked for `revoked_in` may act in the workspace `workspace_id`.
pub fn usable_in(revoked_in: &[i64], workspace_id: i64) -> ServiceResult<()> {
    if revoked_in.contains(&workspace_id) {
        return Err(ServiceError::forbidden(
            "An Admin of this workspace revoked this API key for it. It still works in your other workspaces.",
        ));
    }
    Ok(())
}

/// What a presented key's row says about it right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Valid: acts as `user_id` until `valid_until` (if any).
    Valid { key_id: i64, user_id: i64, valid_until: Option<i64> },
    /// Past its expiry, or a regenerated key's old secret past its grace period.
    Expired,
    /// No key has this secret (never issued, deleted, revoked, or regenerated without grace).
    Unknown,
}

/// The verdict on `hash` given the row found by it, at `now`. Pure, so it can be cached.
pub fn verdict(row: Option<&ApiKey>, hash: &str, now: i64) -> Verdict {
    let Some(row) = row else { return Verdict::Unknown };
    let same = |stored: &str| bool::from(stored.as_bytes().ct_eq(hash.as_bytes()));
    let valid_until = if same(&row.secret_hash) {
        row.expires_at
    } else if row.previous_secret_hash.as_deref().is_some_and(same) {
        let grace_end = row.previous_valid_until.unwrap_or(0);
        Some(row.expires_at.map_or(grace_end, |e| e.min(grace_end)))
    } else {
        return Verdict::Unknown;
    };
    match valid_until {
        Some(until) if until <= now => Verdict::Expired,
        _ => Verdict::Valid { key_id: row.id, user_id: row.user_id, valid_until },
    }
}

/// Looks up the row for a presented key and where it was revoked (two indexed queries).
pub fn lookup(conn: &mut DbConnection, hash: &str) -> ServiceResult<Option<KeyGrant>> {
    let Some(key) = ApiKey::find_by_hash(conn, hash)? else { return Ok(None) };
    let revoked_in = Revocation::workspaces_of(conn, key.id)?;
    Ok(Some(KeyGrant { key, revoked_in }))
}

/// Records when a key was last used (batched by the caller: at most once a minute per key).
pub fn record_use(conn: &mut DbConnection, key_id: i64, at: i64) -> ServiceResult<()> {
    Ok(ApiKey::set_last_used(conn, key_id, at)?)
}

fn ensure_name_free(conn: &mut DbConnection, user_id: i64, name: &Name, except: Option<i64>) -> ServiceResult<()> {
    if ApiKey::name_taken(conn, user_id, name.as_str(), except)? {
        return Err(ServiceError::invalid("name", "You already have a key with this name."));
    }
    Ok(())
}

fn target(key: &ApiKey) -> String {
    format!("{} ({})", key.name, key.hint)
}

fn audit(conn: &mut DbConnection, user_id: i64, key: &ApiKey, action: &str) -> ServiceResult<()> {
    super::audit::personal(conn, user_id, action, &target(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(expires_at: Option<i64>, previous: Option<(&str, i64)>) -> ApiKey {
        ApiKey {
            id: 7,
            public_id: "0".repeat(24),
            user_id: 3,
            name: "ci".into(),
            hint: "kh_…abcd".into(),
            secret_hash: "current".into(),
            previous_secret_hash: previous.map(|(h, _)| h.to_owned()),
            previous_valid_until: previous.map(|(_, until)| until),
            created_at: 0,
            last_used_at: None,
            expires_at,
        }
    }

    #[test]
    fn current_secrets_work_until_expiry() {
        let valid = Verdict::Valid { key_id: 7, user_id: 3, valid_until: None };
        assert_eq!(verdict(Some(&row(None, None)), "current", 100), valid);
        assert_eq!(
            verdict(Some(&row(Some(200), None)), "current", 100),
            Verdict::Valid { key_id: 7, user_id: 3, valid_until: Some(200) }
        );
        assert_eq!(verdict(Some(&row(Some(100), None)), "current", 100), Verdict::Expired);
        assert_eq!(verdict(None, "current", 100), Verdict::Unknown);
        assert_eq!(verdict(Some(&row(None, None)), "other", 100), Verdict::Unknown);
    }

    #[test]
    fn old_secrets_work_only_during_the_grace_period() {
        let key = row(None, Some(("old", 500)));
        assert!(matches!(verdict(Some(&key), "old", 499), Verdict::Valid { valid_until: Some(500), .. }));
        assert_eq!(verdict(Some(&key), "old", 500), Verdict::Expired);
        // Grace never outlives the key itself.
        let expiring = row(Some(300), Some(("old", 500)));
        assert_eq!(verdict(Some(&expiring), "old", 300), Verdict::Expired);
    }
}
