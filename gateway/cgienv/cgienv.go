package cgienv

import (
	"bytes"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Sink receives the meta-variables one pair at a time. Key and value are
// only valid during the call and must not be modified (values may be views
// of the request): an implementation that keeps them copies them. Build
// calls Add at most once per key.
type Sink interface {
	Add(key, value []byte)
}

// SinkFunc adapts a function to Sink.
type SinkFunc func(key, value []byte)

// Add calls f(key, value).
func (f SinkFunc) Add(key, value []byte) { f(key, value) }

// Options says where the application is mounted and how it is reached. A
// nil *Options means the zero value: mounted at the root, plain http.
type Options struct {
	// ScriptName is the mount point, the decoded path prefix the
	// application owns, such as "/app". "" and "/" mean the root. Leading
	// and trailing slashes are normalised: "app/" is "/app".
	ScriptName string
	// Scheme is the URI scheme the client used: "http" or "https". Empty
	// means the request's own: "https" when it came over TLS, else
	// "http"; a gateway behind a proxy that ends TLS sets it. It decides
	// REQUEST_SCHEME, HTTPS and the default SERVER_PORT.
	Scheme string
}

// SchemeOf returns the scheme of r as o sees it: o.Scheme when set, else
// "https" for a request that came over TLS and "http" for one that did
// not. A nil o is the zero Options.
func (o *Options) SchemeOf(r *web.Request) string {
	switch {
	case o != nil && o.Scheme != "":
		return o.Scheme
	case r.TLS != nil:
		return "https"
	}
	return "http"
}

// Validate checks o once, when the configuration is loaded; Build itself
// accepts any Options. It refuses a ScriptName with a "." or ".." segment or
// a NUL, which no request Build accepts could match; an empty segment
// ("/a//b"), which no client means; and a '%' or '?', which suggest a mount
// written percent-encoded or with a query, when it is compared with the
// decoded path. It refuses a Scheme other than "", "http" and "https".
func (o *Options) Validate() error {
	switch o.Scheme {
	case "", "http", "https":
	default:
		return errors.New("cgienv: scheme must be http or https")
	}
	m := strings.Trim(o.ScriptName, "/")
	if m == "" {
		return nil
	}
	if strings.ContainsAny(m, "\x00?%") {
		return errors.New("cgienv: script name holds a NUL, '?' or '%'")
	}
	for _, seg := range strings.Split(m, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return errors.New("cgienv: script name has an empty, . or .. segment")
		}
	}
	return nil
}

// Errors Build returns before passing anything to the sink. Both are
// *web.HandlerError values, so a handler can return them as they are.
var (
	// ErrOutsideMount means the decoded path is not the mount point nor
	// below it: the application does not own the request (404).
	ErrOutsideMount error = &web.HandlerError{Status: 404, Err: errors.New("cgienv: path outside the mount point")}
	// ErrBadPath means the path cannot be decoded or may not be passed on:
	// a malformed percent-escape, an encoded NUL, or a "." or ".." segment
	// (400).
	ErrBadPath error = &web.HandlerError{Status: 400, Err: errors.New("cgienv: bad request path")}
)

// Builder builds the meta-variables of requests, reusing one scratch
// buffer, so that a Builder kept across requests does not allocate. The
// zero value is ready to use. A Builder is not safe for concurrent use.
type Builder struct {
	buf []byte
}

// maxKeep bounds the scratch memory a Builder keeps between requests; a
// request with a larger head makes the next one allocate again.
const maxKeep = 64 << 10

// ServerSoftware is the value of SERVER_SOFTWARE.
const ServerSoftware = "Brick"

