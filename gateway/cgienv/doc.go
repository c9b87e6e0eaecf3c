// Package cgienv builds the meta-variables of a request, the environment
// of RFC 3875 §4.1 as PEP 3333 reads it, for the CGI, FastCGI and WSGI
// gateways: one builder, so the three agree on every rule below and none of
// them can forget the httpoxy rule.
//
// The package also parses what comes back: a script's header block (RFC
// 3875 §6.3), delimited by HeadEnd and parsed by ParseResponseHead into
// the caller's wire.Header without allocating, by one set of rules for
// every gateway.
//
// A Builder passes each (key, value) pair to a Sink, which copies what it
// keeps: a WSGI frame, FastCGI name-value pairs, or "KEY=value" strings for
// exec. Values are bytes; WSGI reads them as latin-1. A Builder kept across
// requests reuses one scratch buffer, and request bytes are passed as views
// rather than copies, so a typical GET costs no allocation.
//
// # Variables
//
// Every key is passed at most once, and every value is free of NUL bytes.
//
//   - REQUEST_METHOD: the method as received.
//   - SCRIPT_NAME, PATH_INFO: the path percent-decoded exactly once, split
//     at the mount point (Options.ScriptName): SCRIPT_NAME is the mount, ""
//     at the root, and PATH_INFO the rest, "" when the path is the mount
//     itself. SCRIPT_NAME+PATH_INFO is always the decoded path. A path
//     outside the mount, "/application" for "/app" included, is
//     ErrOutsideMount (404). A malformed escape, an encoded NUL, or a "."
//     or ".." segment is ErrBadPath (400); "%2F" is decoded to "/" as
//     gunicorn and uWSGI do. An absolute-form target gives its path. The
//     asterisk of "OPTIONS *" is PATH_INFO "*", as under gunicorn, and only
//     a root mount owns it: it asks about the server, not a mounted
//     application.
//   - QUERY_STRING: the query as received, not decoded; "" when none.
//   - REQUEST_URI and RAW_URI (uWSGI's and gunicorn's names): the target
//     as received, still encoded; an absolute-form target gives its path
//     and query only, as nginx's $request_uri, so the value starts with
//     "/" (or is "*", or a CONNECT's authority).
//   - CONTENT_TYPE: the first Content-Type field, when there is one.
//   - CONTENT_LENGTH: the bodyLen passed to Build, when it is 0 or more;
//     never the client's field, which may describe a chunked or spoofed
//     body the application does not get.
//   - SERVER_NAME, SERVER_PORT: from the request's authority (the Host
//     field, or an absolute-form target's authority), as received, letter
//     case included; the wire parser has validated it. An IPv6 literal keeps
//     its brackets, as RFC 3875 §4.1.14 spells server-name, so that
//     "http://" + SERVER_NAME + ":" + SERVER_PORT is a URI (PEP 3333's
//     reconstruction and Django's get_host need it). A Host without a port
//     means the scheme's default port, 80 or 443 (RFC 9110 §4.2.1). With
//     no Host (HTTP/1.0) both come from the local address, else
//     "localhost" and the default port.
//   - SERVER_PROTOCOL: "HTTP/1.0", "HTTP/1.1" or "HTTP/2", the version the
//     server speaks for the request.
//   - SERVER_SOFTWARE "Brick", GATEWAY_INTERFACE "CGI/1.1".
//   - REQUEST_SCHEME: Options.Scheme, "http" by default; HTTPS "on" for
//     "https", which CGI programs and wsgiref.util.guess_scheme read.
//   - REMOTE_ADDR, REMOTE_PORT: the peer's address (an IPv4-mapped
//     address as IPv4, no zone); left out when the connection has none.
//   - HTTP_HOST: the request's authority, when it is not empty.
//   - HTTP_*: one per field name, upper-cased with '-' as '_', repeated
//     lines joined with ", " in order (Cookie lines with "; "). Dropped:
//     names with anything but letters, digits and '-' ("X_Forwarded_For"
//     must not pose as X-Forwarded-For, as nginx's underscores_in_headers
//     off has it); Proxy (httpoxy, CVE-2016-5386: HTTP_PROXY is where
//     programs look for their outgoing proxy); Content-Type and
//     Content-Length (only CONTENT_*); Transfer-Encoding (the application
//     gets the body de-chunked); Host (HTTP_HOST above). So no field can
//     set a variable that does not start with HTTP_.
//
// Authorization is passed as HTTP_AUTHORIZATION, as gunicorn and nginx's
// FastCGI do: WSGI applications authenticate themselves. A gateway that
// runs untrusted CGI programs may drop it in its sink.
package cgienv
