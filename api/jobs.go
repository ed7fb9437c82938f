package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// jobsRoutes registers the /api/jobs routes (contract §2.3) and the
// POST /api/jobs of the Phase 2 test plan.
func (a *App) jobsRoutes() {
	a.e.GET("/api/jobs", a.handleListJobs, a.authenticate, a.rateLimit)
	a.e.POST("/api/jobs", a.handleCreateJob, a.authenticate, a.rateLimit)
}

// ---- GET /api/jobs ----

var (
	jobSources          = []string{"linkedin", "indeed", "manual"}
	workArrangements    = []string{"Remote", "Hybrid", "On-site"}
	queryBoolValues     = []string{"true", "false", "1", "0"}
	jobTypes            = []string{"full-time", "part-time", "contract", "internship", "temporary", "remote"}
	jobExperienceLevels = []string{"entry", "mid", "senior", "lead", "executive"}
)

// handleListJobs lists the user's jobs with the filters and paging of §2.3.
func (a *App) handleListJobs(c echo.Context) error {
	uid := userID(c)
	q := c.Request().URL.Query()
	get := func(name string) (string, bool) {
		if v, ok := q[name]; ok && len(v) > 0 {
			return v[0], true
		}
		return "", false
	}
	var v zodIssues

	page, limit := 1, 20
	if s, ok := get("page"); ok {
		page = v.coerceInt("page", s, 1, false, 0)
	}
	if s, ok := get("limit"); ok {
		limit = v.coerceInt("limit", s, 1, true, 100)
	}
	// Differs from the original: z.coerce.boolean() made "false" true; the
	// flags take true/false/1/0 ("" is false, as Boolean("") was).
	archived := false
	if s, ok := get("archived"); ok {
		archived = v.queryBool("archived", s)
	}
	var saved *bool
	if s, ok := get("saved"); ok {
		b := v.queryBool("saved", s)
		saved = &b
	}
	source, hasSource := get("source")
	if hasSource {
		v.enum([]any{"source"}, source, jobSources)
	}
	var minScore *int
	if s, ok := get("minMatchScore"); ok {
		n := v.coerceInt("minMatchScore", s, 0, true, 100)
		minScore = &n
	}
	search, hasSearch := get("search")
	if hasSearch {
		v.maxLen([]any{"search"}, search, 200, "")
	}
	arrangement, hasArrangement := get("workArrangement")
	if hasArrangement {
		v.enum([]any{"workArrangement"}, arrangement, workArrangements)
	}
	if len(v) > 0 {
		return v.validationError("Invalid query parameters")
	}

	offset := (page - 1) * limit
	conds := []string{"user_id = ?", "is_archived = ?"}
	args := []any{uid, boolInt(archived)}
	if saved != nil {
		conds = append(conds, "is_saved = ?")
		args = append(args, boolInt(*saved))
	}
	if hasSource {
		conds = append(conds, "source = ?")
		args = append(args, source)
	}
	if minScore != nil {
		conds = append(conds, "match_score >= ?")
		args = append(args, *minScore)
	}
	if hasArrangement {
		conds = append(conds, "work_arrangement = ?")
		args = append(args, arrangement)
	}
	if hasSearch && search != "" {
		conds = append(conds, "(title LIKE ? OR company LIKE ?)")
		args = append(args, "%"+search+"%", "%"+search+"%")
	}
	where := strings.Join(conds, " AND ")
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	// rowid breaks created_at ties, so pages never overlap.
	jobs, err := d1Rows(ctx, db.Prepare("SELECT * FROM jobs WHERE "+where+" ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?").
		Bind(append(append([]any{}, args...), limit, offset)...))
	if err != nil {
		return err
	}
	// The original counts with a second query every time. When this page is
	// short and not past the end (or the first page is empty), it is the
	// last page, so the count is known: OFFSET skipped offset rows and the
	// page holds the rest. The count query runs only otherwise.
	var total int64
	if n := len(jobs); n < limit && (n > 0 || offset == 0) {
		total = int64(offset + n)
	} else {
		count, err := db.Prepare("SELECT COUNT(*) AS count FROM jobs WHERE "+where).Bind(args...).FirstColumn(ctx, "count")
		if err != nil {
			return err
		}
		total, _ = count.(int64)
	}
	return writeJSON(c, http.StatusOK, struct {
		Jobs    []ordObj `json:"jobs"`
		Total   int64    `json:"total"`
		Page    int      `json:"page"`
		Limit   int      `json:"limit"`
		HasMore bool     `json:"hasMore"`
	}{jobs, total, page, limit, total > int64(offset+limit)})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ---- POST /api/jobs ----

// handleCreateJob creates a manual job (not in the original Worker; the
// Phase 2 test plan calls it), embeds it through the embeddings cache and
// stores the vector job:{id} in Vectorize.
func (a *App) handleCreateJob(c echo.Context) error {
	uid := userID(c)
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var v zodIssues
	obj, ok := v.object(body)
	var in struct {
		title, company, description, location, jobURL, jobType, level, arrangement *string
		salaryMin, salaryMax                                                       *float64
		required, preferred                                                        []string
	}
	if ok {
		in.title = v.str(obj, "title", false, false, 1, "Title is required", 500)
		in.company = v.str(obj, "company", true, false, 0, "", 200)
		in.description = v.str(obj, "description", true, true, 0, "", 50000)
		in.location = v.str(obj, "location", true, true, 0, "", 200)
		in.jobURL = v.str(obj, "url", true, true, 0, "", 2000)
		if in.jobURL != nil && *in.jobURL != "" && !isAbsoluteURL(*in.jobURL) {
			v.add(zodIssue{path: []any{"url"}, message: "Invalid url", fields: ordObj{{"validation", "url"}, {"code", "invalid_string"}}})
		}
		in.jobType = v.optEnum(obj, "jobType", jobTypes)
		in.level = v.optEnum(obj, "experienceLevel", jobExperienceLevels)
		in.arrangement = v.optEnum(obj, "workArrangement", workArrangements)
		in.salaryMin = v.optNonNegNumber(obj, "salaryMin")
		in.salaryMax = v.optNonNegNumber(obj, "salaryMax")
		in.required = v.optStrings(obj, "requiredSkills")
		in.preferred = v.optStrings(obj, "preferredSkills")
	}
	if len(v) > 0 {
		return v.validationError("Invalid request body")
	}

	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	id := newUUID()
	now := isoTime(a.clock.Now())
	company := deref(in.company)
	jsonList := func(l []string) any {
		if l == nil {
			return nil
		}
		b, _ := json.Marshal(l)
		return string(b)
	}
	// The job's owner must have a users row (foreign key); create it as
	// GET /api/profile would when this is the user's first call.
	email, _ := c.Get(string(keyUserEmail)).(string)
	stmts := []runtime.D1PreparedStatement{}
	if email != "" {
		stmts = append(stmts, a.userRowStmt(c))
	}
	stmts = append(stmts, db.Prepare(`INSERT INTO jobs (
		id, user_id, title, company, location, description, url, source, job_type, experience_level,
		salary_min, salary_max, work_arrangement, required_skills, preferred_skills,
		added_at, created_at, updated_at
	) VALUES (?, ?, ?, ?, ?, ?, ?, 'manual', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).Bind(
		id, uid, *in.title, company, nullable(in.location), nullable(in.description), nullable(in.jobURL),
		nullable(in.jobType), nullable(in.level), nullableF(in.salaryMin), nullableF(in.salaryMax), nullable(in.arrangement),
		jsonList(in.required), jsonList(in.preferred), now, now, now))
	if _, err := db.Batch(ctx, stmts); err != nil {
		return err
	}
	a.consoleLog(c, "[Jobs] Created manual job %s for user %s", id, uid)

	// generateAndSaveJobEmbedding: failures are logged, never fail the request.
	a.consoleLog(c, "[Embeddings] Starting embedding generation for job %s", id)
	emb, err := a.generateJobEmbedding(ctx, *in.title, company, deref(in.description), in.required, in.preferred)
	if err == nil {
		err = a.storeJobEmbedding(ctx, id, uid, *in.title, company, emb)
	}
	if err != nil {
		a.consoleError(c, "[Embeddings] Failed to generate/store embedding for job %s: %v", id, err)
	} else {
		a.consoleLog(c, "[Embeddings] Successfully generated and stored embedding in Vectorize for job %s", id)
	}

	rows, err := d1Rows(ctx, db.Prepare("SELECT * FROM jobs WHERE id = ? AND user_id = ?").Bind(id, uid))
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return notFoundError("Job", id)
	}
	return writeJSON(c, http.StatusCreated, rows[0])
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullable binds "" and absent as NULL, as `value || null` does.
func nullable(s *string) any {
	if s == nil || *s == "" {
		return nil
	}
	return *s
}

func nullableF(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "")
}

// newUUID is crypto.randomUUID(): a lower-case version 4 UUID.
func newUUID() string { return uuid.NewString() }

// sqliteTime formats t as SQLite's datetime('now') does, from the app's
// clock (the original lets SQLite read the wall clock).
func sqliteTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// ---- ordered JSON and D1 rows ----

// ordKV is one member of an ordObj.
type ordKV struct {
	Key   string
	Value any
}

// ordObj is a JSON object that keeps its key order, as a JavaScript object
// does (D1 rows keep the column order of SELECT *).
type ordObj []ordKV

// MarshalJSON writes the members in order.
func (o ordObj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	out := []byte{'{'}
	for i, kv := range o {
		if i > 0 {
			out = append(out, ',')
		}
		buf.Reset()
		if err := enc.Encode(kv.Key); err != nil {
			return nil, err
		}
		out = append(out, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
		out = append(out, ':')
		buf.Reset()
		if err := enc.Encode(kv.Value); err != nil {
			return nil, err
		}
		out = append(out, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
	}
	return append(out, '}'), nil
}

// d1Rows runs stmt and returns its rows as objects in column order. A
// duplicated column name keeps its first position and its last value, as
// D1's row objects do.
func d1Rows(ctx context.Context, stmt runtime.D1PreparedStatement) ([]ordObj, error) {
	raw, err := stmt.Raw(ctx, runtime.D1RawOptions{ColumnNames: true})
	if err != nil {
		return nil, err
	}
	rows := []ordObj{}
	if len(raw) == 0 {
		return rows, nil
	}
	names := make([]string, len(raw[0]))
	for i, n := range raw[0] {
		names[i], _ = n.(string)
	}
	for _, r := range raw[1:] {
		obj := make(ordObj, 0, len(names))
		pos := make(map[string]int, len(names))
		for i, n := range names {
			var val any
			if i < len(r) {
				val = r[i]
			}
			if p, dup := pos[n]; dup {
				obj[p].Value = val
				continue
			}
			pos[n] = len(obj)
			obj = append(obj, ordKV{n, val})
		}
		rows = append(rows, obj)
	}
	return rows, nil
}

// d1Row returns the first row, or nil.
func d1Row(ctx context.Context, stmt runtime.D1PreparedStatement) (ordObj, error) {
	rows, err := d1Rows(ctx, stmt)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// ---- request bodies and zod-style validation ----

// zodIssue is one zod 3 issue: its own members in zod's order (path and
// message are placed as zod places them).
type zodIssue struct {
	fields  ordObj // members before path/message
	path    []any
	message string
	// msgFirst: zod puts message before path when the check carries its
	// own message key (string min/max, number bounds, int).
	msgFirst bool
}

func (i zodIssue) dotPath() string {
	parts := make([]string, len(i.path))
	for k, p := range i.path {
		parts[k] = fmt.Sprint(p)
	}
	return strings.Join(parts, ".")
}

func (i zodIssue) object() ordObj {
	o := append(ordObj{}, i.fields...)
	path := i.path
	if path == nil {
		path = []any{}
	}
	if i.msgFirst {
		return append(o, ordKV{"message", i.message}, ordKV{"path", path})
	}
	return append(o, ordKV{"path", path}, ordKV{"message", i.message})
}

type zodIssues []zodIssue

func (v *zodIssues) add(i zodIssue) { *v = append(*v, i) }

// validationError is createValidationError(msg, fields) with the fields in
// issue order, the last issue of a path winning (Object.fromEntries).
func (v zodIssues) validationError(msg string) error {
	fields := ordObj{}
	for _, i := range v {
		p := i.dotPath()
		replaced := false
		for k := range fields {
			if fields[k].Key == p {
				fields[k].Value = i.message
				replaced = true
			}
		}
		if !replaced {
			fields = append(fields, ordKV{p, i.message})
		}
	}
	return &HTTPError{Status: http.StatusBadRequest, Code: "VALIDATION_ERROR", Message: msg, Details: ordObj{{"fields", fields}}}
}

// localError is the E-local 400 {error, details:[issues]} of the profile
// and skills routes.
func (v zodIssues) localError(c echo.Context, msg string) error {
	details := make([]ordObj, len(v))
	for k, i := range v {
		details[k] = i.object()
	}
	return writeJSON(c, http.StatusBadRequest, ordObj{{"error", msg}, {"details", details}})
}

// zodType is zod's getParsedType for a decoded JSON value (absent:
// "undefined").
func zodType(v any, present bool) string {
	if !present {
		return "undefined"
	}
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if math.IsNaN(x) {
			return "nan"
		}
		return "number"
	case []any:
		return "array"
	default:
		return "object"
	}
}

func (v *zodIssues) invalidType(path []any, expected, received string) {
	msg := "Expected " + expected + ", received " + received
	if received == "undefined" {
		msg = "Required"
	}
	v.add(zodIssue{fields: ordObj{{"code", "invalid_type"}, {"expected", expected}, {"received", received}}, path: path, message: msg})
}

// object checks that the body is an object.
func (v *zodIssues) object(body any) (map[string]any, bool) {
	m, ok := body.(map[string]any)
	if !ok {
		v.invalidType(nil, "object", zodType(body, true))
	}
	return m, ok
}

// str validates obj[key] as z.string() with optional(), nullable(), min and
// max; it returns nil when absent or null.
func (v *zodIssues) str(obj map[string]any, key string, optional, nullable bool, min int, minMsg string, max int) *string {
	raw, present := obj[key]
	if !present && optional {
		return nil
	}
	if present && raw == nil && nullable {
		return nil
	}
	s, ok := raw.(string)
	if !ok {
		v.invalidType([]any{key}, "string", zodType(raw, present))
		return nil
	}
	if min > 0 {
		v.minLen([]any{key}, s, min, minMsg)
	}
	if max > 0 {
		v.maxLen([]any{key}, s, max, "")
	}
	return &s
}

func (v *zodIssues) minLen(path []any, s string, min int, msg string) {
	if utf16Len(s) >= min {
		return
	}
	if msg == "" {
		msg = fmt.Sprintf("String must contain at least %d character(s)", min)
	}
	v.add(zodIssue{fields: ordObj{{"code", "too_small"}, {"minimum", min}, {"type", "string"}, {"inclusive", true}, {"exact", false}},
		path: path, message: msg, msgFirst: true})
}

func (v *zodIssues) maxLen(path []any, s string, max int, msg string) {
	if utf16Len(s) <= max {
		return
	}
	if msg == "" {
		msg = fmt.Sprintf("String must contain at most %d character(s)", max)
	}
	v.add(zodIssue{fields: ordObj{{"code", "too_big"}, {"maximum", max}, {"type", "string"}, {"inclusive", true}, {"exact", false}},
		path: path, message: msg, msgFirst: true})
}

func joinEnum(options []string) string {
	q := make([]string, len(options))
	for i, o := range options {
		q[i] = "'" + o + "'"
	}
	return strings.Join(q, " | ")
}

// enum validates a present value as z.enum(options).
func (v *zodIssues) enum(path []any, raw any, options []string) bool {
	s, ok := raw.(string)
	if !ok {
		v.add(zodIssue{fields: ordObj{{"expected", joinEnum(options)}, {"received", zodType(raw, true)}, {"code", "invalid_type"}},
			path: path, message: "Expected " + joinEnum(options) + ", received " + zodType(raw, true)})
		return false
	}
	for _, o := range options {
		if s == o {
			return true
		}
	}
	v.add(zodIssue{fields: ordObj{{"received", s}, {"code", "invalid_enum_value"}, {"options", options}},
		path: path, message: "Invalid enum value. Expected " + joinEnum(options) + ", received '" + s + "'"})
	return false
}

// optEnum validates obj[key] as z.enum(options).optional().
func (v *zodIssues) optEnum(obj map[string]any, key string, options []string) *string {
	raw, present := obj[key]
	if !present {
		return nil
	}
	if !v.enum([]any{key}, raw, options) {
		return nil
	}
	s := raw.(string)
	return &s
}

// optBool validates obj[key] as z.boolean().optional().
func (v *zodIssues) optBool(obj map[string]any, key string) *bool {
	raw, present := obj[key]
	if !present {
		return nil
	}
	b, ok := raw.(bool)
	if !ok {
		v.invalidType([]any{key}, "boolean", zodType(raw, true))
		return nil
	}
	return &b
}

// optNonNegNumber validates obj[key] as z.number().min(0).optional().
func (v *zodIssues) optNonNegNumber(obj map[string]any, key string) *float64 {
	raw, present := obj[key]
	if !present {
		return nil
	}
	f, ok := raw.(float64)
	if !ok {
		v.invalidType([]any{key}, "number", zodType(raw, true))
		return nil
	}
	if f < 0 {
		v.add(zodIssue{fields: ordObj{{"code", "too_small"}, {"minimum", 0}, {"type", "number"}, {"inclusive", true}, {"exact", false}},
			path: []any{key}, message: "Number must be greater than or equal to 0", msgFirst: true})
		return nil
	}
	return &f
}

// optStrings validates obj[key] as z.array(z.string()).optional().
func (v *zodIssues) optStrings(obj map[string]any, key string) []string {
	raw, present := obj[key]
	if !present {
		return nil
	}
	arr, ok := raw.([]any)
	if !ok {
		v.invalidType([]any{key}, "array", zodType(raw, true))
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, x := range arr {
		s, ok := x.(string)
		if !ok {
			v.invalidType([]any{key, i}, "string", zodType(x, true))
			continue
		}
		out = append(out, s)
	}
	return out
}

// coerceInt is z.coerce.number().int() with a lower bound (positive() when
// minimum is 1 and used for page/limit, min(0) otherwise) and an optional
// upper bound, on a query value.
func (v *zodIssues) coerceInt(key, s string, minimum int, hasMax bool, max int) int {
	path := []any{key}
	f := jsNumber(s)
	if math.IsNaN(f) {
		v.invalidType(path, "number", "nan")
		return 0
	}
	if math.IsInf(f, 0) || f != math.Trunc(f) {
		v.add(zodIssue{fields: ordObj{{"code", "invalid_type"}, {"expected", "integer"}, {"received", "float"}},
			path: path, message: "Expected integer, received float", msgFirst: true})
	}
	if minimum == 1 && !(f > 0) {
		v.add(zodIssue{fields: ordObj{{"code", "too_small"}, {"minimum", 0}, {"type", "number"}, {"inclusive", false}, {"exact", false}},
			path: path, message: "Number must be greater than 0", msgFirst: true})
	} else if minimum == 0 && f < 0 {
		v.add(zodIssue{fields: ordObj{{"code", "too_small"}, {"minimum", 0}, {"type", "number"}, {"inclusive", true}, {"exact", false}},
			path: path, message: "Number must be greater than or equal to 0", msgFirst: true})
	}
	if hasMax && f > float64(max) {
		v.add(zodIssue{fields: ordObj{{"code", "too_big"}, {"maximum", max}, {"type", "number"}, {"inclusive", true}, {"exact", false}},
			path: path, message: fmt.Sprintf("Number must be less than or equal to %d", max), msgFirst: true})
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0
	}
	return int(f)
}

// queryBool parses a boolean query flag: true/1, false/0 or "" (false).
func (v *zodIssues) queryBool(key, s string) bool {
	switch s {
	case "true", "1":
		return true
	case "false", "0", "":
		return false
	}
	v.enum([]any{key}, s, queryBoolValues)
	return false
}

var jsDecimal = regexp.MustCompile(`^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Infinity)$`)

// jsNumber is JavaScript's Number(string).
func jsNumber(s string) float64 {
	s = strings.TrimFunc(s, func(r rune) bool {
		switch r {
		case '\t', '\n', '\v', '\f', '\r', ' ', '\u00a0', '\u1680', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff':
			return true
		}
		return r >= '\u2000' && r <= '\u200a'
	})
	if s == "" {
		return 0
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			n, err := strconv.ParseUint(s[2:], base, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					return parseDigits(s[2:], base)
				}
				return math.NaN()
			}
			return float64(n)
		}
	}
	if !jsDecimal.MatchString(s) {
		return math.NaN()
	}
	switch s {
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f // ±Inf or 0, as JavaScript rounds
		}
		return math.NaN()
	}
	return f
}

// parseDigits reads a hex, octal or binary literal too long for uint64.
func parseDigits(digits string, base int) float64 {
	f := 0.0
	for _, r := range digits {
		d, err := strconv.ParseUint(string(r), base, 8)
		if err != nil {
			return math.NaN()
		}
		f = f*float64(base) + float64(d)
	}
	return f
}
