package accesslog_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/accesslog"
	"github.com/brick-server/brick/internal/testutil/loopback"
	"github.com/brick-server/brick/server"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// app answers by path; /file sends a file with web.SendFile.
func app(t *testing.T) (web.Handler, int64) {
	path := filepath.Join(t.TempDir(), "f.bin")
	const size = 200 << 10
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	return web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		switch string(r.Path) {
		case "/hello":
			_, err := w.WriteString("Hello, World!")
			return err
		case "/created":
			w.WriteHeader(201)
			_, err := w.WriteString("made")
			return err
		case "/missing":
			return web.Error(404, nil)
		case "/read":
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				return err
			}
			_, err := w.WriteString("read")
			return err
		case "/fail":
			return errors.New("disk on fire")
		case "/file":
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			w.Header().Set("Content-Length", strconv.Itoa(size))
			_, err = web.SendFile(w, f, 0, size)
			return err
		case "/stream":
			w.WriteString("one,")
			if err := web.Flush(w); err != nil {
				return err
			}
			_, err := w.WriteString("two")
			return err
		case "/stream-fail":
			w.WriteString("partial")
			web.Flush(w)
			return web.Error(500, fmt.Errorf("failed midway"))
		case "/panic":
			panic("boom")
		case "/abort":
			return web.ErrAbortHandler
		case "/nocontent":
			w.WriteHeader(204)
			return nil
		}
		return nil
	}), size
}

// serve starts a real server on 127.0.0.1:0 that serves h and logs to l;
// cfg, when given, changes its settings first.
func serve(t *testing.T, h web.Handler, l *accesslog.Logger, cfg ...func(*server.Server)) string {
	t.Helper()
	srv := &server.Server{Handler: h, Observer: l}
	for _, f := range cfg {
		f(srv)
	}
	return loopback.Serve(t, srv)
}

// goaccessCombined is GoAccess's COMBINED log-format,
//
//	%h %^[%d:%t %^] "%r" %s %b "%R" "%u"
//
// with date-format %d/%b/%Y and time-format %H:%M:%S, as a regexp: %h the
// host, %^ a skipped field, %d %t the date and time, "%r" the request
// line, %s the status, %b the size, "%R" the referer and "%u" the user
// agent. A quoted field ends at the next quote, so escaping quotes is what
// keeps a client from shifting the fields.
var goaccessCombined = regexp.MustCompile(`^(\S+) \S+ (\S+) \[(\d{2}/[A-Z][a-z]{2}/\d{4}):(\d{2}:\d{2}:\d{2}) ([+-]\d{4})\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)"$`)

// logLine is one parsed Combined line.
type logLine struct {
	host, user, request, status, bytes, referer, agent string
	time                                               time.Time
}

func parseCombined(t *testing.T, line string) logLine {
	t.Helper()
	m := goaccessCombined.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("not GoAccess COMBINED: %q", line)
	}
	ts, err := time.Parse("02/Jan/2006:15:04:05 -0700", m[3]+":"+m[4]+" "+m[5])
	if err != nil {
		t.Fatalf("time in %q: %v", line, err)
	}
	return logLine{host: m[1], user: m[2], time: ts, request: m[6], status: m[7], bytes: m[8], referer: m[9], agent: m[10]}
}

// syncWriter lets the test read what the Writer wrote while it runs.
type syncWriter = lockedBuffer

