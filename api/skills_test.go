package api

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func TestSkillsCRUD(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"/api/skills", "/api/profile/skills"} {
		t.Run(base, func(t *testing.T) {
			t.Parallel()
			ta := newTestApp(t)
			cc := captureConsole(ta)
			tok, uid := ta.token(t, "ada@example.com")

			// No users row yet: the foreign key fails.
			r := ta.do(t, "POST", base, map[string]any{"name": "Go"}, auth(tok)...)
			if want := `{"error":"Failed to add skill","message":"D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)"}`; r.status != 500 || string(r.body) != want {
				t.Errorf("before profile: %d %s", r.status, r.body)
			}
			mustProfile(t, ta, tok)

			r = ta.do(t, "POST", base, map[string]any{"name": "Go", "level": "expert", "extra": 1}, auth(tok)...)
			goID, _ := r.json(t)["skill"].(map[string]any)["id"].(string)
			want := fmt.Sprintf(`{"message":"Skill added successfully","skill":{"id":%q,"user_id":%q,"name":"Go","proficiency_level":"expert","years_of_experience":null,"endorsed_count":0,"created_at":"2030-01-01T00:00:00.000Z","updated_at":"2030-01-01T00:00:00.000Z","endorsements":0}}`, goID, uid)
			if r.status != 200 || string(r.body) != want {
				t.Errorf("POST: %d %s\nwant %s", r.status, r.body, want)
			}
			ta.Clock.Advance(time.Second)
			r = ta.do(t, "POST", base, map[string]any{"name": "SQL"}, auth(tok)...)
			sql := r.json(t)["skill"].(map[string]any)
			if r.status != 200 || sql["proficiency_level"] != nil {
				t.Errorf("POST without level: %d %s", r.status, r.body)
			}
			sqlID := sql["id"].(string)

			r = ta.do(t, "GET", base, nil, auth(tok)...)
			skills := r.json(t)["skills"].([]any)
			if r.status != 200 || len(skills) != 2 || skills[0].(map[string]any)["id"] != sqlID || r.json(t)["message"] != "Skills fetched successfully" {
				t.Errorf("GET (newest first): %d %s", r.status, r.body)
			}

			ta.Clock.Advance(time.Second)
			r = ta.do(t, "PATCH", base+"/"+goID, map[string]any{"level": "advanced"}, auth(tok)...)
			s := r.json(t)["skill"].(map[string]any)
			if r.status != 200 || r.json(t)["message"] != "Skill updated successfully" || s["name"] != "Go" || s["proficiency_level"] != "advanced" || s["updated_at"] != "2030-01-01T00:00:02.000Z" {
				t.Errorf("PATCH level: %d %s", r.status, r.body)
			}
			r = ta.do(t, "PATCH", base+"/"+goID, map[string]any{}, auth(tok)...)
			if r.status != 200 {
				t.Errorf("PATCH {}: %d %s", r.status, r.body)
			}

			// Another user sees none of it.
			tok2, _ := ta.token(t, "bob@example.com")
			mustProfile(t, ta, tok2)
			notFound := `{"error":"Skill not found or access denied"}`
			if r := ta.do(t, "PATCH", base+"/"+goID, map[string]any{"name": "x"}, auth(tok2)...); r.status != 404 || string(r.body) != notFound {
				t.Errorf("PATCH by another user: %d %s", r.status, r.body)
			}
			if r := ta.do(t, "DELETE", base+"/"+goID, nil, auth(tok2)...); r.status != 404 || string(r.body) != notFound {
				t.Errorf("DELETE by another user: %d %s", r.status, r.body)
			}
			if r := ta.do(t, "GET", base, nil, auth(tok2)...); string(r.body) != `{"message":"Skills fetched successfully","skills":[]}` {
				t.Errorf("GET by another user: %s", r.body)
			}

			cc.take()
			if r := ta.do(t, "DELETE", base+"/"+goID, nil, auth(tok)...); r.status != 200 || string(r.body) != `{"message":"Skill deleted successfully"}` {
				t.Errorf("DELETE: %d %s", r.status, r.body)
			}
			if l := fmt.Sprintf("[Skills] Deleted skill %s for user %s, background updates queued", goID, uid); len(withPrefix(cc.take(), l)) != 1 {
				t.Errorf("missing %q", l)
			}
			if r := ta.do(t, "DELETE", base+"/"+goID, nil, auth(tok)...); r.status != 404 || string(r.body) != notFound {
				t.Errorf("DELETE again: %d %s", r.status, r.body)
			}
			if r := ta.do(t, "PATCH", base+"/nope", map[string]any{"name": "x"}, auth(tok)...); r.status != 404 || string(r.body) != notFound {
				t.Errorf("PATCH unknown: %d %s", r.status, r.body)
			}
			for _, m := range []string{"GET", "POST"} {
				if r := ta.do(t, m, base, nil); r.status != 401 {
					t.Errorf("%s without token: %d", m, r.status)
				}
			}
		})
	}
}

