// Package etcdtest starts a real etcd server inside the test process
// (go.etcd.io/etcd/server/v3/embed): a single member on 127.0.0.1 with free
// ports, a temporary data folder, fast ticks (so leases as short as one second
// are honoured) and quiet logs. The server is stopped when the test ends;
// Stop and Restart take it away and bring it back on the same data folder and
// ports, so clients reconnect by themselves.
package etcdtest
