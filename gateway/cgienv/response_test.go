package cgienv

import (
	"reflect"
	"strings"
	"testing"

	"github.com/brick-server/brick/wire"
)

func TestHeadEnd(t *testing.T) {
	tests := []struct {
		in          string
		block, body int
	}{
		{"Content-Type: text/plain\n\nhi", 25, 26},
		{"Content-Type: text/plain\r\n\r\nhi", 26, 28},
		{"Status: 204\r\nX: y\n\n", 18, 19},
		{"Status: 204\nX: y\r\n\r\n", 18, 20},
		{"\nbody", 0, 1},
		{"\r\nbody", 0, 2},
		{"X: \r\r\n\r\n", 6, 8},
		{"Content-Type: text/plain\n", -1, -1},
		{"Content-Type: text/plain\r\n\r", -1, -1},
		{"no header at all", -1, -1},
		{"", -1, -1},
	}
	for _, tc := range tests {
		block, body := HeadEnd([]byte(tc.in))
		if block != tc.block || body != tc.body {
			t.Errorf("HeadEnd(%q) = %d, %d; want %d, %d", tc.in, block, body, tc.block, tc.body)
		}
	}
}

// parsed is what ParseResponseHead gives, as strings for comparing.
type parsed struct {
	status          int
	location, ctype string
	fields          [][2]string
}

func parseForTest(block string) (parsed, error) {
	var h wire.Header
	r, err := ParseResponseHead([]byte(block), &h)
	p := parsed{status: r.Status, location: string(r.Location), ctype: string(r.ContentType)}
	for _, f := range h.Fields() {
		p.fields = append(p.fields, [2]string{string(f.Name), string(f.Value)})
	}
	return p, err
}

