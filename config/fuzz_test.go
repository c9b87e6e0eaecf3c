package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary files to Parse: it must not panic; it either
// returns a *Errors whose items point inside the file, or Options that
// pass Validate and keep the promises Validate makes.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.toml")
	golden, _ := filepath.Glob("testdata/golden/*.toml")
	for _, file := range append(files, golden...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		input, _, _ := bytes.Cut(data, []byte(goldenSep))
		f.Add(input)
	}
	f.Add([]byte(route(`path = "/"` + "\nhandler = \"h\"")))
	f.Add([]byte("[[site]]\n[[site.route]]\n[[site]]\n[[site.route]]\n"))
	f.Add([]byte("a.b.c = 1\n[a]\n"))
	f.Add([]byte("site = [{route = [{path = \"/\", respond = {}}]}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Parse(data, "f.toml")
		if err != nil {
			if o != nil {
				t.Fatal("options returned with an error")
			}
			var errs *Errors
			if !errors.As(err, &errs) || len(errs.List) == 0 {
				t.Fatalf("error %T without problems: %v", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			for _, e := range errs.List {
				if e.Message == "" || e.File != "f.toml" || e.Line < 0 || e.Line > lines || e.Column < 0 {
					t.Fatalf("bad error %+v in a file of %d lines", e, lines)
				}
			}
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("Parse accepted options that Validate refuses: %v", err)
		}
		again, err := Parse(data, "f.toml")
		if err != nil || dump(again) != dump(o) {
			t.Fatalf("a second Parse differs: %v", err)
		}
		defaults := 0
		for _, s := range o.Sites {
			if s.Default {
				defaults++
			}
			for _, h := range s.Hosts {
				if h != strings.ToLower(h) || checkHost(h) != "" {
					t.Fatalf("host %q accepted", h)
				}
			}
			for _, r := range s.Routes {
				if len(r.actions()) != 1 || r.MaxBody <= 0 || !strings.HasPrefix(r.Path, "/") {
					t.Fatalf("route accepted: %+v", r)
				}
			}
		}
		if defaults > 1 || len(o.Sites) == 0 || len(o.Server.Listen) == 0 {
			t.Fatalf("options accepted: %+v", o)
		}
	})
}
