package api

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var stackMember = regexp.MustCompile(`,"stack":"(?:[^"\\]|\\.)*"`)

// withoutStack drops the development-only "stack" member of an E-std body
// (its text is the platform's) and reports whether it was there.
func withoutStack(body []byte) (string, bool) {
	s := stackMember.ReplaceAllString(string(body), "")
	return s, s != string(body)
}

// mustProfile creates the user's row through GET /api/profile.
func mustProfile(t *testing.T, ta *testApp, tok string) {
	t.Helper()
	if r := ta.do(t, "GET", "/api/profile", nil, auth(tok)...); r.status != 200 {
		t.Fatalf("GET /api/profile: %d %s", r.status, r.body)
	}
}

func TestCreateJobEmbedsStoresAndCaches(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	body := map[string]any{"title": "Software Engineer", "description": "Builds distributed systems in Go"}

	r := ta.do(t, "POST", "/api/jobs", body, auth(tok)...)
	if r.status != 201 {
		t.Fatalf("POST /api/jobs: %d %s", r.status, r.body)
	}
	job := r.json(t)
	id, _ := job["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Fatalf("id %q is not a v4 UUID", id)
	}
	if !strings.HasPrefix(string(r.body), fmt.Sprintf(`{"id":%q,"user_id":%q,"title":"Software Engineer","company":"","location":null,"description":"Builds distributed systems in Go","url":null,"source":"manual",`, id, uid)) {
		t.Errorf("row shape / column order: %s", r.body)
	}
	for k, want := range map[string]any{"created_at": "2030-01-01T00:00:00.000Z", "updated_at": "2030-01-01T00:00:00.000Z", "added_at": "2030-01-01T00:00:00.000Z",
		"is_saved": float64(0), "is_archived": float64(0), "saved": float64(0), "archived": float64(0), "match_score": nil} {
		if got := job[k]; got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	lines := cc.take()
	for _, want := range []string{
		fmt.Sprintf("[RateLimit] User %s request 1/100 for POST:/api/jobs (0.0ms latency)", uid),
		"[EmbeddingsCache] Layer 1 (KV) MISS in 0.0ms, calling Workers AI (Layer 2)",
		"[EmbeddingsCache] ✓ Layer 2 (Workers AI) SUCCESS in 0.0ms (total: 0.0ms)",
		"[EmbeddingsCache] Stored embedding in KV with 30-day TTL",
		fmt.Sprintf("[Vectorize] ✓ Stored embedding for job %s (Software Engineer at ) in 0.0ms", id),
		fmt.Sprintf("[Embeddings] Successfully generated and stored embedding in Vectorize for job %s", id),
	} {
		if !cmp.Equal(withPrefix(lines, want), []string{want}) {
			t.Errorf("log lacks %q:\n%s", want, strings.Join(lines, "\n"))
		}
	}

	// The vector: id job:{id}, 768 dims, metadata per §4.4.
	vecs, err := ta.Env.Vectorize["VECTORIZE"].GetByIDs(context.Background(), []string{"job:" + id})
	if err != nil || len(vecs) != 1 {
		t.Fatalf("vector job:%s: %v %v", id, vecs, err)
	}
	if len(vecs[0].Values) != 768 {
		t.Errorf("vector has %d dims", len(vecs[0].Values))
	}
	if d := cmp.Diff(map[string]any{"jobId": id, "userId": uid, "title": "Software Engineer", "company": ""}, vecs[0].Metadata); d != "" {
		t.Errorf("metadata (-want +got):\n%s", d)
	}
	// The embedding is the cached one for the job text.
	emb, err := ta.app.generateCachedEmbedding(context.Background(), "Software Engineer Builds distributed systems in Go")
	if err != nil || float32(emb[0]) != vecs[0].Values[0] {
		t.Errorf("vector differs from the cached embedding of the job text (%v)", err)
	}
	cc.take()

	// The same text again: a KV hit, and a second job with its own vector.
	ta.Clock.Advance(time.Second)
	r = ta.do(t, "POST", "/api/jobs", body, auth(tok)...)
	if r.status != 201 {
		t.Fatalf("second POST: %d %s", r.status, r.body)
	}
	id2 := r.json(t)["id"].(string)
	lines = cc.take()
	hit := "[EmbeddingsCache] ✓ Layer 1 (KV) HIT in 0.0ms (total: 0.0ms) - Cost savings!"
	if len(withPrefix(lines, hit)) != 1 || len(withPrefix(lines, "[EmbeddingsCache] Layer 1 (KV) MISS")) != 0 {
		t.Errorf("second POST is not a cache hit:\n%s", strings.Join(lines, "\n"))
	}
	if vecs, _ := ta.Env.Vectorize["VECTORIZE"].GetByIDs(context.Background(), []string{"job:" + id2}); len(vecs) != 1 {
		t.Errorf("second job has no vector")
	}
	if st := ta.app.Stats().(Stats).EmbeddingsCache; st.Layer1.Hits != 2 || st.Layer1.Misses != 1 {
		t.Errorf("stats: %+v", st)
	}

	// Both jobs are listed, newest first.
	r = ta.do(t, "GET", "/api/jobs", nil, auth(tok)...)
	list := r.json(t)
	jobs := list["jobs"].([]any)
	if r.status != 200 || list["total"] != float64(2) || len(jobs) != 2 || jobs[0].(map[string]any)["id"] != id2 {
		t.Errorf("list after two POSTs: %d %s", r.status, r.body)
	}
}

func TestCreateJobOptionalFields(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	r := ta.do(t, "POST", "/api/jobs", map[string]any{
		"title": "Data Engineer", "company": "Acme", "location": "Berlin", "url": "https://acme.example/jobs/1",
		"jobType": "full-time", "experienceLevel": "senior", "workArrangement": "Hybrid", "salaryMin": 50000, "salaryMax": 70000.5,
		"requiredSkills": []string{"SQL", "Go"}, "preferredSkills": []string{}, "unknown": "stripped",
	}, auth(tok)...)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	job := r.json(t)
	for k, want := range map[string]any{"company": "Acme", "location": "Berlin", "url": "https://acme.example/jobs/1", "job_type": "full-time",
		"experience_level": "senior", "work_arrangement": "Hybrid", "salary_min": float64(50000), "salary_max": 70000.5,
		"required_skills": `["SQL","Go"]`, "preferred_skills": `[]`, "source": "manual"} {
		if got := job[k]; got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if _, ok := job["unknown"]; ok {
		t.Error("unknown key stored")
	}
}

func TestCreateJobErrors(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	fields := func(f string) string {
		return `{"code":"VALIDATION_ERROR","message":"Invalid request body","statusCode":400,"details":{"fields":{` + f + `}}}`
	}
	for _, tc := range []struct {
		name    string
		body    any
		headers []string
		status  int
		want    string
	}{
		{"no token", map[string]any{"title": "x"}, nil, 401, `{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`},
		{"empty object", map[string]any{}, auth(tok), 400, fields(`"title":"Required"`)},
		{"empty title", map[string]any{"title": ""}, auth(tok), 400, fields(`"title":"Title is required"`)},
		{"title not a string", map[string]any{"title": 5}, auth(tok), 400, fields(`"title":"Expected string, received number"`)},
		{"two fields in order", map[string]any{"title": "", "company": 3}, auth(tok), 400, fields(`"title":"Title is required","company":"Expected string, received number"`)},
		{"null company", map[string]any{"title": "x", "company": nil}, auth(tok), 400, fields(`"company":"Expected string, received null"`)},
		{"bad job type", map[string]any{"title": "x", "jobType": "gig"}, auth(tok), 400,
			fields(`"jobType":"Invalid enum value. Expected 'full-time' | 'part-time' | 'contract' | 'internship' | 'temporary' | 'remote', received 'gig'"`)},
		{"negative salary", map[string]any{"title": "x", "salaryMin": -1}, auth(tok), 400, fields(`"salaryMin":"Number must be greater than or equal to 0"`)},
		{"skill not a string", map[string]any{"title": "x", "requiredSkills": []any{"Go", 1}}, auth(tok), 400, fields(`"requiredSkills.1":"Expected string, received number"`)},
		{"bad url", map[string]any{"title": "x", "url": "not a url"}, auth(tok), 400, fields(`"url":"Invalid url"`)},
		{"long title", map[string]any{"title": strings.Repeat("t", 501)}, auth(tok), 400, fields(`"title":"String must contain at most 500 character(s)"`)},
		{"array body", []any{}, auth(tok), 400, fields(`"":"Expected object, received array"`)},
		// Bodies readJSONBody refuses: 400s where the original answered 500.
		{"number beyond a double", `{"title":"a","salaryMin":1e400}`, auth(tok), 400, fields(`"salaryMin":"Number must be finite"`)},
		{"numbers beyond a double, nested and unknown", `{"title":"a","requiredSkills":["Go",-1e400],"x":{"y":1e999}}`, auth(tok), 400,
			fields(`"requiredSkills.1":"Number must be finite","x.y":"Number must be finite"`)},
		{"not JSON", "not json", auth(tok), 400, fields(`"":"invalid character 'o' in literal null (expecting 'u')"`)},
		{"empty body", "", auth(tok), 400, fields(`"":"Unexpected end of JSON input"`)},
		{"truncated", `{"title":`, auth(tok), 400, fields(`"":"Unexpected end of JSON input"`)},
		{"trailing text", `{"title":"x"} trailing`, auth(tok), 400, fields(`"":"Unexpected non-whitespace character after JSON at position 14"`)},
		{"nested too deep", strings.Repeat("[", 10001) + strings.Repeat("]", 10001), auth(tok), 400, fields(`"":"invalid character '[' exceeded max depth"`)},
		{"body over 10 MiB", `{"title":"` + strings.Repeat("t", 10<<20) + `"}`, auth(tok), 400, fields(`"":"Request body is larger than 10485760 bytes"`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.do(t, "POST", "/api/jobs", tc.body, tc.headers...)
			got, hadStack := withoutStack(r.body)
			if r.status != tc.status || got != tc.want {
				t.Errorf("%d %s\nwant %d %s", r.status, got, tc.status, tc.want)
			}
			if tc.status == 400 && !hadStack {
				t.Error("development 400 without stack")
			}
		})
	}
	// Nothing was created.
	if r := ta.do(t, "GET", "/api/jobs", nil, auth(tok)...); r.json(t)["total"] != float64(0) {
		t.Errorf("failed POSTs created jobs: %s", r.body)
	}
	// A number below a double's range is 0, as JSON.parse reads it.
	if r := ta.do(t, "POST", "/api/jobs", `{"title":"a","salaryMin":1e-400}`, auth(tok)...); r.status != 201 || r.json(t)["salary_min"] != float64(0) {
		t.Errorf("underflow: %d %s", r.status, r.body)
	}
}

// seedJobs inserts jobs for uid directly in D1, one second apart.
func seedJobs(t *testing.T, ta *testApp, uid string, jobs []map[string]any) []string {
	t.Helper()
	var ids []string
	for i, j := range jobs {
		id := fmt.Sprintf("job-%s-%02d", uid[:8], i)
		ids = append(ids, id)
		created := ta.Clock.Now().Add(time.Duration(i) * time.Second).UTC().Format("2006-01-02T15:04:05.000Z")
		_, err := ta.Env.D1["DB"].Prepare(`INSERT INTO jobs (id, user_id, title, company, source, match_score, work_arrangement, is_saved, is_archived, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).Bind(id, uid, j["title"], j["company"], j["source"], j["score"], j["arr"], j["saved"], j["archived"], created).Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func TestListJobsFiltersAndPaging(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	ids := seedJobs(t, ta, uid, []map[string]any{
		{"title": "Backend Engineer", "company": "Acme", "source": "linkedin", "score": 90.0, "arr": "Remote", "saved": 1, "archived": 0},
		{"title": "Data Analyst", "company": "Globex", "source": "indeed", "score": 60.0, "arr": "Hybrid", "saved": 0, "archived": 0},
		{"title": "Frontend engineer", "company": "Initech", "source": "manual", "score": 80.0, "arr": "On-site", "saved": 0, "archived": 0},
		{"title": "Old Job", "company": "Acme", "source": "linkedin", "score": 95.0, "arr": "Remote", "saved": 1, "archived": 1},
		{"title": "Designer", "company": "Umbrella", "source": "manual", "score": nil, "arr": nil, "saved": 0, "archived": 0},
	})
	tok2, uid2 := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tok2)
	seedJobs(t, ta, uid2, []map[string]any{{"title": "Backend Engineer", "company": "Acme", "source": "linkedin", "saved": 0, "archived": 0}})

	r := ta.do(t, "GET", "/api/jobs", nil, auth(tok)...)
	if want := fmt.Sprintf("[RateLimit] User %s request 1/100 for GET:/api/jobs (0.0ms latency)", uid); !cmp.Equal(withPrefix(cc.take(), "[RateLimit]"), []string{want}) {
		t.Errorf("rate-limit line missing: want %q", want)
	}
	if r.header.Get("X-RateLimit-Limit") != "100" || r.header.Get("X-RateLimit-Remaining") != "99" || r.header.Get("X-RateLimit-Reset") != "2030-01-01T00:15:00.000Z" {
		t.Errorf("rate-limit headers: %v", r.header)
	}
	if !strings.HasPrefix(string(r.body), `{"jobs":[{"id":"`+ids[4]+`","user_id":`) || !strings.HasSuffix(string(r.body), `],"total":4,"page":1,"limit":20,"hasMore":false}`) {
		t.Errorf("body: %s", r.body)
	}

	for _, tc := range []struct {
		query     string
		want      []int
		total     int
		page, lim int
		hasMore   bool
	}{
		{"", []int{4, 2, 1, 0}, 4, 1, 20, false},
		{"archived=true", []int{3}, 1, 1, 20, false},
		{"archived=1", []int{3}, 1, 1, 20, false},
		{"archived=false", []int{4, 2, 1, 0}, 4, 1, 20, false},
		{"archived=", []int{4, 2, 1, 0}, 4, 1, 20, false},
		{"saved=true", []int{0}, 1, 1, 20, false},
		{"saved=false", []int{4, 2, 1}, 3, 1, 20, false},
		{"saved=0&archived=1", nil, 0, 1, 20, false},
		{"source=manual", []int{4, 2}, 2, 1, 20, false},
		{"minMatchScore=80", []int{2, 0}, 2, 1, 20, false},
		{"workArrangement=Remote", []int{0}, 1, 1, 20, false},
		{"search=engineer", []int{2, 0}, 2, 1, 20, false},
		{"search=acme", []int{0}, 1, 1, 20, false},
		{"search=", []int{4, 2, 1, 0}, 4, 1, 20, false},
		{"limit=2", []int{4, 2}, 4, 1, 2, true},
		{"page=2&limit=2", []int{1, 0}, 4, 2, 2, false},
		{"page=2&limit=3", []int{0}, 4, 2, 3, false},
		{"page=3&limit=2", nil, 4, 3, 2, false},
		{"page=0x1&limit=+3", []int{4, 2, 1}, 4, 1, 3, true},
		{"page=1&page=9", []int{4, 2, 1, 0}, 4, 1, 20, false},
		{"source=linkedin&minMatchScore=90&saved=1&workArrangement=Remote&search=back", []int{0}, 1, 1, 20, false},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := ta.do(t, "GET", "/api/jobs?"+tc.query, nil, auth(tok)...)
			b := r.json(t)
			var got []int
			for _, j := range b["jobs"].([]any) {
				id := j.(map[string]any)["id"].(string)
				for i, want := range ids {
					if id == want {
						got = append(got, i)
					}
				}
			}
			if r.status != 200 || !cmp.Equal(got, tc.want) || b["total"] != float64(tc.total) || b["page"] != float64(tc.page) ||
				b["limit"] != float64(tc.lim) || b["hasMore"] != tc.hasMore {
				t.Errorf("%d jobs %v total %v page %v limit %v hasMore %v; want %v %d %d %d %v",
					r.status, got, b["total"], b["page"], b["limit"], b["hasMore"], tc.want, tc.total, tc.page, tc.lim, tc.hasMore)
			}
		})
	}
}

func TestListJobsQueryValidation(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	fields := func(f string) string {
		return `{"code":"VALIDATION_ERROR","message":"Invalid query parameters","statusCode":400,"details":{"fields":{` + f + `}}}`
	}
	for _, tc := range []struct{ query, want string }{
		{"page=0", fields(`"page":"Number must be greater than 0"`)},
		{"page=", fields(`"page":"Number must be greater than 0"`)},
		{"page=abc", fields(`"page":"Expected number, received nan"`)},
		{"page=1.5", fields(`"page":"Expected integer, received float"`)},
		{"page=Infinity", fields(`"page":"Expected integer, received float"`)},
		{"limit=101", fields(`"limit":"Number must be less than or equal to 100"`)},
		{"limit=-1.5", fields(`"limit":"Number must be greater than 0"`)},
		{"minMatchScore=101", fields(`"minMatchScore":"Number must be less than or equal to 100"`)},
		{"minMatchScore=-1", fields(`"minMatchScore":"Number must be greater than or equal to 0"`)},
		{"minMatchScore=x", fields(`"minMatchScore":"Expected number, received nan"`)},
		{"source=monster", fields(`"source":"Invalid enum value. Expected 'linkedin' | 'indeed' | 'manual', received 'monster'"`)},
		{"workArrangement=remote", fields(`"workArrangement":"Invalid enum value. Expected 'Remote' | 'Hybrid' | 'On-site', received 'remote'"`)},
		{"search=" + strings.Repeat("s", 201), fields(`"search":"String must contain at most 200 character(s)"`)},
		{"archived=maybe", fields(`"archived":"Invalid enum value. Expected 'true' | 'false' | '1' | '0', received 'maybe'"`)},
		{"saved=False", fields(`"saved":"Invalid enum value. Expected 'true' | 'false' | '1' | '0', received 'False'"`)},
		{"source=x&page=0&limit=500", fields(`"page":"Number must be greater than 0","limit":"Number must be less than or equal to 100","source":"Invalid enum value. Expected 'linkedin' | 'indeed' | 'manual', received 'x'"`)},
	} {
		t.Run(tc.query, func(t *testing.T) {
			r := ta.do(t, "GET", "/api/jobs?"+tc.query, nil, auth(tok)...)
			got, _ := withoutStack(r.body)
			if r.status != 400 || got != tc.want {
				t.Errorf("%d %s\nwant 400 %s", r.status, got, tc.want)
			}
		})
	}
	// The search is percent-decoded before the length check.
	if r := ta.do(t, "GET", "/api/jobs?search="+url.QueryEscape(strings.Repeat("é", 200)), nil, auth(tok)...); r.status != 200 {
		t.Errorf("200 UTF-16 units rejected: %d %s", r.status, r.body)
	}
	if r := ta.do(t, "GET", "/api/jobs", nil); r.status != 401 || string(r.body) != `{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}` {
		t.Errorf("no token: %d %s", r.status, r.body)
	}
}

func TestJSNumber(t *testing.T) {
	for in, want := range map[string]float64{"": 0, " 12 ": 12, "+5": 5, "-3": -3, "1e2": 100, ".5": 0.5, "5.": 5, "0x1F": 31, "0b11": 3, "0o7": 7} {
		if got := jsNumber(in); got != want {
			t.Errorf("Number(%q) = %v, want %v", in, got, want)
		}
	}
	for _, in := range []string{"abc", "1_000", "0x", "1e", "--1", "0xG"} {
		if got := jsNumber(in); got == got {
			t.Errorf("Number(%q) = %v, want NaN", in, got)
		}
	}
}
