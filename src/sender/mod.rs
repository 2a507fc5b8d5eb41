//! Delivering webhook events: claim due deliveries, sign, send, record the attempt, schedule
//! the retry. [`step::Sender::deliver_due`] does one batch and is what tests can drive;
//! [`worker`] is the thread that loops around it.

pub mod handoff;
pub mod http;
pub mod network_policy;
pub mod record;
pub mod recorder;
pub mod schedule;
pub mod step;
pub mod worker;
