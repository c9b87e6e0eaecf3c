package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// formatTable renders a scenario's rows as a markdown table, with ratios
// against Brick (the first row named "brick").
func formatTable(sc scenario, rows []row, env string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "### %s\n\n", title(sc))
	var ref *row
	for i := range rows {
		if rows[i].server == "brick" {
			ref = &rows[i]
		}
	}
	if sc.slow > 0 {
		formatSlow(&b, sc, rows, ref)
	} else if sc.idleConns > 0 {
		b.WriteString("| server | idle conns | RSS before (KiB) | RSS after (KiB) | KiB per idle conn | vs brick | errors |\n|---|---:|---:|---:|---:|---:|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %.2f | %s | %s |\n", r.server, r.idleConns, r.rssBefore, r.rssAfter, r.idleKiB,
				ratio(r.idleKiB, refVal(ref, func(r *row) float64 { return r.idleKiB })), r.errors)
		}
	} else if sc.file != "" || sc.tls || sc.h2 {
		// File serving and TLS are often limited by wrk's core, not the
		// server's: the server's CPU time per request is the figure to
		// compare.
		b.WriteString("| server | req/s | vs brick | server CPU per req | vs brick | req per server-CPU-s | p50 | p90 | p99 | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, r := range rows {
			cpu := func(r *row) float64 {
				if r.perCPU == 0 {
					return 0
				}
				return 1e6 / r.perCPU
			}
			fmt.Fprintf(&b, "| %s | %.0f | %s | %.1fus | %s | %.0f | %s | %s | %s | %s |\n", r.server, r.rps,
				ratio(r.rps, refVal(ref, func(r *row) float64 { return r.rps })), cpu(&r),
				ratio(cpu(&r), refVal(ref, cpu)), r.perCPU,
				fmtDur(r.p50), fmtDur(r.p90), fmtDur(r.p99), r.errors)
		}
	} else {
		b.WriteString("| server | req/s | vs brick | req per server-CPU-s | vs brick | p50 | p90 | p99 | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %.0f | %s | %.0f | %s | %s | %s | %s | %s |\n", r.server, r.rps,
				ratio(r.rps, refVal(ref, func(r *row) float64 { return r.rps })), r.perCPU,
				ratio(r.perCPU, refVal(ref, func(r *row) float64 { return r.perCPU })),
				fmtDur(r.p50), fmtDur(r.p90), fmtDur(r.p99), r.errors)
		}
	}
	if sc.h2 && sc.file != "" {
		b.WriteString(h2FileSummary(rows))
	}
	fmt.Fprintf(&b, "\n%s\n", env)
	return b.String()
}

// h2FileSummary states the h2 file scenario's figure: Brick's server CPU
// per byte over HTTP/2 against its own over HTTP/1.1 with TLS, and every
// row's bytes per server-CPU-second (every response is the same file).
func h2FileSummary(rows []row) string {
	var b strings.Builder
	var h2, h1 float64
	b.WriteString("\nMiB per server-CPU-second:")
	for i, r := range rows {
		sep := ","
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s %s %.0f", sep, r.server, r.perCPU)
		switch r.server {
		case "brick":
			h2 = r.perCPU
		case brickHTTP1:
			h1 = r.perCPU
		}
	}
	b.WriteString(" (one response is 1 MiB).\n")
	if h2 > 0 && h1 > 0 {
		fmt.Fprintf(&b, "Brick over HTTP/2 uses %.2fx the server CPU per byte of Brick over HTTP/1.1 with TLS (the issue's goal: at most 1.00x).\n", h1/h2)
	}
	return b.String()
}

