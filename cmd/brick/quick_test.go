package main

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/brick-server/brick/config"
)

// TestFlagsMatchFile proves that the flags of the quick modes and the
// keys of the file configure the same thing: each command line compiles
// to the Options its TOML twin parses to, for the server, log, static and
// wsgi settings. The quick modes' own defaults (listing on for brick DIR,
// no access log, listening on this machine only) are written out in the
// TOML, where they differ.
func TestFlagsMatchFile(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		toml string
	}{{
		name: "brick DIR, defaults",
		args: []string{dir},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
static = { root = "DIR", listing = true }
`,
	}, {
		name: "brick DIR, every server and static flag",
		args: []string{"-addr", "127.0.0.1:9000", "-addr", "[::1]:9000", "-admin", "127.0.0.1:9100",
			"-access-log", "stdout", "-access-log-format", "json", "-v", "-shutdown-timeout", "5",
			"-reload-grace", "1m", "-reuseport", "-backlog", "100", "-goroutine-per-conn", "-max-conns", "10",
			"-max-body", "1MiB", "-max-header", "16KiB", "-read-header-timeout", "2s", "-read-timeout", "1m", "-write-timeout", "90",
			"-idle-timeout", "1.5", "-h2c=false",
			dir,
			"-index", "home.html", "-listing=false", "-cache-control", "max-age=60", "-compress=false",
			"-compress-min", "4KiB", "-precompressed=false", "-dotfiles", "-follow-symlinks"},
		toml: `
[server]
listen = ["127.0.0.1:9000", "[::1]:9000"]
admin = "127.0.0.1:9100"
trace = true
shutdown_timeout = "5s"
reload_grace = "60"
reuseport = true
backlog = 100
goroutine_per_conn = true
max_conns = 10
max_body = "1MiB"
max_header = "16KiB"
read_header_timeout = "2"
read_timeout = "1m"
write_timeout = "1m30s"
idle_timeout = "1500ms"
h2c = false
[log]
access = "stdout"
format = "json"
[[site]]
[[site.route]]
path = "/"
static = { root = "DIR", index = "home.html", listing = false, cache_control = "max-age=60", compress = false, compress_min = 4096, precompressed = false, dotfiles = true, follow_symlinks = true }
`,
	}, {
		name: "brick, the welcome site",
		args: nil,
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
handler = "welcome"
`,
	}, {
		name: "brick DIR over HTTPS",
		args: []string{"-addr", "127.0.0.1:9443", "-tls-cert", "/etc/c.pem", dir, "-tls-key", "/etc/k.pem"},
		toml: `
[server]
listen_tls = ["127.0.0.1:9443"]
[log]
access = "off"
[[site]]
tls = { cert = "/etc/c.pem", key = "/etc/k.pem" }
[[site.route]]
path = "/"
static = { root = "DIR", listing = true }
`,
	}, {
		name: "brick wsgi over HTTPS, the default address",
		args: []string{"wsgi", "-tls-cert", "/etc/c.pem", "-tls-key", "/etc/k.pem", "app"},
		toml: `
[server]
listen_tls = ["127.0.0.1:8888"]
[log]
access = "off"
[[site]]
tls = { cert = "/etc/c.pem", key = "/etc/k.pem" }
[[site.route]]
path = "/"
wsgi = { app = "app" }
`,
	}, {
		name: "brick -domain DIR, the defaults",
		args: []string{"-domain", "example.com", dir, "-domain", "WWW.example.com"},
		toml: `
[server]
listen = [":80"]
listen_tls = [":443"]
[log]
access = "off"
[[site]]
hosts = ["example.com", "www.example.com"]
tls = "auto"
[[site.route]]
path = "/"
static = { root = "DIR", listing = true }
`,
	}, {
		name: "brick proxy -domain, every [tls] flag",
		args: []string{"proxy", "-domain", "example.com", "-addr", "127.0.0.1:8443", "-http-addr", "127.0.0.1:8080",
			"-email", "ops@example.com", "-acme-ca", "https://ca.test/dir", "-acme-ca-root", "/etc/root.pem",
			"-storage", "/srv/brick", "-renew-interval", "1m", "-zerossl-api-key", "zk", "127.0.0.1:8000"},
		toml: `
[server]
listen = ["127.0.0.1:8080"]
listen_tls = ["127.0.0.1:8443"]
[log]
access = "off"
[tls]
email = "ops@example.com"
acme_ca = "https://ca.test/dir"
acme_ca_root = "/etc/root.pem"
storage = "/srv/brick"
renew_interval = "60s"
zerossl_api_key = "zk"
[[site]]
hosts = ["example.com"]
[[site.route]]
path = "/"
proxy = { to = ["http://127.0.0.1:8000"] }
`,
	}, {
		name: "brick wsgi, defaults",
		args: []string{"wsgi", "mysite.wsgi:application"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
wsgi = { app = "mysite.wsgi:application" }
`,
	}, {
		name: "brick wsgi, every flag",
		args: []string{"wsgi", "-chdir", "/srv/mysite", "-python", "/usr/bin/python3", "-workers", "3",
			"-env", "A=1", "-env", "B=x=y", "-mount", "/app", "-timeout", "45", "-start-timeout", "1m",
			"-grace", "10s", "-max-requests", "1000", "-max-requests-jitter", "7", "-max-memory", "512M", "-scheduling", "normal",
			"-queue", "10", "-queue-timeout", "5", "-access-log", "stderr", "mysite.wsgi:application"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "stderr"
[[site]]
[[site.route]]
path = "/app"
wsgi = { app = "mysite.wsgi:application", chdir = "/srv/mysite", python = "/usr/bin/python3", workers = 3, env = { A = "1", B = "x=y" }, timeout = "45s", start_timeout = "60", grace = "10", max_requests = 1000, max_requests_jitter = 7, max_memory = "512MiB", scheduling = "normal", queue = 10, queue_timeout = "5s" }
`,
	}, {
		name: "brick wsgi, the jitter derived from max-requests",
		args: []string{"wsgi", "-max-requests", "1000", "app"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
wsgi = { app = "app", max_requests = 1000 }
`,
	}, {
		name: "brick asgi, defaults",
		args: []string{"asgi", "main:app"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
asgi = { app = "main:app" }
`,
	}, {
		name: "brick asgi, every flag",
		args: []string{"asgi", "-chdir", "/srv/mysite", "-python", "/usr/bin/python3", "-workers", "3",
			"-env", "A=1", "-env", "B=x=y", "-mount", "/app", "-timeout", "45", "-start-timeout", "1m",
			"-grace", "10s", "-max-requests", "1000", "-max-requests-jitter", "7", "-max-memory", "512M", "-scheduling", "normal",
			"-max-streams", "50", "-ws-ping-interval", "5s", "-ws-max-size", "1MiB", "-access-log", "stderr", "mysite.asgi:application"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "stderr"
[[site]]
[[site.route]]
path = "/app"
asgi = { app = "mysite.asgi:application", chdir = "/srv/mysite", python = "/usr/bin/python3", workers = 3, env = { A = "1", B = "x=y" }, timeout = "45s", start_timeout = "60", grace = "10", max_requests = 1000, max_requests_jitter = 7, max_memory = "512MiB", scheduling = "normal", max_streams = 50, ws_ping_interval = "5s", ws_max_size = "1MiB" }
`,
	}, {
		name: "brick asgi, a factory and the jitter derived from max-requests",
		args: []string{"asgi", "-max-requests", "1000", "pkg:create_app()"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
asgi = { app = "pkg:create_app()", max_requests = 1000 }
`,
	}, {
		name: "brick proxy, defaults",
		args: []string{"proxy", "127.0.0.1:8000"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
proxy = { to = ["http://127.0.0.1:8000"] }
`,
	}, {
		name: "brick proxy, every flag",
		args: []string{"proxy", "http://a:1", "-to", "b:2", "-policy", "cookie:s", "-strip-prefix", "-timeout", "5",
			"-trusted-proxies", "10.0.0.0/8", "-trusted-proxies", "::1", "-max-fails", "3", "-fail-timeout", "30s",
			"-health-uri", "/up", "-health-interval", "2", "-health-status", "204", "-max-idle", "4",
			"-keepalive-timeout", "1m", "http://c:3"},
		toml: `
[server]
listen = "127.0.0.1:8888"
[log]
access = "off"
[[site]]
[[site.route]]
path = "/"
proxy = { to = ["http://a:1", "http://b:2", "http://c:3"], policy = "cookie:s", strip_prefix = true, timeout = "5s", trusted_proxies = ["10.0.0.0/8", "::1"], max_fails = 3, fail_timeout = "30", health_uri = "/up", health_interval = "2s", health_status = "204", max_idle = 4, keepalive_timeout = "60s" }
`,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			var q *quick
			code := -1
			switch {
			case len(tc.args) > 0 && tc.args[0] == "wsgi":
				q, code = compileWSGI(tc.args[1:], io.Discard, &stderr)
			case len(tc.args) > 0 && tc.args[0] == "asgi":
				q, code = compileASGI(tc.args[1:], io.Discard, &stderr)
			case len(tc.args) > 0 && tc.args[0] == "proxy":
				q, code = compileProxy(tc.args[1:], io.Discard, &stderr)
			default:
				q, code = compileServe(tc.args, io.Discard, &stderr)
			}
			if code >= 0 {
				t.Fatalf("compile(%q): exit %d: %s", tc.args, code, stderr.String())
			}
			file, err := config.Parse([]byte(strings.ReplaceAll(tc.toml, "DIR", dir)), "brick.toml")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, want := comparable(q.opts), comparable(file)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("flags and file differ:\nflags: %s\nfile:  %s", show(got), show(want))
			}
		})
	}
}

// comparable is what flags and file must agree on: everything but where
// the file was and its line numbers.
func comparable(o *config.Options) config.Options {
	c := config.Options{Server: o.Server, Log: o.Log}
	for _, s := range o.Sites {
		s.Line = 0
		routes := append([]config.Route(nil), s.Routes...)
		for i := range routes {
			routes[i].Line = 0
		}
		s.Routes = routes
		c.Sites = append(c.Sites, s)
	}
	return c
}

func show(o config.Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%+v %+v", o.Server, o.Log)
	for _, s := range o.Sites {
		for _, r := range s.Routes {
			fmt.Fprintf(&b, " route %+v", r)
			if r.Static != nil {
				fmt.Fprintf(&b, " static %+v", *r.Static)
			}
			if r.WSGI != nil {
				fmt.Fprintf(&b, " wsgi %+v", *r.WSGI)
			}
			if r.Proxy != nil {
				fmt.Fprintf(&b, " proxy %+v", *r.Proxy)
			}
		}
	}
	return b.String()
}

// TestQuickFlagErrors: a bad value is refused before anything starts,
// naming the flag, never wrapped or replaced by a default.
func TestQuickFlagErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"timeout inf", []string{"wsgi", "-timeout", "inf", "app"}, `invalid value "inf" for flag -timeout`},
		{"timeout NaN", []string{"wsgi", "-timeout", "NaN", "app"}, `invalid value "NaN" for flag -timeout`},
		{"timeout overflow", []string{"wsgi", "-timeout", "1e300", "app"}, `invalid value "1e300" for flag -timeout`},
		{"timeout zero", []string{"wsgi", "-timeout", "0", "app"}, "brick wsgi: -timeout: wsgi timeout must be positive"},
		{"asgi timeout zero", []string{"asgi", "-timeout", "0", "app"}, "brick asgi: -timeout: asgi timeout must be positive"},
		{"asgi ws-max-size too large", []string{"asgi", "-ws-max-size", "2GiB", "app"}, "brick asgi: -ws-max-size: asgi ws_max_size must be at least 1 byte and less than 1GiB"},
		{"asgi ws-ping-interval zero", []string{"asgi", "-ws-ping-interval", "0s", "app"}, "brick asgi: -ws-ping-interval: asgi ws_ping_interval must be positive"},
		{"asgi app not a module", []string{"asgi", "my/main.py"}, `brick asgi: asgi app "my/main.py" is not a Python module path`},
		{"max-memory wraps negative", []string{"wsgi", "-max-memory", "9000000000G", "app"}, "too large"},
		{"max-memory wraps to 0", []string{"wsgi", "-max-memory", "17179869184G", "app"}, "too large"},
		{"max-memory negative", []string{"wsgi", "-max-memory", "-1", "app"}, "cannot be negative"},
		{"workers negative", []string{"wsgi", "-workers", "-2", "app"}, "brick wsgi: -workers: wsgi workers must not be negative"},
		{"bad application", []string{"wsgi", "my/app.py"}, "brick wsgi: wsgi app \"my/app.py\" is not a Python module path"},
		{"bad mount", []string{"wsgi", "-mount", "app/", "app"}, "brick wsgi: -mount: wsgi mount \"app/\" must be"},
		{"compress-min overflow", []string{"-compress-min", "99999999999T", dir}, "too large"},
		{"bad index", []string{"-index", "../x", dir}, "brick: -index: static index \"../x\" must be a plain file name"},
		{"bad format", []string{"-access-log-format", "xml"}, "brick: -access-log-format: log.format \"xml\" is not one of"},
		{"bad admin", []string{"-admin", "nowhere"}, "brick: -admin: admin: \"nowhere\" is not host:port"},
		{"proxy without upstream", []string{"proxy"}, "brick proxy: say where to send the requests"},
		{"proxy ca without https", []string{"proxy", "-ca", "ca.pem", "a:1"}, "proxy ca applies to https upstreams"},
		{"proxy bad policy", []string{"proxy", "-policy", "fastest", "a:1"}, "brick proxy: -policy: proxy policy \"fastest\" is unknown"},
		{"zero shutdown", []string{"-shutdown-timeout", "0s"}, "brick: -shutdown-timeout: server.shutdown_timeout must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(tc.args, io.Discard, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
			}
		})
	}
}
