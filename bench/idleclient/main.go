// Command idleclient opens many keep-alive connections to a server, sends
// one request on each, reads the response, then holds them all idle until
// its standard input closes. It prints "ready N" once every connection is
// idle. Past the ephemeral port range of one source address it spreads the
// connections over 127.0.0.2, 127.0.0.3, ... With -tls it speaks HTTPS
// (the server's certificate is not checked: the harness made it). With
// -h2 it speaks HTTP/2: over TLS by ALPN, otherwise in cleartext with
// prior knowledge.
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
	useH2 := flag.Bool("h2", false, "speak HTTP/2 (with -tls by ALPN, else h2c with prior knowledge)")
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
					cfg := &tls.Config{InsecureSkipVerify: true, ServerName: "localhost"}
					if *useH2 {
						cfg.NextProtos = []string{"h2"}
					}
					tc := tls.Client(c, cfg)
					if err = tc.Handshake(); err != nil {
						c.Close()
					} else if *useH2 && tc.ConnectionState().NegotiatedProtocol != "h2" {
						err = fmt.Errorf("ALPN chose %q, not h2", tc.ConnectionState().NegotiatedProtocol)
					}
					c = tc
				}
				switch {
				case err == nil && *useH2:
					err = h2Request(c, *useTLS)
				case err == nil:
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

// h2Request sends the HTTP/2 preface, empty SETTINGS and one GET for
// /hello on stream 1, and reads until that response ends, acknowledging
// the server's SETTINGS as a client must.
func h2Request(c net.Conn, https bool) error {
	scheme := byte(0x86) // :scheme http, from HPACK's static table
	if https {
		scheme = 0x87 // :scheme https
	}
	// :method GET, :scheme, :path /hello and :authority bench (literal
	// values with indexed names, without Huffman coding).
	block := append([]byte{0x82, scheme, 0x44, 6}, "/hello"...)
	block = append(append(block, 0x41, 5), "bench"...)
	out := append([]byte(nil), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"...)
	out = appendFrame(out, 0x4, 0, 0, nil)     // SETTINGS
	out = appendFrame(out, 0x1, 0x5, 1, block) // HEADERS, END_STREAM|END_HEADERS
	if _, err := c.Write(out); err != nil {
		return err
	}
	br := bufio.NewReader(c)
	var hdr [9]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return err
		}
		n := int64(hdr[0])<<16 | int64(hdr[1])<<8 | int64(hdr[2])
		typ, flags := hdr[3], hdr[4]
		id := (uint32(hdr[5])<<24 | uint32(hdr[6])<<16 | uint32(hdr[7])<<8 | uint32(hdr[8])) & 0x7fffffff
		if _, err := io.CopyN(io.Discard, br, n); err != nil {
			return err
		}
		switch {
		case typ == 0x4 && flags&0x1 == 0: // SETTINGS, not an ACK
			if _, err := c.Write(appendFrame(nil, 0x4, 0x1, 0, nil)); err != nil {
				return err
			}
		case typ == 0x7: // GOAWAY
			return fmt.Errorf("GOAWAY before the response")
		case typ == 0x3 && id == 1: // RST_STREAM
			return fmt.Errorf("stream reset")
		case (typ == 0x0 || typ == 0x1) && id == 1 && flags&0x1 != 0: // END_STREAM
			return nil
		}
	}
}

// appendFrame appends an HTTP/2 frame.
func appendFrame(b []byte, typ, flags byte, id uint32, payload []byte) []byte {
	n := len(payload)
	b = append(b, byte(n>>16), byte(n>>8), byte(n), typ, flags, byte(id>>24), byte(id>>16), byte(id>>8), byte(id))
	return append(b, payload...)
}
