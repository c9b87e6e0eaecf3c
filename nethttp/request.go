package nethttp

import (
	"io"
	"net/http"
	"net/textproto"
	"net/url"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// newRequest builds a net/http request from Brick's request view, copying
// everything out of the connection's buffer.
func newRequest(r *web.Request) (*http.Request, error) {
	u, err := parseURL(&r.RequestHead)
	if err != nil {
		return nil, err
	}
	req := &http.Request{
		Method:        method(r.Method),
		URL:           u,
		Proto:         proto(r),
		ProtoMajor:    r.Major,
		ProtoMinor:    r.Minor,
		Header:        make(http.Header, r.Header.Len()),
		ContentLength: r.ContentLength,
		Close:         r.Close,
		Host:          string(r.Host),
		RequestURI:    string(r.Target),
	}
	if r.RemoteAddr.IsValid() {
		req.RemoteAddr = r.RemoteAddr.String()
	}
	if r.TLS != nil {
		// A copy: the connection's state is shared by its requests, and
		// a net/http handler owns its request.
		cs := *r.TLS
		req.TLS = &cs
	}
	for _, f := range r.Header.Fields() {
		key := textproto.CanonicalMIMEHeaderKey(string(f.Name))
		if key == "Host" || key == "Transfer-Encoding" && r.Chunked {
			// net/http moves Host into Request.Host and the chunked
			// coding into Request.TransferEncoding.
			continue
		}
		req.Header[key] = append(req.Header[key], string(f.Value))
	}
	switch {
	case r.Chunked:
		req.TransferEncoding = []string{"chunked"}
		req.Body = &body{r: r.Body}
	case r.ContentLength > 0 || r.ContentLength < 0:
		// A negative length without chunking is an HTTP/2 body whose
		// length the client did not declare.
		req.Body = &body{r: r.Body}
	default:
		req.Body = http.NoBody
	}
	return req, nil
}

// parseURL parses the request-target by its form (RFC 9112 §3.2), as
// net/http does.
func parseURL(r *wire.RequestHead) (*url.URL, error) {
	switch r.Form {
	case wire.AsteriskForm:
		return &url.URL{Path: "*"}, nil
	case wire.AuthorityForm:
		return &url.URL{Host: string(r.Target)}, nil
	}
	return url.ParseRequestURI(string(r.Target))
}

// method returns the method as a string, without allocating for the
// common ones.
func method(m []byte) string {
	switch string(m) {
	case "GET":
		return http.MethodGet
	case "HEAD":
		return http.MethodHead
	case "POST":
		return http.MethodPost
	case "PUT":
		return http.MethodPut
	case "DELETE":
		return http.MethodDelete
	case "OPTIONS":
		return http.MethodOptions
	case "PATCH":
		return http.MethodPatch
	}
	return string(m)
}

func proto(r *web.Request) string {
	if r.Major == 2 {
		return "HTTP/2.0"
	}
	if r.Minor == 0 {
		return "HTTP/1.0"
	}
	return "HTTP/1.1"
}

// body gives the request body the Close method net/http handlers expect.
type body struct {
	r      io.Reader
	closed bool
}

func (b *body) Read(p []byte) (int, error) {
	if b.closed {
		return 0, http.ErrBodyReadAfterClose
	}
	return b.r.Read(p)
}

// Close stops reading; the server discards (or refuses) what is left.
func (b *body) Close() error {
	b.closed = true
	return nil
}
