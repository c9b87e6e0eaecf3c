package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// tunnel completes a protocol switch (WebSocket or another Upgrade) the
// upstream accepted with 101: it takes over the client's connection,
// sends it the 101 and then copies bytes both ways until either side
// ends. Where the server keeps watching the client's connection and the
// upstream's is plain TCP (tunnel_linux.go), the copying is done from
// readiness callbacks and the handler returns at once; otherwise two
// goroutines copy for the tunnel's whole life.
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
	c.nc.SetDeadline(time.Time{})
	if wc, rest, err := web.HijackWatched(w); err == nil {
		return h.tunnelWatched(wc, rest, head, c)
	} else if !errors.Is(err, web.ErrNotSupported) {
		c.close()
		return err
	}
	defer c.close()
	client, brw, err := web.Hijack(w)
	if err != nil {
		return web.Error(502, fmt.Errorf("proxy: cannot pass the protocol switch on: %w", err))
	}
	defer client.Close()
	if _, err := client.Write(head); err != nil {
		return err
	}
	copyBoth(client, brw.Reader, c.nc)
	return nil
}

// tunnelWatched starts a watched tunnel, or copies with goroutines when
// the upstream's side cannot be watched.
func (h *Handler) tunnelWatched(client web.WatchedConn, rest, head []byte, c *conn) error {
	fail := func(err error) error {
		client.Close()
		c.close()
		return err
	}
	if _, err := client.Write(head); err != nil {
		return fail(err)
	}
	if len(rest) > 0 {
		// The client spoke the new protocol right after its request.
		if _, err := c.nc.Write(rest); err != nil {
			return fail(err)
		}
	}
	// The tunnel counts as one of the upstream's active requests while
	// it lasts, as when a goroutine holds it (least_conn).
	// The conn and its buffers are let go: the tunnel keeps only the
	// connection itself.
	u := c.up
	u.active.Add(1)
	done := func() { u.active.Add(-1) }
	err := startWatched(client, c, done)
	if err == nil {
		return nil
	}
	done()
	defer client.Close()
	defer c.close()
	copyBoth(client, client, c.nc)
	return nil
}

// copyBoth copies fromClient to up and up to client until both end.
func copyBoth(client net.Conn, fromClient io.Reader, up net.Conn) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(up, fromClient)
		closeWrite(up)
	}()
	io.Copy(client, up)
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
