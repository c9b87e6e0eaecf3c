// Command harness runs Brick and its peers side by side under wrk and
// prints one table row per server. bench/run is its front end; see
// bench/README.md for the method.
//
// Every server runs pinned to CPU 0 (Go servers with GOMAXPROCS=1, nginx
// with one worker) and wrk runs pinned to CPU 1, so the server gets one core
// and the load generator the other. Because fast servers saturate wrk's
// core, the harness also reports requests per server-CPU-second: the
// server's user+system time from /proc over each run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func main() {
	dur := flag.Duration("d", 5*time.Second, "duration of each wrk run")
	runs := flag.Int("runs", 3, "wrk runs per server (the median is reported)")
	conns := flag.Int("c", 64, "wrk connections")
	idleN := flag.Int("idle-conns", 10000, "connections for the idle scenario")
	only := flag.String("servers", "", "comma-separated subset of servers to run (default: all)")
	out := flag.String("out", "bench/results", "directory for the markdown tables and charts")
	workers := flag.String("workers", "1,4", "wsgi, asgi: comma-separated Python worker counts, one table per count and app")
	apps := flag.String("apps", "", "wsgi, wsgi-slow: comma-separated apps of bench/apps to run (bare, flask, django; default: all three for wsgi, django,flask for wsgi-slow)")
	slow := flag.Int("slow", 200, "wsgi-slow: slow clients (1 KiB/s each) beside wrk")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: bench/run plaintext|pipelined|latency|idle|static|wsgi|wsgi-slow|asgi|tls|h2|h2-idle|h2-static|proxy|php|all|smoke [flags]\n\nFlags:\n")
		flag.PrintDefaults()
	}
	// The scenario may come first (bench/run idle -idle-conns 18000) or
	// after the flags.
	args := os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append(args[1:], args[0])
	}
	flag.CommandLine.Parse(args)
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if runtime.GOOS != "linux" {
		log.Fatal("the harness needs Linux (taskset, /proc)")
	}
	h, err := newHarness(*out, *only)
	if err != nil {
		log.Fatal(err)
	}
	defer h.cleanup()
	ctx, stop := signalContext()
	defer stop()

	connsSet := false
	flag.Visit(func(f *flag.Flag) { connsSet = connsSet || f.Name == "c" })

	var scenarios []scenario
	switch name := flag.Arg(0); name {
	case "plaintext", "latency":
		scenarios = []scenario{{name: name, dur: *dur, runs: *runs, conns: *conns}}
	case "pipelined":
		scenarios = []scenario{{name: name, dur: *dur, runs: *runs, conns: *conns, pipeline: 16}}
	case "idle":
		scenarios = []scenario{{name: name, idleConns: *idleN}}
	case "static":
		// File servers (see fileServers) on the same 1 KiB and 1 MiB files.
		scenarios = []scenario{
			{name: "static-1k", dur: *dur, runs: *runs, conns: *conns, file: "/1k.bin"},
			{name: "static-1m", dur: *dur, runs: *runs, conns: *conns, file: "/1m.bin"},
		}
	case "wsgi", "wsgi-slow":
		// Python workers answer a request at a time each: -c16 unless -c
		// says otherwise. wsgi-slow (slow.go) runs wrk once alone and
		// once beside -slow slow clients, 3 s each unless -d says
		// otherwise, on the real-app and the Flask scenarios.
		c := 16
		if connsSet {
			c = *conns
		}
		d, r, n, prefix := *dur, *runs, 0, "wsgi"
		appList := "bare,flask,django"
		if name == "wsgi-slow" {
			durSet := false
			flag.Visit(func(f *flag.Flag) { durSet = durSet || f.Name == "d" })
			if !durSet {
				d = 3 * time.Second
			}
			r, n, prefix, appList = 1, *slow, "wsgi-slow", "django,flask"
		}
		if *apps != "" {
			appList = *apps
		}
		for _, w := range strings.Split(*workers, ",") {
			nw, err := strconv.Atoi(strings.TrimSpace(w))
			if err != nil || nw < 1 {
				log.Fatalf("-workers %q: want a comma-separated list of counts >= 1", *workers)
			}
			for _, app := range strings.Split(appList, ",") {
				if _, ok := wsgiApps[app]; !ok {
					log.Fatalf("-apps: unknown app %q: want bare, flask or django", app)
				}
				scenarios = append(scenarios, scenario{name: fmt.Sprintf("%s-%s-%dw", prefix, app, nw),
					dur: d, runs: r, conns: c, app: app, workers: nw, slow: n})
			}
		}
	case "tls":
		// HTTPS (tls.go): kept-alive connections; a new connection per
		// request with a full handshake (hsclient), and with the
		// resumed one wrk makes (-c16 unless -c says otherwise); idle
		// memory per TLS connection.
		c := 16
		if connsSet {
			c = *conns
		}
		scenarios = []scenario{
			{name: "tls-keepalive", dur: *dur, runs: *runs, conns: *conns, tls: true},
			{name: "tls-handshake", dur: *dur, runs: *runs, conns: c, tls: true, closeConn: true, fullHandshake: true},
			{name: "tls-resume", dur: *dur, runs: *runs, conns: c, tls: true, closeConn: true},
			{name: "tls-idle", idleConns: *idleN, tls: true},
		}
	case "h2":
		// HTTP/2 (h2.go): the hello response over TLS and h2c, 16
		// connections of 32 streams unless -c says otherwise.
		c := 16
		if connsSet {
			c = *conns
		}
		// Then the 1 MiB file over TLS, one stream per connection (h2load
		// -m1), against Brick over HTTP/1.1 with TLS (wrk) in the same
		// run: the server CPU per byte of the two.
		scenarios = []scenario{
			{name: "h2-tls", dur: *dur, runs: *runs, conns: c, tls: true, h2: true},
			{name: "h2c", dur: *dur, runs: *runs, conns: c, h2: true},
			h2Static(*dur, *runs, c),
			{name: "h2-tls-idle", idleConns: *idleN, tls: true, h2: true},
			{name: "h2c-idle", idleConns: *idleN, h2: true},
		}
	case "h2-idle":
		// Idle memory per HTTP/2 connection alone, over TLS and h2c.
		scenarios = []scenario{
			{name: "h2-tls-idle", idleConns: *idleN, tls: true, h2: true},
			{name: "h2c-idle", idleConns: *idleN, h2: true},
		}
	case "h2-static":
		// The h2 scenarios' 1 MiB file alone.
		c := 16
		if connsSet {
			c = *conns
		}
		scenarios = []scenario{h2Static(*dur, *runs, c)}
	case "proxy", "php":
		// A hello response through each gateway (gateways.go); the php
		// scenario's one PHP child answers one request at a time: -c16
		// unless -c says otherwise.
		c := *conns
		if name == "php" && !connsSet {
			c = 16
		}
		path := "/hello"
		if name == "php" {
			path = "/index.php"
		}
		scenarios = []scenario{{name: name, dur: *dur, runs: *runs, conns: c, gateway: name, path: path}}
	case "asgi":
		// Each worker holds many requests at once: -c64 as the other
		// HTTP scenarios, one worker unless -workers says otherwise.
		ws := "1"
		flag.Visit(func(f *flag.Flag) {
			if f.Name == "workers" {
				ws = *workers
			}
		})
		for _, w := range strings.Split(ws, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(w))
			if err != nil || n < 1 {
				log.Fatalf("-workers %q: want a comma-separated list of counts >= 1", ws)
			}
			for _, app := range []string{"raw", "fastapi"} {
				scenarios = append(scenarios, scenario{name: fmt.Sprintf("asgi-%s-%dw", app, n),
					dur: *dur, runs: *runs, conns: *conns, app: app, asgi: true, workers: n})
			}
			// WebSocket echo: messages per second over 16 connections
			// (wsclient), a message echoed counting as a request.
			scenarios = append(scenarios, scenario{name: fmt.Sprintf("asgi-wsecho-%dw", n),
				dur: *dur, runs: *runs, conns: 16, app: "wsecho", asgi: true, workers: n, ws: true})
		}
	case "all":
		scenarios = []scenario{
			{name: "plaintext", dur: *dur, runs: *runs, conns: *conns},
			{name: "pipelined", dur: *dur, runs: *runs, conns: *conns, pipeline: 16},
			{name: "idle", idleConns: *idleN},
		}
	case "smoke":
		// Every server once, briefly, to keep the harness from rotting;
		// no numbers are asserted and bench/results is left alone.
		h.outDir = ""
		scenarios = []scenario{
			{name: "plaintext", dur: time.Second, runs: 1, conns: 8, smoke: true},
			{name: "pipelined", dur: time.Second, runs: 1, conns: 8, pipeline: 16, smoke: true},
			{name: "idle", idleConns: 200, smoke: true},
			{name: "static-1k", dur: time.Second, runs: 1, conns: 8, file: "/1k.bin", smoke: true},
			{name: "static-1m", dur: time.Second, runs: 1, conns: 8, file: "/1m.bin", smoke: true},
			// HTTPS with Brick and nginx only: the other peers' TLS
			// set-up is theirs, and each row costs seconds.
			{name: "tls-keepalive", dur: time.Second, runs: 1, conns: 8, tls: true, peers: []string{"brick", "nginx"}, smoke: true},
			{name: "tls-handshake", dur: time.Second, runs: 1, conns: 4, tls: true, closeConn: true, fullHandshake: true, peers: []string{"brick", "nginx"}, smoke: true},
			{name: "tls-idle", idleConns: 200, tls: true, peers: []string{"brick", "nginx"}, smoke: true},
		}
		// The gateways, behind their backends.
		scenarios = append(scenarios, scenario{name: "proxy", dur: time.Second, runs: 1, conns: 8, gateway: "proxy", path: "/hello", smoke: true})
		if _, err := os.Stat(phpFPM); err == nil {
			scenarios = append(scenarios, scenario{name: "php", dur: time.Second, runs: 1, conns: 8, gateway: "php", path: "/index.php", smoke: true})
		} else {
			log.Printf("%s is not installed: smoke runs without the php scenario (bench/run php installs it)", phpFPM)
		}
		// One wsgi peer, to keep the Python plumbing (start-up, readiness,
		// the process tree) working without a second per server.
		if uwsgiInstalled() {
			scenarios = append(scenarios, scenario{name: "wsgi-bare-1w", dur: time.Second, runs: 1, conns: 8,
				app: "bare", workers: 1, peers: []string{"uwsgi"}, smoke: true})
			// And the slow clients beside wrk, a few of them.
			scenarios = append(scenarios, scenario{name: "wsgi-slow-flask-1w", dur: time.Second, runs: 1, conns: 8,
				app: "flask", workers: 1, slow: 4, peers: []string{"uwsgi"}, smoke: true})
		} else {
			log.Printf("uwsgi is not installed: smoke runs without the wsgi scenario (bench/run installs it)")
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
	for _, sc := range scenarios {
		if err := h.run(ctx, sc); err != nil {
			h.cleanup()
			log.Fatal(err)
		}
	}
}

