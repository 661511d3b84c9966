// Package certs makes and loads the certificates of a mutually
// authenticated Quarry cluster: a development certificate authority
// (InitCA), server-and-client certificates signed by it (Issue), and the
// crypto/tls configurations that serve and dial with them (Files.Server,
// Files.Client). Every error names the file at fault.
//
// It is a development and small-cluster helper, not a PKI: keys are ECDSA
// P-256 written 0600, the CA's key stays in its folder, and there is no
// revocation or reload; a production cluster may use certificates from
// any CA instead, with the same flags.
package certs
