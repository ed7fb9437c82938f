package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// The application tracker (useTrackedApplications). The original Worker
// has no such routes (contract §7.2: the frontend's calls were 404s); they
// serve the tracked_applications table of the schema with the shapes the
// hook reads: lists under trackedApplications / activeApplications with
// total, page, limit and hasMore, and single applications as the
// TrackedApplication object itself (camelCase, JSON columns parsed).
// Errors are E-std, like the applications routes. Every query is scoped to
// the caller; another user's id is a 404.

const trackedBase = "/api/tracked-applications"

// trackedApplicationsRoutes registers the tracker's routes; all use auth,
// none is rate-limited per user.
func (a *App) trackedApplicationsRoutes() {
	a.e.GET(trackedBase, a.listTracked(false), a.authenticate)
	a.e.GET(trackedBase+"/active", a.listTracked(true), a.authenticate)
	a.e.GET(trackedBase+"/:id", a.handleGetTracked, a.authenticate)
	a.e.POST(trackedBase, a.handleCreateTracked, a.authenticate)
	a.e.PATCH(trackedBase+"/:id", a.handleUpdateTracked, a.authenticate)
	a.e.PATCH(trackedBase+"/:id/archive", a.archiveTracked(true), a.authenticate)
	a.e.PATCH(trackedBase+"/:id/unarchive", a.archiveTracked(false), a.authenticate)
	a.e.DELETE(trackedBase+"/:id", a.handleDeleteTracked, a.authenticate)
}

// trackedStatuses is the status CHECK of tracked_applications (and the
// frontend's ApplicationStatus).
var trackedStatuses = []string{"applied", "screening", "interview_scheduled", "interview_completed", "offer", "accepted", "rejected", "withdrawn"}

type trackedKind int

const (
	trackedText   trackedKind = iota // string or null; "" is stored as NULL
	trackedName                      // non-empty string, required on create
	trackedRef                       // id of one of the caller's jobs or applications, or null/""
	trackedNumber                    // number or null
	trackedStatus                    // one of trackedStatuses
	trackedList                      // JSON array or null
	trackedObject                    // JSON object or null
	trackedFlag                      // boolean
)

// trackedField is one member of a TrackedApplication and its column.
type trackedField struct {
	key, column string
	kind        trackedKind
	required    string // trackedName: the min(1) message
	refTable    string // trackedRef: the table and resource of a not-found
	refResource string
}

// trackedFields lists the members a create or update may carry, in the
// TrackedApplication's order. id, lastUpdated and unknown keys are ignored.
var trackedFields = []trackedField{
	{key: "jobId", column: "job_id", kind: trackedRef, refTable: "jobs", refResource: "Job"},
	{key: "applicationId", column: "application_id", kind: trackedRef, refTable: "applications", refResource: "Application"},
	{key: "company", column: "company", kind: trackedName, required: "Company is required"},
	{key: "jobTitle", column: "job_title", kind: trackedName, required: "Job title is required"},
	{key: "location", column: "location", kind: trackedText},
	{key: "matchScore", column: "match_score", kind: trackedNumber},
	{key: "status", column: "status", kind: trackedStatus},
	{key: "appliedDate", column: "applied_date", kind: trackedText},
	{key: "statusHistory", column: "status_history", kind: trackedList},
	{key: "interviews", column: "interviews", kind: trackedList},
	{key: "nextInterviewDate", column: "next_interview_date", kind: trackedText},
	{key: "recruiter", column: "recruiter", kind: trackedObject},
	{key: "hiringManager", column: "hiring_manager", kind: trackedObject},
	{key: "followUpActions", column: "follow_up_actions", kind: trackedList},
	{key: "nextAction", column: "next_action", kind: trackedText},
	{key: "nextActionDate", column: "next_action_date", kind: trackedText},
	{key: "notes", column: "notes", kind: trackedText},
	{key: "activityLog", column: "activity_log", kind: trackedList},
	{key: "offerDetails", column: "offer_details", kind: trackedObject},
	{key: "archived", column: "archived", kind: trackedFlag},
	{key: "tags", column: "tags", kind: trackedList},
}

// trackedRefCheck is a jobId or applicationId to look up.
type trackedRefCheck struct {
	field trackedField
	id    string
}

