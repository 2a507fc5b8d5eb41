//! TLS endpoints on loopback for the failure-reason tests: a certificate authority of the
//! tests' own (made once per process, trusted through `KEYHOOK_EXTRA_CA_FILE`), certificates
//! it issues (expired, for another name), a self-signed one, and openssl's `s_server` serving
//! one of them until dropped.

/// Validity of a certificate that expired long ago, and of one valid now (until 2099).
pub const EXPIRED: (&str, &str) = ("20200101000000Z", "20200102000000Z");
pub const VALID: (&str, &str) = ("20200101000000Z", "20991231000000Z");

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A certificate and its key, as PEM files.
pub struct Issued {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The tests' certificate authority, in a directory kept for the process.
pub struct TestCa {
    dir: tempfile::TempDir,
}

fn openssl(args: &[&OsStr]) {
    let made =
        Command::new("openssl").args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().expect("openssl runs");
    assert!(made.success(), "openssl {args:?}");
}

/// A new key and a certificate request for it (`-x509`: a self-signed certificate instead).
fn key_and_request(key: &Path, out: &Path, self_signed: &[&str]) {
    let mut args: Vec<&OsStr> = vec!["req".as_ref(), "-newkey".as_ref(), "rsa:2048".as_ref(), "-nodes".as_ref()];
    args.extend(self_signed.iter().map(|a| OsStr::new(*a)));
    args.extend(["-keyout".as_ref(), key.as_os_str(), "-out".as_ref(), out.as_os_str()]);
    openssl(&args);
}

/// `name` with a number of its own: tests run side by side in one directory.
fn unique(name: &str) -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    format!("{name}-{}", NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

pub fn test_ca() -> &'static TestCa {
    static CA: OnceLock<TestCa> = OnceLock::new();
    CA.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a directory");
        let (cert, key) = (dir.path().join("ca.pem"), dir.path().join("ca.key"));
        key_and_request(&key, &cert, &["-x509", "-days", "30", "-subj", "/CN=keyhook test CA"]);
        TestCa { dir }
    })
}

impl TestCa {
    /// The PEM file to trust.
    pub fn file(&self) -> String {
        self.dir.path().join("ca.pem").to_str().expect("utf-8").to_owned()
    }

    /// A certificate for `san` (`IP:127.0.0.1`, `DNS:other.example`), valid from `start` to
    /// `end` (`20200101000000Z`), signed by the authority (`openssl ca`: `x509 -req` cannot
    /// date a certificate in the past).
    pub fn issue(&self, name: &str, san: &str, (start, end): (&str, &str)) -> Issued {
        let name = &unique(name);
        let dir = self.dir.path();
        let at = |suffix: &str| dir.join(format!("{name}.{suffix}"));
        let (cert, key, csr, ext, config) = (at("pem"), at("key"), at("csr"), at("ext"), at("cnf"));
        std::fs::write(&ext, format!("subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n")).expect("ext");
        let books = dir.join(name);
        std::fs::create_dir_all(&books).expect("a directory");
        std::fs::write(books.join("index.txt"), "").expect("index");
        std::fs::write(books.join("serial"), "1000\n").expect("serial");
        let b = books.display();
        std::fs::write(
            &config,
            format!(
                "[ca]\ndefault_ca = test\n[test]\ndatabase = {b}/index.txt\nnew_certs_dir = {b}\nserial = {b}/serial\n\
                 default_md = sha256\npolicy = any\n[any]\ncommonName = supplied\n"
            ),
        )
        .expect("config");
        key_and_request(&key, &csr, &["-subj", "/CN=keyhook test"]);
        let (ca_cert, ca_key) = (dir.join("ca.pem"), dir.join("ca.key"));
        openssl(&[
            "ca".as_ref(),
            "-batch".as_ref(),
            "-notext".as_ref(),
            "-config".as_ref(),
            config.as_os_str(),
            "-cert".as_ref(),
            ca_cert.as_os_str(),
            "-keyfile".as_ref(),
            ca_key.as_os_str(),
            "-startdate".as_ref(),
            start.as_ref(),
            "-enddate".as_ref(),
            end.as_ref(),
            "-extfile".as_ref(),
            ext.as_os_str(),
            "-in".as_ref(),
            csr.as_os_str(),
            "-out".as_ref(),
            cert.as_os_str(),
        ]);
        Issued { cert, key }
    }

    /// A certificate for 127.0.0.1 signed by itself, not by any authority.
    pub fn self_signed(&self, name: &str) -> Issued {
        let name = &unique(name);
        let at = |suffix: &str| self.dir.path().join(format!("{name}.{suffix}"));
        let (cert, key) = (at("pem"), at("key"));
        let args = ["-x509", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"];
        key_and_request(&key, &cert, &[&args[..], &["-addext", "basicConstraints=critical,CA:FALSE"]].concat());
        Issued { cert, key }
    }
}

/// The day a certificate's validity ends, as `2026-12-01`.
pub fn not_after(cert: &Path) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601", "-in"])
        .arg(cert)
        .output()
        .expect("openssl runs");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim().trim_start_matches("notAfter=").chars().take(10).collect()
}

/// openssl's `s_server` on a free loopback port, serving `issued` until dropped.
pub struct TlsServer {
    pub port: u16,
    child: std::process::Child,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TlsServer {
    pub async fn start(issued: &Issued) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&issued.cert)
            .arg("-key")
            .arg(&issued.key)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server starts");
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "s_server did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { port, child }
    }
}
