package service_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSendfilePartialStatus: an application's 206 beside X-Sendfile is
// not kept as the status of the whole file: a 206 must say which part it
// carries (Content-Range, RFC 9110 §15.3.7), and the application's
// Content-Range is dropped since the bytes are the file's. The client's
// Range decides, as for a 200: the whole file without one, the part it
// asked for with one.
func TestSendfilePartialStatus(t *testing.T) {
	needFlask(t)
	media := t.TempDir()
	page := []byte("0123456789abcdef")
	os.WriteFile(filepath.Join(media, "part.bin"), page, 0o644)
	f := load(t, strings.ReplaceAll(typeConf, "{{media}}", media), func(d string) {
		os.WriteFile(filepath.Join(d, "typeapp.py"), []byte(typeApp), 0o644)
	})
	for _, tc := range []struct {
		name, method, rng string
		want              int
		body, crange      string
	}{
		{"GET, no range", "GET", "", 200, string(page), ""},
		{"GET, a range", "GET", "bytes=2-5", 206, "2345", "bytes 2-5/16"},
		{"HEAD, no range", "HEAD", "", 200, "", ""},
	} {
		v := url.Values{"h": {"X-Sendfile"}, "s": {"206 Partial Content"}, "f": {filepath.Join(media, "part.bin")}}
		req, _ := http.NewRequest(tc.method, f.base+"/?"+v.Encode(), nil)
		if tc.rng != "" {
			req.Header.Set("Range", tc.rng)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want || string(b) != tc.body || resp.Header.Get("Content-Range") != tc.crange {
			t.Errorf("%s: %d %q Content-Range %q; want %d %q %q", tc.name, resp.StatusCode, b, resp.Header.Get("Content-Range"), tc.want, tc.body, tc.crange)
		}
		if resp.StatusCode == 206 && resp.Header.Get("Content-Range") == "" {
			t.Errorf("%s: a 206 without Content-Range", tc.name)
		}
	}
}