func title(sc scenario) string {
	switch {
	case sc.idleConns > 0 && sc.h2 && sc.tls:
		return fmt.Sprintf("%s: %d HTTP/2 connections over TLS (ALPN h2), one request each, then idle", sc.name, sc.idleConns)
	case sc.idleConns > 0 && sc.h2:
		return fmt.Sprintf("%s: %d HTTP/2 cleartext connections (prior knowledge), one request each, then idle", sc.name, sc.idleConns)
	case sc.h2 && sc.file != "":
		return fmt.Sprintf("%s: GET %s over HTTP/2 with TLS, h2load -c%d -m%d (%s: the brick server over HTTP/1.1 with TLS, wrk -t1 -c%d, runs taking turns), %s x %d runs (median)",
			sc.name, sc.file, sc.conns, sc.h2Streams(), sc.http1Pair, sc.conns, sc.dur, sc.runs)
	case sc.h2 && sc.tls:
		return fmt.Sprintf("%s: HTTP/2 over TLS, h2load -c%d -m%d, %s x %d runs (median)", sc.name, sc.conns, sc.h2Streams(), sc.dur, sc.runs)
	case sc.h2:
		return fmt.Sprintf("%s: HTTP/2 cleartext (prior knowledge), h2load -c%d -m%d, %s x %d runs (median)", sc.name, sc.conns, sc.h2Streams(), sc.dur, sc.runs)
	case sc.idleConns > 0 && sc.tls:
		return fmt.Sprintf("%s: %d kept-alive HTTPS connections, one request each, then idle", sc.name, sc.idleConns)
	case sc.idleConns > 0:
		return fmt.Sprintf("idle: %d kept-alive connections, one request each, then idle", sc.idleConns)
	case sc.ws:
		return fmt.Sprintf("%s: WebSocket echo (raw ASGI), %d Python worker%s each, wsclient -c%d (a request is a message echoed), %s x %d runs (median)",
			sc.name, sc.workers, plural(sc.workers), sc.conns, sc.dur, sc.runs)
	case sc.fullHandshake:
		return fmt.Sprintf("%s: HTTPS, a new connection and full handshake per request (hsclient -c%d), %s x %d runs (median)", sc.name, sc.conns, sc.dur, sc.runs)
	case sc.closeConn:
		return fmt.Sprintf("%s: HTTPS, wrk -t1 -c%d, Connection: close (a new connection per request, wrk resumes its session), %s x %d runs (median)", sc.name, sc.conns, sc.dur, sc.runs)
	case sc.tls:
		return fmt.Sprintf("%s: HTTPS, wrk -t1 -c%d keep-alive, %s x %d runs (median)", sc.name, sc.conns, sc.dur, sc.runs)
	case sc.slow > 0:
		return fmt.Sprintf("%s: %s, %d Python worker%s each, wrk -t1 -c%d for %s alone, then beside %d slow clients (GET /big, 1 MiB read at %d B/s) once their responses have started and the server has settled (under a tenth of a CPU, at most 5s)",
			sc.name, appTitle[sc.app], sc.workers, plural(sc.workers), sc.conns, sc.dur, sc.slow, slowRate)
	case sc.app != "":
		return fmt.Sprintf("%s: %s, %d Python worker%s each, wrk -t1 -c%d, %s x %d runs (median)",
			sc.name, appTitle[sc.app],
			sc.workers, plural(sc.workers), sc.conns, sc.dur, sc.runs)
	case sc.file != "":
		return fmt.Sprintf("%s: GET %s, wrk -t1 -c%d keep-alive, %s x %d runs (median)", sc.name, sc.file, sc.conns, sc.dur, sc.runs)
	case sc.pipeline > 0:
		return fmt.Sprintf("%s: wrk -t1 -c%d, %d requests per write, %s x %d runs (median)", sc.name, sc.conns, sc.pipeline, sc.dur, sc.runs)
	}
	return fmt.Sprintf("%s: wrk -t1 -c%d keep-alive, %s x %d runs (median)", sc.name, sc.conns, sc.dur, sc.runs)
}

