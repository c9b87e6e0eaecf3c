package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brick-server/brick/internal/testutil"
)

// TestTLSParse covers the file's HTTPS keys: what decodes, and each
// mistake with its line.
func TestTLSParse(t *testing.T) {
	const site = "[[site]]\nhosts = [\"a.test\"]\n%s\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n"
	tests := []struct {
		name    string
		input   string
		wantErr string
		check   func(t *testing.T, o *Options)
	}{
		{name: "listen_tls only: no plain listener",
			input: "[server]\nlisten_tls = [\":443\"]\n" + strings.Replace(site, "%s", `tls = { cert = "c.pem", key = "k.pem" }`, 1),
			check: func(t *testing.T, o *Options) {
				if len(o.Server.Listen) != 0 || len(o.Server.ListenTLS) != 1 {
					t.Fatalf("listen %v, listen_tls %v", o.Server.Listen, o.Server.ListenTLS)
				}
				if tl := o.Sites[0].TLS; tl == nil || tl.Cert != "c.pem" || tl.Key != "k.pem" || tl.Off() {
					t.Fatalf("tls %+v", tl)
				}
				if src := o.CertSources(); len(src) != 1 || src[0].Hosts[0] != "a.test" {
					t.Fatalf("sources %+v", src)
				}
			}},
		{name: "both listeners, a site off",
			input: "[server]\nlisten = [\":80\"]\nlisten_tls = [\":443\"]\n" + strings.Replace(site, "%s", `tls = "off"`, 1),
			check: func(t *testing.T, o *Options) {
				if len(o.Server.Listen) != 1 || !o.Sites[0].TLS.Off() || len(o.CertSources()) != 0 {
					t.Fatalf("%+v %+v", o.Server, o.Sites[0].TLS)
				}
			}},
		{name: "site without tls under listen_tls",
			input:   "[server]\nlisten_tls = [\":443\"]\n" + strings.Replace(site, "%s", "", 1),
			wantErr: `brick.toml:3:1: the site has no tls setting, and server.listen_tls is set`},
		{name: "certificate without listen_tls",
			input:   strings.Replace(site, "%s", `tls = { cert = "c.pem", key = "k.pem" }`, 1),
			wantErr: `brick.toml:3:1: the site has a certificate but server.listen_tls is empty`},
		{name: "off with no plain listener",
			input:   "[server]\nlisten_tls = [\":443\"]\n" + strings.Replace(site, "%s", `tls = "off"`, 1),
			wantErr: `brick.toml:5:1: the site has tls = "off" but server.listen is empty`},
		{name: "key missing",
			input:   "[server]\nlisten_tls = [\":443\"]\n" + strings.Replace(site, "%s", `tls = { cert = "c.pem" }`, 1),
			wantErr: `brick.toml:5:1: tls must be "auto", "internal", "off" or { cert = "cert.pem", key = "key.pem" }: give both cert and key`},
		{name: "internal",
			input: "[server]\nlisten_tls = [\":443\"]\n" + strings.Replace(site, "%s", `tls = "internal"`, 1),
			check: func(t *testing.T, o *Options) {
				if tl := o.Sites[0].TLS; tl == nil || tl.Mode != TLSInternal || tl.Cert != "" {
					t.Fatalf("tls %+v", tl)
				}
				if src := o.CertSources(); len(src) != 1 || !src[0].Internal || src[0].Hosts[0] != "a.test" {
					t.Fatalf("sources %+v", src)
				}
			}},
		{name: "internal without listen_tls",
			input:   strings.Replace(site, "%s", `tls = "internal"`, 1),
			wantErr: `brick.toml:3:1: the site has tls = "internal" but server.listen_tls is empty`},
		{name: "unknown key in tls",
			input:   "[server]\nlisten_tls = [\":443\"]\n" + strings.Replace(site, "%s", `tls = { cert = "c", key = "k", chain = "x" }`, 1),
			wantErr: `unknown key "chain" in tls`},
		{name: "tls a number",
			input:   strings.Replace(site, "%s", `tls = 1`, 1),
			wantErr: `brick.toml:3:1: tls must be "auto", "internal", "off" or { cert = "cert.pem", key = "key.pem" }, not an integer`},
		{name: "bad listen_tls address",
			input:   "[server]\nlisten_tls = [\"443\"]\n" + strings.Replace(site, "%s", `tls = "off"`, 1),
			wantErr: `listen_tls: "443" is not host:port`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Parse([]byte(tc.input), "brick.toml")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, o)
		})
	}
}

