package router

import "io"

// limitedBody bounds a request body: reading past left bytes fails with
// a 413 *web.HandlerError, as http.MaxBytesReader does with its own error.
type limitedBody struct {
	r       io.Reader
	left    int64
	tripped bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.tripped {
		return 0, errTooLarge
	}
	if len(p) == 0 {
		return 0, nil
	}
	// Ask for one byte more than is left: getting it is how the body is
	// known to be too long, without waiting for a read past the limit.
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	if int64(n) > b.left {
		n = int(b.left)
		b.left = 0
		b.tripped = true
		return n, errTooLarge
	}
	b.left -= int64(n)
	return n, err
}
