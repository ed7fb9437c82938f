package emulator

import (
	"fmt"
	"net/http"
	"strings"

	"jobmatch-edge/emulator/internal/httpguard"
	"jobmatch-edge/emulator/supabase"
	"jobmatch-edge/runtime"
)

// surfaces lists the surfaces of services that are wired, beyond the REST API.
func (e *Emulator) surfaces(base string) []Surface {
	var out []Surface
	acct := base + "/client/v4/accounts/" + e.opts.AccountID
	if e.AI != nil {
		out = append(out, Surface{"Workers AI REST", acct + "/ai/run/{model}, " + acct + "/ai/v1/*"})
	}
	if e.Gateway != nil {
		out = append(out, Surface{"AI Gateway", base + "/v1/" + e.opts.AccountID + "/{gateway_id}/{openai|workers-ai|compat}/..."})
	}
	if e.Auth != nil {
		out = append(out, Surface{"Supabase Auth", base + "/auth/v1"})
	}
	if e.linkedIn {
		out = append(out, Surface{"LinkedIn stand-in", base + "/_edge/linkedin/"})
	}
	out = append(out, Surface{"Console", base + "/_edge/health, /_edge/tail, /_edge/gateway, /_edge/stats"})
	return out
}

// HandleWorker mounts the Worker (the JobMatch API) on every path the
// emulated surfaces do not own. timeout answers, in the Worker's own
// format, a request whose body stopped arriving (nil: the v4 envelope's
// answer). Paths the router cannot take as sent (see serveHTTP) reach the
// Worker unrouted, as they reach a deployed Worker, so it answers them in
// its own words too.
func (e *Emulator) HandleWorker(h http.Handler, timeout http.HandlerFunc) {
	e.mux.Handle("/", h)
	e.worker, e.workerTimeout = h, timeout
}

// serveHTTP is the main listener's handler: the route table, behind the
// two checks net/http would otherwise answer for the surfaces in its own
// plain-text words (or not at all), each answered in the surface's format:
//   - a path the route table cannot take as sent (an invalid escape such
//     as "%zz", an empty segment as in "//x", a "." or ".." segment),
//     which ServeMux would redirect to a cleaned, different path; keys
//     that hold such sequences are sent percent-encoded
//     ("values/a%2F..%2Fc") and route as usual;
//   - a request body that stops arriving (Options.BodyIdleTimeout).
func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f := e.errorFormatOf(r.URL.EscapedPath())
	next := http.Handler(e.mux)
	if httpguard.Malformed(r) {
		next = f.malformed
		if f.worker {
			next, r = e.worker, httpguard.Unmarked(r)
		}
	}
	httpguard.ServeIdleBody(w, r, e.opts.BodyIdleTimeout, f.timeout, next)
}

// errorFormat is how one surface words the two refusals of serveHTTP.
type errorFormat struct {
	malformed http.HandlerFunc
	timeout   http.HandlerFunc
	worker    bool // the Worker's paths: it answers malformed paths itself
}

// Our own texts (docs/DEVIATIONS.md): none of the surfaces documents one.
const (
	msgBodyTimeout = "Request timeout: the request body was not received in time"
	msgMalformed   = "Malformed request path"
)

// errorFormatOf picks the surface that owns path (escaped, as sent).
func (e *Emulator) errorFormatOf(path string) errorFormat {
	under := func(prefix string) bool {
		return path == prefix || strings.HasPrefix(path, prefix+"/")
	}
	switch {
	case under("/client/v4"), under("/_edge"):
		return cfErrors
	case e.Auth != nil && under("/auth/v1"):
		return goTrueErrors
	case e.Gateway != nil && under("/v1"):
		return gatewayErrors
	case e.worker != nil:
		timeout := e.workerTimeout
		if timeout == nil {
			timeout = cfErrors.timeout
		}
		return errorFormat{timeout: timeout, worker: true}
	}
	return cfErrors
}

// couldNotRoute is Cloudflare's 7003 for a path it cannot route, the way
// cfapi.NotFound words it (without the /client/v4 prefix).
func couldNotRoute(r *http.Request) *runtime.Error {
	p := strings.TrimPrefix(shownPath(r), "/client/v4")
	return runtime.NewError(http.StatusBadRequest, runtime.CodeNoRoute,
		fmt.Sprintf("Could not route to %s, perhaps your object identifier is invalid?", p))
}

// shownPath is r's path as the client sent it.
func shownPath(r *http.Request) string {
	if httpguard.BadEscape(r) {
		return httpguard.Shown(r.URL.RawPath)
	}
	return r.URL.EscapedPath()
}

var errBodyTimeout = runtime.NewError(http.StatusRequestTimeout, runtime.CodeValidation, msgBodyTimeout)

// cfErrors: the Cloudflare REST API v4 and the console, in the v4 envelope.
var cfErrors = errorFormat{
	malformed: func(w http.ResponseWriter, r *http.Request) { runtime.WriteError(w, couldNotRoute(r)) },
	timeout:   func(w http.ResponseWriter, r *http.Request) { runtime.WriteError(w, errBodyTimeout) },
}

// goTrueErrors: the Supabase Auth stand-in, in GoTrue's error JSON.
var goTrueErrors = errorFormat{
	malformed: func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteJSON(w, http.StatusBadRequest, &supabase.Error{Status: http.StatusBadRequest, Code: "validation_failed", Msg: msgMalformed})
	},
	timeout: func(w http.ResponseWriter, r *http.Request) {
		runtime.WriteJSON(w, http.StatusRequestTimeout, &supabase.Error{Status: http.StatusRequestTimeout, Code: "request_timeout", Msg: msgBodyTimeout})
	},
}

// gatewayErrors: the AI Gateway, in its envelope (an "error" array).
var gatewayErrors = errorFormat{
	malformed: func(w http.ResponseWriter, r *http.Request) { writeGatewayError(w, couldNotRoute(r)) },
	timeout:   func(w http.ResponseWriter, r *http.Request) { writeGatewayError(w, errBodyTimeout) },
}

func writeGatewayError(w http.ResponseWriter, e *runtime.Error) {
	runtime.WriteJSON(w, e.Status, struct {
		Success bool                `json:"success"`
		Error   []runtime.ErrorItem `json:"error"`
	}{false, []runtime.ErrorItem{{Code: e.Code, Message: e.Message}}})
}
