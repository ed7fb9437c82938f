package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error is the one error type of the platform. Services return it (or wrap
// it) and every HTTP surface turns it into Cloudflare's v4 envelope with
// ErrorEnvelope.
type Error struct {
	Status  int    // HTTP status
	Code    int    // Cloudflare error code; codes.go is the only table
	Message string // Cloudflare's text, verbatim where known
	Err     error  // cause: logged, never serialised
}

func (e *Error) Error() string { return fmt.Sprintf("cf %d: %s", e.Code, e.Message) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether t is an *Error with the same code (and, when both carry
// one, the same message), so errors.Is(err, ErrKVKeyNotFound) works on copies.
func (e *Error) Is(t error) bool {
	x, ok := t.(*Error)
	if !ok {
		return false
	}
	return x.Code == e.Code && (x.Message == "" || e.Message == "" || x.Message == e.Message)
}

// With returns a copy of e carrying cause.
func (e *Error) With(cause error) *Error { c := *e; c.Err = cause; return &c }

// Withf returns a copy of e whose message is formatted from format and args.
func (e *Error) Withf(format string, args ...any) *Error {
	c := *e
	c.Message = fmt.Sprintf(format, args...)
	return &c
}

// NewError builds an *Error.
func NewError(status, code int, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// ErrorItem is one entry of an envelope's errors or messages array.
type ErrorItem struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Envelope is the Cloudflare API v4 response body.
type Envelope struct {
	Success    bool        `json:"success"`
	Errors     []ErrorItem `json:"errors"`
	Messages   []ErrorItem `json:"messages"`
	Result     any         `json:"result"`
	ResultInfo any         `json:"result_info,omitempty"`
}

// OK wraps result in a successful envelope.
func OK(result any) Envelope {
	return Envelope{Success: true, Errors: []ErrorItem{}, Messages: []ErrorItem{}, Result: result}
}

// OKPaged wraps result and its result_info in a successful envelope.
func OKPaged(result, info any) Envelope {
	env := OK(result)
	env.ResultInfo = info
	return env
}

// ErrInternal is what any error that is not an *Error becomes on the wire.
var ErrInternal = &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "Internal Server Error"}

// ErrorEnvelope maps any error to an HTTP status and a failure envelope. An
// error that is not (and does not wrap) an *Error is a generic 500; the
// caller logs the cause.
func ErrorEnvelope(err error) (int, Envelope) {
	var e *Error
	if !errors.As(err, &e) {
		e = ErrInternal
	}
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return status, Envelope{
		Success:  false,
		Errors:   []ErrorItem{{Code: e.Code, Message: e.Message}},
		Messages: []ErrorItem{},
		Result:   nil,
	}
}

// FromStatus builds an *Error for a plain HTTP failure (used when a router
// reports 404 or 405 itself).
func FromStatus(status int, message string) *Error {
	code := CodeInternal
	switch status {
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		code = CodeNoRoute
	case http.StatusUnauthorized, http.StatusForbidden:
		code = CodeAuthentication
	case http.StatusBadRequest:
		code = CodeValidation
	}
	return &Error{Status: status, Code: code, Message: message}
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// WriteResult writes a successful v4 envelope around result.
func WriteResult(w http.ResponseWriter, result any) { WriteJSON(w, http.StatusOK, OK(result)) }

// WriteError writes err as a v4 failure envelope and returns the status used.
func WriteError(w http.ResponseWriter, err error) int {
	status, env := ErrorEnvelope(err)
	WriteJSON(w, status, env)
	return status
}