// Build passes the meta-variables of r to sink: the RFC 3875 §4.1 set as
// PEP 3333 reads it (see the package documentation for each variable).
// bodyLen is the length of the body the application will read; when it is
// at least 0 it becomes CONTENT_LENGTH, and a negative one (-1: no body, or
// its length unknown) leaves CONTENT_LENGTH out.
// A gateway that reads a chunked body whole passes the length it read.
//
// Build returns ErrBadPath or ErrOutsideMount before calling sink at all;
// otherwise it returns nil. It keeps nothing of r or sink after returning.
func (b *Builder) Build(sink Sink, r *web.Request, o *Options, bodyLen int64) error {
	var opt Options
	if o != nil {
		opt = *o
	}
	scheme := opt.SchemeOf(r)

	b.buf = b.buf[:0]
	path, err := b.decodePath(r.Path)
	if err != nil {
		return err
	}
	script, info, err := splitMount(path, opt.ScriptName)
	if err != nil {
		return err
	}
	uri := b.requestURI(&r.RequestHead)
	mark := len(b.buf) // path and uri live below mark; pairs are built above it
	e := emitter{b: b, sink: sink, mark: mark}

	e.view("REQUEST_METHOD", r.Method)
	e.view("SCRIPT_NAME", script)
	e.view("PATH_INFO", info)
	e.view("QUERY_STRING", r.Query)
	e.view("REQUEST_URI", uri)
	e.view("RAW_URI", uri)
	if i := firstField(&r.Header, "Content-Type"); i >= 0 {
		e.view("CONTENT_TYPE", r.Header.At(i).Value)
	}
	if bodyLen >= 0 {
		e.uint("CONTENT_LENGTH", uint64(bodyLen))
	}

	host := r.Host
	if host == nil {
		// A hand-built request may carry only the field.
		host = r.Header.Get("Host")
	}
	e.server(host, r.LocalAddr, scheme)
	e.protocol(&r.RequestHead)
	e.str("SERVER_SOFTWARE", ServerSoftware)
	e.str("GATEWAY_INTERFACE", "CGI/1.1")
	e.str("REQUEST_SCHEME", scheme)
	if scheme == "https" {
		e.str("HTTPS", "on")
	}
	if r.RemoteAddr.Addr().IsValid() {
		e.addr("REMOTE_ADDR", r.RemoteAddr.Addr(), false)
		e.uint("REMOTE_PORT", uint64(r.RemoteAddr.Port()))
	}
	if len(host) > 0 {
		e.view("HTTP_HOST", host)
	}
	e.headers(&r.Header)

	if cap(b.buf) > maxKeep {
		b.buf = nil
	}
	return nil
}

// protocol passes SERVER_PROTOCOL: the version the server speaks for the
// request, so "HTTP/1.2" (read as 1.1, RFC 9110 §6.2) is "HTTP/1.1", and
// HTTP/2 is "HTTP/2", as RFC 9113 names it (WSGI servers that speak it
// pass that). Another request not from the HTTP/1 parser passes its Proto
// as it is.
func (e *emitter) protocol(r *wire.RequestHead) {
	switch {
	case r.Major == 2:
		e.str("SERVER_PROTOCOL", "HTTP/2")
	case r.Major == 1 && r.Minor == 0:
		e.str("SERVER_PROTOCOL", "HTTP/1.0")
	case r.Major == 1 || len(r.Proto) == 0:
		e.str("SERVER_PROTOCOL", "HTTP/1.1")
	default:
		e.view("SERVER_PROTOCOL", r.Proto)
	}
}

// requestURI is REQUEST_URI: the target as received, except that an
// absolute-form target loses its scheme and authority, as nginx's
// $request_uri does, so that the value is always the path and query.
func (b *Builder) requestURI(r *wire.RequestHead) []byte {
	t := r.Target
	if r.Form != wire.AbsoluteForm {
		return t
	}
	i := bytes.Index(t, colonSlashSlash)
	if i < 0 {
		return t // not from the parser
	}
	rest := t[i+3:]
	j := bytes.IndexAny(rest, "/?")
	switch {
	case j < 0:
		return slash
	case rest[j] == '/':
		return rest[j:]
	}
	// "http://h?q": the empty path is "/" (RFC 9110 §4.2.3).
	start := len(b.buf)
	b.buf = append(b.buf, '/')
	b.buf = append(b.buf, rest[j:]...)
	return b.buf[start:len(b.buf):len(b.buf)]
}

var (
	slash           = []byte("/")
	colonSlashSlash = []byte("://")
)

