// Package tools pins the programs Brick's tests run as real peers, so that
// their dependencies stay out of Brick's own go.mod:
//
//   - pebble, Let's Encrypt's ACME test CA, and pebble-challtestsrv, its DNS
//     server for test names, for the automatic HTTPS tests;
//   - h2spec, the HTTP/2 conformance suite.
//
// scripts/test installs them with `go -C tools install tool` into .tools/bin
// and puts that directory first on PATH; tests find them with
// testutil.LookPath and fail (BRICK_REQUIRE_TOOLS=1) when they are missing.
package tools
