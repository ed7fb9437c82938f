package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/emulator/emulatortest"
	"jobmatch-edge/fixtures"
	"jobmatch-edge/runtime"
)

const genPath = "/api/applications/generate"

// ---- helpers ----

// genConsoleLine is one console line of the Worker, from its tail events.
type genConsoleLine struct {
	level, msg string
}

// genLogSink collects the console lines of every request.
type genLogSink struct {
	mu    sync.Mutex
	lines []genConsoleLine
}

// genCaptureConsole routes the app's tail events through a sink. Call it
// before the first request; requests sent with genCall then run on the
// test goroutine, so the swap needs no synchronisation.
func genCaptureConsole(ta *testApp) *genLogSink {
	s := &genLogSink{}
	prev := ta.Env.Tail
	ta.Env.Tail = func(ev runtime.TailEvent) {
		s.mu.Lock()
		for _, l := range ev.Logs {
			s.lines = append(s.lines, genConsoleLine{l.Level, fmt.Sprint(l.Message...)})
		}
		s.mu.Unlock()
		if prev != nil {
			prev(ev)
		}
	}
	return s
}

// take returns the lines collected since the last take.
func (s *genLogSink) take() []genConsoleLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.lines
	s.lines = nil
	return out
}

// genMatching returns the messages that start with prefix.
func genMatching(lines []genConsoleLine, prefix string) []string {
	var out []string
	for _, l := range lines {
		if strings.HasPrefix(l.msg, prefix) {
			out = append(out, l.msg)
		}
	}
	return out
}

// genCall sends a request through Env.Fetch, which serves the test
// server's host in-process on the calling goroutine.
func genCall(t *testing.T, ta *testApp, method, path string, body any, headers ...string) response {
	t.Helper()
	return ta.doWith(t, ta.Env.Fetch, method, path, body, headers...)
}

func genExec(t *testing.T, ta *testApp, query string, args ...any) {
	t.Helper()
	if _, err := ta.Env.D1["DB"].Prepare(query).Bind(args...).Run(context.Background()); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// genSeedCandidate gives uid a profile, two jobs of work experience (the
// current one with four accomplishments), one degree and eleven skills with
// distinct endorsement counts (inserted in an order unlike the counts').
func genSeedCandidate(t *testing.T, ta *testApp, uid, email string) {
	t.Helper()
	genExec(t, ta, `INSERT INTO users (id, email, first_name, last_name, phone, location, professional_summary)
		VALUES (?, ?, 'Ada', 'Lovelace', '+49 30 1234567', 'Berlin, Germany', 'Backend engineer building Go services.')`, uid, email)
	genExec(t, ta, `INSERT INTO work_experience (id, user_id, title, company, location, start_date, end_date, is_current, accomplishments)
		VALUES ('we-old', ?, 'Developer', 'Globex', 'Munich', '2018-01-01', '2020-06-30', 0, NULL)`, uid)
	genExec(t, ta, `INSERT INTO work_experience (id, user_id, title, company, location, start_date, end_date, is_current, accomplishments)
		VALUES ('we-now', ?, 'Backend Engineer', 'Initech', 'Berlin', '2021-03-01', NULL, 1, ?)`, uid,
		`["Cut p99 latency by 40% with gRPC","Migrated 30 services to Kubernetes","Mentored 4 engineers","Wrote the on-call runbooks"]`)
	genExec(t, ta, `INSERT INTO education (id, user_id, institution, degree, field_of_study, end_date)
		VALUES ('edu-1', ?, 'TU Berlin', 'BSc', 'Computer Science', '2017-07-31')`, uid)
	for i, s := range []struct {
		name string
		n    int
	}{{"Docker", 3}, {"Go", 11}, {"SQL", 1}, {"Kubernetes", 10}, {"PostgreSQL", 9}, {"gRPC", 8}, {"Terraform", 7},
		{"Linux", 6}, {"Redis", 5}, {"Kafka", 4}, {"Python", 2}} {
		genExec(t, ta, `INSERT INTO skills (id, user_id, name, endorsed_count) VALUES (?, ?, ?, ?)`, fmt.Sprintf("sk-%d", i), uid, s.name, s.n)
	}
}

// genSkillsByEndorsement is the seeded skills in ORDER BY endorsed_count DESC.
var genSkillsByEndorsement = []string{"Go", "Kubernetes", "PostgreSQL", "gRPC", "Terraform", "Linux", "Redis", "Kafka", "Docker", "Python", "SQL"}

// genSeedJob gives uid a job and returns its id.
func genSeedJob(t *testing.T, ta *testApp, uid, id string) string {
	t.Helper()
	genExec(t, ta, `INSERT INTO jobs (id, user_id, title, company, location, description, source, salary_min, salary_max, work_arrangement, required_skills)
		VALUES (?, ?, 'Senior Go Engineer', 'Acme', 'Berlin, Germany', 'Build distributed systems in Go on Kubernetes. Terraform a plus.', 'manual', 120000, 150000, 'Remote', ?)`,
		id, uid, `["Go","Kubernetes","PostgreSQL","Terraform"]`)
	return id
}

// genStack is the development-mode stack of an *HTTPError.
func genStack(msg string) string {
	return "*api.HTTPError: " + msg + "\\n    at POST " + genPath
}

type genBody struct {
	ID                string `json:"id"`
	JobID             string `json:"jobId"`
	JobTitle          string `json:"jobTitle"`
	Company           string `json:"company"`
	Status            string `json:"status"`
	CreatedAt         string `json:"createdAt"`
	SelectedVariantID string `json:"selectedVariantId"`
	Variants          []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Resume struct {
			Summary    string `json:"summary"`
			Experience []struct {
				Title   string   `json:"title"`
				Company string   `json:"company"`
				EndDate string   `json:"endDate"`
				Bullets []string `json:"bullets"`
			} `json:"experience"`
			Skills []string `json:"skills"`
		} `json:"resume"`
		CoverLetter string   `json:"coverLetter"`
		AIRationale []string `json:"aiRationale"`
	} `json:"variants"`
}

func decodeGen(t *testing.T, r response) genBody {
	t.Helper()
	var g genBody
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return g
}

// genVariantNames lists "id/name" of each variant.
func genVariantNames(g genBody) []string {
	var out []string
	for _, v := range g.Variants {
		out = append(out, v.ID+"/"+v.Name)
	}
	return out
}

var genWantVariants = []string{"variant-impact/Impact-Focused", "variant-keyword/Keyword-Optimized", "variant-concise/Concise"}

// ---- through the emulated AI Gateway ----

