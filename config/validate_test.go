package config

import (
	"errors"
	"strings"
	"testing"
)

// route is a file with one default site around the given route lines,
// which start at line 3.
func route(lines string) string {
	return "[[site]]\n[[site.route]]\n" + lines + "\n"
}

// TestParseErrors has one case per problem Parse reports, with the exact
// text, line and column of each error.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		// TOML itself.
		{"syntax", "[server\nlisten = 1\n", []string{`brick.toml:1:8: expected ']' to close table name`}},
		{"syntax after a byte order mark", "\ufeff[server\n", []string{`brick.toml:1:8: expected ']' to close table name`}},
		{"duplicate key", "[server]\nbacklog = 1\nbacklog = 2\n", []string{`brick.toml:3:1: key backlog is already defined`}},

		// Unknown keys.
		{"typo in server", "[server]\nlisen = [\":80\"]\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: unknown key "lisen" in [server]; did you mean "listen"?`}},
		{"server key at top level", "listen = \":80\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:1:1: unknown key "listen" at the top level; it belongs in [server]`}},
		{"route at top level", "[[route]]\npath = \"/\"\n",
			[]string{
				`brick.toml:1:1: unknown key "route" at the top level; routes belong to a site: write [[site]], then [[site.route]]`,
				`brick.toml: the file declares no site; add a [[site]] with at least one [[site.route]]`,
			}},
		{"route key in site", "[[site]]\npath = \"/\"\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: unknown key "path" in [[site]]; path belongs to a route: write [[site.route]] before it`}},
		{"typo in route", route(`path = "/"` + "\nhandler = \"h\"\nmaxbody = \"1M\""),
			[]string{`brick.toml:5:1: unknown key "maxbody" in [[site.route]]; did you mean "max_body"?`}},
		{"misspelt action", route(`path = "/"` + "\nstatik = { root = \"/srv\" }"),
			[]string{
				`brick.toml:2:1: route "/" has no action; give one of static, wsgi, asgi, cgi, php, proxy, redirect, respond or handler`,
				`brick.toml:4:1: unknown key "statik" in [[site.route]]; did you mean "static"?`,
			}},
		{"unknown key in static", route(`path = "/"` + "\nstatic = { root = \"/srv\", gzip = true }"),
			[]string{`brick.toml:4:27: unknown key "gzip" in static; known keys: root, index, listing, cache_control, compress, compress_min, precompressed, dotfiles, follow_symlinks`}},
		{"unknown key in cgi", route(`path = "/cgi-bin/"` + "\ncgi = { root = \"/srv\", dir = \"x\" }"),
			[]string{`brick.toml:4:24: unknown key "dir" in cgi; known keys: root, timeout, env, pass_authorization, temp_dir`}},
		{"cgi without root", route(`path = "/cgi-bin/"` + "\ncgi = { timeout = \"0s\", env = { \"\" = \"x\" } }"),
			[]string{
				`brick.toml:4:1: cgi root is missing; give the directory of the scripts, e.g. root = "/srv/cgi-bin"`,
				`brick.toml:4:9: cgi timeout must be positive`,
				`brick.toml:4:25: cgi env entry "=x" is not NAME=value`,
			}},
		{"proxy without upstreams, bad policy and scheme", route(`path = "/api/"` + "\nproxy = { policy = \"fastest\" }\n[[site.route]]\npath = \"/b/\"\nproxy = { to = [\"ftp://x:1\"], trusted_proxies = [\"nowhere\"] }"),
			[]string{
				`brick.toml:4:1: proxy needs at least one upstream; write to = ["http://127.0.0.1:8000"]`,
				`brick.toml:4:11: proxy policy "fastest" is unknown; give round_robin, least_conn, random_two, ip_hash, header:NAME or cookie:NAME`,
				`brick.toml:7:11: upstream "ftp://x:1" must start with "http://" or "https://", e.g. "http://127.0.0.1:8000"`,
				`brick.toml:7:50: trusted_proxies: "nowhere" is neither an address nor a network such as "10.0.0.0/8"`,
			}},
		{"proxy tls options without https", route(`path = "/api/"` + "\nproxy = { to = [\"http://x:1\"], ca = \"ca.pem\", tls_insecure_skip_verify = true }"),
			[]string{
				`brick.toml:4:32: proxy ca applies to https upstreams; none of to is https://`,
				`brick.toml:4:47: proxy tls_insecure_skip_verify applies to https upstreams; none of to is https://`,
				`brick.toml:4:47: proxy tls_insecure_skip_verify ignores the ca given; remove one of them`,
			}},
		{"unknown key in wsgi", route(`path = "/"` + "\n[site.route.wsgi]\napp = \"a:b\"\nworker = 2"),
			[]string{`brick.toml:6:1: unknown key "worker" in wsgi; did you mean "workers"?`}},

		// Types.
		{"backlog string", "[server]\nbacklog = \"4096\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: backlog must be an integer, not a string`}},
		{"reuseport string", "[server]\nreuseport = \"yes\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: reuseport must be true or false, not a string`}},
		{"listen integer", "[server]\nlisten = 8080\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: listen must be a string or an array of strings, not an integer`}},
		{"listen element integer", "[server]\nlisten = [\":80\", 81]\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:18: listen must hold strings, not an integer`}},
		{"duration integer", route(`path = "/"` + "\nhandler = \"h\"\ntimeout = 30"),
			[]string{`brick.toml:5:1: timeout must be a duration string such as "30s", not an integer`}},
		{"duration syntax", route(`path = "/"` + "\nhandler = \"h\"\ntimeout = \"30 seconds\""),
			[]string{`brick.toml:5:1: timeout: "30 seconds" is not a duration; write e.g. "30s", "1m30s", "500ms", or a number of seconds`}},
		{"duration zero", "[server]\nshutdown_timeout = \"0s\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: server.shutdown_timeout must be positive`}},
		{"duration negative", route(`path = "/"` + "\nwsgi = { app = \"a\", grace = \"-1s\" }"),
			[]string{`brick.toml:4:21: grace: "-1s": a duration cannot be negative`}},
		{"size syntax", route(`path = "/"` + "\nhandler = \"h\"\nmax_body = \"10 megs\""),
			[]string{`brick.toml:5:1: max_body: "10 megs" is not a size; write e.g. "10MiB", "512K" or a number of bytes`}},
		{"size zero", route(`path = "/"` + "\nhandler = \"h\"\nmax_body = 0"),
			[]string{`brick.toml:5:1: max_body must be at least 1 byte; leave it out for the default`}},
		{"size negative", route(`path = "/"` + "\nwsgi = { app = \"a\", max_memory = -1 }"),
			[]string{`brick.toml:4:21: max_memory must not be negative`}},
		{"scheduling unknown", route(`path = "/"` + "\nasgi = { app = \"a:app\", scheduling = \"fifo\" }"),
			[]string{`brick.toml:4:25: asgi scheduling "fifo" is not a policy: give "batch" (the default) or "normal"`}},
		{"size float", route(`path = "/"` + "\nhandler = \"h\"\nmax_body = 1.5"),
			[]string{`brick.toml:5:1: max_body must be a size such as "10MiB" or a number of bytes, not a float`}},
		{"size overflow", route(`path = "/"` + "\nhandler = \"h\"\nmax_body = \"9999999999T\""),
			[]string{`brick.toml:5:1: max_body: "9999999999T" is too large; the largest size is 8EiB-1 (9223372036854775807 bytes)`}},
		{"integer below range", route(`path = "/"` + "\nwsgi = { app = \"a\", workers = -1 }"),
			[]string{`brick.toml:4:21: workers must be between 0 and 2147483647, not -1`}},
		{"jitter negative", route(`path = "/"` + "\nwsgi = { app = \"a\", max_requests_jitter = -1 }"),
			[]string{`brick.toml:4:21: max_requests_jitter must be between 0 and 2147483647, not -1`}},
		{"action not a table", route(`path = "/"` + "\nstatic = \"/srv/www\""),
			[]string{`brick.toml:4:1: static must be a table, not a string`}},
		{"handler not a string", route(`path = "/"` + "\nhandler = 1"),
			[]string{`brick.toml:4:1: handler must be a string, not an integer`}},
		{"date value", route(`path = "/"` + "\nhandler = 1979-05-27"),
			[]string{`brick.toml:4:1: handler must be a string, not a date or time`}},
		{"header not a string", route(`path = "/"` + "\nhandler = \"h\"\nheaders = { X-Count = 1 }"),
			[]string{`brick.toml:5:13: headers: the value of X-Count must be a string, not an integer`}},
		{"env not a table", route(`path = "/"` + "\nwsgi = { app = \"a\", env = [\"A=1\"] }"),
			[]string{`brick.toml:4:21: env must be a table, not an array`}},
		{"site as a table", "[site]\nhosts = [\"a.example\"]\n",
			[]string{`brick.toml:1:1: site is a single table; write [[site]] for each one`}},
		{"route without site", "[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:1:1: site is a single table; write [[site]] for each one`}},
		{"routes as a string", "[[site]]\nroute = \"/\"\n",
			[]string{`brick.toml:2:1: route must be an array of tables ([[site.route]]), not a string`}},

		// [server] and [log].
		{"listen not host:port", "[server]\nlisten = [\"8080\"]\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:11: listen: "8080" is not host:port (e.g. ":8080", "127.0.0.1:8080", "[::]:8443")`}},
		{"listen bad port", "[server]\nlisten = \":http\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: listen: ":http": the port must be a number from 0 to 65535`}},
		{"listen port too big", "[server]\nlisten = \":65536\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: listen: ":65536": the port must be a number from 0 to 65535`}},
		{"listen bad host", "[server]\nlisten = \"my host:80\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: listen: "my host:80": "my host" is neither an IP address nor a host name`}},
		{"listen twice", "[server]\nlisten = [\":80\", \":80\"]\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:18: listen: ":80" is given twice`}},
		{"listen empty", "[server]\nlisten = []\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: server.listen is empty; give at least one address, e.g. ":8080" (or listen_tls for HTTPS)`}},
		{"admin bad", "[server]\nadmin = \"9100\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: admin: "9100" is not host:port (e.g. ":8080", "127.0.0.1:8080", "[::]:8443")`}},
		{"admin is a listener", "[server]\nlisten = \":80\"\nadmin = \":80\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:3:1: admin: ":80" is also a listen address; the admin listener needs its own`}},
		{"backlog zero", "[server]\nbacklog = 0\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: backlog must be between 1 and 2147483647, not 0`}},
		{"log format", "[log]\nformat = \"apache\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: log.format "apache" is not one of "common", "combined", "json"`}},
		{"log access empty", "[log]\naccess = \"\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: log.access is empty; write "off", "stderr", "stdout" or a file path`}},

		// Sites.
		{"no site", "[server]\nlisten = \":80\"\n",
			[]string{`brick.toml: the file declares no site; add a [[site]] with at least one [[site.route]]`}},
		{"site without routes", "[[site]]\nhosts = [\"a.example\"]\n",
			[]string{`brick.toml:1:1: the site has no routes; add a [[site.route]] after its [[site]]`}},
		{"hosts empty", "[[site]]\nhosts = []\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: hosts is empty; leave it out, or write ["*"], for the default site`}},
		{"host with port", "[[site]]\nhosts = [\"a.example:8080\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: host "a.example:8080" has a port; write the name alone ("a.example"): a site answers on every listener`}},
		{"host wildcard inside", "[[site]]\nhosts = [\"a.*.example\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: host "a.*.example" is not a host name: "*" may only stand alone or start a name ("*.example.com")`}},
		{"host unicode", "[[site]]\nhosts = [\"bücher.example\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: host "bücher.example" is not a host name: write an international name in its ASCII (xn--) form`}},
		{"host empty label", "[[site]]\nhosts = [\"a..example\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: host "a..example" is not a host name: it has an empty label`}},
		{"host bad character", "[[site]]\nhosts = [\"a/b\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: host "a/b" is not a host name: "/" is not allowed`}},
		{"host twice in a site", "[[site]]\nhosts = [\"a.example\", \"A.example.\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:2:1: host "a.example" is listed twice`}},
		{"host in two sites", "[[site]]\nhosts = [\"a.example\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n" +
			"[[site]]\nhosts = [\"b.example\", \"a.example\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:7:1: host "a.example" is already served by the site at line 1`}},
		{"two default sites", "[[site]]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n" +
			"[[site]]\nhosts = [\"*\"]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n",
			[]string{`brick.toml:5:1: a second default site: the site at line 1 is already the default (a site whose hosts are left out, or include "*", is the default)`}},

		// Routes.
		{"no path", route(`handler = "h"`),
			[]string{`brick.toml:2:1: the route has no path; give a prefix such as path = "/"`}},
		{"relative path", route(`path = "static/"` + "\nhandler = \"h\""),
			[]string{`brick.toml:3:1: path "static/" must start with "/"`}},
		{"path with query", route(`path = "/a?b"` + "\nhandler = \"h\""),
			[]string{`brick.toml:3:1: path "/a?b": a route matches the path alone, without "?" or "#"`}},
		{"path with control character", route(`path = "/a\tb"` + "\nhandler = \"h\""),
			[]string{`brick.toml:3:1: path "/a\tb" contains a control character`}},
		{"path with backslash", route(`path = '/a\b'` + "\nhandler = \"h\""),
			[]string{`brick.toml:3:1: path "/a\\b" contains a backslash`}},
		{"path percent-encoded", route(`path = "/caf%C3%A9/"` + "\nhandler = \"h\""),
			[]string{`brick.toml:3:1: path "/caf%C3%A9/" looks percent-encoded; write it decoded ("/café/", "/a b/"): requests are matched once decoded`}},
		{"path with empty segment", route(`path = "/a//b"` + "\nhandler = \"h\""),
			[]string{`brick.toml:3:1: path "/a//b" has an empty segment ("//")`}},
		{"path with dot segment", route(`path = "/a/../b"` + "\nhandler = \"h\""),
			[]string{`brick.toml:3:1: path "/a/../b" has a ".." segment; requests are matched after those are removed`}},
		{"no action", route(`path = "/"`),
			[]string{`brick.toml:2:1: route "/" has no action; give one of static, wsgi, asgi, cgi, php, proxy, redirect, respond or handler`}},
		{"two actions", route(`path = "/"` + "\nstatic = { root = \"/srv\" }\nwsgi = { app = \"a:b\" }"),
			[]string{`brick.toml:2:1: route "/" has two actions (static and wsgi); keep one`}},
		{"three actions", route(`path = "/"` + "\nhandler = \"h\"\nrespond = {}\nredirect = { to = \"/x\" }"),
			[]string{`brick.toml:2:1: route "/" has three actions (redirect, respond and handler); keep one`}},
		{"shadowed by /", route(`path = "/"` + "\nhandler = \"h\"\n[[site.route]]\npath = \"/static/\"\nstatic = { root = \"/srv\" }"),
			[]string{`brick.toml:5:1: route "/static/" is never reached: route "/" (line 2) comes first and matches every request it would; put the longer path first`}},
		{"shadowed segment-wise", route(`path = "/api"` + "\nhandler = \"h\"\n[[site.route]]\npath = \"/api/v2/\"\nhandler = \"v2\""),
			[]string{`brick.toml:5:1: route "/api/v2/" is never reached: route "/api" (line 2) comes first and matches every request it would; put the longer path first`}},
		{"same path twice", route(`path = "/x"` + "\nhandler = \"h\"\n[[site.route]]\npath = \"/x\"\nhandler = \"h2\""),
			[]string{`brick.toml:5:1: route "/x" is never reached: route "/x" (line 2) comes first and matches every request it would; put the longer path first`}},
		{"max_body above the server's", "[server]\nmax_body = \"1M\"\n" + route(`path = "/"`+"\nhandler = \"h\"\nmax_body = \"2M\""),
			[]string{`brick.toml:7:1: max_body 2MiB is above [server] max_body 1MiB, which bounds every request; raise that one too`}},
		{"max_body below one", "[server]\nmax_body = \"0K\"\n" + route(`path = "/"`+"\nhandler = \"h\""),
			[]string{`brick.toml:2:1: max_body must be at least 1 byte; leave it out for the default`}},

		// Actions.
		{"static without root", route(`path = "/"` + "\nstatic = { listing = true }"),
			[]string{`brick.toml:4:1: static root is empty; give the directory to serve`}},
		{"static index with slash", route(`path = "/"` + "\nstatic = { root = \"/srv\", index = \"a/index.html\" }"),
			[]string{`brick.toml:4:27: static index "a/index.html" must be a plain file name such as "index.html"`}},
		{"static cache_control line break", route(`path = "/"` + "\nstatic = { root = \"/srv\", cache_control = \"max-age=1\\r\\nX: y\" }"),
			[]string{`brick.toml:4:27: static cache_control contains a line break`}},
		{"wsgi without app", route(`path = "/"` + "\nwsgi = { workers = 2 }"),
			[]string{`brick.toml:4:1: wsgi app is missing; give module:callable, e.g. app = "mysite.wsgi:application"`}},
		{"wsgi app not module:callable", route(`path = "/"` + "\nwsgi = { app = \"mysite/wsgi.py\" }"),
			[]string{`brick.toml:4:10: wsgi app "mysite/wsgi.py" is not a Python module path and callable, module:callable (e.g. "mysite.wsgi:application", "app:create_app()")`}},
		{"wsgi app empty callable", route(`path = "/"` + "\nwsgi = { app = \"mysite.wsgi:\" }"),
			[]string{`brick.toml:4:10: wsgi app "mysite.wsgi:" is not a Python module path and callable, module:callable (e.g. "mysite.wsgi:application", "app:create_app()")`}},
		{"wsgi env NUL", route(`path = "/"` + "\nwsgi = { app = \"a\", env = { A = \"x\\u0000y\" } }"),
			[]string{`brick.toml:4:29: wsgi env A contains a NUL byte`}},
		{"wsgi mount with slash", route(`path = "/app/"` + "\nwsgi = { app = \"a\", mount = \"/app/\" }"),
			[]string{`brick.toml:4:21: wsgi mount "/app/" must be "" or a path starting, and not ending, with "/" (e.g. "/app")`}},
		{"wsgi mount outside the route", route(`path = "/"` + "\nwsgi = { app = \"a\", mount = \"/app\" }"),
			[]string{`brick.toml:4:21: wsgi mount "/app" does not hold the route's path "/": the application would answer 404 to the route's requests`}},
		{"wsgi queue zero", route(`path = "/"` + "\nwsgi = { app = \"a\", queue = 0 }"),
			[]string{`brick.toml:4:21: queue must be between 1 and 2147483647, not 0`}},
		{"redirect without to", route(`path = "/"` + "\nredirect = { status = 301 }"),
			[]string{`brick.toml:4:1: redirect "to" is empty; give a path ("/new/") or a URL ("https://example.com/new/")`}},
		{"redirect relative", route(`path = "/"` + "\nredirect = { to = \"new/\" }"),
			[]string{`brick.toml:4:14: redirect to "new/" must be an absolute path ("/new/") or a full URL ("https://example.com/new/")`}},
		{"redirect with space", route(`path = "/"` + "\nredirect = { to = \"/a b\" }"),
			[]string{`brick.toml:4:14: redirect to "/a b" contains a space or a control character; percent-encode it`}},
		{"redirect status", route(`path = "/"` + "\nredirect = { to = \"/x\", status = 300 }"),
			[]string{`brick.toml:4:25: redirect status 300 is not one of 301, 302, 303, 307, 308`}},
		{"keep_path with query", route(`path = "/old/"` + "\nredirect = { to = \"/new/?a=1\", keep_path = true }"),
			[]string{`brick.toml:4:14: redirect to "/new/?a=1" has a query or fragment, but keep_path appends the rest of the path and the query to it`}},
		{"respond 1xx", route(`path = "/"` + "\nrespond = { status = 100 }"),
			[]string{`brick.toml:4:13: respond status 100 must be from 200 to 599: 1xx responses are interim, never final`}},
		{"respond 600", route(`path = "/"` + "\nrespond = { status = 600 }"),
			[]string{`brick.toml:4:13: respond status 600 must be from 200 to 599`}},
		{"respond 204 with body", route(`path = "/"` + "\nrespond = { status = 204, body = \"x\" }"),
			[]string{`brick.toml:4:27: a 204 response has no body (RFC 9110 §15); remove body`}},
		{"respond content_type line break", route(`path = "/"` + "\nrespond = { content_type = \"text/plain\\nX: y\" }"),
			[]string{`brick.toml:4:13: respond content_type contains a line break`}},
		{"handler empty", route(`path = "/"` + "\nhandler = \"\""),
			[]string{`brick.toml:4:1: handler is empty; give the name the program registered the handler under`}},
		{"handler with space", route(`path = "/"` + "\nhandler = \"my api\""),
			[]string{`brick.toml:4:1: handler name "my api" contains spaces or control characters`}},

		// Headers.
		{"header name not a token", route(`path = "/"` + "\nhandler = \"h\"\nheaders = { \"X Frame\" = \"DENY\" }"),
			[]string{"brick.toml:5:13: header name \"X Frame\" is not a valid field name (letters, digits and !#$%&'*+-.^_`|~)"}},
		{"header frames the message", route(`path = "/"` + "\nhandler = \"h\"\nheaders = { Transfer-Encoding = \"chunked\" }"),
			[]string{`brick.toml:5:13: header Transfer-Encoding is the server's to set: it frames the message or manages the connection`}},
		{"header twice", route(`path = "/"` + "\nhandler = \"h\"\nheaders = { X-A = \"1\", x-a = \"2\" }"),
			[]string{`brick.toml:5:24: header x-a is set twice (names are case-insensitive)`}},
		{"header value line break", route(`path = "/"` + "\nhandler = \"h\"\nheaders = { X-A = \"1\\r\\nSet-Cookie: a=b\" }"),
			[]string{`brick.toml:5:13: the value of header X-A contains a line break`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse([]byte(tc.input), "brick.toml")
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", o)
			}
			if o != nil {
				t.Errorf("Parse returned options with its error")
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is a %T, not a *Errors: %v", err, err)
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("input:\n%s\ngot:\n%s\nwant:\n%s", tc.input, err, strings.Join(tc.want, "\n"))
			}
			for _, e := range errs.List {
				if e.File != "brick.toml" || e.Message == "" {
					t.Errorf("error without file or message: %+v", e)
				}
			}
		})
	}
}
