package proxy

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// FuzzRequestHead feeds requests the engine accepts to the head the
// proxy sends upstream, and checks that head: it parses as exactly one
// request with the same method and body framing, carries one Host and
// one X-Forwarded-For, and none of the client's hop-by-hop fields (nor
// those its Connection names), whatever the client sent.
func FuzzRequestHead(f *testing.F) {
	for _, s := range []string{
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST /x?y HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nConnection: X-A, close\r\nX-A: 1\r\n\r\n",
		"PUT /u HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTE: trailers\r\nKeep-Alive: 1\r\n\r\n",
		"GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"GET http://b/p HTTP/1.1\r\nHost: b\r\nX-Forwarded-For: 1.2.3.4\r\nForwarded: for=x\r\nCookie: s=1; t=2\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: a\r\nProxy-Authorization: x\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
	} {
		f.Add([]byte(s), true)
	}
	c := DefaultConfig()
	c.To = []string{"http://127.0.0.1:1"}
	c.Policy = "cookie:s"
	c.StripPrefix, c.Prefix = true, "/x/"
	h, err := New(c)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte, trusted bool) {
		r := &web.Request{Body: web.NoBody, RemoteAddr: netip.MustParseAddrPort("192.0.2.1:9")}
		var p wire.RequestParser
		if _, err := p.Parse(&r.RequestHead, raw, nil); err != nil || r.Form == wire.AuthorityForm {
			return
		}
		h.cfg.TrustedProxies = nil
		if trusted {
			h.cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
		}
		cookieValue(&r.Header, "s")
		var ct connectionTokens
		ct.collect(&r.Header)
		var upgrade []byte
		if ct.upgrade {
			upgrade = upgradeValue(&r.Header)
		}
		out := h.appendRequestHead(nil, r, upgrade, -1)
		var q wire.RequestHead
		var p2 wire.RequestParser
		n, err := p2.Parse(&q, out, nil)
		if err != nil {
			t.Fatalf("the upstream head does not parse: %v\n%q", err, out)
		}
		if n != len(out) {
			t.Fatalf("the upstream head is %d bytes, parsed as %d:\n%q", len(out), n, out)
		}
		if !bytes.Equal(q.Method, r.Method) || q.Chunked != r.Chunked || q.ContentLength != r.ContentLength {
			t.Fatalf("method or framing changed: %q %v %d -> %q %v %d", r.Method, r.Chunked, r.ContentLength, q.Method, q.Chunked, q.ContentLength)
		}
		if q.Header.Count("Host") != 1 || q.Header.Count("X-Forwarded-For") != 1 || q.Header.Count("Forwarded") != 1 {
			t.Fatalf("Host, X-Forwarded-For or Forwarded not once:\n%s", out)
		}
		for i := range q.Header.Len() {
			f := q.Header.At(i)
			if wire.EqualFold(f.Name, "Connection") || wire.EqualFold(f.Name, "Upgrade") {
				if upgrade == nil {
					t.Fatalf("%s sent without an upgrade:\n%s", f.Name, out)
				}
				continue
			}
			if (hopByHop(f.Name) && !wire.EqualFold(f.Name, "Content-Length") && !wire.EqualFold(f.Name, "Transfer-Encoding")) || ct.has(f.Name) && !forwardedField(f.Name) && !wire.EqualFold(f.Name, "Host") {
				t.Fatalf("hop-by-hop field %s passed on:\n%s", f.Name, out)
			}
		}
	})
}
