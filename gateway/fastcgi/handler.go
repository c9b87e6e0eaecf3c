package fastcgi

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/static"
	"github.com/brick-server/brick/web"
)

// Handler is the web.Handler of a PHP route: scripts under the root run
// on the FastCGI server, other files are served by a static.FileServer of
// the same root.
type Handler struct {
	cfg    Config
	mount  string // Prefix without its trailing slash: SCRIPT_NAME's start
	env    cgienv.Options
	pool   *pool
	static *static.FileServer
	// fsroot is Root, opened once: scripts are looked up through it.
	fsroot *os.Root
	log    *slog.Logger
	calls  sync.Pool
}

var _ web.Handler = (*Handler)(nil)

// New returns a Handler of cfg. Zero values of Index, Timeout, Conns and
// FastCGI mean their defaults. It checks that Root is a directory; it does
// not connect to the server, which may start later: a request that finds
// it down gets 502.
func New(cfg Config) (*Handler, error) {
	d := DefaultConfig()
	if cfg.FastCGI == "" {
		cfg.FastCGI = d.FastCGI
	}
	if cfg.Index == "" {
		cfg.Index = d.Index
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.Conns == 0 {
		cfg.Conns = d.Conns
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("php: %w", err)
	}
	root, err := filepath.Abs(cfg.Root)
	if err != nil {
		return nil, fmt.Errorf("php: root: %w", err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("php: root %s is not a directory; give the directory of the scripts", root)
	}
	cfg.Root = root
	fsroot, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("php: root: %w", err)
	}
	sc := static.DefaultConfig()
	sc.Root, sc.Prefix, sc.Logger = root, cfg.Prefix, cfg.Logger
	fs, err := static.New(sc)
	if err != nil {
		fsroot.Close()
		return nil, err
	}
	h := &Handler{cfg: cfg, mount: strings.TrimSuffix(cfg.Prefix, "/"), static: fs, fsroot: fsroot, log: cfg.Logger,
		pool: newPool(cfg.FastCGI, cfg.Conns, min(cfg.Timeout, 10*time.Second))}
	h.env = cgienv.Options{ScriptName: h.mount}
	h.calls.New = func() any { return &call{} }
	return h, nil
}

// Close closes the idle connections to the server and the file server.
func (h *Handler) Close() error {
	h.pool.close()
	h.fsroot.Close()
	return h.static.Close()
}

// call holds one request's scratch space; calls are reused.
type call struct {
	env    cgienv.Builder
	path   []byte // the decoded path
	params Params
	out    []byte // the records of the request's head
	chunk  []byte // a STDIN record being sent
	head   []byte // the script's header block as it arrives
	body   []byte // a small or chunked request body read whole
	br     bytes.Reader
}

// ServeHTTP answers a request under the root.
func (h *Handler) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	c := h.calls.Get().(*call)
	defer h.calls.Put(c)
	var err error
	c.path, err = cgienv.AppendPath(c.path[:0], r.Path)
	if err != nil {
		return err
	}
	rel, ok := bytes.CutPrefix(c.path, []byte(h.mount))
	if !ok || len(rel) == 0 || rel[0] != '/' {
		return cgienv.ErrOutsideMount
	}
	t := resolve(h.fsroot, string(rel), h.cfg.Index)
	switch t.kind {
	case serveFile:
		return h.static.ServeHTTP(w, r)
	case addSlash:
		loc := string(r.Path) + "/"
		if r.Query != nil {
			loc += "?" + string(r.Query)
		}
		w.Header().Set("Location", loc)
		return plain(w, 301, "Moved Permanently\n")
	case runScript:
		return h.run(w, r, c, &t)
	}
	return plain(w, 404, "Not Found\n")
}

// envSink passes the variables cgienv builds to the PARAMS, except the
// two the script's location decides.
type envSink struct{ p *Params }

func (s envSink) Add(k, v []byte) {
	if string(k) == "SCRIPT_NAME" || string(k) == "PATH_INFO" {
		return
	}
	s.p.Add(k, v)
}

