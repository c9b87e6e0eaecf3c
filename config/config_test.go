package config

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pelletier/go-toml/v2"
)

// TestDjango checks the README's deployment: /static/ from a directory,
// everything else to the WSGI application.
func TestDjango(t *testing.T) {
	o, err := Load("testdata/django.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.Server.Listen, []string{":8000"}) {
		t.Errorf("listen = %q", o.Server.Listen)
	}
	if len(o.Sites) != 1 || !o.Sites[0].Default || len(o.Sites[0].Routes) != 2 {
		t.Fatalf("want one default site with two routes: %+v", o.Sites)
	}
	st, app := o.Sites[0].Routes[0], o.Sites[0].Routes[1]
	if st.Path != "/static/" || st.Action() != "static" || st.Static.Root != "/srv/mysite/static" {
		t.Errorf("first route: %+v %+v", st, st.Static)
	}
	if app.Path != "/" || app.Action() != "wsgi" {
		t.Fatalf("second route: %+v", app)
	}
	w := app.WSGI
	if w.App != "mysite.wsgi:application" || w.Dir != "/srv/mysite" || w.Mount != "" ||
		!slices.Equal(w.Env, []string{"DJANGO_SETTINGS_MODULE=mysite.settings"}) || w.Timeout != 30*time.Second {
		t.Errorf("wsgi: %+v", w)
	}
	for _, p := range []string{"/static/app.css", "/", "/admin/"} {
		want := strings.HasPrefix(p, "/static/")
		if st.Matches(p) != want || !app.Matches(p) {
			t.Errorf("%s: static matches %v, app %v", p, st.Matches(p), app.Matches(p))
		}
	}
}

