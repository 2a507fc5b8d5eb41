//! The commands besides `serve`: `migrate`, `user create` and `user reset-password`.

use std::io::BufRead;

use anyhow::{anyhow, Context};

use crate::config::Settings;
use crate::db::Db;
use crate::domain::{Email, Name, Password};
use crate::services::accounts::{self, NewAccount};
use crate::services::{passwords, workspaces, ServiceError};

pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    Db::connect(&settings.database()?, 1)?.migrate()?;
    println!("migrations are up to date");
    Ok(())
}

/// Creates an account from a script; the password is the first line of standard input.
pub fn create_user(settings: &Settings, email: &str, name: &str, workspace: Option<&str>) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow!("--email: {e}"))?;
    let name = Name::parse(name).map_err(|e| anyhow!("--name: {e}"))?;
    let workspace = workspace.map(Name::parse).transpose().map_err(|e| anyhow!("--workspace: {e}"))?;
    let password = password_from_stdin()?;
    let account = NewAccount { name, email, password_hash: passwords::hash(&password)? };

    let db = Db::connect(&settings.database()?, 1)?;
    db.migrate()?;
    let (user, workspace) = db
        .write_blocking(|conn| -> Result<_, ServiceError> {
            let user = accounts::create_user(conn, &account)?;
            let workspace = workspace.map(|name| workspaces::create(conn, &user, &name)).transpose()?;
            Ok((user, workspace))
        })
        .map_err(|e| anyhow!("{e}"))?;
    println!("created user {} ({})", user.email, user.public_id);
    if let Some(workspace) = workspace {
        println!("created workspace {} ({}) owned by {}", workspace.name, workspace.public_id, user.email);
    }
    Ok(())
}

/// Sets a new password for the account of `email` (the first line of standard input) and ends
/// every session of that user: whoever had the account's sessions or old password is out.
pub fn reset_password(settings: &Settings, email: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|e| anyhow!("--email: {e}"))?;
    let password = password_from_stdin()?;
    let hash = passwords::hash(&password)?;
    let db = Db::connect(&settings.database()?, 1)?;
    db.migrate()?;
    let ended = db
        .write_blocking(|conn| -> Result<_, ServiceError> {
            let user = crate::db::users::User::find_by_email(conn, email.as_str())?.ok_or_else(|| {
                ServiceError::invalid("email", format!("no account has the e-mail {}", email.as_str()))
            })?;
            accounts::set_password(conn, user.id, &hash, None)
        })
        .map_err(|e| anyhow!("{e}"))?;
    println!("new password set for {}; {ended} session(s) ended", email.as_str());
    Ok(())
}

/// A password from the first line of standard input, checked like one typed at setup.
fn password_from_stdin() -> anyhow::Result<Password> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
    Password::parse(line.trim_end_matches(['\r', '\n'])).map_err(|e| anyhow!("password: {e}"))
}
