package fastcgi

import (
	"testing"

	"github.com/brick-server/brick/wire"
)

// FuzzParseHead: a script's header block never panics the parser, and
// what it accepts is a status from 200 to 599 and fields with token names,
// valid values, and none of the framing fields.
func FuzzParseHead(f *testing.F) {
	for _, s := range []string{
		"Content-Type: text/html\r\n",
		"Status: 404 Not Found\r\nX-A: 1\r\n",
		"Location: /x\n",
		"Status: 302\nLocation: /y\nSet-Cookie: a=1\nSet-Cookie: b=2\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
		"X-A:\r\n",
		"bad line\r\n",
		"Status: 99 x\r\n",
		"X-A: a\x00b\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		var h wire.Header
		status, err := parseHead(block, &h)
		if err != nil {
			return
		}
		if status < 200 || status > 599 {
			t.Fatalf("status %d", status)
		}
		for _, fd := range h.Fields() {
			if !wire.IsToken(fd.Name) || !wire.IsFieldValue(fd.Value) || isDropped(fd.Name) || wire.EqualFold(fd.Name, "Status") {
				t.Fatalf("field %q: %q passed", fd.Name, fd.Value)
			}
		}
		if headEnd(append(block, "\r\n\r\n"...)) < 0 {
			t.Fatal("no end found after a blank line")
		}
	})
}
