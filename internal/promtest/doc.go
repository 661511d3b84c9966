// Package promtest scrapes Prometheus endpoints in tests: it fetches and
// parses the text format and reads a family's value for given labels, so
// a test can check that the families a process exports exist and move.
package promtest
