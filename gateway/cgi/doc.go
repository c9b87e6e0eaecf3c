// Package cgi runs CGI scripts (RFC 3875), one process per request: the
// classic gateway Brick's article series grew out of.
//
// A Handler serves the scripts of a root directory under a mount
// ("/cgi-bin"). The first segments of the path under the mount that name
// an executable regular file inside the root are the script, the rest is
// PATH_INFO: "/cgi-bin/tools/env.py/a/b" runs ROOT/tools/env.py with
// SCRIPT_NAME "/cgi-bin/tools/env.py" and PATH_INFO "/a/b". Nothing
// outside the root is run: lookups go through os.Root, so a symbolic link
// out of it is not followed; dotfiles and directories are never scripts;
// an encoded "..", NUL or bad escape is 400 (gateway/cgienv's rules); a
// missing script is 404 and a file that is not executable 403.
//
// # The run
//
// The request body is read whole into an unlinked temporary file first,
// so CONTENT_LENGTH is known for chunked bodies too, as RFC 3875 §4.1.2
// requires, and a slow client holds no process; the file is the script's
// standard input. The environment is PATH, Config.Env and the
// meta-variables of gateway/cgienv (the builder the FastCGI and WSGI
// gateways share: the httpoxy rule is there), plus SCRIPT_FILENAME and
// PATH_TRANSLATED (PATH_INFO under the root); Brick's own environment is
// not passed, nor, unless Config.PassAuthorization, HTTP_AUTHORIZATION.
// The script runs in its own directory and its own process group.
//
// # The response
//
// The header block the script writes is parsed strictly by
// cgienv.ParseResponseHead, which the FastCGI gateway shares: the field
// rules of HTTP that package wire applies to requests, so no CR or LF in
// a value, no folding, no space before a colon, and the CGI rules:
// Status, Location and Content-Type at most once and at least one of
// them. A block that breaks them, is longer than 64 KiB, or never ends is
// 502 with a log line saying what the script sent; so is a script that
// exits, or cannot be started (no "#!" line), before it. Fields that frame
// the message (Content-Length, Transfer-Encoding, Connection, ...) are the
// server's and dropped. "Location: /path" with no Status is a local
// redirect, served internally as a GET of that path through
// Config.Dispatch (at most 10 in a row); any other Location is sent to the
// client, with 302 unless the script gave a Status. The body is streamed
// to the client and flushed after each read of the script's output, so a
// long-running script streams.
//
// Each line of the script's standard error is logged with the script's
// name, up to 100 lines of 1 KiB per run; the rest is counted in one line.
//
// # Timeout
//
// Config.Timeout (and the request's context: a route's timeout, a server
// shutting down) bounds the run. Past it the script's whole process group
// is killed: the client gets 504 when nothing of the response was sent,
// else its connection is cut, so that a partial response never looks
// complete.
package cgi
