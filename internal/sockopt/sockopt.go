// Package sockopt sets the socket options Brick's listeners use: the listen
// backlog, SO_REUSEADDR and SO_REUSEPORT. Systems without them get no-ops.
package sockopt