func lines(t *testing.T, w *accesslog.Writer, out *syncWriter) []string {
	t.Helper()
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSuffix(out.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestCombined makes requests with a real client and checks each field
// of the Combined lines.
func TestCombined(t *testing.T) {
	h, size := app(t)
	var out syncWriter
	w := accesslog.NewWriter(&out)
	defer w.Close()
	addr := serve(t, h, accesslog.New(w, accesslog.Combined))
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	tests := []struct {
		method, path string
		header       map[string]string
		user         string
		status, size int64
	}{
		{"GET", "/hello?x=1&y=%22", map[string]string{"Referer": "http://ref.example/page", "User-Agent": "Mozilla/5.0 (X11) \"quoted\""}, "-", 200, 13},
		{"GET", "/created", nil, "-", 201, 4},
		{"GET", "/missing", nil, "-", 404, int64(len("Not Found\n"))},
		{"GET", "/file", nil, "-", 200, size},
		{"GET", "/stream", nil, "-", 200, 7},
		{"HEAD", "/hello", nil, "-", 200, 0},
		{"GET", "/nocontent", nil, "-", 204, 0},
		{"POST", "/hello", map[string]string{"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "alice", 200, 13},
	}
	start := time.Now().Add(-time.Second)
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, "http://"+addr+tc.path, nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	got := lines(t, w, &out)
	if len(got) != len(tests) {
		t.Fatalf("%d lines, want %d:\n%s", len(got), len(tests), strings.Join(got, "\n"))
	}
	for i, tc := range tests {
		l := parseCombined(t, got[i])
		ua := tc.header["User-Agent"]
		if ua == "" {
			ua = "Go-http-client/1.1"
		}
		ua = strings.ReplaceAll(ua, `"`, `\x22`)
		ref := tc.header["Referer"]
		if ref == "" {
			ref = "-"
		}
		want := logLine{host: "127.0.0.1", user: tc.user, request: tc.method + " " + tc.path + " HTTP/1.1",
			status: strconv.FormatInt(tc.status, 10), bytes: strconv.FormatInt(tc.size, 10), referer: ref, agent: ua}
		if l.host != want.host || l.user != want.user || l.request != want.request || l.status != want.status ||
			l.bytes != want.bytes || l.referer != want.referer || l.agent != want.agent {
			t.Errorf("line %d:\n got %+v\nwant %+v", i, l, want)
		}
		if l.time.Before(start.Truncate(time.Second)) || l.time.After(time.Now()) {
			t.Errorf("line %d: time %v", i, l.time)
		}
	}
}

// TestRaw sends what a browser would not: quotes, tabs and high bytes,
// errors, a panic and an abort, and request bodies the server itself
// refuses, in both connection models: each line says what the server sent.
func TestRaw(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		request string // the logged request line
		status  string
		bytes   string
		agent   string
	}{
		{"quotes", "GET /a\"b HTTP/1.1\r\nHost: x\r\nUser-Agent: x\" 200 0 \"-\" \"forged\r\n\r\n", `GET /a\x22b HTTP/1.1`, "200", "0", `x\x22 200 0 \x22-\x22 \x22forged`},
		{"high bytes", "GET /hello HTTP/1.1\r\nHost: x\r\nUser-Agent: tab\there \xff\xfe\\\r\n\r\n", "GET /hello HTTP/1.1", "200", "13", `tab\x09here \xFF\xFE\x5C`},
		{"panic", "GET /panic HTTP/1.1\r\nHost: x\r\n\r\n", "GET /panic HTTP/1.1", "500", "22", "-"}, // "internal server error\n"
		{"handler error", "GET /fail HTTP/1.1\r\nHost: x\r\n\r\n", "GET /fail HTTP/1.1", "500", "22", "-"},
		{"HEAD error", "HEAD /missing HTTP/1.1\r\nHost: x\r\n\r\n", "HEAD /missing HTTP/1.1", "404", "0", "-"},
		{"abort", "GET /abort HTTP/1.1\r\nHost: x\r\n\r\n", "GET /abort HTTP/1.1", "444", "0", "-"},
		{"error after flush", "GET /stream-fail HTTP/1.1\r\nHost: x\r\n\r\n", "GET /stream-fail HTTP/1.1", "200", "7", "-"},
		// The server answers these itself, whatever the handler makes
		// of the read error: the log says what the client got.
		{"body timeout", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc", "POST /read HTTP/1.1", "408", "21", "-"}, // "request body timeout\n"
		{"body too large", "POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n", "POST /read HTTP/1.1", "413", "23", "-"},
		{"bad chunk", "POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "POST /read HTTP/1.1", "400", strconv.Itoa(len(wire.ErrBadChunk.Reason) + 1), "-"},
		// Heads the server answers itself, before any handler: "-" for
		// the request line, as nginx writes.
		{"bad version", "GET / HTTP/2.5\r\nHost: x\r\n\r\n", "-", "505", strconv.Itoa(len(wire.ErrVersionUnsupported.Reason) + 1), "-"},
		{"header too large", "GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: " + strings.Repeat("a", 2048) + "\r\n\r\n", "-", "431", strconv.Itoa(len(wire.ErrHeaderTooLarge.Reason) + 1), "-"},
		{"unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: zstd, chunked\r\n\r\n", "-", "501", strconv.Itoa(len(wire.ErrUnknownTE.Reason) + 1), "-"},
		{"head timeout", "GET / HTTP/1.1\r\nHost: x\r\n", "-", "408", strconv.Itoa(len("request header timeout\n")), "-"},
	}
	for _, perConn := range []bool{false, true} {
		name := "epoll"
		if perConn {
			name = "goroutine"
		}
		t.Run(name, func(t *testing.T) {
			h, _ := app(t)
			var out syncWriter
			w := accesslog.NewWriter(&out)
			defer w.Close()
			addr := serve(t, h, accesslog.New(w, accesslog.Combined), func(s *server.Server) {
				s.GoroutinePerConn = perConn
				s.Timeouts.Read = 300 * time.Millisecond
				s.Timeouts.ReadHeader = time.Second // the server's clock ticks once a second
				s.Limits.MaxBodyBytes = 1 << 20
				s.Limits.MaxHeaderBytes = 1024
			})
			for i, tc := range tests {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				io.WriteString(c, tc.raw)
				http.ReadResponse(bufio.NewReader(c), nil) // whatever comes, if anything
				c.Close()
				// The line is written once the server is done, which for
				// a cut connection may be after the client saw the end.
				var got []string
				waitFor(t, tc.name, func() bool { got = lines(t, w, &out); return len(got) > i })
				if len(got) != i+1 {
					t.Fatalf("%s: %d lines, want %d: %q", tc.name, len(got), i+1, got)
				}
				l := parseCombined(t, got[i])
				if l.request != tc.request || l.status != tc.status || l.bytes != tc.bytes || l.agent != tc.agent {
					t.Errorf("%s: line %q:\ngot  %q %s %s %q\nwant %q %s %s %q", tc.name, got[i], l.request, l.status, l.bytes, l.agent, tc.request, tc.status, tc.bytes, tc.agent)
				}
			}
		})
	}
}

// TestJSONLines: every line parses with encoding/json and has the fields.
func TestJSONLines(t *testing.T) {
	h, _ := app(t)
	var out syncWriter
	w := accesslog.NewWriter(&out)
	defer w.Close()
	addr := serve(t, h, accesslog.New(w, accesslog.JSON))
	req, _ := http.NewRequest("GET", "http://"+addr+"/hello?q=%22x%22", nil)
	req.Header.Set("Referer", "http://r.example/")
	req.Header.Set("User-Agent", "agent \"007\"\t\xff")
	req.Host = "Site.example:8080"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://" + addr + "/missing")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	type record struct {
		Time       string  `json:"time"`
		Remote     string  `json:"remote"`
		Method     string  `json:"method"`
		Target     string  `json:"target"`
		Proto      string  `json:"proto"`
		Status     int     `json:"status"`
		Bytes      int64   `json:"bytes"`
		DurationMS float64 `json:"duration_ms"`
		Referer    string  `json:"referer"`
		UserAgent  string  `json:"user_agent"`
		Host       string  `json:"host"`
		Site       string  `json:"site"`
		Route      string  `json:"route"`
	}
	got := lines(t, w, &out)
	if len(got) != 2 {
		t.Fatalf("%d lines", len(got))
	}
	var recs []record
	for _, line := range got {
		var rec record
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		ts, err := time.Parse("2006-01-02T15:04:05.000Z07:00", rec.Time)
		if err != nil || time.Since(ts) > time.Minute || time.Since(ts) < 0 {
			t.Errorf("time %q: %v", rec.Time, err)
		}
		if rec.DurationMS < 0 || rec.DurationMS > 60000 {
			t.Errorf("duration_ms %v", rec.DurationMS)
		}
		recs = append(recs, rec)
	}
	want := record{Remote: "127.0.0.1", Method: "GET", Target: "/hello?q=%22x%22", Proto: "HTTP/1.1", Status: 200, Bytes: 13,
		Referer: "http://r.example/", UserAgent: "agent \"007\"\t\ufffd", Host: "Site.example:8080"}
	r := recs[0]
	r.Time, r.DurationMS = "", 0
	if r != want {
		t.Errorf("got  %+v\nwant %+v", r, want)
	}
	if recs[1].Status != 404 || recs[1].Bytes != 10 || recs[1].Referer != "" || recs[1].UserAgent != "Go-http-client/1.1" {
		t.Errorf("404 line: %+v", recs[1])
	}
}

// A hijacked connection is logged as 101: it left HTTP, and what the
// handler sent on it is its own.
func TestHijack(t *testing.T) {
	var out syncWriter
	w := accesslog.NewWriter(&out)
	defer w.Close()
	h := web.HandlerFunc(func(rw web.ResponseWriter, r *web.Request) error {
		c, brw, err := web.Hijack(rw)
		if err != nil {
			return err
		}
		brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nraw ok")
		brw.Flush()
		return c.Close()
	})
	addr := serve(t, h, accesslog.New(w, accesslog.Common))
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "raw ok" {
		t.Errorf("body %q", b)
	}
	waitFor(t, "the line", func() bool { return len(lines(t, w, &out)) == 1 })
	if got := lines(t, w, &out)[0]; !strings.Contains(got, `"GET / HTTP/1.1" 101 0`) {
		t.Errorf("line %q", got)
	}
}
