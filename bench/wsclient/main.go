// Command wsclient loads a WebSocket echo server: each of -c connections
// sends a short text message and waits for its echo, again and again. It
// prints its figures in wrk's format (requests, Requests/sec, latency
// percentiles), a request being one message echoed, so the harness reads
// it as it reads wrk.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"slices"
	"sync"
	"time"

	coder "github.com/coder/websocket"
)

func main() {
	url := flag.String("url", "ws://127.0.0.1:8888/echo", "WebSocket URL")
	conns := flag.Int("c", 16, "connections at once")
	dur := flag.Duration("d", 5*time.Second, "duration")
	flag.Parse()
	msg := []byte("Hello, World! A WebSocket echo.")
	ctx, cancel := context.WithTimeout(context.Background(), *dur+10*time.Second)
	defer cancel()
	cs := make([]*coder.Conn, *conns)
	for i := range cs {
		c, _, err := coder.Dial(ctx, *url, &coder.DialOptions{CompressionMode: coder.CompressionDisabled})
		if err != nil {
			log.Fatalf("dial %s: %v", *url, err)
		}
		cs[i] = c
	}
	var mu sync.Mutex
	var lat []time.Duration
	start := time.Now()
	stop := start.Add(*dur)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(stop) {
				t := time.Now()
				if err := c.Write(ctx, coder.MessageText, msg); err != nil {
					log.Fatal(err)
				}
				if _, _, err := c.Read(ctx); err != nil {
					log.Fatal(err)
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	took := time.Since(start)
	for _, c := range cs {
		c.Close(coder.StatusNormalClosure, "")
	}
	slices.Sort(lat)
	pct := func(p int) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, len(lat)*p/100)]
	}
	fmt.Printf("  Latency Distribution\n")
	for _, p := range []int{50, 90, 99} {
		fmt.Printf("     %d%%  %.2fus\n", p, float64(pct(p).Nanoseconds())/1e3)
	}
	fmt.Printf("  %d requests in %.2fs\n", len(lat), took.Seconds())
	fmt.Printf("Requests/sec: %.2f\n", float64(len(lat))/took.Seconds())
}
