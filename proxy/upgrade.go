package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire"
)

// tunnel completes a protocol switch (WebSocket or another Upgrade) the
// upstream accepted with 101: it takes over the client's connection,
// sends it the 101 and then copies bytes both ways until either side
// ends. Where the server keeps watching the client's connection and the
// upstream's is plain TCP (tunnel_linux.go), the copying is done from
// readiness callbacks and the handler returns at once; otherwise two
// goroutines copy for the tunnel's whole life. Either way the bytes are
// written through a websocket.Relay, which counts the tunnel among the
// process's WebSockets: an upgrade or a stop closes it as it does
// Brick's own, with 1001 at the end of ws_grace, and a reload that
// replaces the route does the same (retire.go).
func (h *Handler) tunnel(w web.ResponseWriter, c *conn) error {
	head := wire.AppendStatusLine(nil, 101)
	for i := range c.resp.Header.Len() {
		f := c.resp.Header.At(i)
		// Connection and Upgrade are hop-by-hop, but a 101 needs them:
		// they are what the client's side of the switch agrees to.
		if wire.EqualFold(f.Name, "Connection") || wire.EqualFold(f.Name, "Upgrade") || !hopByHop(f.Name) {
			head = appendField(head, f.Name, f.Value)
		}
	}
	head = append(head, '\r', '\n')
	// What the upstream sent after its 101 is already the new protocol.
	head = append(head, c.buf[c.r:c.w]...)
	c.r = c.w
	// Only a WebSocket's frames are followed; any other protocol can
	// only be closed.
	ws := wire.EqualFold(c.resp.Header.Get("Upgrade"), "websocket")
	c.nc.SetDeadline(time.Time{})
	if wc, rest, err := web.HijackWatched(w); err == nil {
		return h.tunnelWatched(wc, rest, head, ws, c)
	} else if !errors.Is(err, web.ErrNotSupported) {
		c.close()
		return err
	}
	client, brw, err := web.Hijack(w)
	if err != nil {
		c.close()
		return web.Error(502, fmt.Errorf("proxy: cannot pass the protocol switch on: %w", err))
	}
	h.copyTunnel(client, brw.Reader, head, nil, ws, c)
	return nil
}

// tunnelWatched starts a watched tunnel, or copies with goroutines when
// the upstream's side cannot be watched.
func (h *Handler) tunnelWatched(client web.WatchedConn, rest, head []byte, ws bool, c *conn) error {
	t, err := newWatched(client, c)
	if err != nil {
		h.copyTunnel(client, client, head, rest, ws, c)
		return nil
	}
	// The tunnel counts as one of the upstream's active requests while
	// it lasts, as when a goroutine holds it (least_conn).
	// The conn and its buffers are let go: the tunnel keeps only the
	// connection itself.
	u := c.up
	u.active.Add(1)
	rec := &tunnelRec{}
	t.done = func() {
		u.active.Add(-1)
		rec.ended()
	}
	rec.relay = websocket.NewRelay(client, c.nc, ws, t.close)
	t.toClient, t.toUp = rec.relay.Client(), rec.relay.Upstream()
	h.tunnels.add(rec)
	if err := t.greet(head, rest); err != nil {
		t.close()
		return err
	}
	t.start()
	return nil
}

// copyTunnel relays with two goroutines for the tunnel's whole life,
// head and rest first (see tunnelWatched).
func (h *Handler) copyTunnel(client net.Conn, fromClient io.Reader, head, rest []byte, ws bool, c *conn) {
	rec := &tunnelRec{}
	rec.relay = websocket.NewRelay(client, c.nc, ws, func() {
		client.Close()
		c.close()
	})
	h.tunnels.add(rec)
	defer rec.ended()
	defer client.Close()
	defer c.close()
	toClient, toUp := rec.relay.Client(), rec.relay.Upstream()
	if _, err := toClient.Write(head); err != nil {
		return
	}
	if len(rest) > 0 {
		// The client spoke the new protocol right after its request.
		if _, err := toUp.Write(rest); err != nil {
			return
		}
	}
	copyBoth(toClient, client, fromClient, toUp, c.nc)
}

// copyBoth copies fromClient to up and up to client until both end;
// writes go through toUp and toClient.
func copyBoth(toClient io.Writer, client net.Conn, fromClient io.Reader, toUp io.Writer, up net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(toUp, fromClient)
		closeWrite(up)
	}()
	io.Copy(toClient, up)
	closeWrite(client)
	wg.Wait()
}

// closeWrite passes an end of stream on while the other direction may
// still carry bytes; it reports false when c cannot end one direction
// alone and was closed instead.
func closeWrite(c net.Conn) bool {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return true
	}
	c.Close()
	return false
}
