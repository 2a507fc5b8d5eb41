//! Mails from the database: services queue them in their own transaction (`queue`), and the
//! mail sender of each instance claims the due ones, sends them through SMTP and records the
//! outcome. A mail server that is down delays mails (retried with growing waits, for two days)
//! and blocks nothing else; a crash loses none (a claimed mail's lease runs out).

use std::sync::Arc;
use std::time::Duration;

use crate::clock::now_ms;
use crate::db::mail_outbox::{Mail, NewMail};
use crate::db::{Db, DbConnection};
use crate::outbound::mail::Mailer;
use crate::services::ServiceResult;

/// Waits before each retry of a mail; then every 30 minutes until two days have passed.
const RETRY_WAITS_MS: [i64; 5] = [5_000, 30_000, 120_000, 600_000, 1_800_000];
const GIVE_UP_AFTER_MS: i64 = 2 * 24 * 3_600_000;
/// A claimed mail is someone else's to send once this passes (a crash mid-send).
const LEASE_MS: i64 = 60_000;

/// A mail to queue.
pub struct Outgoing {
    /// One mail per key: a cause and its recipient (`alert:…:user`).
    pub key: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Queues mails in the caller's transaction; a key queued already is left out.
pub fn queue(conn: &mut DbConnection, mails: Vec<Outgoing>) -> ServiceResult<usize> {
    let now = now_ms();
    let rows: Vec<NewMail> = mails
        .into_iter()
        .map(|m| NewMail {
            dedup_key: m.key,
            to_address: m.to,
            subject: m.subject,
            body: m.body,
            created_at: now,
            next_attempt_at: Some(now),
        })
        .collect();
    Ok(Mail::enqueue(conn, &rows)?)
}

/// When a mail that failed `attempts` times (this one included) is tried again, if ever.
fn retry_at(created_at: i64, attempts: i32, now: i64) -> Option<i64> {
    let wait = usize::try_from(attempts.max(1) - 1)
        .ok()
        .and_then(|i| RETRY_WAITS_MS.get(i).copied())
        .unwrap_or(RETRY_WAITS_MS[RETRY_WAITS_MS.len() - 1]);
    let next = now + wait;
    (next - created_at <= GIVE_UP_AFTER_MS).then_some(next)
}

/// Sends the queued mails of every instance's services, one instance's share at a time.
pub struct MailSender {
    db: Db,
    mailer: Mailer,
    /// Woken when a mail is queued on this instance (else the next round finds it).
    pub nudge: Arc<tokio::sync::Notify>,
}

impl MailSender {
    pub fn new(db: Db, mailer: Mailer) -> Self {
        Self { db, mailer, nudge: Arc::new(tokio::sync::Notify::new()) }
    }

    /// Sends what is due now; answers how many were sent.
    pub async fn run_once(&self) -> ServiceResult<usize> {
        let now = now_ms();
        let due = self
            .db
            .write(move |conn| -> ServiceResult<_> { Ok(Mail::claim_due(conn, now, now + LEASE_MS, 20)?) })
            .await?;
        let mut sent = 0;
        for mail in due {
            let outcome = self.mailer.send(&mail.to_address, &mail.subject, &mail.body).await;
            let (id, at) = (mail.id, now_ms());
            match outcome {
                Ok(()) => {
                    sent += 1;
                    self.db.write(move |conn| -> ServiceResult<_> { Ok(Mail::sent(conn, id, at)?) }).await?;
                }
                Err(error) => {
                    let next = retry_at(mail.created_at, mail.attempts + 1, at);
                    if next.is_none() {
                        tracing::error!(mail = id, error = %error, "a mail could not be sent for two days; given up");
                    } else {
                        tracing::warn!(mail = id, error = %error, "a mail could not be sent; it is tried again later");
                    }
                    self.db
                        .write(move |conn| -> ServiceResult<_> { Ok(Mail::failed(conn, id, next, &error)?) })
                        .await?;
                }
            }
        }
        Ok(sent)
    }

    /// Sends every second, and at once when nudged.
    pub fn spawn(self: Arc<Self>) {
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = self.nudge.notified() => {}
                }
                if let Err(e) = self.run_once().await {
                    tracing::warn!(error = ?e, "the mail sender failed; it tries again in a second");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_mails_wait_longer_each_time_and_are_given_up_after_two_days() {
        assert_eq!(retry_at(0, 1, 0), Some(5_000));
        assert_eq!(retry_at(0, 2, 10), Some(30_010));
        assert_eq!(retry_at(0, 9, 100), Some(100 + 1_800_000));
        assert_eq!(retry_at(0, 9, GIVE_UP_AFTER_MS), None);
    }
}
