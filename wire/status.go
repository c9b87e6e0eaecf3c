package wire

import "strconv"

// statusText holds the reason phrases of RFC 9110 §15 and a few common
// extensions.
var statusText = map[int]string{
	100: "Continue", 101: "Switching Protocols", 103: "Early Hints",
	200: "OK", 201: "Created", 202: "Accepted", 203: "Non-Authoritative Information",
	204: "No Content", 205: "Reset Content", 206: "Partial Content", 207: "Multi-Status",
	300: "Multiple Choices", 301: "Moved Permanently", 302: "Found", 303: "See Other",
	304: "Not Modified", 305: "Use Proxy", 307: "Temporary Redirect", 308: "Permanent Redirect",
	400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden",
	404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
	407: "Proxy Authentication Required", 408: "Request Timeout", 409: "Conflict",
	410: "Gone", 411: "Length Required", 412: "Precondition Failed", 413: "Content Too Large",
	414: "URI Too Long", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
	417: "Expectation Failed", 421: "Misdirected Request", 422: "Unprocessable Content",
	425: "Too Early", 426: "Upgrade Required", 428: "Precondition Required",
	429: "Too Many Requests", 431: "Request Header Fields Too Large",
	451: "Unavailable For Legal Reasons",
	500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
	503: "Service Unavailable", 504: "Gateway Timeout", 505: "HTTP Version Not Supported",
	507: "Insufficient Storage", 511: "Network Authentication Required",
}

// StatusText returns the reason phrase for code, or "" when it has none.
func StatusText(code int) string { return statusText[code] }

// statusLines caches "HTTP/1.1 NNN Reason\r\n" for every code 100–599 so
// writing a status line is one copy.
var statusLines = func() (t [500][]byte) {
	for code := 100; code < 600; code++ {
		t[code-100] = []byte("HTTP/1.1 " + strconv.Itoa(code) + " " + statusText[code] + "\r\n")
	}
	return t
}()

// AppendStatusLine appends the status line for code. Brick always answers
// with HTTP/1.1, its highest version (RFC 9110 §6.2), also to 1.0 clients.
// A status-code is any three digits (RFC 9112 §4); one outside 100–999 is
// written as 500. Codes above 599 have no class and no reason phrase,
// which RFC 9112 §4 allows to be empty; net/http sends them too.
func AppendStatusLine(dst []byte, code int) []byte {
	switch {
	case code < 100 || code > 999:
		code = 500
	case code > 599:
		dst = append(dst, "HTTP/1.1 "...)
		dst = strconv.AppendInt(dst, int64(code), 10)
		return append(dst, ' ', '\r', '\n')
	}
	return append(dst, statusLines[code-100]...)
}

// AppendStatusLineReason appends the status line for code with the
// reason phrase given, as a gateway passes on its application's ("299
// Custom Reason"). A reason that is empty or not a valid reason-phrase
// (RFC 9112 §4: HTAB, SP and visible characters; no CR or LF that would
// split the head) gives the standard line of AppendStatusLine.
func AppendStatusLineReason(dst []byte, code int, reason []byte) []byte {
	if len(reason) == 0 || code < 100 || code > 999 || !IsFieldValue(reason) {
		return AppendStatusLine(dst, code)
	}
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ' ')
	dst = append(dst, reason...)
	return append(dst, '\r', '\n')
}

// BodyAllowed reports whether a response with this status may carry a body
// (RFC 9110 §6.4.1): not 1xx, 204 or 304.
func BodyAllowed(code int) bool {
	return code >= 200 && code != 204 && code != 304
}
