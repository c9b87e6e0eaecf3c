package service

import (
	"errors"
	"log/slog"
	"net"
	"syscall"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/internal/listenfd"
	"github.com/brick-server/brick/server"
)

// ListenError is a listener that could not be opened.
type ListenError struct {
	Addr string
	// Admin: the address is the admin listener's, not a site's.
	Admin bool
	Err   error
}

// Error says which address failed and why, in the system's words
// ("address already in use"), without the layers of wrapping between.
func (e *ListenError) Error() string {
	return "cannot listen on " + e.Addr + ": " + listenCause(e.Err)
}

func (e *ListenError) Unwrap() error { return e.Err }

// listenCause is the innermost reason a listen failed: the errno's text
// when there is one, else what the network layer said.
func listenCause(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}

// Open builds a Service as New does, but binds its listeners first: a
// port already in use is reported at once, not after every application
// has imported (seconds, for Django). Inherited sockets (socket
// activation, a binary upgrade) are taken before new ones are opened, as
// Run does. The listeners are closed again if the build fails; Run
// serves them.
func Open(src Source, handlers Handlers, log *slog.Logger) (*Service, error) {
	opts, err := loadChecked(src, handlers)
	if err != nil {
		return nil, err
	}
	lns, err := listen(opts.Server, log)
	if err != nil {
		return nil, err
	}
	// New loads the options once more; the ones just checked are those
	// the listeners were opened for.
	first := opts
	s, err := New(Source{Name: src.Name, Load: func() (*config.Options, error) { return first, nil }}, handlers, log)
	if err != nil {
		for _, l := range lns {
			l.Close()
		}
		return nil, err
	}
	s.source = src // reloads read the source again
	s.lns = lns
	return s, nil
}

// listen opens the listeners of so: the sites' addresses in order, then
// the admin address, then any extra sockets socket activation gave.
func listen(so config.Server, log *slog.Logger) ([]listenfd.Listener, error) {
	lc := server.ListenConfig{Backlog: so.Backlog, ReusePort: so.ReusePort}
	// In the order Run takes them apart: plain, TLS, admin.
	addrs := append(append([]string(nil), so.Listen...), so.ListenTLS...)
	if so.Admin != "" {
		addrs = append(addrs, so.Admin)
	}
	lns, err := Listeners(addrs, lc, log)
	var le *ListenError
	if errors.As(err, &le) && so.Admin != "" && le.Addr == so.Admin {
		le.Admin = true
	}
	return lns, err
}
