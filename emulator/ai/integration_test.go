//go:build ollama_int

// Integration tests of the Workers AI `ollama` backend against a REAL Ollama
// server. scripts/ollama/int.sh (`make int`) builds Ollama v0.17.4, serves it
// on a loopback port with a temporary OLLAMA_MODELS, creates the models that
// cmd/tinybert generates, and runs these tests with:
//
//	OLLAMA_URL             the server, e.g. http://127.0.0.1:41234 (required)
//	OLLAMA_TEST_MODEL      64-dimension BERT embedding model (default tiny-bert)
//	OLLAMA_TEST_MODEL_768  768-dimension BERT embedding model (default tiny-bert-768)
//
// Without OLLAMA_URL the tests fail: with the ollama_int tag they never skip.
// The models have random weights, so the tests check shapes, norms,
// determinism, agreement with Ollama's own answers and error behaviour, not
// meaning.
package ai_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/ollama/ollama/api"

	"jobmatch-edge/emulator"
	"jobmatch-edge/emulator/ai"
	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

const (
	// tinyID is the test-only catalog entry served by the 64-dimension model.
	tinyID  = "@edge/test/tiny-bert"
	tinyDim = 64
	// bgeBase is a real catalog entry (768 dimensions).
	bgeBase    = "@cf/baai/bge-base-en-v1.5"
	bgeBaseDim = 768
)

// ollamaEnv is the server and models the script prepared.
type ollamaEnv struct {
	url      string
	model    string // 64 dimensions
	model768 string // 768 dimensions
}

