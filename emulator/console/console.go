// Package console serves what the Cloudflare dashboard and `wrangler tail`
// give a developer: the Worker's tail events as a Server-Sent Events stream
// at /_edge/tail (read by `edge tail`), with wrangler tail's filters.
//
// Differences from wrangler tail: the stream is local and unsampled; the
// status filter "error" matches events whose outcome is not ok or whose
// response status is 500 or more (the original Worker catches its errors,
// so wrangler would report those requests as ok).
package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"jobmatch-edge/runtime"
)

// subscriberBuffer is how many events a slow subscriber may fall behind
// before events are dropped for it.
const subscriberBuffer = 256

// Hub fans tail events out to subscribers.
type Hub struct {
	mu   sync.Mutex
	subs map[chan runtime.TailEvent]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub { return &Hub{subs: map[chan runtime.TailEvent]struct{}{}} }

// Publish sends ev to every subscriber without blocking.
func (h *Hub) Publish(ev runtime.TailEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- ev:
		default: // a subscriber that cannot keep up loses events, never blocks requests
		}
	}
}

func (h *Hub) subscribe() chan runtime.TailEvent {
	ch := make(chan runtime.TailEvent, subscriberBuffer)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch
}

func (h *Hub) unsubscribe(ch chan runtime.TailEvent) {
	h.mu.Lock()
	delete(h.subs, ch)
	h.mu.Unlock()
}

// Filter is wrangler tail's filters.
type Filter struct {
	Status string // "", "ok" or "error"
	Method string // "", or an HTTP method (case-insensitive)
	Search string // substring of any console line or the URL
}

// Match reports whether ev passes f.
func (f Filter) Match(ev runtime.TailEvent) bool {
	if f.Method != "" && !strings.EqualFold(f.Method, ev.Event.Request.Method) {
		return false
	}
	failed := ev.Outcome != "ok" || (ev.Event.Response != nil && ev.Event.Response.Status >= 500)
	switch f.Status {
	case "ok":
		if failed {
			return false
		}
	case "error":
		if !failed {
			return false
		}
	}
	if f.Search != "" {
		if strings.Contains(ev.Event.Request.URL, f.Search) {
			return true
		}
		for _, l := range ev.Logs {
			if strings.Contains(fmt.Sprint(l.Message...), f.Search) {
				return true
			}
		}
		return false
	}
	return true
}

// ParseFilter reads ?status=&method=&search= and validates them.
func ParseFilter(q map[string][]string) (Filter, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := Filter{Status: get("status"), Method: get("method"), Search: get("search")}
	switch f.Status {
	case "", "ok", "error":
	default:
		return f, fmt.Errorf("status %q: use ok or error", f.Status)
	}
	return f, nil
}

// HandleTail streams tail events as SSE: one `data: <json>` per event.
func (h *Hub) HandleTail(w http.ResponseWriter, r *http.Request) {
	f, err := ParseFilter(r.URL.Query())
	if err != nil {
		runtime.WriteError(w, runtime.NewError(http.StatusBadRequest, runtime.CodeValidation, err.Error()))
		return
	}
	flusher, ok := w.(http.Flusher)
	if !ok {
		runtime.WriteError(w, runtime.NewError(http.StatusInternalServerError, runtime.CodeInternal, "streaming unsupported"))
		return
	}
	ch := h.subscribe()
	defer h.unsubscribe(ch)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected to edge tail\n\n")
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case ev := <-ch:
			if !f.Match(ev) {
				continue
			}
			data, _ := json.Marshal(ev)
			fmt.Fprintf(w, "data: %s\n\n", data)
			flusher.Flush()
		}
	}
}
