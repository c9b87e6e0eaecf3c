package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// CheckPaths looks at the machine: every static, cgi and php root and
// every wsgi chdir must be an existing directory, a wsgi python given as a
// path an executable file, and the access log's directory must exist;
// each site's certificate and key must load, match and cover the site's
// hosts. It returns a *Errors
// with the line of each problem, or nil. The command calls it before
// applying a configuration; `brick validate` reports it too.
func (o *Options) CheckPaths() error {
	v := &validator{o: o}
	dir := func(p path, line int, what, name string) {
		fi, err := os.Stat(name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			v.errorf(p, line, "%s %s does not exist", what, name)
		case err != nil:
			v.errorf(p, line, "%s: %v", what, err)
		case !fi.IsDir():
			v.errorf(p, line, "%s %s is not a directory", what, name)
		}
	}
	switch a := o.Log.Access; a {
	case "off", "stderr", "stdout", "":
	default:
		dir(path{"log", "access"}, 0, "the directory of log.access", filepath.Dir(a))
	}
	for i, s := range o.Sites {
		for j, r := range s.Routes {
			p := path{"site"}.index(i).field("route").index(j)
			if r.Static != nil && r.Static.Root != "" {
				dir(p.field("static").field("root"), r.Line, "static root", r.Static.Root)
			}
			if r.CGI != nil && r.CGI.Root != "" {
				dir(p.field("cgi").field("root"), r.Line, "cgi root", r.CGI.Root)
			}
			if r.PHP != nil && r.PHP.Root != "" {
				dir(p.field("php").field("root"), r.Line, "php root", r.PHP.Root)
			}
			python := func(kind, chdir, py string) {
				if chdir != "" {
					dir(p.field(kind).field("chdir"), r.Line, kind+" chdir", chdir)
				}
				if strings.Contains(py, "/") {
					fi, err := os.Stat(py)
					switch {
					case err != nil:
						v.errorf(p.field(kind).field("python"), r.Line, "%s python: %v", kind, err)
					case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
						v.errorf(p.field(kind).field("python"), r.Line, "%s python %s is not an executable file", kind, py)
					}
				}
			}
			if w := r.WSGI; w != nil {
				python("wsgi", w.Dir, w.Python)
			}
			if a := r.ASGI; a != nil {
				python("asgi", a.Dir, a.Python)
			}
		}
	}
	v.checkTLS()
	return asError(v.errs)
}

// CheckHandlers reports every route whose handler name registered does
// not know, with its line: a program that uses Brick as a library passes
// the lookup of its handler table. It returns a *Errors or nil.
func (o *Options) CheckHandlers(registered func(name string) bool) error {
	v := &validator{o: o}
	for i, s := range o.Sites {
		for j, r := range s.Routes {
			if r.Handler != "" && !registered(r.Handler) {
				p := path{"site"}.index(i).field("route").index(j).field("handler")
				v.errorf(p, r.Line, "no Go handler is registered as %q", r.Handler)
			}
		}
	}
	return asError(v.errs)
}
