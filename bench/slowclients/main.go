// Command slowclients holds many connections to a server, each asking for
// a large response and reading it at a trickle (1 KiB/s by default),
// through a small receive buffer so that the server cannot push the
// response into the kernel and forget it: a server that writes responses
// from its application's worker holds that worker for as long as the
// client takes to read.
//
// Each connection sends GET PATH, reads the response at its rate, and
// asks again when it is complete (reconnecting when the server closes).
// Each connection also advertises an Ethernet-sized MSS (-mss): over
// loopback's 64 KiB segments the server's kernel would grow its send
// buffer to megabytes (tcp_wmem) and swallow the whole response, which
// no client across a real network lets it do.
// The command prints "ready N" once every connection has received the
// first bytes of its response (or after -ready-wait, counting those that
// have), then runs until its standard input closes or it is signalled.
// For each line it reads from its standard input, and once more at the
// end, it prints what the connections have received so far:
//
//	slow: conns=200 bytes=123456 responses=0 errors=0
//
// bench/run wsgi-slow runs it beside wrk (bench/harness/slow.go).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	n := flag.Int("c", 200, "connections")
	path := flag.String("path", "/big", "the URL path to ask for: a response larger than the socket buffers")
	rate := flag.Int("rate", 1024, "bytes per second each connection reads")
	rcvbuf := flag.Int("rcvbuf", 4096, "SO_RCVBUF of each connection, set before connecting (the kernel doubles it)")
	mss := flag.Int("mss", 1460, "TCP_MAXSEG of each connection, set before connecting (0: the kernel's)")
	readyWait := flag.Duration("ready-wait", 5*time.Second, "how long to wait for every connection's first bytes before saying ready")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("slowclients: ")

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var st stats
	report := func() {
		fmt.Printf("slow: conns=%d bytes=%d responses=%d errors=%d\n", *n, st.bytes.Load(), st.responses.Load(), st.errors.Load())
	}
	first := make(chan struct{}, *n)
	var wg sync.WaitGroup
	for range *n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := client{addr: *addr, path: *path, rate: *rate, rcvbuf: *rcvbuf, mss: *mss, st: &st, first: first}
			c.run(ctx)
		}()
	}
	got := 0
	deadline := time.After(*readyWait)
wait:
	for got < *n {
		select {
		case <-first:
			got++
		case <-deadline:
			break wait
		case <-ctx.Done():
			break wait
		}
	}
	fmt.Printf("ready %d\n", got)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			report()
		}
		stop()
	}()
	<-ctx.Done()
	wg.Wait()
	report()
}

// stats are every connection's totals.
type stats struct {
	bytes, responses, errors atomic.Int64
}

// client is one slow connection.
type client struct {
	addr, path   string
	rate, rcvbuf int
	mss          int
	st           *stats
	first        chan<- struct{}
	saidFirst    bool
}

// run asks for path again and again until ctx ends; a failed connection
// counts as an error and is replaced after a pause.
func (c *client) run(ctx context.Context) {
	for ctx.Err() == nil {
		err := c.conn(ctx)
		if err != nil && ctx.Err() == nil {
			c.st.errors.Add(1)
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// conn serves one connection: requests, each response read at the rate.
func (c *client) conn(ctx context.Context) error {
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, c.rcvbuf)
			if c.mss > 0 && serr == nil {
				serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, c.mss)
			}
		})
		return errors.Join(err, serr)
	}}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	defer nc.Close()
	stopClose := context.AfterFunc(ctx, func() { nc.Close() })
	defer stopClose()
	br := bufio.NewReaderSize(&trickle{r: nc, rate: c.rate, c: c}, 256)
	req := "GET " + c.path + " HTTP/1.1\r\nHost: " + c.addr + "\r\nUser-Agent: slowclients\r\n\r\n"
	for {
		if _, err := io.WriteString(nc, req); err != nil {
			return err
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		c.st.responses.Add(1)
		if resp.Close {
			return nil
		}
	}
}

// trickle reads from r at rate bytes a second, in quarter-second portions.
type trickle struct {
	r    io.Reader
	rate int
	c    *client
	left int       // bytes that may still be read in this portion
	next time.Time // when the next portion may be read
}

func (t *trickle) Read(p []byte) (int, error) {
	if t.left == 0 {
		if wait := time.Until(t.next); wait > 0 {
			time.Sleep(wait)
		}
		t.left = max(t.rate/4, 1)
		t.next = time.Now().Add(250 * time.Millisecond)
	}
	n, err := t.r.Read(p[:min(len(p), t.left)])
	t.left -= n
	t.c.st.bytes.Add(int64(n))
	if n > 0 && !t.c.saidFirst {
		t.c.saidFirst = true
		t.c.first <- struct{}{}
	}
	return n, err
}
