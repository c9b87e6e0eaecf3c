package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The wsgi-slow scenarios measure a wsgi server twice in one run: wrk
// alone, then wrk beside slow clients (bench/slowclients), each holding a
// connection that asks for /big (1 MiB from the same application) and
// reads it at 1 KiB/s through a 4 KiB receive buffer. A server that writes
// a response from the application's worker leaves that worker stuck on
// the slow reader; one that buffers the response (nginx in front, or
// Brick) frees the worker and goes on serving wrk.

// slowRate is what each slow client reads a second.
const slowRate = 1024

// slowRow is a row's second half: the same wrk run beside the slow
// clients, and what the slow clients themselves received.
type slowRow struct {
	wrkResult
	ready int // slow clients that had their first bytes before wrk started
	// bytesPerSec is what all the slow clients read a second, together,
	// while wrk ran: at most clients x slowRate.
	bytesPerSec float64
	// rssGrowth is how much the server's process tree grew (KiB) from
	// before the slow clients came to the end of wrk's run beside them.
	rssGrowth int64
}

var slowStatsRE = regexp.MustCompile(`^slow: conns=\d+ bytes=(\d+) responses=\d+ errors=(\d+)`)

// measureSlow starts the slow clients, waits until they are served (or
// stuck) and the server has settled, runs wrk for sc.dur beside them, and
// stops them.
func (h *harness) measureSlow(ctx context.Context, pid, port int, sc scenario) (*slowRow, error) {
	rssBefore := rssKiB(pid)
	readyWait := "5s"
	if sc.smoke {
		readyWait = "1s"
	}
	client := pinnedClient(exec.Command(filepath.Join(h.tmp, "slowclients"),
		"-addr", fmt.Sprintf("127.0.0.1:%d", port), "-c", strconv.Itoa(sc.slow), "-path", "/big",
		"-rate", strconv.Itoa(slowRate), "-rcvbuf", "4096", "-ready-wait", readyWait), sc.slow+1024)
	stdin, err := client.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := client.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr := &tailBuffer{}
	client.Stderr = stderr
	done, err := launch(client)
	if err != nil {
		return nil, err
	}
	defer func() {
		stdin.Close()
		stop(client, done)
	}()
	lines := make(chan string, 4)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	next := func(prefix string) (string, error) {
		select {
		case l, ok := <-lines:
			if !ok || !strings.HasPrefix(l, prefix) {
				return "", fmt.Errorf("slowclients said %q, not %q: %s", l, prefix, stderr.errorLine())
			}
			return l, nil
		case <-time.After(30 * time.Second):
			return "", fmt.Errorf("slowclients did not answer")
		}
	}
	bytesNow := func() (int64, error) {
		if _, err := io.WriteString(stdin, "stats\n"); err != nil {
			return 0, err
		}
		l, err := next("slow: ")
		if err != nil {
			return 0, err
		}
		m := slowStatsRE.FindStringSubmatch(l)
		if m == nil {
			return 0, fmt.Errorf("slowclients: unreadable %q", l)
		}
		return strconv.ParseInt(m[1], 10, 64)
	}
	var out slowRow
	l, err := next("ready ")
	if err != nil {
		return nil, err
	}
	out.ready, _ = strconv.Atoi(strings.TrimPrefix(l, "ready "))
	settleLimit := 5 * time.Second
	if sc.smoke {
		settleLimit = time.Second
	}
	settle(ctx, pid, settleLimit)
	before, err := bytesNow()
	if err != nil {
		return nil, err
	}
	began := time.Now()
	if out.wrkResult, err = h.wrk(ctx, port, sc, sc.dur); err != nil {
		return nil, err
	}
	if out.requests == 0 {
		// wrk counts a timeout only for a response that came late: a
		// server that answered nothing shows no error of its own.
		out.errors = strings.TrimPrefix(out.errors+"; no response in "+sc.dur.String(), "; ")
	}
	after, err := bytesNow()
	if err != nil {
		return nil, err
	}
	out.rssGrowth = rssKiB(pid) - rssBefore
	out.bytesPerSec = float64(after-before) / time.Since(began).Seconds()
	return &out, nil
}

// settle waits, at most limit, until pid's process tree spends less than
// a tenth of a CPU over a quarter of a second. The slow clients say ready
// once each has its first bytes, while the server may still be pulling
// the rest of 200 large responses out of its application into buffers:
// wrk measures the server beside slow clients, not that burst.
func settle(ctx context.Context, pid int, limit time.Duration) {
	const window = 250 * time.Millisecond
	deadline := time.Now().Add(limit)
	prev := cpuTicks(pid)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-time.After(window):
		}
		now := cpuTicks(pid)
		if float64(now-prev)/ticksPerSecond < window.Seconds()/10 {
			return
		}
		prev = now
	}
}
