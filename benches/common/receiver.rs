//! The benchmarks' local receivers: an actix server on a loopback port of its own thread.

use actix_web::{web, App, FromRequest, Handler, HttpServer, Responder};

/// Serves `handler` for every path on a free loopback port with `workers` threads, `state`
/// given to it as `web::Data`; answers the base URL.
pub fn start<S, F, Args>(state: S, workers: usize, handler: F) -> String
where
    S: Clone + Send + 'static,
    F: Handler<Args> + Clone + Send + 'static,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let server = HttpServer::new(move || {
        App::new().app_data(web::Data::new(state.clone())).default_service(web::to(handler.clone()))
    })
    .workers(workers)
    // The fleet bench opens many connections at once; the default backlog would drop some.
    .backlog(4096)
    .bind(("127.0.0.1", 0))
    .expect("bind a receiver");
    let port = server.addrs()[0].port();
    let running = server.run();
    std::thread::spawn(move || actix_web::rt::System::new().block_on(running));
    format!("http://127.0.0.1:{port}")
}