// TestCheckTLS: CheckPaths (and so brick validate) loads each site's
// certificate: missing files, a key of another certificate and hosts the
// certificate does not cover are errors with the site's line.
func TestCheckTLS(t *testing.T) {
	dir := t.TempDir()
	ca := testutil.NewCA(t)
	goodCert, goodKey := ca.IssueFiles(t, dir, "a-", "a.test", "*.b.test")
	_, otherKey := ca.IssueFiles(t, dir, "o-", "a.test")
	tests := []struct {
		name      string
		hosts     string
		cert, key string
		wantErr   string
	}{
		{"good", `["a.test", "x.b.test", "*.b.test"]`, goodCert, goodKey, ""},
		{"default site", `["*"]`, goodCert, goodKey, ""},
		{"missing cert", `["a.test"]`, filepath.Join(dir, "none.pem"), goodKey, "brick.toml:5:1: certificate: open " + filepath.Join(dir, "none.pem") + ": no such file"},
		{"missing key", `["a.test"]`, goodCert, filepath.Join(dir, "none.key"), "key: open"},
		{"key of another certificate", `["a.test"]`, goodCert, otherKey, "is not the key of the certificate in " + goodCert},
		{"host not covered", `["a.test", "c.test", "*.c.test"]`, goodCert, goodKey, `does not cover the site's "c.test" and "*.c.test"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "[server]\nlisten_tls = [\":443\"]\n[[site]]\nhosts = " + tc.hosts + "\ntls = { cert = \"" + tc.cert + "\", key = \"" + tc.key + "\" }\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n"
			o, err := Parse([]byte(src), "brick.toml")
			if err != nil {
				t.Fatal(err)
			}
			err = o.CheckPaths()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var list *Errors
			if !errors.As(err, &list) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
	// Relative paths are the file's directory's.
	if err := os.WriteFile(filepath.Join(dir, "brick.toml"), []byte("[server]\nlisten_tls = [\":443\"]\n[[site]]\nhosts = [\"a.test\"]\ntls = { cert = \"a-cert.pem\", key = \"a-key.pem\" }\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	o, err := Load(filepath.Join(dir, "brick.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := o.CheckPaths(); err != nil {
		t.Fatalf("relative certificate paths: %v", err)
	}
}

// TestQuickTLS: -tls-cert and -tls-key compile to listen_tls and each
// site's tls, and name themselves in messages.
func TestQuickTLS(t *testing.T) {
	fs := flag.NewFlagSet("brick", flag.ContinueOnError)
	o := Defaults()
	o.RegisterFlags(fs)
	var q QuickTLS
	q.RegisterFlags(fs)
	if err := fs.Parse([]string{"-addr", "127.0.0.1:0", "-tls-cert", "c.pem", "-tls-key", "k.pem"}); err != nil {
		t.Fatal(err)
	}
	o.Sites = []Site{{Default: true, Routes: []Route{{Path: "/", Handler: "h"}}}}
	q.Apply(o)
	o.Provision()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(o.Server.Listen) != 0 || strings.Join(o.Server.ListenTLS, ",") != "127.0.0.1:0" || o.Sites[0].TLS.Cert != "c.pem" {
		t.Fatalf("compiled to %+v, site tls %+v", o.Server, o.Sites[0].TLS)
	}
	if f := FlagFor(fs, "site[0].tls"); f != "-tls-cert" {
		t.Fatalf("FlagFor(site[0].tls) = %q", f)
	}
	if f := FlagFor(fs, "server.listen_tls[0]"); f != "-addr" {
		t.Fatalf("FlagFor(listen_tls) = %q", f)
	}
	// One flag without the other.
	o = Defaults()
	o.Sites = []Site{{Default: true, Routes: []Route{{Path: "/", Handler: "h"}}}}
	(&QuickTLS{}).Apply(o)
	if len(o.Server.ListenTLS) != 0 {
		t.Fatal("no flags changed the options")
	}
	(&QuickTLS{Files: struct{ Cert, Key string }{Cert: "c.pem"}}).Apply(o)
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "needs both cert and key") {
		t.Fatalf("-tls-cert without -tls-key: %v", err)
	}
}

// TestQuickTLSInternal: -tls-internal compiles to listen_tls and tls =
// "internal" on each site; with certificate files as well it is refused.
func TestQuickTLSInternal(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"internal", []string{"-tls-internal"}, ""},
		{"internal and files", []string{"-tls-internal", "-tls-cert", "c.pem", "-tls-key", "k.pem"}, `-tls-internal issues certificates from Brick's own CA`},
		{"internal and domain", []string{"-tls-internal", "-domain", "example.com"}, `use one of them`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("brick", flag.ContinueOnError)
			o := Defaults()
			o.RegisterFlags(fs)
			var q QuickTLS
			q.RegisterFlags(fs)
			if err := fs.Parse(append([]string{"-addr", "127.0.0.1:0"}, tc.args...)); err != nil {
				t.Fatal(err)
			}
			o.Sites = []Site{{Default: true, Routes: []Route{{Path: "/", Handler: "h"}}}}
			err := q.Apply(o)
			if err == nil {
				o.Provision()
				err = o.Validate()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(o.Server.Listen) != 0 || strings.Join(o.Server.ListenTLS, ",") != "127.0.0.1:0" || o.Sites[0].TLS.Mode != TLSInternal {
				t.Fatalf("compiled to %+v, site tls %+v", o.Server, o.Sites[0].TLS)
			}
		})
	}
}