func mustOllamaEnv(t *testing.T) ollamaEnv {
	t.Helper()
	e := ollamaEnv{
		url:      os.Getenv("OLLAMA_URL"),
		model:    envOr("OLLAMA_TEST_MODEL", "tiny-bert"),
		model768: envOr("OLLAMA_TEST_MODEL_768", "tiny-bert-768"),
	}
	if e.url == "" {
		t.Fatal("OLLAMA_URL is not set: run `bash scripts/ollama/int.sh` (make int), which starts a real Ollama with the test models")
	}
	return e
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func quietLogger() *slog.Logger {
	if os.Getenv("EDGE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// mustOpen opens the Workers AI service on the ollama backend, with the
// test-only 64-dimension entry (served by env.model) in its catalog.
func mustOpen(t *testing.T, env ollamaEnv, modelMap map[string]string) *ai.Service {
	t.Helper()
	svc, err := ai.Open(t.Context(), ai.Options{
		Backend:   ai.BackendOllama,
		OllamaURL: env.url,
		ModelMap:  modelMap,
		Models: []ai.Model{{
			ID: tinyID, Task: ai.TaskEmbeddings, Dimensions: tinyDim, MaxBatch: 100, TestOnly: true, Ollama: env.model,
		}},
		Clock:  runtime.NewFakeClock(emulatortest.Start),
		Logger: quietLogger(),
	})
	if err != nil {
		t.Fatalf("ai.Open(ollama at %s): %v", env.url, err)
	}
	t.Cleanup(func() {
		if err := svc.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	if got := svc.Backend(); got != ai.BackendOllama {
		t.Fatalf("Backend() = %q, want %q", got, ai.BackendOllama)
	}
	return svc
}

// embedding is the Workers AI embeddings output.
type embedding struct {
	Shape   []int       `json:"shape"`
	Data    [][]float64 `json:"data"`
	Pooling string      `json:"pooling,omitempty"`
}

func mustEmbed(t *testing.T, svc *ai.Service, model string, input any) embedding {
	t.Helper()
	raw, err := svc.Run(t.Context(), model, input, runtime.AIOptions{})
	if err != nil {
		t.Fatalf("Run(%s): %v", model, err)
	}
	var out embedding
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("Run(%s) output %s: %v", model, raw, err)
	}
	if len(out.Shape) != 2 || out.Shape[0] != len(out.Data) {
		t.Fatalf("Run(%s): shape %v does not describe %d rows", model, out.Shape, len(out.Data))
	}
	for i, row := range out.Data {
		if len(row) != out.Shape[1] {
			t.Fatalf("Run(%s): row %d has %d values, shape says %d", model, i, len(row), out.Shape[1])
		}
	}
	return out
}

// mustOllamaEmbed asks Ollama itself, through its official client.
func mustOllamaEmbed(t *testing.T, base, model string, texts []string) [][]float32 {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := api.NewClient(u, http.DefaultClient).Embed(t.Context(), &api.EmbedRequest{Model: model, Input: texts})
	if err != nil {
		t.Fatalf("ollama Embed(%s): %v", model, err)
	}
	return resp.Embeddings
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return math.Sqrt(s)
}

func cosine(a, b []float64) float64 {
	var dot float64
	for i := range a {
		dot += a[i] * b[i]
	}
	return dot / (norm(a) * norm(b))
}

// sameVectors compares with a tolerance of float32 rounding.
func sameVectors(t *testing.T, what string, got [][]float64, want [][]float32) {
	t.Helper()
	w := make([][]float64, len(want))
	for i, row := range want {
		w[i] = make([]float64, len(row))
		for j, x := range row {
			w[i][j] = float64(x)
		}
	}
	if diff := cmp.Diff(w, got, cmpopts.EquateApprox(0, 1e-6)); diff != "" {
		t.Errorf("%s (-ollama +edge):\n%s", what, diff)
	}
}

var jobTexts = []string{
	"Senior Go engineer, remote, Kubernetes and Postgres",
	"Data scientist with Python and machine learning experience",
	"Frontend developer: React, TypeScript, design systems",
	"hello world",
	"Lead platform engineer building distributed systems at scale",
}

func TestRealOllamaEmbedShape(t *testing.T) {
	env := mustOllamaEnv(t)
	svc := mustOpen(t, env, nil)
	for _, tc := range []struct {
		name        string
		input       map[string]any
		texts       []string
		wantPooling string
	}{
		{"one string", map[string]any{"text": "Senior Go engineer"}, []string{"Senior Go engineer"}, "mean"},
		{"array of one", map[string]any{"text": []string{"hello world"}}, []string{"hello world"}, "mean"},
		{"array of five", map[string]any{"text": jobTexts}, jobTexts, "mean"},
		{"explicit mean pooling", map[string]any{"text": jobTexts[:2], "pooling": "mean"}, jobTexts[:2], "mean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustEmbed(t, svc, tinyID, tc.input)
			if diff := cmp.Diff([]int{len(tc.texts), tinyDim}, got.Shape); diff != "" {
				t.Errorf("shape (-want +got):\n%s", diff)
			}
			if got.Pooling != tc.wantPooling {
				t.Errorf("pooling = %q, want %q", got.Pooling, tc.wantPooling)
			}
			// The vectors are Ollama's own, not the built-in backend's.
			sameVectors(t, "vectors", got.Data, mustOllamaEmbed(t, env.url, env.model, tc.texts))
		})
	}
}

func TestRealOllamaEmbedUnitNorm(t *testing.T) {
	env := mustOllamaEnv(t)
	svc := mustOpen(t, env, nil)
	got := mustEmbed(t, svc, tinyID, map[string]any{"text": jobTexts})
	for i, row := range got.Data {
		if n := norm(row); math.Abs(n-1) > 1e-4 {
			t.Errorf("row %d (%q): norm %.7f, want 1", i, jobTexts[i], n)
		}
	}
	// Different texts give different vectors (the model is not degenerate).
	for i := range got.Data {
		for j := i + 1; j < len(got.Data); j++ {
			if c := cosine(got.Data[i], got.Data[j]); c > 0.9999 {
				t.Errorf("rows %d and %d: cosine %.6f, want distinct vectors", i, j, c)
			}
		}
	}
}

func TestRealOllamaEmbedDeterministic(t *testing.T) {
	env := mustOllamaEnv(t)
	first := mustOpen(t, env, nil)
	second := mustOpen(t, env, nil)
	input := map[string]any{"text": jobTexts}
	want := mustEmbed(t, first, tinyID, input)
	for _, tc := range []struct {
		name string
		svc  *ai.Service
	}{
		{"same service again", first},
		{"another service", second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustEmbed(t, tc.svc, tinyID, input)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("second call differs (-first +second):\n%s", diff)
			}
		})
	}
	t.Run("alone or in a batch", func(t *testing.T) {
		for i, text := range jobTexts {
			got := mustEmbed(t, first, tinyID, map[string]any{"text": text})
			if diff := cmp.Diff(want.Data[i], got.Data[0], cmpopts.EquateApprox(0, 1e-5)); diff != "" {
				t.Errorf("%q alone differs from its batch row (-batch +alone):\n%s", text, diff)
			}
		}
	})
}

func TestRealOllamaEmbedBatch(t *testing.T) {
	env := mustOllamaEnv(t)
	svc := mustOpen(t, env, nil)
	texts := make([]string, 101)
	for i := range texts {
		texts[i] = fmt.Sprintf("candidate %d: senior go engineer with %d years of experience in remote teams", i, i%20)
	}
	t.Run("100 texts", func(t *testing.T) {
		got := mustEmbed(t, svc, tinyID, map[string]any{"text": texts[:100]})
		if diff := cmp.Diff([]int{100, tinyDim}, got.Shape); diff != "" {
			t.Fatalf("shape (-want +got):\n%s", diff)
		}
		for i, row := range got.Data {
			if n := norm(row); math.Abs(n-1) > 1e-4 {
				t.Errorf("row %d: norm %.7f, want 1", i, n)
			}
		}
		sameVectors(t, "rows 0, 57 and 99", [][]float64{got.Data[0], got.Data[57], got.Data[99]},
			mustOllamaEmbed(t, env.url, env.model, []string{texts[0], texts[57], texts[99]}))
	})
	t.Run("101 texts", func(t *testing.T) {
		_, err := svc.Run(t.Context(), tinyID, map[string]any{"text": texts}, runtime.AIOptions{})
		checkError(t, err, http.StatusBadRequest, runtime.CodeAIBadInput, "Error: maxItems at '/text' not met: 101 > 100")
	})
}

// checkError asserts err is a *runtime.Error with the status and code, and
// (when wantMessage is set) exactly that message.
func checkError(t *testing.T, err error, wantStatus, wantCode int, wantMessage string) *runtime.Error {
	t.Helper()
	var re *runtime.Error
	if !errors.As(err, &re) {
		t.Fatalf("err = %v (%T), want a *runtime.Error", err, err)
	}
	if re.Status != wantStatus || re.Code != wantCode {
		t.Errorf("err = %d/%d %q, want status %d code %d", re.Status, re.Code, re.Message, wantStatus, wantCode)
	}
	if wantMessage != "" && re.Message != wantMessage {
		t.Errorf("message:\n got %q\nwant %q", re.Message, wantMessage)
	}
	return re
}

// closedLoopbackURL is a loopback address nothing listens on.
func closedLoopbackURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func TestRealOllamaErrors(t *testing.T) {
	env := mustOllamaEnv(t)
	down := closedLoopbackURL(t)
	const missing = "edge-missing-model"
	const prefix = "No more data centers to forward the request to: "
	for _, tc := range []struct {
		name       string
		url        string
		modelMap   map[string]string
		model      string
		wantPrefix string // the message starts with this...
		wantSuffix string // ...and ends with this (the middle may carry a transport error)
	}{
		{
			name:     "dimension mismatch",
			url:      env.url,
			modelMap: map[string]string{bgeBase: env.model},
			model:    bgeBase,
			wantPrefix: prefix + fmt.Sprintf("Ollama model %q returned 64-dimension embeddings, but %s has 768 dimensions; "+
				"map %s to an Ollama model that gives at least 768 (--ai-model-map %s=<model>)", env.model, bgeBase, bgeBase, bgeBase),
		},
		{
			name:     "missing model",
			url:      env.url,
			modelMap: map[string]string{tinyID: missing},
			model:    tinyID,
			wantPrefix: prefix + fmt.Sprintf("Ollama at %s has no model %q (mapped to %s); run `ollama pull %s`, "+
				"or map %s to a model it has (--ai-model-map %s=<model>)", env.url, missing, tinyID, missing, tinyID, tinyID),
		},
		{
			name:       "ollama down",
			url:        down,
			modelMap:   map[string]string{tinyID: env.model},
			model:      tinyID,
			wantPrefix: prefix + "Ollama is not reachable at " + down + " (",
			wantSuffix: "connection refused); run `ollama serve`, point --ollama-url at a running Ollama, or start edge with --ai-backend builtin",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env
			e.url = tc.url
			svc := mustOpen(t, e, tc.modelMap)
			out, err := svc.Run(t.Context(), tc.model, map[string]any{"text": jobTexts[:2]}, runtime.AIOptions{})
			if err == nil {
				t.Fatalf("Run(%s) = %s, want an error", tc.model, out)
			}
			re := checkError(t, err, http.StatusServiceUnavailable, runtime.CodeAIOutOfCapacity, "")
			if tc.wantSuffix == "" && re.Message != tc.wantPrefix {
				t.Errorf("message:\n got %q\nwant %q", re.Message, tc.wantPrefix)
			}
			if !strings.HasPrefix(re.Message, tc.wantPrefix) || !strings.HasSuffix(re.Message, tc.wantSuffix) {
				t.Errorf("message:\n got %q\nwant %q + ... + %q", re.Message, tc.wantPrefix, tc.wantSuffix)
			}
		})
	}
}

