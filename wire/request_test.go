package wire

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// ok describes an accepted request: an HTTP/1.1 origin-form request unless
// options say otherwise. Fields are checked only where fields is given.
func ok(method, target, path, host string, opts ...func(*parsed)) *parsed {
	p := &parsed{
		Method: method, Target: target, Form: OriginForm, Path: path, NilQuery: true,
		Proto: "HTTP/1.1", Major: 1, Minor: 1, Host: host,
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func query(q string) func(*parsed) {
	return func(p *parsed) { p.Query, p.NilQuery = q, false }
}
func form(f TargetForm) func(*parsed) { return func(p *parsed) { p.Form = f } }
func proto(s string, minor int) func(*parsed) {
	return func(p *parsed) { p.Proto, p.Minor = s, minor }
}
func length(n int64) func(*parsed)     { return func(p *parsed) { p.ContentLength = n } }
func fields(f ...string) func(*parsed) { return func(p *parsed) { p.Fields = f } }

var (
	http10    = proto("HTTP/1.0", 0)
	chunked   = func(p *parsed) { p.Chunked, p.ContentLength = true, -1 }
	closes    = func(p *parsed) { p.Close = true }
	expect100 = func(p *parsed) { p.Expect100 = true }
)

type requestTest struct {
	name string
	raw  string
	lim  *Limits
	// n is the head length when raw goes on past the head; 0 means all.
	n       int
	want    *parsed
	wantErr error
}

var requestTests = []requestTest{
	// RFC 9112 §2.1 and §3.2 examples.
	{
		name: "RFC 9112 2.1 example",
		raw:  "GET /hello.txt HTTP/1.1\r\nUser-Agent: curl/7.64.1\r\nHost: www.example.com\r\nAccept-Language: en, mi\r\n\r\n",
		want: ok("GET", "/hello.txt", "/hello.txt", "www.example.com",
			fields("User-Agent: curl/7.64.1", "Host: www.example.com", "Accept-Language: en, mi")),
	},
	{
		name: "RFC 9112 3.2.1 origin-form",
		raw:  "GET /where?q=now HTTP/1.1\r\nHost: www.example.org\r\n\r\n",
		want: ok("GET", "/where?q=now", "/where", "www.example.org", query("q=now")),
	},
	{
		name: "RFC 9112 3.2.2 absolute-form",
		raw:  "GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1\r\nHost: www.example.org\r\n\r\n",
		want: ok("GET", "http://www.example.org/pub/WWW/TheProject.html", "/pub/WWW/TheProject.html",
			"www.example.org", form(AbsoluteForm)),
	},
	{
		name: "RFC 9112 3.2.3 authority-form",
		raw:  "CONNECT www.example.com:80 HTTP/1.1\r\nHost: www.example.com\r\n\r\n",
		want: ok("CONNECT", "www.example.com:80", "", "www.example.com:80", form(AuthorityForm)),
	},
	{
		name: "RFC 9112 3.2.4 asterisk-form",
		raw:  "OPTIONS * HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n",
		want: ok("OPTIONS", "*", "*", "www.example.org:8001", form(AsteriskForm)),
	},
	{
		name: "RFC 9112 3.2.4 absolute-form OPTIONS without path",
		raw:  "OPTIONS http://www.example.org:8001 HTTP/1.1\r\nHost: www.example.org:8001\r\n\r\n",
		want: ok("OPTIONS", "http://www.example.org:8001", "/", "www.example.org:8001", form(AbsoluteForm)),
	},

	// Request line.
	{
		name: "extension method",
		raw:  "PROPFIND /dav/ HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("PROPFIND", "/dav/", "/dav/", "h"),
	},
	{
		// Methods are case-sensitive tokens (RFC 9110 §9.1): "get" is
		// simply an unknown method, for the handler to refuse.
		name: "lowercase method is a token",
		raw:  "get / HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("get", "/", "/", "h"),
	},
	{
		name: "method at the length bound",
		raw:  "M" + strings.Repeat("X", maxMethodBytes-1) + " / HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("M"+strings.Repeat("X", maxMethodBytes-1), "/", "/", "h"),
	},
	{name: "method over the length bound", raw: strings.Repeat("X", maxMethodBytes+1) + " / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadMethod},
	{name: "method with non-token byte", raw: "GE(T / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadMethod},
	{name: "leading space before method", raw: " GET / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadMethod},
	{name: "tab after method", raw: "GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadMethod},
	{name: "two spaces after method", raw: "GET  / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "two spaces before version", raw: "GET /  HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "space after version", raw: "GET / HTTP/1.1 \r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "space inside target", raw: "GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "HTTP/0.9 simple request", raw: "GET /\r\n\r\n", wantErr: ErrBadRequestLine},
	{name: "method only", raw: "GET\r\n\r\n", wantErr: ErrBadRequestLine},
	{name: "empty version", raw: "GET / \r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "bare CR in request line", raw: "GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBareCR},
	{name: "bare CR ends request line", raw: "GET / HTTP/1.1\rHost: h\r\n\r\n", wantErr: ErrBareCR},
	{name: "bare CR in method", raw: "GE\rT / HTTP/1.1\r\n\r\n", wantErr: ErrBareCR},
	{
		name:    "TLS handshake instead of HTTP",
		raw:     "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
		wantErr: ErrBadMethod,
	},
	{name: "HTTP/2 preface", raw: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", wantErr: ErrVersionUnsupported},

	// Versions (RFC 9112 §2.3, RFC 9110 §6.2).
	{
		name: "HTTP/1.0 closes by default",
		raw:  "GET / HTTP/1.0\r\n\r\n",
		want: ok("GET", "/", "/", "", http10, closes),
	},
	{
		name: "HTTP/1.2 is treated as 1.1",
		raw:  "GET / HTTP/1.2\r\nHost: h\r\n\r\n",
		want: ok("GET", "/", "/", "h", proto("HTTP/1.2", 1)),
	},
	{
		name:    "HTTP/1.9 still needs Host like 1.1",
		raw:     "GET / HTTP/1.9\r\n\r\n",
		wantErr: ErrMissingHost,
	},
	{name: "HTTP/2.0", raw: "GET / HTTP/2.0\r\nHost: h\r\n\r\n", wantErr: ErrVersionUnsupported},
	{name: "HTTP/3.0", raw: "GET / HTTP/3.0\r\nHost: h\r\n\r\n", wantErr: ErrVersionUnsupported},
	{name: "HTTP/0.9 with version", raw: "GET / HTTP/0.9\r\n\r\n", wantErr: ErrVersionUnsupported},
	{name: "lowercase http/1.1", raw: "GET / http/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "version without minor", raw: "GET / HTTP/1\r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "two-digit major", raw: "GET / HTTP/11.1\r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "two-digit minor", raw: "GET / HTTP/1.10\r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "letter minor", raw: "GET / HTTP/1.x\r\nHost: h\r\n\r\n", wantErr: ErrBadVersion},
	{name: "ICE instead of HTTP", raw: "GET / ICE/1.0\r\n\r\n", wantErr: ErrBadVersion},

	// Request targets (RFC 9112 §3.2).
	{
		name: "empty query",
		raw:  "GET /a? HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("GET", "/a?", "/a", "h", query("")),
	},
	{
		name: "question mark inside query",
		raw:  "GET /a?b?c=/d HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("GET", "/a?b?c=/d", "/a", "h", query("b?c=/d")),
	},
	{
		name: "percent-encoding is kept",
		raw:  "GET /a%20b HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("GET", "/a%20b", "/a%20b", "h"),
	},
	{
		name: "double slash origin-form is a path",
		raw:  "GET //evil.example/x HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("GET", "//evil.example/x", "//evil.example/x", "h"),
	},
	{
		name: "absolute-form authority wins over Host",
		raw:  "GET http://a.example/x HTTP/1.1\r\nHost: b.example\r\n\r\n",
		want: ok("GET", "http://a.example/x", "/x", "a.example", form(AbsoluteForm)),
	},
	{
		name: "absolute-form without path keeps query",
		raw:  "GET https://a.example:8443?x=1 HTTP/1.1\r\nHost: a.example:8443\r\n\r\n",
		want: ok("GET", "https://a.example:8443?x=1", "/", "a.example:8443", form(AbsoluteForm), query("x=1")),
	},
	{
		name: "absolute-form IPv6 literal",
		raw:  "GET http://[2001:db8::1]:8080/p HTTP/1.1\r\nHost: x\r\n\r\n",
		want: ok("GET", "http://[2001:db8::1]:8080/p", "/p", "[2001:db8::1]:8080", form(AbsoluteForm)),
	},
	{
		name: "absolute-form uppercase scheme",
		raw:  "GET HTTP://A.EXAMPLE/ HTTP/1.1\r\nHost: x\r\n\r\n",
		want: ok("GET", "HTTP://A.EXAMPLE/", "/", "A.EXAMPLE", form(AbsoluteForm)),
	},
	{
		name: "absolute-form on HTTP/1.0 without Host",
		raw:  "GET http://a.example/ HTTP/1.0\r\n\r\n",
		want: ok("GET", "http://a.example/", "/", "a.example", form(AbsoluteForm), http10, closes),
	},
	{
		name: "CONNECT IPv6 literal",
		raw:  "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
		want: ok("CONNECT", "[::1]:443", "", "[::1]:443", form(AuthorityForm)),
	},
	{name: "absolute-form with userinfo", raw: "GET http://user@evil.example/ HTTP/1.1\r\nHost: good.example\r\n\r\n", wantErr: ErrBadTarget},
	{name: "absolute-form with user and password", raw: "GET http://a:b@evil.example/ HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "absolute-form with empty authority", raw: "GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "absolute-form with fragment", raw: "GET http://h/x#f HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "absolute-form with bad port", raw: "GET http://h:8x/ HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "origin-form with fragment", raw: "GET /a#b HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "scheme without slashes", raw: "GET http:x HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "relative path", raw: "GET index.html HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "GET *", raw: "GET * HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "OPTIONS *x", raw: "OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "CONNECT without port", raw: "CONNECT www.example.com HTTP/1.1\r\nHost: www.example.com\r\n\r\n", wantErr: ErrBadTarget},
	{name: "CONNECT with empty port", raw: "CONNECT www.example.com: HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "CONNECT with empty host", raw: "CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "CONNECT IPv6 without port", raw: "CONNECT [::1] HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "CONNECT with userinfo", raw: "CONNECT u@h:443 HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "CONNECT origin-form", raw: "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "CONNECT absolute-form", raw: "CONNECT http://h:443/ HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "non-ASCII byte in target", raw: "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "NUL in target", raw: "GET /a\x00b HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "DEL in target", raw: "GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{name: "tab in target", raw: "GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadTarget},
	{
		name: "target at MaxTargetBytes",
		raw:  "GET /123456789 HTTP/1.1\r\nHost: h\r\n\r\n",
		lim:  &Limits{MaxTargetBytes: 10},
		want: ok("GET", "/123456789", "/123456789", "h"),
	},
	{name: "target over MaxTargetBytes", raw: "GET /1234567890 HTTP/1.1\r\nHost: h\r\n\r\n", lim: &Limits{MaxTargetBytes: 10}, wantErr: ErrTargetTooLong},
	{name: "target over the default limit", raw: "GET /" + strings.Repeat("a", DefaultMaxTargetBytes) + " HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrTargetTooLong},
	{name: "long target without version", raw: "GET /" + strings.Repeat("a", 20) + "\r\n\r\n", lim: &Limits{MaxTargetBytes: 10}, wantErr: ErrTargetTooLong},

	// Leading empty lines (RFC 9112 §2.2).
	{
		name: "leading CRLF is skipped",
		raw:  "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("GET", "/", "/", "h"),
	},
	{
		name: "leading bare LF is skipped",
		raw:  "\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("GET", "/", "/", "h"),
	},
	{name: "too many leading empty lines", raw: strings.Repeat("\r\n", maxLeadingEmptyLines+1) + "GET / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBadRequestLine},
	{name: "leading bare CR", raw: "\r\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", wantErr: ErrBareCR},
	{name: "only empty lines", raw: "\r\n\r\n", wantErr: ErrNeedMore},

	// Line endings (RFC 9112 §2.2).
	{
		name: "bare LF line endings",
		raw:  "GET / HTTP/1.1\nHost: h\nX: y\n\n",
		want: ok("GET", "/", "/", "h", fields("Host: h", "X: y")),
	},
	{
		name: "mixed CRLF and LF",
		raw:  "GET / HTTP/1.1\r\nHost: h\nX: y\r\n\n",
		want: ok("GET", "/", "/", "h", fields("Host: h", "X: y")),
	},
	{name: "bare CR ends a field line", raw: "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", wantErr: ErrBareCR},
	{name: "bare CR in value", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n", wantErr: ErrBareCR},
	{name: "CR CR LF", raw: "GET / HTTP/1.1\r\nHost: h\r\r\n\r\n", wantErr: ErrBareCR},
	{name: "bare CR on the blank line", raw: "GET / HTTP/1.1\r\nHost: h\r\n\r\r\n\r\n", wantErr: ErrBadHeaderName},
	{name: "incomplete head", raw: "GET / HTTP/1.1\r\nHost: h\r\n", wantErr: ErrNeedMore},
	{name: "incomplete head ending in CR", raw: "GET / HTTP/1.1\r\nHost: h\r\n\r", wantErr: ErrNeedMore},
	{
		name: "pipelined requests: only the first head",
		raw:  "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n",
		n:    len("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"),
		want: ok("GET", "/1", "/1", "h"),
	},
	{
		name: "body bytes after the head are not looked at",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n\x00\r\r\n\n\x7f",
		n:    len("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 7\r\n\r\n"),
		want: ok("POST", "/", "/", "h", length(7)),
	},

	// Field lines (RFC 9112 §5, RFC 9110 §5.5).
	{
		name: "OWS around values is trimmed",
		raw:  "GET / HTTP/1.1\r\nHost:\t h \t\r\nX:y\r\nZ:   \r\n\r\n",
		want: ok("GET", "/", "/", "h", fields("Host: h", "X: y", "Z: ")),
	},
	{
		name: "HTAB, obs-text and quotes inside a value",
		raw:  "GET / HTTP/1.1\r\nHost: h\r\nX: a\tb caf\xe9 \"q\"\r\n\r\n",
		want: ok("GET", "/", "/", "h", fields("Host: h", "X: a\tb caf\xe9 \"q\"")),
	},
	{
		name: "repeated fields are kept in order",
		raw:  "GET / HTTP/1.1\r\nA: 1\r\nHost: h\r\na: 2\r\n\r\n",
		want: ok("GET", "/", "/", "h", fields("A: 1", "Host: h", "a: 2")),
	},
	{name: "header starting with space", raw: "GET / HTTP/1.1\r\n Host: h\r\n\r\n", wantErr: ErrObsFold},
	{name: "header starting with tab", raw: "GET / HTTP/1.1\r\n\tHost: h\r\n\r\n", wantErr: ErrObsFold},
	{name: "obs-fold continuation", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", wantErr: ErrObsFold},
	{name: "Transfer-Encoding : chunked", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding : chunked\r\n\r\n", wantErr: ErrSpaceBeforeColon},
	{name: "Content-Length<TAB>: 5", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length\t: 5\r\n\r\n", wantErr: ErrSpaceBeforeColon},
	{name: "space inside name", raw: "GET / HTTP/1.1\r\nHost: h\r\nX Y: z\r\n\r\n", wantErr: ErrBadHeaderName},
	{name: "empty name", raw: "GET / HTTP/1.1\r\nHost: h\r\n: z\r\n\r\n", wantErr: ErrBadHeaderName},
	{name: "no colon", raw: "GET / HTTP/1.1\r\nHost h\r\n\r\n", wantErr: ErrBadHeaderName},
	{name: "non-token in name", raw: "GET / HTTP/1.1\r\nHost: h\r\nX(Y): z\r\n\r\n", wantErr: ErrBadHeaderName},
	{name: "NUL in name", raw: "GET / HTTP/1.1\r\nHost: h\r\nX\x00: z\r\n\r\n", wantErr: ErrBadHeaderName},
	{name: "NUL in value", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\x00b\r\n\r\n", wantErr: ErrBadHeaderValue},
	{name: "DEL in value", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n", wantErr: ErrBadHeaderValue},
	{name: "control byte in value", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: \x1b[31m\r\n\r\n", wantErr: ErrBadHeaderValue},
	{
		name: "MaxHeaderCount fields",
		raw:  "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n",
		lim:  &Limits{MaxHeaderCount: 3},
		want: ok("GET", "/", "/", "h", fields("Host: h", "A: 1", "B: 2")),
	},
	{name: "too many fields", raw: "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", lim: &Limits{MaxHeaderCount: 3}, wantErr: ErrTooManyHeaders},
	{
		name: "head of exactly MaxHeaderBytes",
		raw:  "GET / HTTP/1.1\r\nHost: h\r\nX: 012345678901\r\n\r\n",
		lim:  &Limits{MaxHeaderBytes: 44},
		want: ok("GET", "/", "/", "h", fields("Host: h", "X: 012345678901")),
	},
	{name: "head one byte over MaxHeaderBytes", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: 0123456789012\r\n\r\n", lim: &Limits{MaxHeaderBytes: 44}, wantErr: ErrHeaderTooLarge},
	{name: "incomplete head over MaxHeaderBytes", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", 100), lim: &Limits{MaxHeaderBytes: 64}, wantErr: ErrHeaderTooLarge},
	{name: "head over the default limit", raw: "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", DefaultMaxHeaderBytes) + "\r\n\r\n", wantErr: ErrHeaderTooLarge},
	{name: "bad request line beats the size limit", raw: "GET / HTTP/9.9\r\nHost: h\r\nX: " + strings.Repeat("a", 100) + "\r\n\r\n", lim: &Limits{MaxHeaderBytes: 64}, wantErr: ErrVersionUnsupported},
	{name: "bad field loses to the size limit", raw: "GET / HTTP/1.1\r\nX Y: z\r\nX: " + strings.Repeat("a", 100) + "\r\n\r\n", lim: &Limits{MaxHeaderBytes: 64}, wantErr: ErrHeaderTooLarge},

	// Host (RFC 9112 §3.2, RFC 9110 §7.2).
	{
		name: "empty Host",
		raw:  "GET / HTTP/1.1\r\nHost:\r\n\r\n",
		want: ok("GET", "/", "/", ""),
	},
	{
		name: "Host with port and IPv6 literal",
		raw:  "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n\r\n",
		want: ok("GET", "/", "/", "[2001:db8::1]:8080"),
	},
	{
		name: "Host name is case-insensitive",
		raw:  "GET / HTTP/1.1\r\nhOST: h\r\n\r\n",
		want: ok("GET", "/", "/", "h"),
	},
	{name: "missing Host", raw: "GET / HTTP/1.1\r\n\r\n", wantErr: ErrMissingHost},
	{name: "missing Host with absolute-form", raw: "GET http://h/ HTTP/1.1\r\n\r\n", wantErr: ErrMissingHost},
	{name: "missing Host on CONNECT", raw: "CONNECT h:443 HTTP/1.1\r\n\r\n", wantErr: ErrMissingHost},
	{name: "two Hosts", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", wantErr: ErrDuplicateHost},
	{name: "two identical Hosts", raw: "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", wantErr: ErrDuplicateHost},
	{name: "two Hosts on HTTP/1.0", raw: "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", wantErr: ErrDuplicateHost},
	{name: "Host with userinfo", raw: "GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", wantErr: ErrBadHost},
	{name: "Host with path", raw: "GET / HTTP/1.1\r\nHost: h/x\r\n\r\n", wantErr: ErrBadHost},
	{name: "Host with space", raw: "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", wantErr: ErrBadHost},
	{name: "Host list", raw: "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", wantErr: ErrBadHost},
	{name: "Host with bad port", raw: "GET / HTTP/1.1\r\nHost: h:x\r\n\r\n", wantErr: ErrBadHost},
	{name: "Host with two colons", raw: "GET / HTTP/1.1\r\nHost: h:1:2\r\n\r\n", wantErr: ErrBadHost},
	{name: "Host with unclosed bracket", raw: "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", wantErr: ErrBadHost},

	// Body framing (RFC 9112 §6.3).
	{
		name: "no framing fields: no body",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\n\r\n",
		want: ok("POST", "/", "/", "h"),
	},
	{
		name: "Content-Length",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
		n:    len("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n"),
		want: ok("POST", "/", "/", "h", length(5)),
	},
	{
		name: "repeated identical Content-Length lines",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n",
		want: ok("POST", "/", "/", "h", length(5)),
	},
	{
		name: "identical Content-Length list",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
		want: ok("POST", "/", "/", "h", length(5)),
	},
	{
		name: "Content-Length with leading zeros",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n",
		want: ok("POST", "/", "/", "h", length(7)),
	},
	{
		name: "largest Content-Length",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775807\r\n\r\n",
		want: ok("POST", "/", "/", "h", length(9223372036854775807)),
	},
	{
		name: "Content-Length on GET",
		raw:  "GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		want: ok("GET", "/", "/", "h"),
	},
	{
		name: "chunked",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
		want: ok("POST", "/", "/", "h", chunked),
	},
	{
		name: "chunked in another case",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n",
		want: ok("POST", "/", "/", "h", chunked),
	},
	{
		name: "chunked with empty list elements",
		raw:  "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: , chunked ,\r\n\r\n",
		want: ok("POST", "/", "/", "h", chunked),
	},
	{name: "two different Content-Lengths", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", wantErr: ErrConflictingLength},
	{name: "Content-Length list that differs", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n", wantErr: ErrConflictingLength},
	{name: "Content-Length 0 then 5", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n", wantErr: ErrConflictingLength},
	{name: "Content-Length: +5", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length: -1", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length: 1 2", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length: 0x10", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length: 1e3", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "empty Content-Length", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length: ,", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ,\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length: 5,", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length overflows int64", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length far too long", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "Content-Length with non-ASCII digit", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \xd9\xa3\r\n\r\n", wantErr: ErrBadContentLength},
	{name: "TE and CL", raw: "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: ErrTEAndCL},
	{name: "CL after TE", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n", wantErr: ErrTEAndCL},
	{name: "TE and invalid CL", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: ,\r\n\r\n", wantErr: ErrTEAndCL},
	{name: "Transfer-Encoding: chunked, chunked", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", wantErr: ErrBadTransferCoding},
	{name: "chunked in two TE lines", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: ErrBadTransferCoding},
	{name: "empty Transfer-Encoding", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", wantErr: ErrBadTransferCoding},
	{name: "malformed coding", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ch@nked, chunked\r\n\r\n", wantErr: ErrBadTransferCoding},
	{name: "gzip, chunked", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", wantErr: ErrUnknownTE},
	{name: "gzip then chunked in two lines", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: ErrUnknownTE},
	{name: "chunked, gzip", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", wantErr: ErrChunkedNotLast},
	{name: "gzip alone", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", wantErr: ErrChunkedNotLast},
	{name: "identity", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", wantErr: ErrChunkedNotLast},
	{name: "chunked with a parameter", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;x=1\r\n\r\n", wantErr: ErrChunkedNotLast},
	{name: "xchunked", raw: "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\n\r\n", wantErr: ErrChunkedNotLast},
	{name: "TE on HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: ErrTEOnHTTP10},
	{name: "TE and CL on HTTP/1.0", raw: "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", wantErr: ErrTEOnHTTP10},

	// Connection and Expect (RFC 9112 §9.3, RFC 9110 §10.1.1).
	{
		name: "Connection: close",
		raw:  "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		want: ok("GET", "/", "/", "h", closes),
	},
	{
		name: "close among other options",
		raw:  "GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nConnection: , CLOSE\r\n\r\n",
		want: ok("GET", "/", "/", "h", closes),
	},
	{
		name: "close is a whole token",
		raw:  "GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, x-close\r\n\r\n",
		want: ok("GET", "/", "/", "h"),
	},
	{
		name: "HTTP/1.0 keep-alive",
		raw:  "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n",
		want: ok("GET", "/", "/", "", http10),
	},
	{
		name: "HTTP/1.0 keep-alive and close",
		raw:  "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n",
		want: ok("GET", "/", "/", "", http10, closes),
	},
	{
		name: "Expect: 100-continue",
		raw:  "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-Continue\r\n\r\n",
		want: ok("PUT", "/", "/", "h", length(3), expect100),
	},
	{
		name: "Expect: 100-continue on HTTP/1.0 is ignored",
		raw:  "PUT / HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
		want: ok("PUT", "/", "/", "", http10, closes, length(3)),
	},
	{name: "unknown expectation", raw: "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", wantErr: ErrBadExpect},
	{name: "100-continue plus an unknown expectation", raw: "PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue, x\r\n\r\n", wantErr: ErrBadExpect},
	{name: "unknown expectation on HTTP/1.0", raw: "PUT / HTTP/1.0\r\nExpect: x\r\n\r\n", wantErr: ErrBadExpect},
	{name: "framing error beats Expect", raw: "PUT / HTTP/1.1\r\nHost: h\r\nExpect: x\r\nContent-Length: -1\r\n\r\n", wantErr: ErrBadContentLength},
}

func TestParseRequest(t *testing.T) {
	for i, tc := range requestTests {
		t.Run(tc.name, func(t *testing.T) {
			got := checkSplits(t, []byte(tc.raw), tc.lim, uint64(i))
			if tc.want == nil {
				if got.Err != tc.wantErr {
					t.Fatalf("got %+v, want error %v", got, tc.wantErr)
				}
				return
			}
			want := *tc.want
			want.N = tc.n
			if want.N == 0 {
				want.N = len(tc.raw)
			}
			if want.Fields == nil {
				want.Fields = got.Fields
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestParseEarlyReject checks that a head is refused as soon as its bytes
// break the request-line grammar or a limit, without waiting for the line
// to end: a server then answers garbage (such as TLS spoken to a plain
// port) at once instead of holding a connection until its timeout.
func TestParseEarlyReject(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		lim     *Limits
		wantErr error
	}{
		{"TLS record", "\x16\x03\x01", nil, ErrBadMethod},
		{"space first", " ", nil, ErrBadMethod},
		{"long method", strings.Repeat("A", maxMethodBytes+1), nil, ErrBadMethod},
		{"CR inside method", "GE\rT", nil, ErrBareCR},
		{"empty target", "GET  ", nil, ErrBadTarget},
		{"control byte in target", "GET /\x01", nil, ErrBadTarget},
		{"long target", "GET /" + strings.Repeat("a", 10), &Limits{MaxTargetBytes: 10}, ErrTargetTooLong},
		{"lowercase version", "GET / h", nil, ErrBadVersion},
		{"version too long", "GET / HTTP/1.10", nil, ErrBadVersion},
		{"letter for a digit", "GET / HTTP/x", nil, ErrBadVersion},
		{"head over the limit", "GET / HTTP/1.1\r\nHost: h\r\nX: " + strings.Repeat("a", 64), &Limits{MaxHeaderBytes: 64}, ErrHeaderTooLarge},
		{"request line over the head limit", "GET /" + strings.Repeat("a", 64), &Limits{MaxHeaderBytes: 64}, ErrHeaderTooLarge},
		{"too many empty lines", strings.Repeat("\n", maxLeadingEmptyLines+1), nil, ErrBadRequestLine},
		{"waits: CR may start CRLF", "GET / HTTP/1.1\r", nil, ErrNeedMore},
		{"waits: method so far", "GE", nil, ErrNeedMore},
		{"waits: target at the limit", "GET /" + strings.Repeat("a", 9), &Limits{MaxTargetBytes: 10}, ErrNeedMore},
		{"waits: complete version", "GET / HTTP/2.0", nil, ErrNeedMore},
		{"waits: fields are judged once complete", "GET / HTTP/1.1\r\nX Y: z\r\n", nil, ErrNeedMore},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := checkSplits(t, []byte(tc.raw), tc.lim, uint64(i))
			if got.Err != tc.wantErr {
				t.Fatalf("got %+v, want %v", got, tc.wantErr)
			}
		})
	}
}

// TestParseReuse checks that a RequestHead parsed into again, by the same
// parser or a new one, keeps nothing of the previous request.
func TestParseReuse(t *testing.T) {
	first := "POST http://a.example/x?y HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nTransfer-Encoding: chunked\r\nConnection: close\r\nExpect: 100-continue\r\n\r\n"
	second := "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
	for _, newParser := range []bool{false, true} {
		var (
			p RequestParser
			r RequestHead
		)
		if _, err := p.Parse(&r, []byte(first), nil); err != nil {
			t.Fatal(err)
		}
		if newParser {
			p = RequestParser{}
		}
		n, err := p.Parse(&r, []byte(second), nil)
		got := snapshot(&r, n, err)
		want := parseWhole([]byte(second), nil)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("newParser=%v: got %+v, want %+v", newParser, got, want)
		}
	}
}

// TestParseAfterError checks that an error leaves no resume state behind:
// a caller that ignores it and parses the same Request again gets a fresh
// verdict rather than one that skipped bytes.
func TestParseAfterError(t *testing.T) {
	var (
		p RequestParser
		r RequestHead
	)
	if _, err := p.Parse(&r, []byte("GET /\x00"), nil); err != ErrBadTarget {
		t.Fatalf("got %v, want ErrBadTarget", err)
	}
	if p.ScanPos() != 0 {
		t.Fatalf("ScanPos after an error = %d, want 0", p.ScanPos())
	}
	if _, err := p.Parse(&r, []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), nil); err != nil {
		t.Fatal(err)
	}
}

// TestParseBadResumePosition checks that a position from ResumeAt that does
// not belong to the buffer can neither crash Parse nor change its verdict on
// a complete head; at worst, when it lies past the head's end, Parse keeps
// waiting for more input.
func TestParseBadResumePosition(t *testing.T) {
	raw := []byte("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n")
	want := parseWhole(raw, nil)
	for _, pos := range []int{-5, 3, 20, 40, len(raw), len(raw) + 10} {
		var (
			p RequestParser
			r RequestHead
		)
		p.ResumeAt(pos)
		n, err := p.Parse(&r, raw, nil)
		if got := snapshot(&r, n, err); !reflect.DeepEqual(got, want) && (err != ErrNeedMore || pos <= want.N) {
			t.Errorf("ResumeAt(%d): got %+v, want %+v", pos, got, want)
		}
	}
}

// TestParseViews checks that the parsed slices point into the caller's
// buffer: the zero-copy promise of the package doc.
func TestParseViews(t *testing.T) {
	buf := []byte("GET /p?q HTTP/1.1\r\nHost: h\r\nX: y\r\n\r\n")
	var (
		p RequestParser
		r RequestHead
	)
	if _, err := p.Parse(&r, buf, nil); err != nil {
		t.Fatal(err)
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	within := func(b []byte) bool {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		return len(b) > 0 && p >= lo && p+uintptr(len(b)) <= lo+uintptr(len(buf))
	}
	for _, b := range [][]byte{r.Method, r.Target, r.Path, r.Query, r.Proto, r.Host, r.Header.At(1).Name, r.Header.At(1).Value} {
		if !within(b) {
			t.Errorf("%q does not point into the buffer", b)
		}
	}
}

func TestProtoAtLeast(t *testing.T) {
	r := RequestHead{Major: 1, Minor: 1}
	for _, tc := range []struct {
		major, minor int
		want         bool
	}{{1, 0, true}, {1, 1, true}, {1, 2, false}, {2, 0, false}, {0, 9, true}} {
		if got := r.ProtoAtLeast(tc.major, tc.minor); got != tc.want {
			t.Errorf("ProtoAtLeast(%d, %d) = %v, want %v", tc.major, tc.minor, got, tc.want)
		}
	}
}

func TestValidHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"", true}, {"example.com", true}, {"example.com:8080", true}, {"example.com:", true},
		{"xn--bcher-kva.example", true}, {"a_b-c~d!$&'()*+,;=", true}, {"127.0.0.1:80", true},
		{"[::1]", true}, {"[::1]:443", true}, {"[2001:db8::1]:8080", true}, {"[::ffff:192.0.2.1]", true},
		{"[1:2:3:4:5:6:7:8]", true},
		{"a:b", false}, {"a:1:2", false}, {"a:123456", false}, {"u@h", false}, {"a b", false},
		{"a/b", false}, {"a%2eb", false}, {"[::1", false}, {"[::1]x", false}, {"[]", false},
		{"[AA]", false}, {"[1::2::3]", false}, {"[fe80::1%25en0]", false}, {"[v1.x]", false},
		{"[::01.2.3.4]", false}, {"[1:2:3:4:5:6:7:8:9]", false}, {"::1", false}, {"caf\xc3\xa9", false},
	}
	for _, tc := range tests {
		if got := validHost([]byte(tc.host)); got != tc.want {
			t.Errorf("validHost(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

// TestValidIPv6 checks the IPv6 literal grammar against net/netip.
func TestValidIPv6(t *testing.T) {
	for _, s := range []string{
		"::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9",
		"1::2::3", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "1.2.3.4", ":1", "1:",
		"1:::2", "12345::", "fe80::1%en0", "::01.2.3.4", "::1.2.3", "::1.2.3.4.5", "AA", "::1.2.3.4:5",
		"aaaa:bbbb:cccc:dddd:eeee:ffff:0000:1111", "1:2:3:4:5:6:7::8", "::ffff:256.1.1.1", "1::1.2.3.4", "",
	} {
		a, err := netip.ParseAddr(s)
		want := err == nil && a.Is6() && a.Zone() == ""
		if got := validIPv6([]byte(s)); got != want {
			t.Errorf("validIPv6(%q) = %v, netip says %v", s, got, want)
		}
	}
}
