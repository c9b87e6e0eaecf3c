package cgi

import (
	"bytes"
	"testing"

	"github.com/brick-server/brick/wire"
)

// FuzzParseHeader feeds a script's output to the header block parser and
// checks what it accepts: every field it passes on is one HTTP allows
// (a token name, a value with no CR, LF or other control character), none
// of them frames the message, and the CGI fields are well formed.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{
		"Content-Type: text/plain\n\nhello",
		"Status: 404 Not Found\r\nContent-Type: text/html\r\n\r\n<p>",
		"Location: /other?x=1\n\n",
		"Location: https://example.com/\nStatus: 301\n\n",
		"Content-Type: a\rSet-Cookie: x\n\n",
		"Content-Type: a\n folded\n\n",
		"X-A: b\nContent-Length: 3\nTransfer-Encoding: chunked\n\nabc",
		"no header\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, out []byte) {
		block, body := headerEnd(out)
		if block < 0 {
			if body != -1 {
				t.Fatalf("headerEnd: block -1, body %d", body)
			}
			block = len(out)
		} else if body <= block || body > len(out) {
			t.Fatalf("headerEnd = %d, %d for %d bytes", block, body, len(out))
		}
		h, err := ParseHeader(out[:block])
		if err != nil {
			return
		}
		if h.Status != 0 && (h.Status < 200 || h.Status > 999) {
			t.Fatalf("status %d accepted", h.Status)
		}
		if h.Status == 0 && h.Location == "" && h.ContentType == "" {
			t.Fatal("a block without a CGI field accepted")
		}
		for _, v := range []string{h.Location, h.ContentType} {
			if !wire.IsFieldValue([]byte(v)) {
				t.Fatalf("value %q accepted", v)
			}
		}
		if h.Location != "" && bytes.ContainsAny([]byte(h.Location), " \t") {
			t.Fatalf("Location %q accepted", h.Location)
		}
		for _, fd := range h.Fields {
			if !wire.IsToken([]byte(fd.Name)) || !wire.IsFieldValue([]byte(fd.Value)) {
				t.Fatalf("field %q: %q accepted", fd.Name, fd.Value)
			}
			if serverField([]byte(fd.Name)) {
				t.Fatalf("framing field %q passed on", fd.Name)
			}
		}
	})
}
