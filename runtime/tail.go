package runtime

// TailEvent is one Worker invocation as `wrangler tail --format json` shows
// it: the request, the response status, the console lines it logged and the
// exceptions it threw. The JobMatch API publishes one per request through
// Env.Tail; `edge tail` streams them.
type TailEvent struct {
	Outcome        string          `json:"outcome"` // "ok" or "exception"
	ScriptName     string          `json:"scriptName"`
	EventTimestamp int64           `json:"eventTimestamp"` // unix ms
	Event          TailRequest     `json:"event"`
	Logs           []TailLog       `json:"logs"`
	Exceptions     []TailException `json:"exceptions"`
}

// TailRequest is the request and response of a TailEvent.
type TailRequest struct {
	Request  TailHTTPRequest   `json:"request"`
	Response *TailHTTPResponse `json:"response,omitempty"`
}

// TailHTTPRequest is the request part of a tail event.
type TailHTTPRequest struct {
	URL    string `json:"url"`
	Method string `json:"method"`
}

// TailHTTPResponse is the response part of a tail event.
type TailHTTPResponse struct {
	Status int `json:"status"`
}

// TailLog is one console line.
type TailLog struct {
	Message   []any  `json:"message"`
	Level     string `json:"level"` // log, info, warn, error, debug
	Timestamp int64  `json:"timestamp"`
}

// TailException is an uncaught error.
type TailException struct {
	Name      string `json:"name"`
	Message   string `json:"message"`
	Timestamp int64  `json:"timestamp"`
}
