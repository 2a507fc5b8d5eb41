//! keyhook: the integrations console of a time-tracking workspace (API keys and webhooks).

pub mod api;
pub mod circuits;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod dto;
pub mod error;
pub mod health;
#[cfg(test)]
mod layering;
pub mod metrics;
pub mod outbound;
pub mod request_log;
/// Private: only `startup` starts it (see `layering`).
mod sender;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod verified_cache;
pub mod web;
