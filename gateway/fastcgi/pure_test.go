package fastcgi_test

import (
	"go/parser"
	"go/token"
	"strconv"
	"testing"
)

// TestCodecPure keeps the record codec free of network, clock, log and
// file system: it is bytes in, bytes out, so that it can be fuzzed and
// reused (layering_test.go checks packages; this checks files).
func TestCodecPure(t *testing.T) {
	allowed := map[string]bool{"encoding/binary": true, "errors": true, "io": true}
	for _, file := range []string{"record.go", "reader.go", "writer.go"} {
		f, err := parser.ParseFile(token.NewFileSet(), file, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !allowed[path] {
				t.Errorf("%s imports %s; the codec may import only encoding/binary, errors and io", file, path)
			}
		}
	}
}
