package wsgi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// File offload: an application answers "X-Sendfile: /srv/media/a.iso" or
// "X-Accel-Redirect: /protected/a.iso" with an empty body, and Brick
// serves the file itself (sendfile, ranges, conditional requests) once the
// worker is free again, as nginx does for uWSGI and gunicorn. The
// application's other fields are kept, its Content-Type too (the file's
// name decides only without one, as in nginx), except those that
// describe the bytes sent, which are the file's: Content-Length,
// Content-Range, Content-Encoding, Accept-Ranges, ETag and Last-Modified.
// X-Sendfile keeps the application's status (lighttpd's rule) but a 206;
// X-Accel-Redirect is answered by the internal route (nginx's).

// maxOffloads bounds X-Accel-Redirects that lead to further ones.
const maxOffloads = 10

type offloadsKey struct{}

// offloadHeader reports which offload field the application's head
// carries, if any.
func offloadHeader(h *Head) (name string, value []byte) {
	if v := h.Header.Get("X-Accel-Redirect"); v != nil {
		return "X-Accel-Redirect", v
	}
	if v := h.Header.Get("X-Sendfile"); v != nil {
		return "X-Sendfile", v
	}
	return "", nil
}

// offload serves the file an application named instead of a body. The
// worker's body (ignored) is read to its end first and the worker given
// back, so it serves others while the file goes out.
func (h *Handler) offload(w web.ResponseWriter, r *web.Request, wk *worker, c *call, name string, value []byte) error {
	if !wk.frames.buffered() {
		// A body still coming (a streamed file response beside the
		// field, or one that never ends) is the worker's to stop, as
		// for a client that left: the client waits for the drain.
		wk.cancel(c.seq)
	}
	if err := h.drain(wk); err != nil {
		var ab appAborted
		if errors.As(err, &ab) {
			h.appFailed(r, wk, ab)
			h.pool.finished(wk)
			return plain(w, 500, "Internal Server Error\n")
		}
		return h.broken(w, r, wk, err)
	}
	h.pool.finished(wk)

	depth, _ := r.Context().Value(offloadsKey{}).(int)
	if depth >= maxOffloads {
		h.log.Error("wsgi: more than 10 offloads in a row; do the applications send each other X-Accel-Redirect?", "request", requestLine(r), "to", string(value))
		return plain(w, 500, "Internal Server Error\n")
	}
	n := r.Clone()
	n.SetContext(context.WithValue(r.Context(), offloadsKey{}, depth+1))
	if string(n.Method) != "HEAD" {
		n.Method = []byte("GET") // as nginx: the file answers whatever asked
	}
	for _, f := range [...]string{"Content-Length", "Content-Type", "Transfer-Encoding", "Expect"} {
		n.Header.Del(f)
	}
	n.ContentLength, n.Chunked, n.Expect100 = 0, false, false
	n.Site, n.Route = "", ""
	ow := &offloadWriter{ResponseWriter: w, app: &c.head.Header}

	if name == "X-Accel-Redirect" {
		if h.Dispatch == nil || len(value) == 0 || value[0] != '/' {
			h.log.Error("wsgi: X-Accel-Redirect refused: it must be a path such as /protected/file, served by a route marked internal = true",
				"request", requestLine(r), "to", string(value), "router", h.Dispatch != nil)
			return plain(w, 500, "Internal Server Error\n")
		}
		n.Target = append([]byte(nil), value...)
		n.Form = wire.OriginForm
		n.Path, n.Query = n.Target, nil
		if i := bytes.IndexByte(n.Target, '?'); i >= 0 {
			n.Path, n.Query = n.Target[:i], n.Target[i+1:]
		}
		if climbs(n.Path) {
			// nginx refuses such an "unsafe URI" 404: an application
			// that appends a name from the client to /protected/ must
			// not be led to another internal route by "../".
			h.log.Warn("wsgi: X-Accel-Redirect refused (404): its path has a .. segment, as written or percent-encoded; if a client's input is in it, check that input",
				"request", requestLine(r), "to", string(value))
			return plain(w, 404, "Not Found\n")
		}
		return h.Dispatch.ServeHTTP(ow, n)
	}

	rel, why := h.sendfilePath(string(value))
	if why != "" {
		// The application's doing, not the client's: a 500 that the
		// operator sees in the log, never a file from outside the root.
		h.log.Error("wsgi: X-Sendfile refused: "+why, "request", requestLine(r), "path", string(value), "sendfile_root", h.cfg.SendfileRoot)
		return plain(w, 500, "Internal Server Error\n")
	}
	if fi, err := os.Stat(filepath.Join(h.sendRoots[0], rel)); err == nil && fi.IsDir() {
		// Files would answer a directory as a static route does (a
		// redirect to its slash form, an index), at a path that means
		// nothing on the client's site: nothing to send, as a missing
		// file.
		h.log.Error("wsgi: X-Sendfile refused: the path is a directory; name a file", "request", requestLine(r), "path", string(value))
		return plain(w, 404, "Not Found\n")
	}
	if st := c.head.Status; st != 200 && st != 206 && st >= 200 && wire.BodyAllowed(st) {
		// The application's status stands, as lighttpd keeps it for
		// X-Sendfile: a custom error page sent with 404 or 410 must not
		// become a 200. The file is that status's whole body, so no
		// range or validator of the client's applies to it. A 206 is
		// not kept: it names the part sent (Content-Range, RFC 9110
		// §15.3.7), which is Files' to choose from the client's Range.
		for _, f := range [...]string{"Range", "If-Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"} {
			n.Header.Del(f)
		}
		ow.status, ow.reason = st, c.head.Reason
	}
	n.Target = []byte((&url.URL{Path: rel}).EscapedPath())
	n.Form = wire.OriginForm
	n.Path, n.Query = n.Target, nil
	return h.Files.ServeHTTP(ow, n)
}

