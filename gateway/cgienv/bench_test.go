package cgienv

import (
	"testing"

	"github.com/brick-server/brick/wire"
)

// typicalGET is a browser GET with eight header fields, under a mount.
const typicalGET = "GET /app/articles/2024/brick?page=2&sort=new HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n" +
	"Accept-Language: en-GB,en;q=0.5\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Referer: https://www.example.com/app/\r\n" +
	"Cookie: sessionid=0123456789abcdef; csrftoken=fedcba9876543210\r\n" +
	"Connection: keep-alive\r\n" +
	"\r\n"

// busyGET exercises the slower paths: a percent-encoded path, repeated
// fields to join, dropped fields and an absolute-form target.
const busyGET = "GET http://www.example.com/app/caf%C3%A9/%7Euser?q=%20 HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Accept: text/html\r\n" +
	"Cookie: a=1\r\n" +
	"Proxy: http://evil\r\n" +
	"X_Forwarded_For: 6.6.6.6\r\n" +
	"accept: */*\r\n" +
	"Cookie: b=2\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n"

// countSink is a sink that only looks at the pairs, as a cheap stand-in
// for one that encodes them into a frame.
type countSink struct{ n, bytes int }

func (s *countSink) Add(key, value []byte) {
	s.n++
	s.bytes += len(key) + len(value)
}

func benchmarkBuild(b *testing.B, raw string) {
	r := parse(b, raw, "192.0.2.1:51234", "10.0.0.1:8080")
	o := &Options{ScriptName: "/app"}
	var bl Builder
	sink := &countSink{}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if err := bl.Build(sink, r, o, -1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBuildTypicalGET(b *testing.B) { benchmarkBuild(b, typicalGET) }
func BenchmarkBuildBusyGET(b *testing.B)    { benchmarkBuild(b, busyGET) }

// BenchmarkParseResponseHead measures what the FastCGI gateway pays per
// PHP response to find and parse its header block.
func BenchmarkParseResponseHead(b *testing.B) {
	out := []byte("Status: 302 Found\r\nX-Powered-By: PHP/8.2.7\r\nSet-Cookie: PHPSESSID=0123456789abcdef; path=/\r\n" +
		"Expires: Thu, 19 Nov 1981 08:52:00 GMT\r\nCache-Control: no-store, no-cache, must-revalidate\r\n" +
		"Location: login.php?next=%2F\r\nContent-type: text/html; charset=UTF-8\r\n\r\n")
	var h wire.Header
	b.ReportAllocs()
	for b.Loop() {
		h.Reset()
		block, _ := HeadEnd(out)
		if _, err := ParseResponseHead(out[:block], &h); err != nil {
			b.Fatal(err)
		}
	}
}
