package fastcgi

import "errors"

// AppendBeginRequest appends a BEGIN_REQUEST record for the responder
// role (§5.1).
func AppendBeginRequest(dst []byte, id uint16, flags uint8) []byte {
	dst = AppendHeader(dst, TypeBeginRequest, id, 8, 0)
	return append(dst, 0, RoleResponder, flags, 0, 0, 0, 0, 0)
}

// AppendStream appends p as records of the stream typ (STDIN, PARAMS,
// STDOUT...), each at most MaxContent long. An empty p appends the empty
// record that ends the stream (§3.3).
func AppendStream(dst []byte, typ uint8, id uint16, p []byte) []byte {
	for {
		n := min(len(p), MaxContent)
		dst = AppendHeader(dst, typ, id, n, 0)
		dst = append(dst, p[:n]...)
		p = p[n:]
		if len(p) == 0 {
			return dst
		}
	}
}

// ErrPairTooLong is returned for a name-value pair longer than a record
// can hold: PHP-FPM reads each PARAMS record's pairs on their own, so a
// pair may not span two records (a request header of nearly 64 KiB).
var ErrPairTooLong = errors.New("fastcgi: a parameter is longer than a record holds")

// Params collects the name-value pairs of a request and frames them as
// PARAMS records, each holding whole pairs. It implements cgienv.Sink
// (Add copies what it is given). The zero value is ready to use; Reset
// keeps its memory for the next request.
type Params struct {
	buf  []byte // encoded pairs
	ends []int  // the end of each pair in buf
	err  error
}

// Reset empties p.
func (p *Params) Reset() {
	p.buf, p.ends, p.err = p.buf[:0], p.ends[:0], nil
}

// Add appends a pair. A pair too long for a record is remembered as
// ErrPairTooLong, which AppendRecords returns.
func (p *Params) Add(name, value []byte) {
	if PairLen(len(name), len(value)) > MaxContent {
		p.err = ErrPairTooLong
		return
	}
	p.buf = AppendPair(p.buf, name, value)
	p.ends = append(p.ends, len(p.buf))
}

// AddString is Add for strings.
func (p *Params) AddString(name, value string) {
	if PairLen(len(name), len(value)) > MaxContent {
		p.err = ErrPairTooLong
		return
	}
	p.buf = appendPairLen(p.buf, len(name))
	p.buf = appendPairLen(p.buf, len(value))
	p.buf = append(p.buf, name...)
	p.buf = append(p.buf, value...)
	p.ends = append(p.ends, len(p.buf))
}

// AppendRecords appends the pairs as PARAMS records of request id,
// followed by the empty record that ends the stream.
func (p *Params) AppendRecords(dst []byte, id uint16) ([]byte, error) {
	if p.err != nil {
		return dst, p.err
	}
	start := 0
	for i := 0; i < len(p.ends); {
		// Take as many whole pairs as fit in one record.
		j := i
		for j < len(p.ends) && p.ends[j]-start <= MaxContent {
			j++
		}
		end := p.ends[j-1]
		dst = AppendHeader(dst, TypeParams, id, end-start, 0)
		dst = append(dst, p.buf[start:end]...)
		start, i = end, j
	}
	return AppendHeader(dst, TypeParams, id, 0, 0), nil
}
