// Command hsclient loads an HTTPS server with a full TLS handshake per
// request: each of -c connections in turn dials, handshakes with no
// session to resume, sends one GET with "Connection: close", reads the
// response and closes. wrk cannot do this: it resumes its previous
// session on every reconnection. It prints its figures in wrk's format
// (requests, Requests/sec, latency percentiles), so the harness reads
// both alike.
package main

import (
	"bufio"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"sync"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8443", "server address")
	conns := flag.Int("c", 16, "connections at once")
	dur := flag.Duration("d", 5*time.Second, "duration")
	flag.Parse()
	req := []byte("GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	var (
		mu     sync.Mutex
		lat    []time.Duration
		errors int
		wg     sync.WaitGroup
	)
	end := time.Now().Add(*dur)
	start := time.Now()
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No ClientSessionCache: every handshake is a full one.
			// X25519 only, as the OpenSSL 3.0 peers negotiate: Go
			// offers X25519MLKEM768 first, which only Go's servers
			// would take, at several times the cost.
			cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost", CurvePreferences: []tls.CurveID{tls.X25519}}
			var mine []time.Duration
			bad := 0
			for time.Now().Before(end) {
				t0 := time.Now()
				if err := one(*addr, cfg, req); err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errors += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(lat) == 0 {
		log.Fatalf("no request succeeded (%d errors)", errors)
	}
	slices.Sort(lat)
	pct := func(p int) time.Duration { return lat[min(len(lat)-1, len(lat)*p/100)] }
	fmt.Printf("Latency Distribution\n")
	for _, p := range []int{50, 90, 99} {
		fmt.Printf("     %d%%  %.2fus\n", p, float64(pct(p))/float64(time.Microsecond))
	}
	fmt.Printf("  %d requests in %.2fs\n", len(lat), elapsed.Seconds())
	if errors > 0 {
		fmt.Printf("  Socket errors: %d\n", errors)
	}
	fmt.Printf("Requests/sec: %.2f\n", float64(len(lat))/elapsed.Seconds())
}

// one does a request on a new connection with a full handshake.
func one(addr string, cfg *tls.Config, req []byte) error {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if c.ConnectionState().DidResume {
		fmt.Fprintln(os.Stderr, "hsclient: a session resumed")
	}
	if _, err := c.Write(req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}