func TestGenerateApplicationThroughGateway(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	logs := genCaptureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	genSeedCandidate(t, ta, uid, "ada@example.com")
	jobID := genSeedJob(t, ta, uid, "job-acme-1")

	r := genCall(t, ta, "POST", genPath, map[string]any{"jobId": jobID}, auth(tok)...)
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if got := r.header.Get("X-RateLimit-Limit") + "/" + r.header.Get("X-RateLimit-Remaining"); got != "20/19" {
		t.Errorf("rate limit headers %s, want 20/19", got)
	}
	g := decodeGen(t, r)
	var keys []string
	for _, k := range []string{`{"id":"`, `","jobId":"job-acme-1","jobTitle":"Senior Go Engineer","company":"Acme","status":"draft","createdAt":"2030-01-01T00:00:00.000Z","variants":[{"id":"variant-impact","name":"Impact-Focused","resume":{`, `,"selectedVariantId":"variant-impact"}`} {
		if !strings.Contains(string(r.body), k) {
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 || !strings.HasPrefix(string(r.body), `{"id":"`) || !strings.HasSuffix(string(r.body), `,"selectedVariantId":"variant-impact"}`) {
		t.Errorf("body shape: missing %q in %s", keys, r.body)
	}
	if d := cmp.Diff(genWantVariants, genVariantNames(g)); d != "" {
		t.Errorf("variants (-want +got):\n%s", d)
	}
	for _, v := range g.Variants {
		if v.CoverLetter == "" || len(v.AIRationale) == 0 || v.Resume.Summary == "" || len(v.Resume.Experience) == 0 {
			t.Errorf("%s: incomplete variant: %+v", v.Name, v)
		}
		if v.AIRationale[0] == "Fallback generation used" {
			t.Errorf("%s fell back: %+v", v.Name, v)
		}
		if e := v.Resume.Experience[0]; e.Title != "Backend Engineer" || e.Company != "Initech" || e.EndDate != "Present" {
			t.Errorf("%s: first experience %+v, want the current Initech job", v.Name, e)
		}
		if !strings.Contains(v.CoverLetter, "Acme") || !strings.HasSuffix(v.CoverLetter, "Ada Lovelace") {
			t.Errorf("%s: cover letter %q", v.Name, v.CoverLetter)
		}
	}
	// The built-in model applies each strategy: Concise is shorter.
	if c, i := g.Variants[2], g.Variants[0]; len(c.Resume.Skills) >= len(i.Resume.Skills) {
		t.Errorf("Concise has %d skills, Impact-Focused %d", len(c.Resume.Skills), len(i.Resume.Skills))
	}

	// The stored row: intended columns, snake_case variant keys.
	row, err := ta.Env.D1["DB"].Prepare("SELECT * FROM applications WHERE id = ?").Bind(g.ID).First(context.Background())
	if err != nil || row == nil {
		t.Fatalf("application row: %v %v", row, err)
	}
	for col, want := range map[string]any{"user_id": uid, "job_id": jobID, "job_title": "Senior Go Engineer", "company": "Acme",
		"status": "draft", "selected_variant_id": "variant-impact", "created_at": "2030-01-01T00:00:00.000Z",
		"updated_at": "2030-01-01T00:00:00.000Z", "submitted_at": nil, "cover_letter": nil} {
		if row[col] != want {
			t.Errorf("applications.%s = %v, want %v", col, row[col], want)
		}
	}
	var stored []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(row["variants"].(string)), &stored); err != nil || len(stored) != 3 {
		t.Fatalf("stored variants %v: %v", row["variants"], err)
	}
	if !strings.HasPrefix(row["variants"].(string), `[{"id":"variant-impact","name":"Impact-Focused","resume":{`) {
		t.Errorf("stored variants start: %.80s", row["variants"])
	}
	for i, sv := range stored {
		var keys []string
		for k := range sv {
			keys = append(keys, k)
		}
		for _, k := range []string{"id", "name", "resume", "cover_letter", "ai_rationale"} {
			if _, ok := sv[k]; !ok {
				t.Errorf("stored variant %d lacks %s (has %v)", i, k, keys)
			}
		}
		var cl string
		_ = json.Unmarshal(sv["cover_letter"], &cl)
		if cl != g.Variants[i].CoverLetter {
			t.Errorf("stored cover_letter %d differs from the response's", i)
		}
	}

	// Console: the client is created once per variant; one cache line per
	// variant, in strategy order.
	lines := logs.take()
	wantLines := []string{
		"Generating application for user " + uid + ", job " + jobID,
		"[OpenAI] Using Cloudflare AI Gateway: jobmatch-ai-gateway-dev",
		"[OpenAI] Using Cloudflare AI Gateway: jobmatch-ai-gateway-dev",
		"[OpenAI] Using Cloudflare AI Gateway: jobmatch-ai-gateway-dev",
		"[AI Gateway] ✗ Cache MISS for application-generation (Impact-Focused) - Response will be cached",
		"[AI Gateway] ✗ Cache MISS for application-generation (Keyword-Optimized) - Response will be cached",
		"[AI Gateway] ✗ Cache MISS for application-generation (Concise) - Response will be cached",
		"Application created: " + g.ID,
	}
	var got []string
	for _, l := range lines {
		if !strings.HasPrefix(l.msg, "[RateLimit]") {
			got = append(got, l.msg)
		}
	}
	if d := cmp.Diff(wantLines, got); d != "" {
		t.Errorf("console lines (-want +got):\n%s", d)
	}
	if rl := genMatching(lines, "[RateLimit] User "+uid+" request 1/20 for POST:/api/applications/generate ("); len(rl) != 1 {
		t.Errorf("rate limit line missing: %v", lines)
	}

	// The identical call again: every variant comes from the gateway cache.
	r2 := genCall(t, ta, "POST", genPath, map[string]any{"jobId": jobID}, auth(tok)...)
	if r2.status != http.StatusCreated {
		t.Fatalf("second call: %d %s", r2.status, r2.body)
	}
	g2 := decodeGen(t, r2)
	if g2.ID == g.ID {
		t.Errorf("second application reused id %s", g.ID)
	}
	if d := cmp.Diff(g.Variants, g2.Variants); d != "" {
		t.Errorf("cached variants differ (-first +second):\n%s", d)
	}
	want := []string{
		"[AI Gateway] ✓ Cache HIT for application-generation (Impact-Focused) - Cost savings!",
		"[AI Gateway] ✓ Cache HIT for application-generation (Keyword-Optimized) - Cost savings!",
		"[AI Gateway] ✓ Cache HIT for application-generation (Concise) - Cost savings!",
	}
	if d := cmp.Diff(want, genMatching(logs.take(), "[AI Gateway]")); d != "" {
		t.Errorf("second call's gateway lines (-want +got):\n%s", d)
	}
	if n, err := ta.Env.D1["DB"].Prepare("SELECT count(*) AS n FROM applications WHERE user_id = ?").Bind(uid).FirstColumn(context.Background(), "n"); err != nil || n != int64(2) {
		t.Errorf("applications count = %v (%v), want 2", n, err)
	}
}

// ---- error paths ----

// ---- error paths ----

// genHideUsers is a D1 binding that answers the profile lookup with no row,
// the one state the user-scoped job lookup makes unreachable through the
// schema (jobs.user_id references users.id).
type genHideUsers struct{ runtime.D1Database }

func (h genHideUsers) Prepare(q string) runtime.D1PreparedStatement {
	if q == "SELECT * FROM users WHERE id = ?" {
		q = "SELECT * FROM users WHERE id = ? AND 0"
	}
	return h.D1Database.Prepare(q)
}

// TestGenerateApplicationErrors runs every error path on one emulator.
// Requests go in-process on the test goroutine, so the subtests that swap
// the DB binding or a var need no synchronisation.
func TestGenerateApplicationErrors(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	logs := genCaptureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	genSeedCandidate(t, ta, uid, "ada@example.com")
	genSeedJob(t, ta, uid, "job-mine")
	otherTok, other := ta.token(t, "bob@example.com")
	genExec(t, ta, "INSERT INTO users (id, email) VALUES (?, 'bob@example.com')", other)
	genSeedJob(t, ta, other, "job-bobs")
	// bob has a job but no work experience.

	validation := func(fields string) string {
		return `{"code":"VALIDATION_ERROR","message":"Invalid request body","statusCode":400,"details":{"fields":` + fields +
			`},"stack":"` + genStack("Invalid request body") + `"}`
	}
	notFound := func(id string) string {
		return `{"code":"NOT_FOUND","message":"Job with ID ` + id + ` not found","statusCode":404,"details":{"resource":"Job","id":"` + id +
			`"},"stack":"` + genStack("Job with ID "+id+" not found") + `"}`
	}
	for _, tc := range []struct {
		name       string
		tok        string
		body       any
		wantStatus int
		wantBody   string
	}{
		{"missing jobId", tok, `{}`, 400, validation(`{"jobId":"Required"}`)},
		{"unknown keys stripped, jobId missing", tok, `{"job":"x"}`, 400, validation(`{"jobId":"Required"}`)},
		// zod runs min(1) and the regex; the last issue of a path wins.
		{"empty jobId", tok, `{"jobId":""}`, 400, validation(`{"jobId":"Invalid job ID format"}`)},
		{"bad characters", tok, `{"jobId":"../etc/passwd"}`, 400, validation(`{"jobId":"Invalid job ID format"}`)},
		{"trailing newline", tok, `{"jobId":"abc\n"}`, 400, validation(`{"jobId":"Invalid job ID format"}`)},
		{"number", tok, `{"jobId":42}`, 400, validation(`{"jobId":"Expected string, received number"}`)},
		{"null", tok, `{"jobId":null}`, 400, validation(`{"jobId":"Expected string, received null"}`)},
		{"array body", tok, `[]`, 400, validation(`{"":"Expected object, received array"}`)},
		{"unknown job", tok, `{"jobId":"no-such-job"}`, 404, notFound("no-such-job")},
		// Fixed: the original loads any user's job.
		{"another user's job", tok, `{"jobId":"job-bobs"}`, 404, notFound("job-bobs")},
		{"no work experience", otherTok, `{"jobId":"job-bobs"}`, 400,
			`{"code":"VALIDATION_ERROR","message":"Add work experience to your profile first","statusCode":400,"details":{"fields":{"workExperience":"At least one work experience entry is required"}},"stack":"` +
				genStack("Add work experience to your profile first") + `"}`},
		{"no token", "", `{"jobId":"job-mine"}`, 401, `{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h []string
			if tc.tok != "" {
				h = auth(tc.tok)
			}
			r := genCall(t, ta, "POST", genPath, tc.body, append(h, "Content-Type", "application/json")...)
			if r.status != tc.wantStatus || string(r.body) != tc.wantBody {
				t.Errorf("got %d %s\nwant %d %s", r.status, r.body, tc.wantStatus, tc.wantBody)
			}
		})
	}
	t.Run("invalid JSON is a 400", func(t *testing.T) {
		wantBodyRefused(t, genCall(t, ta, "POST", genPath, "not json", auth(tok)...), "invalid character 'o' in literal null (expecting 'u')")
	})
	if n, _ := ta.Env.D1["DB"].Prepare("SELECT count(*) AS n FROM applications").FirstColumn(context.Background(), "n"); n != int64(0) {
		t.Errorf("%v applications stored by failing requests", n)
	}

	t.Run("no profile", func(t *testing.T) {
		db := ta.Env.D1["DB"]
		ta.Env.D1["DB"] = genHideUsers{db}
		defer func() { ta.Env.D1["DB"] = db }()
		r := genCall(t, ta, "POST", genPath, `{"jobId":"job-mine"}`, auth(tok)...)
		want := `{"code":"NOT_FOUND","message":"User profile not found","statusCode":404,"details":{"resource":"User profile"},"stack":"` +
			genStack("User profile not found") + `"}`
		if r.status != 404 || string(r.body) != want {
			t.Errorf("got %d %s\nwant %s", r.status, r.body, want)
		}
	})

	t.Run("no OpenAI key: every variant falls back", func(t *testing.T) {
		ta.Env.Vars["OPENAI_API_KEY"] = ""
		defer func() { ta.Env.Vars["OPENAI_API_KEY"] = "sk-edge-local" }()
		logs.take()
		r := genCall(t, ta, "POST", genPath, `{"jobId":"job-mine"}`, auth(tok)...)
		if r.status != 201 {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		for _, v := range decodeGen(t, r).Variants {
			if d := cmp.Diff([]string{"Fallback generation used", v.Name + " strategy applied"}, v.AIRationale); d != "" {
				t.Errorf("%s rationale (-want +got):\n%s", v.Name, d)
			}
		}
		lines := logs.take()
		want := []string{
			"Variant generation failed for Impact-Focused: Error: OPENAI_API_KEY is not configured",
			"Variant generation failed for Keyword-Optimized: Error: OPENAI_API_KEY is not configured",
			"Variant generation failed for Concise: Error: OPENAI_API_KEY is not configured",
		}
		if d := cmp.Diff(want, genMatching(lines, "Variant generation failed for ")); d != "" {
			t.Errorf("error lines (-want +got):\n%s", d)
		}
		for _, l := range lines {
			if strings.HasPrefix(l.msg, "Variant generation failed") && l.level != "error" {
				t.Errorf("%q logged at %s, want error", l.msg, l.level)
			}
		}
		if got := genMatching(lines, "[OpenAI]"); len(got) != 0 {
			t.Errorf("client lines without a key: %v", got)
		}
	})

	t.Run("save failure", func(t *testing.T) {
		genExec(t, ta, `CREATE TRIGGER applications_refuse BEFORE INSERT ON applications BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
		logs.take()
		r := genCall(t, ta, "POST", genPath, `{"jobId":"job-mine"}`, auth(tok)...)
		want := `{"code":"INTERNAL_ERROR","message":"Failed to save application","statusCode":500,"stack":"*errors.errorString: Failed to save application\n    at POST /api/applications/generate"}`
		if r.status != 500 || string(r.body) != strings.ReplaceAll(want, "\n", `\n`) {
			t.Errorf("got %d %s", r.status, r.body)
		}
		if got := genMatching(logs.take(), "Failed to save application: "); len(got) != 1 || !strings.Contains(got[0], "disk full") {
			t.Errorf("insert failure not logged: %v", got)
		}
	})
}

// ---- a test upstream: the OpenAI API or a gateway ----

type genUpstreamCall struct {
	path   string
	header http.Header
	body   chatRequest
}

// genUpstreamMode is how the test upstream answers.
type genUpstreamMode struct {
	// answer returns the status and body of an error for a request with
	// this system prompt (status 0: succeed), or the content to return
	// ("" for the default).
	answer      func(system string) (status int, errBody, content string)
	cacheStatus string // cf-aig-cache-status to send, if any
}

// genUpstream answers chat completions as OpenAI (or a gateway) does and
// records every request.
type genUpstream struct {
	mu    sync.Mutex
	calls []genUpstreamCall
	mode  genUpstreamMode
}

const genUpstreamContent = `{"resume":{"summary":"From the test upstream","experience":[],"skills":["Go"],"education":[]},"coverLetter":"Dear Acme,\n\nHello.","aiRationale":["test upstream"]}`

func (f *genUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req chatRequest
	data, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(data, &req)
	f.mu.Lock()
	f.calls = append(f.calls, genUpstreamCall{r.URL.Path, r.Header.Clone(), req})
	mode := f.mode
	f.mu.Unlock()
	system := ""
	if len(req.Messages) > 0 {
		system = req.Messages[0].Content
	}
	content := genUpstreamContent
	if mode.answer != nil {
		status, errBody, c := mode.answer(system)
		if status != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, errBody)
			return
		}
		if c != "" {
			content = c
		}
	}
	if mode.cacheStatus != "" {
		w.Header().Set("cf-aig-cache-status", mode.cacheStatus)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-test", "object": "chat.completion", "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
	})
}

// reset sets the mode and forgets the recorded calls.
func (f *genUpstream) reset(m genUpstreamMode) {
	f.mu.Lock()
	f.mode, f.calls = m, nil
	f.mu.Unlock()
}

func (f *genUpstream) snapshot() []genUpstreamCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]genUpstreamCall(nil), f.calls...)
}

// genConfig is JobMatch's wrangler.toml with the development vars edited.
func genConfig(t *testing.T, replace map[string]string, extraVars string) emulatortest.Option {
	t.Helper()
	s := string(fixtures.WranglerTOML)
	for old, repl := range replace {
		if !strings.Contains(s, old) {
			t.Fatalf("wrangler.toml has no %q", old)
		}
		s = strings.Replace(s, old, repl, 1) // the first is the development section's
	}
	s = strings.Replace(s, "[env.development.vars]\n", "[env.development.vars]\n"+extraVars, 1)
	return emulatortest.WithConfig(s)
}

const (
	genSlugLine    = `AI_GATEWAY_SLUG = "jobmatch-ai-gateway-dev"`
	genAccountLine = `CLOUDFLARE_ACCOUNT_ID = "280c58ea17d9fe3235c33bd0a52a256b"`
)

// TestGenerateApplicationOpenAIClient drives the client against a test
// upstream: the rollback path (straight to OpenAI), the prompts, the
// per-variant fallback, and a gateway at AI_GATEWAY_URL with its token.
// The emulator starts with AI_GATEWAY_SLUG empty (the rollback plan);
// later subtests change vars, which the app reads per request.
func TestGenerateApplicationOpenAIClient(t *testing.T) {
	t.Parallel()
	up := &genUpstream{}
	srv := httptest.NewServer(up)
	defer srv.Close()
	// CF_AIG_TOKEN is set but must never reach OpenAI itself.
	ta := newTestApp(t, genConfig(t, map[string]string{genSlugLine: `AI_GATEWAY_SLUG = ""`},
		fmt.Sprintf("OPENAI_BASE_URL = %q\nCF_AIG_TOKEN = \"aig-secret\"\n", srv.URL+"/v1/")))
	logs := genCaptureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	genSeedCandidate(t, ta, uid, "ada@example.com")
	genSeedJob(t, ta, uid, "job-1")
	generate := func(t *testing.T) response {
		t.Helper()
		logs.take()
		r := genCall(t, ta, "POST", genPath, `{"jobId":"job-1"}`, auth(tok)...)
		if r.status != 201 {
			t.Fatalf("status %d %s", r.status, r.body)
		}
		return r
	}
	checkDirect := func(t *testing.T) {
		t.Helper()
		up.reset(genUpstreamMode{})
		g := decodeGen(t, generate(t))
		if d := cmp.Diff(genWantVariants, genVariantNames(g)); d != "" {
			t.Errorf("variants (-want +got):\n%s", d)
		}
		for _, v := range g.Variants {
			if v.Resume.Summary != "From the test upstream" || v.CoverLetter != "Dear Acme,\n\nHello." {
				t.Errorf("%s not from the upstream: %+v", v.Name, v)
			}
		}
		calls := up.snapshot()
		if len(calls) != 3 {
			t.Fatalf("%d upstream calls, want 3", len(calls))
		}
		var strategies []string
		for _, c := range calls {
			if c.path != "/v1/chat/completions" {
				t.Errorf("path %s", c.path)
			}
			if got := c.header.Get("Authorization"); got != "Bearer sk-edge-local" {
				t.Errorf("Authorization %q", got)
			}
			if got := c.header.Get("cf-aig-authorization"); got != "" {
				t.Errorf("gateway token sent to OpenAI: %q", got)
			}
			b := c.body
			if b.Model != "gpt-4o-mini" || b.Temperature != 0.7 || b.MaxTokens != 3000 || b.ResponseFormat == nil || b.ResponseFormat.Type != "json_object" ||
				len(b.Messages) != 2 || b.Messages[0].Role != "system" || b.Messages[1].Role != "user" {
				t.Errorf("request %+v", b)
			}
			for _, s := range applicationStrategies {
				if strings.HasPrefix(b.Messages[0].Content, "You are an expert resume writer specializing in ATS-optimized applications. "+s.Prompt+".") {
					strategies = append(strategies, s.Name)
				}
			}
		}
		if len(strategies) != 3 || strategies[0] == strategies[1] || strategies[1] == strategies[2] || strategies[0] == strategies[2] {
			t.Errorf("strategies asked: %v", strategies)
		}
		lines := logs.take()
		want := []string{
			"[OpenAI] Using direct OpenAI API (AI Gateway not configured)",
			"[OpenAI] Using direct OpenAI API (AI Gateway not configured)",
			"[OpenAI] Using direct OpenAI API (AI Gateway not configured)",
		}
		if d := cmp.Diff(want, genMatching(lines, "[OpenAI]")); d != "" {
			t.Errorf("client lines (-want +got):\n%s", d)
		}
		if got := genMatching(lines, "[AI Gateway]"); len(got) != 0 {
			t.Errorf("gateway lines on the direct path: %v", got)
		}
	}

	t.Run("rollback: slug empty", checkDirect)

	t.Run("user prompt", func(t *testing.T) {
		up.reset(genUpstreamMode{})
		generate(t)
		calls := up.snapshot()
		user := calls[0].body.Messages[1].Content
		for _, c := range calls[1:] {
			if c.body.Messages[1].Content != user {
				t.Errorf("user prompts differ between variants")
			}
		}
		for _, want := range []string{
			"JOB POSTING DETAILS:\n\nTitle: Senior Go Engineer\nCompany: Acme\nLocation: Berlin, Germany\nWork Arrangement: Remote\nSalary Range: $120,000 - $150,000\n",
			"\nFULL JOB DESCRIPTION:\nBuild distributed systems in Go on Kubernetes. Terraform a plus.\n",
			"\nREQUIRED SKILLS: Go, Kubernetes, PostgreSQL, Terraform\n",
			"CANDIDATE PROFILE:\n\nName: Ada Lovelace\nLocation: Berlin, Germany\nPhone: +49 30 1234567\nEmail: ada@example.com\n",
			"CURRENT PROFESSIONAL SUMMARY:\nBackend engineer building Go services.\n",
			"WORK EXPERIENCE:\n\n1. Backend Engineer at Initech\n   2021-03-01 - Present | Berlin\n   Current achievements listed:\n   - Cut p99 latency by 40% with gRPC\n",
			"\n2. Developer at Globex\n   2018-01-01 - 2020-06-30 | Munich\n   Current achievements listed:\n   - No specific achievements listed\n",
			"EDUCATION:\n- BSc in Computer Science from TU Berlin (2017)\n",
			"SKILLS:\n" + strings.Join(genSkillsByEndorsement, ", ") + "\n",
			"\nTASK:\n1. ANALYZE",
		} {
			if !strings.Contains(user, want) {
				t.Errorf("user prompt lacks %q:\n%s", want, user)
			}
		}
	})

	t.Run("per-variant fallback", func(t *testing.T) {
		up.reset(genUpstreamMode{answer: func(system string) (int, string, string) {
			switch {
			case strings.Contains(system, "Maximize ATS keyword matches"):
				return 500, `{"error":{"message":"upstream exploded","type":"server_error"}}`, ""
			case strings.Contains(system, "Streamlined one-page version"):
				return 0, "", `{"resume":"not an object","coverLetter":"x","aiRationale":[]}`
			}
			return 0, "", `{"resume":{"summary":"ok"},"coverLetter":"ok","aiRationale":["ok"]}`
		}})
		r := generate(t)
		fallback := func(id, name string) string {
			return `{"id":"` + id + `","name":"` + name + `","resume":{"summary":"Senior Go Engineer with expertise in Go, Kubernetes, PostgreSQL",` +
				`"experience":[{"title":"Backend Engineer","company":"Initech","location":"Berlin","startDate":"2021-03-01","endDate":"Present",` +
				`"bullets":["Cut p99 latency by 40% with gRPC","Migrated 30 services to Kubernetes","Mentored 4 engineers"]},` +
				`{"title":"Developer","company":"Globex","location":"Munich","startDate":"2018-01-01","endDate":"2020-06-30","bullets":[]}],` +
				`"skills":["Go","Kubernetes","PostgreSQL","gRPC","Terraform","Linux","Redis","Kafka","Docker","Python"],` +
				`"education":[{"degree":"BSc in Computer Science","school":"TU Berlin","location":"","graduation":"2017-07-31"}]},` +
				`"coverLetter":"Dear Hiring Manager,\n\nI am interested in the Senior Go Engineer position at Acme.\n\nBest regards,\nAda Lovelace",` +
				`"aiRationale":["Fallback generation used","` + name + ` strategy applied"]}`
		}
		want := `"variants":[{"id":"variant-impact","name":"Impact-Focused","resume":{"summary":"ok"},"coverLetter":"ok","aiRationale":["ok"]},` +
			fallback("variant-keyword", "Keyword-Optimized") + "," + fallback("variant-concise", "Concise") + `],"selectedVariantId":"variant-impact"}`
		if want = strings.ReplaceAll(want, "\n", `\n`); !strings.HasSuffix(string(r.body), want) {
			t.Errorf("variants:\n got %s\nwant …%s", r.body, want)
		}
		wantErrs := []string{
			"Variant generation failed for Keyword-Optimized: Error: 500 upstream exploded",
			"Variant generation failed for Concise: Error: OpenAI response has no resume object",
		}
		if d := cmp.Diff(wantErrs, genMatching(logs.take(), "Variant generation failed for ")); d != "" {
			t.Errorf("error lines (-want +got):\n%s", d)
		}
	})

	t.Run("rollback: account empty", func(t *testing.T) {
		ta.Env.Vars["AI_GATEWAY_SLUG"] = "jobmatch-ai-gateway-dev"
		ta.Env.Vars["CLOUDFLARE_ACCOUNT_ID"] = ""
		defer func() { ta.Env.Vars["CLOUDFLARE_ACCOUNT_ID"] = "280c58ea17d9fe3235c33bd0a52a256b" }()
		checkDirect(t)
	})

	t.Run("gateway at AI_GATEWAY_URL with cf-aig-authorization", func(t *testing.T) {
		ta.Env.Vars["AI_GATEWAY_SLUG"] = "jobmatch-ai-gateway-dev"
		ta.Env.Vars["AI_GATEWAY_URL"] = srv.URL + "/"
		up.reset(genUpstreamMode{cacheStatus: "MISS"})
		generate(t)
		calls := up.snapshot()
		if len(calls) != 3 {
			t.Fatalf("%d gateway calls", len(calls))
		}
		for _, c := range calls {
			if c.path != "/v1/280c58ea17d9fe3235c33bd0a52a256b/jobmatch-ai-gateway-dev/openai/chat/completions" {
				t.Errorf("path %s", c.path)
			}
			if a, g := c.header.Get("Authorization"), c.header.Get("cf-aig-authorization"); a != "Bearer sk-edge-local" || g != "Bearer aig-secret" {
				t.Errorf("Authorization %q, cf-aig-authorization %q", a, g)
			}
		}
		lines := logs.take()
		wantClient := []string{
			"[OpenAI] Using Cloudflare AI Gateway: jobmatch-ai-gateway-dev", "[OpenAI] Using AI Gateway authentication token",
			"[OpenAI] Using Cloudflare AI Gateway: jobmatch-ai-gateway-dev", "[OpenAI] Using AI Gateway authentication token",
			"[OpenAI] Using Cloudflare AI Gateway: jobmatch-ai-gateway-dev", "[OpenAI] Using AI Gateway authentication token",
		}
		if d := cmp.Diff(wantClient, genMatching(lines, "[OpenAI]")); d != "" {
			t.Errorf("client lines (-want +got):\n%s", d)
		}
		if got := genMatching(lines, "[AI Gateway] ✗ Cache MISS for application-generation ("); len(got) != 3 {
			t.Errorf("miss lines %v", got)
		}

		// A status other than HIT or MISS is printed as it is.
		up.reset(genUpstreamMode{cacheStatus: "BYPASS"})
		generate(t)
		if got := genMatching(logs.take(), "[AI Gateway]"); len(got) != 3 || got[0] != "[AI Gateway] Cache status for application-generation (Impact-Focused): BYPASS" {
			t.Errorf("other status lines %v", got)
		}
	})
}

// TestGenerateApplicationAuthenticatedGateway uses the emulated gateway
// with authentication on: CF_AIG_TOKEN gets through, its absence is a 401
// from the gateway and every variant falls back.
func TestGenerateApplicationAuthenticatedGateway(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t, genConfig(t, map[string]string{"cache_ttl = 3600\n": "cache_ttl = 3600\nauthenticated = true\ntoken = \"aig-secret\"\n"},
		"CF_AIG_TOKEN = \"aig-secret\"\n"))
	logs := genCaptureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	genSeedCandidate(t, ta, uid, "ada@example.com")
	genSeedJob(t, ta, uid, "job-1")
	for _, tc := range []struct {
		name, token  string
		wantFallback bool
	}{
		{"right token", "aig-secret", false},
		{"wrong token", "not-the-token", true},
		{"no token", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ta.Env.Vars["CF_AIG_TOKEN"] = tc.token
			logs.take()
			r := genCall(t, ta, "POST", genPath, `{"jobId":"job-1"}`, auth(tok)...)
			if r.status != 201 {
				t.Fatalf("status %d %s", r.status, r.body)
			}
			g := decodeGen(t, r)
			lines := logs.take()
			errs := genMatching(lines, "Variant generation failed for ")
			for _, v := range g.Variants {
				if fell := v.AIRationale[0] == "Fallback generation used"; fell != tc.wantFallback {
					t.Errorf("%s fallback = %v, want %v (errors %v)", v.Name, fell, tc.wantFallback, errs)
				}
			}
			if tc.wantFallback {
				want := `Variant generation failed for Impact-Focused: Error: 401 [{"code":2009,"message":"Unauthorized"}]`
				if len(errs) != 3 || errs[0] != want {
					t.Errorf("error lines %v, want %s first", errs, want)
				}
			} else if got := genMatching(lines, "[AI Gateway] ✗ Cache MISS"); len(errs) != 0 || len(got) != 3 {
				t.Errorf("errors %v, miss lines %v", errs, got)
			}
		})
	}
}

// ---- create, list, read, update, delete ----

const appsPath = "/api/applications"

// wantEStd checks an E-std answer; its development stack is ignored.
func wantEStd(t *testing.T, r response, status int, code, message, details string) {
	t.Helper()
	want := fmt.Sprintf(`{"code":%q,"message":%q,"statusCode":%d`, code, message, status)
	if details != "" {
		want += `,"details":` + details
	}
	want += "}"
	if got, _ := withoutStack(r.body); r.status != status || got != want {
		t.Errorf("got %d %s\nwant %d %s", r.status, got, status, want)
	}
}

func appNotFound(id string) (int, string, string, string) {
	return 404, "NOT_FOUND", "Application with ID " + id + " not found", `{"resource":"Application","id":"` + id + `"}`
}

// appRow is the stored row of application id, as SELECT * orders it.
func appRow(t *testing.T, ta *testApp, id string) string {
	t.Helper()
	row, err := d1Row(context.Background(), ta.Env.D1["DB"].Prepare("SELECT * FROM applications WHERE id = ?").Bind(id))
	if err != nil {
		t.Fatal(err)
	}
	if row == nil {
		return ""
	}
	b, _ := json.Marshal(row)
	return string(b)
}

// appVariant is one variant as the frontend holds it (ApplicationVariant).
const appVariant = `{"id":"variant-impact","name":"Impact-Focused","resume":{"summary":"Go engineer","experience":[],"skills":["Go"]},"coverLetter":"Dear Acme","aiRationale":["kept the facts"]}`

// appVariantStored is appVariant in applications.variants.
const appVariantStored = `{"id":"variant-impact","name":"Impact-Focused","resume":{"summary":"Go engineer","experience":[],"skills":["Go"]},"cover_letter":"Dear Acme","ai_rationale":["kept the facts"]}`

func TestCreateApplication(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	tokB, uidB := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tokB)
	bobsJob := genSeedJob(t, ta, uidB, "job-bobs")

	// As useApplications sends it, as this user's first call (no users row yet).
	r := ta.do(t, "POST", appsPath, `{"jobId":null,"jobTitle":"Senior Go Engineer","company":"Acme","status":"draft","selectedVariantId":"variant-impact","variants":[`+appVariant+`]}`, auth(tok)...)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	want := `{"id":"` + id + `","jobId":null,"jobTitle":"Senior Go Engineer","company":"Acme","status":"draft","createdAt":"2030-01-01T00:00:00.000Z","selectedVariantId":"variant-impact","variants":[` + appVariant + `]}`
	if string(r.body) != want {
		t.Errorf("body:\n got %s\nwant %s", r.body, want)
	}
	if got := r.header.Get("X-RateLimit-Limit") + " " + r.header.Get("X-RateLimit-Remaining") + " " + r.header.Get("X-RateLimit-Reset"); got != "100 99 2030-01-01T00:15:00.000Z" {
		t.Errorf("rate limit headers %q", got)
	}
	wantRow := `{"id":"` + id + `","user_id":"` + uid + `","job_id":null,"status":"draft","cover_letter":null,"custom_resume":null,"variants":` +
		strconv.Quote("["+appVariantStored+"]") + `,"created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:00:00.000Z","job_title":"Senior Go Engineer","company":"Acme","selected_variant_id":"variant-impact","submitted_at":null}`
	if got := appRow(t, ta, id); got != wantRow {
		t.Errorf("row:\n got %s\nwant %s", got, wantRow)
	}
	if email, _ := ta.Env.D1["DB"].Prepare("SELECT email FROM users WHERE id = ?").Bind(uid).FirstColumn(context.Background(), "email"); email != "ada@example.com" {
		t.Errorf("users row: %v", email)
	}

	// The least a client can send; a job of the user's own; variants in the
	// stored (snake_case) form, as GET /api/applications/:id returns them.
	r = ta.do(t, "POST", appsPath, map[string]any{"jobTitle": "T", "company": "C"}, auth(tok)...)
	minimal, _ := r.json(t)["id"].(string)
	if want := `{"id":"` + minimal + `","jobId":null,"jobTitle":"T","company":"C","status":"draft","createdAt":"2030-01-01T00:00:00.000Z","selectedVariantId":null,"variants":[]}`; r.status != 201 || string(r.body) != want {
		t.Errorf("minimal: %d %s\nwant %s", r.status, r.body, want)
	}
	if row := appRow(t, ta, minimal); !strings.Contains(row, `"job_id":null,"status":"draft","cover_letter":null,"custom_resume":null,"variants":null,`) {
		t.Errorf("minimal row: %s", row)
	}
	ownJob := genSeedJob(t, ta, uid, "job-mine")
	r = ta.do(t, "POST", appsPath, `{"jobId":"job-mine","jobTitle":"T","company":"C","status":"submitted","variants":[`+appVariantStored+`,{}]}`, auth(tok)...)
	withJob, _ := r.json(t)["id"].(string)
	if r.status != 201 || !strings.Contains(appRow(t, ta, withJob), `"job_id":"`+ownJob+`","status":"submitted","cover_letter":null,"custom_resume":null,"variants":`+strconv.Quote("["+appVariantStored+",{}]")) {
		t.Errorf("own job, snake variants: %d %s\nrow %s", r.status, r.body, appRow(t, ta, withJob))
	}

	enum := "'draft' | 'submitted' | 'viewed' | 'interviewing' | 'offered' | 'rejected' | 'withdrawn' | 'accepted'"
	fields := func(f string) string { return `{"fields":{` + f + `}}` }
	for _, tc := range []struct {
		name                   string
		body                   any
		status                 int
		code, message, details string
	}{
		{"empty object", `{}`, 400, "VALIDATION_ERROR", "Invalid request body", fields(`"jobTitle":"Required","company":"Required"`)},
		{"every rule", `{"jobId":5,"jobTitle":"","company":"","status":"bogus","selectedVariantId":false,"variants":[null,3,"x"]}`, 400, "VALIDATION_ERROR", "Invalid request body",
			fields(`"jobId":"Expected string, received number","jobTitle":"Job title is required","company":"Company is required","status":"Invalid enum value. Expected ` + enum + `, received 'bogus'",` +
				`"selectedVariantId":"Expected string, received boolean","variants.0":"Expected object, received null","variants.1":"Expected object, received number","variants.2":"Expected object, received string"`)},
		{"variants null", `{"jobTitle":"T","company":"C","variants":null}`, 400, "VALIDATION_ERROR", "Invalid request body", fields(`"variants":"Expected array, received null"`)},
		{"array body", `[]`, 400, "VALIDATION_ERROR", "Invalid request body", fields(`"":"Expected object, received array"`)},
		{"another user's job", `{"jobId":"` + bobsJob + `","jobTitle":"T","company":"C"}`, 404, "NOT_FOUND", "Job with ID job-bobs not found", `{"resource":"Job","id":"job-bobs"}`},
		{"unknown job", `{"jobId":"no-such-job","jobTitle":"T","company":"C"}`, 404, "NOT_FOUND", "Job with ID no-such-job not found", `{"resource":"Job","id":"no-such-job"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantEStd(t, ta.do(t, "POST", appsPath, tc.body, auth(tok)...), tc.status, tc.code, tc.message, tc.details)
		})
	}
	wantBodyRefused(t, ta.do(t, "POST", appsPath, `{"jobTitle":`, auth(tok)...), "Unexpected end of JSON input")
	if n, _ := ta.Env.D1["DB"].Prepare("SELECT count(*) AS n FROM applications").FirstColumn(context.Background(), "n"); n != int64(3) {
		t.Errorf("%v applications, want the 3 created", n)
	}
	if r := ta.do(t, "POST", appsPath, map[string]any{"jobTitle": "T", "company": "C"}); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}

	t.Run("insert failure", func(t *testing.T) {
		genExec(t, ta, `CREATE TRIGGER applications_refuse_create BEFORE INSERT ON applications BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
		defer genExec(t, ta, `DROP TRIGGER applications_refuse_create`)
		wantEStd(t, ta.do(t, "POST", appsPath, map[string]any{"jobTitle": "T", "company": "C"}, auth(tok)...), 500, "INTERNAL_ERROR", "Failed to create application", "")
	})
}

// POST /api/applications runs the default per-user limit: 100 per 15
// minutes, key rate:user:{id}:POST:/api/applications. The other routes of
// the file carry only the IP limiter's headers.
func TestCreateApplicationRateLimit(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	key := "rate:user:" + uid + ":POST:/api/applications"
	start := ta.Clock.Now().UnixMilli()
	if err := ta.Env.KV["RATE_LIMITS"].Put(context.Background(), key, []byte(fmt.Sprintf(`{"count":99,"windowStart":%d}`, start)), runtime.KVPutOptions{ExpirationTTL: 3600}); err != nil {
		t.Fatal(err)
	}
	ta.Clock.Advance(time.Minute)
	r := ta.do(t, "POST", appsPath, map[string]any{"jobTitle": "T", "company": "C"}, auth(tok)...)
	if r.status != 201 || r.header.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("100th: %d %v %s", r.status, r.header, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	r = ta.do(t, "POST", appsPath, map[string]any{"jobTitle": "T", "company": "C"}, auth(tok)...)
	want := `{"code":"RATE_LIMIT_EXCEEDED","message":"Rate limit exceeded. Try again in 840 seconds.","details":{"limit":100,"remaining":0,"resetAt":"2030-01-01T00:15:00.000Z"},"statusCode":429}`
	if r.status != 429 || string(r.body) != want || r.header.Get("Retry-After") != "840" {
		t.Errorf("101st: %d %s %v\nwant 429 %s", r.status, r.body, r.header, want)
	}
	ent, err := ta.Env.KV["RATE_LIMITS"].Get(context.Background(), key)
	if err != nil || string(ent.Value) != fmt.Sprintf(`{"count":100,"windowStart":%d}`, start) {
		t.Errorf("KV record %s (%v)", ent.Value, err)
	}
	for _, tc := range [][2]string{{"GET", appsPath}, {"GET", appsPath + "/" + id}, {"PATCH", appsPath + "/" + id}, {"DELETE", appsPath + "/" + id}} {
		var body any
		if tc[0] == "PATCH" {
			body = map[string]any{"status": "submitted"}
		}
		r := ta.do(t, tc[0], tc[1], body, auth(tok)...)
		if r.status >= 300 || r.header.Get("X-RateLimit-Reset") != "" || r.header.Get("X-RateLimit-Limit") != "100" {
			t.Errorf("%s %s: %d, headers %v", tc[0], tc[1], r.status, r.header)
		}
	}
	ta.Clock.Advance(14 * time.Minute)
	if r := ta.do(t, "POST", appsPath, map[string]any{"jobTitle": "T", "company": "C"}, auth(tok)...); r.status != 201 || r.header.Get("X-RateLimit-Remaining") != "99" {
		t.Errorf("next window: %d %v", r.status, r.header)
	}
}

func TestApplicationsListGetUpdateDelete(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	tokB, _ := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tokB)
	var ids []string
	for i, status := range []string{"draft", "submitted", "draft"} {
		body := `{"jobTitle":"Job ` + strconv.Itoa(i) + `","company":"C","status":"` + status + `"}`
		if i == 0 {
			body = `{"jobTitle":"Job 0","company":"C","selectedVariantId":"variant-impact","variants":[` + appVariant + `]}`
		}
		r := ta.do(t, "POST", appsPath, body, auth(tok)...)
		if r.status != 201 {
			t.Fatalf("create %d: %d %s", i, r.status, r.body)
		}
		ids = append(ids, r.json(t)["id"].(string))
		ta.Clock.Advance(time.Second)
	}
	listIDs := func(r response) []string {
		var out []string
		for _, a := range r.json(t)["applications"].([]any) {
			out = append(out, a.(map[string]any)["id"].(string))
		}
		return out
	}

	// GET: raw rows, newest first, with the paging of §2.2.
	r := ta.do(t, "GET", appsPath+"?page=1&limit=20", nil, auth(tok)...)
	if r.status != 200 || fmt.Sprint(listIDs(r)) != fmt.Sprint([]string{ids[2], ids[1], ids[0]}) ||
		!strings.HasPrefix(string(r.body), `{"applications":[{"id":"`+ids[2]+`","user_id":"`+uid+`","job_id":null,"status":"draft",`) ||
		!strings.HasSuffix(string(r.body), `],"total":3,"page":1,"limit":20,"hasMore":false}`) {
		t.Errorf("list: %d %s", r.status, r.body)
	}
	if last := r.json(t)["applications"].([]any)[2].(map[string]any); last["variants"] != "["+appVariantStored+"]" {
		t.Errorf("list variants are the stored text: %v", last["variants"])
	}
	for _, tc := range []struct {
		query   string
		ids     []string
		trailer string
	}{
		{"", []string{ids[2], ids[1], ids[0]}, `"total":3,"page":1,"limit":20,"hasMore":false}`},
		{"?page=1&limit=2", []string{ids[2], ids[1]}, `"total":3,"page":1,"limit":2,"hasMore":true}`},
		{"?page=2&limit=2", []string{ids[0]}, `"total":3,"page":2,"limit":2,"hasMore":false}`},
		{"?page=3&limit=2", nil, `"total":3,"page":3,"limit":2,"hasMore":false}`},
		{"?status=submitted", []string{ids[1]}, `"total":1,"page":1,"limit":20,"hasMore":false}`},
		{"?status=", []string{ids[2], ids[1], ids[0]}, `"total":3,"page":1,"limit":20,"hasMore":false}`},
	} {
		r := ta.do(t, "GET", appsPath+tc.query, nil, auth(tok)...)
		if r.status != 200 || fmt.Sprint(listIDs(r)) != fmt.Sprint(tc.ids) || !strings.HasSuffix(string(r.body), tc.trailer) {
			t.Errorf("GET %s: %d %s", tc.query, r.status, r.body)
		}
	}
	for _, tc := range [][2]string{
		{"?page=0", `"page":"Number must be greater than 0"`},
		{"?limit=101", `"limit":"Number must be less than or equal to 100"`},
		{"?page=abc&limit=1.5", `"page":"Expected number, received nan","limit":"Expected integer, received float"`},
	} {
		wantEStd(t, ta.do(t, "GET", appsPath+tc[0], nil, auth(tok)...), 400, "VALIDATION_ERROR", "Invalid query parameters", `{"fields":{`+tc[1]+`}}`)
	}

	// GET /:id: the raw row with variants parsed, [] when NULL.
	r = ta.do(t, "GET", appsPath+"/"+ids[0], nil, auth(tok)...)
	want := `{"id":"` + ids[0] + `","user_id":"` + uid + `","job_id":null,"status":"draft","cover_letter":null,"custom_resume":null,"variants":[` + appVariantStored +
		`],"created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:00:00.000Z","job_title":"Job 0","company":"C","selected_variant_id":"variant-impact","submitted_at":null}`
	if r.status != 200 || string(r.body) != want {
		t.Errorf("GET :id: %d %s\nwant %s", r.status, r.body, want)
	}
	if r := ta.do(t, "GET", appsPath+"/"+ids[1], nil, auth(tok)...); r.status != 200 || !strings.Contains(string(r.body), `"variants":[],`) {
		t.Errorf("GET :id without variants: %d %s", r.status, r.body)
	}
	genExec(t, ta, "UPDATE applications SET variants = 'not json' WHERE id = ?", ids[2])
	if r := ta.do(t, "GET", appsPath+"/"+ids[2], nil, auth(tok)...); r.status != 200 || !strings.Contains(string(r.body), `"variants":[],`) {
		t.Errorf("GET :id with unreadable variants: %d %s", r.status, r.body)
	}

	// PATCH: status (submitted_at with "submitted"), selectedVariantId and
	// the edited variants the frontend sends.
	ta.Clock.Advance(30 * time.Minute) // tokens live an hour
	edited := strings.Replace(appVariant, "Dear Acme", "Dear Acme team", 1)
	r = ta.do(t, "PATCH", appsPath+"/"+ids[0], `{"status":"submitted","selectedVariantId":"variant-keyword","variants":[`+edited+`]}`, auth(tok)...)
	want = `{"id":"` + ids[0] + `","user_id":"` + uid + `","job_id":null,"status":"submitted","cover_letter":null,"custom_resume":null,"variants":` +
		strconv.Quote("["+strings.Replace(appVariantStored, "Dear Acme", "Dear Acme team", 1)+"]") +
		`,"created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:30:03.000Z","job_title":"Job 0","company":"C","selected_variant_id":"variant-keyword","submitted_at":"2030-01-01T00:30:03.000Z"}`
	if r.status != 200 || string(r.body) != want {
		t.Errorf("PATCH: %d %s\nwant %s", r.status, r.body, want)
	}
	if r := ta.do(t, "PATCH", appsPath+"/"+ids[0], map[string]any{"status": "viewed"}, auth(tok)...); r.status != 200 || r.json(t)["status"] != "viewed" || r.json(t)["submitted_at"] != "2030-01-01T00:30:03.000Z" {
		t.Errorf("PATCH viewed: %d %s", r.status, r.body)
	}
	ta.Clock.Advance(time.Second)
	if r := ta.do(t, "PATCH", appsPath+"/"+ids[0], map[string]any{}, auth(tok)...); r.status != 200 || r.json(t)["updated_at"] != "2030-01-01T00:30:04.000Z" || r.json(t)["selected_variant_id"] != "variant-keyword" {
		t.Errorf("PATCH {}: %d %s", r.status, r.body)
	}
	enum := "'draft' | 'submitted' | 'viewed' | 'interviewing' | 'offered' | 'rejected' | 'withdrawn' | 'accepted'"
	for _, tc := range [][2]string{
		{`{"status":"ready"}`, `"status":"Invalid enum value. Expected ` + enum + `, received 'ready'"`},
		{`{"selectedVariantId":null,"variants":{}}`, `"selectedVariantId":"Expected string, received null","variants":"Expected array, received object"`},
	} {
		wantEStd(t, ta.do(t, "PATCH", appsPath+"/"+ids[0], tc[0], auth(tok)...), 400, "VALIDATION_ERROR", "Invalid request body", `{"fields":{`+tc[1]+`}}`)
	}

	// Another user reaches none of it, through any id.
	before := appRow(t, ta, ids[0])
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		s, code, msg, details := appNotFound(ids[0])
		wantEStd(t, ta.do(t, m, appsPath+"/"+ids[0], map[string]any{"status": "withdrawn"}, auth(tokB)...), s, code, msg, details)
	}
	if r := ta.do(t, "GET", appsPath, nil, auth(tokB)...); string(r.body) != `{"applications":[],"total":0,"page":1,"limit":20,"hasMore":false}` {
		t.Errorf("B's list: %s", r.body)
	}
	if after := appRow(t, ta, ids[0]); after != before {
		t.Errorf("B changed A's row:\n%s\n%s", before, after)
	}

	// DELETE: 204 without a body; then the id is gone.
	r = ta.do(t, "DELETE", appsPath+"/"+ids[0], nil, auth(tok)...)
	if r.status != 204 || len(r.body) != 0 || r.header.Get("Content-Type") != "" {
		t.Errorf("DELETE: %d %q %v", r.status, r.body, r.header)
	}
	if row := appRow(t, ta, ids[0]); row != "" {
		t.Errorf("row after DELETE: %s", row)
	}
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		s, code, msg, details := appNotFound(ids[0])
		wantEStd(t, ta.do(t, m, appsPath+"/"+ids[0], map[string]any{}, auth(tok)...), s, code, msg, details)
	}
	wantBodyRefused(t, ta.do(t, "PATCH", appsPath+"/"+ids[1], "nope", auth(tok)...), "invalid character 'o' in literal null (expecting 'u')")
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		if r := ta.do(t, m, appsPath+"/"+ids[1], map[string]any{}); r.status != 401 {
			t.Errorf("%s without token: %d", m, r.status)
		}
	}
	if r := ta.do(t, "GET", appsPath, nil); r.status != 401 {
		t.Errorf("list without token: %d", r.status)
	}
}

// The applications generate creates are read, changed and deleted through
// the same routes, by their owner only.
func TestGeneratedApplicationThroughCRUD(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	tokB, _ := ta.token(t, "bob@example.com")
	genSeedCandidate(t, ta, uid, "ada@example.com")
	genSeedJob(t, ta, uid, "job-1")
	mustProfile(t, ta, tokB)
	r := genCall(t, ta, "POST", genPath, `{"jobId":"job-1"}`, auth(tok)...)
	if r.status != 201 {
		t.Fatalf("generate: %d %s", r.status, r.body)
	}
	g := decodeGen(t, r)

	r = ta.do(t, "GET", appsPath, nil, auth(tok)...)
	apps := r.json(t)["applications"].([]any)
	if r.status != 200 || len(apps) != 1 || apps[0].(map[string]any)["id"] != g.ID || apps[0].(map[string]any)["job_title"] != "Senior Go Engineer" || apps[0].(map[string]any)["selected_variant_id"] != "variant-impact" {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r = ta.do(t, "GET", appsPath+"/"+g.ID, nil, auth(tok)...)
	var got struct {
		JobID    string `json:"job_id"`
		Variants []struct {
			ID          string   `json:"id"`
			CoverLetter string   `json:"cover_letter"`
			AIRationale []string `json:"ai_rationale"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil || r.status != 200 || got.JobID != "job-1" || len(got.Variants) != 3 {
		t.Fatalf("GET :id: %d %s (%v)", r.status, r.body, err)
	}
	for i, v := range got.Variants {
		if v.ID != g.Variants[i].ID || v.CoverLetter != g.Variants[i].CoverLetter || len(v.AIRationale) == 0 {
			t.Errorf("variant %d: %+v, generated %+v", i, v, g.Variants[i])
		}
	}
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		s, code, msg, details := appNotFound(g.ID)
		wantEStd(t, ta.do(t, m, appsPath+"/"+g.ID, map[string]any{"status": "withdrawn"}, auth(tokB)...), s, code, msg, details)
	}
	if r := ta.do(t, "PATCH", appsPath+"/"+g.ID, map[string]any{"status": "submitted", "selectedVariantId": "variant-concise"}, auth(tok)...); r.status != 200 ||
		r.json(t)["status"] != "submitted" || r.json(t)["selected_variant_id"] != "variant-concise" || r.json(t)["submitted_at"] != "2030-01-01T00:00:00.000Z" {
		t.Errorf("PATCH: %d %s", r.status, r.body)
	}
	if r := ta.do(t, "DELETE", appsPath+"/"+g.ID, nil, auth(tok)...); r.status != 204 {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	if row := appRow(t, ta, g.ID); row != "" {
		t.Errorf("row after DELETE: %s", row)
	}
}
