//! keyhook: the integrations console of a time-tracking workspace (API keys and webhooks).

pub mod api;
pub mod circuits;
pub mod cli;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod dto;
pub mod error;
pub mod health;
pub mod metrics;
pub mod request_log;
pub mod sender;
pub mod services;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tls;
pub mod verified_cache;
pub mod web;
