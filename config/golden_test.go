package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/golden/*.toml")

const goldenSep = "\n----------\n"

// TestGolden parses each testdata/golden/*.toml: the input, a line of ten
// dashes, then the expected dump of the Options, or the error text.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/golden/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(data), goldenSep)
			if !ok {
				t.Fatalf("no %q line", strings.TrimSpace(goldenSep))
			}
			got := parseOutput([]byte(input))
			if *update {
				if err := os.WriteFile(file, []byte(input+goldenSep+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("output differs (go test -run TestGolden -update rewrites it)\n--- got\n%s--- want\n%s", got, want)
			}
		})
	}
}

// parseOutput is what a golden file expects: the dump, or the errors.
func parseOutput(input []byte) string {
	o, err := Parse(input, "brick.toml")
	if err != nil {
		return err.Error() + "\n"
	}
	return dump(o)
}

// dump writes Options one field per line, leaving out zero values, with
// durations and sizes as they would be written.
func dump(o *Options) string {
	var b strings.Builder
	dumpStruct(&b, "", reflect.ValueOf(*o))
	return b.String()
}

var durationType = reflect.TypeOf(time.Duration(0))

func dumpStruct(b *strings.Builder, indent string, v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f, fv := v.Type().Field(i), v.Field(i)
		if !f.IsExported() || fv.IsZero() {
			continue
		}
		switch {
		case f.Anonymous && fv.Kind() == reflect.Struct:
			// An embedded struct's fields read as the outer one's, as in Go.
			dumpStruct(b, indent, fv)
		case fv.Type() == durationType:
			fmt.Fprintf(b, "%s%s: %v\n", indent, f.Name, fv.Interface())
		case fv.Kind() == reflect.Pointer:
			fmt.Fprintf(b, "%s%s:\n", indent, f.Name)
			dumpStruct(b, indent+"  ", fv.Elem())
		case fv.Kind() == reflect.Struct:
			fmt.Fprintf(b, "%s%s:\n", indent, f.Name)
			dumpStruct(b, indent+"  ", fv)
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			for j := 0; j < fv.Len(); j++ {
				fmt.Fprintf(b, "%s%s[%d]:\n", indent, f.Name, j)
				dumpStruct(b, indent+"  ", fv.Index(j))
			}
		case fv.Kind() == reflect.String:
			fmt.Fprintf(b, "%s%s: %q\n", indent, f.Name, fv.String())
		case fv.Kind() == reflect.Slice:
			fmt.Fprintf(b, "%s%s: %q\n", indent, f.Name, fv.Interface())
		default:
			fmt.Fprintf(b, "%s%s: %v\n", indent, f.Name, fv.Interface())
		}
	}
}
