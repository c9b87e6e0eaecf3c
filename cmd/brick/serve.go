package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/brick-server/brick/internal/listenfd"
	"github.com/brick-server/brick/server"
)

// listenerSet opens the listeners for the configured addresses, taking
// the sockets this process inherited (a binary upgrade hands them over
// under their addresses; systemd's socket activation in the order of its
// socket units) before opening new ones.
func listenerSet(addrs []string, lc server.ListenConfig, log *slog.Logger) ([]listenfd.Listener, error) {
	inherited, err := listenfd.Inherited()
	if err != nil {
		return nil, err
	}
	byName := map[string]listenfd.Listener{}
	var unnamed []listenfd.Listener
	for _, l := range inherited {
		if l.Name != "" {
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
			return fail(err)
		}
		out = append(out, listenfd.Listener{Listener: ln, Name: addr})
	}
	for _, l := range byName {
		log.Warn("closing an inherited socket the configuration no longer lists", "name", l.Name)
		l.Close()
	}
	for _, l := range unnamed {
		// Socket activation gave more sockets than addresses: serve
		// them all, as the unit asked.
		out = append(out, l)
	}
	return out, nil
}

// served is one server and the listeners it serves.
type served struct {
	srv       *server.Server
	listeners []listenfd.Listener
}

// runner serves until SIGINT or SIGTERM, then drains. SIGHUP and SIGUSR1
// run the given hooks; SIGUSR2 upgrades the binary in place.
type runner struct {
	log     *slog.Logger
	stderr  io.Writer
	servers []served
	grace   time.Duration
	onHUP   func()
	onUSR1  func()
	hupMu   sync.Mutex
}

func (r *runner) run() int {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGUSR2)
	if r.onHUP != nil {
		signal.Notify(sigs, syscall.SIGHUP)
	}
	if r.onUSR1 != nil {
		signal.Notify(sigs, syscall.SIGUSR1)
	}
	defer signal.Stop(sigs)

	errc := make(chan error, 8)
	n := 0
	for _, s := range r.servers {
		for _, l := range s.listeners {
			n++
			go func() { errc <- s.srv.Serve(l.Listener) }()
		}
	}
	listenfd.Ready()
	for done := false; !done; {
		select {
		case err := <-errc:
			r.log.Error("server stopped", "err", err)
			r.shutdown()
			return 1
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				// A reload starts new workers, which takes a while; the
				// loop stays free for SIGTERM meanwhile.
				go func() {
					r.hupMu.Lock()
					defer r.hupMu.Unlock()
					r.onHUP()
				}()
			case syscall.SIGUSR1:
				r.onUSR1()
			case syscall.SIGUSR2:
				if r.upgrade() {
					done = true
				}
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
	r.log.Info("stopped")
	return code
}

// upgrade starts the binary anew with our sockets; it reports whether
// the new process serves, in which case this one drains and leaves.
func (r *runner) upgrade() bool {
	var all []listenfd.Listener
	for _, s := range r.servers {
		all = append(all, s.listeners...)
	}
	r.log.Info("SIGUSR2: starting a new binary with the listening sockets")
	pid, err := listenfd.Upgrade(all, 60*time.Second)
	if err != nil {
		r.log.Error("upgrade failed; this process keeps serving", "err", err)
		return false
	}
	r.log.Info("the new process serves; draining this one", "new_pid", pid)
	return true
}

// shutdown drains every server within the grace period.
func (r *runner) shutdown() int {
	r.log.Info("shutting down: finishing requests in flight", "timeout", r.grace.String())
	ctx, cancel := context.WithTimeout(context.Background(), r.grace)
	defer cancel()
	code := 0
	for _, s := range r.servers {
		if err := s.srv.Shutdown(ctx); err != nil {
			r.log.Warn("shutdown timed out; closed the remaining connections", "err", err)
			code = 1
		}
	}
	return code
}

// logServing prints where Brick listens and what to try.
func logServing(log *slog.Logger, lns []listenfd.Listener, try string, attrs ...any) {
	for _, l := range lns {
		a := l.Addr().String()
		log.Info("brick is serving", append([]any{"addr", a}, append(attrs, "try", "curl http://"+displayAddr(a)+try)...)...)
	}
}
