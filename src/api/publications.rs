//! The publications of `POST …/events`, run as group-commit batches (`db::group_commit`): each
//! caller's access to each workspace is checked once a batch, then `services::publish` checks
//! each request and appends the events of those that pass together.

use std::collections::HashMap;

use crate::db::group_commit::Batch;
use crate::db::DbConnection;
use crate::services::publish::{self, Publication, Request};
use crate::services::workspaces::WorkspaceAccess;
use crate::services::{ServiceError, ServiceResult};

use super::auth::ApiCaller;

/// One publication, as its caller asked it.
pub struct Publish {
    pub caller: ApiCaller,
    pub workspace: String,
    pub request: Request,
}

/// The [`Batch`] of publications.
pub struct Publications;

impl Batch for Publications {
    type Request = Publish;
    type Answer = Publication;
    type Error = ServiceError;

    fn run(&self, conn: &mut DbConnection, batch: &[Publish]) -> ServiceResult<Vec<ServiceResult<Publication>>> {
        // A credential's access to a workspace read once: the batch is one transaction, so
        // every request in it sees the same memberships either way.
        let mut granted: HashMap<(&ApiCaller, &str), WorkspaceAccess> = HashMap::new();
        let mut accesses = Vec::with_capacity(batch.len());
        for publish in batch {
            let key = (&publish.caller, publish.workspace.as_str());
            accesses.push(match granted.get(&key) {
                Some(access) => Ok(access.clone()),
                None => publish.caller.access(conn, &publish.workspace).inspect(|access| {
                    granted.insert(key, access.clone());
                }),
            });
        }
        let allowed: Vec<(&WorkspaceAccess, &Request)> = batch
            .iter()
            .zip(&accesses)
            .filter_map(|(publish, access)| Some((access.as_ref().ok()?, &publish.request)))
            .collect();
        let mut published = publish::publish_all(conn, &allowed)?.into_iter();
        let mut answers = Vec::with_capacity(batch.len());
        for access in accesses {
            answers.push(match access {
                Err(refused) => Err(refused),
                Ok(_) => published.next().ok_or_else(|| anyhow::anyhow!("a publication was not answered"))?,
            });
        }
        Ok(answers)
    }
}
