package cgienv_test

import (
	"fmt"
	"net/netip"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// A CGI gateway collects the pairs as "KEY=value" strings for exec; the
// sink copies them, as key and value are only valid during the call.
func ExampleBuilder_Build() {
	raw := "GET /cgi-bin/hello/world?name=brick HTTP/1.1\r\n" +
		"Host: example.com\r\n" +
		"Proxy: http://evil.example:3128\r\n" +
		"X-Request-Id: 42\r\n" +
		"\r\n"
	r := &web.Request{Body: web.NoBody, RemoteAddr: netip.MustParseAddrPort("192.0.2.1:51234")}
	if _, err := new(wire.RequestParser).Parse(&r.RequestHead, []byte(raw), nil); err != nil {
		panic(err)
	}

	var env []string
	var b cgienv.Builder // keep one per worker: it reuses its memory
	err := b.Build(cgienv.SinkFunc(func(key, value []byte) {
		env = append(env, string(key)+"="+string(value))
	}), r, &cgienv.Options{ScriptName: "/cgi-bin"}, -1)
	if err != nil {
		panic(err) // ErrOutsideMount (404) or ErrBadPath (400)
	}
	for _, kv := range env {
		fmt.Println(kv)
	}
	// Output:
	// REQUEST_METHOD=GET
	// SCRIPT_NAME=/cgi-bin
	// PATH_INFO=/hello/world
	// QUERY_STRING=name=brick
	// REQUEST_URI=/cgi-bin/hello/world?name=brick
	// RAW_URI=/cgi-bin/hello/world?name=brick
	// SERVER_NAME=example.com
	// SERVER_PORT=80
	// SERVER_PROTOCOL=HTTP/1.1
	// SERVER_SOFTWARE=Brick
	// GATEWAY_INTERFACE=CGI/1.1
	// REQUEST_SCHEME=http
	// REMOTE_ADDR=192.0.2.1
	// REMOTE_PORT=51234
	// HTTP_HOST=example.com
	// HTTP_X_REQUEST_ID=42
}
