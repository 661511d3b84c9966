// Package etcdembed runs a single-member etcd server inside a production
// process (go.etcd.io/etcd/server/v3/embed), for `quarry dev`: its data
// lives in a folder the caller names, it listens on loopback only, it logs
// through slog, and Close stops it gracefully. Tests use internal/etcdtest
// instead.
package etcdembed
