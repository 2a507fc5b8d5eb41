//! Integration tests: the real server, a real database per test, on SQLite and PostgreSQL.

mod helpers;

mod account_attacks;
mod addons;
mod api_auth;
mod api_fuzz;
mod api_keys;
mod circuit_breaker;
mod clients_tags;
mod csrf;
mod events;
mod fair_share;
mod first_run;
mod frame;
mod handoff;
mod hostile_input;
mod limits;
mod login;
mod member_events;
mod members;
mod operations;
mod preferences;
mod processes;
mod profile;
mod projects_tasks;
mod published_events;
mod receiver;
mod retry_spread;
mod roles_and_isolation;
mod scrape;
mod time_entries;
mod token_reach;
mod webhook_pages;
mod webhooks;
mod workspaces;
