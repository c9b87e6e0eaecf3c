package web_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/brick-server/brick/web"
)

// A handler reports failure by returning an error with a status.
func ExampleError() {
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		if r.Header.Get("Authorization") == nil {
			w.Header().Set("WWW-Authenticate", `Basic realm="brick"`)
			return web.Error(http.StatusUnauthorized, nil)
		}
		_, err := w.WriteString("welcome")
		return err
	})
	_ = h
	fmt.Println(web.StatusOf(web.Error(401, nil)), web.StatusOf(fmt.Errorf("disk full")))
	// Output: 401 500
}

// Streaming: Flush sends what was written so far, through any wrappers.
func ExampleFlush() {
	_ = web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		for i := range 3 {
			fmt.Fprintf(w, "tick %d\n", i)
			if err := web.Flush(w); err != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil
	})
}

// Keeping a request past its handler needs a Clone: the original is a view
// over the connection's buffer, reused by the next request.
func ExampleRequest_Clone() {
	kept := make(chan *web.Request, 1)
	_ = web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		kept <- r.Clone()
		return nil
	})
}
