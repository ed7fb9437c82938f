package api

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestGetProfileCreatesTheRow(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")

	r := ta.do(t, "GET", "/api/profile", nil, auth(tok)...)
	want := fmt.Sprintf(`{"message":"Profile fetched successfully","profile":{"id":%q,"email":"ada@example.com","first_name":null,"last_name":null,"phone":null,"current_title":null,"professional_summary":null,"location":null,"linkedin_url":null,"photo_url":null,"years_of_experience":null,"two_factor_enabled":0,"created_at":"2030-01-01 00:00:00","updated_at":"2030-01-01 00:00:00",`, uid)
	if r.status != 200 || !strings.HasPrefix(string(r.body), want) {
		t.Fatalf("%d %s\nwant prefix %s", r.status, r.body, want)
	}
	if r.header.Get("X-RateLimit-Limit") != "100" || r.header.Get("X-RateLimit-Reset") != "" {
		t.Errorf("profile routes carry only the IP limiter's headers: %v", r.header)
	}
	lines := cc.take()
	for _, l := range []string{
		"[Profile] Auto-creating D1 profile for Supabase Auth user: " + uid,
		"[Profile] D1 profile created successfully for user: " + uid,
	} {
		if len(withPrefix(lines, l)) != 1 {
			t.Errorf("missing %q in %q", l, lines)
		}
	}
	if len(withPrefix(lines, "[RateLimit]")) != 0 {
		t.Errorf("GET /api/profile is not rate-limited per user: %q", lines)
	}

	// Second call: the same row, nothing created.
	ta.Clock.Advance(time.Hour - time.Minute)
	r2 := ta.do(t, "GET", "/api/profile", nil, auth(tok)...)
	if r2.status != 200 || string(r2.body) != string(r.body) {
		t.Errorf("second GET: %d %s", r2.status, r2.body)
	}
	if lines := cc.take(); len(withPrefix(lines, "[Profile] Auto-creating")) != 0 {
		t.Errorf("row created twice: %q", lines)
	}
}

func TestGetProfileErrors(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	// Another id already holds the email: the UNIQUE constraint → E-local 500.
	if _, err := ta.Env.D1["DB"].Prepare("INSERT INTO users (id, email) VALUES ('someone-else', 'ada@example.com')").Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := ta.do(t, "GET", "/api/profile", nil, auth(tok)...)
	if want := `{"error":"Failed to fetch profile","message":"D1_ERROR: UNIQUE constraint failed: users.email: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)"}`; r.status != 500 || string(r.body) != want {
		t.Errorf("%d %s\nwant 500 %s", r.status, r.body, want)
	}
	for _, h := range [][]string{nil, {"Authorization", "Token x"}} {
		if r := ta.do(t, "GET", "/api/profile", nil, h...); r.status != 401 {
			t.Errorf("%v: %d %s", h, r.status, r.body)
		}
	}
}

func TestAddWorkExperience(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	body := map[string]any{"title": "Staff Engineer", "company": "Acme", "description": "", "start_date": "2020-01",
		"end_date": nil, "is_current": true, "location": "Berlin", "accomplishments": []string{"a"}}

	// Without a users row the foreign key fails (GET /api/profile creates it).
	r := ta.do(t, "POST", "/api/profile/work-experience", body, auth(tok)...)
	if want := `{"error":"Failed to add work experience","message":"D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"}`; r.status != 500 || string(r.body) != want {
		t.Errorf("before profile: %d %s\nwant 500 %s", r.status, r.body, want)
	}
	mustProfile(t, ta, tok)
	cc.take()

	r = ta.do(t, "POST", "/api/profile/work-experience", body, auth(tok)...)
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	exp := r.json(t)["experience"].(map[string]any)
	id := exp["id"].(string)
	want := fmt.Sprintf(`{"message":"Work experience added successfully","experience":{"id":%q,"user_id":%q,"company":"Acme","title":"Staff Engineer","location":null,"employment_type":null,"start_date":"2020-01","end_date":null,"is_current":1,"description":null,"accomplishments":null,"created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:00:00.000Z"}}`, id, uid)
	if string(r.body) != want {
		t.Errorf("body:\n got %s\nwant %s", r.body, want)
	}
	if l := "[Profile] Added work experience for user " + uid + ", background updates queued"; len(withPrefix(cc.take(), l)) != 1 {
		t.Errorf("missing %q", l)
	}

	// "position" is accepted for the title column; is_current defaults to 0.
	r = ta.do(t, "POST", "/api/profile/work-experience", map[string]any{"position": "Engineer", "company": "Globex", "start_date": "2018-01", "end_date": "2019-12", "description": "Built"}, auth(tok)...)
	exp = r.json(t)["experience"].(map[string]any)
	if r.status != 200 || exp["title"] != "Engineer" || exp["is_current"] != float64(0) || exp["end_date"] != "2019-12" || exp["description"] != "Built" {
		t.Errorf("position alias: %d %s", r.status, r.body)
	}
}

func TestAddWorkExperienceValidation(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	req := func(path string) string {
		return `{"code":"invalid_type","expected":"string","received":"undefined","path":["` + path + `"],"message":"Required"}`
	}
	small := func(path, msg string) string {
		return `{"code":"too_small","minimum":1,"type":"string","inclusive":true,"exact":false,"message":"` + msg + `","path":["` + path + `"]}`
	}
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"empty", map[string]any{}, req("title") + "," + req("company") + "," + req("start_date")},
		{"empty strings", map[string]any{"title": "", "company": "", "start_date": "2020"}, small("title", "Title is required") + "," + small("company", "Company is required")},
		{"empty position", map[string]any{"position": "", "company": "c", "start_date": "2020"}, small("position", "Title is required")},
		{"types", map[string]any{"title": 1, "company": "c", "description": 2, "start_date": nil, "end_date": false, "is_current": "yes"},
			`{"code":"invalid_type","expected":"string","received":"number","path":["title"],"message":"Expected string, received number"},` +
				`{"code":"invalid_type","expected":"string","received":"number","path":["description"],"message":"Expected string, received number"},` +
				`{"code":"invalid_type","expected":"string","received":"null","path":["start_date"],"message":"Expected string, received null"},` +
				`{"code":"invalid_type","expected":"string","received":"boolean","path":["end_date"],"message":"Expected string, received boolean"},` +
				`{"code":"invalid_type","expected":"boolean","received":"string","path":["is_current"],"message":"Expected boolean, received string"}`},
		{"null body", nil, `{"code":"invalid_type","expected":"object","received":"null","path":[],"message":"Expected object, received null"}`},
		{"string body", "\"x\"", `{"code":"invalid_type","expected":"object","received":"string","path":[],"message":"Expected object, received string"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == nil {
				body = "null"
			}
			r := ta.do(t, "POST", "/api/profile/work-experience", body, auth(tok)...)
			want := `{"error":"Invalid work experience data","details":[` + tc.want + `]}`
			if r.status != 400 || string(r.body) != want {
				t.Errorf("%d %s\nwant 400 %s", r.status, r.body, want)
			}
		})
	}
	r := ta.do(t, "POST", "/api/profile/work-experience", "{", auth(tok)...)
	if b := r.json(t); r.status != 500 || b["code"] != "INTERNAL_ERROR" || b["statusCode"] != float64(500) {
		t.Errorf("bad JSON: %d %s", r.status, r.body)
	}
	if r := ta.do(t, "POST", "/api/profile/work-experience", map[string]any{}); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
}