// TestRealOllamaAutoProbe checks the start-up probe against the real server:
// auto uses Ollama only when it holds every mapped model.
func TestRealOllamaAutoProbe(t *testing.T) {
	env := mustOllamaEnv(t)
	all := map[string]string{}
	var defaults, pulls []string // the default map's Ollama models, sorted, and their pull commands
	for id, m := range ai.DefaultModelMap() {
		all[id] = env.model // only the tags matter to the probe
		if !slices.Contains(defaults, m) {
			defaults = append(defaults, m)
		}
	}
	slices.Sort(defaults)
	for _, m := range defaults {
		pulls = append(pulls, "`ollama pull "+m+"`")
	}
	for _, tc := range []struct {
		name        string
		modelMap    map[string]string
		wantBackend string
		wantStatus  string
	}{
		{"default map: models missing, builtin", nil, ai.BackendBuiltin,
			"builtin (auto: Ollama 0.17.4 at " + env.url + " lacks " + strings.Join(defaults, ", ") +
				"; run " + strings.Join(pulls, ", ") + ")"},
		{"every model present: ollama", all, ai.BackendOllama,
			"ollama at " + env.url + " 0.17.4 (auto)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, err := ai.Open(t.Context(), ai.Options{
				Backend: ai.BackendAuto, OllamaURL: env.url, ModelMap: tc.modelMap,
				Clock: runtime.NewFakeClock(emulatortest.Start), Logger: quietLogger(),
			})
			if err != nil {
				t.Fatalf("ai.Open(auto): %v", err)
			}
			t.Cleanup(func() { _ = svc.Close() })
			if got := svc.Backend(); got != tc.wantBackend {
				t.Errorf("Backend() = %q, want %q (status %q)", got, tc.wantBackend, svc.Status())
			}
			if got := svc.Status(); got != tc.wantStatus {
				t.Errorf("Status():\n got %q\nwant %q", got, tc.wantStatus)
			}
		})
	}
}

