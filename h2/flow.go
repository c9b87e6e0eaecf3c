package h2

import (
	"errors"
	"time"

	"golang.org/x/net/http2"
)

// Receiving. The client may send up to recvWindow on a stream and
// recvConn on the connection; both shrink as DATA arrives and grow back
// only as the handler reads (or the bytes are dropped), in steps of half
// a window.

// windowUpdate is what a read gives back to the client.
type windowUpdate struct{ stream, conn int32 }

// consumedLocked notes n body bytes read (or dropped) from st and returns
// the WINDOW_UPDATEs now due.
func (st *stream) consumedLocked(n int32) windowUpdate {
	c := st.c
	var u windowUpdate
	st.unacked += n
	if !st.remoteDone && st.reset == nil && st.unacked >= streamWindow/2 {
		u.stream = st.unacked
		st.recvWindow += st.unacked
		st.unacked = 0
	}
	u.conn = c.connConsumedLocked(n)
	return u
}

// connConsumedLocked notes n bytes of the connection window consumed and
// returns the connection WINDOW_UPDATE now due.
func (c *Conn) connConsumedLocked(n int32) int32 {
	c.recvUnacked += n
	if c.recvUnacked < connWindow/2 {
		return 0
	}
	u := c.recvUnacked
	c.recvConn += u
	c.recvUnacked = 0
	return u
}

// refundConn gives back n bytes of connection window no stream will read
// (DATA for a closed stream), plus whatever is due.
func (c *Conn) refundConn(n int32) {
	c.mu.Lock()
	u := c.connConsumedLocked(n)
	c.mu.Unlock()
	c.sendWindowUpdates(0, windowUpdate{conn: u})
}

func (c *Conn) sendWindowUpdates(id uint32, u windowUpdate) {
	if u.stream == 0 && u.conn == 0 {
		return
	}
	c.writeFrames(func() error {
		if u.conn > 0 {
			if err := c.fr.WriteWindowUpdate(0, uint32(u.conn)); err != nil {
				return err
			}
		}
		if u.stream > 0 {
			return c.fr.WriteWindowUpdate(id, uint32(u.stream))
		}
		return nil
	})
}

// dropBodyLocked discards what st's handler did not read, giving its
// window back to the connection.
func (st *stream) dropBodyLocked() int32 {
	n := int32(len(st.buf))
	st.buf = nil
	return st.c.connConsumedLocked(n)
}

// Sending. Our DATA is bounded by the connection window and the stream's,
// both given by the client.

const maxWindow = 1<<31 - 1

// setPeerWindow applies SETTINGS_INITIAL_WINDOW_SIZE: every stream's send
// window moves by the difference (RFC 9113 §6.9.2), and may go negative.
func (c *Conn) setPeerWindow(v int32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delta := int64(v) - int64(c.peerWindow)
	c.peerWindow = v
	for _, st := range c.streams {
		st.sendWindow += delta
		if st.sendWindow > maxWindow {
			return connErr{http2.ErrCodeFlowControl, "stream window overflow"}
		}
		if delta > 0 {
			st.wakeLocked()
		}
	}
	return nil
}

func (c *Conn) addConnWindow(n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sendWindow += n
	if c.sendWindow > maxWindow {
		return connErr{http2.ErrCodeFlowControl, "connection window overflow"}
	}
	for st := range c.connWaiters {
		st.wakeLocked()
	}
	return nil
}

// addSendWindow credits stream id, st when the read loop looked it up;
// one that finished since (a worker may have recycled it) takes none.
func (c *Conn) addSendWindow(st *stream, id uint32, n int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.streams[id] != st {
		return nil
	}
	st.sendWindow += n
	if st.sendWindow > maxWindow {
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeFlowControl}
	}
	st.wakeLocked()
	return nil
}

var (
	errStalled     = errors.New("h2: the client opened no window for the write timeout")
	errConnStalled = errors.New("h2: the client opened no connection window for the write timeout")
)

// maxData is the largest DATA payload to send: the client's frame size,
// and over TLS no more than fills one TLS record with its frame header
// (writeDataLocked), where a full frame would take two records and two
// writes.
func (c *Conn) maxData() int {
	n := int(c.peerFrame.Load())
	if c.opts.TLS != nil {
		n = min(n, tlsRecord-frameHeaderLen)
	}
	return n
}

const (
	tlsRecord      = 16384 // TLS's largest record payload (RFC 8446 §5.1)
	frameHeaderLen = 9
)

// reserve waits until st may send some of want bytes and takes them from
// both windows, at most one frame's worth. It fails when the stream is
// reset, the connection closes, or no window comes for the write timeout.
func (st *stream) reserve(want int) (int, error) {
	return st.reserveUpTo(want, st.c.maxData(), nil)
}

// reserveUpTo is reserve taking at most limit bytes, which may be several
// frames' worth (sendFile). beforeWait, when set, runs once before the
// first wait for window: what must not wait for the window goes then.
func (st *stream) reserveUpTo(want, limit int, beforeWait func() error) (int, error) {
	c := st.c
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		c.mu.Lock()
		if st.reset != nil || c.closing {
			err := st.reset
			c.mu.Unlock()
			if err == nil {
				err = errConnClosed
			}
			return 0, err
		}
		n := min(int64(min(want, limit)), st.sendWindow, c.sendWindow)
		if n > 0 {
			st.sendWindow -= n
			c.sendWindow -= n
			c.updatesEarned += 2 + uint64(n>>10)
			delete(c.connWaiters, st)
			c.mu.Unlock()
			return int(n), nil
		}
		connStalled := c.sendWindow <= 0
		if connStalled {
			c.connWaiters[st] = struct{}{}
		}
		c.mu.Unlock()
		if beforeWait != nil {
			if err := beforeWait(); err != nil {
				return 0, err
			}
			beforeWait = nil
			continue // the window may have come meanwhile
		}
		if timer == nil {
			timer = time.NewTimer(orDefault(c.cfg.Write, 60*time.Second))
		}
		select {
		case <-st.wake:
		case <-timer.C:
			if connStalled {
				// The whole connection is stalled: no stream can send.
				c.goAway(connErr{http2.ErrCodeEnhanceYourCalm, "connection window stalled"})
				return 0, errConnStalled
			}
			return 0, errStalled
		}
	}
}

// unreserve gives back n bytes reserve took and no frame carried.
func (st *stream) unreserve(n int) {
	c := st.c
	c.mu.Lock()
	st.sendWindow += int64(n)
	c.sendWindow += int64(n)
	for w := range c.connWaiters {
		w.wakeLocked()
	}
	c.mu.Unlock()
}
