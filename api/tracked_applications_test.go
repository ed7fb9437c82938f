package api

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// wantTrackedNotFound checks the 404 of an id that is not the caller's.
func wantTrackedNotFound(t *testing.T, r response, id string) {
	t.Helper()
	wantEStd(t, r, 404, "NOT_FOUND", "Tracked application with ID "+id+" not found", `{"resource":"Tracked application","id":"`+id+`"}`)
}

// trackedCreate posts body and returns the new id.
func trackedCreate(t *testing.T, ta *testApp, tok string, body any) string {
	t.Helper()
	r := ta.do(t, "POST", trackedBase, body, auth(tok)...)
	id, _ := r.json(t)["id"].(string)
	if r.status != 201 || id == "" {
		t.Fatalf("POST %s: %d %s", trackedBase, r.status, r.body)
	}
	return id
}

func TestTrackedApplicationsCRUD(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	jobID := genSeedJob(t, ta, uid, "job-1")
	genExec(t, ta, `INSERT INTO applications (id, user_id, job_id, status) VALUES ('app-1', ?, 'job-1', 'draft')`, uid)

	full := map[string]any{
		"id": "ignored", "lastUpdated": "ignored", "unknown": 1,
		"jobId": jobID, "applicationId": "app-1", "company": "Acme", "jobTitle": "Go Engineer", "location": "Berlin",
		"matchScore": 87.5, "status": "interview_scheduled", "appliedDate": "2029-12-20",
		"statusHistory":     []any{map[string]any{"status": "applied", "date": "2029-12-20"}},
		"interviews":        []any{map[string]any{"id": "i1", "round": "Phone Screen", "date": "2030-01-05", "interviewers": []any{"Bo"}, "notes": ""}},
		"recruiter":         map[string]any{"name": "Cy", "role": "Recruiter", "email": "cy@acme.example"},
		"followUpActions":   []any{},
		"nextAction":        "Prepare system design",
		"nextActionDate":    "2030-01-04",
		"nextInterviewDate": "2030-01-05",
		"notes":             "Referred by Dee",
		"activityLog":       []any{map[string]any{"id": "a1", "date": "2029-12-20", "type": "note", "description": "Applied"}},
		"offerDetails":      nil,
		"archived":          false,
		"tags":              []any{"remote", "go"},
	}
	id := trackedCreate(t, ta, tok, full)
	want := fmt.Sprintf(`{"id":%q,"jobId":"job-1","applicationId":"app-1","company":"Acme","jobTitle":"Go Engineer","location":"Berlin","matchScore":87.5,`+
		`"status":"interview_scheduled","appliedDate":"2029-12-20","lastUpdated":"2030-01-01T00:00:00.000Z",`+
		`"statusHistory":[{"date":"2029-12-20","status":"applied"}],`+
		`"interviews":[{"date":"2030-01-05","id":"i1","interviewers":["Bo"],"notes":"","round":"Phone Screen"}],`+
		`"recruiter":{"email":"cy@acme.example","name":"Cy","role":"Recruiter"},"followUpActions":[],"nextAction":"Prepare system design",`+
		`"nextActionDate":"2030-01-04","nextInterviewDate":"2030-01-05",`+
		`"activityLog":[{"date":"2029-12-20","description":"Applied","id":"a1","type":"note"}],"archived":false,"notes":"Referred by Dee","tags":["remote","go"]}`, id)
	wantBody(t, "GET", ta.do(t, "GET", trackedBase+"/"+id, nil, auth(tok)...), 200, want)

	// The minimal create: defaults, empty strings and nulls mapped as the
	// hook reads them.
	min := trackedCreate(t, ta, tok, map[string]any{"company": "Globex", "jobTitle": "SRE", "jobId": "", "location": nil})
	wantMin := fmt.Sprintf(`{"id":%q,"jobId":"","applicationId":"","company":"Globex","jobTitle":"SRE","location":"","matchScore":0,"status":"applied",`+
		`"appliedDate":"","lastUpdated":"2030-01-01T00:00:00.000Z","statusHistory":[],"interviews":[],"followUpActions":[],"activityLog":[],"archived":false,"notes":""}`, min)
	wantBody(t, "GET minimal", ta.do(t, "GET", trackedBase+"/"+min, nil, auth(tok)...), 200, wantMin)

	// Objects keep the key order they were sent in.
	ordered := trackedCreate(t, ta, tok, `{"company":"Initech","jobTitle":"Dev","offerDetails":{"salary":"100k","equity":"0.1%","deadline":"2030-02-01"}}`)
	r := ta.do(t, "GET", trackedBase+"/"+ordered, nil, auth(tok)...)
	if !strings.Contains(string(r.body), `"offerDetails":{"salary":"100k","equity":"0.1%","deadline":"2030-02-01"}`) {
		t.Errorf("offerDetails: %s", r.body)
	}

	// PATCH: only what is sent changes; lastUpdated moves.
	ta.Clock.Advance(time.Minute)
	r = ta.do(t, "PATCH", trackedBase+"/"+min, map[string]any{"status": "offer", "notes": "", "matchScore": 70, "tags": []any{"x"}}, auth(tok)...)
	wantBody(t, "PATCH", r, 200, fmt.Sprintf(`{"id":%q,"jobId":"","applicationId":"","company":"Globex","jobTitle":"SRE","location":"","matchScore":70,"status":"offer",`+
		`"appliedDate":"","lastUpdated":"2030-01-01T00:01:00.000Z","statusHistory":[],"interviews":[],"followUpActions":[],"activityLog":[],"archived":false,"notes":"","tags":["x"]}`, min))

	// Archive and unarchive answer the application.
	ta.Clock.Advance(time.Minute)
	r = ta.do(t, "PATCH", trackedBase+"/"+id+"/archive", nil, auth(tok)...)
	if r.status != 200 || r.json(t)["archived"] != true || r.json(t)["lastUpdated"] != "2030-01-01T00:02:00.000Z" {
		t.Errorf("archive: %d %s", r.status, r.body)
	}

	// Lists: most recently updated first; active leaves archived ones out.
	r = ta.do(t, "GET", trackedBase, nil, auth(tok)...)
	body := r.json(t)
	items := body["trackedApplications"].([]any)
	if r.status != 200 || len(items) != 3 || items[0].(map[string]any)["id"] != id || items[1].(map[string]any)["id"] != min ||
		body["total"] != 3.0 || body["page"] != 1.0 || body["limit"] != 20.0 || body["hasMore"] != false {
		t.Errorf("list: %d %s", r.status, r.body)
	}
	r = ta.do(t, "GET", trackedBase+"/active", nil, auth(tok)...)
	body = r.json(t)
	if act := body["activeApplications"].([]any); r.status != 200 || len(act) != 2 || body["total"] != 2.0 || act[0].(map[string]any)["id"] != min {
		t.Errorf("active: %d %s", r.status, r.body)
	}
	if !strings.HasPrefix(string(r.body), `{"activeApplications":[`) || !strings.HasSuffix(string(r.body), `],"total":2,"page":1,"limit":20,"hasMore":false}`) {
		t.Errorf("active shape: %s", r.body)
	}
	for _, tc := range []struct {
		query string
		n     int
	}{{"?archived=true", 1}, {"?archived=false", 2}, {"?archived=1", 1}, {"?page=2&limit=2", 1}, {"?limit=1", 1}} {
		r := ta.do(t, "GET", trackedBase+tc.query, nil, auth(tok)...)
		if got := len(r.json(t)["trackedApplications"].([]any)); r.status != 200 || got != tc.n {
			t.Errorf("list%s: %d items, want %d: %s", tc.query, got, tc.n, r.body)
		}
	}
	if r := ta.do(t, "GET", trackedBase+"?limit=2", nil, auth(tok)...); r.json(t)["hasMore"] != true || r.json(t)["total"] != 3.0 {
		t.Errorf("hasMore: %s", r.body)
	}
	r = ta.do(t, "PATCH", trackedBase+"/"+id+"/unarchive", nil, auth(tok)...)
	if r.status != 200 || r.json(t)["archived"] != false {
		t.Errorf("unarchive: %d %s", r.status, r.body)
	}

	// DELETE: 204, then 404.
	r = ta.do(t, "DELETE", trackedBase+"/"+ordered, nil, auth(tok)...)
	if r.status != 204 || len(r.body) != 0 {
		t.Errorf("delete: %d %q", r.status, r.body)
	}
	wantTrackedNotFound(t, ta.do(t, "GET", trackedBase+"/"+ordered, nil, auth(tok)...), ordered)
	wantTrackedNotFound(t, ta.do(t, "DELETE", trackedBase+"/"+ordered, nil, auth(tok)...), ordered)
}

