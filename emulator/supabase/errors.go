package supabase

import "net/http"

// Error is a GoTrue error: {"code": <status>, "error_code": "...", "msg": "..."}.
type Error struct {
	Status int    `json:"code"`
	Code   string `json:"error_code"`
	Msg    string `json:"msg"`
	// WeakPassword is set for weak_password errors.
	WeakPassword *weakPassword `json:"weak_password,omitempty"`
}

type weakPassword struct {
	Reasons []string `json:"reasons"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Msg }

// GoTrue's errors, in its words.
var (
	errInvalidCredentials = &Error{Status: http.StatusBadRequest, Code: "invalid_credentials", Msg: "Invalid login credentials"}
	errUserExists         = &Error{Status: http.StatusUnprocessableEntity, Code: "user_already_exists", Msg: "User already registered"}
	errEmailExists        = &Error{Status: http.StatusUnprocessableEntity, Code: "email_exists", Msg: "A user with this email address has already been registered"}
	errWeakPassword       = &Error{Status: http.StatusUnprocessableEntity, Code: "weak_password", Msg: "Password should be at least 6 characters.", WeakPassword: &weakPassword{Reasons: []string{"length"}}}
	errPasswordTooLong    = &Error{Status: http.StatusBadRequest, Code: "validation_failed", Msg: "Password cannot be longer than 72 characters"}
	errRefreshNotFound    = &Error{Status: http.StatusBadRequest, Code: "refresh_token_not_found", Msg: "Invalid Refresh Token: Refresh Token Not Found"}
	errRefreshUsed        = &Error{Status: http.StatusBadRequest, Code: "refresh_token_already_used", Msg: "Invalid Refresh Token: Already Used"}
	errSessionMissing     = &Error{Status: http.StatusForbidden, Code: "session_not_found", Msg: "Session from session_id claim in JWT does not exist"}
	errUserFromSub        = &Error{Status: http.StatusForbidden, Code: "user_not_found", Msg: "User from sub claim in JWT does not exist"}
	errUserNotFound       = &Error{Status: http.StatusNotFound, Code: "user_not_found", Msg: "User not found"}
	errNoAuthorization    = &Error{Status: http.StatusUnauthorized, Code: "no_authorization", Msg: "This endpoint requires a valid Bearer token"}
	errGrantType          = &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Msg: "unsupported_grant_type"}
	errNotAdmin           = &Error{Status: http.StatusForbidden, Code: "not_admin", Msg: "User not allowed"}
	errBadJSON            = &Error{Status: http.StatusBadRequest, Code: "bad_json", Msg: "Could not parse request body as JSON"}
	errUnexpected         = &Error{Status: http.StatusInternalServerError, Code: "unexpected_failure", Msg: "Unexpected failure, please check server logs for more information"}
)

// The claims GoTrue checks after the signature, in its words (all bad_jwt).
var (
	errMissingSub = errBadJWT("invalid claim: missing sub claim")
	errSubNotUUID = &Error{Status: http.StatusBadRequest, Code: "bad_jwt", Msg: "invalid claim: sub claim must be a UUID"}
	errSIDNotUUID = errBadJWT("invalid claim: session_id claim must be a UUID")
	errMissingSID = errBadJWT("invalid claim: missing session_id claim")
)

func errValidation(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "validation_failed", Msg: msg}
}

func errBadJWT(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "bad_jwt", Msg: msg}
}

// apiKeyError is the gateway's answer to a missing or wrong apikey (it comes
// from Supabase's API gateway, not GoTrue, hence the other shape).
type apiKeyError struct {
	Message string `json:"message"`
	Hint    string `json:"hint"`
}

var (
	errNoAPIKey  = apiKeyError{"No API key found in request", "No `apikey` request header or url param was found."}
	errBadAPIKey = apiKeyError{"Invalid API key", "Double check your Supabase `anon` or `service_role` API key."}
)