// validateTracked checks a create (partial false) or update body and
// returns the columns to write, in order, and the references to check.
func validateTracked(body any, raw map[string]json.RawMessage, partial bool) (cols ordObj, refs []trackedRefCheck, v zodIssues) {
	obj, ok := v.object(body)
	if !ok {
		return nil, nil, v
	}
	for _, f := range trackedFields {
		val, present := obj[f.key]
		if !present {
			if f.kind == trackedName && !partial {
				v.invalidType([]any{f.key}, "string", "undefined")
			}
			continue
		}
		path := []any{f.key}
		switch f.kind {
		case trackedText, trackedRef:
			if val == nil {
				cols = append(cols, ordKV{f.column, nil})
				continue
			}
			s, ok := val.(string)
			if !ok {
				v.invalidType(path, "string", zodType(val, true))
				continue
			}
			if s == "" {
				cols = append(cols, ordKV{f.column, nil})
				continue
			}
			if f.kind == trackedRef {
				refs = append(refs, trackedRefCheck{f, s})
			}
			cols = append(cols, ordKV{f.column, s})
		case trackedName:
			s, ok := val.(string)
			if !ok {
				v.invalidType(path, "string", zodType(val, true))
				continue
			}
			v.minLen(path, s, 1, f.required)
			cols = append(cols, ordKV{f.column, s})
		case trackedNumber:
			if val == nil {
				cols = append(cols, ordKV{f.column, nil})
				continue
			}
			n, ok := val.(float64)
			if !ok {
				v.invalidType(path, "number", zodType(val, true))
				continue
			}
			cols = append(cols, ordKV{f.column, n})
		case trackedStatus:
			if v.enum(path, val, trackedStatuses) {
				cols = append(cols, ordKV{f.column, val})
			}
		case trackedList, trackedObject:
			if val == nil {
				cols = append(cols, ordKV{f.column, nil})
				continue
			}
			want := "array"
			if f.kind == trackedObject {
				want = "object"
			}
			if got := zodType(val, true); got != want {
				v.invalidType(path, want, got)
				continue
			}
			// The member's own text, compacted: objects keep their key order.
			cols = append(cols, ordKV{f.column, string(compactJSON(raw[f.key]))})
		case trackedFlag:
			b, ok := val.(bool)
			if !ok {
				v.invalidType(path, "boolean", zodType(val, true))
				continue
			}
			cols = append(cols, ordKV{f.column, boolInt(b)})
		}
	}
	return cols, refs, v
}

// checkTrackedRefs answers 404 (E-std, as createNotFoundError) for a jobId
// or applicationId that is not one of the caller's rows.
func (a *App) checkTrackedRefs(c echo.Context, refs []trackedRefCheck) error {
	for _, r := range refs {
		row, err := a.env.D1["DB"].Prepare("SELECT id FROM "+r.field.refTable+" WHERE id = ? AND user_id = ?").
			Bind(r.id, userID(c)).First(c.Request().Context())
		if err != nil {
			return err
		}
		if row == nil {
			return notFoundError(r.field.refResource, r.id)
		}
	}
	return nil
}

