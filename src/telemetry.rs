//! Logging: human-readable or JSON lines on standard error, filtered by `KEYHOOK_LOG`
//! (default `info`; `debug` adds one line per request). Secrets never reach a log line:
//! settings hold them in types whose `Debug` is redacted, and requests log no query string.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("KEYHOOK_LOG {filter:?} is not a valid filter ({e}); using info");
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    // A second init (tests start many servers in one process) keeps the first subscriber.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
