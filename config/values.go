package config

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// normalizeHost writes a host name as Site.Hosts holds it: lower case,
// without a trailing dot, IPv6 in brackets as a Host header writes it.
// Invalid names are kept for Validate to report.
func normalizeHost(h string) string {
	h = strings.ToLower(h)
	if a, err := netip.ParseAddr(h); err == nil && a.Is6() {
		return "[" + h + "]"
	}
	if len(h) > 1 && strings.HasSuffix(h, ".") {
		h = h[:len(h)-1]
	}
	return h
}

// checkHost returns what is wrong with a site's host name, or "".
func checkHost(h string) string {
	if h == "" {
		return "a host name is empty"
	}
	addr := h
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		addr = h[1 : len(h)-1]
	}
	if a, err := netip.ParseAddr(addr); err == nil {
		switch {
		case a.Zone() != "":
			return fmt.Sprintf("host %q has a zone; a Host header cannot carry one", h)
		case a.Is6() && addr == h:
			return fmt.Sprintf("host %q: write an IPv6 address in brackets, as a Host header does (%q)", h, "["+h+"]")
		case a.Is4() && addr != h:
			return fmt.Sprintf("host %q: an IPv4 address takes no brackets", h)
		}
		return ""
	}
	if host, port, err := net.SplitHostPort(h); err == nil && port != "" {
		return fmt.Sprintf("host %q has a port; write the name alone (%q): a site answers on every listener", h, host)
	}
	name := h
	if rest, ok := strings.CutPrefix(h, "*."); ok {
		name = rest
	}
	if why := checkName(name); why != "" {
		return fmt.Sprintf("host %q is not a host name: %s", h, why)
	}
	return ""
}

// checkName checks a DNS name, case-insensitively; underscores are
// allowed, as some internal names use them.
func checkName(name string) string {
	if len(name) > 253 {
		return "longer than 253 characters"
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return "it has an empty label"
		}
		if len(label) > 63 {
			return "a label is longer than 63 characters"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "a label starts or ends with '-'"
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			switch {
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			case c >= 0x80:
				return "write an international name in its ASCII (xn--) form"
			case c == '*':
				return `"*" may only stand alone or start a name ("*.example.com")`
			default:
				return fmt.Sprintf("%q is not allowed", string(c))
			}
		}
	}
	return ""
}

// checkAddr returns what is wrong with a listen address, or "".
func checkAddr(a string) string {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return fmt.Sprintf(`%q is not host:port (e.g. ":8080", "127.0.0.1:8080", "[::]:8443")`, a)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || strings.TrimLeft(port, "0123456789") != "" {
		return fmt.Sprintf("%q: the port must be a number from 0 to 65535", a)
	}
	if host == "" {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if checkName(host) != "" {
		return fmt.Sprintf("%q: %q is neither an IP address nor a host name", a, host)
	}
	return ""
}

// isToken reports whether s is an RFC 9110 §5.6.2 token, as a field name
// must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			continue
		}
		if !strings.ContainsRune("!#$%&'*+-.^_`|~", rune(c)) {
			return false
		}
	}
	return true
}
