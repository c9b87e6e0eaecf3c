package static_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/static"
)

// sniffSite writes files whose names do not tell their type: small ones
// (cached, sniffed once) and a large one (sent from the disk, sniffed per
// request).
func sniffSite(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	files := map[string][]byte{
		"README":         []byte("Brick\n=====\n\nA web server.\n"),
		"copyright":      []byte("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"),
		"LICENSE":        bytes.Repeat([]byte("Permission is hereby granted, free of charge.\n"), 3000), // > cache limit
		"index.rst":      []byte("Title\n=====\n\n.. note:: reStructuredText\n"),
		"uploaded":       []byte("<!DOCTYPE html><html><script>document.title='ran'</script></html>\n"),
		"a.out":          append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 100)...),
		"photo":          []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		"empty-file":     nil,
		"LICENSE.binary": append(bytes.Repeat([]byte{0}, 70<<10), 'x'), // large, binary
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// TestSniffedTypes: files the extension table does not know are typed by
// their first bytes, over a real socket, cached or not; markup is never
// made a page.
func TestSniffedTypes(t *testing.T) {
	root := sniffSite(t)
	addr, _ := serve(t, static.Defaults(root), false)
	tests := []struct{ target, ctype string }{
		{"/README", "text/plain; charset=utf-8"},
		{"/copyright", "text/plain; charset=utf-8"},
		{"/LICENSE", "text/plain; charset=utf-8"},
		{"/index.rst", "text/plain; charset=utf-8"},
		{"/uploaded", "text/plain; charset=utf-8"},
		{"/a.out", "application/octet-stream"},
		{"/photo", "image/png"},
		{"/empty-file", "text/plain; charset=utf-8"},
		{"/LICENSE.binary", "application/octet-stream"},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			for i := range 2 { // the second answer comes from the cache for small files
				resp, _ := do(t, addr, "GET", tc.target)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ctype || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("request %d: %d %q nosniff=%q, want 200 %q", i, resp.StatusCode, resp.Header.Get("Content-Type"),
						resp.Header.Get("X-Content-Type-Options"), tc.ctype)
				}
			}
		})
	}
	// Sniffed text is compressed like any text: the large LICENSE on the fly.
	resp, _ := do(t, addr, "GET", "/LICENSE", "Accept-Encoding: gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("sniffed text not compressed: %v", resp.Header)
	}
}

// TestSniffedTypesInBrowsers: curl sees the types, and Chromium shows a
// README and an .rst as text in the page instead of downloading them, and
// shows an HTML file without an .html name as source, its script not run.
func TestSniffedTypesInBrowsers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	testutil.LookPath(t, "curl")
	chromium(t)
	root := sniffSite(t)
	addr, _ := serve(t, static.Defaults(root), false)
	out, err := exec.Command("curl", "-sS", "-o", "/dev/null", "-w", "%{content_type}", "http://"+addr+"/README").Output()
	if err != nil || string(out) != "text/plain; charset=utf-8" {
		t.Errorf("curl README: %q, %v", out, err)
	}
	for _, tc := range []struct{ target, want string }{
		{"/README", "A web server."},
		{"/index.rst", ".. note:: reStructuredText"},
		{"/uploaded", "&lt;script&gt;document.title='ran'&lt;/script&gt;"},
	} {
		dom := string(runChromium(t, "--dump-dom", "http://"+addr+tc.target))
		if !strings.Contains(dom, "<pre") || !strings.Contains(dom, tc.want) {
			t.Errorf("Chromium's DOM for %s lacks the text %q in a <pre>:\n%s", tc.target, tc.want, dom)
		}
		if strings.Contains(dom, "<title>ran</title>") {
			t.Errorf("Chromium ran the script of %s:\n%s", tc.target, dom)
		}
	}
}
