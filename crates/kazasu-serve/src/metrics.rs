//! Prometheus metrics: requests by route and status, latency by route, requests in flight,
//! TLS handshakes refused. Labels carry routes and status codes only — never request data.

use std::sync::Arc;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Route and status of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route, e.g. `/v1/eligibility/confirmations`.
    pub route: String,
    /// The HTTP status.
    pub status: u16,
}

/// A route.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The matched route.
    pub route: String,
}

/// The server's metrics, cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Mutex<Registry>>,
    /// Requests answered, by route and status.
    pub requests: Family<RequestLabels, Counter>,
    /// Seconds from request to response, by route.
    pub latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Requests being handled.
    pub in_flight: Gauge,
    /// TLS handshakes that failed (no or an untrusted client certificate, timeouts).
    pub handshake_failures: Counter,
    /// Connections accepted.
    pub connections: Counter,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

fn latency_histogram() -> Histogram {
    // 0.25 ms to ~4 s.
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.000_25, 2.0, 15,
    ))
}

impl Metrics {
    /// Fresh metrics registered under `kazasu_`, with the instance's name as a constant label.
    pub fn new(instance: &str) -> Self {
        let mut registry = Registry::with_prefix_and_labels(
            "kazasu",
            [(
                std::borrow::Cow::Borrowed("instance"),
                std::borrow::Cow::Owned(instance.to_owned()),
            )]
            .into_iter(),
        );
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let in_flight = Gauge::default();
        let handshake_failures = Counter::default();
        let connections = Counter::default();
        registry.register("requests", "Requests answered", requests.clone());
        registry.register(
            "request_duration_seconds",
            "Time from request to response",
            latency.clone(),
        );
        registry.register(
            "requests_in_flight",
            "Requests being handled",
            in_flight.clone(),
        );
        registry.register(
            "tls_handshake_failures",
            "TLS handshakes that failed",
            handshake_failures.clone(),
        );
        registry.register("connections", "Connections accepted", connections.clone());
        Self {
            registry: Arc::new(Mutex::new(registry)),
            requests,
            latency,
            in_flight,
            handshake_failures,
            connections,
        }
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        }
        out
    }
}
