package cgi

import (
	"reflect"
	"strings"
	"testing"
)

func TestHeaderEnd(t *testing.T) {
	tests := []struct {
		in          string
		block, body int
	}{
		{"Content-Type: text/plain\n\nhi", 25, 26},
		{"Content-Type: text/plain\r\n\r\nhi", 26, 28},
		{"Status: 204\r\nX: y\n\n", 18, 19},
		{"\nbody", 0, 1},
		{"\r\nbody", 0, 2},
		{"Content-Type: text/plain\n", -1, -1},
		{"Content-Type: text/plain\r\n\r", -1, -1},
		{"no header at all", -1, -1},
		{"", -1, -1},
	}
	for _, tc := range tests {
		block, body := headerEnd([]byte(tc.in))
		if block != tc.block || body != tc.body {
			t.Errorf("headerEnd(%q) = %d, %d; want %d, %d", tc.in, block, body, tc.block, tc.body)
		}
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name  string
		block string
		want  Head
		err   string // a part of the error; "" for none
	}{
		{"type", "Content-Type: text/plain", Head{ContentType: "text/plain"}, ""},
		{"crlf and ows", "Content-Type:  text/html \r\nX-A:\tb\t\r\n", Head{ContentType: "text/html", Fields: []Field{{"X-A", "b"}}}, ""},
		{"status with reason", "Status: 404 Not Found\nContent-Type: text/plain", Head{Status: 404, ContentType: "text/plain"}, ""},
		{"status alone", "status: 204", Head{Status: 204}, ""},
		{"custom status", "Status: 299 Fine", Head{Status: 299}, ""},
		{"local redirect", "Location: /other?q=1", Head{Location: "/other?q=1"}, ""},
		{"client redirect", "Location: https://example.com/x#f", Head{Location: "https://example.com/x#f"}, ""},
		{"mailto", "Location: mailto:a@example.com", Head{Location: "mailto:a@example.com"}, ""},
		{"repeated fields kept", "Content-Type: a/b\nSet-Cookie: a=1\nSet-Cookie: b=2", Head{ContentType: "a/b", Fields: []Field{{"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}}}, ""},
		{"framing dropped", "Content-Type: a/b\nContent-Length: 5\nTransfer-Encoding: chunked\nConnection: close", Head{ContentType: "a/b"}, ""},
		{"empty value", "Content-Type: a/b\nX-Empty:", Head{ContentType: "a/b", Fields: []Field{{"X-Empty", ""}}}, ""},

		{"empty block", "", Head{}, "no Content-Type, Location or Status"},
		{"empty type", "Content-TYpe:", Head{}, "empty Content-Type"},
		{"no cgi field", "X-A: b", Head{}, "no Content-Type, Location or Status"},
		{"no colon", "Content-Type text/plain", Head{}, "no colon"},
		{"space before colon", "Content-Type : text/plain", Head{}, "not a token"},
		{"bad name", "Content/Type: text/plain", Head{}, "not a token"},
		{"folded", "Content-Type: text/plain\n more", Head{}, "folded"},
		{"bare cr in value", "Content-Type: text/plain\rSet-Cookie: x=1", Head{}, "control character"},
		{"cr in name", "Content\r-Type: a", Head{}, "not a token"},
		{"nul", "Content-Type: a\x00b", Head{}, "control character"},
		{"empty line inside", "Content-Type: a\n\r\nX: y", Head{}, "empty line"},
		{"two statuses", "Status: 200\nStatus: 404", Head{}, "two Status"},
		{"two types", "Content-Type: a/b\ncontent-type: c/d", Head{}, "two Content-Type"},
		{"two locations", "Location: /a\nLocation: /b", Head{}, "two Location"},
		{"status 1xx", "Status: 100 Continue", Head{}, "not a final status"},
		{"status short", "Status: 20", Head{}, "three-digit"},
		{"status long", "Status: 2000", Head{}, "three-digit"},
		{"status letters", "Status: abc", Head{}, "three-digit"},
		{"location relative", "Location: other", Head{}, "neither a path nor an absolute URI"},
		{"location scheme-relative", "Location: //evil.example/", Head{}, "two slashes"},
		{"location space", "Location: /a b", Head{}, "space"},
		{"location non-ascii", "Location: /caf\xc3\xa9", Head{}, "not ASCII"},
		{"local fragment", "Location: /a#b", Head{}, "fragment"},
		{"too many fields", "Content-Type: a/b\n" + strings.Repeat("X: y\n", maxFields), Head{}, "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseHeader([]byte(tc.block))
			switch {
			case tc.err != "" && err == nil:
				t.Fatalf("ParseHeader(%q) = %+v, want an error with %q", tc.block, got, tc.err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Fatalf("ParseHeader(%q) error %q, want one with %q", tc.block, err, tc.err)
			case tc.err == "" && err != nil:
				t.Fatalf("ParseHeader(%q): %v", tc.block, err)
			case tc.err == "" && !reflect.DeepEqual(got, tc.want):
				t.Fatalf("ParseHeader(%q) = %+v, want %+v", tc.block, got, tc.want)
			}
		})
	}
}

func TestLocalRedirect(t *testing.T) {
	tests := []struct {
		head Head
		want bool
	}{
		{Head{Location: "/x"}, true},
		{Head{Location: "/x", Status: 301}, false},
		{Head{Location: "http://h/x"}, false},
		{Head{ContentType: "a/b"}, false},
	}
	for _, tc := range tests {
		if got := tc.head.LocalRedirect(); got != tc.want {
			t.Errorf("%+v.LocalRedirect() = %v, want %v", tc.head, got, tc.want)
		}
	}
}
