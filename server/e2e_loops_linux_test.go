package server_test

import (
	"bufio"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
)

// withDescriptor is a closeRecorder that gives its listener's descriptor
// to the readiness loops.
type withDescriptor struct{ *closeRecorder }

func (l withDescriptor) SyscallConn() (syscall.RawConn, error) {
	return l.Listener.(syscall.Conn).SyscallConn()
}

// TestFailedLoop checks what happens when a readiness loop's epoll_wait
// fails: the connections it watched are closed at once instead of hanging
// until a timeout, every new connection goes to the loops still working,
// and once no loop is left Serve returns an error (and closes its
// listener).
func TestFailedLoop(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4)) // four loops
	logs := new(syncBuffer)
	srv := &server.Server{Handler: web.HandlerFunc(newApp().serveWeb), Logger: slog.New(slog.NewTextHandler(logs, nil))}
	defer srv.Close()
	ln, err := server.Listen("127.0.0.1:0", server.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &closeRecorder{Listener: ln}
	loops, err := server.Loops(srv)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(withDescriptor{rec}) }()
	defer func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs)
		}
	}()

	type client struct {
		c  net.Conn
		br *bufio.Reader
	}
	// ask sends a request on cl and reports whether it was answered; a
	// connection closed without an answer is false, a hang fails the test.
	ask := func(cl client) bool {
		t.Helper()
		cl.c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(cl.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r, err := tryReadResponse(cl.br, "GET")
		switch {
		case err == nil && r.body == "Hello, World!":
			return true
		case isTimeout(err):
			t.Fatal("no answer and not closed: the connection hangs")
		}
		return false
	}
	dial := func() client {
		t.Helper()
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return client{c, bufio.NewReader(c)}
	}

	// Two kept-alive connections on each loop, in turn.
	var old []client
	for range 2 * loops {
		cl := dial()
		if !ask(cl) {
			t.Fatal("not served before any loop failed")
		}
		old = append(old, cl)
	}
	if err := server.FailLoop(srv, 0, errors.New("injected failure")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), "epoll_wait failed"); {
		if time.Now().After(deadline) {
			t.Fatal("the failure was not logged")
		}
		time.Sleep(time.Millisecond)
	}
	closed := 0
	for _, cl := range old {
		if !ask(cl) {
			closed++
		}
	}
	if closed != 2 {
		t.Errorf("%d of the %d connections were closed, want the 2 of the failed loop", closed, len(old))
	}
	for i := range 3 * loops {
		if !ask(dial()) {
			t.Fatalf("new connection %d not served: given to the failed loop", i)
		}
	}

	for i := 1; i < loops; i++ {
		if err := server.FailLoop(srv, i, errors.New("injected failure")); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(5 * time.Second); strings.Count(logs.String(), "epoll_wait failed") < loops; {
		if time.Now().After(deadline) {
			t.Fatal("the failures were not logged")
		}
		time.Sleep(time.Millisecond)
	}
	if ask(dial()) {
		t.Error("served with every loop failed")
	}
	select {
	case err := <-served:
		if err == nil || errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want an error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return with every loop failed")
	}
	if n := rec.closes.Load(); n != 1 {
		t.Errorf("listener closed %d times, want once", n)
	}
}
