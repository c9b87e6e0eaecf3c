package cgi

import (
	"bytes"
	"context"
	"fmt"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// maxLocalRedirects bounds the local redirects one request may go
// through, as Apache's LimitInternalRecursion (10): scripts that redirect
// to each other must not loop forever.
const maxLocalRedirects = 10

// redirectsKey is the context key of the number of local redirects a
// request went through.
type redirectsKey struct{}

// localRedirect serves loc, a path and query a script named (RFC 3875
// §6.2.2), as a GET request of its own through Dispatch: the response is
// the one a client asking for loc would get, under the same Host and
// fields, without the body of the original request.
func (h *Handler) localRedirect(w web.ResponseWriter, r *web.Request, loc string) error {
	depth, _ := r.Context().Value(redirectsKey{}).(int)
	if depth >= maxLocalRedirects {
		return web.Error(500, fmt.Errorf("cgi: more than %d local redirects in a row, the last to %q; do the scripts redirect to each other?", maxLocalRedirects, loc))
	}
	n := r.Clone()
	n.SetContext(context.WithValue(r.Context(), redirectsKey{}, depth+1))
	n.Method = []byte("GET")
	n.Target = []byte(loc)
	n.Form = wire.OriginForm
	n.Path, n.Query = n.Target, nil
	if i := bytes.IndexByte(n.Target, '?'); i >= 0 {
		n.Path, n.Query = n.Target[:i], n.Target[i+1:]
	}
	for _, name := range [...]string{"Content-Length", "Content-Type", "Transfer-Encoding", "Expect"} {
		n.Header.Del(name)
	}
	n.ContentLength, n.Chunked, n.Expect100 = 0, false, false
	n.Site, n.Route = "", ""
	return h.cfg.Dispatch.ServeHTTP(w, n)
}
