// Package service runs Brick as a long-lived service: listeners (also
// inherited from systemd or from the previous binary in an upgrade),
// signals, draining, and the configuration file's sites and routes with
// reload on SIGHUP.
package service

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/brick-server/brick/internal/listenfd"
	"github.com/brick-server/brick/internal/schedfront"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/websocket"
)

// extraName prefixes the names of activated sockets beyond the configured
// addresses.
const extraName = "extra:"

// Listeners opens the listeners for the configured addresses, taking
// the sockets this process inherited (a binary upgrade hands them over
// under their addresses; systemd's socket activation in the order of its
// socket units) before opening new ones.
func Listeners(addrs []string, lc server.ListenConfig, log *slog.Logger) ([]listenfd.Listener, error) {
	inherited, err := listenfd.Inherited()
	if err != nil {
		return nil, err
	}
	byName := map[string]listenfd.Listener{}
	var unnamed []listenfd.Listener
	for _, l := range inherited {
		if l.Name != "" && !l.Activated {
			byName[l.Name] = l
		} else {
			unnamed = append(unnamed, l)
		}
	}
	var out []listenfd.Listener
	fail := func(err error) ([]listenfd.Listener, error) {
		for _, l := range out {
			l.Close()
		}
		for _, l := range byName {
			l.Close()
		}
		for _, l := range unnamed {
			l.Close()
		}
		return nil, err
	}
	for _, addr := range addrs {
		if l, ok := byName[addr]; ok {
			delete(byName, addr)
			log.Info("using an inherited socket", "addr", addr, "local", l.Addr().String())
			out = append(out, l)
			continue
		}
		if len(unnamed) > 0 {
			l := unnamed[0]
			unnamed = unnamed[1:]
			log.Info("using a socket from socket activation", "addr", addr, "local", l.Addr().String())
			out = append(out, listenfd.Listener{Listener: l.Listener, Name: addr})
			continue
		}
		ln, err := server.Listen(addr, lc)
		if err != nil {
			return fail(&ListenError{Addr: addr, Err: err})
		}
		out = append(out, listenfd.Listener{Listener: ln, Name: addr})
	}
	for name, l := range byName {
		if strings.HasPrefix(name, extraName) {
			// An extra socket from socket activation, handed over by
			// the process this one upgraded: still served.
			unnamed = append(unnamed, listenfd.Listener{Listener: l.Listener})
			continue
		}
		log.Warn("closing an inherited socket the configuration no longer lists", "name", l.Name)
		l.Close()
	}
	for i, l := range unnamed {
		// Socket activation gave more sockets than addresses: serve
		// them all, as the unit asked. The name keeps them apart (and
		// served) through a binary upgrade.
		out = append(out, listenfd.Listener{Listener: l.Listener, Name: extraName + strconv.Itoa(i)})
	}
	return out, nil
}

// Served is one server and the listeners it serves: Listeners in plain
// HTTP, TLSListeners over TLS with TLS.
type Served struct {
	Server       *server.Server
	Listeners    []listenfd.Listener
	TLSListeners []listenfd.Listener
	TLS          *tls.Config
}

// Runner serves until SIGINT or SIGTERM, then drains within Grace. SIGHUP
// and SIGUSR1 run the given hooks (SIGHUP off the signal loop, one at a
// time); SIGUSR2 upgrades the binary in place: the listening sockets go to
// a new process, and this one drains once the new one serves.
type Runner struct {
	Log     *slog.Logger
	Servers []Served
	Grace   time.Duration
	OnHUP   func()
	OnUSR1  func()
	// BeforeDrain runs when the drain begins (for a health check to start
	// failing); AfterDrain once every server has drained, before Run
	// returns: the place to stop worker processes.
	BeforeDrain func()
	AfterDrain  func()
	// WSGrace is how long the WebSockets of Go handlers (package
	// websocket) outlive an upgrade: the old process keeps serving them
	// until they close or it ends, then closes them with 1001. On a stop
	// they close with 1001 at once.
	WSGrace time.Duration
	// Graces, when set, gives Grace and WSGrace as they are when the
	// drain begins, for a configuration that reloads change.
	Graces func() (grace, wsGrace time.Duration)
	// Upgraded is set, before AfterDrain runs, when the process drains
	// because a new binary took its sockets over.
	Upgraded bool
	// Started runs once the signals are caught, before serving begins:
	// the place to say Brick serves, so that whoever waits for that line
	// may signal it at once.
	Started func()

	hupMu sync.Mutex
}

