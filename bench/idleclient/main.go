// Command idleclient opens many keep-alive connections to a server, sends
// one request on each, reads the response, then holds them all idle until
// its standard input closes. It prints "ready N" once every connection is
// idle. Past the ephemeral port range of one source address it spreads the
// connections over 127.0.0.2, 127.0.0.3, ... With -tls it speaks HTTPS
// (the server's certificate is not checked: the harness made it).
package main

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"sync"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	n := flag.Int("n", 10000, "connections")
	perSource := flag.Int("per-source", 20000, "connections per source address")
	workers := flag.Int("workers", 64, "connections opened at once")
	useTLS := flag.Bool("tls", false, "speak HTTPS")
	flag.Parse()

	conns := make([]net.Conn, *n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for i := range next {
				c, err := dial(*addr, i / *perSource)
				if err == nil && *useTLS {
					tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"})
					if err = tc.Handshake(); err != nil {
						c.Close()
					}
					c = tc
				}
				if err == nil {
					err = oneRequest(c, buf)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("connection %d: %w", i, err)
					}
					mu.Unlock()
					continue
				}
				conns[i] = c
			}
		}()
	}
	for i := range *n {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		log.Fatal(firstErr)
	}
	fmt.Printf("ready %d\n", *n)
	io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}

func dial(addr string, source int) (net.Conn, error) {
	d := net.Dialer{}
	if source > 0 {
		d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, byte(source/250), byte(2+source%250))}
	}
	return d.Dial("tcp", addr)
}

// oneRequest sends a GET and reads one response head and its 13-byte body.
func oneRequest(c net.Conn, buf []byte) error {
	if _, err := c.Write([]byte("GET /hello HTTP/1.1\r\nHost: bench\r\n\r\n")); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	got := 0
	for {
		k, err := br.Read(buf[got:])
		if err != nil {
			return err
		}
		got += k
		if i := bytes.Index(buf[:got], []byte("\r\n\r\n")); i >= 0 && got >= i+4+len("Hello, World!") {
			return nil
		}
	}
}