// climbs reports whether a percent-encoded path has a ".." segment, as
// written or once decoded ("%2e%2e", "..%2f"), or a NUL, which nginx's
// ngx_http_parse_unsafe_uri refuses in an X-Accel-Redirect.
func climbs(p []byte) bool {
	var dec []byte
	if bytes.IndexByte(p, '%') >= 0 {
		dec = make([]byte, 0, len(p))
		for i := 0; i < len(p); i++ {
			if p[i] == '%' && i+2 < len(p) {
				if v, err := strconv.ParseUint(string(p[i+1:i+3]), 16, 8); err == nil {
					dec = append(dec, byte(v))
					i += 2
					continue
				}
			}
			dec = append(dec, p[i])
		}
	}
	for _, q := range [...][]byte{p, dec} {
		if bytes.IndexByte(q, 0) >= 0 {
			return true
		}
		for seg := range bytes.SplitSeq(q, []byte("/")) {
			if string(seg) == ".." {
				return true
			}
		}
	}
	return false
}

// sendfileRoots returns the spellings of SendfileRoot an X-Sendfile path
// may start with: as configured, and with its symbolic links resolved,
// which is the directory Files opened. An application often names files
// by their real path (Django resolves its BASE_DIR, so MEDIA_ROOT is
// real) while the operator configures a stable link (/srv/app/current).
func sendfileRoots(root string) []string {
	if root == "" {
		return nil
	}
	roots := []string{filepath.Clean(root)}
	if real, err := filepath.EvalSymlinks(root); err == nil && real != roots[0] {
		roots = append(roots, real)
	}
	return roots
}

