//! Delivering webhook events: take the deliveries handed off as their transactions commit
//! (`db::outbox`) or claim due ones ([`step::Sender::deliver_due`], the poll), sign and send
//! them (`outbound::http`), and store the attempts in batches with their retries and the webhooks'
//! health ([`recorder`], [`record`]); each webhook's circuit breaker (`domain::circuit`, shared
//! through `circuits`) decides whether a send may start. [`worker`] is the thread that runs all of it
//! (or, for tests, [`driven`] lets the caller run its steps).

pub mod driven;
pub mod gate;
pub mod record;
pub mod recorder;
pub mod schedule;
pub mod step;
pub mod worker;
