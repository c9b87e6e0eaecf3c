package static_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// TestCurl uses curl as a real client: --range, -z (If-Modified-Since from
// a date and from a local file's time), --compressed and a redirect.
func TestCurl(t *testing.T) {
	testutil.LookPath(t, "curl")
	s := newSite(t)
	addr, _ := serve(t, defaults(s), false)
	base := "http://" + addr
	curl := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("curl", append([]string{"-sS", "--path-as-is"}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		return string(out)
	}
	if got := curl("--range", "0-4", base+"/hello.txt"); got != "Hello" {
		t.Errorf("curl --range 0-4 = %q", got)
	}
	if got := curl("-o", "/dev/null", "-w", "%{http_code} %{size_download}", "--range", "100000-199999", base+"/big.bin"); got != "206 100000" {
		t.Errorf("curl --range on big.bin = %q", got)
	}
	if got := curl("-w", "%{http_code}", "--range", "0-1,4-5", "-o", "/dev/null", base+"/hello.txt"); got != "206" {
		t.Errorf("curl multi-range = %q", got)
	}
	if got := curl("-w", "%{http_code}", "--range", "500-", "-o", "/dev/null", base+"/hello.txt"); got != "416" {
		t.Errorf("curl unsatisfiable range = %q", got)
	}
	// hello.txt was last modified on 2026-01-02 03:04:05 UTC.
	if got := curl("-w", "%{http_code}", "-z", "Sat, 03 Jan 2026 00:00:00 GMT", base+"/hello.txt"); got != "304" {
		t.Errorf("curl -z later date = %q, want 304 and no body", got)
	}
	if got := curl("-w", " %{http_code}", "-z", "Thu, 01 Jan 2026 00:00:00 GMT", base+"/hello.txt"); got != "Hello, static!\n 200" {
		t.Errorf("curl -z earlier date = %q", got)
	}
	local := filepath.Join(t.TempDir(), "copy")
	curl("-R", "-o", local, base+"/hello.txt") // -R keeps the server's time
	if got := curl("-w", "%{http_code}", "-z", local, base+"/hello.txt"); got != "304" {
		t.Errorf("curl -z local copy = %q, want 304", got)
	}
	if got := curl("--compressed", base+"/style.css"); got != string(s.css) {
		t.Errorf("curl --compressed: %d bytes", len(got))
	}
	if got := curl("-L", "-w", " %{url_effective}", base+"/site?q=1"); !strings.HasSuffix(got, "/site/?q=1") || !strings.Contains(got, "index page") {
		t.Errorf("curl -L /site = %q", got)
	}
	got := curl("-w", "%{http_code}", "-o", "/dev/null", base+"/../secret.txt")
	if got == "200" {
		t.Errorf("curl --path-as-is /../secret.txt = %s", got)
	}
}

// chromium returns the path of a headless browser, or skips (fails when
// testutil.RequireTools is set).
func chromium(t *testing.T) string {
	return testutil.LookPath(t, "chromium", "chromium-browser", "google-chrome")
}

func runChromium(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, chromium(t), append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// TestListingInChromium loads a directory listing in headless Chromium:
// the DOM it builds has the escaped names as text (no injected element),
// and a screenshot renders.
func TestListingInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	chromium(t)
	s := newSite(t)
	addr, _ := serve(t, defaults(s), false)
	dom := string(runChromium(t, "--dump-dom", "http://"+addr+"/names/"))
	for _, want := range []string{"<title>Index of /names/</title>", ">a b.txt</a>", "&lt;b&gt;&amp;amp;'\".txt</a>", ">été.txt</a>", `href="../"`} {
		if !strings.Contains(dom, want) {
			t.Errorf("Chromium's DOM lacks %q:\n%s", want, dom)
		}
	}
	if strings.Contains(dom, "<b>&amp;") {
		t.Errorf("a file name became markup:\n%s", dom)
	}
	png := filepath.Join(t.TempDir(), "listing.png")
	runChromium(t, "--window-size=800,600", "--screenshot="+png, "http://"+addr+"/names/")
	b, err := os.ReadFile(png)
	if err != nil || len(b) < 1000 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("screenshot: %d bytes, %v", len(b), err)
	}
}
