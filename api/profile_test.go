package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/textproto"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"jobmatch-edge/runtime"
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
	want := fmt.Sprintf(`{"message":"Work experience added successfully","experience":{"id":%q,"user_id":%q,"company":"Acme","title":"Staff Engineer","location":"Berlin","employment_type":null,"start_date":"2020-01","end_date":null,"is_current":1,"description":null,"accomplishments":"[\"a\"]","created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:00:00.000Z"}}`, id, uid)
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
			wantIssues(t, ta.do(t, "POST", "/api/profile/work-experience", body, auth(tok)...), "Invalid work experience data", tc.want)
		})
	}
	wantBodyRefused(t, ta.do(t, "POST", "/api/profile/work-experience", "{", auth(tok)...), "Unexpected end of JSON input")
	if r := ta.do(t, "POST", "/api/profile/work-experience", map[string]any{}); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
}

// ---- PATCH /api/profile ----

// profileIssue is a zod invalid_type issue for a string key.
func profileIssue(path, received string) string {
	msg := "Expected string, received " + received
	if received == "undefined" {
		msg = "Required"
	}
	return `{"code":"invalid_type","expected":"string","received":"` + received + `","path":["` + path + `"],"message":"` + msg + `"}`
}

func TestUpdateProfile(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	tokB, uidB := ta.token(t, "bob@example.com")

	// No users row yet: nothing to update.
	if r := ta.do(t, "PATCH", "/api/profile", map[string]any{"first_name": "Ada"}, auth(tok)...); r.status != 404 || string(r.body) != `{"error":"Profile not found"}` {
		t.Errorf("before GET /api/profile: %d %s", r.status, r.body)
	}
	mustProfile(t, ta, tok)
	mustProfile(t, ta, tokB)
	ta.Clock.Advance(time.Second)
	cc.take()

	// As the frontend sends it: snake_case keys; unknown keys are dropped.
	body := map[string]any{"first_name": "Ada", "last_name": "Lovelace", "phone": "", "location": "London", "linkedin_url": "https://www.linkedin.com/in/ada",
		"photo_url": nil, "current_title": "Analyst", "professional_summary": "Notes on the engine.", "email": "evil@example.com", "id": "x"}
	r := ta.do(t, "PATCH", "/api/profile", body, auth(tok)...)
	want := fmt.Sprintf(`{"message":"Profile updated successfully","profile":{"id":%q,"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","phone":"","current_title":"Analyst","professional_summary":"Notes on the engine.","location":"London","linkedin_url":"https://www.linkedin.com/in/ada","photo_url":null,"years_of_experience":null,"two_factor_enabled":0,"created_at":"2030-01-01 00:00:00","updated_at":"2030-01-01T00:00:01.000Z",`, uid)
	if r.status != 200 || !strings.HasPrefix(string(r.body), want) {
		t.Fatalf("%d %s\nwant prefix %s", r.status, r.body, want)
	}
	if r.header.Get("X-RateLimit-Reset") != "" {
		t.Errorf("PATCH /api/profile is not rate-limited per user: %v", r.header)
	}
	if l := "[Profile] Updated profile for user " + uid + ", background updates queued"; len(withPrefix(cc.take(), l)) != 1 {
		t.Errorf("missing %q", l)
	}
	// Only the given keys change; {} touches updated_at alone.
	ta.Clock.Advance(time.Second)
	r = ta.do(t, "PATCH", "/api/profile", map[string]any{"phone": "+44 20 1234"}, auth(tok)...)
	p := r.json(t)["profile"].(map[string]any)
	if r.status != 200 || p["phone"] != "+44 20 1234" || p["first_name"] != "Ada" || p["updated_at"] != "2030-01-01T00:00:02.000Z" {
		t.Errorf("partial PATCH: %d %s", r.status, r.body)
	}
	if r := ta.do(t, "PATCH", "/api/profile", map[string]any{}, auth(tok)...); r.status != 200 {
		t.Errorf("PATCH {}: %d %s", r.status, r.body)
	}
	// The other user's row is untouched, and theirs changes only theirs.
	if r := ta.do(t, "PATCH", "/api/profile", map[string]any{"first_name": "Bob"}, auth(tokB)...); r.status != 200 {
		t.Fatalf("PATCH by B: %d %s", r.status, r.body)
	}
	row, err := ta.Env.D1["DB"].Prepare("SELECT first_name FROM users WHERE id = ?").Bind(uid).First(context.Background())
	if err != nil || row["first_name"] != "Ada" {
		t.Errorf("A's row after B's PATCH: %v %v", row, err)
	}
	if r := ta.do(t, "GET", "/api/profile", nil, auth(tokB)...); r.json(t)["profile"].(map[string]any)["first_name"] != "Bob" || r.json(t)["profile"].(map[string]any)["id"] != uidB {
		t.Errorf("B's profile: %s", r.body)
	}

	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"number", map[string]any{"first_name": 1, "last_name": "x"}, profileIssue("first_name", "number")},
		{"null where not nullable", map[string]any{"phone": nil, "photo_url": nil}, profileIssue("phone", "null")},
		{"schema order", map[string]any{"professional_summary": false, "first_name": []any{}}, profileIssue("first_name", "array") + "," + profileIssue("professional_summary", "boolean")},
		{"array body", []any{}, `{"code":"invalid_type","expected":"object","received":"array","path":[],"message":"Expected object, received array"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantIssues(t, ta.do(t, "PATCH", "/api/profile", tc.body, auth(tok)...), "Invalid profile data", tc.want)
		})
	}
	wantBodyRefused(t, ta.do(t, "PATCH", "/api/profile", "{", auth(tok)...), "Unexpected end of JSON input")
	if r := ta.do(t, "PATCH", "/api/profile", map[string]any{}); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
}

// ---- work experience: GET, PATCH and DELETE ----

// ftsWorkIDs returns the work_id of the work_experience_fts rows matching q.
func ftsWorkIDs(t *testing.T, ta *testApp, q string) []string {
	t.Helper()
	res, err := ta.Env.D1["DB"].Prepare("SELECT work_id FROM work_experience_fts WHERE work_experience_fts MATCH ? ORDER BY work_id").Bind(q).All(context.Background())
	if err != nil {
		t.Fatalf("MATCH %q: %v", q, err)
	}
	ids := []string{}
	for _, r := range res.Results {
		ids = append(ids, r["work_id"].(string))
	}
	return ids
}

// addWork posts a work-experience entry as the frontend's API client sends it.
func addWork(t *testing.T, ta *testApp, tok string, body map[string]any) map[string]any {
	t.Helper()
	r := ta.do(t, "POST", "/api/profile/work-experience", body, auth(tok)...)
	if r.status != 200 {
		t.Fatalf("POST work experience: %d %s", r.status, r.body)
	}
	return r.json(t)["experience"].(map[string]any)
}

func TestWorkExperienceCRUD(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	tokB, _ := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tok)
	mustProfile(t, ta, tokB)

	old := addWork(t, ta, tok, map[string]any{"company": "Globex", "title": "Developer", "start_date": "2018-01", "end_date": "2020-06",
		"is_current": false, "location": "Munich", "description": "Wrote billing code", "accomplishments": []string{}})
	cur := addWork(t, ta, tok, map[string]any{"company": "Initech", "title": "Backend Engineer", "start_date": "2021-03", "end_date": nil,
		"is_current": true, "location": "Berlin", "description": "Runs payments", "accomplishments": []string{"Cut latency by 40%"}})
	curID, oldID := cur["id"].(string), old["id"].(string)
	if cur["accomplishments"] != `["Cut latency by 40%"]` || old["accomplishments"] != "[]" || old["location"] != "Munich" {
		t.Errorf("stored location/accomplishments: %v / %v", cur, old)
	}
	bobs := addWork(t, ta, tokB, map[string]any{"company": "Hooli", "title": "Developer", "start_date": "2019-01"})

	// GET: newest start_date first, only the user's rows.
	r := ta.do(t, "GET", "/api/profile/work-experience", nil, auth(tok)...)
	list := r.json(t)["workExperience"].([]any)
	if r.status != 200 || r.json(t)["message"] != "Work experience fetched successfully" || len(list) != 2 ||
		list[0].(map[string]any)["id"] != curID || list[1].(map[string]any)["id"] != oldID {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}
	if !strings.HasPrefix(string(r.body), `{"message":"Work experience fetched successfully","workExperience":[{"id":"`+curID+`","user_id":"`+uid+`","company":"Initech","title":"Backend Engineer","location":"Berlin",`) {
		t.Errorf("GET body shape: %s", r.body)
	}
	if got := ftsWorkIDs(t, ta, "payments"); len(got) != 1 || got[0] != curID {
		t.Fatalf("FTS before PATCH: %v", got)
	}

	// PATCH as useWorkExperience sends it (through the API client: title,
	// start_date, end_date, is_current).
	ta.Clock.Advance(time.Minute)
	cc.take()
	r = ta.do(t, "PATCH", "/api/profile/work-experience/"+curID, map[string]any{"company": "Initech GmbH", "title": "Staff Engineer",
		"location": "Hamburg", "description": "Leads the ledger team", "start_date": "2021-04", "end_date": "2025-12", "is_current": false,
		"accomplishments": []string{"Cut latency by 40%", "Mentored 4 engineers"}}, auth(tok)...)
	want := fmt.Sprintf(`{"message":"Work experience updated successfully","experience":{"id":%q,"user_id":%q,"company":"Initech GmbH","title":"Staff Engineer","location":"Hamburg","employment_type":null,"start_date":"2021-04","end_date":"2025-12","is_current":0,"description":"Leads the ledger team","accomplishments":"[\"Cut latency by 40%%\",\"Mentored 4 engineers\"]","created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:01:00.000Z"}}`, curID, uid)
	if r.status != 200 || string(r.body) != want {
		t.Fatalf("PATCH: %d %s\nwant %s", r.status, r.body, want)
	}
	if l := fmt.Sprintf("[Profile] Updated work experience %s for user %s, background updates queued", curID, uid); len(withPrefix(cc.take(), l)) != 1 {
		t.Errorf("missing %q", l)
	}
	// The full-text index follows the row (migration 0003).
	for q, want := range map[string][]string{"ledger": {curID}, "payments": {}, "title:Staff": {curID}, "company:Initech": {curID}, "Developer": ftsSorted(oldID, bobs["id"].(string))} {
		if got := ftsWorkIDs(t, ta, q); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("FTS MATCH %q after PATCH = %v, want %v", q, got, want)
		}
	}
	// "position" for the title, null for the nullable ones; {} touches updated_at.
	r = ta.do(t, "PATCH", "/api/profile/work-experience/"+curID, map[string]any{"position": "Principal", "description": nil, "end_date": nil, "accomplishments": nil, "location": nil}, auth(tok)...)
	e := r.json(t)["experience"].(map[string]any)
	if r.status != 200 || e["title"] != "Principal" || e["description"] != nil || e["end_date"] != nil || e["accomplishments"] != nil || e["location"] != nil || e["company"] != "Initech GmbH" {
		t.Errorf("PATCH with nulls: %d %s", r.status, r.body)
	}
	if got := ftsWorkIDs(t, ta, "ledger"); len(got) != 0 {
		t.Errorf("FTS still finds the cleared description: %v", got)
	}
	if r := ta.do(t, "PATCH", "/api/profile/work-experience/"+curID, map[string]any{}, auth(tok)...); r.status != 200 {
		t.Errorf("PATCH {}: %d %s", r.status, r.body)
	}

	// Validation (.partial(): present keys keep their rules).
	small := `{"code":"too_small","minimum":1,"type":"string","inclusive":true,"exact":false,"message":"Title is required","path":["title"]}`
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"empty title", map[string]any{"title": ""}, small},
		{"null start_date", map[string]any{"start_date": nil}, `{"code":"invalid_type","expected":"string","received":"null","path":["start_date"],"message":"Expected string, received null"}`},
		{"is_current string", map[string]any{"is_current": "yes"}, `{"code":"invalid_type","expected":"boolean","received":"string","path":["is_current"],"message":"Expected boolean, received string"}`},
		{"accomplishments", map[string]any{"accomplishments": []any{"ok", 3}, "location": 1},
			`{"code":"invalid_type","expected":"string","received":"number","path":["location"],"message":"Expected string, received number"},` +
				`{"code":"invalid_type","expected":"string","received":"number","path":["accomplishments",1],"message":"Expected string, received number"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.do(t, "PATCH", "/api/profile/work-experience/"+curID, tc.body, auth(tok)...)
			wantIssues(t, r, "Invalid work experience data", tc.want)
		})
	}

	// Another user reaches none of A's rows through any id.
	notFound := `{"error":"Work experience not found or access denied"}`
	before, _ := ta.Env.D1["DB"].Prepare("SELECT * FROM work_experience WHERE id = ?").Bind(curID).First(context.Background())
	for _, m := range []string{"PATCH", "DELETE"} {
		if r := ta.do(t, m, "/api/profile/work-experience/"+curID, map[string]any{"title": "Hijacked"}, auth(tokB)...); r.status != 404 || string(r.body) != notFound {
			t.Errorf("%s by B: %d %s", m, r.status, r.body)
		}
	}
	if r := ta.do(t, "GET", "/api/profile/work-experience", nil, auth(tokB)...); len(r.json(t)["workExperience"].([]any)) != 1 {
		t.Errorf("B's list: %s", r.body)
	}
	after, _ := ta.Env.D1["DB"].Prepare("SELECT * FROM work_experience WHERE id = ?").Bind(curID).First(context.Background())
	if fmt.Sprint(before) != fmt.Sprint(after) || len(ftsWorkIDs(t, ta, "Hijacked")) != 0 {
		t.Errorf("B changed A's row: %v -> %v", before, after)
	}

	// DELETE: the row and its index entry go.
	cc.take()
	if r := ta.do(t, "DELETE", "/api/profile/work-experience/"+curID, nil, auth(tok)...); r.status != 200 || string(r.body) != `{"message":"Work experience deleted successfully"}` {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if l := fmt.Sprintf("[Profile] Deleted work experience %s for user %s, background updates queued", curID, uid); len(withPrefix(cc.take(), l)) != 1 {
		t.Errorf("missing %q", l)
	}
	if got := ftsWorkIDs(t, ta, "Principal OR Initech"); len(got) != 0 {
		t.Errorf("FTS after DELETE: %v", got)
	}
	if n, _ := ta.Env.D1["DB"].Prepare("SELECT count(*) AS n FROM work_experience WHERE user_id = ?").Bind(uid).FirstColumn(context.Background(), "n"); n != int64(1) {
		t.Errorf("rows left: %v", n)
	}
	for _, m := range []string{"DELETE", "PATCH"} {
		if r := ta.do(t, m, "/api/profile/work-experience/"+curID, map[string]any{}, auth(tok)...); r.status != 404 || string(r.body) != notFound {
			t.Errorf("%s after DELETE: %d %s", m, r.status, r.body)
		}
	}
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		path := "/api/profile/work-experience"
		if m != "GET" {
			path += "/" + oldID
		}
		if r := ta.do(t, m, path, map[string]any{}); r.status != 401 {
			t.Errorf("%s without token: %d", m, r.status)
		}
	}
}

func ftsSorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// ---- education ----

func TestEducationCRUD(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")
	tokB, _ := ta.token(t, "bob@example.com")

	// As useEducation sends it: camelCase, highlights as a list.
	body := map[string]any{"school": "TU Berlin", "degree": "BSc", "field": "Computer Science", "startDate": "2013-10", "endDate": "2017-07",
		"highlights": []string{"Thesis on compilers", "Dean's list"}, "location": "Berlin", "gpa": "1.3"}
	r := ta.do(t, "POST", "/api/profile/education", body, auth(tok)...)
	if want := `{"error":"Failed to add education","message":"D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"}`; r.status != 500 || string(r.body) != want {
		t.Errorf("before profile: %d %s", r.status, r.body)
	}
	mustProfile(t, ta, tok)
	mustProfile(t, ta, tokB)
	cc.take()
	r = ta.do(t, "POST", "/api/profile/education", body, auth(tok)...)
	bsc, _ := r.json(t)["education"].(map[string]any)["id"].(string)
	want := fmt.Sprintf(`{"message":"Education added successfully","education":{"id":%q,"user_id":%q,"institution":"TU Berlin","degree":"BSc","field_of_study":"Computer Science","grade":null,"start_date":"2013-10","end_date":"2017-07","is_current":0,"description":"Thesis on compilers\nDean's list","created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:00:00.000Z"}}`, bsc, uid)
	if r.status != 200 || string(r.body) != strings.ReplaceAll(want, "\n", `\n`) {
		t.Fatalf("POST: %d %s\nwant %s", r.status, r.body, want)
	}
	if l := "[Profile] Added education for user " + uid + ", background updates queued"; len(withPrefix(cc.take(), l)) != 1 {
		t.Errorf("missing %q", l)
	}
	// Empty values are stored as NULL; only school is required.
	r = ta.do(t, "POST", "/api/profile/education", map[string]any{"school": "MIT", "degree": "", "field": "", "startDate": "2018-09", "endDate": nil, "highlights": []string{}}, auth(tok)...)
	msc := r.json(t)["education"].(map[string]any)
	if r.status != 200 || msc["degree"] != nil || msc["field_of_study"] != nil || msc["end_date"] != nil || msc["description"] != nil || msc["start_date"] != "2018-09" {
		t.Errorf("POST with empties: %d %s", r.status, r.body)
	}
	mscID := msc["id"].(string)

	r = ta.do(t, "GET", "/api/profile/education", nil, auth(tok)...)
	list := r.json(t)["education"].([]any)
	if r.status != 200 || r.json(t)["message"] != "Education fetched successfully" || len(list) != 2 || list[0].(map[string]any)["id"] != mscID {
		t.Errorf("GET (newest start first): %d %s", r.status, r.body)
	}

	ta.Clock.Advance(time.Second)
	cc.take()
	r = ta.do(t, "PATCH", "/api/profile/education/"+bsc, map[string]any{"school": "Technische Universität Berlin", "degree": "", "highlights": []string{"Thesis"}}, auth(tok)...)
	want = fmt.Sprintf(`{"message":"Education updated successfully","education":{"id":%q,"user_id":%q,"institution":"Technische Universität Berlin","degree":null,"field_of_study":"Computer Science","grade":null,"start_date":"2013-10","end_date":"2017-07","is_current":0,"description":"Thesis","created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:00:01.000Z"}}`, bsc, uid)
	if r.status != 200 || string(r.body) != want {
		t.Errorf("PATCH: %d %s\nwant %s", r.status, r.body, want)
	}
	if l := fmt.Sprintf("[Profile] Updated education %s for user %s, background updates queued", bsc, uid); len(withPrefix(cc.take(), l)) != 1 {
		t.Errorf("missing %q", l)
	}
	if r := ta.do(t, "PATCH", "/api/profile/education/"+bsc, map[string]any{"endDate": nil, "highlights": []string{}}, auth(tok)...); r.status != 200 ||
		r.json(t)["education"].(map[string]any)["end_date"] != nil || r.json(t)["education"].(map[string]any)["description"] != nil {
		t.Errorf("PATCH clearing: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name, method string
		body         any
		want         string
	}{
		{"missing school", "POST", map[string]any{"degree": "BSc"}, `{"code":"invalid_type","expected":"string","received":"undefined","path":["school"],"message":"Required"}`},
		{"empty school", "PATCH", map[string]any{"school": ""}, `{"code":"too_small","minimum":1,"type":"string","inclusive":true,"exact":false,"message":"School/institution is required","path":["school"]}`},
		{"null startDate", "PATCH", map[string]any{"startDate": nil}, `{"code":"invalid_type","expected":"string","received":"null","path":["startDate"],"message":"Expected string, received null"}`},
		{"highlights", "POST", map[string]any{"school": "x", "highlights": "a"}, `{"code":"invalid_type","expected":"array","received":"string","path":["highlights"],"message":"Expected array, received string"}`},
		{"highlight item", "PATCH", map[string]any{"highlights": []any{"a", nil}}, `{"code":"invalid_type","expected":"string","received":"null","path":["highlights",1],"message":"Expected string, received null"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/api/profile/education"
			if tc.method == "PATCH" {
				path += "/" + bsc
			}
			r := ta.do(t, tc.method, path, tc.body, auth(tok)...)
			wantIssues(t, r, "Invalid education data", tc.want)
		})
	}

	notFound := `{"error":"Education not found or access denied"}`
	for _, m := range []string{"PATCH", "DELETE"} {
		if r := ta.do(t, m, "/api/profile/education/"+bsc, map[string]any{"school": "Hijacked"}, auth(tokB)...); r.status != 404 || string(r.body) != notFound {
			t.Errorf("%s by B: %d %s", m, r.status, r.body)
		}
	}
	if r := ta.do(t, "GET", "/api/profile/education", nil, auth(tokB)...); string(r.body) != `{"message":"Education fetched successfully","education":[]}` {
		t.Errorf("B's list: %s", r.body)
	}
	if inst, _ := ta.Env.D1["DB"].Prepare("SELECT institution FROM education WHERE id = ?").Bind(bsc).FirstColumn(context.Background(), "institution"); inst != "Technische Universität Berlin" {
		t.Errorf("B changed A's row: %v", inst)
	}
	if r := ta.do(t, "DELETE", "/api/profile/education/"+bsc, nil, auth(tok)...); r.status != 200 || string(r.body) != `{"message":"Education deleted successfully"}` {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	if r := ta.do(t, "DELETE", "/api/profile/education/"+bsc, nil, auth(tok)...); r.status != 404 || string(r.body) != notFound {
		t.Errorf("DELETE again: %d %s", r.status, r.body)
	}
	if n, _ := ta.Env.D1["DB"].Prepare("SELECT count(*) AS n FROM education WHERE user_id = ?").Bind(uid).FirstColumn(context.Background(), "n"); n != int64(1) {
		t.Errorf("rows left: %v", n)
	}
	wantBodyRefused(t, ta.do(t, "POST", "/api/profile/education", "[1", auth(tok)...), "Unexpected end of JSON input")
	for _, m := range []string{"GET", "POST"} {
		if r := ta.do(t, m, "/api/profile/education", nil); r.status != 401 {
			t.Errorf("%s without token: %d", m, r.status)
		}
	}
}

// ---- avatars ----

// multipartBody builds a multipart/form-data body. Each part is
// {name, filename, contentType, content}; a part without a filename is a
// plain field.
func multipartBody(t *testing.T, parts ...[4]string) (string, string) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		if p[1] == "" {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p[0]))
		} else {
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p[0], p[1]))
			h.Set("Content-Type", p[2])
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(pw, p[3])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), w.FormDataContentType()
}

// uploadAvatar posts an avatar file as the frontend's FormData does.
func uploadAvatar(t *testing.T, ta *testApp, tok, filename, contentType, content string) response {
	t.Helper()
	body, ct := multipartBody(t, [4]string{"avatar", filename, contentType, content})
	return ta.do(t, "POST", "/api/profile/avatar", body, append(auth(tok), "Content-Type", ct)...)
}

// avatarKeys lists the AVATARS keys under users/{uid}/.
func avatarKeys(t *testing.T, ta *testApp, uid string) []string {
	t.Helper()
	res, err := ta.Env.R2["AVATARS"].List(context.Background(), runtime.R2ListOptions{Prefix: "users/" + uid + "/"})
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, o := range res.Objects {
		keys = append(keys, o.Key)
	}
	return keys
}

const pngBytes = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"

func TestUploadAvatar(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	cc := captureConsole(ta)
	tok, uid := ta.token(t, "ada@example.com")

	// No users row: nothing is stored.
	if r := uploadAvatar(t, ta, tok, "me.png", "image/png", pngBytes); r.status != 404 || string(r.body) != `{"error":"Profile not found"}` {
		t.Errorf("before GET /api/profile: %d %s", r.status, r.body)
	}
	if keys := avatarKeys(t, ta, uid); len(keys) != 0 {
		t.Errorf("objects stored without a profile: %v", keys)
	}
	mustProfile(t, ta, tok)
	cc.take()

	r := uploadAvatar(t, ta, tok, "me.png", "image/png", pngBytes)
	if r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	file := r.json(t)["file"].(map[string]any)
	key, _ := file["key"].(string)
	keyRe := regexp.MustCompile(`^users/` + uid + `/profile/me-1893456000000-[0-9a-z]{6}\.png$`)
	if !keyRe.MatchString(key) {
		t.Fatalf("key %q does not match %s", key, keyRe)
	}
	url := "/api/files/download/" + strings.ReplaceAll(key, "/", "%2F")
	want := fmt.Sprintf(`{"message":"Avatar uploaded successfully","file":{"key":%q,"size":%d,"url":%q,"expiresAt":"2030-01-02T00:00:00.000Z"},"profile":{"id":%q,"email":"ada@example.com",`, key, len(pngBytes), url, uid)
	if !strings.HasPrefix(string(r.body), want) || r.json(t)["profile"].(map[string]any)["photo_url"] != url {
		t.Errorf("body:\n got %s\nwant prefix %s", r.body, want)
	}
	obj, err := ta.Env.R2["AVATARS"].Get(context.Background(), key, runtime.R2GetOptions{})
	if err != nil || obj == nil {
		t.Fatalf("object %s: %v %v", key, obj, err)
	}
	data, _ := obj.Bytes()
	if string(data) != pngBytes || obj.HTTPMetadata.ContentType != "image/png" ||
		fmt.Sprint(obj.CustomMetadata) != fmt.Sprint(map[string]string{"userId": uid, "originalName": "me.png", "uploadedAt": "2030-01-01T00:00:00.000Z"}) {
		t.Errorf("stored object: %q %+v %v", data, obj.HTTPMetadata, obj.CustomMetadata)
	}
	lines := cc.take()
	for _, l := range []string{
		"[Profile] Avatar upload request from user " + uid,
		fmt.Sprintf("[Profile] Received file: me.png, size: %d bytes, type: image/png", len(pngBytes)),
		"[Profile] Uploading to R2 with key: " + key,
		"[Profile] Avatar uploaded successfully for user " + uid,
	} {
		if len(withPrefix(lines, l)) != 1 {
			t.Errorf("missing %q in %q", l, lines)
		}
	}

	// A new avatar replaces the old one, in D1 and in R2. The extension
	// check ignores case; the key keeps the name as sent.
	ta.Clock.Advance(time.Second)
	r = uploadAvatar(t, ta, tok, "holiday.photo.JPG", "image/jpeg", "jpeg bytes")
	key2, _ := r.json(t)["file"].(map[string]any)["key"].(string)
	if r.status != 200 || !regexp.MustCompile(`^users/`+uid+`/profile/holiday\.photo-1893456001000-[0-9a-z]{6}\.JPG$`).MatchString(key2) {
		t.Fatalf("second upload: %d %s", r.status, r.body)
	}
	if keys := avatarKeys(t, ta, uid); len(keys) != 1 || keys[0] != key2 {
		t.Errorf("objects after the replacement: %v, want only %s", keys, key2)
	}

	// A name too long for an R2 key is shortened, on a character boundary.
	for _, name := range []string{strings.Repeat("a", 2000) + ".png", strings.Repeat("ä", 700) + ".png"} {
		r := uploadAvatar(t, ta, tok, name, "image/png", pngBytes)
		k, _ := r.json(t)["file"].(map[string]any)["key"].(string)
		if r.status != 200 || len(k) > 1024 || len(k) < 1000 || !utf8.ValidString(k) || !strings.HasSuffix(k, ".png") {
			t.Errorf("long name %.10s…: %d key %q (%d bytes)", name, r.status, k, len(k))
		}
	}

	// Exactly 5 MiB is allowed.
	if r := uploadAvatar(t, ta, tok, "big.webp", "image/webp", strings.Repeat("x", 5<<20)); r.status != 200 || r.json(t)["file"].(map[string]any)["size"] != float64(5<<20) {
		t.Errorf("5 MiB: %d %.200s", r.status, r.body)
	}
	current := avatarKeys(t, ta, uid)

	body, ct := multipartBody(t, [4]string{"other", "me.png", "image/png", pngBytes})
	asString, ctString := multipartBody(t, [4]string{"avatar", "", "", "not a file"}, [4]string{"avatar", "me.png", "image/png", pngBytes})
	for _, tc := range []struct {
		name       string
		body       string
		headers    []string
		wantStatus int
		wantBody   string
	}{
		{"no avatar field", body, []string{"Content-Type", ct}, 400, `{"error":"No file provided"}`},
		{"avatar is a string", asString, []string{"Content-Type", ctString}, 400, `{"error":"No file provided"}`},
		{"JSON body", `{"avatar":"x"}`, []string{"Content-Type", "application/json"}, 400, `{"error":"No file provided"}`},
		{"no body", "", nil, 400, `{"error":"No file provided"}`},
		{"malformed multipart", "--b\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n\r\npng", []string{"Content-Type", "multipart/form-data; boundary=b"},
			400, `{"error":"Failed to upload avatar","message":"Invalid multipart/form-data body: unexpected EOF"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.do(t, "POST", "/api/profile/avatar", tc.body, append(auth(tok), tc.headers...)...)
			if r.status != tc.wantStatus || string(r.body) != tc.wantBody {
				t.Errorf("%d %s\nwant %d %s", r.status, r.body, tc.wantStatus, tc.wantBody)
			}
		})
	}
	typeErr := `{"error":"Failed to upload avatar","message":"Invalid file type. Allowed types: jpg, jpeg, png, webp, gif"}`
	for _, tc := range []struct {
		name, filename, contentType, content string
		wantStatus                           int
		wantBody                             string
	}{
		{"text file", "notes.txt", "text/plain", "hello", 415, typeErr},
		{"svg", "logo.svg", "image/svg+xml", "<svg/>", 415, typeErr},
		{"no extension", "avatar", "image/png", pngBytes, 415, typeErr},
		{"empty name", "", "image/png", pngBytes, 415, typeErr},
		{"over 5 MiB", "big.png", "image/png", strings.Repeat("x", 6<<20), 413,
			`{"error":"Failed to upload avatar","message":"File size 6.00MB exceeds maximum allowed size of 5.00MB"}`},
		{"one byte over", "big.gif", "image/gif", strings.Repeat("x", 5<<20+1), 413,
			`{"error":"Failed to upload avatar","message":"File size 5.00MB exceeds maximum allowed size of 5.00MB"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.filename == "" {
				// multipart.Writer writes filename="" only through CreatePart.
				b, ct := multipartBody(t, [4]string{"avatar", "\x00", tc.contentType, tc.content})
				b = strings.Replace(b, `filename="\x00"`, `filename=""`, 1)
				r = ta.do(t, "POST", "/api/profile/avatar", b, append(auth(tok), "Content-Type", ct)...)
			} else {
				r = uploadAvatar(t, ta, tok, tc.filename, tc.contentType, tc.content)
			}
			if r.status != tc.wantStatus || string(r.body) != tc.wantBody {
				t.Errorf("%d %s\nwant %d %s", r.status, r.body, tc.wantStatus, tc.wantBody)
			}
		})
	}
	if keys := avatarKeys(t, ta, uid); fmt.Sprint(keys) != fmt.Sprint(current) {
		t.Errorf("refused uploads changed R2: %v, want %v", keys, current)
	}
	if r := uploadAvatar(t, ta, "", "me.png", "image/png", pngBytes); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
}

func TestDeleteAvatar(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	noAvatar := `{"error":"No avatar found"}`
	if r := ta.do(t, "DELETE", "/api/profile/avatar", nil, auth(tok)...); r.status != 404 || string(r.body) != noAvatar {
		t.Errorf("no users row: %d %s", r.status, r.body)
	}
	mustProfile(t, ta, tok)
	if r := ta.do(t, "DELETE", "/api/profile/avatar", nil, auth(tok)...); r.status != 404 || string(r.body) != noAvatar {
		t.Errorf("no avatar: %d %s", r.status, r.body)
	}
	if r := uploadAvatar(t, ta, tok, "me.png", "image/png", pngBytes); r.status != 200 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if len(avatarKeys(t, ta, uid)) != 1 {
		t.Fatal("no object after upload")
	}
	ta.Clock.Advance(time.Minute)
	// Fixed: the original passed the URL to R2 as the key and left the object.
	if r := ta.do(t, "DELETE", "/api/profile/avatar", nil, auth(tok)...); r.status != 200 || string(r.body) != `{"message":"Avatar deleted successfully"}` {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if keys := avatarKeys(t, ta, uid); len(keys) != 0 {
		t.Errorf("objects left: %v", keys)
	}
	row, _ := ta.Env.D1["DB"].Prepare("SELECT photo_url, updated_at FROM users WHERE id = ?").Bind(uid).First(context.Background())
	if row["photo_url"] != nil || row["updated_at"] != "2030-01-01T00:01:00.000Z" {
		t.Errorf("users row after DELETE: %v", row)
	}
	if r := ta.do(t, "DELETE", "/api/profile/avatar", nil, auth(tok)...); r.status != 404 || string(r.body) != noAvatar {
		t.Errorf("DELETE again: %d %s", r.status, r.body)
	}
	// A photo_url that is not an uploaded avatar is only cleared.
	if r := ta.do(t, "PATCH", "/api/profile", map[string]any{"photo_url": "https://example.com/ada.png"}, auth(tok)...); r.status != 200 {
		t.Fatal(r.status)
	}
	if r := ta.do(t, "DELETE", "/api/profile/avatar", nil, auth(tok)...); r.status != 200 {
		t.Errorf("DELETE external: %d %s", r.status, r.body)
	}
	if r := ta.do(t, "DELETE", "/api/profile/avatar", nil); r.status != 401 {
		t.Errorf("no token: %d", r.status)
	}
}

// User B reaches none of A's avatar objects: not by pointing photo_url at
// A's download URL and deleting or replacing "their" avatar.
func TestAvatarsStayWithTheirOwner(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tokA, uidA := ta.token(t, "ada@example.com")
	tokB, uidB := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tokA)
	mustProfile(t, ta, tokB)
	r := uploadAvatar(t, ta, tokA, "ada.png", "image/png", pngBytes)
	urlA, _ := r.json(t)["file"].(map[string]any)["url"].(string)
	keyA := avatarKeys(t, ta, uidA)
	if r.status != 200 || len(keyA) != 1 {
		t.Fatalf("A's upload: %d %s", r.status, r.body)
	}
	// The same bytes and name from B: a key under B's prefix.
	r = uploadAvatar(t, ta, tokB, "ada.png", "image/png", pngBytes)
	if keyB, _ := r.json(t)["file"].(map[string]any)["key"].(string); r.status != 200 || !strings.HasPrefix(keyB, "users/"+uidB+"/profile/") {
		t.Errorf("B's upload: %d %s", r.status, r.body)
	}
	for _, step := range []struct {
		name string
		do   func() response
	}{
		{"B deletes after pointing photo_url at A's avatar", func() response {
			return ta.do(t, "DELETE", "/api/profile/avatar", nil, auth(tokB)...)
		}},
		{"B uploads after pointing photo_url at A's avatar", func() response {
			return uploadAvatar(t, ta, tokB, "bob.png", "image/png", pngBytes)
		}},
		{"B deletes an encoded variant of A's key", func() response {
			ta.do(t, "PATCH", "/api/profile", map[string]any{"photo_url": "/api/files/download/users%2F" + uidB + "%2Fprofile%2F..%2F..%2F" + uidA + "%2Fprofile%2Fx"}, auth(tokB)...)
			return ta.do(t, "DELETE", "/api/profile/avatar", nil, auth(tokB)...)
		}},
	} {
		t.Run(step.name, func(t *testing.T) {
			if r := ta.do(t, "PATCH", "/api/profile", map[string]any{"photo_url": urlA}, auth(tokB)...); r.status != 200 {
				t.Fatal(r.status)
			}
			if r := step.do(); r.status != 200 {
				t.Errorf("%d %s", r.status, r.body)
			}
			if keys := avatarKeys(t, ta, uidA); fmt.Sprint(keys) != fmt.Sprint(keyA) {
				t.Errorf("A's objects: %v, want %v", keys, keyA)
			}
		})
	}
	if r := ta.do(t, "GET", "/api/profile", nil, auth(tokA)...); r.json(t)["profile"].(map[string]any)["photo_url"] != urlA {
		t.Errorf("A's photo_url changed: %s", r.body)
	}
}

// wantIssues checks an E-local 400 {"error": msg, "details": [issues]}.
func wantIssues(t *testing.T, r response, msg, issues string) {
	t.Helper()
	if want := `{"error":"` + msg + `","details":[` + issues + `]}`; r.status != 400 || string(r.body) != want {
		t.Errorf("%d %s\nwant 400 %s", r.status, r.body, want)
	}
}

// Every profile, work-experience and education change deletes the user's
// cached compatibility analyses in D1 (and no one else's); an avatar
// upload does not (§2.8).
func TestProfileRoutesInvalidateAnalyses(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	ctx := context.Background()
	db := ta.Env.D1["DB"]
	tok, uid := ta.token(t, "ada@example.com")
	tokB, uidB := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tok)
	mustProfile(t, ta, tokB)
	work := addWork(t, ta, tok, map[string]any{"title": "T", "company": "C", "start_date": "2020"})["id"].(string)
	r := ta.do(t, "POST", "/api/profile/education", map[string]any{"school": "S"}, auth(tok)...)
	edu := r.json(t)["education"].(map[string]any)["id"].(string)
	for _, u := range []string{uid, uidB} {
		seedJobs(t, ta, u, []map[string]any{{"title": "T", "company": "C"}})
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		invalidates        bool
	}{
		{"PATCH profile", "PATCH", "/api/profile", map[string]any{"current_title": "Engineer"}, true},
		{"PATCH work experience", "PATCH", "/api/profile/work-experience/" + work, map[string]any{"title": "Lead"}, true},
		{"POST education", "POST", "/api/profile/education", map[string]any{"school": "MIT"}, true},
		{"PATCH education", "PATCH", "/api/profile/education/" + edu, map[string]any{"degree": "BSc"}, true},
		{"DELETE education", "DELETE", "/api/profile/education/" + edu, nil, true},
		{"DELETE work experience", "DELETE", "/api/profile/work-experience/" + work, nil, true},
		{"avatar upload", "AVATAR", "", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, u := range []string{uid, uidB} {
				if _, err := db.Prepare("INSERT OR REPLACE INTO job_compatibility_analyses (id, user_id, job_id, analysis) VALUES (?, ?, ?, '{}')").
					Bind("a-"+u, u, fmt.Sprintf("job-%s-00", u[:8])).Run(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var r response
			if tc.method == "AVATAR" {
				r = uploadAvatar(t, ta, tok, "me.png", "image/png", pngBytes)
			} else {
				r = ta.do(t, tc.method, tc.path, tc.body, auth(tok)...)
			}
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			count := func(u string) any {
				n, _ := db.Prepare("SELECT count(*) AS n FROM job_compatibility_analyses WHERE user_id = ?").Bind(u).FirstColumn(ctx, "n")
				return n
			}
			want := int64(1)
			if tc.invalidates {
				want = 0
			}
			if count(uid) != want || count(uidB) != int64(1) {
				t.Errorf("analyses left: %v of A's (want %d), %v of B's (want 1)", count(uid), want, count(uidB))
			}
		})
	}
}

// A value over D1's 2,000,000-byte limit is the request's fault: a 400, not
// the original's 500, on every route that stores what the body says.
func TestValuesTooBigForD1(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	huge := strings.Repeat("a", 2_000_001)
	r := ta.do(t, "POST", "/api/applications", map[string]any{"jobTitle": "T", "company": "C"}, auth(tok)...)
	app, _ := r.json(t)["id"].(string)
	work := addWork(t, ta, tok, map[string]any{"title": "T", "company": "C", "start_date": "2020"})["id"].(string)
	for _, tc := range []struct {
		method, path string
		body         map[string]any
	}{
		{"PATCH", "/api/profile", map[string]any{"professional_summary": huge}},
		{"POST", "/api/profile/work-experience", map[string]any{"title": "T", "company": "C", "start_date": "2020", "description": huge}},
		{"PATCH", "/api/profile/work-experience/" + work, map[string]any{"description": huge}},
		{"POST", "/api/profile/education", map[string]any{"school": huge}},
		{"POST", "/api/applications", map[string]any{"jobTitle": huge, "company": "C"}},
		{"PATCH", "/api/applications/" + app, map[string]any{"selectedVariantId": huge}},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			wantBodyRefused(t, ta.do(t, tc.method, tc.path, tc.body, auth(tok)...), "D1_ERROR: string or blob too big: SQLITE_TOOBIG")
		})
	}
}
