package ai_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/ai"
	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/runtime"
)

type envelope struct {
	Success  bool                `json:"success"`
	Errors   []runtime.ErrorItem `json:"errors"`
	Messages []runtime.ErrorItem `json:"messages"`
	Result   json.RawMessage     `json:"result"`
}

func post(t *testing.T, emu *emulatortest.Emu, path, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, emu.AccountURL()+path, strings.NewReader(body))
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
	return resp, b
}

func TestBinding(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithInMemory())
	if emu.Env.AI == nil || emu.Env.AIBinding != "AI" || !emu.Env.Has("AI") {
		t.Fatalf("env AI = %v binding %q", emu.Env.AI, emu.Env.AIBinding)
	}
	if emu.AI.Backend() != ai.BackendBuiltin {
		t.Errorf("backend %q, want builtin (emulatortest default)", emu.AI.Backend())
	}
	out, err := emu.Env.AI.Run(t.Context(), "@cf/baai/bge-base-en-v1.5", map[string]any{"text": []string{"hello world"}}, runtime.AIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Shape []int       `json:"shape"`
		Data  [][]float64 `json:"data"`
	}
	if err := json.Unmarshal(out, &got); err != nil || !cmp.Equal(got.Shape, []int{1, 768}) || len(got.Data[0]) != 768 {
		t.Fatalf("output shape %v (%v)", got.Shape, err)
	}
}

func TestRESTRun(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithInMemory())
	for _, tc := range []struct {
		name       string
		path, body string
		wantStatus int
		wantCode   int
		wantMsg    string // with {id} for the request id
		check      func(t *testing.T, result json.RawMessage)
	}{
		{name: "embeddings", path: "/ai/run/@cf/baai/bge-small-en-v1.5", body: `{"text":["a","b"]}`, wantStatus: 200,
			check: func(t *testing.T, r json.RawMessage) {
				var out struct {
					Shape   []int  `json:"shape"`
					Pooling string `json:"pooling"`
				}
				if err := json.Unmarshal(r, &out); err != nil || !cmp.Equal(out.Shape, []int{2, 384}) || out.Pooling != "mean" {
					t.Errorf("result %.100s", r)
				}
			}},
		{name: "text generation", path: "/ai/run/@cf/meta/llama-3.1-8b-instruct", body: `{"prompt":"hello"}`, wantStatus: 200,
			check: func(t *testing.T, r json.RawMessage) {
				var out struct {
					Response string   `json:"response"`
					Usage    ai.Usage `json:"usage"`
				}
				if err := json.Unmarshal(r, &out); err != nil || !strings.HasPrefix(out.Response, ai.BuiltinLabel) || out.Usage.TotalTokens == 0 {
					t.Errorf("result %s", r)
				}
			}},
		{name: "bad input shows the REST wording", path: "/ai/run/@cf/baai/bge-base-en-v1.5", body: `{"txt":"a"}`, wantStatus: 400, wantCode: 5006,
			wantMsg: "AiError: Bad input: Error: oneOf at '/' not met, 0 matches: required properties at '/' are 'text', required properties at '/' are 'requests' ({id})"},
		{name: "unknown model", path: "/ai/run/@cf/acme/nope", body: `{"text":"a"}`, wantStatus: 400, wantCode: 5007,
			wantMsg: "No such model @cf/acme/nope or task"},
		{name: "prompt and messages", path: "/ai/run/@cf/meta/llama-3.1-8b-instruct", body: `{"prompt":"a","messages":[]}`, wantStatus: 400, wantCode: 1001,
			wantMsg: "prompt and messages are mutually exclusive"},
		{name: "empty body", path: "/ai/run/@cf/meta/llama-3.1-8b-instruct", body: ``, wantStatus: 400, wantCode: 3003,
			wantMsg: "Request is missing headers or body: body"},
		{name: "malformed JSON", path: "/ai/run/@cf/meta/llama-3.1-8b-instruct", body: `{"prompt":`, wantStatus: 400, wantCode: 5006,
			wantMsg: "AiError: Bad input: Error: input is not JSON: unexpected EOF ({id})"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := post(t, emu, tc.path, tc.body)
			id := resp.Header.Get("cf-ai-req-id")
			if len(id) != 36 {
				t.Errorf("cf-ai-req-id = %q, want a UUID", id)
			}
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.wantStatus, b)
			}
			var env envelope
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatalf("body %s: %v", b, err)
			}
			if tc.wantStatus == 200 {
				if !env.Success || len(env.Errors) != 0 || env.Messages == nil {
					t.Errorf("envelope %s", b)
				}
				tc.check(t, env.Result)
				return
			}
			want := []runtime.ErrorItem{{Code: tc.wantCode, Message: strings.ReplaceAll(tc.wantMsg, "{id}", id)}}
			if diff := cmp.Diff(want, env.Errors); diff != "" || env.Success || string(env.Result) != "null" {
				t.Errorf("errors (-want +got):\n%s\nbody %s", diff, b)
			}
		})
	}
}

