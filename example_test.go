package brick_test

import (
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/brick-server/brick"
	"github.com/brick-server/brick/web"
)

// An unchanged net/http ServeMux served by Brick's engine.
func ExampleAdapt_serveMux() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello/{name}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello, %s!", r.PathValue("name"))
	})
	h, err := brick.Adapt(mux)
	if err != nil {
		panic(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &brick.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()

	resp, err := http.Get("http://" + ln.Addr().String() + "/hello/gopher")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK Hello, gopher!
}

// Brick's own handler API: the request is a view over the connection's
// buffer, and errors become responses.
func ExampleAdapt_webHandler() {
	h, _ := brick.Adapt(func(w web.ResponseWriter, r *web.Request) error {
		if string(r.Path) != "/hello" {
			return web.Error(http.StatusNotFound, nil)
		}
		w.Header().Set("Content-Type", "text/plain")
		_, err := w.WriteString("Hello, World!")
		return err
	})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &brick.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()

	for _, path := range []string{"/hello", "/elsewhere"} {
		resp, err := http.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			panic(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Printf("%s %s %q\n", path, resp.Status, body)
	}
	// Output:
	// /hello 200 OK "Hello, World!"
	// /elsewhere 404 Not Found "Not Found\n"
}
