package h2

import (
	"golang.org/x/net/http2"
)

// handleFrame applies one frame to the connection's state. A returned
// http2.StreamError resets that stream; any other error ends the
// connection (connErr with its GOAWAY code).
func (c *Conn) handleFrame(f http2.Frame) error {
	if !c.gotFirst {
		// RFC 9113 §3.4: the client's preface ends with a SETTINGS frame.
		if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
			return connErr{http2.ErrCodeProtocol, "first frame is not SETTINGS"}
		}
		c.gotFirst = true
	}
	switch f := f.(type) {
	case *http2.DataFrame:
		return c.onData(f)
	case *http2.ContinuationFrame:
		return c.onContinuation(f)
	case *http2.PriorityFrame:
		// Priorities are ignored (RFC 9113 §5.3.2), but a stream cannot
		// depend on itself.
		if f.StreamDep == f.StreamID {
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol}
		}
		return c.limits.priorities.hit(c.cfg.MaxPrioritiesPerSecond, defaultMaxPriorities)
	case *http2.RSTStreamFrame:
		return c.onReset(f)
	case *http2.SettingsFrame:
		return c.onSettings(f)
	case *http2.PingFrame:
		return c.onPing(f)
	case *http2.GoAwayFrame:
		if f.StreamID != 0 {
			return connErr{http2.ErrCodeProtocol, "GOAWAY on a stream"}
		}
		// The client opens no more streams; those open finish, and the
		// connection ends when the client closes it or goes idle.
		c.mu.Lock()
		c.peerGoneAway = true
		c.mu.Unlock()
		return c.limits.other.hit(c.cfg.MaxOtherPerSecond, defaultMaxOther)
	case *http2.WindowUpdateFrame:
		return c.onWindowUpdate(f)
	case *http2.PushPromiseFrame:
		return connErr{http2.ErrCodeProtocol, "PUSH_PROMISE from a client"}
	}
	// Unknown frame types are ignored (RFC 9113 §5.5), but counted.
	return c.limits.other.hit(c.cfg.MaxOtherPerSecond, defaultMaxOther)
}

// streamState classifies a stream id the client used.
type streamState uint8

const (
	stIdle   streamState = iota // never opened
	stOpen                      // open or half-closed (local)
	stHalf                      // half-closed (remote): the client has sent END_STREAM
	stClosed                    // closed (reset, or done and forgotten)
)

func (c *Conn) state(id uint32) (*stream, streamState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.streams[id]; ok {
		if st.remoteDone {
			return st, stHalf
		}
		return st, stOpen
	}
	if id > c.maxID {
		return nil, stIdle
	}
	return nil, stClosed
}

func (c *Conn) onData(f *http2.DataFrame) error {
	id := f.StreamID
	size := int32(f.Length) // padding included: it counts against the windows
	c.mu.Lock()
	over := size > c.recvConn
	c.recvConn -= size
	c.mu.Unlock()
	if over {
		return connErr{http2.ErrCodeFlowControl, "DATA beyond the connection window"}
	}
	if len(f.Data()) == 0 && !f.StreamEnded() {
		if err := c.limits.empty.hit(c.cfg.MaxEmptyPerSecond, defaultMaxEmpty); err != nil {
			return err
		}
	}
	st, s := c.state(id)
	switch s {
	case stIdle:
		return connErr{http2.ErrCodeProtocol, "DATA on an idle stream"}
	case stHalf, stClosed:
		// The bytes count against the connection window all the same;
		// give them back, since no stream will read them.
		c.refundConn(size)
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeStreamClosed}
	}
	closed, err := c.receive(st, id, f.Data(), size, f.StreamEnded())
	if closed {
		c.refundConn(size)
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeStreamClosed}
	}
	if err != nil {
		c.refundConn(size)
		return err
	}
	if pad := size - int32(len(f.Data())); pad > 0 {
		c.refundConn(pad)
	}
	return nil
}

func (c *Conn) onReset(f *http2.RSTStreamFrame) error {
	st, s := c.state(f.StreamID)
	switch s {
	case stIdle:
		return connErr{http2.ErrCodeProtocol, "RST_STREAM on an idle stream"}
	case stClosed:
		return c.limits.other.hit(c.cfg.MaxOtherPerSecond, defaultMaxOther)
	}
	// Rapid reset: streams the client opens and cancels cost the server
	// a handler start each while counting against no stream limit.
	if err := c.limits.resets.hit(c.cfg.MaxResetsPerSecond, defaultMaxResets); err != nil {
		return err
	}
	c.mu.Lock()
	if c.streams[f.StreamID] == st { // not finished since the lookup
		st.cancelLocked(errStreamReset)
	}
	c.mu.Unlock()
	return nil
}

func (c *Conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		// One answers our SETTINGS; more come unasked.
		return c.limits.other.hit(c.cfg.MaxOtherPerSecond, defaultMaxOther)
	}
	if err := c.limits.settings.hit(c.cfg.MaxSettingsPerSecond, defaultMaxSettings); err != nil {
		return err
	}
	var list []http2.Setting
	f.ForeachSetting(func(s http2.Setting) error {
		list = append(list, s)
		return nil
	})
	// The settings are applied and acknowledged under the write lock, so
	// no frame they allow (DATA woken by a larger window) is written
	// before the ACK: a client may wait for the ACK before it looks for
	// that DATA (h2spec 6.9.2 does, and skips frames while it waits).
	var bad error
	err := c.writeFrames(func() error {
		if bad = c.applySettingsLocked(list); bad != nil {
			return nil
		}
		return c.fr.WriteSettingsAck()
	})
	if bad != nil {
		return bad
	}
	return err
}

// applySettingsLocked applies the client's settings in order (RFC 9113
// §6.5.3); c.wmu is held.
func (c *Conn) applySettingsLocked(list []http2.Setting) error {
	for _, s := range list {
		if err := s.Valid(); err != nil {
			if ce, ok := err.(http2.ConnectionError); ok {
				return connErr{http2.ErrCode(ce), "bad setting " + s.ID.String()}
			}
			return connErr{http2.ErrCodeProtocol, "bad setting"}
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			if err := c.setPeerWindow(int32(s.Val)); err != nil {
				return err
			}
		case http2.SettingMaxFrameSize:
			c.peerFrame.Store(s.Val)
		case http2.SettingHeaderTableSize:
			c.henc.SetMaxDynamicTableSizeLimit(min(s.Val, 4096))
		}
	}
	return nil
}

func (c *Conn) onPing(f *http2.PingFrame) error {
	if f.StreamID != 0 {
		return connErr{http2.ErrCodeProtocol, "PING on a stream"}
	}
	if f.IsAck() {
		// The server sends no PING: an acknowledgement is unasked.
		return c.limits.other.hit(c.cfg.MaxOtherPerSecond, defaultMaxOther)
	}
	if err := c.limits.pings.hit(c.cfg.MaxPingsPerSecond, defaultMaxPings); err != nil {
		return err
	}
	data := f.Data
	return c.writeFrames(func() error { return c.fr.WritePing(true, data) })
}

func (c *Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	if err := c.countWindowUpdate(); err != nil {
		return err
	}
	if f.StreamID == 0 {
		return c.addConnWindow(int64(f.Increment))
	}
	st, s := c.state(f.StreamID)
	switch s {
	case stIdle:
		return connErr{http2.ErrCodeProtocol, "WINDOW_UPDATE on an idle stream"}
	case stClosed:
		return nil
	}
	return c.addSendWindow(st, f.StreamID, int64(f.Increment))
}
