package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// The OpenAI client of contract §4.6 (services/openai.ts): plain net/http
// through Env.Fetch, no SDK. With CLOUDFLARE_ACCOUNT_ID and AI_GATEWAY_SLUG
// both set it talks to the AI Gateway's openai provider, otherwise straight
// to the OpenAI API (the Phase 2 rollback plan).

// Models and generation settings of the original (MODELS, GENERATION_CONFIG).
const (
	modelApplicationGeneration = "gpt-4o-mini"
	generationTemperature      = 0.7
	generationMaxTokens        = 3000
)

// Where the client goes when the vars do not say otherwise.
const (
	// defaultGatewayURL is the AI Gateway's origin. AI_GATEWAY_URL replaces
	// it (edge serves the gateway itself, e.g. at http://127.0.0.1:8787).
	defaultGatewayURL = "https://gateway.ai.cloudflare.com"
	// defaultOpenAIBaseURL is the OpenAI API. OPENAI_BASE_URL replaces it.
	defaultOpenAIBaseURL = "https://api.openai.com/v1"
	// openAITimeout is the openai v4 SDK's default request timeout.
	openAITimeout = 10 * time.Minute
	// maxCompletionBody bounds what is read of a chat completion response.
	maxCompletionBody = 8 << 20
)

// errOpenAIKeyMissing is createOpenAI's error without OPENAI_API_KEY.
var errOpenAIKeyMissing = errors.New("OPENAI_API_KEY is not configured")

// openAIClient is what createOpenAI returns: a base URL, the API key and
// the default headers.
type openAIClient struct {
	http    *http.Client
	baseURL string
	apiKey  string
	// aigToken is sent as cf-aig-authorization: Bearer {token}, only to
	// the gateway.
	aigToken string
	gateway  bool
}

// createOpenAI builds the client from the vars and prints the lines the
// original prints when it creates one.
func (a *App) createOpenAI(c echo.Context) (*openAIClient, error) {
	key := a.env.Var("OPENAI_API_KEY")
	if key == "" {
		return nil, errOpenAIKeyMissing
	}
	hc := a.env.Fetch
	if hc == nil {
		hc = http.DefaultClient
	}
	account, slug := a.env.Var("CLOUDFLARE_ACCOUNT_ID"), a.env.Var("AI_GATEWAY_SLUG")
	if account != "" && slug != "" {
		origin := strings.TrimRight(a.env.Var("AI_GATEWAY_URL"), "/")
		if origin == "" {
			origin = defaultGatewayURL
		}
		a.consoleLog(c, "[OpenAI] Using Cloudflare AI Gateway: %s", slug)
		cl := &openAIClient{http: hc, apiKey: key, gateway: true,
			baseURL: origin + "/v1/" + account + "/" + slug + "/openai"}
		if tok := a.env.Var("CF_AIG_TOKEN"); tok != "" {
			a.consoleLog(c, "[OpenAI] Using AI Gateway authentication token")
			cl.aigToken = tok
		}
		return cl, nil
	}
	a.consoleLog(c, "[OpenAI] Using direct OpenAI API (AI Gateway not configured)")
	base := strings.TrimRight(a.env.Var("OPENAI_BASE_URL"), "/")
	if base == "" {
		base = defaultOpenAIBaseURL
	}
	return &openAIClient{http: hc, apiKey: key, baseURL: base}, nil
}

// chatMessage is one message of a chat completion request.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type responseFormat struct {
	Type string `json:"type"`
}

// chatRequest is the body of POST /chat/completions, with the keys in the
// order the original passes them to the SDK.
type chatRequest struct {
	Model          string          `json:"model"`
	Messages       []chatMessage   `json:"messages"`
	Temperature    float64         `json:"temperature"`
	MaxTokens      int             `json:"max_tokens"`
	ResponseFormat *responseFormat `json:"response_format,omitempty"`
}

// chatResult is the first choice's content and the gateway's cache status
// (cf-aig-cache-status; empty when the response has none, as from OpenAI
// directly).
type chatResult struct {
	Content     string
	CacheStatus string
}

// chat sends one chat completion. Non-2xx answers become errors worded as
// the openai SDK words its APIError ("401 Incorrect API key provided…");
// an unreachable upstream is "Connection error.". Differs from the
// original: no automatic retries (the SDK retries 408/409/429/5xx twice
// with backoff); a failed call fails its variant, which falls back.
func (o *openAIClient) chat(ctx context.Context, body chatRequest) (chatResult, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return chatResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, openAITimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.baseURL+"/chat/completions", bytes.NewReader(data))
	if err != nil {
		return chatResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+o.apiKey)
	if o.gateway && o.aigToken != "" {
		req.Header.Set("cf-aig-authorization", "Bearer "+o.aigToken)
	}
	resp, err := o.http.Do(req)
	if err != nil {
		return chatResult{}, fmt.Errorf("Connection error.: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxCompletionBody))
	if err != nil {
		return chatResult{}, fmt.Errorf("Connection error.: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return chatResult{}, apiError(resp.StatusCode, raw)
	}
	var completion struct {
		Choices []struct {
			Message struct {
				Content *string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	if err := json.Unmarshal(raw, &completion); err != nil {
		return chatResult{}, fmt.Errorf("invalid chat completion response: %w", err)
	}
	res := chatResult{CacheStatus: resp.Header.Get("cf-aig-cache-status")}
	if len(completion.Choices) == 0 || completion.Choices[0].Message.Content == nil || *completion.Choices[0].Message.Content == "" {
		return res, errors.New("No content in OpenAI response")
	}
	res.Content = *completion.Choices[0].Message.Content
	return res, nil
}

// apiError words a non-2xx answer as the openai SDK's APIError does:
// "{status} {error.message}", else "{status} {JSON of error}", else
// "{status} status code (no body)".
func apiError(status int, body []byte) error {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	msg := ""
	if json.Unmarshal(body, &env) == nil && len(env.Error) > 0 && string(env.Error) != "null" {
		var e struct {
			Message any `json:"message"`
		}
		if json.Unmarshal(env.Error, &e) == nil && e.Message != nil {
			if s, ok := e.Message.(string); ok {
				msg = s
			} else {
				b, _ := json.Marshal(e.Message)
				msg = string(b)
			}
		} else {
			var compact bytes.Buffer
			if json.Compact(&compact, env.Error) == nil {
				msg = compact.String()
			}
		}
	} else if t := strings.TrimSpace(string(body)); t != "" {
		msg = t
	}
	if msg == "" {
		return fmt.Errorf("%s status code (no body)", strconv.Itoa(status))
	}
	return fmt.Errorf("%d %s", status, msg)
}

// logAIGatewayCacheStatus prints the original's cache line for a response
// that carries cf-aig-cache-status (only gateway responses do).
func (a *App) logAIGatewayCacheStatus(c echo.Context, status, operation, details string) {
	if status == "" {
		return
	}
	if details != "" {
		details = " (" + details + ")"
	}
	switch status {
	case "HIT":
		a.consoleLog(c, "[AI Gateway] ✓ Cache HIT for %s%s - Cost savings!", operation, details)
	case "MISS":
		a.consoleLog(c, "[AI Gateway] ✗ Cache MISS for %s%s - Response will be cached", operation, details)
	default:
		a.consoleLog(c, "[AI Gateway] Cache status for %s%s: %s", operation, details, status)
	}
}