// trackedJSON is a JSON column as the hook reads it: the parsed value, def
// when NULL (nil: the member is left out, as JSON.stringify drops an
// undefined one). Text that is not JSON is returned as the string it is.
func trackedJSON(v any, def any) any {
	s, ok := v.(string)
	if !ok {
		return def
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	return s
}

// trackedOut maps a tracked_applications row to the TrackedApplication the
// frontend reads (mapDbTrackedApplication's shape).
func trackedOut(row map[string]any) ordObj {
	str := func(col string) string { return rowString(row, col) }
	out := ordObj{
		{"id", str("id")}, {"jobId", str("job_id")}, {"applicationId", str("application_id")},
		{"company", str("company")}, {"jobTitle", str("job_title")}, {"location", str("location")},
	}
	out = append(out, ordKV{"matchScore", rowNumber(row, "match_score")},
		ordKV{"status", str("status")}, ordKV{"appliedDate", str("applied_date")}, ordKV{"lastUpdated", str("last_updated")},
		ordKV{"statusHistory", trackedJSON(row["status_history"], json.RawMessage("[]"))},
		ordKV{"interviews", trackedJSON(row["interviews"], json.RawMessage("[]"))})
	optional := func(key string, val any) {
		if val != nil && val != "" {
			out = append(out, ordKV{key, val})
		}
	}
	optional("recruiter", trackedJSON(row["recruiter"], nil))
	optional("hiringManager", trackedJSON(row["hiring_manager"], nil))
	out = append(out, ordKV{"followUpActions", trackedJSON(row["follow_up_actions"], json.RawMessage("[]"))})
	optional("nextAction", str("next_action"))
	optional("nextActionDate", str("next_action_date"))
	optional("nextInterviewDate", str("next_interview_date"))
	optional("offerDetails", trackedJSON(row["offer_details"], nil))
	out = append(out,
		ordKV{"activityLog", trackedJSON(row["activity_log"], json.RawMessage("[]"))},
		ordKV{"archived", rowInt(row, "archived") != 0}, ordKV{"notes", str("notes")})
	optional("tags", trackedJSON(row["tags"], nil))
	return out
}

// trackedRow reads one of the caller's rows, or answers the 404.
func (a *App) trackedRow(c echo.Context, id string) (ordObj, error) {
	row, err := a.env.D1["DB"].Prepare("SELECT * FROM tracked_applications WHERE id = ? AND user_id = ?").
		Bind(id, userID(c)).First(c.Request().Context())
	if err != nil {
		return nil, err
	}
	if row == nil {
		return nil, notFoundError("Tracked application", id)
	}
	return trackedOut(row), nil
}

// pageQuery reads the list routes' page (default 1) and limit (default 20,
// at most 100), each z.coerce.number().int().positive().
func (v *zodIssues) pageQuery(q url.Values) (page, limit int) {
	page, limit = 1, 20
	if s, ok := q["page"]; ok {
		page = v.coerceInt("page", s[0], 1, false, 0)
	}
	if s, ok := q["limit"]; ok {
		limit = v.coerceInt("limit", s[0], 1, true, 100)
	}
	return page, limit
}

// listTracked is GET /api/tracked-applications (optional archived filter,
// true/false/1/0) and, with active, GET /api/tracked-applications/active
// (archived ones left out): most recently updated first, 20 a page by
// default, at most 100.
func (a *App) listTracked(active bool) echo.HandlerFunc {
	listKey := "trackedApplications"
	if active {
		listKey = "activeApplications"
	}
	return func(c echo.Context) error {
		q := c.Request().URL.Query()
		var v zodIssues
		page, limit := v.pageQuery(q)
		var archived *bool
		if active {
			f := false
			archived = &f
		} else if s, ok := q["archived"]; ok {
			b := v.queryBool("archived", s[0])
			archived = &b
		}
		if len(v) > 0 {
			return v.validationError("Invalid query parameters")
		}
		where, args := "user_id = ?", []any{userID(c)}
		if archived != nil {
			where += " AND IFNULL(archived, 0) = ?"
			args = append(args, boolInt(*archived))
		}
		ctx := c.Request().Context()
		db := a.env.D1["DB"]
		offset := (page - 1) * limit
		res, err := db.Prepare("SELECT * FROM tracked_applications WHERE " + where + " ORDER BY last_updated DESC, rowid DESC LIMIT ? OFFSET ?").
			Bind(append(append([]any{}, args...), limit, offset)...).All(ctx)
		if err != nil {
			return err
		}
		count, err := db.Prepare("SELECT COUNT(*) AS count FROM tracked_applications WHERE "+where).Bind(args...).FirstColumn(ctx, "count")
		if err != nil {
			return err
		}
		total, _ := count.(int64)
		items := make([]ordObj, len(res.Results))
		for i, row := range res.Results {
			items[i] = trackedOut(row)
		}
		return writeJSON(c, http.StatusOK, ordObj{
			{listKey, items}, {"total", total}, {"page", page}, {"limit", limit}, {"hasMore", total > int64(offset+limit)},
		})
	}
}

// handleGetTracked is GET /api/tracked-applications/:id.
func (a *App) handleGetTracked(c echo.Context) error {
	out, err := a.trackedRow(c, c.Param("id"))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, out)
}

// trackedWriteFail maps a failed write: a value D1 refuses as too big is
// the request's fault (400), anything else a 500.
func (a *App) trackedWriteFail(c echo.Context, what string, err error) error {
	a.consoleError(c, "Failed to %s tracked application: %v", what, err)
	if tooBigForD1(err) {
		return bodyError(err.Error())
	}
	return errors.New("Failed to " + what + " tracked application")
}

