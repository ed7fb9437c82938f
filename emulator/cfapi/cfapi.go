// Package cfapi holds what every Cloudflare REST API v4 surface of edge
// shares: the account and API-token guard in front of /client/v4, and the
// request helpers the per-product route tables use. Each product package
// (kv, d1, vectorize, ai, ...) registers its own routes under Prefix.
package cfapi

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"jobmatch-edge/runtime"
)

// Prefix is the path every account-scoped REST route starts with.
const Prefix = "/client/v4/accounts/{account_id}"

var accountIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ErrAuthentication is Cloudflare's answer to a missing or wrong token.
var ErrAuthentication = runtime.NewError(http.StatusForbidden, runtime.CodeAuthentication, "Authentication error")

// Guard checks, in front of every /client/v4 route, the bearer token (when
// token is set) and the account id in the path. A malformed account id gets
// Cloudflare's 7003 "Could not route" error; a well-formed id that is not
// this emulator's account gets 10000 "Authentication error", as the real
// API answers for an account the token cannot reach.
func Guard(next http.Handler, accountID, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			runtime.WriteError(w, ErrAuthentication)
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, "/client/v4/accounts/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			if !accountIDPattern.MatchString(id) {
				runtime.WriteError(w, runtime.NewError(http.StatusBadRequest, runtime.CodeNoRoute,
					fmt.Sprintf("Could not route to %s, perhaps your object identifier is invalid?", strings.TrimPrefix(r.URL.Path, "/client/v4"))))
				return
			}
			if id != accountID {
				runtime.WriteError(w, ErrAuthentication)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// NotFound answers a /client/v4 path that no route matches.
func NotFound(w http.ResponseWriter, r *http.Request) {
	runtime.WriteError(w, runtime.NewError(http.StatusNotFound, runtime.CodeNoRoute,
		fmt.Sprintf("Could not route to %s, perhaps your object identifier is invalid?", strings.TrimPrefix(r.URL.Path, "/client/v4"))))
}

// MaxJSONBody bounds the JSON bodies the REST surfaces decode (bulk writes
// may be up to 100 MB).
const MaxJSONBody = 100 << 20

// DecodeJSON reads a JSON body into v, answering malformed JSON with a 400
// in the v4 envelope's words.
func DecodeJSON(r *http.Request, v any) error {
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxJSONBody+1))
	if err != nil {
		return runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "could not read request body").With(err)
	}
	if len(data) > MaxJSONBody {
		return runtime.NewError(http.StatusRequestEntityTooLarge, runtime.CodeValidation, "request body too large")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, "Malformed JSON in request body").With(err)
	}
	return nil
}