// TestParseResponseHead holds the cases of both gateways' former parsers
// (gateway/cgi's ParseHeader, gateway/fastcgi's parseHead); where they
// disagreed, the stricter rule stands, but for what PHP sends.
func TestParseResponseHead(t *testing.T) {
	type f = [2]string
	tests := []struct {
		name  string
		block string
		want  parsed
		err   string // a part of the error; "" for none
	}{
		{"type", "Content-Type: text/plain", parsed{ctype: "text/plain", fields: []f{{"Content-Type", "text/plain"}}}, ""},
		{"crlf and ows", "Content-Type:  text/html \r\nX-A:\tb\t\r\n", parsed{ctype: "text/html", fields: []f{{"Content-Type", "text/html"}, {"X-A", "b"}}}, ""},
		{"status with reason", "Status: 404 Not Found\nContent-Type: text/plain", parsed{status: 404, ctype: "text/plain", fields: []f{{"Content-Type", "text/plain"}}}, ""},
		{"status alone", "status: 204", parsed{status: 204}, ""},
		{"custom status", "Status: 299 Fine", parsed{status: 299}, ""},
		{"status 999", "Status: 999", parsed{status: 999}, ""},
		{"local redirect", "Location: /other?q=1", parsed{location: "/other?q=1", fields: []f{{"Location", "/other?q=1"}}}, ""},
		{"client redirect", "Location: https://example.com/x#f", parsed{location: "https://example.com/x#f", fields: []f{{"Location", "https://example.com/x#f"}}}, ""},
		{"mailto", "Location: mailto:a@example.com", parsed{location: "mailto:a@example.com", fields: []f{{"Location", "mailto:a@example.com"}}}, ""},
		{"php redirect", "Status: 302 Found\r\nX-Powered-By: PHP/8.2\r\nLocation: /y\r\nContent-type: text/html; charset=UTF-8",
			parsed{status: 302, location: "/y", ctype: "text/html; charset=UTF-8", fields: []f{{"X-Powered-By", "PHP/8.2"}, {"Location", "/y"}, {"Content-type", "text/html; charset=UTF-8"}}}, ""},
		{"relative with status", "Status: 302 Found\nLocation: login.php?next=%2F", parsed{status: 302, location: "login.php?next=%2F", fields: []f{{"Location", "login.php?next=%2F"}}}, ""},
		{"query only with status", "Location: ?page=2\nStatus: 303", parsed{status: 303, location: "?page=2", fields: []f{{"Location", "?page=2"}}}, ""},
		{"path and fragment with status", "Status: 301\nLocation: /a#b", parsed{status: 301, location: "/a#b", fields: []f{{"Location", "/a#b"}}}, ""},
		{"repeated fields kept", "Content-Type: a/b\nSet-Cookie: a=1\nSet-Cookie: b=2", parsed{ctype: "a/b", fields: []f{{"Content-Type", "a/b"}, {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}}, ""},
		{"framing dropped, length checked and kept", "Content-Type: a/b\nContent-Length: 5\nTransfer-Encoding: chunked\nConnection: close\nKeep-Alive: 5\nUpgrade: h2c\nProxy-Connection: x\nTE: trailers\nTrailer: X",
			parsed{ctype: "a/b", fields: []f{{"Content-Type", "a/b"}, {"Content-Length", "5"}}}, ""},
		{"empty value", "Content-Type: a/b\nX-Empty:", parsed{ctype: "a/b", fields: []f{{"Content-Type", "a/b"}, {"X-Empty", ""}}}, ""},
		{"a hundred fields", strings.Repeat("X: y\n", MaxResponseFields-1) + "Status: 200", parsed{status: 200, fields: func() (fs []f) {
			for range MaxResponseFields - 1 {
				fs = append(fs, f{"X", "y"})
			}
			return fs
		}()}, ""},

		{"empty block", "", parsed{}, "no Content-Type, Location or Status"},
		{"no cgi field", "X-A: b", parsed{}, "no Content-Type, Location or Status"},
		{"only framing fields", "Transfer-Encoding: chunked\r\nContent-Length: 5", parsed{}, "no Content-Type, Location or Status"},
		{"empty type", "Content-TYpe:", parsed{}, "empty Content-Type"},
		{"no colon", "Content-Type text/plain", parsed{}, "no colon"},
		{"not a field", "X-A: 1\r\nbad line", parsed{}, "no colon"},
		{"empty name", ": x", parsed{}, "not a token"},
		{"space before colon", "Content-Type : text/plain", parsed{}, "not a token"},
		{"bad name", "Content/Type: text/plain", parsed{}, "not a token"},
		{"folded", "Content-Type: text/plain\n more", parsed{}, "folded"},
		{"folded by tab", "Content-Type: text/plain\n\tmore", parsed{}, "folded"},
		{"bare cr in value", "Content-Type: text/plain\rSet-Cookie: x=1", parsed{}, "control character"},
		{"cr in name", "Content\r-Type: a", parsed{}, "not a token"},
		{"nul", "Content-Type: a\x00b", parsed{}, "control character"},
		{"control byte", "Content-Type: a/b\r\nX-A: a\x01b", parsed{}, "control character"},
		{"empty line inside", "Content-Type: a\n\r\nX: y", parsed{}, "empty line"},
		{"two statuses", "Status: 200\nStatus: 404", parsed{}, "two Status"},
		{"two types", "Content-Type: a/b\ncontent-type: c/d", parsed{}, "two Content-Type"},
		{"two locations", "Location: /a\nLocation: /b", parsed{}, "two Location"},
		{"two lengths", "Content-Type: a/b\nContent-Length: 5\nContent-Length: 5", parsed{}, "two Content-Length"},
		{"length not a number", "Content-Type: a/b\nContent-Length: 5x", parsed{}, "not a decimal"},
		{"length negative", "Content-Type: a/b\nContent-Length: -1", parsed{}, "not a decimal"},
		{"status 1xx", "Status: 100 Continue", parsed{}, "not a final status"},
		{"status 99", "Status: 99 x", parsed{}, "three-digit"},
		{"status short", "Status: 20", parsed{}, "three-digit"},
		{"status long", "Status: 2000", parsed{}, "three-digit"},
		{"status long with reason", "Status: 2000 Big", parsed{}, "three-digit"},
		{"status letters", "Status: abc", parsed{}, "three-digit"},
		{"status tab reason", "Status: 200\tOK", parsed{}, "three-digit"},
		{"empty location", "Location:", parsed{}, "empty Location"},
		{"location relative", "Location: other", parsed{}, "neither a path nor an absolute URI"},
		{"location query only", "Location: ?a=1", parsed{}, "neither a path nor an absolute URI"},
		{"opaque with colons", "Location: a:b:c/d", parsed{location: "a:b:c/d", fields: []f{{"Location", "a:b:c/d"}}}, ""},
		{"relative segment with colon", "Status: 302\nLocation: 1a:b", parsed{}, "neither a path nor an absolute URI"},
		{"scheme without host", "Location: http:/x", parsed{}, "neither a path nor an absolute URI"},
		{"scheme with empty host", "Location: http:///x", parsed{}, "neither a path nor an absolute URI"},
		{"scheme alone", "Location: http:", parsed{}, "neither a path nor an absolute URI"},
		{"location scheme-relative", "Location: //evil.example/", parsed{}, "two slashes"},
		{"location scheme-relative with status", "Status: 302\nLocation: //evil.example/", parsed{}, "two slashes"},
		{"location backslash", "Location: /\\evil.example/", parsed{}, "two slashes"},
		{"location space", "Location: /a b", parsed{}, "space"},
		{"location non-ascii", "Location: /caf\xc3\xa9", parsed{}, "not ASCII"},
		{"location bad escape", "Location: /a%zz", parsed{}, "two hex digits"},
		{"location cut escape", "Location: https://h/a%2", parsed{}, "two hex digits"},
		{"local fragment", "Location: /a#b", parsed{}, "fragment"},
		{"too many fields", "Content-Type: a/b\n" + strings.Repeat("X: y\n", MaxResponseFields), parsed{}, "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseForTest(tc.block)
			switch {
			case tc.err != "" && err == nil:
				t.Fatalf("ParseResponseHead(%q) = %+v, want an error with %q", tc.block, got, tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("ParseResponseHead(%q) error %q, want one with %q", tc.block, err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatalf("ParseResponseHead(%q): %v", tc.block, err)
			case tc.err == "" && !reflect.DeepEqual(got, tc.want):
				t.Fatalf("ParseResponseHead(%q) = %+v, want %+v", tc.block, got, tc.want)
			}
		})
	}
}

func TestResponseHeadCode(t *testing.T) {
	tests := []struct {
		head          ResponseHead
		code          int
		localRedirect bool
	}{
		{ResponseHead{Location: []byte("/x")}, 302, true},
		{ResponseHead{Location: []byte("/x"), Status: 301}, 301, false},
		{ResponseHead{Location: []byte("http://h/x")}, 302, false},
		{ResponseHead{ContentType: []byte("a/b")}, 200, false},
		{ResponseHead{Status: 404, ContentType: []byte("a/b")}, 404, false},
		{ResponseHead{Status: 204}, 204, false},
	}
	for _, tc := range tests {
		if got := tc.head.Code(); got != tc.code {
			t.Errorf("%+v.Code() = %d, want %d", tc.head, got, tc.code)
		}
		if got := tc.head.LocalRedirect(); got != tc.localRedirect {
			t.Errorf("%+v.LocalRedirect() = %v, want %v", tc.head, got, tc.localRedirect)
		}
	}
}
