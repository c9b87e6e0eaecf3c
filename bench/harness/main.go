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
	workers := flag.String("workers", "1,4", "wsgi: comma-separated Python worker counts, one table per count and app")
	apps := flag.String("apps", "bare,flask,django", "wsgi: comma-separated apps of bench/apps to run (bare, flask, django)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: bench/run plaintext|pipelined|latency|idle|static|wsgi|all|smoke [flags]\n\nFlags:\n")
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
	case "wsgi":
		// Python workers answer a request at a time each: -c16 unless -c
		// says otherwise.
		c := 16
		if connsSet {
			c = *conns
		}
		for _, w := range strings.Split(*workers, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(w))
			if err != nil || n < 1 {
				log.Fatalf("-workers %q: want a comma-separated list of counts >= 1", *workers)
			}
			for _, app := range strings.Split(*apps, ",") {
				if _, ok := wsgiApps[app]; !ok {
					log.Fatalf("-apps: unknown app %q: want bare, flask or django", app)
				}
				scenarios = append(scenarios, scenario{name: fmt.Sprintf("wsgi-%s-%dw", app, n),
					dur: *dur, runs: *runs, conns: c, app: app, workers: n})
			}
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
		}
		// One wsgi peer, to keep the Python plumbing (start-up, readiness,
		// the process tree) working without a second per server.
		if uwsgiInstalled() {
			scenarios = append(scenarios, scenario{name: "wsgi-bare-1w", dur: time.Second, runs: 1, conns: 8,
				app: "bare", workers: 1, peers: []string{"uwsgi"}, smoke: true})
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
	workers   int    // the wsgi scenarios: Python worker processes per server
	peers     []string
	smoke     bool
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

// run measures every server under one scenario and reports.
func (h *harness) run(ctx context.Context, sc scenario) error {
	var rows []row
	specs := h.servers
	env := h.env
	switch {
	case sc.file != "":
		specs = h.fileServers
	case sc.app != "":
		specs = h.wsgiServers(sc.app, sc.workers)
		if h.only != nil {
			specs = filterServers(specs, h.only)
		}
		if sc.peers != nil {
			keep := map[string]bool{}
			for _, p := range sc.peers {
				keep[p] = true
			}
			specs = filterServers(specs, keep)
		}
		if h.wsgiEnv == "" {
			h.wsgiEnv = wsgiVersions()
		}
		env += fmt.Sprintf(" Each server runs %d Python worker process%s of %s on CPU 0; %s.",
			sc.workers, map[bool]string{true: "", false: "es"}[sc.workers == 1], python, h.wsgiEnv)
	}
	for _, spec := range specs {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Printf("%s: %s", sc.name, spec.name)
		r, err := h.measure(ctx, spec, sc)
		if err != nil {
			if sc.smoke || ctx.Err() != nil {
				return fmt.Errorf("%s on %s: %w", sc.name, spec.name, err)
			}
			// One peer failing must not lose the others' figures: the
			// failure goes into its row.
			log.Printf("%s on %s failed: %v", sc.name, spec.name, err)
			r = row{server: spec.name, errors: "failed: " + firstLine(err.Error())}
		}
		rows = append(rows, r)
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
