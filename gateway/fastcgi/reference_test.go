package fastcgi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/gateway/fastcgi"
	"github.com/brick-server/brick/internal/testutil"
)

// TestCgiFcgi checks the codec against an independent implementation:
// cgi-fcgi (libfcgi-bin, the FastCGI developer's kit's client) sends a
// request to a responder built from this package's Reader, ParsePairs and
// AppendStream, which answers in records it must decode. The environment
// has a value over 127 bytes (four-byte lengths), the body and the answer
// span several records.
func TestCgiFcgi(t *testing.T) {
	bin := testutil.LookPath(t, "cgi-fcgi")
	sock := filepath.Join(t.TempDir(), "resp.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	type request struct {
		params map[string]string
		stdin  []byte
		err    error
	}
	got := make(chan request, 1)
	answer := bytes.Repeat([]byte("0123456789abcdef"), 9000) // 144 kB: three STDOUT records
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			got <- request{err: err}
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		req := request{params: map[string]string{}}
		rd := fastcgi.NewReader(nc)
		for paramsDone, stdinDone := false, false; !paramsDone || !stdinDone; {
			h, c, err := rd.Next()
			if err != nil {
				req.err = err
				got <- req
				return
			}
			switch h.Type {
			case fastcgi.TypeBeginRequest:
				if len(c) != 8 || c[1] != fastcgi.RoleResponder {
					req.err = fmt.Errorf("BEGIN_REQUEST %x", c)
				}
			case fastcgi.TypeParams:
				paramsDone = len(c) == 0
				if err := fastcgi.ParsePairs(c, func(k, v []byte) { req.params[string(k)] = string(v) }); err != nil {
					req.err = err
				}
			case fastcgi.TypeStdin:
				stdinDone = len(c) == 0
				req.stdin = append(req.stdin, c...)
			}
		}
		var out []byte
		out = fastcgi.AppendStream(out, fastcgi.TypeStdout, 1, append([]byte("Content-Type: text/plain\r\n\r\n"), answer...))
		out = fastcgi.AppendStream(out, fastcgi.TypeStdout, 1, nil)
		out = fastcgi.AppendStream(out, fastcgi.TypeStderr, 1, []byte("note from the responder\n"))
		out = fastcgi.AppendStream(out, fastcgi.TypeStderr, 1, nil)
		out = fastcgi.AppendHeader(out, fastcgi.TypeEndRequest, 1, 8, 0)
		out = append(out, 0, 0, 0, 0, fastcgi.StatusRequestComplete, 0, 0, 0)
		if _, err := nc.Write(out); err != nil && req.err == nil {
			req.err = err
		}
		got <- req
	}()

	body := bytes.Repeat([]byte("request body "), 20_000) // 260 kB
	long := strings.Repeat("L", 300)
	cmd := exec.Command(bin, "-bind", "-connect", sock)
	cmd.Env = []string{"REQUEST_METHOD=POST", "CONTENT_LENGTH=" + strconv.Itoa(len(body)), "LONG_VALUE=" + long, "EMPTY="}
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("cgi-fcgi: %v; stderr %q", err, stderr.String())
	}
	req := <-got
	if req.err != nil {
		t.Fatal(req.err)
	}
	for k, v := range map[string]string{"REQUEST_METHOD": "POST", "LONG_VALUE": long, "EMPTY": "", "CONTENT_LENGTH": strconv.Itoa(len(body))} {
		if g, ok := req.params[k]; !ok || g != v {
			t.Errorf("param %s = %.40q (present %v), want %.40q", k, g, ok, v)
		}
	}
	if !bytes.Equal(req.stdin, body) {
		a, b := sha256.Sum256(req.stdin), sha256.Sum256(body)
		t.Errorf("stdin: %d bytes %s, want %d bytes %s", len(req.stdin), hex.EncodeToString(a[:4]), len(body), hex.EncodeToString(b[:4]))
	}
	wantOut := "Content-Type: text/plain\r\n\r\n" + string(answer)
	if stdout.String() != wantOut {
		t.Errorf("cgi-fcgi printed %d bytes, want %d", stdout.Len(), len(wantOut))
	}
	if !strings.Contains(stderr.String(), "note from the responder") {
		t.Errorf("cgi-fcgi stderr %q", stderr.String())
	}
}
