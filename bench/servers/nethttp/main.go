// Command nethttp-bench serves the benchmark response with Go's net/http,
// or a directory with http.FileServer (-static DIR); over HTTPS with
// -tls-cert and -tls-key (crypto/tls's defaults, as ListenAndServeTLS).
package main

import (
	"flag"
	"log"
	"net/http"
)

var hello = []byte("Hello, World!")

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	dir := flag.String("static", "", "serve this directory with http.FileServer instead")
	certFile := flag.String("tls-cert", "", "serve HTTPS with this certificate (PEM), with -tls-key")
	keyFile := flag.String("tls-key", "", "the key (PEM) of -tls-cert")
	h2c := flag.Bool("h2c", false, "also serve HTTP/2 over cleartext (prior knowledge)")
	flag.Parse()
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})
	if *dir != "" {
		h = http.FileServer(http.Dir(*dir))
	}
	if *certFile != "" {
		log.Fatal(http.ListenAndServeTLS(*addr, *certFile, *keyFile, h))
	}
	srv := &http.Server{Addr: *addr, Handler: h}
	if *h2c {
		srv.Protocols = new(http.Protocols)
		srv.Protocols.SetHTTP1(true)
		srv.Protocols.SetUnencryptedHTTP2(true)
	}
	log.Fatal(srv.ListenAndServe())
}