// appTitle describes the wsgi and asgi apps of bench/apps.
var appTitle = map[string]string{"bare": "bare WSGI hello app", "flask": "Flask hello app",
	"django": "Django view rendering a template from a sqlite query",
	"raw":    "raw ASGI hello app", "fastapi": "FastAPI hello app returning JSON"}

// formatSlow is the wsgi-slow table: wrk alone, then beside the slow
// clients, and how much the slow clients were served.
func formatSlow(b *strings.Builder, sc scenario, rows []row, ref *row) {
	fmt.Fprintf(b, "| server | req/s alone | p50 | p99 | errors | req/s with %d slow | vs alone | vs brick | p50 | p99 | errors | slow clients served | slow clients' KiB/s | server RSS growth |\n", sc.slow)
	b.WriteString("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n")
	slowRPS := func(r *row) float64 {
		if r == nil || r.slow == nil {
			return 0
		}
		return r.slow.rps
	}
	for _, r := range rows {
		if r.slow == nil {
			fmt.Fprintf(b, "| %s | %.0f | %s | %s | %s | | | | | | | | | |\n", r.server, r.rps, fmtDur(r.p50), fmtDur(r.p99), r.errors)
			continue
		}
		s := r.slow
		fmt.Fprintf(b, "| %s | %.0f | %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %d of %d | %.0f | %.1f MiB |\n",
			r.server, r.rps, fmtDur(r.p50), fmtDur(r.p99), r.errors,
			s.rps, ratio(s.rps, r.rps), ratio(s.rps, slowRPS(ref)), fmtDur(s.p50), fmtDur(s.p99), s.errors,
			s.ready, sc.slow, s.bytesPerSec/1024, float64(s.rssGrowth)/1024)
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func refVal(ref *row, f func(*row) float64) float64 {
	if ref == nil {
		return 0
	}
	return f(ref)
}

// ratio is v relative to Brick's figure: "0.85x" means 85% of Brick's.
func ratio(v, ref float64) string {
	if ref == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", v/ref)
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Millisecond:
		return fmt.Sprintf("%dus", d.Microseconds())
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// describeMachine notes what the figures were measured on.
func describeMachine() string {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	wrkV, _ := exec.Command("wrk", "-v").CombinedOutput()
	nginxV, _ := exec.Command("sh", "-c", "nginx -v 2>&1 || /usr/sbin/nginx -v 2>&1").CombinedOutput()
	first := func(b []byte) string {
		s := strings.TrimSpace(string(b))
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[:i]
		}
		return s
	}
	return fmt.Sprintf("Measured %s on %d CPUs, Linux %s, %s; server on CPU 0 (Go: GOMAXPROCS=1; nginx: 1 worker), wrk on CPU 1; %s; %s.",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.NumCPU(), strings.TrimSpace(string(kernel)),
		runtime.Version(), first(wrkV), first(nginxV))
}

// drawChart writes a bar chart of the scenario's main figure.
func drawChart(path string, sc scenario, rows []row) error {
	p := plot.New()
	p.Title.Text = title(sc)
	vals := make(plotter.Values, len(rows))
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.server
		switch {
		case sc.idleConns > 0:
			vals[i] = r.idleKiB
		case sc.slow > 0 && r.slow != nil:
			vals[i] = r.slow.rps
		default:
			vals[i] = r.rps
		}
	}
	switch {
	case sc.idleConns > 0:
		p.Y.Label.Text = "KiB per idle connection (lower is better)"
	case sc.slow > 0:
		p.Y.Label.Text = fmt.Sprintf("requests per second beside %d slow clients", sc.slow)
	default:
		p.Y.Label.Text = "requests per second (higher is better)"
	}
	bars, err := plotter.NewBarChart(vals, vg.Points(40))
	if err != nil {
		return err
	}
	bars.Color = plotter.DefaultLineStyle.Color
	p.Add(bars)
	p.NominalX(names...)
	return p.Save(7*vg.Inch, 4*vg.Inch, path)
}
