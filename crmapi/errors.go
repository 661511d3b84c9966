package crmapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Error codes of the API, stable across versions.
const (
	CodeNotFound         = "not_found"
	CodeNoRoute          = "no_route"
	CodeMethodNotAllowed = "method_not_allowed"
	CodeInvalidParameter = "invalid_parameter"
	CodeBadCursor        = "bad_cursor"
	CodeBadRequest       = "bad_request"
	CodeBodyTooLarge     = "body_too_large"
	CodeNotReady         = "not_ready"
	CodeNoPrevious       = "no_previous_model"
	CodeUnauthorized     = "unauthorized"
	CodeForbidden        = "forbidden"
	CodeRateLimited      = "rate_limited"
	CodeTimeout          = "timeout"
)

// ModelVersionHeader carries the version of the model that answered.
const ModelVersionHeader = "Quarry-Model-Version"

// ErrorBody is the JSON body of every error answer.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is an error's stable code and human-readable message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// jsonContentType is the Content-Type of every answer, shared by all:
// net/http only reads it.
var jsonContentType = []string{"application/json"}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	writeBody(w, status, append(data, '\n'))
}

// writeBody writes data, a JSON document and its newline, with status
// and its Content-Length (so net/http need not chunk a long answer). The
// canonical header keys are set directly, sparing their canonicalisation.
func writeBody(w http.ResponseWriter, status int, data []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(data))}
	w.WriteHeader(status)
	w.Write(data)
}

// writeError writes an error answer.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{ErrorDetail{Code: code, Message: msg}})
}
