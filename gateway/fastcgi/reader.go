package fastcgi

import (
	"errors"
	"io"
)

// maxRecord is the longest record on the wire: header, content, padding.
const maxRecord = HeaderLen + MaxContent + 255

// Reader reads records from a stream into one buffer it keeps, so that
// reading costs no allocation. A record's content is a view of the buffer,
// valid until the next call to Next.
type Reader struct {
	r          io.Reader
	buf        []byte
	start, end int
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: r, buf: make([]byte, maxRecord)}
}

// Reset makes rd read from r, dropping what it had buffered.
func (rd *Reader) Reset(r io.Reader) {
	rd.r, rd.start, rd.end = r, 0, 0
}

// Buffered is the number of bytes read from the stream and not yet
// returned. A relay flushes its client when nothing more is buffered:
// what it has is all the application sent so far.
func (rd *Reader) Buffered() int { return rd.end - rd.start }

// ErrTruncated is returned when the stream ends inside a record.
var ErrTruncated = errors.New("fastcgi: connection closed in the middle of a record")

// Next returns the next record: its header and content, padding skipped.
// At a clean end of the stream, between records, it returns io.EOF.
func (rd *Reader) Next() (Header, []byte, error) {
	if err := rd.fill(HeaderLen); err != nil {
		return Header{}, nil, err
	}
	h, err := ParseHeader(rd.buf[rd.start:])
	if err != nil {
		return h, nil, err
	}
	n := HeaderLen + int(h.ContentLength) + int(h.PaddingLength)
	if err := rd.fill(n); err != nil {
		if err == io.EOF {
			err = ErrTruncated
		}
		return h, nil, err
	}
	c := rd.buf[rd.start+HeaderLen : rd.start+HeaderLen+int(h.ContentLength)]
	rd.start += n
	if h.Type == TypeEndRequest && len(c) != 8 {
		return h, nil, ErrEndRequest
	}
	return h, c[:len(c):len(c)], nil
}

// fill makes at least n bytes available from start (n <= maxRecord). A
// stream that ends before n bytes gives io.EOF when nothing of them was
// read, else ErrTruncated.
func (rd *Reader) fill(n int) error {
	if rd.end-rd.start >= n {
		return nil
	}
	if rd.start+n > len(rd.buf) {
		// Move the partial record to the front; it fits, being one record.
		rd.end = copy(rd.buf, rd.buf[rd.start:rd.end])
		rd.start = 0
	}
	for empty := 0; rd.end-rd.start < n; {
		m, err := rd.r.Read(rd.buf[rd.end:])
		rd.end += m
		if rd.end-rd.start >= n {
			return nil
		}
		if err != nil {
			if err == io.EOF && rd.end > rd.start {
				return ErrTruncated
			}
			return err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty == 100 {
			// A reader that returns 0, nil forever would spin here
			// (bufio's bound).
			return io.ErrNoProgress
		}
	}
	return nil
}
