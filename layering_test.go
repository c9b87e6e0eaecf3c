package brick_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps imports pointing one way: wire ← web ← {server,
// nethttp, static, gateway/*, router, accesslog, metrics} ← config ←
// service ← brick ← cmd. The wire codec stays pure (no network, clock,
// log or filesystem), and the engine never imports net/http. config sits
// above the features, whose own configurations it decodes into, and
// below the service that runs them; internal/units, the one parser of
// sizes and durations, is below every feature.
func TestLayering(t *testing.T) {
	const mod = "github.com/brick-server/brick"
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"wire", []string{"net", "net/http", "time", "log", "log/slog", "os", "syscall", mod + "/web", mod + "/server", mod + "/nethttp"}},
		// The WebSocket frame codec is as pure as wire.
		{"wire/wsframe", []string{"net", "net/http", "time", "log", "log/slog", "os", "syscall", mod + "/web", mod + "/server", mod + "/nethttp"}},
		// WebSocket is a feature on the handler API (it hijacks through
		// web), never on the engine or net/http.
		{"websocket", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/cmd/brick", mod}},
		{"web", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/cmd/brick"}},
		{"server", []string{"net/http", mod + "/nethttp", mod + "/cmd/brick", mod}},
		// HTTP/2 sits beside the engine: it sees the handler API and the
		// codec, never the engine that hands it connections.
		{"h2", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/cmd/brick", mod}},
		{"nethttp", []string{mod + "/server", mod + "/cmd/brick", mod}},
		// Features see the handler API, never the engine. (static reaches
		// net/http only through andybalholm/brotli's HTTP helper, which
		// it does not call.)
		{"static", []string{mod + "/server", mod + "/nethttp", mod + "/cmd/brick", mod}},
		{"router", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/cmd/brick", mod}},
		// Certificates are a feature: the engine takes a tls.Config, and
		// the store knows nothing of HTTP.
		{"certs", []string{"net/http", mod + "/wire", mod + "/web", mod + "/server", mod + "/config", mod + "/cmd/brick", mod}},
		// Automatic certificates: certmagic (which brings net/http in)
		// lives here, above the handler API and beside the features;
		// never in the engine, the codec or the certificate store.
		{"acme", []string{mod + "/server", mod + "/config", mod + "/service", mod + "/cmd/brick", mod}},
		{"accesslog", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/cmd/brick", mod}},
		{"metrics", []string{mod + "/server", mod + "/gateway/wsgi", mod + "/cmd/brick", mod}},
		{"gateway/cgienv", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/cmd/brick", mod}},
		{"gateway/cgi", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/static", mod + "/gateway/wsgi", mod + "/config", mod + "/cmd/brick", mod}},
		// The PHP gateway serves a root's other files with package static
		// (so net/http comes in as static's does).
		{"gateway/fastcgi", []string{mod + "/server", mod + "/nethttp", mod + "/gateway/wsgi", mod + "/cmd/brick", mod}},
		// The proxy is its own HTTP client on net.Conn with wire: never
		// net/http, never the engine.
		{"proxy", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/static", mod + "/gateway/wsgi", mod + "/config", mod + "/cmd/brick", mod}},
		{"gateway/wsgi", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/static", mod + "/cmd/brick", mod}},
		{"gateway/asgi", []string{"net/http", mod + "/server", mod + "/nethttp", mod + "/static", mod + "/gateway/wsgi", mod + "/config", mod + "/cmd/brick", mod}},
		// Frame batching to a worker's socket: the standard library only.
		{"gateway/internal/coalesce", []string{mod + "/wire", mod + "/web", mod + "/server", mod + "/gateway/wsgi", mod + "/gateway/asgi", mod + "/config", mod + "/cmd/brick"}},
		{"gateway/internal/pyproc", []string{mod + "/web", mod + "/server", mod + "/gateway/wsgi", mod + "/gateway/asgi", mod + "/config", mod + "/cmd/brick"}},
		// The file format decodes into the features' own configurations
		// (static.Config, wsgi.Config), so it sits above them; it never
		// reaches the engine or what runs it.
		{"config", []string{mod + "/server", mod + "/service", mod + "/router", mod + "/accesslog", mod + "/metrics", mod + "/nethttp", mod + "/cmd/brick", mod}},
		{"internal/units", []string{mod + "/wire", mod + "/web", mod + "/server", mod + "/static", mod + "/gateway/wsgi", mod + "/config"}},
		{"service", []string{mod + "/cmd/brick", mod}},
		{"internal/procpool", []string{mod + "/wire", mod + "/web", mod + "/server"}},
		{"internal/listenfd", []string{mod + "/wire", mod + "/web", mod + "/server"}},
		{"internal/bufpool", []string{mod + "/wire", mod + "/web", mod + "/server"}},
		{"internal/schedfront", []string{mod + "/wire", mod + "/web", mod + "/server"}},
		{"", []string{mod + "/cmd/brick"}},
	}
	// via lists, per package, packages whose own dependencies are not held
	// against it: the HTTP/2 framer (golang.org/x/net/http2) links
	// net/http for its own client and server, which Brick never calls.
	via := map[string][]string{
		"server": {"golang.org/x/net/http2"},
		"h2":     {"golang.org/x/net/http2"},
	}
	for _, tc := range tests {
		name := tc.pkg
		if name == "" {
			name = "brick"
		}
		t.Run(name, func(t *testing.T) {
			path := mod
			if tc.pkg != "" {
				path += "/" + tc.pkg
			}
			out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}:{{join .Imports \" \"}}", path).Output()
			if err != nil {
				t.Fatalf("go list -deps %s: %v", path, err)
			}
			deps := reachable(path, string(out), via[tc.pkg])
			for _, f := range tc.forbidden {
				if deps[f] {
					t.Errorf("%s imports %s (directly or not); imports must point down the layers", path, f)
				}
			}
		})
	}
}

// reachable returns the packages root imports, directly or not, from go
// list's "path:imports" lines, without looking into the via packages'
// imports.
func reachable(root, list string, via []string) map[string]bool {
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		imports[pkg] = strings.Fields(deps)
	}
	skip := map[string]bool{}
	for _, v := range via {
		skip[v] = true
	}
	seen := map[string]bool{}
	var walk func(p string)
	walk = func(p string) {
		if seen[p] {
			return
		}
		seen[p] = true
		if skip[p] {
			return
		}
		for _, d := range imports[p] {
			walk(d)
		}
	}
	walk(root)
	return seen
}
