package server

import (
	"io"
	"os"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

var _ web.FileSender = (*response)(nil)

// sendfileMin is the smallest part of a file worth a sendfile(2) call.
// Below it the bytes are read into the output buffer, so head and body go
// out in one write, which costs less than a write and a sendfile.
const sendfileMin = 32 << 10

// sendfileLead is how much of the file is copied into the head's write.
const sendfileLead = 512

var leadZeros [sendfileLead]byte

// SendFile writes n bytes of f from offset as body. When the response
// has a declared Content-Length and the part is large, the head and any
// gathered output are written first, then the transport sends the file
// straight from the page cache. Otherwise the bytes are read and written as by
// Write.
func (r *response) SendFile(f *os.File, offset, n int64) (int64, error) {
	if !r.wroteHeader {
		r.WriteHeader(200)
	}
	x := r.x
	switch {
	case r.done:
		return 0, ErrHijacked
	case x.writeErr != nil:
		return 0, x.writeErr
	case !wire.BodyAllowed(r.status):
		return 0, ErrBodyNotAllowed
	case n <= 0:
		return 0, nil
	}
	var err error
	if r.declared >= 0 && r.written+n > r.declared {
		n = r.declared - r.written
		err = ErrContentLength
	}
	if r.isHead {
		r.written += n
		return n, err
	}
	if r.declared < 0 || r.chunked || n < sendfileMin || x.c.srv.trace != nil {
		// Read straight into the output when the part fits where it
		// goes: the body held back (no more than pendingMax) or the
		// output behind a head with a known length.
		if n <= pendingMax && !r.chunked && (r.committed || len(x.pending)+int(n) <= pendingMax) {
			k, rerr := r.appendFile(f, offset, n)
			if rerr != nil {
				return k, rerr
			}
			return k, err
		}
		k, cerr := web.CopyFile(r, f, offset, n)
		if cerr != nil {
			return k, cerr
		}
		return k, err
	}
	if !r.committed {
		r.commit(false)
	}
	// The first bytes of the file go out in the same write as the head,
	// as net/http's do (it sniffs 512 bytes). Measured on loopback with
	// wrk: a head alone in its first segment cost the client more than
	// the copy costs here, for about 10% fewer 1 MiB responses a second.
	// (Holding the head back with MSG_MORE or TCP_CORK instead roughly
	// tripled the server's kernel time per response, as nginx's
	// tcp_nopush does.)
	lead := min(n, sendfileLead)
	start := len(x.out)
	x.out = append(x.out, leadZeros[:lead]...)
	if k, rerr := f.ReadAt(x.out[start:], offset); int64(k) < lead {
		x.out = x.out[:start]
		if rerr == nil || rerr == io.EOF {
			rerr = io.ErrUnexpectedEOF
		}
		return 0, rerr
	}
	sent, serr := x.c.t.sendFile(x.out, f, offset+lead, n-lead, x.set.to.Write)
	x.out = x.out[:0]
	r.flushed()
	if sent > 0 || serr == nil {
		sent += lead
	}
	r.written += sent
	if serr != nil {
		x.writeErr = serr
		return sent, serr
	}
	return sent, err
}

// appendFile reads n bytes of f at offset straight into the output: the
// pending body before the head is committed, else after it.
func (r *response) appendFile(f *os.File, offset, n int64) (int64, error) {
	x := r.x
	dst := &x.out
	if !r.committed {
		dst = &x.pending
	} else if len(x.out)+int(n) > flushAt {
		// Keep the output buffer within flushAt, as writeBody does.
		if err := x.flush(); err != nil {
			return 0, err
		}
	}
	start := len(*dst)
	if cap(*dst)-start < int(n) {
		nb := make([]byte, start, start+int(n)+start/2)
		copy(nb, *dst)
		*dst = nb
	}
	buf := (*dst)[start : start+int(n)]
	k, err := f.ReadAt(buf, offset)
	if k < int(n) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank
		}
		return 0, err
	}
	// Write copies from buf into the same place it already is: account
	// for the bytes without copying them twice.
	*dst = (*dst)[:start]
	k, err = r.Write(buf)
	return int64(k), err
}
