// Command nethttp-bench serves the benchmark response with Go's net/http,
// or a directory with http.FileServer (-static DIR).
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
	flag.Parse()
	if *dir != "" {
		log.Fatal(http.ListenAndServe(*addr, http.FileServer(http.Dir(*dir))))
	}
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(hello)
	})))
}
