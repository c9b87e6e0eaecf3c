// Package metrics exposes Brick's metrics in the Prometheus format, with
// the official client library.
//
// # Requests
//
// HTTP is a web.Observer: attached to a server (server.Server.Observer),
// it counts every request the server reports, per site and route (the
// names the router recorded on the request, r.Site and r.Route):
//
//	brick_http_requests_total{site,route,code_class}      counter; code_class is 1xx..5xx, or other for 600-999
//	brick_http_request_duration_seconds{site,route}       histogram, from the request head to the complete response
//	brick_http_response_bytes_total{site,route}           counter of response body bytes
//	brick_http_requests_by_protocol_total{protocol}       counter; HTTP/1.0, HTTP/1.1, HTTP/2.0 or unknown
//
// The status and bytes are what the server sent (web.Completion), its own
// answers included: a body that timed out is the 408 the client got, not
// what the handler made of the read error. A connection closed without a
// response counts as 444 and a hijacked one as 101 (Completion.Code), as
// package accesslog logs them. A request no route took is counted under
// site="none", route="none". Labels must come from a small, fixed set:
// after 1000 distinct site and route pairs, further pairs are counted as
// site="other", route="other".
//
// Counting allocates nothing once a site and route pair has been seen:
// the counters of each pair are looked up in a copy-on-write map, not
// through the client library's label lookup, and nothing wraps the
// ResponseWriter.
//
// # Connections
//
// RegisterConns adds gauges that call functions when scraped:
// brick_http_open_connections (server.Server.OpenConns) and, when given,
// brick_http_idle_connections.
//
// RegisterAccessLog adds brick_access_log_errors_total, the access log
// lines lost to write errors, read from a counter the access log Writers
// share (accesslog.WithLostCounter).
//
// # Python applications (WSGI and ASGI)
//
// NewPythonCollector turns a snapshot function into the Python gateways'
// metrics, so this package imports neither gateway and the gateways do
// not import Prometheus. What means the same for a WSGI and an ASGI pool
// is one series with a gateway label ("wsgi" or "asgi"):
//
//	brick_python_workers{gateway,app,state="busy|idle|retiring"}   gauge; retiring: ASGI only
//	brick_python_worker_restarts_total{gateway,app,reason}         counter; crash, timeout, max_requests, max_memory, reload
//	brick_python_timeouts_total{gateway,app}                       counter
//	brick_python_worker_memory_bytes{gateway,app,pid}              gauge
//	brick_python_queue_length{gateway,app}                         gauge
//	brick_python_queue_wait_seconds{gateway,app}                   histogram
//
// A WSGI worker serves one request at a time and a busy one is serving
// it; an ASGI worker runs many scopes at once and a busy one has at
// least one in flight. ASGI pools add:
//
//	brick_asgi_worker_streams{app,pid}      gauge; scopes in flight (HTTP requests and WebSockets), retiring workers too
//	brick_asgi_open_websockets{app}         gauge
//
// # Proxy
//
// NewProxyCollector does the same for the upstreams of proxy routes:
//
//	brick_proxy_upstream_up{route,upstream}                  gauge
//	brick_proxy_upstream_healthy{route,upstream}             gauge
//	brick_proxy_upstream_active_requests{route,upstream}     gauge
//	brick_proxy_upstream_idle_connections{route,upstream}    gauge
//	brick_proxy_upstream_failures_total{route,upstream}      counter
//
// # Admin endpoint
//
// AdminHandler serves /metrics (through promhttp and Brick's net/http
// adapter), /healthz and /upstreams (the proxy upstreams' state as JSON,
// UpstreamsJSON); it is meant for a listener of its own, such as
// 127.0.0.1:9090, away from the sites.
package metrics
