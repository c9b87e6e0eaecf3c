package wire

import (
	"io"
	"strings"
	"testing"
)

// browserGET is what Chrome sends for a page load, trimmed to its usual
// dozen fields.
const browserGET = "GET /articles/2024/wire-format.html?ref=home HTTP/1.1\r\n" +
	"Host: www.example.com\r\n" +
	"Connection: keep-alive\r\n" +
	"sec-ch-ua: \"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\"\r\n" +
	"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\r\n" +
	"Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8\r\n" +
	"Sec-Fetch-Site: same-origin\r\n" +
	"Sec-Fetch-Mode: navigate\r\n" +
	"Sec-Fetch-Dest: document\r\n" +
	"Referer: https://www.example.com/\r\n" +
	"Accept-Encoding: gzip, deflate, br, zstd\r\n" +
	"Accept-Language: en-US,en;q=0.9\r\n" +
	"Cookie: session=7f3a9c2e41b84d0f; theme=dark\r\n" +
	"\r\n"

func BenchmarkParseBrowserGET(b *testing.B) {
	buf := []byte(browserGET)
	var (
		p RequestParser
		r RequestHead
	)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Parse(&r, buf, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseBrowserGETByteByByte shows the cost of a head that
// arrives one byte per read: linear, thanks to the resumed search.
func BenchmarkParseBrowserGETByteByByte(b *testing.B) {
	buf := []byte(browserGET)
	var (
		p RequestParser
		r RequestHead
	)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		for k := 1; k <= len(buf); k++ {
			if _, err := p.Parse(&r, buf[:k], nil); err != ErrNeedMore {
				if err != nil || k != len(buf) {
					b.Fatal(k, err)
				}
			}
		}
	}
}

// chunkedBody is 64 KiB of body in 1 KiB chunks, some with an extension,
// and a trailer.
var chunkedBody = func() []byte {
	var out []byte
	p := []byte(strings.Repeat("0123456789abcdef", 64))
	for i := range 64 {
		if i%8 == 0 {
			out = append(out, "400;ext=\"v\"\r\n"...)
			out = append(out, p...)
			out = append(out, "\r\n"...)
			continue
		}
		out = AppendChunk(out, p)
	}
	return append(out, "0\r\nX-Checksum: 1234\r\n\r\n"...)
}()

func BenchmarkChunked(b *testing.B) {
	b.SetBytes(int64(len(chunkedBody)))
	b.ReportAllocs()
	for b.Loop() {
		var d ChunkedDecoder
		in := chunkedBody
		for {
			n, _, err := d.Decode(in)
			in = in[n:]
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// typicalResponse is the head of a small HTML page.
var typicalResponse = func() ResponseHead {
	h := new(Header)
	h.Add("Content-Type", "text/html; charset=utf-8")
	h.Add("Cache-Control", "max-age=60")
	h.Add("ETag", `"5e3c-17a"`)
	h.Add("Vary", "Accept-Encoding")
	return ResponseHead{
		Status: 200, Header: h, Date: []byte("Tue, 26 Nov 2024 06:28:00 GMT"),
		ContentLength: 23612, KeepAlive: true,
	}
}()

func BenchmarkAppendResponseHead(b *testing.B) {
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendResponseHead(buf[:0], &typicalResponse)
	}
	b.SetBytes(int64(len(buf)))
}