// h2Static is the 1 MiB file over HTTP/2 with TLS, one stream per
// connection, beside Brick over HTTP/1.1 with TLS.
func h2Static(dur time.Duration, runs, conns int) scenario {
	return scenario{name: "h2-static-1m", dur: dur, runs: runs, conns: conns, tls: true, h2: true,
		file: "/1m.bin", streams: 1, http1Pair: brickHTTP1}
}

// scenario is one kind of load.
type scenario struct {
	name      string
	dur       time.Duration
	runs      int
	conns     int
	pipeline  int    // requests per write; 0 = plain keep-alive
	idleConns int    // > 0: the idle-memory scenario
	file      string // the static scenarios: the file's URL path, served by fileServers
	app       string // the wsgi scenarios: "bare", "flask" or "django" (bench/apps), served by wsgiServers
	workers   int    // the wsgi and asgi scenarios: Python worker processes per server
	slow      int    // wsgi-slow: slow clients beside wrk in the second run (slow.go)
	asgi      bool   // app is an asgi app (asgiServers), not a wsgi one
	tls       bool   // the tls scenarios: HTTPS, served by tlsServers
	h2        bool   // the h2 scenarios: HTTP/2 (with tls, over TLS; else h2c), h2load for wrk
	streams   int    // the h2 scenarios: h2load's -m; 0 = h2Streams
	// http1Pair, in an h2 scenario, names a second row for Brick: the
	// same server over HTTP/1.1 with TLS (wrk), its runs taking turns
	// with the HTTP/2 ones, as the reference for them.
	http1Pair string
	closeConn bool // a new connection per request (Connection: close)
	// fullHandshake: closeConn with a full TLS handshake each time
	// (hsclient), where wrk resumes its previous session.
	fullHandshake bool
	// ws: a WebSocket echo, measured with wsclient instead of wrk.
	ws      bool
	gateway string // "proxy" or "php": the gateway scenarios (gateways.go)
	path    string // the URL path wrk asks for, when not /hello or file
	peers   []string
	smoke   bool
}