// Run serves and returns the process's exit code.
func (r *Runner) Run() int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGUSR2)
	if r.OnHUP != nil {
		signal.Notify(sigs, syscall.SIGHUP)
	}
	if r.OnUSR1 != nil {
		signal.Notify(sigs, syscall.SIGUSR1)
	}
	defer signal.Stop(sigs)
	if r.Started != nil {
		r.Started()
	}

	errc := make(chan error, 8)
	n := 0
	for _, s := range r.Servers {
		for _, l := range s.Listeners {
			n++
			go func() { errc <- s.Server.Serve(l.Listener) }()
		}
		for _, l := range s.TLSListeners {
			n++
			go func() { errc <- s.Server.ServeTLS(l.Listener, s.TLS) }()
		}
	}
	listenfd.Ready()
	// An upgrade waits for the new process to serve, which may take as
	// long as its applications take to import; the loop stays free for
	// SIGTERM meanwhile.
	upgraded := make(chan bool, 1)
	upgrading := false
	for done := false; !done; {
		select {
		case ok := <-upgraded:
			upgrading = false
			done = ok
			r.Upgraded = ok
		case err := <-errc:
			r.Log.Error("server stopped", "err", err)
			r.shutdown()
			if r.AfterDrain != nil {
				r.AfterDrain()
			}
			return 1
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				// A reload starts new workers, which takes a while; the
				// loop stays free for SIGTERM meanwhile.
				go func() {
					r.hupMu.Lock()
					defer r.hupMu.Unlock()
					r.OnHUP()
				}()
			case syscall.SIGUSR1:
				r.OnUSR1()
			case syscall.SIGUSR2:
				if upgrading {
					r.Log.Warn("SIGUSR2: an upgrade is already under way")
					break
				}
				upgrading = true
				go func() { upgraded <- r.upgrade() }()
			default:
				done = true
			}
		}
	}
	signal.Stop(sigs)
	code := r.shutdown()
	for i := 0; i < n; i++ {
		<-errc
	}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		r.drainWebSockets()
	}()
	if r.AfterDrain != nil {
		r.AfterDrain()
	}
	<-drained
	r.Log.Info("stopped")
	return code
}

func (r *Runner) graces() (grace, wsGrace time.Duration) {
	if r.Graces != nil {
		return r.Graces()
	}
	return r.Grace, r.WSGrace
}

// drainWebSockets keeps the Go handlers' open WebSockets for WSGrace
// after an upgrade, and closes them with 1001 (going away) at its end or
// at once on a stop.
func (r *Runner) drainWebSockets() {
	n := websocket.Open()
	if n == 0 {
		return
	}
	grace := time.Duration(0)
	if r.Upgraded {
		_, grace = r.graces()
		r.Log.Info("keeping open WebSockets until they close", "websockets", n, "ws_grace", grace.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if cut := websocket.Drain(ctx); cut > 0 {
		r.Log.Info("closed WebSockets with 1001 going away", "websockets", cut)
	}
}

// upgrade starts the binary anew with our sockets; it reports whether
// the new process serves, in which case this one drains and leaves.
func (r *Runner) upgrade() bool {
	var all []listenfd.Listener
	for _, s := range r.Servers {
		all = append(append(all, s.Listeners...), s.TLSListeners...)
	}
	r.Log.Info("SIGUSR2: starting a new binary with the listening sockets")
	// The new process imports every WSGI application before it serves;
	// this one keeps serving meanwhile, so waiting long costs nothing.
	// The new process starts with the scheduling policy this one was
	// started with, not the one its Python pools hold it under: its own
	// pools decide that anew.
	var pid int
	var err error
	schedfront.Unheld(func() { pid, err = listenfd.Upgrade(all, 5*time.Minute) })
	if err != nil {
		r.Log.Error("upgrade failed; this process keeps serving", "err", err)
		return false
	}
	r.Log.Info("the new process serves; draining this one", "new_pid", pid)
	return true
}

// shutdown drains every server within the grace period, in order (the
// admin server, listed last, answers health checks until the end).
func (r *Runner) shutdown() int {
	if r.BeforeDrain != nil {
		r.BeforeDrain()
	}
	grace, _ := r.graces()
	r.Log.Info("shutting down: finishing requests in flight", "timeout", grace.String())
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	code := 0
	for _, s := range r.Servers {
		if err := s.Server.Shutdown(ctx); err != nil {
			r.Log.Warn("shutdown timed out; closed the remaining connections", "err", err)
			code = 1
		}
	}
	return code
}

// LogServing prints where Brick listens, with scheme (http or https),
// and what to try. A listener on a loopback address is reachable from
// this machine only, which the line says, with how to widen it when
// expose names the flag that does.
func LogServing(log *slog.Logger, lns []listenfd.Listener, scheme, try, expose string, attrs ...any) {
	for _, l := range lns {
		a := l.Addr().String()
		line := append([]any{"addr", a}, attrs...)
		line = append(line, "try", "curl "+scheme+"://"+displayAddr(a)+try)
		if note := reachNote(a, expose); note != "" {
			line = append(line, "reach", note)
		}
		log.Info("brick is serving", line...)
	}
}

// reachNote says who can reach a listener at addr when only this machine
// can: "" for an address other machines reach.
func reachNote(addr, expose string) string {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		return ""
	}
	if expose == "" {
		return "only this machine"
	}
	return fmt.Sprintf("only this machine; %s :%d for every interface", expose, ap.Port())
}

// displayAddr turns a listen address into one a user can paste into curl.
func displayAddr(a string) string {
	switch {
	case strings.HasPrefix(a, ":"):
		return "localhost" + a
	case strings.HasPrefix(a, "[::]:"):
		return "localhost" + a[4:]
	case strings.HasPrefix(a, "0.0.0.0:"):
		return "localhost" + a[7:]
	}
	return a
}
