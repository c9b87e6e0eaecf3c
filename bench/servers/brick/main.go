// Command brick-bench serves the benchmark response with Brick, through its
// own handler API (-api native) or an unchanged net/http handler through
// the adapter (-api nethttp); or a directory with package static (-static DIR).
// With -tls-cert and -tls-key it serves HTTPS (server.ServeTLS's defaults).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"log"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"

	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/static"
	"github.com/brick-server/brick/web"
)

var hello = []byte("Hello, World!")

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	api := flag.String("api", "native", "native (Brick's handler API) or nethttp (the net/http adapter)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file until SIGTERM or SIGINT")
	dir := flag.String("static", "", "serve this directory with package static (brick DIR's defaults) instead")
	certFile := flag.String("tls-cert", "", "serve HTTPS with this certificate (PEM), with -tls-key")
	keyFile := flag.String("tls-key", "", "the key (PEM) of -tls-cert")
	flag.Parse()
	if *cpuprofile != "" {
		stop := profile(*cpuprofile)
		defer stop()
	}
	var h web.Handler
	switch *api {
	case "native":
		h = web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
			w.Header().Set("Content-Type", "text/plain")
			_, err := w.Write(hello)
			return err
		})
	case "nethttp":
		h = nethttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write(hello)
		}))
	default:
		log.Fatalf("unknown -api %q", *api)
	}
	if *dir != "" {
		fs, err := static.New(static.Defaults(*dir))
		if err != nil {
			log.Fatal(err)
		}
		h = fs
	}
	s := &server.Server{Handler: h}
	// SIGUSR1 prints the Go runtime's memory figures, to see where an idle
	// connection's bytes go.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	go func() {
		for range usr1 {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			log.Printf("heap in use %d KiB, heap idle %d KiB, released %d KiB, stacks %d KiB, sys %d KiB, goroutines %d, GCs %d",
				m.HeapInuse>>10, m.HeapIdle>>10, m.HeapReleased>>10, m.StackInuse>>10, m.Sys>>10, runtime.NumGoroutine(), m.NumGC)
		}
	}()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	go func() {
		<-ctx.Done()
		s.Close()
	}()
	var err error
	if *certFile != "" {
		err = serveTLS(s, *addr, *certFile, *keyFile)
	} else {
		err = s.ListenAndServe(*addr)
	}
	if err != nil && err != server.ErrServerClosed {
		log.Fatal(err)
	}
}

func serveTLS(s *server.Server, addr, certFile, keyFile string) error {
	kp, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return err
	}
	ln, err := server.Listen(addr, server.ListenConfig{})
	if err != nil {
		return err
	}
	return s.ServeTLS(ln, &tls.Config{Certificates: []tls.Certificate{kp}})
}

// profile starts CPU profiling into path and returns the function that
// stops it.
func profile(path string) func() {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		log.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
