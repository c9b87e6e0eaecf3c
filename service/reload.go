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
// A WSGI or ASGI pool whose configuration did not change is kept (the
// same pool, its queue and counters), and its code reloaded in place:
// Stage starts a new set of workers beside the old ones, and every kept
// pool swaps its set in once all of them, and the rest of the reload,
// have succeeded. A changed pool is started anew and swapped in with the
// configuration.
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
	// The kept pools' new code starts beside the old and is swapped in
	// only once everything else has succeeded: a failure anywhere leaves
	// every application on the code it served.
	var commits []func() error
	var aborts []func()
	fail := func(err error) error {
		for _, abort := range aborts {
			abort()
		}
		gen.closeExcept(nil)
		return err
	}
	carried := gen.carried()
	for _, np := range carried {
		commit, abort, err := np.pool.Stage()
		if err != nil {
			return fail(fmt.Errorf("reloading the code of %s: %w", np.name, err))
		}
		commits, aborts = append(commits, commit), append(aborts, abort)
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
		return fail(err)
	}
	ca := s.certs.InternalCA()
	if err := s.certs.Load(s.certSources(opts, m)); err != nil {
		s.dropACME(m)
		return fail(fmt.Errorf("certificates: %w", err))
	}
	s.logInternalCA(ca)
	if err := s.setAccessLog(opts.Log); err != nil {
		s.dropACME(m)
		// The certificates were swapped with m's names: put back the
		// running manager's.
		s.certs.Load(s.certSources(old.gen.opts, s.acme.Load()))
		return fail(err)
	}
	s.commitACME(m, opts)
	for i, commit := range commits {
		// Only a pool closed meanwhile (Brick stopping) refuses.
		if err := commit(); err != nil {
			s.log.Warn("reload: an application's new code was not swapped in", "app", carried[i].name, "err", err)
		}
	}
	s.cur.Store(newLive(gen))
	old.retire()
	if s.main != nil {
		// New requests and connections take the new timeouts and limits;
		// those in flight keep theirs (server.Update).
		s.main.Update(mainSettings(opts.Server))
	}
	s.manage(opts)
	s.log.Info("reloaded the configuration", "from", s.source.Name, "pools_kept", len(gen.carried()), "pools_started", len(gen.pools)-len(gen.carried()))
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