// TestRealOllamaGatewayWorkersAI sends a Workers AI request through the
// AI Gateway of a whole emulator whose AI binding is the real Ollama, with
// the real catalog entry @cf/baai/bge-base-en-v1.5 mapped to the
// 768-dimension test model.
func TestRealOllamaGatewayWorkersAI(t *testing.T) {
	env := mustOllamaEnv(t)
	emu := emulatortest.New(t, emulatortest.WithOptions(func(o *emulator.Options) {
		o.AIBackend = ai.BackendOllama
		o.OllamaURL = env.url
		o.AIModelMap = map[string]string{bgeBase: env.model768}
	}))
	texts := jobTexts[:3]
	body, err := json.Marshal(map[string]any{"text": texts})
	if err != nil {
		t.Fatal(err)
	}
	endpoint := emu.URL + "/v1/" + emulatortest.AccountID + "/jobmatch-ai-gateway-dev/workers-ai/" + bgeBase

	post := func(t *testing.T) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := emu.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("POST %s: %d %s", endpoint, resp.StatusCode, b)
		}
		return resp, b
	}

	var first []byte
	for _, tc := range []struct {
		name       string
		wantStatus string
	}{
		{"first request is a MISS served by Ollama", "MISS"},
		{"identical request is a HIT", "HIT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := post(t)
			if got := resp.Header.Get("cf-aig-cache-status"); got != tc.wantStatus {
				t.Errorf("cf-aig-cache-status = %q, want %q", got, tc.wantStatus)
			}
			if resp.Header.Get("cf-aig-log-id") == "" {
				t.Error("no cf-aig-log-id header")
			}
			var env2 struct {
				Success bool      `json:"success"`
				Errors  []any     `json:"errors"`
				Result  embedding `json:"result"`
			}
			if err := json.Unmarshal(b, &env2); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if !env2.Success || len(env2.Errors) != 0 {
				t.Fatalf("envelope: success %v errors %v", env2.Success, env2.Errors)
			}
			if diff := cmp.Diff([]int{len(texts), bgeBaseDim}, env2.Result.Shape); diff != "" {
				t.Errorf("shape (-want +got):\n%s", diff)
			}
			for i, row := range env2.Result.Data {
				if n := norm(row); math.Abs(n-1) > 1e-4 {
					t.Errorf("row %d: norm %.7f, want 1", i, n)
				}
			}
			sameVectors(t, "vectors", env2.Result.Data, mustOllamaEmbed(t, env.url, env.model768, texts))
			if first == nil {
				first = b
			} else if !bytes.Equal(first, b) {
				t.Errorf("HIT body differs from the MISS body:\n%s\n%s", first, b)
			}
		})
	}
}
