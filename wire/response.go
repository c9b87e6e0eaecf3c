package wire

import "strconv"

// ResponseHead describes a response head for AppendResponseHead. The
// server decides the framing fields; Header carries the handler's fields.
type ResponseHead struct {
	// Status is the status code; one outside 100–999 is written as 500.
	Status int
	// Reason is the reason phrase; empty (or invalid) means the standard
	// one for Status. See AppendStatusLineReason.
	Reason []byte
	// Header holds the handler's fields. Content-Length, Transfer-Encoding
	// and Connection in it are skipped: framing is the server's decision,
	// made into the fields below. The exception is Connection in a 101
	// response, which carries the "upgrade" option of a protocol switch.
	Header *Header
	// Date is the value of the Date field, formatted by the caller (the codec
	// has no clock); it is left out when empty or when Header has a Date.
	Date []byte
	// ContentLength is written when >= 0 and Chunked is false.
	ContentLength int64
	// Chunked adds "Transfer-Encoding: chunked" and suppresses
	// Content-Length, which RFC 9112 §6.1 forbids next to it.
	Chunked bool
	// Close adds "Connection: close"; KeepAlive adds "Connection:
	// keep-alive", which an HTTP/1.0 client needs to keep the connection.
	Close, KeepAlive bool
}

// AppendResponseHead appends a response head, up to and including the blank
// line. Field names that are not tokens are dropped and CR, LF and NUL in
// values become spaces, so a handler cannot split the response. A 1xx or
// 204 response gets neither Content-Length nor Transfer-Encoding: it has no
// body, and RFC 9110 §8.6 and RFC 9112 §6.1 forbid both there.
func AppendResponseHead(dst []byte, rh *ResponseHead) []byte {
	status := rh.Status
	if status < 100 || status > 999 {
		status = 500 // as AppendStatusLine writes it
	}
	dst = AppendStatusLineReason(dst, status, rh.Reason)
	hasDate := false
	if rh.Header != nil {
		for _, f := range rh.Header.fields {
			switch len(f.Name) {
			case 4:
				hasDate = hasDate || EqualFold(f.Name, "Date")
			case 10:
				// A 101 needs the handler's "Connection: upgrade"
				// (RFC 9110 §7.8); elsewhere Close and KeepAlive decide.
				if status != 101 && EqualFold(f.Name, "Connection") {
					continue
				}
			case 14:
				if EqualFold(f.Name, "Content-Length") {
					continue
				}
			case 17:
				if EqualFold(f.Name, "Transfer-Encoding") {
					continue
				}
			}
			dst = appendField(dst, f.Name, f.Value)
		}
	}
	if !hasDate && len(rh.Date) > 0 {
		dst = appendField(dst, dateName, rh.Date)
	}
	framed := status >= 200 && status != 204
	switch {
	case !framed:
	case rh.Chunked:
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	case rh.ContentLength >= 0:
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, rh.ContentLength, 10)
		dst = append(dst, '\r', '\n')
	}
	switch {
	case rh.Close:
		dst = append(dst, "Connection: close\r\n"...)
	case rh.KeepAlive:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	return append(dst, '\r', '\n')
}

var dateName = []byte("Date")

// appendField appends one field line, dropping it when the name is not a
// token and replacing CR, LF and NUL in the value.
func appendField(dst, name, value []byte) []byte {
	if !IsToken(name) {
		return dst
	}
	dst = append(dst, name...)
	dst = append(dst, ':', ' ')
	start := len(dst)
	dst = append(dst, value...)
	for i, c := range dst[start:] {
		if c == '\r' || c == '\n' || c == 0 {
			dst[start+i] = ' '
		}
	}
	return append(dst, '\r', '\n')
}