// harness holds the built binaries and the scratch directory.
type harness struct {
	root    string // the repository
	tmp     string
	outDir  string
	servers []serverSpec
	// fileServers serve the files of staticDir, for the static scenarios.
	fileServers []serverSpec
	staticDir   string
	env         string // machine description for the tables
	only        map[string]bool
	// cmd/brick, built on first use by the wsgi scenarios.
	brickBuilt bool
	brickExe   string
	brickErr   error
	wsgiEnv    string // the Python side's versions, for the wsgi tables
	tlsEnv     string // the TLS peers' versions, for the tls tables
	// client, when set, runs in place of wrk and its kin (drive): the
	// tests' stand-in.
	client func(ctx context.Context, port int, sc scenario, d time.Duration) (wrkResult, error)
}

func newHarness(out, only string) (*harness, error) {
	root, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(root, "bench", "pipeline.lua")); err != nil {
		return nil, fmt.Errorf("run from the repository root (bench/run does): %w", err)
	}
	tmp, err := os.MkdirTemp("", "brick-bench")
	if err != nil {
		return nil, err
	}
	h := &harness{root: root, tmp: tmp, outDir: out}
	for _, tool := range []string{"wrk", "taskset", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err2 := os.Stat("/usr/sbin/" + tool); tool == "nginx" && err2 == nil {
				continue
			}
			return nil, fmt.Errorf("%s is not installed: bench/run installs it with apt-get", tool)
		}
	}
	for _, b := range []struct{ name, pkg string }{
		{"brick-bench", "./servers/brick"},
		{"nethttp-bench", "./servers/nethttp"},
		{"fasthttp-bench", "./servers/fasthttp"},
		{"idleclient", "./idleclient"},
		{"hsclient", "./hsclient"},
		{"wsclient", "./wsclient"},
		{"slowclients", "./slowclients"},
	} {
		// bench/ is a module of its own, so that the peers' modules stay
		// out of Brick's go.mod.
		cmd := exec.Command("go", "build", "-o", filepath.Join(tmp, b.name), b.pkg)
		cmd.Dir = filepath.Join(root, "bench")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build bench/%s: %v\n%s", strings.TrimPrefix(b.pkg, "./"), err, out)
		}
	}
	h.servers = allServers(tmp)
	if h.staticDir, err = makeStaticDir(tmp); err != nil {
		return nil, err
	}
	h.fileServers = fileServers(tmp, h.staticDir)
	if only != "" {
		h.only = map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			h.only[strings.TrimSpace(s)] = true
		}
		h.servers, h.fileServers = filterServers(h.servers, h.only), filterServers(h.fileServers, h.only)
	}
	h.env = describeMachine()
	return h, nil
}

