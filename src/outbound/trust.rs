//! Which certificate authorities an endpoint's TLS certificate may be signed by: the system's,
//! and those of `KEYHOOK_EXTRA_CA_FILE` (a company's internal CA, for endpoints inside its
//! network). Read once at start; a file that is missing or holds no certificate stops keyhook
//! there, with the setting's name, instead of every delivery failing later.

use std::sync::Arc;

/// The extra authorities, parsed (`clap` reads the file when it reads the setting).
#[derive(Clone)]
pub struct ExtraRoots {
    path: String,
    certificates: Arc<[reqwest::Certificate]>,
}

impl ExtraRoots {
    /// Reads a PEM bundle of one or more certificates.
    pub fn load(path: &str) -> Result<Self, String> {
        let pem = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("{path} is not a PEM certificate bundle: {e}"))?;
        if certificates.is_empty() {
            return Err(format!("{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"));
        }
        Ok(Self { path: path.to_owned(), certificates: certificates.into() })
    }

    pub fn certificates(&self) -> impl Iterator<Item = reqwest::Certificate> + '_ {
        self.certificates.iter().cloned()
    }
}

impl std::fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} certificates)", self.path, self.certificates.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_without_certificates_is_refused_with_its_name() {
        let dir = tempfile::tempdir().expect("a directory");
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "not a certificate\n").expect("written");
        let path = path.to_str().expect("utf-8");
        let error = ExtraRoots::load(path).expect_err("refused");
        assert!(error.contains(path) && error.contains("no PEM certificate"), "{error}");
        let missing = ExtraRoots::load("/nonexistent/ca.pem").expect_err("refused");
        assert!(missing.starts_with("cannot read /nonexistent/ca.pem"), "{missing}");
    }
}
