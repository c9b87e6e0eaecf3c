package accesslog

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

func parse(t *testing.T, raw string) *web.Request {
	t.Helper()
	r := &web.Request{Body: web.NoBody}
	if _, err := new(wire.RequestParser).Parse(&r.RequestHead, []byte(raw), nil); err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return r
}

// nginx's escaping, checked against what nginx 1.22 writes for the same
// bytes.
func TestAppendEscaped(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (X11; Linux x86_64)"},
		{`say "hi"`, `say \x22hi\x22`},
		{`back\slash`, `back\x5Cslash`},
		{"tab\there", `tab\x09here`},
		{"nl\ncr\r", `nl\x0Acr\x0D`},
		{"\x00\x1f\x7f", `\x00\x1F\x7F`},
		{"caf\xc3\xa9", `caf\xC3\xA9`},
		{"\xff", `\xFF`},
		{"'single' <b> & % { } | ~", "'single' <b> & % { } | ~"},
	}
	for _, tc := range tests {
		if got := string(appendEscaped(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("appendEscaped(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAppendJSONString(t *testing.T) {
	for _, in := range []string{"", "plain", `q"b\s`, "\x00\x01\t\n\r\x1f\x7f", "caf\xc3\xa9 \u2028 \U0001F600", "bad \xff\xfe utf-8 \xc3", "<script>&"} {
		b := appendJSONString(nil, []byte(in))
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Errorf("%q: %s does not parse: %v", in, b, err)
			continue
		}
		// encoding/json turns invalid UTF-8 into U+FFFD as well.
		want, _ := json.Marshal(in)
		var w string
		json.Unmarshal(want, &w)
		if got != w {
			t.Errorf("%q: round trip %q, want %q", in, got, w)
		}
	}
}

func TestBasicUser(t *testing.T) {
	tests := []struct{ auth, want string }{
		{"Basic YWxpY2U6c2VjcmV0", "alice"}, // alice:secret
		{"basic YWxpY2U6c2VjcmV0", "alice"},
		{"BASIC   YWxpY2U6c2VjcmV0", "alice"},
		{"Basic OnNlY3JldA==", ""},      // :secret
		{"Basic YWxpY2U=", ""},          // no colon
		{"Basic !!!", ""},               // not base64
		{"Bearer YWxpY2U6c2VjcmV0", ""}, // another scheme
		{"Basic", ""},
		{"", ""},
		{"Basic IqFhIjp4", "\"\xa1a\""}, // escaped when written
	}
	for _, tc := range tests {
		var buf [maxUser]byte
		if got := string(basicUser(&buf, []byte(tc.auth))); got != tc.want {
			t.Errorf("basicUser(%q) = %q, want %q", tc.auth, got, tc.want)
		}
	}
}

// TestLines checks whole lines in each format.
func TestLines(t *testing.T) {
	end := time.Date(2026, 11, 26, 6, 35, 17, 123456789, time.FixedZone("", 3600))
	tests := []struct {
		name   string
		raw    string
		remote string
		status int
		bytes  int64
		format Format
		want   string
	}{
		{
			"combined", "GET /hello?x=1 HTTP/1.1\r\nHost: example.com\r\nReferer: http://a.example/\r\nUser-Agent: curl/8.5.0\r\n\r\n",
			"192.0.2.7:51234", 200, 13, Combined,
			`192.0.2.7 - - [26/Nov/2026:06:35:17 +0100] "GET /hello?x=1 HTTP/1.1" 200 13 "http://a.example/" "curl/8.5.0"` + "\n",
		},
		{
			"common", "GET / HTTP/1.0\r\n\r\n", "[::1]:80", 404, 10, Common,
			`::1 - - [26/Nov/2026:06:35:17 +0100] "GET / HTTP/1.0" 404 10` + "\n",
		},
		{
			"mapped v4, user, escapes", "POST /a\"b HTTP/1.1\r\nHost: x\r\nAuthorization: Basic Ym9iOnB3\r\nUser-Agent: \"evil\"\t\xff\r\n\r\n",
			"[::ffff:10.0.0.1]:1", 500, 0, Combined,
			`10.0.0.1 - bob [26/Nov/2026:06:35:17 +0100] "POST /a\x22b HTTP/1.1" 500 0 "-" "\x22evil\x22\x09\xFF"` + "\n",
		},
		{
			"no address", "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "", 200, 0, Combined,
			`- - - [26/Nov/2026:06:35:17 +0100] "GET / HTTP/1.1" 200 0 "-" "-"` + "\n",
		},
		{
			"json", "GET /p?q=\"1\" HTTP/1.1\r\nHost: Example.com:8080\r\nUser-Agent: ua\xff\r\n\r\n", "192.0.2.7:1", 301, 20, JSON,
			`{"time":"2026-11-26T06:35:17.123+01:00","remote":"192.0.2.7","method":"GET","target":"/p?q=\"1\"","proto":"HTTP/1.1",` +
				`"status":301,"bytes":20,"duration_ms":1.500,"referer":"","user_agent":"ua\ufffd","host":"Example.com:8080",` +
				`"site":"main","route":"/p\"q"}` + "\n",
		},
		// A head the server answered itself (raw ""): nothing of it is
		// known, and nginx writes "-" for the request line.
		{
			"unparsed combined", "", "192.0.2.7:1", 400, 12, Combined,
			`192.0.2.7 - - [26/Nov/2026:06:35:17 +0100] "-" 400 12 "-" "-"` + "\n",
		},
		{
			"unparsed common", "", "192.0.2.7:1", 408, 23, Common,
			`192.0.2.7 - - [26/Nov/2026:06:35:17 +0100] "-" 408 23` + "\n",
		},
		{
			"unparsed json", "", "192.0.2.7:1", 431, 32, JSON,
			`{"time":"2026-11-26T06:35:17.123+01:00","remote":"192.0.2.7","method":"-","target":"-","proto":"-",` +
				`"status":431,"bytes":32,"duration_ms":1.500,"referer":"","user_agent":"","host":"",` +
				`"site":"","route":""}` + "\n",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &web.Request{Body: web.NoBody}
			if tc.raw != "" {
				r = parse(t, tc.raw)
			}
			if tc.remote != "" {
				r.RemoteAddr = netip.MustParseAddrPort(tc.remote)
			}
			if tc.format == JSON && tc.raw != "" {
				r.Site, r.Route = "main", `/p"q`
			}
			e := entry{r: r, status: tc.status, bytes: tc.bytes, end: end, dur: 1500 * time.Microsecond}
			if got := string(appendLine(nil, tc.format, &e)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range []Format{Combined, Common, JSON} {
		if g, err := ParseFormat(f.String()); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %v, %v", f.String(), g, err)
		}
	}
	if _, err := ParseFormat("apache"); err == nil {
		t.Error("ParseFormat(apache) accepted")
	}
}