func readSSE(t *testing.T, b []byte) []string {
	t.Helper()
	var events []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, d)
		}
	}
	return events
}

func TestRESTRunStream(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithInMemory())
	resp, b := post(t, emu, "/ai/run/@cf/meta/llama-3.1-8b-instruct", `{"prompt":"tell me something","stream":true}`)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d type %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	events := readSSE(t, b)
	if len(events) < 3 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("events %q", events)
	}
	var text strings.Builder
	for _, e := range events[:len(events)-2] {
		var ev struct{ Response string }
		if err := json.Unmarshal([]byte(e), &ev); err != nil {
			t.Fatal(err)
		}
		text.WriteString(ev.Response)
	}
	// The stream carries the same text as the non-streamed answer.
	_, whole := post(t, emu, "/ai/run/@cf/meta/llama-3.1-8b-instruct", `{"prompt":"tell me something"}`)
	var env struct {
		Result struct{ Response string } `json:"result"`
	}
	if err := json.Unmarshal(whole, &env); err != nil {
		t.Fatal(err)
	}
	if text.String() != env.Result.Response {
		t.Errorf("streamed %q\nwhole    %q", text.String(), env.Result.Response)
	}
	if !strings.Contains(events[len(events)-2], `"usage":{"prompt_tokens":`) {
		t.Errorf("last event %s has no usage", events[len(events)-2])
	}
}

