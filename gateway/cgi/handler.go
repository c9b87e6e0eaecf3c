package cgi

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/web"
)

// Handler runs a CGI script for each request (RFC 3875).
type Handler struct {
	cfg  Config
	root string // the real path of cfg.Root
	log  *slog.Logger
	envs sync.Pool // *envSink
}

var _ web.Handler = (*Handler)(nil)

// New checks c and its root, which must be an existing directory, and
// returns a Handler for it.
func New(c Config) (*Handler, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("cgi: %w", err)
	}
	abs, err := filepath.Abs(c.Root)
	if err != nil {
		return nil, fmt.Errorf("cgi: root %s: %w", c.Root, err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("cgi: root %s: %w; give an existing directory", c.Root, err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("cgi: root %s is not a directory", c.Root)
	}
	h := &Handler{cfg: c, root: root, log: c.Logger}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.cfg.Dispatch == nil {
		h.cfg.Dispatch = h
	}
	h.envs.New = func() any { return new(envSink) }
	return h, nil
}

// ServeHTTP finds the script, reads the request body, runs the script and
// relays its response.
func (h *Handler) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	path, err := cgienv.DecodePath(r.Path)
	if err != nil {
		return err
	}
	s, err := h.resolve(path)
	if err != nil {
		return err
	}
	stdin, bodyLen, err := h.readBody(r)
	if err != nil {
		return err
	}
	if stdin != nil {
		defer stdin.Close()
	}
	env := h.envs.Get().(*envSink)
	defer h.envs.Put(env)
	if err := h.environ(env, r, s, bodyLen); err != nil {
		return err
	}
	return h.run(w, r, s, env.list, stdin)
}

// readBody reads the request body whole into an unlinked temporary file,
// before the script starts: RFC 3875 §4.1.2 wants its length in
// CONTENT_LENGTH, which a chunked body gives only at its end, and a
// client that sends slowly then holds no process. The router bounds the
// body (max_body). It returns a nil file and -1 when there is no body.
func (h *Handler) readBody(r *web.Request) (*os.File, int64, error) {
	if r.ContentLength == 0 && !r.Chunked {
		if r.Header.Has("Content-Length") {
			return nil, 0, nil
		}
		return nil, -1, nil
	}
	f, err := os.CreateTemp(h.cfg.TempDir, "brick-cgi-")
	if err != nil {
		return nil, 0, fmt.Errorf("cgi: temporary file for the request body: %w", err)
	}
	os.Remove(f.Name())
	n, err := io.Copy(f, r.Body)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		var he *web.HandlerError
		if errors.As(err, &he) {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("cgi: reading the request body: %w", err)
	}
	return f, n, nil
}

// envSink collects a script's environment as "NAME=value" strings.
type envSink struct {
	list     []string
	dropAuth bool
}

// Add keeps a meta-variable; it copies key and value, which Build reuses.
func (e *envSink) Add(key, value []byte) {
	if e.dropAuth && string(key) == "HTTP_AUTHORIZATION" {
		return
	}
	e.list = append(e.list, string(key)+"="+string(value))
}

// environ builds the script's environment: PATH, the configured Env, then
// the meta-variables of gateway/cgienv for the script's SCRIPT_NAME, and
// SCRIPT_FILENAME, REMOTE_HOST and PATH_TRANSLATED. exec keeps the last of duplicate
// names, so no configured name can hide a meta-variable.
func (h *Handler) environ(e *envSink, r *web.Request, s script, bodyLen int64) error {
	e.list = append(e.list[:0], "PATH="+DefaultPath)
	e.list = append(e.list, h.cfg.Env...)
	e.dropAuth = !h.cfg.PassAuthorization
	var b cgienv.Builder
	o := cgienv.Options{ScriptName: s.name}
	if err := b.Build(e, r, &o, bodyLen); err != nil {
		return err
	}
	e.list = append(e.list, "SCRIPT_FILENAME="+s.file)
	if a := r.RemoteAddr.Addr(); a.IsValid() {
		// RFC 3875 §4.1.9: the address stands in for a name the server
		// does not look up.
		e.list = append(e.list, "REMOTE_HOST="+a.Unmap().WithZone("").String())
	}
	if info := s.info; info != "" {
		// RFC 3875 §4.1.6: PATH_INFO mapped as a file path. The route
		// knows one directory, the scripts' root.
		e.list = append(e.list, "PATH_TRANSLATED="+filepath.Join(h.root, filepath.FromSlash(info)))
	}
	return nil
}
