package static_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// attacks are request targets that try to read ../secret.txt (and
// ../root-sibling/secret.txt) from outside the served root: encoded,
// double-encoded, overlong UTF-8, backslashes, NUL bytes, symlinks.
var attacks = []string{
	"/../secret.txt",
	"/../../secret.txt",
	"/./../secret.txt",
	"//../secret.txt",
	"/site/../../secret.txt",
	"/deep/a/b/c/../../../../../secret.txt",
	"/..%2fsecret.txt",
	"/..%2Fsecret.txt",
	"/%2e%2e/secret.txt",
	"/%2E%2E/%2E%2E/secret.txt",
	"/%2e%2e%2fsecret.txt",
	"/.%2e/secret.txt",
	"/%2e./secret.txt",
	"/site/%2e%2e/%2e%2e/secret.txt",
	"/%252e%252e/secret.txt",
	"/%252e%252e%252fsecret.txt",
	"/..%252fsecret.txt",
	"/%25%32%65%25%32%65/secret.txt",
	"/..%%32%66secret.txt",
	"/%%32%65%%32%65/secret.txt",
	"/%c0%ae%c0%ae/secret.txt",
	"/%c0%ae%c0%ae%c0%afsecret.txt",
	"/..%c0%afsecret.txt",
	"/..%c1%9csecret.txt",
	"/%e0%80%ae%e0%80%ae/secret.txt",
	"/%f0%80%80%ae%f0%80%80%ae/secret.txt",
	"/%ef%bc%8e%ef%bc%8e/secret.txt",
	"/..\\secret.txt",
	"/..%5csecret.txt",
	"/..%5Csecret.txt",
	"/..%255csecret.txt",
	"/%5c..%5csecret.txt",
	"/%2e%2e%5csecret.txt",
	"/hello.txt%00/../../secret.txt",
	"/../secret.txt%00.html",
	"/%00../secret.txt",
	"/.%00./secret.txt",
	"/..%0d%0a/secret.txt",
	"/outlink",
	"/abslink",
	"/outdir/secret.txt",
	"/outdir/root-sibling/secret.txt",
	"/outdir/",
	"/names/outlink",
	"/inlink/../../secret.txt",
	"/indir/../../secret.txt",
	"/.../secret.txt",
	"/..;/secret.txt",
	"/site/..;/../secret.txt",
	"/../root-sibling/secret.txt",
	"/../root/../secret.txt",
	"/%2e%2e/root-sibling/secret.txt",
	"http://test/../secret.txt",
	"http://test/%2e%2e/secret.txt",
	"http://test/outlink",
	"secret.txt",
	"../secret.txt",
	"*",
}

// TestTraversalAttacks sends every attack raw over a socket (no client
// normalises them) and requires that none reads the secret, none reveals
// a filesystem path, and each gets an error status.
func TestTraversalAttacks(t *testing.T) {
	if len(attacks) < 40 {
		t.Fatalf("only %d attacks", len(attacks))
	}
	s := newSite(t)
	modes(t, func(t *testing.T, perConn bool) {
		addr, _ := serve(t, defaults(s), perConn)
		for _, target := range attacks {
			for _, method := range []string{"GET", "HEAD"} {
				status, raw := rawExchange(t, addr, method+" "+target+" HTTP/1.1\r\nHost: test\r\nRange: bytes=0-\r\n\r\n")
				if strings.Contains(raw, "SECRET") {
					t.Errorf("%s %q read the secret: %q", method, target, raw)
				}
				if strings.Contains(raw, s.parent) {
					t.Errorf("%s %q reveals a path: %q", method, target, raw)
				}
				if status < 300 {
					t.Errorf("%s %q = %d, want an error status:\n%s", method, target, status, raw)
				}
			}
		}
	})
}

func rawExchange(t *testing.T, addr, req string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, req)
	var sb strings.Builder
	br := bufio.NewReader(io.TeeReader(c, &sb))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, sb.String()
	}
	if strings.HasPrefix(req, "GET") {
		io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, sb.String()
}
