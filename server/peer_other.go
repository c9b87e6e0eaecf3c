//go:build !unix

package server

// peekClosed cannot look without reading here: the client counts as
// present.
func peekClosed(uintptr) bool { return false }
