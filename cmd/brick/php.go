package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/gateway/fastcgi"
)

// runPHP runs `brick php [flags] DIR`.
func runPHP(args []string, stdout, stderr io.Writer) int {
	q, code := compilePHP(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	return q.serve(stderr)
}

// phpUsage is the help of `brick php`.
var phpUsage = usage{
	synopsis: []string{"brick php [flags] DIR"},
	about: "Serves a PHP site (WordPress, Laravel...) from DIR: .php scripts run on PHP-FPM,\n" +
		"other files are served as they are, paths naming no file go to DIR/index.php.\n" +
		"Brick does not start PHP: PHP-FPM must be running, and -fastcgi is its listen\n" +
		"address (Debian's php8.2-fpm listens on " + fastcgi.DefaultAddress + ":\n" +
		"apt-get install php8.2-fpm; systemctl start php8.2-fpm). PHP-FPM must be able\n" +
		"to read DIR under the same path, and -conns should not exceed its pool's\n" +
		"pm.max_children.\n" + listenNote + "\n" +
		fmt.Sprintf(flagsNote, "-fastcgi is the php table's fastcgi"),
}

// compilePHP compiles `brick php [flags] DIR`: the PHP scripts and files
// of DIR at "/", the scripts run by a PHP-FPM that is already running.
// Brick starts no PHP itself: PHP-FPM is a service of its own (Debian's
// php8.2-fpm), with its own pool settings and user.
func compilePHP(args []string, stdout, stderr io.Writer) (q *quick, code int) {
	fs := flag.NewFlagSet("brick php", flag.ContinueOnError)
	o := quickDefaults()
	o.RegisterFlags(fs)
	pc := fastcgi.DefaultConfig()
	pc.RegisterFlags(fs)
	qt := tlsFlags(fs)
	dir, code := parseWithArg(fs, phpUsage, args, stdout, stderr, "the directory")
	if code >= 0 {
		return nil, code
	}
	if dir == "" {
		usageError(fs.Name(), phpUsage, "say which directory to serve (e.g. brick php /srv/wordpress)", stderr)
		return nil, 2
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "brick php: %s is not a directory; give the directory of the PHP scripts\n", dir)
		return nil, 2
	}
	pc.Root = dir
	o.Sites = []config.Site{{Default: true, Routes: []config.Route{{Path: "/", PHP: &pc}}}}
	q = &quick{opts: o, fs: fs, try: "/", attrs: []any{"dir", dir, "fastcgi", pc.FastCGI}, tls: qt}
	return q, q.finish(stderr)
}
