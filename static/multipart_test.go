package static_test

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"testing"
)

func readMultipart(t *testing.T, ctype string, body []byte) [][]byte {
	t.Helper()
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil || mt != "multipart/byteranges" {
		t.Fatalf("Content-Type %q: %v", ctype, err)
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var parts [][]byte
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return parts
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.Header.Get("Content-Range") == "" {
			t.Errorf("part without Content-Range")
		}
		b, _ := io.ReadAll(p)
		parts = append(parts, b)
	}
}
