package proxy_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brick-server/brick/proxy"
)

// timedUpstream answers every request with size bytes (Content-Length,
// or chunked), after reading the request's body, and records when each
// request's head arrived and when it finished writing each answer.
type timedUpstream struct {
	url              string
	size             int
	chunked          bool
	headAt, answered atomic.Int64 // Unix ns of the last
	gotLength        atomic.Value // the Content-Length and Transfer-Encoding of the last request
	bodyHash         atomic.Value
}

func startTimed(t *testing.T, size int, chunked bool) *timedUpstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	u := &timedUpstream{url: "http://" + ln.Addr().String(), size: size, chunked: chunked}
	body := bytes.Repeat([]byte("x"), size)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					if _, err := br.Peek(1); err != nil {
						return
					}
					u.headAt.Store(time.Now().UnixNano())
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					h := sha256.New()
					io.Copy(h, req.Body)
					u.bodyHash.Store(fmt.Sprintf("%x", h.Sum(nil)))
					u.gotLength.Store(req.Header.Get("Content-Length") + "/" + strings.Join(req.TransferEncoding, ","))
					if u.chunked {
						fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body)
					} else {
						fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
					}
					u.answered.Store(time.Now().UnixNano())
				}
			}()
		}
	}()
	return u
}

// TestBufferRequests: with buffer_requests a slow uploader's request
// reaches the upstream only once its whole body is in, with a
// Content-Length (a chunked one included); without, the head goes at
// once and the upstream waits on the client.
func TestBufferRequests(t *testing.T) {
	tests := []struct {
		name        string
		buffer      bool
		chunked     bool
		memory      int64
		early       bool   // the upstream sees the head before the body is all sent
		wantFraming string // Content-Length/Transfer-Encoding upstream
	}{
		{"streamed", false, false, 64 << 10, true, "300000/"},
		{"buffered in memory", true, false, 1 << 20, false, "300000/"},
		{"buffered to a file", true, false, 1 << 10, false, "300000/"},
		{"chunked buffered", true, true, 64 << 10, false, "300000/"},
		{"chunked streamed", false, true, 64 << 10, true, "/chunked"},
	}
	body := bytes.Repeat([]byte("0123456789"), 30000)
	want := fmt.Sprintf("%x", sha256.Sum256(body))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := startTimed(t, 10, false)
			c := config(up.url)
			c.BufferRequests, c.BufferMemory = tc.buffer, tc.memory
			addr, _ := serve(t, c)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(10 * time.Second))
			framing := "Content-Length: " + strconv.Itoa(len(body))
			if tc.chunked {
				framing = "Transfer-Encoding: chunked"
			}
			io.WriteString(conn, "POST /up HTTP/1.1\r\nHost: x\r\n"+framing+"\r\n\r\n")
			// The body in three pieces, 150 ms apart: a slow uploader.
			var last int64 // when its last bytes left
			for i := range 3 {
				p := body[i*len(body)/3 : (i+1)*len(body)/3]
				time.Sleep(150 * time.Millisecond)
				last = time.Now().UnixNano()
				if tc.chunked {
					fmt.Fprintf(conn, "%x\r\n%s\r\n", len(p), p)
				} else {
					conn.Write(p)
				}
			}
			if tc.chunked {
				time.Sleep(150 * time.Millisecond)
				last = time.Now().UnixNano()
				io.WriteString(conn, "0\r\n\r\n")
			}
			res := readResponse(t, bufio.NewReader(conn), false)
			if res.Status != 200 {
				t.Fatalf("status %d %q", res.Status, res.Body)
			}
			if got := up.bodyHash.Load(); got != want {
				t.Errorf("upstream body sha256 %v, want %s", got, want)
			}
			if early := up.headAt.Load() < last; early != tc.early {
				t.Errorf("upstream saw the head before the body was all sent: %v, want %v", early, tc.early)
			}
			if got := up.gotLength.Load(); got != tc.wantFraming {
				t.Errorf("upstream framing %q, want %q", got, tc.wantFraming)
			}
		})
	}
}

// TestBufferRequestsLimit: a body over buffer_max is refused with 413
// and never reaches the upstream.
func TestBufferRequestsLimit(t *testing.T) {
	up := startTimed(t, 10, false)
	c := config(up.url)
	c.BufferRequests, c.BufferMemory, c.BufferMax = true, 1<<10, 100<<10
	addr, _ := serve(t, c)
	res := roundTrip(t, addr, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n"+strings.Repeat("y", 200000))
	if res.Status != 413 || up.headAt.Load() != 0 {
		t.Errorf("status %d, upstream saw a request %v; want 413 and none", res.Status, up.headAt.Load() != 0)
	}
}

// TestBufferResponses: with buffer_responses the upstream's answer is
// read whole and its connection goes back to the pool while the client
// has not read a byte; without, the upstream stays held by the slow
// client. Past buffer_max the rest streams, the upstream held. Every
// client gets the whole body.
func TestBufferResponses(t *testing.T) {
	// Well past what the socket buffers on the way hold (Linux grows
	// each up to 4-6 MiB on loopback).
	const size = 32 << 20
	tests := []struct {
		name     string
		buffer   bool
		chunked  bool
		max      int64
		released bool // the upstream connection is idle before the client reads
		length   bool // the client is told a Content-Length
	}{
		{"streamed", false, false, 1 << 30, false, true},
		{"buffered", true, false, 1 << 30, true, true},
		{"buffered chunked", true, true, 1 << 30, true, true},
		{"over buffer_max", true, false, 1 << 20, false, true},
		{"over buffer_max chunked", true, true, 1 << 20, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := startTimed(t, size, tc.chunked)
			c := config(up.url)
			c.BufferResponses, c.BufferMax = tc.buffer, tc.max
			addr, h := serve(t, c)
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// A slow client: nothing read for a while.
			conn.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(conn, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
			// Buffering 32 MiB takes a moment on a loaded machine; a held
			// upstream is given a second to show it is not released.
			wait := time.Second
			if tc.released {
				wait = 10 * time.Second
			}
			released := poll(wait, func() bool { return idle(h) == 1 && h.Stats()[0].Active == 0 })
			if released != tc.released {
				t.Errorf("upstream connection back in the pool before the client read: %v, want %v", released, tc.released)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, res.Body)
			if res.StatusCode != 200 || n != size || err != nil {
				t.Fatalf("status %d, %d bytes (%v), want 200 and %d", res.StatusCode, n, err, size)
			}
			if got := res.ContentLength >= 0; got != tc.length {
				t.Errorf("Content-Length given: %v, want %v", got, tc.length)
			}
			if !poll(2*time.Second, func() bool { return idle(h) == 1 }) {
				t.Error("the upstream connection is not kept after the response")
			}
		})
	}
}

func idle(h *proxy.Handler) int { return h.Stats()[0].Idle }

// poll polls cond until it holds or d passes.
func poll(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