// sendfilePath maps an X-Sendfile path to the URL path of the file under
// SendfileRoot, which Files serves; why says why it is refused.
func (h *Handler) sendfilePath(p string) (rel, why string) {
	switch {
	case len(h.sendRoots) == 0:
		return "", "no sendfile_root is set; set it to the directory the application may send files from"
	case h.Files == nil:
		return "", "the handler has no Files to serve sendfile_root with (set wsgi.Handler.Files)"
	case !filepath.IsAbs(p):
		return "", "the path is not absolute"
	}
	clean := filepath.Clean(p)
	for _, root := range h.sendRoots {
		r, err := filepath.Rel(root, clean)
		if err == nil && r != ".." && !strings.HasPrefix(r, "../") {
			if bad := unservedName(r); bad != "" {
				// Files refuses such a name as a client's bad path
				// (400): the application's doing, said as such.
				return "", "the file's path has " + bad + ", which Brick's file server does not serve; rename the file"
			}
			// Symbolic links that lead out of the root are Files' to
			// refuse (403), as for any static route.
			return "/" + filepath.ToSlash(r), ""
		}
	}
	return "", "the path is outside sendfile_root"
}

// unservedName names what in a path the static file server refuses
// (static.cleanPath): a control byte, a backslash, bytes that are not
// UTF-8; "" for none.
func unservedName(p string) string {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f:
			return "a control byte"
		case c == '\\':
			return "a backslash"
		}
	}
	if !utf8.ValidString(p) {
		return "bytes that are not UTF-8"
	}
	return ""
}

// offloadWriter puts the application's fields on the file's response,
// and its status in place of a 200 when status is set.
type offloadWriter struct {
	web.ResponseWriter
	app    *wire.Header
	status int
	reason []byte
}

// Unwrap lets SendFile and Flush find the server's writer.
func (o *offloadWriter) Unwrap() web.ResponseWriter { return o.ResponseWriter }

// bodyFields are the file's to describe, whatever the application said.
var bodyFields = [...]string{"Content-Length", "Content-Range", "Content-Encoding",
	"Accept-Ranges", "ETag", "Last-Modified", "X-Sendfile", "X-Accel-Redirect"}

func (o *offloadWriter) WriteHeader(status int) {
	if status >= 200 && status < 300 || status == 304 {
		dst := o.ResponseWriter.Header()
		fields := o.app.Fields()
		// The application's Content-Type is the file's, as nginx keeps
		// it (and guesses none over it): an uploaded page it sends as
		// text/plain, or a stored file's recorded type, is meant. A 304
		// has no body to type, and a multipart/byteranges type is the
		// envelope's, not the file's.
		appType := status != 304 && !bytes.HasPrefix(dst.Get("Content-Type"), []byte("multipart/byteranges"))
		keep := func(name []byte) bool {
			if wire.EqualFold(name, "Content-Type") {
				return appType
			}
			for _, b := range bodyFields {
				if wire.EqualFold(name, b) {
					return false
				}
			}
			return true
		}
		// The application's value replaces the file server's (a
		// Cache-Control of its own), and repeats (Set-Cookie) stay.
		for _, f := range fields {
			if keep(f.Name) {
				dst.Del(string(f.Name))
			}
		}
		for _, f := range fields {
			if keep(f.Name) {
				dst.AddBytes(f.Name, f.Value)
			}
		}
	}
	if status == 200 && o.status != 0 {
		status = o.status
		web.SetReason(o.ResponseWriter, o.reason)
	}
	o.ResponseWriter.WriteHeader(status)
}

// appAborted is an application that raised while its body was drained.
type appAborted []byte

func (a appAborted) Error() string { return fmt.Sprintf("wsgi: the application raised: %s", []byte(a)) }

// drain reads the rest of a response the application offloaded, to its
// end frame, dropping its body.
func (h *Handler) drain(wk *worker) error {
	for {
		typ, n, err := wk.frames.header()
		if err != nil {
			return err
		}
		switch typ {
		case FrameData:
			for left := int(n); left > 0; {
				b, err := wk.frames.chunk(left)
				if err != nil {
					return err
				}
				left -= len(b)
			}
		case FrameEnd:
			return nil
		case FrameAbort:
			payload, err := wk.frames.payload(n)
			if err != nil {
				return err
			}
			return appAborted(bytes.Clone(payload))
		default:
			return errProtocol(typ)
		}
	}
}
