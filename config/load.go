package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Load reads and parses the configuration file at path (see Parse), then
// makes its relative paths (static and cgi roots, wsgi chdir, a python given as a
// path, the access log file) relative to the file's directory, so that the
// file means the same whatever the working directory.
func Load(path string) (*Options, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	o, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	o.resolve(filepath.Dir(path))
	return o, nil
}

// Parse decodes a configuration file, fills in the defaults and validates
// the result. filename is only used in messages. On any problem it
// returns no options and a *Errors with every problem found, each with its
// line: TOML syntax, unknown keys, values of the wrong type, and what
// Validate refuses. Relative paths are left as written.
func Parse(data []byte, filename string) (*Options, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff")) // a byte order mark some editors write
	var tree map[string]any
	if err := toml.Unmarshal(data, &tree); err != nil {
		return nil, asError([]*Error{syntaxError(filename, err)})
	}
	d := &decoder{file: filename, pos: indexPositions(data)}
	o := d.options(tree)
	o.Provision()
	errs := d.errs
	broken := map[string]bool{}
	for _, e := range d.errs {
		if e.decoded {
			broken[e.key.id()] = true
		}
	}
	for _, e := range o.validate() {
		if !explained(e, broken) {
			errs = append(errs, e)
		}
	}
	if err := asError(errs); err != nil {
		return nil, err
	}
	return o, nil
}

func syntaxError(filename string, err error) *Error {
	e := &Error{File: filename, Message: strings.TrimPrefix(err.Error(), "toml: "), decoded: true}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		e.Line, e.Column = de.Position()
	}
	return e
}

// resolve makes relative paths relative to dir.
func (o *Options) resolve(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	switch o.Log.Access {
	case "off", "stderr", "stdout":
	default:
		abs(&o.Log.Access)
	}
	abs(&o.TLS.ACMECARoot)
	abs(&o.TLS.Storage)
	for i := range o.Sites {
		if t := o.Sites[i].TLS; t != nil && t.Mode == TLSFiles {
			abs(&t.Cert)
			abs(&t.Key)
		}
		for j := range o.Sites[i].Routes {
			r := &o.Sites[i].Routes[j]
			if r.Static != nil {
				abs(&r.Static.Root)
			}
			if r.CGI != nil {
				abs(&r.CGI.Root)
				abs(&r.CGI.TempDir)
			}
			if r.PHP != nil {
				abs(&r.PHP.Root)
			}
			if r.Proxy != nil {
				abs(&r.Proxy.CA)
			}
			if r.WSGI != nil {
				abs(&r.WSGI.Dir)
				if strings.Contains(r.WSGI.Python, "/") {
					abs(&r.WSGI.Python)
				}
			}
			if r.ASGI != nil {
				abs(&r.ASGI.Dir)
				if strings.Contains(r.ASGI.Python, "/") {
					abs(&r.ASGI.Python)
				}
			}
		}
	}
}
