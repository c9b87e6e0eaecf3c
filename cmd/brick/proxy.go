package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/brick-server/brick/config"
	"github.com/brick-server/brick/proxy"
)

// proxyUsage is the help of `brick proxy`.
var proxyUsage = usage{
	synopsis: []string{"brick proxy [flags] UPSTREAM..."},
	about: "Sends every request to the upstream servers, as Caddy's reverse-proxy --to:\n" +
		"brick proxy http://127.0.0.1:8000 (host:port alone means http://host:port).\n" +
		"Several upstreams share the load by -policy; pooled keep-alive connections,\n" +
		"names resolved again for each new connection, X-Forwarded-For/Proto/Host and\n" +
		"Forwarded set, WebSocket passed through. 502 when no upstream answers, 504\n" +
		"past -timeout. Flags may come before or after the upstreams.\n" + listenNote + "\n" +
		fmt.Sprintf(flagsNote, "-strip-prefix is strip_prefix"),
}

// compileProxy compiles `brick proxy [flags] UPSTREAM...`: one route at
// "/" sending everything to the upstreams.
func compileProxy(args []string, stdout, stderr io.Writer) (q *quick, code int) {
	fs := flag.NewFlagSet("brick proxy", flag.ContinueOnError)
	o := quickDefaults()
	o.RegisterFlags(fs)
	pc := config.NewProxy("/")
	pc.RegisterFlags(fs)
	qt := tlsFlags(fs)
	// Arguments and flags interleave: parse, take an upstream, repeat.
	for rest := args; ; {
		if code := parse(fs, proxyUsage, rest, stdout, stderr); code >= 0 {
			return nil, code
		}
		if fs.NArg() == 0 {
			break
		}
		pc.To = append(pc.To, proxy.NormalizeUpstream(fs.Arg(0)))
		rest = fs.Args()[1:]
	}
	if len(pc.To) == 0 {
		usageError(fs.Name(), proxyUsage, "say where to send the requests (e.g. brick proxy http://127.0.0.1:8000)", stderr)
		return nil, 2
	}
	o.Sites = []config.Site{{Default: true, Routes: []config.Route{{Path: "/", Proxy: pc}}}}
	q = &quick{opts: o, fs: fs, try: "/", attrs: []any{"to", pc.To}, tls: qt}
	return q, q.finish(stderr)
}
