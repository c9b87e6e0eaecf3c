package wire

import "errors"

// ErrNeedMore reports that the input ended before a complete element; the
// caller should read more bytes and call again with the longer input.
var ErrNeedMore = errors.New("wire: need more input")

// Error is a protocol error: the request cannot be served, and Status is the
// response to send before closing the connection. Reason is fixed text that
// never contains bytes from the request, so it is safe to send to the client.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string { return "wire: " + e.Reason }

// Protocol errors, one per rejection rule; each names the rule it enforces.
var (
	ErrBadRequestLine     = &Error{400, "malformed request line"}
	ErrBadMethod          = &Error{400, "malformed method"}
	ErrBadTarget          = &Error{400, "malformed request target"}
	ErrBadVersion         = &Error{400, "malformed HTTP version"}
	ErrVersionUnsupported = &Error{505, "HTTP version not supported"}
	ErrTargetTooLong      = &Error{414, "request target too long"}
	ErrHeaderTooLarge     = &Error{431, "request header fields too large"}
	ErrTooManyHeaders     = &Error{431, "too many request header fields"}
	ErrBadHeaderName      = &Error{400, "malformed header field name"}
	ErrSpaceBeforeColon   = &Error{400, "whitespace before colon in header field"}
	ErrBadHeaderValue     = &Error{400, "invalid character in header field value"}
	ErrObsFold            = &Error{400, "obsolete line folding is not accepted"}
	ErrBareCR             = &Error{400, "bare CR in request head"}
	ErrMissingHost        = &Error{400, "missing Host header field"}
	ErrDuplicateHost      = &Error{400, "more than one Host header field"}
	ErrBadHost            = &Error{400, "invalid Host header field"}
	ErrBadContentLength   = &Error{400, "invalid Content-Length"}
	ErrConflictingLength  = &Error{400, "conflicting Content-Length values"}
	ErrTEAndCL            = &Error{400, "both Transfer-Encoding and Content-Length"}
	ErrTEOnHTTP10         = &Error{400, "Transfer-Encoding in an HTTP/1.0 request"}
	ErrChunkedNotLast     = &Error{400, "chunked is not the final transfer coding"}
	ErrBadTransferCoding  = &Error{400, "malformed Transfer-Encoding"}
	ErrUnknownTE          = &Error{501, "transfer coding not implemented"}
	ErrBadExpect          = &Error{417, "expectation not supported"}
	ErrBadChunk           = &Error{400, "malformed chunked encoding"}
	ErrChunkTooLarge      = &Error{413, "chunk size too large"}
	ErrChunkOverhead      = &Error{400, "too much chunked encoding overhead"}
	ErrBodyTooLarge       = &Error{413, "request body too large"}
	ErrTrailerTooLarge    = &Error{431, "trailer section too large"}
)