// handleCreateTracked is POST /api/tracked-applications: 201 with the new
// TrackedApplication. company and jobTitle are required; status defaults
// to applied. The users row the foreign key needs is created first when it
// is missing, as GET /api/profile would.
func (a *App) handleCreateTracked(c echo.Context) error {
	body, raw, err := readJSONBodyRaw(c)
	if err != nil {
		return err
	}
	cols, refs, v := validateTracked(body, raw, false)
	if len(v) > 0 {
		return v.validationError("Invalid request body")
	}
	if err := a.checkTrackedRefs(c, refs); err != nil {
		return err
	}
	uid, id, now := userID(c), newUUID(), isoTime(a.clock.Now())
	names, marks := "id, user_id", "?, ?"
	args := []any{id, uid}
	hasStatus := false
	for _, col := range cols {
		names += ", " + col.Key
		marks += ", ?"
		args = append(args, col.Value)
		hasStatus = hasStatus || col.Key == "status"
	}
	if !hasStatus {
		names, marks, args = names+", status", marks+", ?", append(args, "applied")
	}
	names += ", last_updated, created_at, updated_at"
	marks += ", ?, ?, ?"
	args = append(args, now, now, now)
	db := a.env.D1["DB"]
	var stmts []runtime.D1PreparedStatement
	if email, _ := c.Get(string(keyUserEmail)).(string); email != "" {
		stmts = append(stmts, a.userRowStmt(c))
	}
	stmts = append(stmts, db.Prepare("INSERT INTO tracked_applications ("+names+") VALUES ("+marks+")").Bind(args...))
	if _, err := db.Batch(c.Request().Context(), stmts); err != nil {
		return a.trackedWriteFail(c, "create", err)
	}
	out, err := a.trackedRow(c, id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusCreated, out)
}

// updateTracked writes cols (plus last_updated and updated_at) to one of
// the caller's rows and answers the row; 404 when there is none.
func (a *App) updateTracked(c echo.Context, id string, cols ordObj) error {
	now := isoTime(a.clock.Now())
	set, args := "", []any{}
	for _, col := range cols {
		set += col.Key + " = ?, "
		args = append(args, col.Value)
	}
	args = append(args, now, now, id, userID(c))
	res, err := a.env.D1["DB"].Prepare("UPDATE tracked_applications SET " + set + "last_updated = ?, updated_at = ? WHERE id = ? AND user_id = ?").
		Bind(args...).Run(c.Request().Context())
	if err != nil {
		return a.trackedWriteFail(c, "update", err)
	}
	if res.Meta.Changes == 0 {
		return notFoundError("Tracked application", id)
	}
	out, err := a.trackedRow(c, id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, out)
}

// handleUpdateTracked is PATCH /api/tracked-applications/:id: the members
// sent, each optional.
func (a *App) handleUpdateTracked(c echo.Context) error {
	body, raw, err := readJSONBodyRaw(c)
	if err != nil {
		return err
	}
	cols, refs, v := validateTracked(body, raw, true)
	if len(v) > 0 {
		return v.validationError("Invalid request body")
	}
	id := c.Param("id")
	// Another user's id is a 404 before any reference is looked at.
	if _, err := a.trackedRow(c, id); err != nil {
		return err
	}
	if err := a.checkTrackedRefs(c, refs); err != nil {
		return err
	}
	return a.updateTracked(c, id, cols)
}

// archiveTracked is PATCH /api/tracked-applications/:id/archive and
// /unarchive (no body).
func (a *App) archiveTracked(archived bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		return a.updateTracked(c, c.Param("id"), ordObj{{"archived", boolInt(archived)}})
	}
}

// handleDeleteTracked is DELETE /api/tracked-applications/:id: 204.
func (a *App) handleDeleteTracked(c echo.Context) error {
	id := c.Param("id")
	res, err := a.env.D1["DB"].Prepare("DELETE FROM tracked_applications WHERE id = ? AND user_id = ?").
		Bind(id, userID(c)).Run(c.Request().Context())
	if err != nil {
		return err
	}
	if res.Meta.Changes == 0 {
		return notFoundError("Tracked application", id)
	}
	return c.NoContent(http.StatusNoContent)
}
