//! Delivering webhook events: claim due deliveries, sign, send, record the attempt, schedule
//! the retry. [`step::deliver_due`] does one batch and is what tests drive; [`worker`] is the
//! thread that loops around it.

pub mod network_policy;
pub mod wake;
