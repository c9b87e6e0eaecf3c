package websocket_test

import (
	"bytes"
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
)

// page opens a WebSocket from the browser, echoes a text and a binary
// message, logs what came back and closes with 4004. Its last script is
// served only once the WebSocket handler has seen that close, and the
// browser dumps the DOM after the page loaded, so the dump shows the whole
// conversation.
const page = `<!doctype html><html><body><pre id="log"></pre><script>
const log = document.getElementById("log");
const ws = new WebSocket("ws://" + location.host + "/ws");
ws.binaryType = "arraybuffer";
let n = 0;
ws.onopen = () => { log.textContent += "open " + ws.extensions + "\n"; ws.send("héllo from chromium"); ws.send(new Uint8Array([1, 2, 3])); };
ws.onmessage = (ev) => {
  log.textContent += (typeof ev.data === "string" ? "text " + ev.data : "binary " + new Uint8Array(ev.data).join(",")) + "\n";
  if (++n == 2) ws.close(4004, "browser done");
};
ws.onclose = (ev) => { log.textContent += "closed " + ev.code + "\n"; };
</script><script src="/done.js"></script></body></html>`

// TestChromium runs a WebSocket conversation from headless Chromium.
func TestChromium(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts a browser")
	}
	browser := testutil.LookPath(t, "chromium", "chromium-browser", "google-chrome")
	e := newEcho(websocket.Options{Compression: true})
	ended := make(chan int, 1)
	h := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		switch string(r.Path) {
		case "/ws":
			return e.ServeHTTP(w, r)
		case "/done.js":
			select {
			case err := <-e.closed:
				ended <- websocket.CloseCode(err)
			case <-time.After(20 * time.Second):
				ended <- 0
			}
			w.Header().Set("Content-Type", "text/javascript")
			w.WriteString("document.getElementById('log').textContent += 'handler saw the end';\n")
			return nil
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteString(page)
		return nil
	})
	addr := serve(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--user-data-dir="+t.TempDir(), "--dump-dom", "http://"+addr+"/")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	for _, want := range []string{"open permessage-deflate", "text héllo from chromium", "binary 1,2,3", "handler saw the end"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q:\n%s", want, dom)
		}
	}
	if code := <-ended; code != 4004 {
		t.Errorf("the handler saw the browser close with %s, want 4004", strconv.Itoa(code))
	}
}
