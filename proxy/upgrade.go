package proxy

import (
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
// ends.
func (h *Handler) tunnel(w web.ResponseWriter, c *conn) error {
	defer c.close()
	client, brw, err := web.Hijack(w)
	if err != nil {
		return web.Error(502, fmt.Errorf("proxy: cannot pass the protocol switch on: %w", err))
	}
	defer client.Close()
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
	if _, err := client.Write(head); err != nil {
		return err
	}
	c.nc.SetDeadline(time.Time{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		io.Copy(c.nc, brw.Reader)
		closeWrite(c.nc)
	}()
	io.Copy(client, c.nc)
	closeWrite(client)
	wg.Wait()
	return nil
}

// closeWrite passes an end of stream on while the other direction may
// still carry bytes.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}
