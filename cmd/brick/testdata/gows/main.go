// Command gows is Brick as a library (brick.RunConfig) with two Go
// WebSocket echo handlers, for TestGoWebSocketsAcrossUpgrade: "brickws"
// accepts with package websocket, "coderws" is an unchanged net/http
// handler using coder/websocket through the adapter. Each echo is
// prefixed with the content of the file "version" when the process
// started, so a test tells the old process from the new one.
package main

import (
	"context"
	"net/http"
	"os"
	"strings"

	coder "github.com/coder/websocket"

	"github.com/brick-server/brick"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
)

func main() {
	b, _ := os.ReadFile("version")
	version := strings.TrimSpace(string(b))
	brickws := web.HandlerFunc(func(w web.ResponseWriter, r *web.Request) error {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return nil
		}
		var buf []byte
		for {
			_, msg, err := c.ReadMessage(buf)
			if err != nil {
				return nil
			}
			if err := c.WriteMessage(websocket.Text, append([]byte(version+" "), msg...)); err != nil {
				return nil
			}
			buf = msg
		}
	})
	coderws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := coder.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := context.Background()
		for {
			_, msg, err := c.Read(ctx)
			if err != nil {
				if s := coder.CloseStatus(err); s != -1 {
					c.Close(s, "")
				}
				return
			}
			if err := c.Write(ctx, coder.MessageText, append([]byte(version+" "), msg...)); err != nil {
				return
			}
		}
	})
	os.Exit(brick.RunConfig("brick.toml", map[string]any{"brickws": brickws, "coderws": coderws}))
}
