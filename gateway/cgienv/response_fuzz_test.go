package cgienv

import (
	"bytes"
	"testing"

	"github.com/brick-server/brick/wire"
)

// FuzzParseResponseHead feeds a script's output to HeadEnd and
// ParseResponseHead and checks what they accept: every field passed on is
// one HTTP allows (a token name, a value with no CR, LF or other control
// character), none frames the message or manages the connection, Status
// is never passed on, and the CGI fields are well formed and found in the
// header as returned. The seeds are the former gateway/cgi FuzzParseHeader
// and gateway/fastcgi FuzzParseHead ones.
func FuzzParseResponseHead(f *testing.F) {
	for _, s := range []string{
		// gateway/cgi's
		"Content-Type: text/plain\n\nhello",
		"Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>",
		"Location: /other?x=1\n\n",
		"Location: https://example.com/\nStatus: 301\n\n",
		"Content-Type: a\rSet-Cookie: x\n\n",
		"Content-Type: a\n folded\n\n",
		"X-A: b\nContent-Length: 3\nTransfer-Encoding: chunked\n\nabc",
		"no header\n",
		// gateway/fastcgi's, ended
		"Content-Type: text/html\r\n\r\n",
		"Status: 404 Not Found\r\nX-A: 1\r\n\r\n",
		"Location: /x\n\n",
		"Status: 302\nLocation: /y\nSet-Cookie: a=1\nSet-Cookie: b=2\n\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
		"X-A:\r\n\r\n",
		"bad line\r\n\r\n",
		"Status: 99 x\r\n\r\n",
		"X-A: a\x00b\r\n\r\n",
		// PHP's
		"Status: 302 Found\r\nX-Powered-By: PHP/8.2.7\r\nLocation: login.php\r\nContent-type: text/html; charset=UTF-8\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		block, body := HeadEnd(out)
		if block < 0 {
			if body != -1 {
				t.Fatalf("HeadEnd: block -1, body %d", body)
			}
			ended := append(bytes.Clone(out), "\r\n\r\n"...)
			if b, _ := HeadEnd(ended); b < 0 {
				t.Fatal("no end found after an empty line")
			}
			block = len(out)
		} else if body <= block || body > len(out) {
			t.Fatalf("HeadEnd = %d, %d for %d bytes", block, body, len(out))
		}
		var h wire.Header
		r, err := ParseResponseHead(out[:block], &h)
		if err != nil {
			return
		}
		if r.Status != 0 && (r.Status < 200 || r.Status > 999) {
			t.Fatalf("status %d accepted", r.Status)
		}
		if code := r.Code(); code < 200 || code > 999 {
			t.Fatalf("code %d", code)
		}
		if r.Status == 0 && r.Location == nil && r.ContentType == nil {
			t.Fatal("a block without a CGI field accepted")
		}
		if r.Location != nil && (len(r.Location) == 0 || bytes.ContainsAny(r.Location, " \t")) {
			t.Fatalf("Location %q accepted", r.Location)
		}
		if r.ContentType != nil && len(r.ContentType) == 0 {
			t.Fatal("empty Content-Type accepted")
		}
		if h.Len() > MaxResponseFields {
			t.Fatalf("%d fields accepted", h.Len())
		}
		for _, fd := range h.Fields() {
			if !wire.IsToken(fd.Name) || !wire.IsFieldValue(fd.Value) {
				t.Fatalf("field %q: %q accepted", fd.Name, fd.Value)
			}
			if connectionField(fd.Name) || wire.EqualFold(fd.Name, "Status") {
				t.Fatalf("field %q passed on", fd.Name)
			}
			if _, ok := wire.ParseDecimal(fd.Value); wire.EqualFold(fd.Name, "Content-Length") && !ok {
				t.Fatalf("Content-Length %q passed on", fd.Value)
			}
		}
		for _, c := range []struct {
			name  string
			value []byte
		}{{"Location", r.Location}, {"Content-Type", r.ContentType}} {
			if n := h.Count(c.name); n > 1 || (n == 1) != (c.value != nil) || !bytes.Equal(h.Get(c.name), c.value) {
				t.Fatalf("%s %q returned, %d in the header (%q)", c.name, c.value, n, h.Get(c.name))
			}
		}
	})
}
