package cgi

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	ok := func() Config { c := DefaultConfig(); c.Root = "/srv/cgi-bin"; return c }
	tests := []struct {
		name   string
		change func(*Config)
		want   []string // parts of the errors, in order; none for a valid config
	}{
		{"defaults with a root", func(*Config) {}, nil},
		{"mount", func(c *Config) { c.Mount = "/cgi-bin" }, nil},
		{"env", func(c *Config) { c.Env = []string{"A=1", "B="} }, nil},
		{"no root", func(c *Config) { c.Root = "" }, []string{"cgi root is missing"}},
		{"nul root", func(c *Config) { c.Root = "/a\x00b" }, []string{"NUL"}},
		{"zero timeout", func(c *Config) { c.Timeout = 0 }, []string{"timeout must be positive"}},
		{"negative timeout", func(c *Config) { c.Timeout = -time.Second }, []string{"timeout must be positive"}},
		{"mount with slash", func(c *Config) { c.Mount = "/cgi-bin/" }, []string{"mount"}},
		{"relative mount", func(c *Config) { c.Mount = "cgi-bin" }, []string{"mount"}},
		{"env without =", func(c *Config) { c.Env = []string{"A"} }, []string{"not NAME=value"}},
		{"env nul", func(c *Config) { c.Env = []string{"A=\x00"} }, []string{"NUL"}},
		{"several", func(c *Config) { c.Root, c.Timeout = "", 0 }, []string{"root", "timeout"}},
	}
	for _, tc := range tests {
		c := ok()
		tc.change(&c)
		err := c.Validate()
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.name, tc.want)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != len(tc.want) {
			t.Errorf("%s: %q, want %d errors", tc.name, lines, len(tc.want))
			continue
		}
		for i, w := range tc.want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("%s: error %q lacks %q", tc.name, lines[i], w)
			}
		}
	}
}
