package wire

import "strconv"

// ResponseHead describes a response head for AppendResponseHead. The
// server decides the framing fields; Header carries the handler's fields.
type ResponseHead struct {
	Status int
	// Header holds the handler's fields. Content-Length, Transfer-Encoding
	// and Connection in it are skipped: framing is the server's decision,
	// made into the fields below.
	Header *Header
	// Date is the value of the Date field, formatted by the caller (the codec
	// has no clock); it is left out when empty or when Header has a Date.
	Date []byte
	// ContentLength is written when >= 0.
	ContentLength int64
	// Chunked adds "Transfer-Encoding: chunked".
	Chunked bool
	// Close adds "Connection: close"; KeepAlive adds "Connection:
	// keep-alive", which an HTTP/1.0 client needs to keep the connection.
	Close, KeepAlive bool
}

// AppendResponseHead appends a response head, up to and including the blank
// line. Field names that are not tokens are dropped and CR, LF and NUL in
// values become spaces, so a handler cannot split the response.
func AppendResponseHead(dst []byte, rh *ResponseHead) []byte {
	dst = AppendStatusLine(dst, rh.Status)
	hasDate := false
	if rh.Header != nil {
		for _, f := range rh.Header.fields {
			switch len(f.Name) {
			case 4:
				hasDate = hasDate || EqualFold(f.Name, "Date")
			case 10:
				if EqualFold(f.Name, "Connection") {
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
		dst = append(dst, "Date: "...)
		dst = append(dst, rh.Date...)
		dst = append(dst, '\r', '\n')
	}
	if rh.ContentLength >= 0 {
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, rh.ContentLength, 10)
		dst = append(dst, '\r', '\n')
	}
	if rh.Chunked {
		dst = append(dst, "Transfer-Encoding: chunked\r\n"...)
	}
	switch {
	case rh.Close:
		dst = append(dst, "Connection: close\r\n"...)
	case rh.KeepAlive:
		dst = append(dst, "Connection: keep-alive\r\n"...)
	}
	return append(dst, '\r', '\n')
}

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