func TestTrackedApplicationsValidation(t *testing.T) {
	ta := newTestApp(t)
	tok, uid := ta.token(t, "ada@example.com")
	// No GET /api/profile first: the users row is created on demand.
	id := trackedCreate(t, ta, tok, map[string]any{"company": "Acme", "jobTitle": "Dev"})
	if row, err := ta.Env.D1["DB"].Prepare("SELECT email FROM users WHERE id = ?").Bind(uid).First(t.Context()); err != nil || row["email"] != "ada@example.com" {
		t.Errorf("users row: %v %v", row, err)
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		fields             string
	}{
		{"missing names", "POST", trackedBase, map[string]any{}, `{"company":"Required","jobTitle":"Required"}`},
		{"empty names", "POST", trackedBase, map[string]any{"company": "", "jobTitle": ""}, `{"company":"Company is required","jobTitle":"Job title is required"}`},
		{"bad types", "POST", trackedBase, map[string]any{"company": "A", "jobTitle": "B", "matchScore": "high", "archived": "no",
			"tags": "x", "recruiter": []any{}, "notes": 5, "jobId": 7},
			`{"jobId":"Expected string, received number","matchScore":"Expected number, received string","recruiter":"Expected object, received array",` +
				`"notes":"Expected string, received number","archived":"Expected boolean, received string","tags":"Expected array, received string"}`},
		{"bad status", "POST", trackedBase, map[string]any{"company": "A", "jobTitle": "B", "status": "offer_accepted"},
			`{"status":"Invalid enum value. Expected 'applied' | 'screening' | 'interview_scheduled' | 'interview_completed' | 'offer' | 'accepted' | 'rejected' | 'withdrawn', received 'offer_accepted'"}`},
		{"not an object", "POST", trackedBase, []any{}, `{"":"Expected object, received array"}`},
		{"empty name on PATCH", "PATCH", trackedBase + "/" + id, map[string]any{"company": ""}, `{"company":"Company is required"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantEStd(t, ta.do(t, tc.method, tc.path, tc.body, auth(tok)...), 400, "VALIDATION_ERROR", "Invalid request body", `{"fields":`+tc.fields+`}`)
		})
	}
	wantEStd(t, ta.do(t, "POST", trackedBase, "not json", auth(tok)...), 400, "VALIDATION_ERROR", "Invalid request body",
		`{"fields":{"":"invalid character 'o' in literal null (expecting 'u')"}}`)
	wantEStd(t, ta.do(t, "GET", trackedBase+"?page=0&limit=101&archived=maybe", nil, auth(tok)...), 400, "VALIDATION_ERROR", "Invalid query parameters",
		`{"fields":{"page":"Number must be greater than 0","limit":"Number must be less than or equal to 100","archived":"Invalid enum value. Expected 'true' | 'false' | '1' | '0', received 'maybe'"}}`)
	// A job or application that is not the caller's is a 404.
	wantEStd(t, ta.do(t, "POST", trackedBase, map[string]any{"company": "A", "jobTitle": "B", "jobId": "nope"}, auth(tok)...),
		404, "NOT_FOUND", "Job with ID nope not found", `{"resource":"Job","id":"nope"}`)
	wantEStd(t, ta.do(t, "PATCH", trackedBase+"/"+id, map[string]any{"applicationId": "nope"}, auth(tok)...),
		404, "NOT_FOUND", "Application with ID nope not found", `{"resource":"Application","id":"nope"}`)
	// Unknown ids.
	for _, tc := range []struct{ method, path string }{
		{"GET", trackedBase + "/nope"}, {"PATCH", trackedBase + "/nope"}, {"PATCH", trackedBase + "/nope/archive"},
		{"PATCH", trackedBase + "/nope/unarchive"}, {"DELETE", trackedBase + "/nope"},
	} {
		wantTrackedNotFound(t, ta.do(t, tc.method, tc.path, map[string]any{}, auth(tok)...), "nope")
	}
}

// User B reaches none of user A's tracked applications, and cannot point
// one at A's job or application.
func TestTrackedApplicationsOwnership(t *testing.T) {
	ta := newTestApp(t)
	tokA, uidA := ta.token(t, "ada@example.com")
	tokB, _ := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tokA)
	genSeedJob(t, ta, uidA, "job-a")
	genExec(t, ta, `INSERT INTO applications (id, user_id, status) VALUES ('app-a', ?, 'draft')`, uidA)
	idA := trackedCreate(t, ta, tokA, map[string]any{"company": "Acme", "jobTitle": "Dev", "jobId": "job-a", "notes": "A's"})
	before := ta.do(t, "GET", trackedBase+"/"+idA, nil, auth(tokA)...).body

	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", trackedBase + "/" + idA, nil},
		{"PATCH", trackedBase + "/" + idA, map[string]any{"notes": "B's"}},
		{"PATCH", trackedBase + "/" + idA + "/archive", nil},
		{"PATCH", trackedBase + "/" + idA + "/unarchive", nil},
		{"DELETE", trackedBase + "/" + idA, nil},
	} {
		wantTrackedNotFound(t, ta.do(t, tc.method, tc.path, tc.body, auth(tokB)...), idA)
	}
	for _, path := range []string{trackedBase, trackedBase + "/active"} {
		r := ta.do(t, "GET", path, nil, auth(tokB)...)
		if !strings.Contains(string(r.body), `Applications":[],"total":0,`) {
			t.Errorf("B's %s: %s", path, r.body)
		}
	}
	wantEStd(t, ta.do(t, "POST", trackedBase, map[string]any{"company": "A", "jobTitle": "B", "jobId": "job-a"}, auth(tokB)...),
		404, "NOT_FOUND", "Job with ID job-a not found", `{"resource":"Job","id":"job-a"}`)
	wantEStd(t, ta.do(t, "POST", trackedBase, map[string]any{"company": "A", "jobTitle": "B", "applicationId": "app-a"}, auth(tokB)...),
		404, "NOT_FOUND", "Application with ID app-a not found", `{"resource":"Application","id":"app-a"}`)
	if after := ta.do(t, "GET", trackedBase+"/"+idA, nil, auth(tokA)...).body; string(after) != string(before) {
		t.Errorf("A's application changed:\n%s\n%s", before, after)
	}
	wantBody(t, "no token", ta.do(t, "GET", trackedBase+"/"+idA, nil), 401,
		`{"code":"MISSING_AUTH_HEADER","message":"No authorization header provided","statusCode":401}`)
}
