//! TLS for outgoing requests: rustls with the `ring` provider (the default provider would
//! bring aws-lc-sys, a long C build). Installed once per process before any client is built.

use std::sync::Once;

/// Makes `ring` the process's rustls provider; later calls do nothing.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Fails only if another provider was installed first, which is just as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}
