package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// profileRoutes registers the /api/profile routes of contract §2.8 that
// the Phase 2 test plan uses, and /api/profile/skills (identical to
// /api/skills, §2.9). Every route uses auth; none is rate-limited per user.
func (a *App) profileRoutes() {
	a.e.GET("/api/profile", a.handleGetProfile, a.authenticate)
	a.e.POST("/api/profile/work-experience", a.handleAddWorkExperience, a.authenticate)
	a.e.GET("/api/profile/skills", a.handleListSkills, a.authenticate)
	a.e.POST("/api/profile/skills", a.handleAddSkill, a.authenticate)
	a.e.PATCH("/api/profile/skills/:id", a.handleUpdateSkill, a.authenticate)
	a.e.DELETE("/api/profile/skills/:id", a.handleDeleteSkill, a.authenticate)
}

// localFail is the E-local 500 {error, message} with the raw message.
func localFail(c echo.Context, msg string, err error) error {
	return writeJSON(c, http.StatusInternalServerError, ordObj{{"error", msg}, {"message", err.Error()}})
}

// localMessage is an E-local body {error}.
func localMessage(c echo.Context, status int, msg string) error {
	return writeJSON(c, status, ordObj{{"error", msg}})
}

// handleGetProfile returns the users row, creating it on the first call
// for a token that has an email.
func (a *App) handleGetProfile(c echo.Context) error {
	uid := userID(c)
	email, _ := c.Get(string(keyUserEmail)).(string)
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	fail := func(err error) error {
		a.consoleError(c, "[Profile] Error fetching profile: %v", err)
		return localFail(c, "Failed to fetch profile", err)
	}
	profile, err := d1Row(ctx, db.Prepare("SELECT * FROM users WHERE id = ?").Bind(uid))
	if err != nil {
		return fail(err)
	}
	if profile == nil && email != "" {
		a.consoleLog(c, "[Profile] Auto-creating D1 profile for Supabase Auth user: %s", uid)
		if err := a.ensureUserRow(c); err != nil {
			return fail(err)
		}
		if profile, err = d1Row(ctx, db.Prepare("SELECT * FROM users WHERE id = ?").Bind(uid)); err != nil {
			return fail(err)
		}
		a.consoleLog(c, "[Profile] D1 profile created successfully for user: %s", uid)
	}
	if profile == nil {
		return localMessage(c, http.StatusNotFound, "Profile not found and could not be created")
	}
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Profile fetched successfully"}, {"profile", profile}})
}

// userRowStmt creates the authenticated user's users row if it does not
// exist. ON CONFLICT(id): two first calls at once both succeed; another
// user's email still fails the UNIQUE constraint, as in the original.
func (a *App) userRowStmt(c echo.Context) runtime.D1PreparedStatement {
	email, _ := c.Get(string(keyUserEmail)).(string)
	now := sqliteTime(a.clock.Now())
	return a.env.D1["DB"].Prepare(`INSERT INTO users (id, email, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`).
		Bind(userID(c), email, now, now)
}

// ensureUserRow runs userRowStmt.
func (a *App) ensureUserRow(c echo.Context) error {
	_, err := a.userRowStmt(c).Run(c.Request().Context())
	return err
}

// handleAddWorkExperience inserts a work_experience row. The frontend sends
// the position as "title" (the D1 column); "position" is accepted too.
func (a *App) handleAddWorkExperience(c echo.Context) error {
	uid := userID(c)
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var v zodIssues
	obj, ok := v.object(body)
	var title, company, description, start, end *string
	var current *bool
	if ok {
		titleKey := "title"
		if _, has := obj["title"]; !has {
			if _, hasPos := obj["position"]; hasPos {
				titleKey = "position"
			}
		}
		title = v.str(obj, titleKey, false, false, 1, "Title is required", 0)
		company = v.str(obj, "company", false, false, 1, "Company is required", 0)
		description = v.str(obj, "description", true, true, 0, "", 0)
		start = v.str(obj, "start_date", false, false, 0, "", 0)
		end = v.str(obj, "end_date", true, true, 0, "", 0)
		current = v.optBool(obj, "is_current")
	}
	if len(v) > 0 {
		return v.localError(c, "Invalid work experience data")
	}
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	id := newUUID()
	now := isoTime(a.clock.Now())
	isCurrent := current != nil && *current
	if _, err := db.Prepare(`INSERT INTO work_experience (
		id, user_id, title, company, description, start_date, end_date,
		is_current, created_at, updated_at
	) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).
		Bind(id, uid, *title, *company, nullable(description), *start, nullable(end), isCurrent, now, now).Run(ctx); err != nil {
		a.consoleError(c, "[Profile] Error adding work experience: %v", err)
		return localFail(c, "Failed to add work experience", err)
	}
	experience, err := d1Row(ctx, db.Prepare("SELECT * FROM work_experience WHERE id = ?").Bind(id))
	if err != nil {
		a.consoleError(c, "[Profile] Error adding work experience: %v", err)
		return localFail(c, "Failed to add work experience", err)
	}
	a.profileChanged(c, uid)
	a.consoleLog(c, "[Profile] Added work experience for user %s, background updates queued", uid)
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Work experience added successfully"}, {"experience", experience}})
}

// profileChanged is the background work after a profile, work-experience
// or skills change: invalidateCacheForUser, which deletes the user's
// job_compatibility_analyses rows (KV copies stay, as in the original).
// Differs from the original: it runs before the response (no waitUntil),
// and the resume-embedding update, which always failed there and targets
// Supabase Postgres, is not attempted. Errors are logged, never returned.
func (a *App) profileChanged(c echo.Context, uid string) {
	a.consoleLog(c, "[JobAnalysisCache] Invalidating caches for user %s...", uid)
	if _, err := a.env.D1["DB"].Prepare("DELETE FROM job_compatibility_analyses WHERE user_id = ?").Bind(uid).Run(c.Request().Context()); err != nil {
		a.consoleError(c, "[JobAnalysisCache] Failed to invalidate database cache: %v", err)
	}
	a.consoleLog(c, "[JobAnalysisCache] Cache invalidation complete for user %s", uid)
}
