package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"jobmatch-edge/runtime"
)

const tailUsage = "edge tail [--url http://127.0.0.1:8787] [--format pretty|json] [--search TEXT] [--status ok|error] [--method GET]"

// runTail streams a running server's Worker tail events, like `wrangler tail`.
func runTail(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var serverURL, format, search, status, method, apiToken string
	fs := newFlagSet("tail", tailUsage, stderr)
	fs.StringVar(&serverURL, "url", "http://127.0.0.1:8787", "the running edge server")
	fs.StringVar(&format, "format", "pretty", "output format: pretty or json (one event per line)")
	fs.StringVar(&search, "search", "", "only events whose URL or console lines contain this text")
	fs.StringVar(&status, "status", "", "only ok or error events (error: an exception or a 5xx response)")
	fs.StringVar(&method, "method", "", "only requests with this HTTP method")
	fs.StringVar(&apiToken, "api-token", "", "the server's --api-token, if it has one")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	if format != "pretty" && format != "json" {
		return fmt.Errorf("--format %q: use pretty or json", format)
	}
	q := url.Values{}
	for k, v := range map[string]string{"search": search, "status": status, "method": method} {
		if v != "" {
			q.Set(k, v)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(serverURL, "/")+"/_edge/tail?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	if apiToken != "" {
		req.Header.Set("Authorization", "Bearer "+apiToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w (is `edge serve` running there? pass --url)", serverURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var env runtime.Envelope
		_ = json.NewDecoder(resp.Body).Decode(&env)
		if len(env.Errors) > 0 {
			return fmt.Errorf("%s: %s", serverURL, env.Errors[0].Message)
		}
		return fmt.Errorf("%s: HTTP %d", serverURL, resp.StatusCode)
	}
	fmt.Fprintf(stderr, "Connected to %s, waiting for logs... (Ctrl-C to stop)\n", serverURL)
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 4<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if format == "json" {
			fmt.Fprintln(stdout, data)
			continue
		}
		var ev runtime.TailEvent
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			continue
		}
		printPretty(stdout, ev)
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

// printPretty prints an event the way `wrangler tail --format pretty` does.
func printPretty(w io.Writer, ev runtime.TailEvent) {
	outcome := "Ok"
	if ev.Outcome != "ok" {
		outcome = "Exception Thrown"
	}
	status := ""
	if ev.Event.Response != nil {
		status = fmt.Sprintf(" (%d)", ev.Event.Response.Status)
	}
	when := time.UnixMilli(ev.EventTimestamp).Format("1/2/2006, 3:04:05 PM")
	fmt.Fprintf(w, "%s %s - %s%s @ %s\n", ev.Event.Request.Method, ev.Event.Request.URL, outcome, status, when)
	for _, l := range ev.Logs {
		parts := make([]string, len(l.Message))
		for i, m := range l.Message {
			parts[i] = fmt.Sprint(m)
		}
		fmt.Fprintf(w, "  (%s) %s\n", l.Level, strings.Join(parts, " "))
	}
	for _, e := range ev.Exceptions {
		fmt.Fprintf(w, "  ✘ %s: %s\n", e.Name, e.Message)
	}
}
