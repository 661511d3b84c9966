package crmapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// intParam reads query parameter name within [lo, hi], def when absent.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, lo, hi int) (int, bool) {
	v := queryValue(r.URL.RawQuery, name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		writeError(w, http.StatusBadRequest, CodeInvalidParameter, fmt.Sprintf("%s=%q: want an integer in [%d, %d]", name, v, lo, hi))
		return 0, false
	}
	return n, true
}

// queryValue returns the first value of the query parameter name in the
// raw query, as r.URL.Query().Get(name) does (pairs with a semicolon or a
// bad escape are skipped), without building the whole url.Values.
func queryValue(raw, name string) string {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(key, "%+") {
			var err error
			if key, err = url.QueryUnescape(key); err != nil {
				continue
			}
		}
		if key != name {
			continue
		}
		if strings.ContainsAny(value, "%+") {
			v, err := url.QueryUnescape(value)
			if err != nil {
				continue
			}
			value = v
		}
		return value
	}
	return ""
}

const cursorPrefix = "after:"

// encodeCursor and decodeCursor make the opaque cursor of segment pages:
// the last customer id of the page, so a cursor stays valid across model
// versions.
func encodeCursor(id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + id))
}

func decodeCursor(c string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(b), cursorPrefix) {
		return "", false
	}
	return string(b[len(cursorPrefix):]), true
}
