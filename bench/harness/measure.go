package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// row is one server's result in a scenario.
type row struct {
	server    string
	rps       float64 // requests per second (median)
	perCPU    float64 // requests per server-CPU-second (median)
	p50, p90  time.Duration
	p99       time.Duration
	errors    string  // wrk's socket errors and non-2xx counts, if any
	idleKiB   float64 // idle scenario: KiB per idle connection
	idleConns int
	rssBefore int64
	rssAfter  int64
	slow      *slowRow // wsgi-slow: the run beside the slow clients
}

// measure measures one server alone under sc: its first row, or why it
// has none.
func (h *harness) measure(ctx context.Context, spec serverSpec, sc scenario) (row, error) {
	o := h.measureGroup(ctx, []serverSpec{spec}, sc)[0]
	if o.err != nil {
		return row{}, o.err
	}
	return o.rows[0], nil
}

// wrkResult is what one wrk run reported.
type wrkResult struct {
	rps, requests float64
	p50, p90, p99 time.Duration
	errors        string
	cpuSeconds    float64
}

// wrk runs wrk pinned to CPU 1 and parses its report; hsclient in its
// place for full TLS handshakes.
func (h *harness) wrk(ctx context.Context, port int, sc scenario, d time.Duration) (wrkResult, error) {
	if sc.h2 {
		return h.h2load(ctx, port, sc, d)
	}
	if sc.ws {
		ctx, cancel := context.WithTimeout(ctx, d+20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "taskset", "-c", "1", filepath.Join(h.tmp, "wsclient"),
			"-url", fmt.Sprintf("ws://127.0.0.1:%d/echo", port), "-c", strconv.Itoa(sc.conns), "-d", d.String()).CombinedOutput()
		if err != nil {
			return wrkResult{}, fmt.Errorf("wsclient: %v\n%s", err, out)
		}
		return parseWrk(string(out))
	}
	if sc.fullHandshake {
		ctx, cancel := context.WithTimeout(ctx, d+20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "taskset", "-c", "1", filepath.Join(h.tmp, "hsclient"),
			"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-c", strconv.Itoa(sc.conns), "-d", d.String()).CombinedOutput()
		if err != nil {
			return wrkResult{}, fmt.Errorf("hsclient: %v\n%s", err, out)
		}
		return parseWrk(string(out))
	}
	args := []string{"-c", "1", "wrk", "-t1", "-c" + strconv.Itoa(sc.conns),
		"-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	scheme := "http"
	if sc.tls {
		scheme = "https"
	}
	url := fmt.Sprintf("%s://127.0.0.1:%d/hello", scheme, port)
	if sc.file != "" {
		url = fmt.Sprintf("%s://127.0.0.1:%d%s", scheme, port, sc.file)
	}
	if sc.closeConn {
		args = append(args, "-H", "Connection: close")
	}
	if sc.path != "" {
		url = fmt.Sprintf("http://127.0.0.1:%d%s", port, sc.path)
	}
	if sc.pipeline > 0 {
		args = append(args, "-s", filepath.Join(h.root, "bench", "pipeline.lua"), url, "--", strconv.Itoa(sc.pipeline))
	} else {
		args = append(args, url)
	}
	ctx, cancel := context.WithTimeout(ctx, d+20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "taskset", args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %v\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	rpsRE     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	totalRE   = regexp.MustCompile(`(\d+) requests in`)
	pctRE     = regexp.MustCompile(`(?m)^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$`)
	sockErrRE = regexp.MustCompile(`Socket errors:.*`)
	non2xxRE  = regexp.MustCompile(`Non-2xx or 3xx responses: \d+`)
)

func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := rpsRE.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := totalRE.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.ParseFloat(m[1], 64)
	}
	for _, m := range pctRE.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[3]]
		d := time.Duration(v * float64(unit))
		switch m[1] {
		case "50":
			r.p50 = d
		case "90":
			r.p90 = d
		case "99":
			r.p99 = d
		}
	}
	var errs []string
	if m := sockErrRE.FindString(out); m != "" {
		errs = append(errs, m)
	}
	if m := non2xxRE.FindString(out); m != "" {
		errs = append(errs, m)
	}
	r.errors = strings.Join(errs, "; ")
	return r, nil
}

// summarize takes the median of each figure over the runs.
func summarize(name string, rs []wrkResult) row {
	med := func(f func(wrkResult) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		sort.Float64s(v)
		return v[len(v)/2]
	}
	out := row{server: name}
	out.rps = med(func(r wrkResult) float64 { return r.rps })
	out.perCPU = med(func(r wrkResult) float64 {
		if r.cpuSeconds <= 0 {
			return 0
		}
		return r.requests / r.cpuSeconds
	})
	out.p50 = time.Duration(med(func(r wrkResult) float64 { return float64(r.p50) }))
	out.p90 = time.Duration(med(func(r wrkResult) float64 { return float64(r.p90) }))
	out.p99 = time.Duration(med(func(r wrkResult) float64 { return float64(r.p99) }))
	for _, r := range rs {
		if r.errors != "" {
			out.errors = r.errors
		}
	}
	return out
}

// measureIdle opens sc.idleConns keep-alive connections with one request
// each, lets them go idle, and charges the growth of the server's resident
// memory to them.
func (h *harness) measureIdle(ctx context.Context, name string, pid, port int, sc scenario) (row, error) {
	time.Sleep(500 * time.Millisecond)
	before := rssKiB(pid)
	client := exec.CommandContext(ctx, filepath.Join(h.tmp, "idleclient"),
		"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-n", strconv.Itoa(sc.idleConns), "-tls="+strconv.FormatBool(sc.tls),
		"-h2="+strconv.FormatBool(sc.h2))
	client = pinnedClient(client, sc.idleConns+1024)
	stdin, err := client.StdinPipe()
	if err != nil {
		return row{}, err
	}
	stdout, err := client.StdoutPipe()
	if err != nil {
		return row{}, err
	}
	var stderr strings.Builder
	client.Stderr = &stderr
	done, err := launch(client)
	if err != nil {
		return row{}, err
	}
	defer func() {
		stdin.Close()
		stop(client, done)
	}()
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "ready") {
				ready <- nil
				io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- fmt.Errorf("idle client failed: %s", stderr.String())
	}()
	select {
	case err := <-ready:
		if err != nil {
			return row{}, err
		}
	case <-time.After(60 * time.Second):
		return row{}, fmt.Errorf("idle client did not finish opening connections")
	}
	// Let the server finish with the requests and go idle.
	time.Sleep(2 * time.Second)
	after := rssKiB(pid)
	return row{server: name, idleConns: sc.idleConns, rssBefore: before, rssAfter: after,
		idleKiB: float64(after-before) / float64(sc.idleConns)}, nil
}

// pinnedClient runs the idle client on CPU 1 with enough descriptors.
func pinnedClient(cmd *exec.Cmd, nofile int) *exec.Cmd {
	script := fmt.Sprintf(`ulimit -n %d 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c 1 "$@"`, nofile)
	c := exec.CommandContext(context.Background(), "sh", append([]string{"-c", script, "sh"}, cmd.Args...)...)
	return c
}

// tailBuffer keeps the last few KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 8<<10 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-4<<10:]...)
	}
	return len(p), nil
}

// errorLine returns the last line written that reads like an error
// (a usage text or a start-up banner may follow it), else the last line.
func (t *tailBuffer) errorLine() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(t.buf)), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if errorRE.MatchString(lines[i]) {
			return strings.TrimSpace(lines[i])
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

var errorRE = regexp.MustCompile(`(?i)error|exception|fatal|not defined|unknown|no such|cannot|can't|unable|failed`)
