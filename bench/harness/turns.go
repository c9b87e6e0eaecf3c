package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// How a scenario's servers are measured. The machine is a shared VM whose
// speed drifts by tens of percent over minutes, so two servers measured
// one after the other would differ by the drift as well as by themselves.
// The throughput scenarios therefore start every server at once, each on
// its own free port and pinned to CPU 0 as when alone, and let their
// measured runs take turns: run 1 loads A, then B, then C; run 2 loads B,
// C, A; and so on. Only the server whose turn it is gets requests; the
// others sit idle beside it. The drift then falls on every server alike,
// and the rotation keeps any server from always following the same one
// (a run leaves work behind it: a collection, sockets closing).
//
// The scenarios that need a server alone keep one up at a time (alone).

// alone says why sc measures its servers one at a time, or "" when they
// are up at once and take turns.
func (sc scenario) alone() string {
	switch {
	case sc.idleConns > 0:
		return "the idle scenarios weigh a server's resident memory with tens of thousands of connections open to it"
	case sc.slow > 0:
		return "the slow clients hold connections to one server while wrk runs beside them"
	case sc.gateway == "php":
		return "PHP-FPM's one child serves one FastCGI connection at a time, and a server keeping an idle one open (Brick does) would hold it from the next server"
	}
	return ""
}

// turnsNote is the sentence of a table's footer that says how its
// servers were measured.
func turnsNote(sc scenario) string {
	if why := sc.alone(); why != "" {
		return "One server was up at a time: " + why + "."
	}
	return "All the servers were up at once, each on its own port, and their runs took turns (the order rotating each run), so that the machine's drift weighs on each alike."
}

// groups splits a scenario's servers into the sets that are up at once:
// all of them, or each alone (see alone).
func groups(specs []serverSpec, sc scenario) [][]serverSpec {
	if sc.alone() == "" {
		return [][]serverSpec{specs}
	}
	out := make([][]serverSpec, len(specs))
	for i, s := range specs {
		out[i] = []serverSpec{s}
	}
	return out
}

// live is a server started for a scenario.
type live struct {
	spec serverSpec
	port int
	pid  int
	cmd  *exec.Cmd
	done <-chan struct{}
	// err is why the server is out of the scenario: it did not start, it
	// died, or its client failed. Its row says so; the others go on.
	err     error
	stopped bool
}

// fail takes s out of the scenario with err (the first reason stands) and
// stops it, so that it does not run beside the others' turns.
func (s *live) fail(err error) {
	if s.err == nil {
		s.err = err
	}
	s.stop()
}

// stop ends s's process tree, once: a second stop could signal a process
// that has since taken the pid.
func (s *live) stop() {
	if s.cmd == nil || s.stopped {
		return
	}
	s.stopped = true
	stop(s.cmd, s.done)
}

// exited reports whether s's process has ended.
func (s *live) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stopAll stops the servers at once: each may take its SIGTERM grace.
func stopAll(servers []*live) {
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(s.stop)
	}
	wg.Wait()
}

// slot is one row's place in the turns: a server and the load it gets.
// The paired HTTP/1.1 row of an h2 scenario (http1Pair) is a second slot
// on the same server, so its runs take turns with the HTTP/2 ones.
type slot struct {
	srv  *live
	name string   // the row's server column
	load scenario // sc, or its HTTP/1.1 pair
	runs []wrkResult
}

// slotsOf lists the rows of servers under sc, in table order.
func slotsOf(servers []*live, sc scenario) []*slot {
	var out []*slot
	for _, s := range servers {
		out = append(out, &slot{srv: s, name: s.spec.name, load: sc})
		if sc.http1Pair != "" && s.spec.name == "brick" {
			h1 := sc
			h1.h2 = false
			out = append(out, &slot{srv: s, name: sc.http1Pair, load: h1})
		}
	}
	return out
}

// turn returns the order of run (from 0) over n slots: run 0 is 0, 1, ...,
// n-1, and each run starts one later, wrapping around.
func turn(run, n int) []int {
	order := make([]int, n)
	for i := range order {
		order[i] = (run + i) % n
	}
	return order
}

// outcome is one server's rows in a scenario, or why it has none.
type outcome struct {
	rows []row
	err  error
}

// measureGroup starts specs together, measures them under sc with their
// runs taking turns, stops them, and returns each spec's outcome in order.
// A server that fails is stopped and left out of the later turns; the
// others are still measured.
func (h *harness) measureGroup(ctx context.Context, specs []serverSpec, sc scenario) []outcome {
	servers := make([]*live, len(specs))
	for i := range servers {
		servers[i] = &live{spec: specs[i]}
	}
	defer stopAll(servers)
	for _, s := range servers {
		if err := ctx.Err(); err != nil {
			s.fail(err)
			continue
		}
		if err := h.start(s, sc); err != nil {
			s.fail(err)
		}
	}
	if sc.idleConns > 0 {
		out := make([]outcome, len(servers))
		for i, s := range servers {
			if s.err != nil {
				out[i].err = s.err
				continue
			}
			r, err := h.measureIdle(ctx, s.spec.name, s.pid, s.port, sc)
			out[i] = outcome{rows: []row{r}, err: err}
		}
		return out
	}
	slots := slotsOf(servers, sc)
	if !sc.smoke {
		// Warm up: JIT-free, but caches, pools and the heap settle.
		for _, sl := range slots {
			if sl.srv.err == nil {
				if _, err := h.drive(ctx, sl.srv.port, sl.load, time.Second); err != nil {
					sl.srv.fail(err)
				}
			}
		}
		if len(servers) > 1 {
			warnBusyIdle(sc.name, servers, time.Second)
		}
	}
	for run := range sc.runs {
		order := turn(run, len(slots))
		if len(slots) > 1 {
			var names []string
			for _, i := range order {
				if slots[i].srv.err == nil {
					names = append(names, slots[i].name)
				}
			}
			log.Printf("%s: run %d of %d: %s", sc.name, run+1, sc.runs, strings.Join(names, ", "))
		}
		for _, i := range order {
			h.measureTurn(ctx, slots[i], sc)
		}
	}
	slow := make([]*slowRow, len(servers))
	for i, s := range servers {
		if sc.slow > 0 && s.err == nil {
			var err error
			if slow[i], err = h.measureSlow(ctx, s.pid, s.port, sc); err != nil {
				s.fail(err)
			}
		}
		if s.err == nil && s.exited() {
			s.fail(errors.New("server exited during the run"))
		}
	}
	out := make([]outcome, len(servers))
	for i, s := range servers {
		if s.err != nil {
			out[i].err = s.err
			continue
		}
		for _, sl := range slots {
			if sl.srv == s {
				out[i].rows = append(out[i].rows, summarize(sl.name, sl.runs))
			}
		}
		out[i].rows[0].slow = slow[i]
	}
	return out
}

