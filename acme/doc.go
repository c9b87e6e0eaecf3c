// Package acme obtains and renews the certificates of the sites with
// tls = "auto" from an ACME CA (Let's Encrypt by default), through
// github.com/caddyserver/certmagic, without any net/http server.
//
// Brick's own listeners answer the CA's challenges. The service binds them
// before Manage starts any issuance, and the issuer is told their
// addresses (ListenHost, AltHTTPPort, AltTLSALPNPort): certmagic's
// solvers then find the port taken by a listener that answers, and start
// no listener of their own (solvers.go, robustTryListen). A challenge type
// without a Brick listener is disabled instead, so certmagic never binds
// :80 or :443 itself.
//
//   - HTTP-01: the plain listener passes /.well-known/acme-challenge/
//     requests for a TLS site (Manager.IsChallenge) to the handler of
//     Manager.ChallengeHandler, which asks
//     certmagic's HandleHTTPChallenge. That function is the only way to
//     the key authorizations another instance sharing the storage
//     started (distributed solving; the storage layout is certmagic's own
//     and unexported), so the one request is handed to it through the
//     nethttp adapter: net/http's types, never its server.
//   - TLS-ALPN-01: certs.Store gives a ClientHello that offers only
//     "acme-tls/1" a configuration whose GetCertificate is the Manager's,
//     which is certmagic's: it answers with the challenge certificate.
//
// Handshakes for the managed names go to certmagic's GetCertificate,
// which serves the certificate in its cache and fails a name it has none
// for (no default certificate). Obtaining runs in the background, one
// loop per name: a CA that cannot be reached is retried after 1 s,
// doubling to a minute (reaching it again costs nothing); an error the CA
// answered (a failed validation, a rate limit) after certmagic's own
// schedule, 1, 2, 5, 10, 20 and 30 minutes, then hourly, which keeps
// clear of Let's Encrypt's failed-validation limit. Each failure is
// logged with its reason. Renewal (at a third of the lifetime left, or
// when the CA's renewal information says), OCSP stapling and the
// cleanup of expired assets are certmagic's maintenance, checked every
// RenewInterval; a failed renewal keeps the old certificate served. A
// reload hands Manage the whole set of names again: a name no site uses
// any more has its loop stopped and leaves certmagic's cache, so it is
// neither renewed nor served (its files stay in storage for a later use).
//
// With a ZeroSSL API key, certmagic's ZeroSSL issuer is tried when the
// ACME CA fails; it validates over the plain listener like HTTP-01 (its
// /.well-known/pki-validation/ files answered the same way). ZeroSSL's
// ACME endpoint needs an external account binding that only its API
// gives, which is why the API key is the way in.
//
// The storage directory holds the account, keys and certificates, and
// the lock files through which several instances sharing it (a volume
// mounted by every replica) coordinate: one obtains or renews a name
// while the others wait, then load the result.
//
// certmagic logs through zap; the Manager's zap core writes to log/slog,
// certmagic's info messages at debug level (the Manager logs what
// matters: obtained, renewed, failed and why).
package acme
