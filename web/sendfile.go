package web

import (
	"io"
	"os"
)

// FileSender is implemented by writers that can send part of a file
// without copying it through the process (sendfile(2) on a plain TCP
// socket). SendFile writes n bytes of f starting at offset as response
// body and returns how many it wrote. It never moves f's file offset.
type FileSender interface {
	SendFile(f *os.File, offset, n int64) (int64, error)
}

// SendFile writes n bytes of f starting at offset to w as response body:
// through the first FileSender on w's Unwrap chain, else by reading f and
// writing what it read. The response should declare its Content-Length
// first; a writer that must stream the body (chunked) copies instead.
func SendFile(w ResponseWriter, f *os.File, offset, n int64) (int64, error) {
	for cur := w; ; {
		switch t := cur.(type) {
		case FileSender:
			return t.SendFile(f, offset, n)
		case Unwrapper:
			cur = t.Unwrap()
			continue
		}
		break
	}
	return CopyFile(w, f, offset, n)
}

// CopyFile writes n bytes of f starting at offset to w by reading them
// into a buffer; it is SendFile's fallback, for writers without the
// ability. A file shorter than offset+n is io.ErrUnexpectedEOF.
func CopyFile(w ResponseWriter, f *os.File, offset, n int64) (int64, error) {
	buf := make([]byte, min(n, 64<<10))
	var done int64
	for done < n {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), n-done)], offset+done)
		if k > 0 {
			m, werr := w.Write(buf[:k])
			done += int64(m)
			if werr != nil {
				return done, werr
			}
		}
		if err != nil && done < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return done, err
		}
	}
	return done, nil
}
