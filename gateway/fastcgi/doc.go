// Package fastcgi runs PHP: a FastCGI client for PHP-FPM and the handler
// of a php route, with Caddy's php_fastcgi defaults.
//
// A request under the root is answered by the first of:
//   - a script: the path up to the first segment ending in ".php" that
//     names an existing file, the rest being PATH_INFO
//     ("/index.php/feed" runs index.php with PATH_INFO "/feed"). Because
//     the file must exist, "/uploads/evil.jpg/x.php" never runs evil.jpg,
//     whatever PHP's cgi.fix_pathinfo says (CVE-2019-11043's setting);
//   - any other file, served as it is by a static.FileServer of the root;
//   - a directory's index.php (a directory named without its slash is
//     redirected to it first);
//   - the front controller, the root's index.php, for every other path
//     (WordPress, Laravel); it reads the path from REQUEST_URI;
//   - else 404.
//
// The variables are package cgienv's, the ones CGI and WSGI get, with
// SCRIPT_NAME, SCRIPT_FILENAME, PATH_INFO, PATH_TRANSLATED,
// DOCUMENT_ROOT, DOCUMENT_URI and REDIRECT_STATUS set from the script.
// The request body is streamed as STDIN records (a chunked one is read
// whole first: PHP needs CONTENT_LENGTH). The response is relayed as it
// comes: whatever PHP has sent is flushed to the client before waiting
// for more, so flush() in a script works; a response that arrives at once
// is sent with a Content-Length. The script's header block is parsed
// by cgienv.ParseResponseHead, the CGI gateway's rules (at least one of
// Status, Location and Content-Type; Location without Status is 302; a
// Content-Length is checked and framed by); its stderr records
// go to the log. PHP-FPM down is 502, the timeout 504.
//
// The record codec (record.go, reader.go, writer.go) is pure and fuzzed;
// the client (pool.go, client.go) keeps connections alive with
// FCGI_KEEP_CONN, one request per connection at a time, as PHP-FPM serves
// them (it does not multiplex), bounded by Config.Conns.
package fastcgi
