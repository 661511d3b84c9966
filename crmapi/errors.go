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

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	if a, ok := v.(jsonAppender); ok {
		bp := bufPool.Get().(*[]byte)
		if data, ok := a.appendJSON((*bp)[:0]); ok {
			data = append(data, '\n')
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.WriteHeader(status)
			w.Write(data)
			if cap(data) <= 1<<20 { // keep the pool's buffers modest
				*bp = data
				bufPool.Put(bp)
			}
			return
		}
		bufPool.Put(bp)
	}
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":{"code":"internal","message":"encoding the answer failed"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// writeError writes an error answer.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, ErrorBody{ErrorDetail{Code: code, Message: msg}})
}
