package service

import (
	"fmt"
	"slices"
	"strings"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/wire"
)

// Reload loads the options again and, when they are valid and every
// application in them starts, serves new requests with them; requests in
// flight finish under the old configuration, which is closed after them
// (or after the reload grace period). Invalid options change nothing.
//
// A WSGI pool whose configuration did not change is kept (the same
// *wsgi.Pool, its queue and counters), and its code reloaded in place:
// wsgi.Pool.Reload starts a new set of workers beside the old ones and
// swaps them in once all are ready. A changed pool is started anew and
// swapped in once its workers are ready.
func (s *Service) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	opts, err := loadChecked(s.source, s.handlers)
	if err != nil {
		return err
	}
	old := s.cur.Load()
	gen, err := build(opts, s.handlers, s.log, old.gen)
	if err != nil {
		return err
	}
	for _, np := range gen.carried() {
		if err := np.pool.Reload(); err != nil {
			gen.closeExcept(nil)
			return fmt.Errorf("reloading the code of %s: %w", np.name, err)
		}
	}
	if !sameListeners(old.gen.opts.Server, opts.Server) {
		s.log.Warn("reload: listener changes take effect on restart or binary upgrade (SIGUSR2); keeping the current listeners")
	}
	if fixed := fixedChanges(old.gen.opts.Server, opts.Server); len(fixed) > 0 {
		s.log.Warn("reload: these [server] settings take effect on restart or binary upgrade (SIGUSR2); the others are reloaded",
			"settings", strings.Join(fixed, ", "))
	}
	// Certificates re-read from their files: a renewed one is served from
	// the next handshake on. A failure keeps the ones served. Names new
	// to tls = "auto" are obtained once the configuration is in force.
	m, err := s.prepareACME(opts)
	if err != nil {
		gen.closeExcept(nil)
		return err
	}
	ca := s.certs.InternalCA()
	if err := s.certs.Load(s.certSources(opts, m)); err != nil {
		gen.closeExcept(nil)
		s.dropACME(m)
		return fmt.Errorf("certificates: %w", err)
	}
	s.logInternalCA(ca)
	if err := s.setAccessLog(opts.Log); err != nil {
		gen.closeExcept(nil)
		s.dropACME(m)
		// The certificates were swapped with m's names: put back the
		// running manager's.
		s.certs.Load(s.certSources(old.gen.opts, s.acme.Load()))
		return err
	}
	s.commitACME(m, opts)
	s.cur.Store(newLive(gen))
	old.retire()
	if s.main != nil {
		// New requests and connections take the new timeouts and limits;
		// those in flight keep theirs (server.Update).
		s.main.Update(mainSettings(opts.Server))
	}
	s.manage(opts)
	s.log.Info("reloaded the configuration", "from", s.source.Name, "wsgi_kept", len(gen.carried()), "wsgi_started", len(gen.pools)-len(gen.carried()))
	s.retire(old, gen)
	return nil
}

func sameListeners(a, b config.Server) bool {
	return slices.Equal(a.Listen, b.Listen) && slices.Equal(a.ListenTLS, b.ListenTLS) && a.Admin == b.Admin
}

// fixedChanges names the [server] settings besides the listeners that
// differ between a and b and that a reload cannot apply: they shape the
// sockets or the engine Run starts. Every other setting is reloaded:
// timeouts, max_conns, max_body and h2c by server.Update, the graces read
// where they are used.
func fixedChanges(a, b config.Server) []string {
	var out []string
	for _, f := range []struct {
		name    string
		changed bool
	}{
		{"backlog", a.Backlog != b.Backlog},
		{"reuseport", a.ReusePort != b.ReusePort},
		{"trace", a.Trace != b.Trace},
		{"goroutine_per_conn", a.GoroutinePerConn != b.GoroutinePerConn},
	} {
		if f.changed {
			out = append(out, f.name)
		}
	}
	return out
}

// mainSettings is what the main server takes from [server].
func mainSettings(so config.Server) server.Settings {
	return server.Settings{
		Limits: server.Limits{Limits: wire.Limits{MaxHeaderBytes: int(so.MaxHeader)},
			MaxConns: so.MaxConns, MaxBodyBytes: so.MaxBody},
		Timeouts:   server.Timeouts{ReadHeader: so.ReadHeaderTimeout, Read: so.ReadTimeout, Write: so.WriteTimeout, Idle: so.IdleTimeout},
		DisableH2C: !so.H2C,
	}
}
