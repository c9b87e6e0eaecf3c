package server_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
)

// TestH2Curl runs curl over HTTP/2: by ALPN over TLS, with prior
// knowledge over cleartext, and by "Upgrade: h2c" (curl --http2 on an
// http:// URL), a GET and a POST on one connection each.
func TestH2Curl(t *testing.T) {
	curl := testutil.LookPath(t, "curl")
	tests := []struct {
		name string
		tls  bool
		args []string
		post string // the POST's version: a request with a body is not upgraded
	}{
		{"ALPN h2", true, []string{"--http2"}, "2"},
		{"prior knowledge", false, []string{"--http2-prior-knowledge"}, "2"},
		{"Upgrade h2c", false, []string{"--http2"}, "1.1"},
	}
	for _, m := range h2Modes {
		t.Run(m.name, func(t *testing.T) {
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					mm := m
					mm.tls = tc.tls
					e := startH2(t, mm, nil)
					port := e.addr[strings.LastIndexByte(e.addr, ':')+1:]
					base := "http://localhost:" + port
					common := append([]string{"-sS", "--max-time", "10", "-w", " %{http_version}\n",
						"--resolve", "localhost:" + port + ":127.0.0.1"}, tc.args...)
					if tc.tls {
						base = "https://localhost:" + port
						common = append(common, "--cacert", e.tls.ca.WriteRoot(t, t.TempDir()))
					}
					// One connection per request: curl 7.88 fails to reuse
					// a prior-knowledge connection with --next, against Go's
					// own h2c server too.
					for _, req := range []struct {
						extra []string
						want  string
					}{
						{[]string{base + "/"}, "hello, world\n 2\n"},
						{[]string{"--data-binary", "posted", base + "/echo"}, "posted " + tc.post + "\n"},
					} {
						args := append(append([]string{}, common...), req.extra...)
						out, err := exec.Command(curl, args...).CombinedOutput()
						if err != nil {
							t.Fatalf("curl %v: %v\n%s", args, err, out)
						}
						if string(out) != req.want {
							t.Errorf("curl %v:\n%q\nwant\n%q", args, out, req.want)
						}
					}
				})
			}
		})
	}
}

// TestH2Python runs Python's h2 (the hyper project's state machine) with
// prior knowledge: two requests on one connection, one with a body.
func TestH2Python(t *testing.T) {
	python := testutil.NeedPython(t, "h2.connection")
	const script = `
import socket, sys
import h2.connection, h2.events
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=10)
c = h2.connection.H2Connection()
c.initiate_connection()
c.send_headers(1, [(":method", "GET"), (":path", "/"), (":scheme", "http"), (":authority", "py.test")], end_stream=True)
c.send_headers(3, [(":method", "POST"), (":path", "/echo"), (":scheme", "http"), (":authority", "py.test")])
c.send_data(3, b"from python", end_stream=True)
s.sendall(c.data_to_send())
bodies, status, ended = {}, {}, set()
while len(ended) < 2:
    data = s.recv(65536)
    if not data:
        break
    for ev in c.receive_data(data):
        if isinstance(ev, h2.events.ResponseReceived):
            status[ev.stream_id] = dict(ev.headers)[b":status"].decode()
        elif isinstance(ev, h2.events.DataReceived):
            bodies[ev.stream_id] = bodies.get(ev.stream_id, b"") + ev.data
            c.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.StreamEnded):
            ended.add(ev.stream_id)
    s.sendall(c.data_to_send())
for sid in (1, 3):
    print(sid, status.get(sid), bodies.get(sid, b"").decode().strip())
`
	for _, m := range h2Modes {
		t.Run(m.name, func(t *testing.T) {
			e := startH2(t, m, nil)
			out, err := exec.Command(python, "-c", script, e.addr).CombinedOutput()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			if want := "1 200 hello, world\n3 200 from python\n"; string(out) != want {
				t.Errorf("python h2:\n%s\nwant\n%s", out, want)
			}
		})
	}
}

// TestH2Nghttp runs nghttp2's client over h2 (TLS) and h2c.
func TestH2Nghttp(t *testing.T) {
	nghttp := testutil.LookPath(t, "nghttp")
	for _, m := range h2Modes {
		for _, tlsOn := range []bool{false, true} {
			name := m.name + "/h2c"
			if tlsOn {
				name = m.name + "/h2"
			}
			t.Run(name, func(t *testing.T) {
				mm := m
				mm.tls = tlsOn
				e := startH2(t, mm, nil)
				url := "http://" + e.addr + "/big"
				if tlsOn {
					url = "https://" + e.addr + "/big"
				}
				out, err := exec.Command(nghttp, "-n", "-s", "-t", "10", url).CombinedOutput()
				if err != nil {
					t.Fatalf("nghttp %s: %v\n%s", url, err, out)
				}
				if !strings.Contains(string(out), "200") || !strings.Contains(string(out), "1M") && !strings.Contains(string(out), "1048576") {
					t.Errorf("nghttp %s:\n%s", url, out)
				}
			})
		}
	}
}
