package acme

import (
	"net/http"
	"strings"

	"github.com/brick-server/brick/nethttp"
	"github.com/brick-server/brick/web"
)

// ChallengePrefix is the path of HTTP-01 challenges (RFC 8555 §8.3).
const ChallengePrefix = "/.well-known/acme-challenge/"

// zeroSSLPrefix is the path of ZeroSSL's HTTP validation files.
const zeroSSLPrefix = "/.well-known/pki-validation/"

// IsChallenge reports whether a request path is an HTTP-01 challenge's,
// or (with ZeroSSL as the fallback issuer) a ZeroSSL validation's.
func (m *Manager) IsChallenge(path []byte) bool {
	return strings.HasPrefix(string(path), ChallengePrefix) || m.zerossl != nil && strings.HasPrefix(string(path), zeroSSLPrefix)
}

// ChallengeHandler answers the CA's HTTP-01 requests with the key
// authorization of a challenge this instance, or another sharing the
// storage, started; any other request under ChallengePrefix gets 404.
// It goes through certmagic's HandleHTTPChallenge, which checks the Host
// against the challenge's name (against DNS rebinding) and looks in the
// storage for other instances' challenges; the nethttp adapter hands it
// this one request (see the package documentation).
func (m *Manager) ChallengeHandler() web.Handler {
	return nethttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !m.issuer.HandleHTTPChallenge(w, r) && !m.zerossl.HandleZeroSSLHTTPValidation(w, r) {
			http.NotFound(w, r)
		}
	}))
}
