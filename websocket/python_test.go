package websocket_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
	"github.com/brick-server/brick/websocket"
)

// TestPythonClient talks to Brick with Python's websockets library
// (Debian's python3-websockets), compressed and not.
func TestPythonClient(t *testing.T) {
	t.Parallel()
	py := testutil.NeedPython(t, "websockets")
	e := newEcho(websocket.Options{Compression: true})
	addr := serve(t, e)
	for _, comp := range []string{"none", "deflate"} {
		t.Run(comp, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, py, "testdata/client.py", "ws://"+addr+"/", comp).CombinedOutput()
			if err != nil {
				t.Fatalf("client.py: %v\n%s", err, out)
			}
			var got struct {
				Extensions string
				Echoes     []bool
				Fragmented string
				Pong       bool
				CloseCode  int `json:"close_code"`
			}
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if !reflect.DeepEqual(got.Echoes, []bool{true, true, true, true}) || got.Fragmented != "fragmented ✓" || !got.Pong || got.CloseCode != 4003 {
				t.Errorf("client saw %+v", got)
			}
			if wantExt := comp == "deflate"; (got.Extensions != "") != wantExt {
				t.Errorf("extensions %q with compression %s", got.Extensions, comp)
			}
			if code := websocket.CloseCode(e.wait(t)); code != 4003 {
				t.Errorf("handler saw close code %d, want 4003", code)
			}
		})
	}
}