// run runs the script t names.
func (h *Handler) run(w web.ResponseWriter, r *web.Request, c *call, t *target) error {
	var body io.Reader
	bodyLen := int64(-1)
	replay := false // body can be sent again: it is in memory or a file
	switch {
	case r.ContentLength > 0 && r.ContentLength <= smallBody:
		// A small body is read before a connection is taken: a slow
		// client does not hold a PHP child, and the body can go again
		// on a new connection if a kept-alive one turns out closed.
		c.body = slices.Grow(c.body[:0], int(r.ContentLength))[:r.ContentLength]
		if _, err := io.ReadFull(r.Body, c.body); err != nil {
			return err
		}
		c.br.Reset(c.body)
		body, bodyLen, replay = &c.br, r.ContentLength, true
	case r.Chunked:
		// PHP needs CONTENT_LENGTH to read a body: a chunked one is
		// read whole first, as nginx does.
		f, n, err := h.readChunked(c, r)
		if err != nil {
			return err
		}
		if f != nil {
			defer f.Close()
			body = f
		} else {
			c.br.Reset(c.body)
			body = &c.br
		}
		bodyLen, replay = n, true
	case r.ContentLength > 0:
		body, bodyLen = r.Body, r.ContentLength
	case r.Header.Has("Content-Length"):
		bodyLen = 0
	}

	c.params.Reset()
	if err := c.env.Build(envSink{&c.params}, r, &h.env, bodyLen); err != nil {
		return err
	}
	p := &c.params
	p.AddString("SCRIPT_NAME", h.mount+t.script)
	p.AddString("SCRIPT_FILENAME", h.cfg.Root+t.script)
	p.AddString("PATH_INFO", t.info)
	if t.info != "" {
		p.AddString("PATH_TRANSLATED", h.cfg.Root+t.info)
	}
	p.AddString("DOCUMENT_ROOT", h.cfg.Root)
	p.AddString("DOCUMENT_URI", h.mount+t.script+t.info)
	// php-cgi's cgi.force_redirect asks for it; nginx's fastcgi_params
	// sends it too.
	p.AddString("REDIRECT_STATUS", "200")
	var err error
	c.out = AppendBeginRequest(c.out[:0], requestID, FlagKeepConn)
	if c.out, err = c.params.AppendRecords(c.out, requestID); err != nil {
		return plain(w, 431, "Request Header Fields Too Large\n")
	}
	if body == nil {
		c.out = AppendStream(c.out, TypeStdin, requestID, nil)
	}
	return h.exchange(w, r, c, t, body, replay)
}

// smallBody is the largest body with a Content-Length read whole before
// the request goes to PHP.
const smallBody = 64 << 10

// bodyMemory is the largest chunked request body kept in memory; a larger
// one goes to a temporary file.
const bodyMemory = 1 << 20

// readChunked reads a chunked request body whole, into c.body or, past
// bodyMemory, into an unlinked temporary file.
func (h *Handler) readChunked(c *call, r *web.Request) (*os.File, int64, error) {
	c.body = c.body[:0]
	for {
		if len(c.body) == cap(c.body) {
			c.body = append(c.body, 0)[:len(c.body)]
		}
		n, err := r.Body.Read(c.body[len(c.body):min(cap(c.body), bodyMemory+1)])
		c.body = c.body[:len(c.body)+n]
		if err == io.EOF {
			return nil, int64(len(c.body)), nil
		}
		if err != nil {
			return nil, 0, err
		}
		if len(c.body) > bodyMemory {
			break
		}
	}
	f, err := os.CreateTemp("", "brick-php-body-*")
	if err != nil {
		h.log.Error("php: cannot spool a request body", "err", err)
		return nil, 0, web.Error(500, err)
	}
	os.Remove(f.Name())
	prefix := int64(len(c.body))
	_, werr := f.Write(c.body)
	c.body = c.body[:0]
	n, err := io.Copy(f, r.Body)
	if werr == nil {
		_, werr = f.Seek(0, io.SeekStart)
	}
	if err != nil || werr != nil {
		f.Close()
		if err == nil {
			h.log.Error("php: cannot spool a request body", "err", werr)
			return nil, 0, web.Error(500, werr)
		}
		return nil, 0, err
	}
	return f, prefix + n, nil
}

// plain answers with a short text, as Brick's own errors are.
func plain(w web.ResponseWriter, status int, text string) error {
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(status)
	w.WriteString(text)
	return nil
}
