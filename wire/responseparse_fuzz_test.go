package wire

import (
	"bufio"
	"bytes"
	"errors"
	"net/http"
	"testing"
)

// FuzzParseResponse checks that ParseResponse gives the same verdict on
// a head whole and cut at every length before its end (ErrNeedMore or the
// same error, never a different acceptance), that an accepted head's
// framing is consistent, and that whenever it accepts a head net/http
// accepts it too with the same status and, for a length-delimited body,
// the same length: the two disagreeing on framing is a response-splitting
// risk in a proxy.
func FuzzParseResponse(f *testing.F) {
	for _, tc := range responseTests {
		f.Add([]byte(tc.raw))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4<<10 {
			return
		}
		var p ReceivedResponse
		n, err := ParseResponse(&p, data, nil)
		for cut := range len(data) {
			if n > 0 && cut >= n {
				break
			}
			var q ReceivedResponse
			_, e := ParseResponse(&q, data[:cut], nil)
			if e != ErrNeedMore && (err == nil || !errors.Is(e, err)) {
				if err == nil || err == ErrNeedMore {
					t.Fatalf("prefix of %d bytes: %v; whole: %v", cut, e, err)
				}
			}
		}
		if err != nil {
			var we *Error
			if err != ErrNeedMore && !errors.As(err, &we) {
				t.Fatalf("error %v is neither ErrNeedMore nor *Error", err)
			}
			return
		}
		if n <= 0 || n > len(data) {
			t.Fatalf("head length %d of %d bytes", n, len(data))
		}
		fr := p.Framing(false)
		if fr == CloseBody && !p.Close {
			t.Fatal("CloseBody without Close")
		}
		if p.Chunked && p.ContentLength != -1 {
			t.Fatal("chunked with a length")
		}
		resp, herr := http.ReadResponse(bufio.NewReader(bytes.NewReader(data[:n])), nil)
		if herr != nil {
			// net/http is more lenient in places, never stricter on a
			// head Brick accepts, except where Brick's reading is the
			// RFC's: a 1xx is not for ReadResponse's caller.
			// RFC 9112 §6.3 item 4 reads a final coding other than
			// chunked as "until close", where net/http refuses; RFC 9110
			// §8.6 allows a list of equal Content-Length values.
			if p.Status >= 200 && !p.teNotChunked && !bytes.Contains(p.Header.Get("Content-Length"), []byte(",")) {
				t.Fatalf("Brick accepted, net/http refused: %v", herr)
			}
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != p.Status {
			t.Fatalf("status %d, net/http %d", p.Status, resp.StatusCode)
		}
		if fr == LengthBody && resp.ContentLength != p.ContentLength {
			t.Fatalf("length %d, net/http %d", p.ContentLength, resp.ContentLength)
		}
	})
}
