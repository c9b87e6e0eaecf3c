package asgi_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/asgi"
	"github.com/brick-server/brick/gateway/internal/pyproc"
)

// multipartBody builds a form with a field "name" and a file "file".
func multipartBody(t *testing.T, size int) (*bytes.Buffer, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("name", "brick")
	fw, err := mw.CreateFormFile("file", "data.bin")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(bytes.Repeat([]byte{'a'}, size))
	mw.Close()
	return &b, mw.FormDataContentType()
}

// frameworkCase is one request to a framework's application and what
// its answer must hold.
type frameworkCase struct {
	name, method, path string
	body               func(t *testing.T) (*bytes.Buffer, string)
	status             int
	contains           []string
	logged             string
}

func runFramework(t *testing.T, g *gateway, cases []frameworkCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req *http.Request
			if tc.body != nil {
				b, ct := tc.body(t)
				req, _ = http.NewRequest(tc.method, g.url+tc.path, b)
				req.Header.Set("Content-Type", ct)
			} else {
				req, _ = http.NewRequest(tc.method, g.url+tc.path, nil)
			}
			r := g.do(req)
			if r.err != nil || r.status != tc.status {
				t.Fatalf("%s %s = %d %q, %v; want %d", tc.method, tc.path, r.status, trim(r.body), r.err, tc.status)
			}
			for _, c := range tc.contains {
				if !strings.Contains(r.body, c) {
					t.Errorf("%s %s: body %q lacks %q", tc.method, tc.path, trim(r.body), c)
				}
			}
			if tc.logged != "" {
				g.log.waitFor(t, 5*time.Second, tc.logged)
			}
		})
	}
}

func jsonBody(s string) func(t *testing.T) (*bytes.Buffer, string) {
	return func(*testing.T) (*bytes.Buffer, string) { return bytes.NewBufferString(s), "application/json" }
}

func formBody(size int) func(t *testing.T) (*bytes.Buffer, string) {
	return func(t *testing.T) (*bytes.Buffer, string) { return multipartBody(t, size) }
}

func TestStarlette(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "starapp:app"}}, "starlette", "multipart")
	runFramework(t, g, []frameworkCase{
		{name: "hello", method: "GET", path: "/", status: 200, contains: []string{"hello from starlette"}},
		{name: "path and query params, lifespan state", method: "GET", path: "/items/42?q=x", status: 200,
			contains: []string{`"id":42`, `"q":"x"`, `"started":"yes"`}},
		{name: "multipart upload", method: "POST", path: "/form", body: formBody(1 << 20), status: 200,
			contains: []string{`"name":"brick"`, `"filename":"data.bin"`, `"size":1048576`}},
		{name: "server-sent events", method: "GET", path: "/sse", status: 200, contains: []string{"data: 0\n\ndata: 1\n\ndata: 2\n\n"}},
		{name: "background task", method: "GET", path: "/background", status: 200, contains: []string{"queued"}},
		{name: "background task ran", method: "GET", path: "/done", status: 200, contains: []string{"background ran"}},
		{name: "not found", method: "GET", path: "/nope", status: 404},
		{name: "exception", method: "GET", path: "/boom", status: 500, logged: "RuntimeError: boom from starlette"},
	})
}

func TestFastAPI(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "fastapp:create_app()"}}, "fastapi", "multipart")
	runFramework(t, g, []frameworkCase{
		{name: "json and startup event", method: "GET", path: "/", status: 200, contains: []string{`"hello":"fastapi"`, "startup ran"}},
		{name: "path and query params", method: "GET", path: "/items/7?q=brick", status: 200, contains: []string{`"item_id":7`, `"q":"brick"`}},
		{name: "validation error", method: "GET", path: "/items/seven", status: 422, contains: []string{"item_id"}},
		{name: "json body", method: "POST", path: "/items", body: jsonBody(`{"name":"b","price":1.5}`), status: 200, contains: []string{`"double":3.0`}},
		{name: "form and file upload", method: "POST", path: "/upload", body: formBody(100000), status: 200,
			contains: []string{`"name":"brick"`, `"size":100000`}},
		{name: "streaming", method: "GET", path: "/stream", status: 200, contains: []string{"chunk0\nchunk1\nchunk2\n"}},
		{name: "exception", method: "GET", path: "/boom", status: 500, logged: "RuntimeError: boom from fastapi"},
	})
}

// TestDjango runs Django's asgi.py as `brick asgi mysite.asgi:application
// --chdir mysite` does.
func TestDjango(t *testing.T) {
	t.Parallel()
	g := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "mysite.asgi:application", Dir: appsDir + "/mysite"}}, "django")
	mounted := startGateway(t, asgi.Config{Settings: pyproc.Settings{App: "mysite.asgi:application", Dir: appsDir + "/mysite", Mount: "/site"}}, "django")
	runFramework(t, g, []frameworkCase{
		{name: "async view", method: "GET", path: "/", status: 200, contains: []string{"hello from django async"}},
		{name: "path and query", method: "GET", path: "/info/bob?q=1", status: 200, contains: []string{`"name": "bob"`, `"q": "1"`, `"path_info": "/info/bob"`}},
		{name: "multipart upload", method: "POST", path: "/upload", body: formBody(200000), status: 200, contains: []string{`"size": `}},
		{name: "sync view", method: "GET", path: "/sync", status: 200, contains: []string{"sync view under asgi"}},
		{name: "exception", method: "GET", path: "/boom", status: 500, logged: "boom from django"},
	})
	runFramework(t, mounted, []frameworkCase{
		{name: "mounted: SCRIPT_NAME from root_path", method: "GET", path: "/site/info/amy", status: 200,
			contains: []string{`"script_name": "/site"`, `"path_info": "/info/amy"`}},
	})
}
