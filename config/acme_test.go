package config

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brick-server/brick/internal/testutil"
)

// TestAutoTLS covers tls = "auto" and [tls]: when "auto" is the default,
// which names it takes, and each mistake with what to do.
func TestAutoTLS(t *testing.T) {
	site := func(hosts, tls string) string {
		s := "[[site]]\n"
		if hosts != "" {
			s += "hosts = " + hosts + "\n"
		}
		if tls != "" {
			s += "tls = " + tls + "\n"
		}
		return s + "[[site.route]]\npath = \"/\"\nhandler = \"h\"\n"
	}
	const both = "[server]\nlisten = [\":80\"]\nlisten_tls = [\":443\"]\n"
	tests := []struct {
		name    string
		input   string
		wantErr string
		check   func(t *testing.T, o *Options)
	}{
		{name: "public names default to auto",
			input: both + site(`["example.com", "www.example.com"]`, ""),
			check: func(t *testing.T, o *Options) {
				if tl := o.Sites[0].TLS; tl == nil || tl.Mode != TLSAuto {
					t.Fatalf("tls %+v, want auto", tl)
				}
				if got := o.AutoNames(); !slices.Equal(got, []string{"example.com", "www.example.com"}) {
					t.Fatalf("AutoNames %v", got)
				}
				if o.TLS.ACMECA != DefaultACMECA || o.TLS.RenewInterval != DefaultRenewInterval || len(o.CertSources()) != 0 {
					t.Fatalf("[tls] %+v", o.TLS)
				}
			}},
		{name: "no listen_tls: no auto",
			input: site(`["example.com"]`, ""),
			check: func(t *testing.T, o *Options) {
				if o.Sites[0].TLS != nil || o.Auto() {
					t.Fatalf("tls %+v", o.Sites[0].TLS)
				}
			}},
		{name: "[tls] keys",
			input: "[tls]\nemail = \"ops@example.com\"\nacme_ca = \"https://ca.test/dir\"\nacme_ca_root = \"root.pem\"\nstorage = \"/srv/brick\"\nrenew_interval = \"1s\"\nchallenges = [\"tls-alpn-01\"]\n" +
				both + site(`["a.test"]`, `"auto"`),
			check: func(t *testing.T, o *Options) {
				want := TLS{Email: "ops@example.com", ACMECA: "https://ca.test/dir", ACMECARoot: "root.pem", Storage: "/srv/brick",
					RenewInterval: time.Second, Challenges: []string{"tls-alpn-01"}}
				if !slices.Equal(o.TLS.Challenges, want.Challenges) || o.TLS.Email != want.Email || o.TLS.ACMECA != want.ACMECA ||
					o.TLS.ACMECARoot != want.ACMECARoot || o.TLS.Storage != want.Storage || o.TLS.RenewInterval != want.RenewInterval {
					t.Fatalf("[tls] %+v, want %+v", o.TLS, want)
				}
			}},
		{name: "no hosts, no tls",
			input:   both + site("", ""),
			wantErr: `it has no hosts, so no certificate can be obtained for it automatically: list its public names in hosts`},
		{name: "private names, no tls",
			input:   both + site(`["example.com", "intranet.local", "localhost"]`, ""),
			wantErr: `"intranet.local" and "localhost" not a public DNS name, so no certificate is obtained automatically`},
		{name: "auto without hosts",
			input:   both + site("", `"auto"`),
			wantErr: `tls = "auto" needs the site's names`},
		{name: "auto with a private name from Let's Encrypt",
			input:   both + site(`["a.test"]`, `"auto"`),
			wantErr: `"a.test" is not a public DNS name, and Let's Encrypt issues certificates only for those`},
		{name: "auto with a wildcard",
			input:   "[tls]\nacme_ca = \"https://ca.test/dir\"\n" + both + site(`["*.example.com"]`, `"auto"`),
			wantErr: `"*.example.com": a wildcard certificate needs the DNS-01 challenge`},
		{name: "auto with an IP address",
			input:   "[tls]\nacme_ca = \"https://ca.test/dir\"\n" + both + site(`["192.0.2.1"]`, `"auto"`),
			wantErr: `"192.0.2.1" is an IP address`},
		{name: "auto without listen_tls",
			input:   site(`["example.com"]`, `"auto"`),
			wantErr: `the site has tls = "auto" but server.listen_tls is empty`},
		{name: "acme_ca not https",
			input:   "[tls]\nacme_ca = \"http://ca.test/dir\"\n" + both + site(`["example.com"]`, ""),
			wantErr: `tls.acme_ca "http://ca.test/dir" must be the https:// URL of an ACME directory`},
		{name: "bad email",
			input:   "[tls]\nemail = \"ops\"\n" + both + site(`["example.com"]`, ""),
			wantErr: `tls.email "ops" is not an email address`},
		{name: "unknown challenge",
			input:   "[tls]\nchallenges = [\"dns-01\"]\n" + both + site(`["example.com"]`, ""),
			wantErr: `tls.challenges: "dns-01" is not "http-01" or "tls-alpn-01"`},
		{name: "http-01 only without a plain listener",
			input:   "[tls]\nchallenges = [\"http-01\"]\n[server]\nlisten_tls = [\":443\"]\n" + site(`["example.com"]`, ""),
			wantErr: `tls.challenges is only "http-01", which needs a plain listener`},
		{name: "ZeroSSL without a plain listener",
			input:   "[tls]\nzerossl_api_key = \"k\"\n[server]\nlisten_tls = [\":443\"]\n" + site(`["example.com"]`, ""),
			wantErr: `tls.zerossl_api_key: ZeroSSL validates names over plain HTTP, and server.listen is empty`},
		{name: "unknown key in [tls]",
			input:   "[tls]\nemial = \"x\"\n" + both + site(`["example.com"]`, ""),
			wantErr: `unknown key "emial" in [tls]; did you mean "email"?`},
		{name: "unknown mode",
			input:   both + site(`["example.com"]`, `"automatic"`),
			wantErr: `tls must be "auto", "internal", "off" or { cert = "cert.pem", key = "key.pem" }, not "automatic"`},
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

// TestPublicName is the line between names Let's Encrypt issues for and
// the rest.
func TestPublicName(t *testing.T) {
	for _, tc := range []struct {
		host string
		want bool
	}{
		{"example.com", true}, {"www.example.co.uk", true}, {"Example.COM.", true},
		{"localhost", false}, {"intranet", false}, {"a.local", false}, {"a.test", false},
		{"x.localhost", false}, {"h.home.arpa", false}, {"192.0.2.1", false}, {"[2001:db8::1]", false},
		{"*.example.com", false}, {"a..b", false},
	} {
		if got := PublicName(tc.host); got != tc.want {
			t.Errorf("PublicName(%q) = %v, want %v", tc.host, got, tc.want)
		}
	}
}

// TestQuickDomain compiles -domain into the options a file would give.
func TestQuickDomain(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		tls     []string
		plain   []string
	}{
		{name: "defaults", args: []string{"-domain", "Example.com", "-domain", "www.example.com"}, tls: []string{":443"}, plain: []string{":80"}},
		{name: "addr and http-addr", args: []string{"-domain", "example.com", "-addr", "127.0.0.1:8443", "-http-addr", "127.0.0.1:8080"},
			tls: []string{"127.0.0.1:8443"}, plain: []string{"127.0.0.1:8080"}},
		{name: "with -tls-cert", args: []string{"-domain", "example.com", "-tls-cert", "c.pem", "-tls-key", "k.pem"}, wantErr: "use one or the other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("brick", flag.ContinueOnError)
			o := Defaults()
			o.RegisterFlags(fs)
			var q QuickTLS
			q.RegisterFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			o.Sites = []Site{{Default: true, Routes: []Route{{Path: "/", Handler: "h"}}}}
			err := q.Apply(o)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			o.Provision()
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			s := o.Sites[0]
			if !slices.Equal(o.Server.ListenTLS, tc.tls) || !slices.Equal(o.Server.Listen, tc.plain) || s.Default ||
				s.TLS.Mode != TLSAuto || s.Hosts[0] != "example.com" {
				t.Fatalf("listen %v, listen_tls %v, site %+v", o.Server.Listen, o.Server.ListenTLS, s)
			}
		})
	}
}

// TestCheckACMERoot: brick validate reads acme_ca_root, relative to the
// file, when a site uses it.
func TestCheckACMERoot(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), testutil.NewCA(t).PEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("not a certificate"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		root, wantErr string
	}{
		{"root.pem", ""},
		{"junk.pem", "holds no PEM certificate"},
		{"none.pem", "tls.acme_ca_root: open " + filepath.Join(dir, "none.pem")},
	} {
		file := filepath.Join(dir, "brick.toml")
		src := "[tls]\nacme_ca = \"https://ca.test/dir\"\nacme_ca_root = \"" + tc.root + "\"\n[server]\nlisten_tls = [\":443\"]\n[[site]]\nhosts = [\"a.test\"]\ntls = \"auto\"\n[[site.route]]\npath = \"/\"\nhandler = \"h\"\n"
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := Load(file)
		if err != nil {
			t.Fatal(err)
		}
		err = o.CheckPaths()
		if (tc.wantErr == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: %v, want %q", tc.root, err, tc.wantErr)
		}
	}
}
