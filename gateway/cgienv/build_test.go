package cgienv

import (
	"crypto/tls"
	"errors"
	"slices"
	"testing"

	"github.com/brick-server/brick/web"
)

const absent = "\x00absent" // a want value: the key must not be passed

type buildTest struct {
	name    string
	raw     string
	opt     *Options
	bodyLen int64
	remote  string // netip.AddrPort syntax; "" for none
	local   string
	want    map[string]string
	wantErr error
}

// head makes a request head from a request line and field lines.
func head(line string, fields ...string) string {
	s := line + "\r\n"
	for _, f := range fields {
		s += f + "\r\n"
	}
	return s + "\r\n"
}

func get(target string, fields ...string) string {
	return head("GET "+target+" HTTP/1.1", append([]string{"Host: example.com"}, fields...)...)
}

var buildTests = []buildTest{
	// Mount point and path decoding.
	{name: "root mount", raw: get("/a/b?x=1"), bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "", "PATH_INFO": "/a/b", "QUERY_STRING": "x=1"}},
	{name: "slash mount is root", raw: get("/a/b"), opt: &Options{ScriptName: "/"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "", "PATH_INFO": "/a/b"}},
	{name: "root mount, root path", raw: get("/"), bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "", "PATH_INFO": "/"}},
	{name: "under mount", raw: get("/app/users/42"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/users/42"}},
	{name: "mount slashes normalised", raw: get("/app/x"), opt: &Options{ScriptName: "app/"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/x"}},
	{name: "path is the mount", raw: get("/app"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": ""}},
	{name: "path is the mount with slash", raw: get("/app/"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/"}},
	{name: "path is the mount with query", raw: get("/app?q"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "", "QUERY_STRING": "q"}},
	{name: "prefix is not a segment", raw: get("/application"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		wantErr: ErrOutsideMount},
	{name: "root outside mount", raw: get("/"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		wantErr: ErrOutsideMount},
	{name: "mount is case-sensitive", raw: get("/APP/x"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		wantErr: ErrOutsideMount},
	{name: "double slash before mount", raw: get("//app/x"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		wantErr: ErrOutsideMount},
	{name: "deep mount", raw: get("/a/b/c"), opt: &Options{ScriptName: "/a/b"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/a/b", "PATH_INFO": "/c"}},
	{name: "deep mount prefix", raw: get("/a/bc"), opt: &Options{ScriptName: "/a/b"}, bodyLen: -1,
		wantErr: ErrOutsideMount},
	{name: "encoded mount matches decoded", raw: get("/ap%70/x"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/x", "REQUEST_URI": "/ap%70/x"}},
	{name: "encoded slash decoded", raw: get("/a%2Fb%2fc"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/a/b/c", "REQUEST_URI": "/a%2Fb%2fc", "RAW_URI": "/a%2Fb%2fc"}},
	{name: "encoded slash after mount", raw: get("/app%2Fx"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/x"}},
	{name: "decoded once", raw: get("/a%252Fb"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/a%2Fb"}},
	{name: "empty segments kept", raw: get("/app//x/"), opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"PATH_INFO": "//x/"}},
	{name: "utf-8 bytes", raw: get("/caf%C3%A9"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/caf\xc3\xa9"}},
	{name: "latin-1 byte", raw: get("/%E9"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/\xe9"}},
	{name: "space and plus", raw: get("/a%20b+c?a+b=%20"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/a b+c", "QUERY_STRING": "a+b=%20"}},
	{name: "encoded control bytes pass", raw: get("/a%0D%0Ab"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/a\r\nb"}},
	{name: "encoded NUL", raw: get("/a%00b"), bodyLen: -1, wantErr: ErrBadPath},
	{name: "encoded NUL extension trick", raw: get("/app/x.py%00.jpg"), opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrBadPath},
	{name: "percent at end", raw: get("/a%"), bodyLen: -1, wantErr: ErrBadPath},
	{name: "percent one digit", raw: get("/a%4"), bodyLen: -1, wantErr: ErrBadPath},
	{name: "percent not hex", raw: get("/a%zz"), bodyLen: -1, wantErr: ErrBadPath},
	{name: "percent half hex", raw: get("/a%4g"), bodyLen: -1, wantErr: ErrBadPath},
	{name: "bad escape outside mount is 400", raw: get("/x%"), opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrBadPath},
	{name: "dot-dot segment", raw: get("/app/../admin"), opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrBadPath},
	{name: "encoded dot-dot", raw: get("/app/%2e%2E/admin"), opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrBadPath},
	{name: "dot-dot through encoded slash", raw: get("/app/..%2Fadmin"), opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrBadPath},
	{name: "dot-dot at end", raw: get("/app/.."), opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrBadPath},
	{name: "dot segment", raw: get("/app/./x"), opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrBadPath},
	{name: "dots inside segments pass", raw: get("/a..b/..c/.well-known/x."), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/a..b/..c/.well-known/x."}},

	// Targets.
	{name: "no query", raw: get("/a"), bodyLen: -1,
		want: map[string]string{"QUERY_STRING": "", "REQUEST_URI": "/a", "RAW_URI": "/a"}},
	{name: "empty query", raw: get("/a?"), bodyLen: -1,
		want: map[string]string{"QUERY_STRING": "", "REQUEST_URI": "/a?"}},
	{name: "query not decoded", raw: get("/a?p=%2F%00&q=a%20b"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/a", "QUERY_STRING": "p=%2F%00&q=a%20b", "REQUEST_URI": "/a?p=%2F%00&q=a%20b"}},
	{name: "absolute form", raw: head("GET http://example.org:8080/app/x?q=1 HTTP/1.1", "Host: other.example"),
		opt: &Options{ScriptName: "/app"}, bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/x", "QUERY_STRING": "q=1",
			"REQUEST_URI": "/app/x?q=1", "RAW_URI": "/app/x?q=1",
			"SERVER_NAME": "example.org", "SERVER_PORT": "8080", "HTTP_HOST": "example.org:8080"}},
	{name: "absolute form without path", raw: head("GET http://example.org HTTP/1.1", "Host: example.org"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/", "REQUEST_URI": "/", "QUERY_STRING": ""}},
	{name: "absolute form query only", raw: head("GET https://example.org?q=1 HTTP/1.1", "Host: example.org"), bodyLen: -1,
		want: map[string]string{"PATH_INFO": "/", "REQUEST_URI": "/?q=1", "QUERY_STRING": "q=1"}},
	{name: "absolute form on HTTP/1.0", raw: head("GET http://example.org/a HTTP/1.0"), bodyLen: -1,
		local: "10.0.0.1:8080",
		want:  map[string]string{"SERVER_NAME": "example.org", "SERVER_PORT": "80", "HTTP_HOST": "example.org"}},
	{name: "options asterisk at root", raw: head("OPTIONS * HTTP/1.1", "Host: example.com"), bodyLen: -1,
		want: map[string]string{"REQUEST_METHOD": "OPTIONS", "SCRIPT_NAME": "", "PATH_INFO": "*", "REQUEST_URI": "*"}},
	{name: "options asterisk under mount", raw: head("OPTIONS * HTTP/1.1", "Host: example.com"),
		opt: &Options{ScriptName: "/app"}, bodyLen: -1, wantErr: ErrOutsideMount},
	{name: "method as received", raw: head("PROPFIND /a HTTP/1.1", "Host: h"), bodyLen: -1,
		want: map[string]string{"REQUEST_METHOD": "PROPFIND"}},

	// Server name and port.
	{name: "host without port", raw: get("/"), local: "10.0.0.1:8080", bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "example.com", "SERVER_PORT": "80", "HTTP_HOST": "example.com"}},
	{name: "host without port https", raw: get("/"), opt: &Options{Scheme: "https"}, local: "10.0.0.1:8443", bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "example.com", "SERVER_PORT": "443", "REQUEST_SCHEME": "https", "HTTPS": "on"}},
	{name: "host with port", raw: head("GET / HTTP/1.1", "Host: example.com:8443"), bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "example.com", "SERVER_PORT": "8443", "HTTP_HOST": "example.com:8443"}},
	{name: "host with empty port", raw: head("GET / HTTP/1.1", "Host: example.com:"), bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "example.com", "SERVER_PORT": "80"}},
	{name: "host case kept", raw: head("GET / HTTP/1.1", "Host: Example.COM"), bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "Example.COM"}},
	{name: "ipv6 host with port", raw: head("GET / HTTP/1.1", "Host: [2001:db8::1]:8080"), bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "[2001:db8::1]", "SERVER_PORT": "8080", "HTTP_HOST": "[2001:db8::1]:8080"}},
	{name: "ipv6 host without port", raw: head("GET / HTTP/1.1", "Host: [::1]"), opt: &Options{Scheme: "https"}, bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "[::1]", "SERVER_PORT": "443"}},
	{name: "ipv4 host", raw: head("GET / HTTP/1.1", "Host: 192.0.2.7:81"), bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "192.0.2.7", "SERVER_PORT": "81"}},
	{name: "no host on HTTP/1.0", raw: head("GET /a HTTP/1.0", "Accept: */*"), local: "10.0.0.1:8080", bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "10.0.0.1", "SERVER_PORT": "8080", "HTTP_HOST": absent,
			"SERVER_PROTOCOL": "HTTP/1.0", "PATH_INFO": "/a"}},
	{name: "no host, ipv6 local", raw: head("GET / HTTP/1.0"), local: "[2001:db8::5%eth0]:8080", bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "[2001:db8::5]", "SERVER_PORT": "8080"}},
	{name: "no host, mapped local", raw: head("GET / HTTP/1.0"), local: "[::ffff:10.0.0.1]:8080", bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "10.0.0.1"}},
	{name: "no host, no local", raw: head("GET / HTTP/1.0"), bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "localhost", "SERVER_PORT": "80"}},
	{name: "no host, no local, https", raw: head("GET / HTTP/1.0"), opt: &Options{Scheme: "https"}, bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "localhost", "SERVER_PORT": "443"}},
	{name: "empty host", raw: head("GET / HTTP/1.1", "Host:"), local: "10.0.0.1:8080", bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "10.0.0.1", "SERVER_PORT": "8080", "HTTP_HOST": absent}},
	{name: "host is only a port", raw: head("GET / HTTP/1.1", "Host: :9000"), local: "10.0.0.1:8080", bodyLen: -1,
		want: map[string]string{"SERVER_NAME": "10.0.0.1", "SERVER_PORT": "9000", "HTTP_HOST": ":9000"}},

	// Protocol, scheme, peer.
	{name: "HTTP/1.2 is spoken as 1.1", raw: head("GET / HTTP/1.2", "Host: h"), bodyLen: -1,
		want: map[string]string{"SERVER_PROTOCOL": "HTTP/1.1"}},
	{name: "http scheme has no HTTPS", raw: get("/"), bodyLen: -1,
		want: map[string]string{"REQUEST_SCHEME": "http", "HTTPS": absent}},
	{name: "remote ipv4", raw: get("/"), remote: "192.0.2.1:5555", bodyLen: -1,
		want: map[string]string{"REMOTE_ADDR": "192.0.2.1", "REMOTE_PORT": "5555"}},
	{name: "remote ipv6 without brackets", raw: get("/"), remote: "[2001:db8::2]:443", bodyLen: -1,
		want: map[string]string{"REMOTE_ADDR": "2001:db8::2", "REMOTE_PORT": "443"}},
	{name: "remote ipv4-mapped", raw: get("/"), remote: "[::ffff:192.0.2.1]:1234", bodyLen: -1,
		want: map[string]string{"REMOTE_ADDR": "192.0.2.1", "REMOTE_PORT": "1234"}},
	{name: "remote zone dropped", raw: get("/"), remote: "[fe80::1%eth0]:1", bodyLen: -1,
		want: map[string]string{"REMOTE_ADDR": "fe80::1"}},
	{name: "no remote", raw: get("/"), bodyLen: -1,
		want: map[string]string{"REMOTE_ADDR": absent, "REMOTE_PORT": absent}},

	// Body.
	{name: "no body", raw: get("/"), bodyLen: -1,
		want: map[string]string{"CONTENT_LENGTH": absent, "CONTENT_TYPE": absent}},
	{name: "empty body", raw: head("POST / HTTP/1.1", "Host: h", "Content-Length: 0"), bodyLen: 0,
		want: map[string]string{"CONTENT_LENGTH": "0", "HTTP_CONTENT_LENGTH": absent}},
	{name: "content-length spoof", raw: head("POST / HTTP/1.1", "Host: h", "Content-Length: 10"), bodyLen: 3,
		want: map[string]string{"CONTENT_LENGTH": "3", "HTTP_CONTENT_LENGTH": absent}},
	{name: "content-length without bodyLen", raw: head("POST / HTTP/1.1", "Host: h", "Content-Length: 10"), bodyLen: -1,
		want: map[string]string{"CONTENT_LENGTH": absent, "HTTP_CONTENT_LENGTH": absent}},
	{name: "chunked read whole", raw: head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked", "Content-Type: text/plain"),
		bodyLen: 11,
		want: map[string]string{"CONTENT_LENGTH": "11", "CONTENT_TYPE": "text/plain",
			"HTTP_TRANSFER_ENCODING": absent, "HTTP_CONTENT_TYPE": absent}},
	{name: "large body", raw: head("POST / HTTP/1.1", "Host: h", "Content-Length: 9223372036854775807"), bodyLen: 1<<63 - 1,
		want: map[string]string{"CONTENT_LENGTH": "9223372036854775807"}},
	{name: "content-type", raw: head("POST / HTTP/1.1", "Host: h", "content-type: application/json; charset=utf-8"), bodyLen: 2,
		want: map[string]string{"CONTENT_TYPE": "application/json; charset=utf-8", "HTTP_CONTENT_TYPE": absent}},
	{name: "repeated content-type: first wins", raw: head("POST / HTTP/1.1", "Host: h", "Content-Type: text/plain", "Content-Type: text/html"), bodyLen: 2,
		want: map[string]string{"CONTENT_TYPE": "text/plain", "HTTP_CONTENT_TYPE": absent}},
	{name: "empty content-type", raw: head("POST / HTTP/1.1", "Host: h", "Content-Type:"), bodyLen: 0,
		want: map[string]string{"CONTENT_TYPE": ""}},

	// Header fields.
	{name: "header names", raw: get("/", "User-Agent: curl/8", "accept-ENCODING: gzip", "X-Request-Id: 7", "DNT: 1", "X-1-2: 3"), bodyLen: -1,
		want: map[string]string{"HTTP_USER_AGENT": "curl/8", "HTTP_ACCEPT_ENCODING": "gzip", "HTTP_X_REQUEST_ID": "7",
			"HTTP_DNT": "1", "HTTP_X_1_2": "3"}},
	{name: "httpoxy", raw: get("/", "Proxy: http://evil.example:3128"), bodyLen: -1,
		want: map[string]string{"HTTP_PROXY": absent}},
	{name: "httpoxy lower case", raw: get("/", "proxy: http://evil.example:3128", "PROXY: x"), bodyLen: -1,
		want: map[string]string{"HTTP_PROXY": absent}},
	{name: "proxy-authorization passes", raw: get("/", "Proxy-Authorization: Basic eA=="), bodyLen: -1,
		want: map[string]string{"HTTP_PROXY_AUTHORIZATION": "Basic eA=="}},
	{name: "authorization passes", raw: get("/", "Authorization: Bearer t"), bodyLen: -1,
		want: map[string]string{"HTTP_AUTHORIZATION": "Bearer t"}},
	{name: "underscore cannot pose as hyphen", raw: get("/", "X_Forwarded_For: 6.6.6.6", "X-Forwarded-For: 192.0.2.9"), bodyLen: -1,
		want: map[string]string{"HTTP_X_FORWARDED_FOR": "192.0.2.9"}},
	{name: "underscore header dropped", raw: get("/", "X_Forwarded_For: 6.6.6.6", "X-Real_IP: 6.6.6.6"), bodyLen: -1,
		want: map[string]string{"HTTP_X_FORWARDED_FOR": absent, "HTTP_X_REAL_IP": absent}},
	{name: "other tchars dropped", raw: get("/", "X.Y: 1", "X~Y: 2", "X!: 3", "X'Y: 4"), bodyLen: -1,
		want: map[string]string{"HTTP_X.Y": absent, "HTTP_X~Y": absent, "HTTP_X!": absent, "HTTP_X'Y": absent}},
	{name: "script-name header", raw: get("/app/x", "Script-Name: /evil", "Path-Info: /admin", "Remote-Addr: 127.0.0.1",
		"Server-Name: evil", "Query-String: a=1", "Request-Method: DELETE", "Https: on"),
		opt: &Options{ScriptName: "/app"}, remote: "192.0.2.1:1", bodyLen: -1,
		want: map[string]string{"SCRIPT_NAME": "/app", "PATH_INFO": "/x", "REMOTE_ADDR": "192.0.2.1",
			"SERVER_NAME": "example.com", "QUERY_STRING": "", "REQUEST_METHOD": "GET", "HTTPS": absent,
			"HTTP_SCRIPT_NAME": "/evil", "HTTP_PATH_INFO": "/admin", "HTTP_REMOTE_ADDR": "127.0.0.1",
			"HTTP_SERVER_NAME": "evil", "HTTP_QUERY_STRING": "a=1", "HTTP_REQUEST_METHOD": "DELETE", "HTTP_HTTPS": "on"}},
	{name: "header named http-host", raw: get("/", "Http-Host: evil"), bodyLen: -1,
		want: map[string]string{"HTTP_HOST": "example.com", "HTTP_HTTP_HOST": "evil"}},
	{name: "repeated fields joined", raw: get("/", "Accept: text/html", "X-A: 1", "accept: */*", "ACCEPT: a/b"), bodyLen: -1,
		want: map[string]string{"HTTP_ACCEPT": "text/html, */*, a/b", "HTTP_X_A": "1"}},
	{name: "repeated empty values", raw: get("/", "X-E:", "X-E: b", "X-E:"), bodyLen: -1,
		want: map[string]string{"HTTP_X_E": ", b, "}},
	{name: "cookies joined with semicolon", raw: get("/", "Cookie: a=1", "X: y", "cookie: b=2; c=3"), bodyLen: -1,
		want: map[string]string{"HTTP_COOKIE": "a=1; b=2; c=3"}},
	{name: "transfer-encoding dropped", raw: head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked"), bodyLen: 0,
		want: map[string]string{"HTTP_TRANSFER_ENCODING": absent}},
	{name: "obs-text value as bytes", raw: get("/", "X-Name: caf\xe9"), bodyLen: -1,
		want: map[string]string{"HTTP_X_NAME": "caf\xe9"}},
	{name: "empty value", raw: get("/", "X-Empty:"), bodyLen: -1,
		want: map[string]string{"HTTP_X_EMPTY": ""}},
	{name: "hop-by-hop fields pass", raw: get("/", "Connection: keep-alive", "TE: trailers"), bodyLen: -1,
		want: map[string]string{"HTTP_CONNECTION": "keep-alive", "HTTP_TE": "trailers"}},
}

func TestBuild(t *testing.T) {
	for _, tc := range buildTests {
		t.Run(tc.name, func(t *testing.T) {
			r := parse(t, tc.raw, tc.remote, tc.local)
			e, err := build(t, r, tc.opt, tc.bodyLen)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v\n%s", err, tc.wantErr, e)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			for k, want := range tc.want {
				got, ok := e.get(k)
				switch {
				case want == absent && ok:
					t.Errorf("%s = %q, want it absent", k, got)
				case want != absent && !ok:
					t.Errorf("%s absent, want %q", k, want)
				case want != absent && got != want:
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if t.Failed() {
				t.Logf("environment:\n%s", e)
			}
		})
	}
}

// TestBuildFull pins the whole environment of one request: the order, and
// that nothing else is passed.
func TestBuildFull(t *testing.T) {
	raw := head("POST /app/users/42?x=1&y=%20 HTTP/1.1",
		"Host: example.com",
		"User-Agent: test/1",
		"Accept: */*",
		"Content-Type: application/x-www-form-urlencoded",
		"Content-Length: 3",
		"Cookie: a=1",
		"Accept: text/html",
		"Proxy: http://evil",
		"Cookie: b=2",
	)
	r := parse(t, raw, "192.0.2.1:5555", "10.0.0.1:8080")
	e, err := build(t, r, &Options{ScriptName: "/app", Scheme: "https"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"REQUEST_METHOD", "POST",
		"SCRIPT_NAME", "/app",
		"PATH_INFO", "/users/42",
		"QUERY_STRING", "x=1&y=%20",
		"REQUEST_URI", "/app/users/42?x=1&y=%20",
		"RAW_URI", "/app/users/42?x=1&y=%20",
		"CONTENT_TYPE", "application/x-www-form-urlencoded",
		"CONTENT_LENGTH", "3",
		"SERVER_NAME", "example.com",
		"SERVER_PORT", "443",
		"SERVER_PROTOCOL", "HTTP/1.1",
		"SERVER_SOFTWARE", "Brick",
		"GATEWAY_INTERFACE", "CGI/1.1",
		"REQUEST_SCHEME", "https",
		"HTTPS", "on",
		"REMOTE_ADDR", "192.0.2.1",
		"REMOTE_PORT", "5555",
		"HTTP_HOST", "example.com",
		"HTTP_USER_AGENT", "test/1",
		"HTTP_ACCEPT", "*/*, text/html",
		"HTTP_COOKIE", "a=1; b=2",
	}
	var got []string
	for i, k := range e.keys {
		got = append(got, k, e.values[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("environment:\n%s\nwant %q", e, want)
	}
}

// TestBuilderReuse builds a large request and then a small one with the
// same Builder: nothing of the first may show in the second, and the sink
// may scribble on what it was given without harming the next request.
func TestBuilderReuse(t *testing.T) {
	big := parse(t, get("/app/%41%42%43?long=1", "Accept: a", "Accept: b", "Cookie: c=1", "Cookie: d=2", "X-Pad: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), "192.0.2.1:1", "")
	small := parse(t, get("/app/x"), "", "")
	var b Builder
	o := &Options{ScriptName: "/app"}
	scribble := SinkFunc(func(k, v []byte) {
		for i := range k {
			k[i] = 'Z'
		}
	})
	for range 3 {
		if err := b.Build(scribble, big, o, -1); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := build(t, small, o, -1)
	got := &env{}
	if err := b.Build(got, small, o, -1); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, got)
	if !slices.Equal(got.keys, want.keys) || !slices.Equal(got.values, want.values) {
		t.Errorf("reused builder:\n%s\nfresh builder:\n%s", got, want)
	}
}

// TestHandBuiltRequest covers requests not made by the wire parser, as an
// adapter may build them: Host only as a field, another protocol version.
func TestHandBuiltRequest(t *testing.T) {
	r := &web.Request{Body: web.NoBody}
	r.Method, r.Target, r.Path = []byte("GET"), []byte("/x"), []byte("/x")
	r.Proto, r.Major, r.Minor = []byte("HTTP/2.0"), 2, 0
	r.Header.Add("Host", "example.net:8000")
	r.Header.Add("X-A", "1")
	e, err := build(t, r, nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"SERVER_PROTOCOL": "HTTP/2", "SERVER_NAME": "example.net", "SERVER_PORT": "8000",
		"HTTP_HOST": "example.net:8000", "QUERY_STRING": "", "HTTP_X_A": "1", "PATH_INFO": "/x",
	} {
		if got, _ := e.get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}

	var zero web.Request
	e, err = build(t, &zero, nil, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := e.get("SERVER_PROTOCOL"); got != "HTTP/1.1" {
		t.Errorf("zero request: SERVER_PROTOCOL = %q", got)
	}
}

func TestErrorStatus(t *testing.T) {
	if s := web.StatusOf(ErrOutsideMount); s != 404 {
		t.Errorf("ErrOutsideMount status %d, want 404", s)
	}
	if s := web.StatusOf(ErrBadPath); s != 400 {
		t.Errorf("ErrBadPath status %d, want 400", s)
	}
	var he *web.HandlerError
	if !errors.As(ErrBadPath, &he) {
		t.Error("ErrBadPath is not a *web.HandlerError")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		opt Options
		ok  bool
	}{
		{Options{}, true},
		{Options{ScriptName: "/"}, true},
		{Options{ScriptName: "/app"}, true},
		{Options{ScriptName: "app/"}, true},
		{Options{ScriptName: "/a/b", Scheme: "https"}, true},
		{Options{Scheme: "http"}, true},
		{Options{Scheme: "HTTPS"}, false},
		{Options{Scheme: "ftp"}, false},
		{Options{ScriptName: "/a//b"}, false},
		{Options{ScriptName: "/a/../b"}, false},
		{Options{ScriptName: "/."}, false},
		{Options{ScriptName: "/a%2Fb"}, false},
		{Options{ScriptName: "/a?b"}, false},
		{Options{ScriptName: "/a\x00"}, false},
	} {
		if err := tc.opt.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v, want ok=%v", tc.opt, err, tc.ok)
		}
	}
}

// TestEmptyValuesNotNil checks that absent request parts reach the sink as
// empty, non-nil slices, so a sink may tell "" from a missing value however
// it likes.
func TestEmptyValuesNotNil(t *testing.T) {
	r := parse(t, get("/app"), "", "")
	var b Builder
	err := b.Build(SinkFunc(func(k, v []byte) {
		if v == nil {
			t.Errorf("%s passed as nil", k)
		}
	}), r, &Options{ScriptName: "/app"}, -1)
	if err != nil {
		t.Fatal(err)
	}
}

var _ Sink = (*env)(nil)
var _ Sink = SinkFunc(nil)

// TestSchemeFromTLS: with no Scheme set, a request that came over TLS is
// https (REQUEST_SCHEME, HTTPS=on, port 443 by default) and one that did
// not is http; a Scheme set (a proxy ended TLS) wins either way.
func TestSchemeFromTLS(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool
		opt        *Options
		want, port string
	}{
		{"plain", false, nil, "http", "80"},
		{"over TLS", true, nil, "https", "443"},
		{"over TLS, mount only", true, &Options{ScriptName: "/app"}, "https", "443"},
		{"plain, set https", false, &Options{Scheme: "https"}, "https", "443"},
		{"over TLS, set http", true, &Options{Scheme: "http"}, "http", "80"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := parse(t, head("GET /app/x HTTP/1.1", "Host: example.com"), "192.0.2.1:5555", "")
			if tc.tls {
				r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13}
			}
			if got := tc.opt.SchemeOf(r); got != tc.want {
				t.Errorf("SchemeOf = %q, want %q", got, tc.want)
			}
			e, err := build(t, r, tc.opt, -1)
			if err != nil {
				t.Fatal(err)
			}
			wantHTTPS := ""
			if tc.want == "https" {
				wantHTTPS = "on"
			}
			if got, _ := e.get("REQUEST_SCHEME"); got != tc.want {
				t.Errorf("REQUEST_SCHEME = %q, want %q", got, tc.want)
			}
			if got, _ := e.get("HTTPS"); got != wantHTTPS {
				t.Errorf("HTTPS = %q, want %q", got, wantHTTPS)
			}
			if got, _ := e.get("SERVER_PORT"); got != tc.port {
				t.Errorf("SERVER_PORT = %q, want %q", got, tc.port)
			}
		})
	}
}