// TestExample checks that testdata/example.toml is valid and shows every
// key the decoder knows, so that it stays the reference of the format.
func TestExample(t *testing.T) {
	data, err := os.ReadFile("testdata/example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(data, "example.toml"); err != nil {
		t.Fatal(err)
	}
	var tree map[string]any
	if err := toml.Unmarshal(data, &tree); err != nil {
		t.Fatal(err)
	}
	d := &decoder{file: "example.toml", pos: indexPositions(data), keys: map[string]map[string]bool{}}
	d.options(tree)
	var missing []string
	for table, keys := range d.keys {
		for k, shown := range keys {
			if !shown {
				missing = append(missing, table+" "+k)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("example.toml does not show: %s", strings.Join(missing, ", "))
	}
	if len(d.keys) < 8 {
		t.Errorf("only %d tables recorded: %v", len(d.keys), d.keys)
	}
}

// TestLoad checks that relative paths become relative to the file.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "brick.toml")
	src := `[log]
access = "logs/access.log"
[[site]]
  [[site.route]]
  path = "/static/"
  static = { root = "static" }
  [[site.route]]
  path = "/x"
  wsgi = { app = "app", chdir = "app", python = "venv/bin/python3" }
  [[site.route]]
  path = "/cgi-bin/"
  timeout = "5s"
  cgi = { root = "cgi-bin" }
  [[site.route]]
  path = "/"
  wsgi = { app = "app", python = "python3.12" }
[[site]]
  hosts = ["async.example"]
  [[site.route]]
  path = "/"
  asgi = { app = "main:app", chdir = "site", python = "venv/bin/python3" }
`
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	r := o.Sites[0].Routes
	for _, c := range []struct{ got, want string }{
		{o.Log.Access, filepath.Join(dir, "logs/access.log")},
		{r[0].Static.Root, filepath.Join(dir, "static")},
		{r[1].WSGI.Dir, filepath.Join(dir, "app")},
		{r[1].WSGI.Python, filepath.Join(dir, "venv/bin/python3")},
		{r[2].CGI.Root, filepath.Join(dir, "cgi-bin")},
		{r[2].CGI.Mount, "/cgi-bin"},
		{r[2].CGI.Timeout.String(), "5s"}, // the route's, as cgi sets none
		{r[3].WSGI.Python, "python3.12"},  // a command name, looked up in PATH
		{r[3].WSGI.Dir, ""},
		{o.Sites[1].Routes[0].ASGI.Dir, filepath.Join(dir, "site")},
		{o.Sites[1].Routes[0].ASGI.Python, filepath.Join(dir, "venv/bin/python3")},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if o.File != file {
		t.Errorf("File = %q", o.File)
	}

	if _, err := Load(filepath.Join(dir, "missing.toml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestCheckPaths checks the machine-dependent problems, with their lines.
func TestCheckPaths(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"static", "app", "logs", "cgi-bin"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, mode := range map[string]os.FileMode{"file": 0o644, "python": 0o755} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, mode); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "brick.toml")
	write := func(src string) *Options {
		t.Helper()
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	good := write(`[log]
access = "logs/access.log"
[[site]]
  [[site.route]]
  path = "/static/"
  static = { root = "static" }
  [[site.route]]
  path = "/cgi-bin/"
  cgi = { root = "cgi-bin" }
  [[site.route]]
  path = "/"
  wsgi = { app = "app", chdir = "app", python = "./python" }
`)
	if err := good.CheckPaths(); err != nil {
		t.Errorf("good paths: %v", err)
	}
	bad := write(`[log]
access = "nologs/access.log"
[[site]]
  [[site.route]]
  path = "/static/"
  static = { root = "nostatic" }
  [[site.route]]
  path = "/file/"
  static = { root = "file" }
  [[site.route]]
  path = "/"
  wsgi = { app = "app", chdir = "noapp", python = "./file" }
[[site]]
hosts = ["cgi.example"]
  [[site.route]]
  path = "/cgi-bin/"
  cgi = { root = "nocgi" }
  [[site.route]]
  path = "/"
  cgi = { root = "file" }
`)
	err := bad.CheckPaths()
	want := []string{
		file + ":2:1: the directory of log.access " + dir + "/nologs does not exist",
		file + ":6:14: static root " + dir + "/nostatic does not exist",
		file + ":9:14: static root " + dir + "/file is not a directory",
		file + ":12:25: wsgi chdir " + dir + "/noapp does not exist",
		file + ":12:42: wsgi python " + dir + "/file is not an executable file",
		file + ":17:11: cgi root " + dir + "/nocgi does not exist",
		file + ":20:11: cgi root " + dir + "/file is not a directory",
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("got:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestCheckHandlers(t *testing.T) {
	o, err := Parse([]byte(`[[site]]
  [[site.route]]
  path = "/api/"
  handler = "api"
  [[site.route]]
  path = "/"
  handler = "web"
`), "brick.toml")
	if err != nil {
		t.Fatal(err)
	}
	known := func(name string) bool { return name == "api" }
	want := `brick.toml:7:3: no Go handler is registered as "web"`
	if err := o.CheckHandlers(known); err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if err := o.CheckHandlers(func(string) bool { return true }); err != nil {
		t.Errorf("all registered: %v", err)
	}
}

// TestValidateInCode checks Validate on options built in code: no
// positions, so errors name their key, or the Line given.
func TestValidateInCode(t *testing.T) {
	o, err := Parse([]byte("[[site]]\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n"), "")
	if err != nil {
		t.Fatal(err)
	}
	o.pos = nil // as if built in code
	if err := o.Validate(); err != nil {
		t.Fatalf("parsed options fail Validate: %v", err)
	}
	o.Sites[0].Routes = append(o.Sites[0].Routes,
		Route{Path: "/x", Redirect: &Redirect{To: "/y", Status: 303}, MaxBody: 1, Line: 7},
		Route{Path: "x", Respond: &Respond{Status: 200}, MaxBody: 1})
	o.Sites = append(o.Sites, Site{Hosts: []string{"A.Example"}})
	o.Server.Listen = nil
	want := []string{
		`route "/x" is never reached: route "/" (line 2) comes first and matches every request it would; put the longer path first`,
		`server.listen: server.listen is empty; give at least one address, e.g. ":8080" (or listen_tls for HTTPS)`,
		`site[0].route[2].path: path "x" must start with "/"`,
		`site[1].route: the site has no routes; add a [[site.route]] after its [[site]]`,
	}
	err = o.Validate()
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %T %v", err, err)
	}
	var got []string
	for _, e := range errs.List {
		got = append(got, e.Error())
	}
	if errs.List[0].Line != 7 || !strings.HasPrefix(got[0], "7: ") {
		t.Errorf("the first error should carry the route's Line 7: %+v", errs.List[0])
	}
	got[0] = strings.TrimPrefix(got[0], "7: ")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestErrorFormat(t *testing.T) {
	for _, c := range []struct {
		e    Error
		want string
	}{
		{Error{File: "b.toml", Line: 12, Column: 3, Key: "k", Message: "m"}, "b.toml:12:3: m"},
		{Error{File: "b.toml", Line: 12, Message: "m"}, "b.toml:12: m"},
		{Error{File: "b.toml", Key: "site[0].hosts", Message: "m"}, "b.toml: site[0].hosts: m"},
		{Error{File: "b.toml", Message: "m"}, "b.toml: m"},
		{Error{Key: "server.listen", Message: "m"}, "server.listen: m"},
		{Error{Line: 4, Column: 1, Message: "m"}, "4:1: m"},
		{Error{Message: "m"}, "m"},
	} {
		if got := c.e.Error(); got != c.want {
			t.Errorf("%+v: got %q, want %q", c.e, got, c.want)
		}
	}
	_, err := Parse([]byte("[server]\nbacklog = -1\nlisten = 1\n"), "b.toml")
	var one *Error
	if !errors.As(err, &one) || one.Line != 2 || one.Key != "server.backlog" {
		t.Errorf("errors.As gives the first problem: %+v", one)
	}
}

func TestHosts(t *testing.T) {
	for _, c := range []struct{ in, norm, why string }{
		{"Example.COM", "example.com", ""},
		{"example.com.", "example.com", ""},
		{"*.example.com", "*.example.com", ""},
		{"[2001:DB8::1]", "[2001:db8::1]", ""},
		{"2001:db8::1", "[2001:db8::1]", ""},
		{"192.0.2.1", "192.0.2.1", ""},
		{"localhost", "localhost", ""},
		{"my_host.internal", "my_host.internal", ""},
		{"xn--bcher-kva.example", "xn--bcher-kva.example", ""},
		{"-a.example", "-a.example", `host "-a.example" is not a host name: a label starts or ends with '-'`},
		{"fe80::1%eth0", "[fe80::1%eth0]", `host "[fe80::1%eth0]" has a zone; a Host header cannot carry one`},
		{"[192.0.2.1]", "[192.0.2.1]", `host "[192.0.2.1]": an IPv4 address takes no brackets`},
		{"*", "*", `host "*" is not a host name: "*" may only stand alone or start a name ("*.example.com")`},
		{strings.Repeat("a", 64) + ".example", strings.Repeat("a", 64) + ".example", `host "` + strings.Repeat("a", 64) + `.example" is not a host name: a label is longer than 63 characters`},
	} {
		norm := normalizeHost(c.in)
		if c.in == "2001:db8::1" {
			want := `host "2001:db8::1": write an IPv6 address in brackets, as a Host header does ("[2001:db8::1]")`
			if why := checkHost(c.in); why != want {
				t.Errorf("checkHost(%q) = %q, want %q", c.in, why, want)
			}
		}
		if norm != c.norm {
			t.Errorf("normalizeHost(%q) = %q, want %q", c.in, norm, c.norm)
		}
		if why := checkHost(norm); why != c.why {
			t.Errorf("checkHost(%q) = %q, want %q", norm, why, c.why)
		}
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		prefix string
		yes    []string
		no     []string
	}{
		{"/", []string{"/", "/a", "/static/x"}, nil},
		{"/static/", []string{"/static/", "/static/app.css", "/static/a/b"}, []string{"/static", "/staticx", "/"}},
		{"/api", []string{"/api", "/api/", "/api/users"}, []string{"/apiary", "/ap", "/"}},
		{"/robots.txt", []string{"/robots.txt"}, []string{"/robots.txt.bak", "/robots"}},
	} {
		r := Route{Path: c.prefix}
		for _, p := range c.yes {
			if !r.Matches(p) {
				t.Errorf("%q should match %q", c.prefix, p)
			}
		}
		for _, p := range c.no {
			if r.Matches(p) {
				t.Errorf("%q should not match %q", c.prefix, p)
			}
		}
	}
	// "/api/" after "/api" is shadowed; "/api" after "/api/" is not.
	if _, err := Parse([]byte(route(`path = "/api/"`+"\nhandler = \"a\"\n[[site.route]]\npath = \"/api\"\nhandler = \"b\"")), ""); err != nil {
		t.Errorf("/api after /api/ is reachable: %v", err)
	}
}

func TestClosest(t *testing.T) {
	known := []string{"listen", "admin", "shutdown_timeout", "reload_grace", "backlog", "reuseport"}
	for in, want := range map[string]string{
		"lisen": "listen", "listne": "listen", "Listen": "listen", "reuse_port": "reuseport",
		"shutdowntimeout": "shutdown_timeout", "adm": "", "workers": "", "x": "",
	} {
		if got := closest(in, known); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestASGIWSGrace: an asgi route's ws_grace is [server] ws_grace unless
// the route sets its own; the default is an hour.
func TestASGIWSGrace(t *testing.T) {
	for _, tc := range []struct {
		name, server, route string
		want                time.Duration
	}{
		{"defaults", "", "", time.Hour},
		{"from the server", `ws_grace = "2s"`, "", 2 * time.Second},
		{"the route's own", `ws_grace = "2s"`, `, ws_grace = "5m"`, 5 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse([]byte("[server]\n"+tc.server+"\n[[site]]\n[[site.route]]\npath = \"/\"\nasgi = { app = \"main:app\""+tc.route+" }\n"), "brick.toml")
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Sites[0].Routes[0].ASGI.WSGrace; got != tc.want {
				t.Errorf("ws_grace %v, want %v", got, tc.want)
			}
		})
	}
}