func TestSkillsValidation(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	tok, _ := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	r := ta.do(t, "POST", "/api/skills", map[string]any{"name": "Go"}, auth(tok)...)
	id := r.json(t)["skill"].(map[string]any)["id"].(string)
	enumMsg := "'beginner' | 'intermediate' | 'advanced' | 'expert'"
	for _, tc := range []struct {
		name, method, path string
		body               any
		want               string
	}{
		{"missing name", "POST", "/api/skills", map[string]any{},
			`{"code":"invalid_type","expected":"string","received":"undefined","path":["name"],"message":"Required"}`},
		{"empty name", "POST", "/api/skills", map[string]any{"name": ""},
			`{"code":"too_small","minimum":1,"type":"string","inclusive":true,"exact":false,"message":"Skill name is required","path":["name"]}`},
		{"bad level", "POST", "/api/skills", map[string]any{"name": "Go", "level": "guru"},
			`{"received":"guru","code":"invalid_enum_value","options":["beginner","intermediate","advanced","expert"],"path":["level"],"message":"Invalid enum value. Expected ` + enumMsg + `, received 'guru'"}`},
		{"level not a string", "PATCH", "/api/skills/" + id, map[string]any{"level": 5},
			`{"expected":"` + enumMsg + `","received":"number","code":"invalid_type","path":["level"],"message":"Expected ` + enumMsg + `, received number"}`},
		{"null name on PATCH", "PATCH", "/api/profile/skills/" + id, map[string]any{"name": nil},
			`{"code":"invalid_type","expected":"string","received":"null","path":["name"],"message":"Expected string, received null"}`},
		{"array body", "POST", "/api/profile/skills", []any{1},
			`{"code":"invalid_type","expected":"object","received":"array","path":[],"message":"Expected object, received array"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ta.do(t, tc.method, tc.path, tc.body, auth(tok)...)
			want := `{"error":"Invalid skill data","details":[` + tc.want + `]}`
			if r.status != 400 || string(r.body) != want {
				t.Errorf("%d %s\nwant 400 %s", r.status, r.body, want)
			}
		})
	}
	wantBodyRefused(t, ta.do(t, "PATCH", "/api/skills/"+id, "nope", auth(tok)...), "invalid character 'o' in literal null (expecting 'u')")
}

// A skills or work-experience change deletes the user's cached
// compatibility analyses in D1 (invalidateCacheForUser).
func TestProfileChangesInvalidateAnalyses(t *testing.T) {
	t.Parallel()
	ta := newTestApp(t)
	ctx := context.Background()
	db := ta.Env.D1["DB"]
	tok, uid := ta.token(t, "ada@example.com")
	mustProfile(t, ta, tok)
	tok2, uid2 := ta.token(t, "bob@example.com")
	mustProfile(t, ta, tok2)
	seed := func() {
		t.Helper()
		for _, u := range []string{uid, uid2} {
			seedJobs(t, ta, u, []map[string]any{{"title": "T", "company": "C"}})
			if _, err := db.Prepare("INSERT INTO job_compatibility_analyses (id, user_id, job_id, analysis) VALUES (?, ?, ?, '{}')").
				Bind("a-"+u, u, fmt.Sprintf("job-%s-00", u[:8])).Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func(u string) any {
		n, err := db.Prepare("SELECT COUNT(*) AS n FROM job_compatibility_analyses WHERE user_id = ?").Bind(u).FirstColumn(ctx, "n")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	seed()
	cc := captureConsole(ta)
	if r := ta.do(t, "POST", "/api/skills", map[string]any{"name": "Go"}, auth(tok)...); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if count(uid) != int64(0) || count(uid2) != int64(1) {
		t.Errorf("after a skill: %v / %v rows", count(uid), count(uid2))
	}
	if l := "[JobAnalysisCache] Cache invalidation complete for user " + uid; len(withPrefix(cc.take(), l)) != 1 {
		t.Errorf("missing %q", l)
	}
	if _, err := db.Prepare("INSERT INTO job_compatibility_analyses (id, user_id, job_id, analysis) VALUES ('again', ?, ?, '{}')").
		Bind(uid, fmt.Sprintf("job-%s-00", uid[:8])).Run(ctx); err != nil {
		t.Fatal(err)
	}
	if r := ta.do(t, "POST", "/api/profile/work-experience", map[string]any{"title": "T", "company": "C", "start_date": "2020"}, auth(tok)...); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if count(uid) != int64(0) || count(uid2) != int64(1) {
		t.Errorf("after work experience: %v / %v rows", count(uid), count(uid2))
	}
}
