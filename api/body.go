package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"
)

// Bounds of a JSON request body.
const (
	// maxJSONBody is the largest body readJSONBody parses.
	maxJSONBody = 10 << 20
	// maxDiscardBody is how much of a longer body is read and thrown away
	// before the 400, so that a client that sends its whole body before
	// reading the answer gets it instead of a connection reset (Go's server
	// discards only 256 KiB of an unread body). 100 MiB is what Cloudflare
	// lets through to a Worker on the Free and Pro plans.
	maxDiscardBody = 100 << 20
)

// readJSONBody is c.req.json(): the body parsed as any JSON value, numbers
// as float64 (JSON.parse's doubles).
//
// Differs from the original: a body that cannot be used is a 400
// VALIDATION_ERROR "Invalid request body" with the reason under
// details.fields[""], in every route, where the original's SyntaxError
// became a 500. That covers a body that is empty, is not JSON, has text
// after the value, is longer than maxJSONBody or cannot be read. A number
// beyond a double's range (1e400, which JSON.parse reads as Infinity) is
// refused wherever it is, under its own path with zod's .finite() words,
// "Number must be finite", so no route ever stores or prints an infinity.
func readJSONBody(c echo.Context) (any, error) {
	v, _, err := readJSONBodyData(c)
	return v, err
}

// readJSONBodyData is readJSONBody that also returns the body's bytes.
func readJSONBodyData(c echo.Context) (any, []byte, error) {
	r := c.Request()
	if n := r.ContentLength; n > maxJSONBody {
		if n > maxDiscardBody {
			n = -1 // too long to read through
		}
		return nil, nil, tooLongBody(c, r.Body, n)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return nil, nil, bodyError("Could not read the request body")
	}
	if len(data) > maxJSONBody {
		return nil, nil, tooLongBody(c, r.Body, maxDiscardBody-int64(len(data)))
	}
	v, err := parseJSON(data)
	return v, data, err
}

// tooLongBody reads and throws away the rest of body, at most max bytes
// (none when max < 0), so the connection can carry the answer, and returns
// the body's error. When the body does not end there the answer is sent at
// once and the connection closed after it.
func tooLongBody(c echo.Context, body io.Reader, max int64) error {
	if max < 0 {
		c.Response().Header().Set("Connection", "close")
	} else if n, err := io.Copy(io.Discard, io.LimitReader(body, max+1)); err != nil || n > max {
		c.Response().Header().Set("Connection", "close")
	}
	return bodyError(fmt.Sprintf("Request body is larger than %d bytes", maxJSONBody))
}

// parseJSON is JSON.parse on data, with the errors of readJSONBody.
func parseJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			// V8's words for an empty or truncated text.
			return nil, bodyError("Unexpected end of JSON input")
		}
		return nil, bodyError(err.Error())
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(data[off:])) > 0 {
		pos := off + int64(len(data[off:])-len(bytes.TrimLeft(data[off:], " \t\r\n")))
		return nil, bodyError(fmt.Sprintf("Unexpected non-whitespace character after JSON at position %d", pos))
	}
	var issues zodIssues
	v = doubles(v, nil, &issues)
	if len(issues) > 0 {
		// Map order is random: list the paths sorted, so the answer is stable.
		sort.SliceStable(issues, func(i, j int) bool { return issues[i].dotPath() < issues[j].dotPath() })
		return nil, issues.validationError("Invalid request body")
	}
	return v, nil
}

// doubles replaces the json.Numbers in v by the doubles JSON.parse reads
// (an underflow is 0), adding an issue for each beyond a double's range.
func doubles(v any, path []any, issues *zodIssues) any {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil { // the decoder checked the syntax: only ErrRange is left
			issues.add(zodIssue{path: append([]any{}, path...), message: "Number must be finite"})
			return nil
		}
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = doubles(e, append(path, k), issues)
		}
	case []any:
		for i, e := range x {
			x[i] = doubles(e, append(path, i), issues)
		}
	}
	return v
}

// bodyError is readJSONBody's 400 for a body that cannot be used at all.
func bodyError(reason string) error {
	return &HTTPError{Status: http.StatusBadRequest, Code: "VALIDATION_ERROR", Message: "Invalid request body",
		Details: ordObj{{"fields", ordObj{{"", reason}}}}}
}