func (h *harness) cleanup() {
	killAll()
	if h.tmp != "" {
		os.RemoveAll(h.tmp)
	}
}

// run measures every server under one scenario and reports: all at once,
// their runs taking turns, or one at a time (turns.go).
func (h *harness) run(ctx context.Context, sc scenario) error {
	var rows []row
	specs := h.servers
	env := h.env
	switch {
	case sc.h2 && sc.file != "":
		var err error
		if specs, err = h.h2FileServers(); err != nil {
			return err
		}
		env = strings.Replace(env, "wrk on CPU 1", "h2load (HTTP/2) or wrk (HTTP/1.1) on CPU 1", 1)
		env += fmt.Sprintf(" h2load -t1 -m%d; %s.", sc.h2Streams(), tlsVersions())
	case sc.h2:
		var err error
		if specs, err = h.h2Servers(sc.tls); err != nil {
			return err
		}
		if sc.idleConns > 0 {
			env = strings.Replace(env, "wrk on CPU 1", "idleclient -h2 on CPU 1", 1)
			env += " " + tlsVersions() + "."
			break
		}
		// h2load, not wrk, is the client here.
		env = strings.Replace(env, "wrk on CPU 1", "h2load on CPU 1", 1)
		env += fmt.Sprintf(" h2load -t1 -m%d; %s.", sc.h2Streams(), tlsVersions())
	case sc.tls:
		var err error
		if specs, err = h.tlsServers(); err != nil {
			return err
		}
		if sc.peers != nil {
			specs = filterServers(specs, keepOnly(sc.peers))
		}
		if h.tlsEnv == "" {
			h.tlsEnv = tlsVersions()
		}
		env += " ECDSA P-256 certificate; " + h.tlsEnv + "."
	case sc.file != "":
		specs = h.fileServers
	case sc.gateway != "":
		var stopBackend func()
		var err error
		specs, stopBackend, err = h.gatewaySpecs(sc)
		if err != nil {
			return err
		}
		defer stopBackend()
		env += " " + gatewayNote[sc.gateway]
	case sc.app != "":
		specs = h.wsgiServers(sc.app, sc.workers)
		if sc.asgi {
			specs = h.asgiServers(sc.app, sc.workers)
		}
		if h.only != nil {
			specs = filterServers(specs, h.only)
		}
		if sc.peers != nil {
			specs = filterServers(specs, keepOnly(sc.peers))
		}
		versions := h.wsgiEnv
		if sc.asgi {
			versions = asgiVersions()
		} else if h.wsgiEnv == "" {
			h.wsgiEnv = wsgiVersions()
			versions = h.wsgiEnv
		}
		env += fmt.Sprintf(" Each server runs %d Python worker process%s of %s on CPU 0; %s.",
			sc.workers, map[bool]string{true: "", false: "es"}[sc.workers == 1], python, versions)
	}
	env += " " + turnsNote(sc)
	for _, group := range groups(specs, sc) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for i, o := range h.measureGroup(ctx, group, sc) {
			name := group[i].name
			if o.err != nil {
				if sc.smoke || ctx.Err() != nil {
					return fmt.Errorf("%s on %s: %w", sc.name, name, o.err)
				}
				// One peer failing must not lose the others' figures: the
				// failure goes into its row.
				log.Printf("%s on %s failed: %v", sc.name, name, o.err)
				o.rows = []row{{server: name, errors: "failed: " + firstLine(o.err.Error())}}
			}
			rows = append(rows, o.rows...)
		}
	}
	table := formatTable(sc, rows, env)
	fmt.Println(table)
	if h.outDir == "" {
		return nil
	}
	dir := h.outDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(h.root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, sc.name+".md"), []byte(table), 0o644); err != nil {
		return err
	}
	return drawChart(filepath.Join(dir, sc.name+".png"), sc, rows)
}

// keepOnly is names as a set, for filterServers.
func keepOnly(names []string) map[string]bool {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	return keep
}

// filterServers keeps the specs named in keep, in order.
func filterServers(specs []serverSpec, keep map[string]bool) []serverSpec {
	var sel []serverSpec
	for _, s := range specs {
		if keep[s.name] {
			sel = append(sel, s)
		}
	}
	return sel
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
