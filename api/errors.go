package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// HTTPError is the original's HttpError: a status, a machine code, a message
// and optional details, rendered by the global error handler as
// {code, message, statusCode, details?, stack?}.
type HTTPError struct {
	Status  int
	Code    string
	Message string
	Details any
}

func (e *HTTPError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// errorBody is E-std with the original's key order.
type errorBody struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	StatusCode int    `json:"statusCode"`
	Details    any    `json:"details,omitempty"`
	Stack      string `json:"stack,omitempty"`
}

// validationError is createValidationError(msg, fields).
func validationError(msg string, fields map[string]string) *HTTPError {
	return &HTTPError{Status: http.StatusBadRequest, Code: "VALIDATION_ERROR", Message: msg, Details: map[string]any{"fields": fields}}
}

// notFoundError is createNotFoundError(resource, id?).
func notFoundError(resource, id string) *HTTPError {
	details := struct {
		Resource string `json:"resource"`
		ID       string `json:"id,omitempty"`
	}{resource, id}
	if id == "" {
		return &HTTPError{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: resource + " not found", Details: details}
	}
	return &HTTPError{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: fmt.Sprintf("%s with ID %s not found", resource, id), Details: details}
}

// handleError is the global error handler (§3.3).
func (a *App) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	req := c.Request()
	var he *HTTPError
	var ee *echo.HTTPError
	body := errorBody{}
	switch {
	case errors.As(err, &he):
		body = errorBody{Code: he.Code, Message: he.Message, StatusCode: he.Status, Details: he.Details}
	case errors.As(err, &ee) && (ee.Code == http.StatusNotFound || ee.Code == http.StatusMethodNotAllowed):
		// Hono answers an unmatched path or method with the notFound body,
		// written by the app, without a stack.
		_ = writeJSON(c, http.StatusNotFound, errorBody{Code: "NOT_FOUND", Message: fmt.Sprintf("Route %s %s not found", req.Method, req.URL.Path), StatusCode: http.StatusNotFound})
		return
	default:
		var syntax *json.SyntaxError
		msg := "An unexpected error occurred"
		if a.dev {
			msg = err.Error()
		}
		if errors.As(err, &syntax) && a.dev {
			msg = err.Error()
		}
		body = errorBody{Code: "INTERNAL_ERROR", Message: msg, StatusCode: http.StatusInternalServerError}
		a.consoleError(c, "[ErrorHandler] %s %s: %v", req.Method, req.URL.Path, err)
	}
	if a.dev {
		// Differs from the original: Go has no JavaScript stack; development
		// mode shows the error's type and the route instead.
		body.Stack = fmt.Sprintf("%T: %s\n    at %s %s", err, body.Message, req.Method, req.URL.Path)
	}
	_ = writeJSON(c, body.StatusCode, body)
}

// writeJSON writes v with Content-Type application/json (no charset, as Hono).
func writeJSON(c echo.Context, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // JSON.stringify does not escape <, > and &
	if err := enc.Encode(v); err != nil {
		return err
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// A Worker's string body has a known length; so does a HEAD's answer.
	c.Response().Header().Set("Content-Length", strconv.Itoa(len(body)))
	return c.Blob(status, "application/json", body)
}