// measureTurn is one measured run of sl: its client for sc.dur, and the
// CPU time its server's process tree used meanwhile.
func (h *harness) measureTurn(ctx context.Context, sl *slot, sc scenario) {
	s := sl.srv
	if s.err != nil {
		return
	}
	if s.exited() {
		s.fail(errors.New("server exited during the run"))
		return
	}
	before := cpuTicks(s.pid)
	res, err := h.drive(ctx, s.port, sl.load, sc.dur)
	if err != nil {
		if s.exited() {
			err = fmt.Errorf("server exited during the run: %w", err)
		}
		s.fail(err)
		return
	}
	res.cpuSeconds = float64(cpuTicks(s.pid)-before) / ticksPerSecond
	sl.runs = append(sl.runs, res)
}

// drive runs the scenario's client against port for d: wrk, or what
// h.client says in its place.
func (h *harness) drive(ctx context.Context, port int, sc scenario, d time.Duration) (wrkResult, error) {
	if h.client != nil {
		return h.client(ctx, port, sc, d)
	}
	return h.wrk(ctx, port, sc, d)
}

// start starts s on a free port and waits until it answers, holds the
// port alone and (for Python servers) has settled.
func (h *harness) start(s *live, sc scenario) error {
	// A free port: the machine is shared, and a server left on a fixed
	// port by another run would answer in place of this one.
	port, err := freePort()
	if err != nil {
		return err
	}
	nofile := 4096
	if sc.idleConns > 0 {
		nofile = sc.idleConns + 1024
	}
	log.Printf("%s: starting %s", sc.name, s.spec.name)
	cmd, err := s.spec.start(port, nofile)
	if err != nil {
		return err
	}
	// The server's own words, for the error when it does not start.
	output := &tailBuffer{}
	if cmd.Stdout == nil && cmd.Stderr == nil {
		cmd.Stdout, cmd.Stderr = output, output
		cmd.WaitDelay = time.Second
	}
	done, err := launch(cmd)
	if err != nil {
		return err
	}
	s.cmd, s.done, s.port, s.pid = cmd, done, port, cmd.Process.Pid
	switch {
	case sc.h2:
		err = waitReadyH2(port, sc, done)
	case sc.tls:
		err = waitReadyTLS(port, done)
	default:
		err = waitReady(port, done)
	}
	if err != nil {
		if last := output.errorLine(); last != "" {
			err = fmt.Errorf("%w: %s", err, last)
		}
		return err
	}
	// The port was free a moment ago; another process may have taken it
	// since, alone or beside the server (SO_REUSEPORT shares a port).
	if err := heldBy(port, s.pid); err != nil {
		return fmt.Errorf("%s: %w", s.spec.name, err)
	}
	if sc.app != "" && !sc.smoke {
		waitSettled(s.pid, 15*time.Second)
	}
	return nil
}

// idleBusy is the share of a CPU above which a server with no load is
// said to be busy: the others' turns run beside it on CPU 0. A
// supervisor waking now and then (gunicorn's arbiter, uvicorn's) stays
// below it.
const idleBusy = 0.02

// warnBusyIdle measures each server's CPU use over window with no load
// and logs a warning naming those above idleBusy.
func warnBusyIdle(name string, servers []*live, window time.Duration) {
	before := make([]int64, len(servers))
	for i, s := range servers {
		if s.err == nil {
			before[i] = cpuTicks(s.pid)
		}
	}
	began := time.Now()
	time.Sleep(window)
	elapsed := time.Since(began)
	var busy []string
	for i, s := range servers {
		if s.err != nil {
			continue
		}
		if share := cpuShare(cpuTicks(s.pid)-before[i], elapsed); share > idleBusy {
			busy = append(busy, fmt.Sprintf("%s (%.0f%%)", s.spec.name, share*100))
		}
	}
	if len(busy) > 0 {
		log.Printf("%s: warning: with no load, %s used more than %.0f%% of a CPU; their share of CPU 0 is taken from the others' turns",
			name, strings.Join(busy, ", "), idleBusy*100)
	}
}

// cpuShare is ticks of CPU time over elapsed as a share of one CPU.
func cpuShare(ticks int64, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(ticks) / ticksPerSecond / elapsed.Seconds()
}
