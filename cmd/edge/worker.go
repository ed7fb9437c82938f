package main

import (
	"net/http"

	"jobmatch-edge/runtime"
)

// workerTimeout answers, in the JobMatch API's error envelope (E-std:
// {code, message, statusCode}), a request to one of its paths whose body
// stopped arriving (--body-idle-timeout).
//
// Differs from the original: on Workers, Cloudflare's edge deals with a
// stalled client before the Worker runs; the code REQUEST_TIMEOUT is ours.
func workerTimeout(w http.ResponseWriter, r *http.Request) {
	runtime.WriteJSON(w, http.StatusRequestTimeout, struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		StatusCode int    `json:"statusCode"`
	}{"REQUEST_TIMEOUT", "Request timeout: the request body was not received in time", http.StatusRequestTimeout})
}
