//! Delivering webhook events: take the deliveries handed off as their transactions commit
//! ([`handoff`]) or claim due ones ([`step::Sender::deliver_due`], the poll), sign and send
//! them ([`http`]), and store the attempts in batches with their retries and the webhooks'
//! health ([`recorder`], [`record`]); each webhook's circuit breaker (`domain::circuit`, shared
//! through `circuits`) decides whether a send may start. [`worker`] is the thread that runs all of it.

pub mod handoff;
pub mod http;
pub mod network_policy;
pub mod record;
pub mod recorder;
pub mod schedule;
pub mod step;
pub mod worker;
