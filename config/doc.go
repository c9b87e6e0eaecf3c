// Package config is the configuration every way of running Brick serves:
// it reads the file behind `brick run -config brick.toml` and `brick
// validate -config brick.toml` into typed Options, and the command-line
// modes (`brick`, `brick DIR`, `brick wsgi`, `brick php`) compile their
// flags into the same Options (Defaults, RegisterFlags, then the
// features' own flags, Provision and Validate).
//
// The file is TOML. It declares the listeners, the sites by Host name
// (virtual hosts, with one default site), and for each site an ordered
// list of routes by path prefix, each with exactly one action. A Django
// deployment, /static/ from a directory and everything else to the WSGI
// application, reads:
//
//	[server]
//	listen = [":8000"]
//
//	[[site]]
//	  [[site.route]]
//	  path = "/static/"
//	  static = { root = "/srv/mysite/static", cache_control = "public, max-age=3600" }
//
//	  [[site.route]]
//	  path = "/"
//	  wsgi = { app = "mysite.wsgi:application", chdir = "/srv/mysite", env = { DJANGO_SETTINGS_MODULE = "mysite.settings" } }
//
// testdata/example.toml shows every key with a comment; testdata/django.toml
// is the file above.
//
// # Tables and keys
//
// Durations are strings: Go durations ("30s", "1m30s") or a number of
// seconds ("30", "0.5"). Sizes are a number of bytes or a string with a
// unit, K, M, G or T, optionally followed by B or iB, all powers of 1024
// ("10MiB", "512M"). Both are parsed by internal/units, as the flags are;
// negative, infinite and out-of-range values are errors. Relative paths
// are relative to the file's directory (Load).
//
// [server]: listen (a host:port, or an array of them; default [":8888"],
// or none when only listen_tls is given), listen_tls (HTTPS addresses;
// default none),
// admin (host:port of the /metrics and /healthz listener; default none),
// shutdown_timeout (10s), reload_grace (30s: how long requests in flight
// under the old configuration may run after SIGHUP), ws_grace (1h: how
// long open WebSockets outlive a SIGUSR2 upgrade), backlog (4096),
// reuseport (false), max_conns (0: 90% of the open-file limit), max_body
// (64MiB, the body limit of routes that set none), max_header (64KiB: a
// larger request head is 431), read_header_timeout
// (10s), read_timeout (60s), write_timeout (60s), idle_timeout (75s),
// trace (false: print every exchange to standard error, as brick -v),
// goroutine_per_conn (false).
//
// [log]: access ("stderr"; or "off", "stdout", a file path), format
// ("combined"; or "common", "json").
//
// [tls]: how certificates for tls = "auto" are obtained: email (the ACME
// account's contact; default none), acme_ca (Let's Encrypt's directory),
// acme_ca_root (a PEM root for the CA's own HTTPS; default the system's),
// storage (account, keys, certificates and locks; default
// $XDG_DATA_HOME/brick, else /var/lib/brick when writable, else
// ~/.local/share/brick), renew_interval (10m), challenges (["http-01",
// "tls-alpn-01"]), zerossl_api_key (ZeroSSL as the fallback issuer;
// default none).
//
// [[site]]: hosts, a string or an array of the names the site answers
// for: exact names (case-insensitive, compared without the Host header's
// port), "*.example.com" for any subdomain, IP addresses ("192.0.2.1",
// "[2001:db8::1]"). A site whose hosts are left out, or include "*", is
// the default site and answers every name no other site lists; there is
// at most one, and without one such requests get 404. A name may belong to
// one site only. tls: with listen_tls, how the site is served over HTTPS:
// { cert = "cert.pem", key = "key.pem" } (PEM files; the certificate may
// carry its chain, and must cover every host of the site), "auto" (a
// certificate obtained and renewed from the ACME CA of [tls]; the default
// for a site whose hosts are all public names), "internal" (certificates
// from Brick's own CA, certs.InternalCA, for development and private
// names), or "off" to keep it on the plain listeners only, where the sites
// served over HTTPS are redirected to https://. A site with no hosts, or a
// name that is not public, must say which. The certificate is picked by
// the name the client asks for (SNI): see package certs. The command-line
// modes' -tls-cert and -tls-key (or -tls-internal) compile to listen_tls
// (the -addr addresses) and the one site's tls, and -domain to hosts, tls
// = "auto", listen_tls and listen (QuickTLS).
//
// [[site.route]], tried in file order, the first match answering: path (a
// decoded path prefix starting with "/", without empty, "." or ".."
// segments: "/static/" matches the paths that start with it, "/api"
// matches /api and /api/... but not /apiary; requests are matched once
// their path is decoded and normalized), one action, and: headers (a table
// of response header fields added to every response of the route; not
// the framing ones such as Content-Length), max_body (413 past it;
// default, and at most, [server] max_body), timeout (the deadline of the
// request's context: 504 past it, where the action allows; default none),
// internal (false; true: reachable only by a WSGI application's
// X-Accel-Redirect, 404 from outside, as nginx's internal locations).
// A route that an earlier route of its site shadows (path "/static/"
// after "/") is an error: it would never be reached.
//
// The actions, each a table (inline or not) except handler. The static
// and wsgi tables decode into the packages' own static.Config and
// wsgi.Config, whose defaults (DefaultConfig) and checks (Validate) are
// theirs; each key is the flag of `brick DIR` or `brick wsgi` with
// underscores for dashes:
//
//   - static: root (required; the route's path is taken off the request
//     path, so /static/app.css under root /srv/static is
//     /srv/static/app.css), index ("index.html"), listing (false),
//     cache_control (none), compress (true), compress_min (1K),
//     precompressed (true), dotfiles (false), follow_symlinks (false).
//   - wsgi: app (required, "module:callable", or "module" for
//     module:application, or "module:factory()"), chdir (default: the
//     file's directory), python (default:
//     a python3 that can import the app), workers (0: one per CPU,
//     bounded by a cgroup CPU quota), env (a
//     table of variables), mount (SCRIPT_NAME; default the route's path
//     without its last "/"), timeout (the route's timeout, else 30s; to
//     the response head, then between two parts of a stream), max_stream
//     (0: a stream may last forever), start_timeout (60s), grace (30s), max_requests (0: never recycle),
//     max_requests_jitter (a tenth of max_requests), max_memory (0: no
//     bound), queue (1024), queue_timeout (wsgi.timeout), sendfile_root
//     (none: the directory under which the application's X-Sendfile may
//     name files), preload (false: true imports the application once and
//     forks the workers from it), scheduling ("batch": the workers run
//     under SCHED_BATCH, so that one woken by a request does not preempt
//     Brick on a busy CPU, and Brick's own threads too when it may run on
//     one CPU only; "normal": the default policy).
//   - asgi: decodes into asgi.Config, keys the flags of `brick asgi`:
//     app (required, "module:callable", or "module" for module:app, or
//     "module:factory()"), chdir, python, workers, env, mount (root_path),
//     timeout, start_timeout, grace, max_requests, max_requests_jitter and
//     max_memory and scheduling as for wsgi (timeout bounds a request
//     until its response starts), max_streams (1000: requests one worker holds at once),
//     ws_grace (1h: how long a retiring worker keeps its open WebSockets),
//     ws_ping_interval (20s: a WebSocket silent that long is pinged, and
//     closed after another silent interval), ws_max_size (16MiB: the
//     largest message from a client; past it 1009). The last two are
//     uvicorn's --ws-ping-interval and --ws-max-size.
//   - cgi: root (required: the directory of the scripts; the first
//     segments of the path under the route that name an executable file
//     in it are the script, the rest PATH_INFO), timeout (the route's
//     timeout, else 30s; the script's process group is killed past it),
//     env (a table of variables), pass_authorization (false), temp_dir
//     (where request bodies wait; default the system's). See package
//     gateway/cgi.
//   - php: root (required; as static's, the route's path is taken off the
//     request path), fastcgi (PHP-FPM's address, "unix:/path/to.sock" or
//     "host:port"; default "unix:/run/php/php8.2-fpm.sock"), index
//     ("index.php", also the front controller), timeout (the route's
//     timeout, else 60s), conns (5; at most PHP-FPM's pm.max_children).
//     It decodes into fastcgi.Config; the keys are `brick php`'s flags.
//   - proxy: to (required: an array of "http://host:port" upstreams,
//     names resolved at each new connection), policy (round_robin; or
//     least_conn, random_two, ip_hash, header:NAME, cookie:NAME),
//     strip_prefix (false), timeout (the route's timeout, else 60s: to
//     connect and for each wait on the upstream; 504 past it),
//     trusted_proxies (addresses or networks whose X-Forwarded-* and
//     Forwarded are kept), max_fails (1) and fail_timeout (10s), health_uri
//     (none: no active checks), health_interval (5s), health_status
//     ("2xx"), max_idle (32 idle connections per upstream), keepalive_timeout
//     (60s). See package proxy.
//   - redirect: to (required: an absolute path or a full URL), status
//     (302; or 301, 303, 307, 308), keep_path (false; true appends the rest
//     of the path after the route's prefix, and the query, to "to", joined
//     by one slash: /old/a?b goes to https://example.com/new/a?b).
//   - respond: status (200; 200 to 599), body (""), content_type
//     ("text/plain; charset=utf-8", sent with a body).
//   - handler: the name under which a program that uses Brick as a library
//     registered a Go handler (see CheckHandlers).
//
// # Errors
//
// Parse reports every problem at once as a *Errors, each item with its
// file, line and column: TOML syntax, unknown keys (with the likely key
// meant), values of the wrong type, and what Validate refuses. An error
// prints as
//
//	brick.toml:12:3: route "/" has two actions (static and wsgi); keep one
//
// Parse returns no Options when anything is wrong, so an invalid file
// never replaces a running configuration. Parse and Validate check values
// only; CheckPaths checks that directories exist and that certificates
// load, match their keys and cover their sites' hosts, at apply time and
// in `brick validate`.
//
// # Files
//
//   - options.go: the Options types; defaults.go: the [server] and [log]
//     defaults, Defaults and Provision; flags.go: the server flags.
//   - load.go: Load and Parse; decode.go: the typed decoder of go-toml's
//     tree; schema.go: the tables and keys of the format; suggest.go: the
//     key a misspelt one meant; positions.go: key positions from go-toml's
//     syntax tree.
//   - validate.go: Validate; values.go: hosts, addresses, header syntax;
//     check.go: CheckPaths and CheckHandlers; tls.go: the tls settings,
//     their checks, CertSources and QuickTLS; acme.go: [tls], "auto" and
//     PublicName.
//   - errors.go: Error and Errors.
//
// The package sits above the features whose configurations it holds
// (static, gateway/wsgi) and below the service that runs them; it never
// imports the engine.
package config
