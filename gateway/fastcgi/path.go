package fastcgi

import (
	"os"
	"strings"
)

// The PHP side of a request: which script runs, or whether a file is
// served as it is. The rules are Caddy's php_fastcgi defaults:
// try_files {path} {path}/index.php index.php, with the path split at
// ".php".

// targetKind says what answers a request.
type targetKind uint8

const (
	notFound  targetKind = iota // no script and no file: 404
	runScript                   // script, with info as PATH_INFO
	serveFile                   // a file or directory that is not PHP: static
	addSlash                    // a directory with an index script, named without its slash
)

type target struct {
	kind   targetKind
	script string // the script's path below the root, from "/"
	info   string // PATH_INFO
}

// resolve finds what answers the decoded path rel ("/" and below, no "."
// or ".." segments) under root. Every lookup goes through root (an
// os.Root), so a symbolic link that leads out of it names nothing: a
// "wp-config.php" linked to another site's file is never run, as the file
// server never serves one.
//
// The path is split after the first segment ending in ".php" (in any
// letter case) that names an existing regular file; the rest is
// PATH_INFO. A segment is only a script when that file exists, so
// "/uploads/evil.jpg/x.php" never runs evil.jpg (the cgi.fix_pathinfo
// trap, CVE-2019-11043's configuration): no ".php" file is there, and the
// request goes to the front controller like any other unknown path. A
// segment starting with a dot is never a script.
func resolve(root *os.Root, rel, index string) target {
	for i := 0; i < len(rel); {
		j := strings.IndexByte(rel[i+1:], '/')
		end := len(rel)
		if j >= 0 {
			end = i + 1 + j
		}
		seg := rel[i+1 : end]
		if len(seg) > 0 && seg[0] == '.' {
			break // hidden: nothing at or below it is a script
		}
		if isPHP(seg) && isFile(root, rel[:end]) {
			return target{kind: runScript, script: rel[:end], info: rel[end:]}
		}
		i = end
	}
	fi, err := root.Stat(inRoot(rel))
	switch {
	case err == nil && fi.Mode().IsRegular():
		return target{kind: serveFile}
	case err == nil && fi.IsDir():
		if isFile(root, rel+"/"+index) && !hidden(rel) {
			if !strings.HasSuffix(rel, "/") {
				return target{kind: addSlash}
			}
			return target{kind: runScript, script: rel + index}
		}
	}
	// The front controller answers every other path (WordPress,
	// Laravel): PATH_INFO is empty, and the application reads the path
	// it was asked for from REQUEST_URI.
	if isFile(root, "/"+index) {
		return target{kind: runScript, script: "/" + index}
	}
	if err == nil && fi.IsDir() {
		return target{kind: serveFile} // the file server's 403, or its listing
	}
	return target{kind: notFound}
}

// isPHP reports whether a segment names a PHP script.
func isPHP(seg string) bool {
	return len(seg) > 4 && strings.EqualFold(seg[len(seg)-4:], ".php")
}

// isFile reports whether name ("/" and below) is a regular file inside
// root, links followed only while they stay inside.
func isFile(root *os.Root, name string) bool {
	fi, err := root.Stat(inRoot(name))
	return err == nil && fi.Mode().IsRegular()
}

// inRoot turns a path from "/" into os.Root's relative form.
func inRoot(name string) string {
	name = strings.Trim(name, "/")
	if name == "" {
		return "."
	}
	return name
}

// hidden reports whether a path has a segment starting with a dot.
func hidden(p string) bool {
	return strings.Contains(p, "/.")
}
