package server_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
)

// TestShutdownAcceptRace: a connection the accept loop took just as
// Shutdown began is still served. Shutdown used to stop the readiness
// loops as soon as no connection was counted, while the accept loop could
// still be handing one over: its epoll_ctl then failed on the closed epoll
// descriptor ("epoll_ctl add failed: bad file descriptor"), and the
// client's request was lost (seen in TestUpgradeUnderLoad under load).
func TestShutdownAcceptRace(t *testing.T) {
	srv := &server.Server{Handler: helloHandler}
	accepted := make(chan struct{}, 1)
	shutDown := make(chan struct{})
	if err := server.HoldAccepted(srv, func() {
		accepted <- struct{}{}
		// Until Shutdown returns, or long enough to show it waits.
		select {
		case <-shutDown:
		case <-time.After(500 * time.Millisecond):
		}
	}); err != nil {
		t.Fatal(err)
	}
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	write(t, c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	<-accepted
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		srv.Shutdown(ctx)
		close(shutDown)
	}()
	buf := make([]byte, 4096)
	n, _ := c.Read(buf)
	if got := string(buf[:n]); !strings.HasPrefix(got, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(got, "Hello, World!") {
		t.Fatalf("a connection accepted as Shutdown began got %q", got)
	}
	<-shutDown
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
}
