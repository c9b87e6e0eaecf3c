//go:build !linux

package server

func defaultMaxConns() int { return 10000 }
