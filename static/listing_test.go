package static_test

import (
	"bytes"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/static"
)

var hrefRE = regexp.MustCompile(`href="([^"]*)"`)

// links returns the targets of a listing's links, resolved as a browser
// does against the listing's path (they are all relative: "x", "./x",
// "x/", "../").
func links(t *testing.T, dir, page string) []string {
	t.Helper()
	var out []string
	for _, m := range hrefRE.FindAllStringSubmatch(page, -1) {
		href := html.UnescapeString(m[1])
		switch {
		case href == "../":
			out = append(out, dir[:strings.LastIndex(strings.TrimSuffix(dir, "/"), "/")+1])
		case strings.Contains(href, "/") && strings.Index(href, "/") < len(href)-1 && !strings.HasPrefix(href, "./"):
			t.Fatalf("link %q is not a plain relative name", href)
		default:
			out = append(out, dir+strings.TrimPrefix(href, "./"))
		}
	}
	return out
}

// TestListingLinksAllWork creates names a request path cannot carry
// (backslash, newline, tab, bytes that are not UTF-8), a FIFO and a
// symlink out of the root beside ordinary and awkward-but-valid names,
// fetches the listing and follows every link in it: each answers 200 or
// 301, and the valid names are all there.
func TestListingLinksAllWork(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "list")
	files := []string{
		"ok.txt", "per%cent.txt", "q?#.txt", "a;b=c.txt", "x:y.txt", "été.txt", " lead", "trail ", "plus+&.txt", "sub/inner.txt",
		"back\\slash.txt", "new\nline.txt", "bad\xff.txt", "tab\tname", "bad\\dir/x", "cr\rname", "del\x7fname",
	}
	for _, name := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../..", filepath.Join(dir, "out")); err != nil {
		t.Fatal(err)
	}
	addr, _ := serve(t, static.Defaults(root), false)
	resp, body := do(t, addr, "GET", "/list/")
	if resp.StatusCode != 200 {
		t.Fatalf("listing: %d", resp.StatusCode)
	}
	page := string(body)
	for _, want := range []string{">ok.txt<", ">per%cent.txt<", ">q?#.txt<", ">a;b=c.txt<", ">x:y.txt<", ">été.txt<", "> lead<", ">trail <", ">plus+&amp;.txt<", ">sub/<"} {
		if !strings.Contains(page, want) {
			t.Errorf("listing lacks %q:\n%s", want, page)
		}
	}
	// Not linked, and refused at once when asked for: open(2) of a FIFO
	// must not wait for a writer.
	if resp, _ := do(t, addr, "GET", "/list/fifo"); resp.StatusCode != 403 {
		t.Errorf("GET /list/fifo = %d, want 403", resp.StatusCode)
	}
	targets := links(t, "/list/", page)
	if len(targets) != 11 { // ten names and the parent
		t.Errorf("%d links, want 11: %q", len(targets), targets)
	}
	for _, target := range targets {
		t.Run(fmt.Sprintf("%q", target), func(t *testing.T) {
			resp, _ := do(t, addr, "GET", escapeTarget(target))
			if resp.StatusCode != 200 && resp.StatusCode != 301 {
				t.Errorf("GET %q (linked from the listing) = %d, want 200 or 301", target, resp.StatusCode)
			}
		})
	}
}

// escapeTarget percent-encodes what a browser encodes when it sends a
// resolved link: bytes outside printable ASCII, and space.
func escapeTarget(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '<' || c == '>' {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// TestListingCompressed: a listing over the compression threshold is
// compressed for a client that accepts it, says Vary: Accept-Encoding,
// and decodes to the page an identity request gets; a small one is not.
func TestListingCompressed(t *testing.T) {
	root := t.TempDir()
	for i := range 300 {
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("file-%03d.txt", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(root, "small"), 0o755); err != nil {
		t.Fatal(err)
	}
	addr, _ := serve(t, static.Defaults(root), false)
	_, identity := do(t, addr, "GET", "/")
	if len(identity) < 10000 {
		t.Fatalf("identity listing is %d bytes", len(identity))
	}
	tests := []struct{ name, target, ae, coding, vary string }{
		{"br", "/", "gzip, br", "br", "Accept-Encoding"},
		{"gzip", "/", "gzip", "gzip", "Accept-Encoding"},
		{"identity", "/", "identity", "", "Accept-Encoding"},
		{"no field", "/", "", "", "Accept-Encoding"},
		{"small", "/small/", "gzip, br", "", ""},
	}
	// curl --compressed asks for it, downloads a third of the page or
	// less, and decodes the same page.
	if curl, err := exec.LookPath("curl"); testutil.Want(t, "curl", err) {
		out, err := exec.Command(curl, "-sS", "--compressed", "-w", "\n%{size_download}", "http://"+addr+"/").Output()
		i := bytes.LastIndexByte(out, '\n')
		if err != nil || i < 0 {
			t.Fatalf("curl --compressed: %v %q", err, out)
		}
		size, _ := strconv.Atoi(string(out[i+1:]))
		if string(out[:i]) != string(identity) || size == 0 || size > len(identity)/3 {
			t.Errorf("curl --compressed: page of %d bytes (identity %d), %d bytes downloaded", i, len(identity), size)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var fields []string
			if tc.ae != "" {
				fields = append(fields, "Accept-Encoding: "+tc.ae)
			}
			resp, body := do(t, addr, "GET", tc.target, fields...)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != tc.coding || resp.Header.Get("Vary") != tc.vary {
				t.Fatalf("= %d, Content-Encoding %q, Vary %q; want 200 %q %q", resp.StatusCode,
					resp.Header.Get("Content-Encoding"), resp.Header.Get("Vary"), tc.coding, tc.vary)
			}
			if tc.target == "/" {
				if got := decode(t, tc.coding, body); string(got) != string(identity) {
					t.Errorf("decoded listing differs from the identity one (%d vs %d bytes)", len(got), len(identity))
				}
				if tc.coding != "" && len(body) > len(identity)/3 {
					t.Errorf("compressed listing is %d bytes of %d", len(body), len(identity))
				}
			}
		})
	}
}

// TestSymlinkOutLoggedOnce: a symlink out of the root answers 403 and the
// log says why, with the option that allows it, once per URL path however
// often it is requested (and listed).
func TestSymlinkOutLoggedOnce(t *testing.T) {
	s := newSite(t)
	for _, prefix := range []string{"/", "/assets/"} {
		t.Run(prefix, func(t *testing.T) {
			cfg := defaults(s)
			if prefix != "/" {
				cfg.Prefix = prefix
			}
			addr, log := serve(t, cfg, false)
			for range 5 {
				for _, target := range []string{"outlink", "outdir/secret.txt", "names/outlink", ""} {
					resp, _ := do(t, addr, "GET", prefix+target)
					if want := 403; target != "" && resp.StatusCode != want {
						t.Fatalf("GET %s = %d, want %d", prefix+target, resp.StatusCode, want)
					}
				}
			}
			lines := strings.Split(log.String(), "\n")
			for _, p := range []string{"outlink", "outdir/secret.txt", "names/outlink", "abslink"} {
				n := 0
				for _, l := range lines {
					if strings.Contains(l, "path="+prefix+p+" ") {
						n++
						if !strings.Contains(l, "level=WARN") || !strings.Contains(l, "-follow-symlinks") || !strings.Contains(l, "follow_symlinks = true") {
							t.Errorf("warning lacks the level or the hint: %s", l)
						}
					}
				}
				if n != 1 {
					t.Errorf("%d log lines for %s, want 1:\n%s", n, prefix+p, log.String())
				}
			}
		})
	}
}
