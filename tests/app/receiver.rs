//! A real webhook receiver on 127.0.0.1: records every request and answers with scripted
//! statuses (200 once the script runs out), optionally after a delay.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};

#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
    pub at: Instant,
}

impl Hit {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    delay: Option<Duration>,
    /// Requests being answered now, and the most there were at once.
    in_flight: usize,
    most_in_flight: usize,
}

pub struct Receiver {
    pub url: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<Script>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        drop(tokio::spawn(async move { handle.stop(false).await }));
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    hits: web::Data<Arc<Mutex<Vec<Hit>>>>,
    script: web::Data<Arc<Mutex<Script>>>,
) -> HttpResponse {
    let mut headers = reqwest::header::HeaderMap::new();
    for (name, value) in req.headers() {
        if let (Ok(name), Ok(value)) = (
            reqwest::header::HeaderName::from_bytes(name.as_str().as_bytes()),
            reqwest::header::HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.append(name, value);
        }
    }
    hits.lock().expect("hits").push(Hit {
        path: req.path().to_owned(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
        at: Instant::now(),
    });
    let (status, delay) = {
        let mut script = script.lock().expect("script");
        script.in_flight += 1;
        script.most_in_flight = script.most_in_flight.max(script.in_flight);
        (script.statuses.pop_front().unwrap_or(200), script.delay)
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    script.lock().expect("script").in_flight -= 1;
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("status")).body("{\"received\":true}")
}

impl Receiver {
    pub async fn start() -> Self {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(Script::default()));
        let (h, s) = (hits.clone(), script.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(h.clone()))
                .app_data(web::Data::new(s.clone()))
                .default_service(web::to(receive))
        })
        .workers(2)
        .bind(("127.0.0.1", 0))
        .expect("bind a receiver");
        let port = server.addrs()[0].port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self { url: format!("http://127.0.0.1:{port}/hook"), hits, script, handle }
    }

    /// The receiver's address without a path: an add-on's base URL.
    pub fn base(&self) -> &str {
        self.url.trim_end_matches("/hook")
    }

    /// Answers these statuses to the next requests, in order.
    pub fn answer(&self, statuses: &[u16]) {
        self.script.lock().expect("script").statuses.extend(statuses);
    }

    /// Answers every request only after `delay`.
    pub fn delay(&self, delay: Duration) {
        self.script.lock().expect("script").delay = Some(delay);
    }

    /// The most requests that were being answered at once.
    pub fn most_in_flight(&self) -> usize {
        self.script.lock().expect("script").most_in_flight
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }

    /// Waits (at most `within`) until `n` requests arrived; answers them.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Hit> {
        let started = Instant::now();
        loop {
            let hits = self.hits();
            if hits.len() >= n || started.elapsed() > within {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}
