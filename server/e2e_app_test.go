package server_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/brick-server/brick/web"
)

// app is the behaviour the end-to-end tests serve, written twice: as a
// web.Handler (serveWeb) and as an http.Handler (serveStd) that the matrix
// runs through nethttp. Both answer the same paths the same way.
type app struct {
	started chan string   // a blocking handler sends its path when it starts
	release chan struct{} // closed by the test to let blocking handlers go on
	ended   chan string   // "/block" reports how it ended: "released" or "cancelled"
	clones  chan *web.Request
}

func newApp() *app {
	return &app{started: make(chan string, 64), release: make(chan struct{}), ended: make(chan string, 64),
		clones: make(chan *web.Request, 64)}
}

// block waits for the test to release the handler or for the request's
// context to end, and reports which.
func (a *app) block(ctx context.Context) string {
	how := "released"
	select {
	case <-a.release:
	case <-ctx.Done():
		how = "cancelled"
	case <-time.After(10 * time.Second):
		how = "timed out"
	}
	a.ended <- how
	return how
}

// earlyHint is the Link field "/hints" sends in its 103 response.
const earlyHint = "</style.css>; rel=preload; as=style"

// bigBody is longer than the server holds back to compute a Content-Length.
var bigBody = strings.Repeat("0123456789abcdef", 100<<10/16)

// wait blocks until the test releases the handler, at most 10 s.
func (a *app) wait() {
	select {
	case <-a.release:
	case <-time.After(10 * time.Second):
	}
}

func (a *app) serveWeb(w web.ResponseWriter, r *web.Request) error {
	switch string(r.Path) {
	case "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := w.WriteString("Hello, World!")
		return err
	case "/query":
		_, err := w.Write(r.Query)
		return err
	case "/echo":
		_, err := io.Copy(w, r.Body)
		return err
	case "/len":
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return err
		}
		_, err = w.WriteString(strconv.FormatInt(n, 10))
		return err
	case "/noread":
		_, err := w.WriteString("ok")
		return err
	case "/reject":
		w.WriteHeader(403)
		_, err := w.WriteString("no")
		return err
	case "/big":
		_, err := w.WriteString(bigBody)
		return err
	case "/flushed":
		w.WriteString("first")
		if err := web.Flush(w); err != nil {
			return err
		}
		_, err := w.WriteString("second")
		return err
	case "/stream":
		w.WriteString("first")
		if err := web.Flush(w); err != nil {
			return err
		}
		a.started <- "/stream"
		a.wait()
		_, err := w.WriteString("second")
		return err
	case "/panic":
		w.WriteString("never sent")
		panic("boom")
	case "/panic-after-flush":
		w.WriteString("partial")
		web.Flush(w)
		panic("boom after flush")
	case "/abort":
		panic(web.ErrAbortHandler)
	case "/missing":
		return web.Error(404, errors.New("no such thing"))
	case "/fail":
		return errors.New("database down")
	case "/sleep":
		a.started <- "/sleep"
		time.Sleep(300 * time.Millisecond)
		_, err := w.WriteString("slept")
		return err
	case "/block":
		a.started <- "/block"
		_, err := w.WriteString(a.block(r.Context()))
		return err
	case "/header-after-body":
		// The head's views must survive the body being read, even when
		// reading it moves the body to a new buffer.
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			return err
		}
		w.Write(r.Header.Get("X-Big"))
		_, err = w.WriteString(" " + string(r.Path) + " " + strconv.FormatInt(n, 10))
		return err
	case "/flood":
		// Writes until the client stops reading and the write times out.
		chunk := []byte(strings.Repeat("f", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				a.ended <- "write failed"
				return err
			}
		}
	case "/short":
		w.Header().Set("Content-Length", "10")
		_, err := w.WriteString("hello")
		return err
	case "/wrapped":
		// A middleware's wrapper must not hide flushing and hijacking.
		ww := &wrapper{w}
		ww.WriteString("first")
		if err := web.Flush(ww); err != nil {
			return err
		}
		_, err := ww.WriteString("second")
		return err
	case "/clone":
		a.clones <- r.Clone()
		return nil
	case "/hints":
		// A 103 Early Hints, then the final response once released.
		w.Header().Set("Link", earlyHint)
		w.WriteHeader(103)
		a.wait()
		_, err := w.WriteString("done")
		return err
	case "/hijack":
		nc, brw, err := web.Hijack(w)
		if err != nil {
			return err
		}
		hijacked(nc, brw)
		return nil
	}
	return web.Error(404, nil)
}

func (a *app) serveStd(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, World!")
	case "/query":
		io.WriteString(w, r.URL.RawQuery)
	case "/echo":
		io.Copy(w, r.Body)
	case "/len":
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		io.WriteString(w, strconv.FormatInt(n, 10))
	case "/noread":
		io.WriteString(w, "ok")
	case "/reject":
		w.WriteHeader(403)
		io.WriteString(w, "no")
	case "/big":
		io.WriteString(w, bigBody)
	case "/flushed":
		io.WriteString(w, "first")
		if err := http.NewResponseController(w).Flush(); err != nil {
			panic(err)
		}
		io.WriteString(w, "second")
	case "/stream":
		io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		a.started <- "/stream"
		a.wait()
		io.WriteString(w, "second")
	case "/panic":
		io.WriteString(w, "never sent")
		panic("boom")
	case "/panic-after-flush":
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("boom after flush")
	case "/abort":
		panic(http.ErrAbortHandler)
	case "/missing":
		http.Error(w, "Not Found", 404)
	case "/fail":
		http.Error(w, "Internal Server Error", 500)
	case "/sleep":
		a.started <- "/sleep"
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "slept")
	case "/block":
		a.started <- "/block"
		io.WriteString(w, a.block(r.Context()))
	case "/header-after-body":
		n, err := io.Copy(io.Discard, r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		fmt.Fprintf(w, "%s %s %d", r.Header.Get("X-Big"), r.URL.Path, n)
	case "/flood":
		chunk := []byte(strings.Repeat("f", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				a.ended <- "write failed"
				return
			}
		}
	case "/short":
		w.Header().Set("Content-Length", "10")
		io.WriteString(w, "hello")
	case "/wrapped":
		ww := &stdWrapper{w}
		io.WriteString(ww, "first")
		if err := http.NewResponseController(ww).Flush(); err != nil {
			panic(err)
		}
		io.WriteString(ww, "second")
	case "/hints":
		w.Header().Set("Link", earlyHint)
		w.WriteHeader(103)
		a.wait()
		io.WriteString(w, "done")
	case "/hijack":
		nc, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		hijacked(nc, brw)
	default:
		http.NotFound(w, r)
	}
}

// wrapper is a middleware's web.ResponseWriter wrapper: it exposes the
// writer it wraps through Unwrap and nothing else.
type wrapper struct{ web.ResponseWriter }

func (w *wrapper) Unwrap() web.ResponseWriter { return w.ResponseWriter }

// stdWrapper is the same for net/http, as http.ResponseController expects.
type stdWrapper struct{ http.ResponseWriter }

func (w *stdWrapper) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// hijacked answers on a hijacked connection: it reads the line the client
// sent after the request head and echoes it in a raw response.
func hijacked(nc net.Conn, brw *bufio.ReadWriter) {
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := brw.ReadString('\n')
	if err != nil {
		return
	}
	brw.WriteString("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhijacked: " + line)
	brw.Flush()
}