func TestRESTOpenAICompatible(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithInMemory())
	t.Run("embeddings as floats", func(t *testing.T) {
		resp, b := post(t, emu, "/ai/v1/embeddings", `{"model":"@cf/baai/bge-large-en-v1.5","input":["one text","another text"]}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		var out struct {
			Object string
			Model  string
			Data   []struct {
				Object    string
				Index     int
				Embedding []float64
			}
			Usage struct{ PromptTokens, TotalTokens int } `json:"usage"`
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if out.Object != "list" || out.Model != "@cf/baai/bge-large-en-v1.5" || len(out.Data) != 2 || out.Data[1].Index != 1 ||
			out.Data[0].Object != "embedding" || len(out.Data[0].Embedding) != 1024 {
			t.Errorf("response %.200s", b)
		}
	})
	t.Run("embeddings as base64 equal the floats", func(t *testing.T) {
		_, fb := post(t, emu, "/ai/v1/embeddings", `{"model":"@cf/baai/bge-base-en-v1.5","input":"same text"}`)
		_, bb := post(t, emu, "/ai/v1/embeddings", `{"model":"@cf/baai/bge-base-en-v1.5","input":"same text","encoding_format":"base64"}`)
		var f struct {
			Data []struct{ Embedding []float32 }
		}
		var b64 struct{ Data []struct{ Embedding string } }
		if err := json.Unmarshal(fb, &f); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(bb, &b64); err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(b64.Data[0].Embedding)
		if err != nil || len(raw) != 4*768 {
			t.Fatalf("base64 %d bytes, %v", len(raw), err)
		}
		for i, want := range f.Data[0].Embedding {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])); got != want {
				t.Fatalf("value %d: %v, want %v", i, got, want)
			}
		}
	})
	t.Run("chat completion", func(t *testing.T) {
		resp, b := post(t, emu, "/ai/v1/chat/completions",
			`{"model":"@cf/meta/llama-3.1-8b-instruct","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_completion_tokens":500}`)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
		var out struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			Model   string `json:"model"`
			Choices []struct {
				Index        int
				Message      struct{ Role, Content string }
				FinishReason string `json:"finish_reason"`
			}
			Usage struct {
				PromptTokens     int `json:"prompt_tokens"`
				CompletionTokens int `json:"completion_tokens"`
				TotalTokens      int `json:"total_tokens"`
			}
		}
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if out.Object != "chat.completion" || out.Created != emulatortest.Start.Unix() || !strings.HasPrefix(out.ID, "chatcmpl-") ||
			len(out.Choices) != 1 || out.Choices[0].Message.Role != "assistant" || out.Choices[0].FinishReason != "stop" ||
			!strings.Contains(out.Choices[0].Message.Content, `reads: "hi"`) ||
			out.Usage.TotalTokens != out.Usage.PromptTokens+out.Usage.CompletionTokens {
			t.Errorf("response %s", b)
		}
	})
	t.Run("chat completion stream", func(t *testing.T) {
		_, b := post(t, emu, "/ai/v1/chat/completions",
			`{"model":"@cf/meta/llama-3.1-8b-instruct","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`)
		events := readSSE(t, b)
		if len(events) < 4 || events[len(events)-1] != "[DONE]" || !strings.Contains(events[0], `"role":"assistant"`) ||
			!strings.Contains(events[len(events)-3], `"finish_reason":"stop"`) || !strings.Contains(events[len(events)-2], `"usage":{`) {
			t.Errorf("events %q", events)
		}
	})
	for _, tc := range []struct {
		name, path, body string
		code             int
		msg              string
	}{
		{"embeddings unknown model", "/ai/v1/embeddings", `{"model":"text-embedding-3-small","input":"a"}`, 5007, "No such model text-embedding-3-small or task"},
		{"embeddings with a chat model", "/ai/v1/embeddings", `{"model":"@cf/meta/llama-3.1-8b-instruct","input":"a"}`, 5007, "No such model @cf/meta/llama-3.1-8b-instruct or task"},
		{"embeddings without input", "/ai/v1/embeddings", `{"model":"@cf/baai/bge-base-en-v1.5"}`, 5006, "AiError: Bad input: Error: required properties at '/' are 'input' ({id})"},
		{"chat without model", "/ai/v1/chat/completions", `{"messages":[]}`, 5006, "AiError: Bad input: Error: required properties at '/' are 'model' ({id})"},
		{"chat without messages", "/ai/v1/chat/completions", `{"model":"@cf/meta/llama-3.1-8b-instruct"}`, 5006, "AiError: Bad input: Error: required properties at '/' are 'messages' ({id})"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, b := post(t, emu, tc.path, tc.body)
			if resp.StatusCode != 400 {
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			var env envelope
			if err := json.Unmarshal(b, &env); err != nil {
				t.Fatal(err)
			}
			want := []runtime.ErrorItem{{Code: tc.code, Message: strings.ReplaceAll(tc.msg, "{id}", resp.Header.Get("cf-ai-req-id"))}}
			if diff := cmp.Diff(want, env.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRESTGuard(t *testing.T) {
	emu := emulatortest.New(t, emulatortest.WithInMemory())
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		emu.URL+"/client/v4/accounts/00000000000000000000000000000000/ai/run/@cf/baai/bge-base-en-v1.5", strings.NewReader(`{"text":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := emu.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(string(b), `{"code":10000,"message":"Authentication error"}`) {
		t.Errorf("other account: %d %s", resp.StatusCode, b)
	}
}