// firstField returns the index of the first field named name, or -1.
func firstField(h *wire.Header, name string) int {
	for i, f := range h.Fields() {
		if wire.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// emitter builds pairs in the scratch buffer above mark and passes them to
// the sink; each pair's memory is reused for the next once Add returns.
type emitter struct {
	b    *Builder
	sink Sink
	mark int
}

// str passes a constant pair. Both are copied to the scratch buffer, so a
// misbehaving sink cannot change what the next request gets.
func (e *emitter) str(key, value string) {
	buf := append(e.b.buf[:e.mark], key...)
	mid := len(buf)
	buf = append(buf, value...)
	e.b.buf = buf
	e.sink.Add(buf[e.mark:mid:mid], buf[mid:len(buf):len(buf)])
}

// view passes value without copying it; only the key is copied. The value
// is capped, so a sink that appends to it cannot write past its end into
// the request's buffer.
func (e *emitter) view(key string, value []byte) {
	buf := append(e.b.buf[:e.mark], key...)
	e.b.buf = buf
	if value == nil {
		value = buf[len(buf):] // "" rather than nil, for sinks that care
	}
	e.sink.Add(buf[e.mark:len(buf):len(buf)], value[:len(value):len(value)])
}

func (e *emitter) uint(key string, n uint64) {
	buf := append(e.b.buf[:e.mark], key...)
	mid := len(buf)
	buf = strconv.AppendUint(buf, n, 10)
	e.b.buf = buf
	e.sink.Add(buf[e.mark:mid:mid], buf[mid:len(buf):len(buf)])
}

// addr passes an IP address in the form RFC 3875 §4.1.8 gives it: an
// IPv4-mapped address as IPv4, no zone, and, when bracket is set, an IPv6
// address in brackets as in a URI (§4.1.14).
func (e *emitter) addr(key string, a netip.Addr, bracket bool) {
	a = a.Unmap().WithZone("")
	buf := append(e.b.buf[:e.mark], key...)
	mid := len(buf)
	v6 := bracket && a.Is6()
	if v6 {
		buf = append(buf, '[')
	}
	buf = a.AppendTo(buf)
	if v6 {
		buf = append(buf, ']')
	}
	e.b.buf = buf
	e.sink.Add(buf[e.mark:mid:mid], buf[mid:len(buf):len(buf)])
}

// server passes SERVER_NAME and SERVER_PORT, the authority of the
// Script-URI (RFC 3875 §3.3, §4.1.14, §4.1.15). The name is the Host's
// (the target's authority for an absolute-form request), with an IPv6
// literal kept in brackets as RFC 3875's server-name grammar has it; without
// one it is the local address, else "localhost". The port is the Host's;
// a Host without a port means the scheme's default port (RFC 9110 §4.2.1),
// which is what the client's URI said even when the server listens on
// another port behind a proxy or a port mapping. Without a Host the port is
// the local address's, else the scheme's default.
func (e *emitter) server(host []byte, local netip.AddrPort, scheme string) {
	name, port := splitHostPort(host)
	defPort := "80"
	if scheme == "https" {
		defPort = "443"
	}
	switch {
	case len(name) > 0:
		e.view("SERVER_NAME", name)
	case local.Addr().IsValid():
		e.addr("SERVER_NAME", local.Addr(), true)
	default:
		e.str("SERVER_NAME", "localhost")
	}
	switch {
	case len(port) > 0:
		e.view("SERVER_PORT", port)
	case len(name) == 0 && local.Addr().IsValid():
		e.uint("SERVER_PORT", uint64(local.Port()))
	default:
		e.str("SERVER_PORT", defPort)
	}
}

// splitHostPort splits uri-host [":" port] (RFC 9110 §7.2), keeping the
// brackets of an IP-literal. An empty port after ':' counts as none.
func splitHostPort(h []byte) (name, port []byte) {
	if len(h) > 0 && h[0] == '[' {
		end := bytes.IndexByte(h, ']')
		if end < 0 {
			return h, nil
		}
		name, rest := h[:end+1], h[end+1:]
		if len(rest) > 1 && rest[0] == ':' {
			port = rest[1:]
		}
		return name, port
	}
	if i := bytes.LastIndexByte(h, ':'); i >= 0 {
		return h[:i], h[i+1:]
	}
	return h, nil
}
