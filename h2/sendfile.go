package h2

import (
	"io"
	"os"

	"github.com/brick-server/brick/internal/bufpool"
	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Files. A part of a file is read straight into whole DATA frames, laid
// out one after the other in a pooled buffer behind their frame headers,
// and the buffer goes to the connection as it is: the bytes are copied
// once, by the read, as over HTTP/1.1 with TLS (where sendfile(2) cannot
// encrypt either), instead of once into the handler's buffer and again
// into the connection's. Over TLS each frame fills one record
// (maxData). The buffer is taken once window is granted and given back
// after its write, so a stream waiting for window holds none.

// fileBatch is the size of the buffer a stream reads a file into: four
// TLS records, as many bytes as HTTP/1.1 reads per write (server's
// flushAt), in one write under the write lock.
const fileBatch = 64 << 10

var _ web.FileSender = (*response)(nil)

// SendFile writes n bytes of f from offset as body (web.FileSender). A
// part that fits what Write would hold back is read into it; a larger one
// goes out as DATA frames read straight from the file, the head first.
// When the part completes a declared Content-Length and no trailers are
// declared, its last frame ends the stream.
func (r *response) SendFile(f *os.File, offset, n int64) (int64, error) {
	if !r.wroteHeader {
		r.WriteHeader(200)
	}
	switch {
	case r.done:
		return 0, errDone
	case !wire.BodyAllowed(r.status):
		return 0, web.ErrBodyNotAllowed
	case n <= 0:
		return 0, nil
	}
	var err error
	if r.declared >= 0 && r.written+n > r.declared {
		n = r.declared - r.written
		err = web.ErrContentLength
	}
	if r.isHead {
		r.written += n
		return n, err
	}
	c := r.st.c
	limit := pendingMax
	if r.headerSent || r.declared >= 0 {
		// Beyond a frame the bytes would go out as frames anyway.
		limit = c.maxData()
	}
	if len(r.pending)+int(n) <= limit {
		k, rerr := r.appendFile(f, offset, n)
		if rerr != nil {
			return k, rerr
		}
		return k, err
	}
	// The head goes out with the first frames, in the same write, unless
	// body bytes held back must go between them.
	var head *headerSpec
	if !r.headerSent && len(r.pending) == 0 {
		spec := r.headSpec(false)
		head = &spec
		r.headerSent = true
	}
	if !r.headerSent {
		if werr := r.sendHead(false); werr != nil {
			return 0, werr
		}
	}
	if len(r.pending) > 0 {
		werr := r.st.sendData(r.pending, false)
		r.pending = r.pending[:0]
		if werr != nil {
			return 0, werr
		}
	}
	end := r.declared >= 0 && r.written+n == r.declared && r.trailerNames() == nil
	sent, serr := r.st.sendFile(f, offset, n, end, r, head)
	r.written += sent
	if serr != nil {
		return sent, serr
	}
	r.ended = end
	return sent, err
}

// appendFile reads n bytes of f at offset onto the pending body, then
// accounts for them as Write does, which finds them already in place.
func (r *response) appendFile(f *os.File, offset, n int64) (int64, error) {
	start := len(r.pending)
	if cap(r.pending)-start < int(n) {
		nb := make([]byte, start, start+int(n))
		copy(nb, r.pending)
		r.pending = nb
	}
	buf := r.pending[start : start+int(n)]
	if k, err := f.ReadAt(buf, offset); k < int(n) {
		return 0, shortRead(err)
	}
	r.pending = r.pending[:start]
	k, err := r.Write(buf)
	return int64(k), err
}

// shortRead is the error of a read that returned less than the file
// promised: the file shrank.
func shortRead(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// sendFile sends n bytes of f from offset as DATA frames, the last with
// END_STREAM when end is set; head, when set, is r's head to send first.
// r sees the first bytes when tracing.
func (st *stream) sendFile(f *os.File, offset, n int64, end bool, r *response, head *headerSpec) (int64, error) {
	c := st.c
	var sent int64
	for sent < n {
		// The first batch leaves room in front for the head, so that
		// head and frames go in one write and fill whole records. A head
		// does not wait for window: when there is none, it goes alone.
		var beforeWait func() error
		if head != nil {
			beforeWait = func() error {
				err := st.sendHeaders(&r.header, *head, false)
				head = nil
				return err
			}
		}
		frame := c.maxData()
		most := batchPayload(frame, fileBatch-headRoom-payloadBase)
		if head == nil {
			most = batchPayload(frame, fileBatch-payloadBase)
		}
		k, err := st.reserveUpTo(int(min(n-sent, int64(most))), most, beforeWait)
		if err != nil {
			if head != nil {
				r.headerSent = false
			}
			return sent, err
		}
		base := payloadBase
		if head != nil {
			base += headRoom
		}
		if err := st.takeFileBuf(); err != nil {
			st.unreserve(k)
			if head != nil {
				r.headerSent = false
			}
			return sent, err
		}
		// The frames' payloads are read behind their headers, in one
		// call.
		buf := bufpool.Get(fileBatch)[:base]
		var iovs [maxBatchFrames][]byte
		frames := 0
		for done := 0; done < k; frames++ {
			m := min(frame, k-done, fileBatch-len(buf)-frameHeaderLen)
			hdr := len(buf)
			buf = buf[:hdr+frameHeaderLen+m]
			done += m
			putFrameHeader(buf[hdr:], m, end && sent+int64(done) == n, st.id)
			iovs[frames] = buf[hdr+frameHeaderLen:]
		}
		if got, rerr := readFrames(f, iovs[:frames], offset+sent); got < k {
			bufpool.Put(buf)
			st.releaseFileBuf()
			st.unreserve(k)
			if head != nil {
				r.headerSent = false // an error response can still go
			}
			return sent, shortRead(rerr)
		}
		if c.cfg.Trace != nil && len(r.traceBody) < traceBodyMax {
			// The first frame's payload is enough (traceBodyMax).
			p := buf[base+frameHeaderLen : min(len(buf), base+frameHeaderLen+frame)]
			r.traceBody = append(r.traceBody, p[:min(len(p), traceBodyMax-len(r.traceBody))]...)
		}
		last := end && sent+int64(k) == n
		err = c.writeFrames(func() error {
			if head != nil {
				c.encodeLocked(&r.header, *head)
				if err := c.writeHeadersLocked(st.id, false); err != nil {
					return err
				}
			}
			if last {
				st.markLocalDone()
			}
			return c.writeOutLocked(buf, base)
		})
		bufpool.Put(buf)
		st.releaseFileBuf()
		head = nil
		if err != nil {
			return sent, err
		}
		sent += int64(k)
	}
	return sent, nil
}

// fileBufs bounds the batch buffers a connection's streams hold at once:
// one being written, one being read. The window is taken first, so a
// stream whose window is shut holds none; past the bound, streams wait
// for a buffer rather than each hold one while the connection's writes
// wait on a slow client.
const fileBufs = 2

// takeFileBuf waits for the right to hold a batch buffer; it fails when
// the stream is reset or the connection closes.
func (st *stream) takeFileBuf() error {
	c := st.c
	for {
		c.mu.Lock()
		if st.reset != nil || c.closing {
			err := st.reset
			delete(c.fileWaiters, st)
			c.mu.Unlock()
			if err == nil {
				err = errConnClosed
			}
			return err
		}
		if c.fileBufs < fileBufs {
			c.fileBufs++
			delete(c.fileWaiters, st)
			c.mu.Unlock()
			return nil
		}
		if c.fileWaiters == nil {
			c.fileWaiters = make(map[*stream]struct{})
		}
		c.fileWaiters[st] = struct{}{}
		c.mu.Unlock()
		<-st.wake
	}
}

// releaseFileBuf gives the right back and wakes the streams waiting for
// it, which try again.
func (st *stream) releaseFileBuf() {
	c := st.c
	c.mu.Lock()
	c.fileBufs--
	for w := range c.fileWaiters {
		w.wakeLocked()
	}
	c.mu.Unlock()
}

// payloadBase is where a batch's first frame header goes: its payload
// then starts on a cache line (the buffer is page-aligned), and so does
// every later one over TLS (a frame and its header are one record, 16384
// bytes), so the kernel copies the file to aligned destinations, as
// into HTTP/1.1's read buffer, not 9 bytes off.
const payloadBase = 64 - frameHeaderLen

// headRoom is the room a first batch leaves for the head (and whatever
// else is waiting in c.out): a static file's head is a few hundred bytes
// at first and a few dozen once the HPACK table knows its fields.
const headRoom = 1 << 10

// maxBatchFrames bounds the frames in a batch: a frame carries at least
// maxData's smallest, a TLS record less its frame header.
const maxBatchFrames = fileBatch/(tlsRecord-frameHeaderLen) + 1

// batchPayload is how many payload bytes fit in room bytes of frames of
// up to frame bytes, each behind its header.
func batchPayload(frame, room int) int {
	p := 0
	for room > frameHeaderLen {
		m := min(frame, room-frameHeaderLen)
		p += m
		room -= frameHeaderLen + m
	}
	return p
}

// putFrameHeader writes a DATA frame's header for a payload of n bytes.
func putFrameHeader(b []byte, n int, end bool, id uint32) {
	var flags byte
	if end {
		flags = 0x1 // END_STREAM
	}
	_ = b[frameHeaderLen-1]
	b[0], b[1], b[2], b[3], b[4] = byte(n>>16), byte(n>>8), byte(n), 0x0, flags
	b[5], b[6], b[7], b[8] = byte(id>>24), byte(id>>16), byte(id>>8), byte(id)
}

// writeOutLocked writes the frames in buf[base:], ready as they are,
// behind what c.out holds, in one write with it when it fits in front of
// them (base) or both fit the output buffer, else after it; the frames
// are not copied.
func (c *Conn) writeOutLocked(buf []byte, base int) error {
	frames := buf[base:]
	switch n := len(c.out); {
	case n == 0:
	case n <= base:
		copy(buf[base-n:], c.out)
		bufpool.Put(c.out)
		c.out = nil
		frames = buf[base-n:]
	case n+len(frames) <= ioBufSize:
		c.out = append(c.out, frames...)
		return c.flushOutLocked(nil)
	default:
		if err := c.flushOutLocked(nil); err != nil {
			return err
		}
	}
	_, err := c.writeSocket(frames)
	return err
}
