package api

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// profileRoutes registers the /api/profile routes of contract §2.8 and
// /api/profile/skills (identical to /api/skills, §2.9). Every route uses
// auth; none is rate-limited per user.
func (a *App) profileRoutes() {
	a.e.GET("/api/profile", a.handleGetProfile, a.authenticate)
	a.e.PATCH("/api/profile", a.handleUpdateProfile, a.authenticate)
	for _, r := range []*profileRows{workExperienceRows, educationRows} {
		base := "/api/profile/" + r.path
		a.e.GET(base, a.listProfileRows(r), a.authenticate)
		a.e.POST(base, a.addProfileRow(r), a.authenticate)
		a.e.PATCH(base+"/:id", a.updateProfileRow(r), a.authenticate)
		a.e.DELETE(base+"/:id", a.deleteProfileRow(r), a.authenticate)
	}
	a.e.GET("/api/profile/skills", a.handleListSkills, a.authenticate)
	a.e.POST("/api/profile/skills", a.handleAddSkill, a.authenticate)
	a.e.PATCH("/api/profile/skills/:id", a.handleUpdateSkill, a.authenticate)
	a.e.DELETE("/api/profile/skills/:id", a.handleDeleteSkill, a.authenticate)
	a.e.POST("/api/profile/avatar", a.handleUploadAvatar, a.authenticate)
	a.e.DELETE("/api/profile/avatar", a.handleDeleteAvatar, a.authenticate)
}

// profileFail logs "[Profile] Error {doing} {what}: err" and answers the
// E-local 500 "Failed to {do} {what}" with the raw message.
//
// Differs from the original: a value too large for a D1 row is the request's
// fault, so it is the 400 readJSONBody gives an unusable body, with D1's
// message as the reason, not a 500.
func (a *App) profileFail(c echo.Context, doing, do, what string, err error) error {
	a.consoleError(c, "[Profile] Error %s %s: %v", doing, what, err)
	if tooBigForD1(err) {
		return bodyError(err.Error())
	}
	return localFail(c, "Failed to "+do+" "+what, err)
}

// tooBigForD1 reports D1's refusal of a value or row over its 2,000,000-byte
// limit (SQLITE_TOOBIG).
func tooBigForD1(err error) bool {
	var de *runtime.D1Error
	return errors.As(err, &de) && strings.Contains(de.Error(), "SQLITE_TOOBIG")
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

// ---- PATCH /api/profile ----

// profileColumns are profileUpdateSchema's keys, in its order: each is an
// optional string; photo_url may also be null.
var profileColumns = []string{"first_name", "last_name", "phone", "location", "linkedin_url", "photo_url", "current_title", "professional_summary"}

// handleUpdateProfile sets the provided columns of the user's row.
func (a *App) handleUpdateProfile(c echo.Context) error {
	uid := userID(c)
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var v zodIssues
	var set ordObj
	if obj, ok := v.object(body); ok {
		for _, col := range profileColumns {
			s := v.str(obj, col, true, col == "photo_url", 0, "", 0)
			if _, present := obj[col]; present {
				set = append(set, ordKV{col, strOrNil(s)})
			}
		}
	}
	if len(v) > 0 {
		return v.localError(c, "Invalid profile data")
	}
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	fail := func(err error) error { return a.profileFail(c, "updating", "update", "profile", err) }
	cols, args := setClause(set)
	res, err := db.Prepare("UPDATE users SET " + cols + "updated_at = ? WHERE id = ?").Bind(append(args, isoTime(a.clock.Now()), uid)...).Run(ctx)
	if err != nil {
		return fail(err)
	}
	if res.Meta.Changes == 0 {
		return localMessage(c, http.StatusNotFound, "Profile not found")
	}
	profile, err := d1Row(ctx, db.Prepare("SELECT * FROM users WHERE id = ?").Bind(uid))
	if err != nil {
		return fail(err)
	}
	a.profileChanged(c, uid)
	a.consoleLog(c, "[Profile] Updated profile for user %s, background updates queued", uid)
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Profile updated successfully"}, {"profile", profile}})
}

// setClause is "a = ?, b = ?, " for the columns of set, and their values.
func setClause(set ordObj) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(set)+3)
	for _, kv := range set {
		b.WriteString(kv.Key + " = ?, ")
		args = append(args, kv.Value)
	}
	return b.String(), args
}

// strOrNil binds a validated string as it came, nil (absent or null) as NULL.
func strOrNil(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// ---- work experience and education: the per-user lists of a profile ----

// profileRows is one of the lists under /api/profile (work_experience,
// education). Both have the same four routes; their messages are built
// from the noun ("Work experience added successfully", "Failed to fetch
// education", "Education not found or access denied", ...).
type profileRows struct {
	path  string // under /api/profile/
	table string
	noun  string // lower case, as in the console lines
	one   string // JSON key of the row in the POST and PATCH answers
	list  string // JSON key of the GET answer's list
	// columns validates a body (the schema's .partial() for PATCH) and
	// returns the columns to write with their values: every column for
	// POST, the provided ones for PATCH.
	columns func(body any, partial bool) (ordObj, zodIssues)
}

func (r *profileRows) title() string { return strings.ToUpper(r.noun[:1]) + r.noun[1:] }

var (
	workExperienceRows = &profileRows{path: "work-experience", table: "work_experience", noun: "work experience",
		one: "experience", list: "workExperience", columns: workExperienceColumns}
	educationRows = &profileRows{path: "education", table: "education", noun: "education",
		one: "education", list: "education", columns: educationColumns}
)

// workExperienceColumns is workExperienceSchema: title and company
// (min 1), description (nullable), start_date, end_date (nullable),
// is_current. The frontend's API client sends the position as "title";
// "position" is accepted when "title" is absent. Differs from the
// original: location and accomplishments, which the frontend sends and the
// table has, are validated and stored (the original dropped them).
//
// POST binds "" as NULL for description, end_date and location and
// defaults is_current to false, as the original; PATCH binds the values as
// they came.
func workExperienceColumns(body any, partial bool) (ordObj, zodIssues) {
	var v zodIssues
	obj, ok := v.object(body)
	if !ok {
		return nil, v
	}
	titleKey := "title"
	if _, has := obj["title"]; !has {
		if _, hasPos := obj["position"]; hasPos {
			titleKey = "position"
		}
	}
	title := v.str(obj, titleKey, partial, false, 1, "Title is required", 0)
	company := v.str(obj, "company", partial, false, 1, "Company is required", 0)
	description := v.str(obj, "description", true, true, 0, "", 0)
	start := v.str(obj, "start_date", partial, false, 0, "", 0)
	end := v.str(obj, "end_date", true, true, 0, "", 0)
	current := v.optBool(obj, "is_current")
	location := v.str(obj, "location", true, true, 0, "", 0)
	var accomplishments []string
	if raw, present := obj["accomplishments"]; !present || raw != nil {
		accomplishments = v.optStrings(obj, "accomplishments")
	}
	if len(v) > 0 {
		return nil, v
	}
	if !partial {
		return ordObj{
			{"title", *title}, {"company", *company}, {"description", nullable(description)}, {"start_date", *start},
			{"end_date", nullable(end)}, {"is_current", current != nil && *current}, {"location", nullable(location)},
			{"accomplishments", jsonStrings(accomplishments)},
		}, nil
	}
	isCurrent := any(nil)
	if current != nil {
		isCurrent = *current
	}
	return providedColumns(obj, [][2]string{
		{titleKey, "title"}, {"company", "company"}, {"description", "description"}, {"start_date", "start_date"},
		{"end_date", "end_date"}, {"is_current", "is_current"}, {"location", "location"}, {"accomplishments", "accomplishments"},
	}, []any{strOrNil(title), strOrNil(company), strOrNil(description), strOrNil(start), strOrNil(end), isCurrent,
		strOrNil(location), jsonStrings(accomplishments)}), nil
}

// educationColumns is educationSchema, in the frontend's camelCase:
// school (min 1) → institution, degree, field → field_of_study,
// startDate → start_date, endDate (nullable) → end_date, highlights (a
// string list) → description, joined with newlines. Empty values are
// stored as NULL, in POST and PATCH alike.
func educationColumns(body any, partial bool) (ordObj, zodIssues) {
	var v zodIssues
	obj, ok := v.object(body)
	if !ok {
		return nil, v
	}
	school := v.str(obj, "school", partial, false, 1, "School/institution is required", 0)
	degree := v.str(obj, "degree", true, false, 0, "", 0)
	field := v.str(obj, "field", true, false, 0, "", 0)
	start := v.str(obj, "startDate", true, false, 0, "", 0)
	end := v.str(obj, "endDate", true, true, 0, "", 0)
	var description *string
	if highlights := v.optStrings(obj, "highlights"); highlights != nil {
		joined := strings.Join(highlights, "\n")
		description = &joined
	}
	if len(v) > 0 {
		return nil, v
	}
	keys := [][2]string{{"school", "institution"}, {"degree", "degree"}, {"field", "field_of_study"},
		{"startDate", "start_date"}, {"endDate", "end_date"}, {"highlights", "description"}}
	values := []any{strOrNil(school), nullable(degree), nullable(field), nullable(start), nullable(end), nullable(description)}
	if !partial {
		cols := make(ordObj, len(keys))
		for i, k := range keys {
			cols[i] = ordKV{k[1], values[i]}
		}
		return cols, nil
	}
	return providedColumns(obj, keys, values), nil
}

// providedColumns keeps, in order, the columns whose body key (keys[i][0])
// is present in obj, with values[i].
func providedColumns(obj map[string]any, keys [][2]string, values []any) ordObj {
	set := ordObj{}
	for i, k := range keys {
		if _, present := obj[k[0]]; present {
			set = append(set, ordKV{k[1], values[i]})
		}
	}
	return set
}

// jsonStrings stores a string list as JSON text; nil is NULL.
func jsonStrings(l []string) any {
	if l == nil {
		return nil
	}
	b, _ := json.Marshal(l)
	return string(b)
}

// read reads and validates a body; a refused one is answered with the
// E-local 400 "Invalid {noun} data".
func (r *profileRows) read(c echo.Context, partial bool) (ordObj, error) {
	body, err := readJSONBody(c)
	if err != nil {
		return nil, err
	}
	cols, issues := r.columns(body, partial)
	if len(issues) > 0 {
		return nil, issues.localError(c, "Invalid "+r.noun+" data")
	}
	return cols, nil
}

func (a *App) listProfileRows(r *profileRows) echo.HandlerFunc {
	return func(c echo.Context) error {
		rows, err := d1Rows(c.Request().Context(), a.env.D1["DB"].
			Prepare("SELECT * FROM "+r.table+" WHERE user_id = ? ORDER BY start_date DESC").Bind(userID(c)))
		if err != nil {
			return a.profileFail(c, "fetching", "fetch", r.noun, err)
		}
		return writeJSON(c, http.StatusOK, ordObj{{"message", r.title() + " fetched successfully"}, {r.list, rows}})
	}
}

func (a *App) addProfileRow(r *profileRows) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid := userID(c)
		cols, err := r.read(c, false)
		if err != nil || c.Response().Committed {
			return err
		}
		ctx := c.Request().Context()
		db := a.env.D1["DB"]
		fail := func(err error) error { return a.profileFail(c, "adding", "add", r.noun, err) }
		id := newUUID()
		now := isoTime(a.clock.Now())
		names := "id, user_id"
		args := []any{id, uid}
		for _, kv := range cols {
			names += ", " + kv.Key
			args = append(args, kv.Value)
		}
		args = append(args, now, now)
		marks := strings.Repeat("?, ", len(args)-1) + "?"
		if _, err := db.Prepare("INSERT INTO " + r.table + " (" + names + ", created_at, updated_at) VALUES (" + marks + ")").Bind(args...).Run(ctx); err != nil {
			return fail(err)
		}
		row, err := d1Row(ctx, db.Prepare("SELECT * FROM "+r.table+" WHERE id = ?").Bind(id))
		if err != nil {
			return fail(err)
		}
		a.profileChanged(c, uid)
		a.consoleLog(c, "[Profile] Added %s for user %s, background updates queued", r.noun, uid)
		return writeJSON(c, http.StatusOK, ordObj{{"message", r.title() + " added successfully"}, {r.one, row}})
	}
}

// updateProfileRow is PATCH /:id. Migration 0003 rebuilt
// work_experience_fts, so updating an existing work_experience row works
// and keeps the full-text index in step (the original failed with
// "no such column: T.work_id").
func (a *App) updateProfileRow(r *profileRows) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid := userID(c)
		id := c.Param("id")
		set, err := r.read(c, true)
		if err != nil || c.Response().Committed {
			return err
		}
		ctx := c.Request().Context()
		db := a.env.D1["DB"]
		fail := func(err error) error { return a.profileFail(c, "updating", "update", r.noun, err) }
		cols, args := setClause(set)
		res, err := db.Prepare("UPDATE " + r.table + " SET " + cols + "updated_at = ? WHERE id = ? AND user_id = ?").
			Bind(append(args, isoTime(a.clock.Now()), id, uid)...).Run(ctx)
		if err != nil {
			return fail(err)
		}
		if res.Meta.Changes == 0 {
			return localMessage(c, http.StatusNotFound, r.title()+" not found or access denied")
		}
		row, err := d1Row(ctx, db.Prepare("SELECT * FROM "+r.table+" WHERE id = ? AND user_id = ?").Bind(id, uid))
		if err != nil {
			return fail(err)
		}
		a.profileChanged(c, uid)
		a.consoleLog(c, "[Profile] Updated %s %s for user %s, background updates queued", r.noun, id, uid)
		return writeJSON(c, http.StatusOK, ordObj{{"message", r.title() + " updated successfully"}, {r.one, row}})
	}
}

// deleteProfileRow is DELETE /:id (for work experience it works since
// migration 0003, as updateProfileRow does).
func (a *App) deleteProfileRow(r *profileRows) echo.HandlerFunc {
	return func(c echo.Context) error {
		uid := userID(c)
		id := c.Param("id")
		res, err := a.env.D1["DB"].Prepare("DELETE FROM "+r.table+" WHERE id = ? AND user_id = ?").Bind(id, uid).Run(c.Request().Context())
		if err != nil {
			return a.profileFail(c, "deleting", "delete", r.noun, err)
		}
		if res.Meta.Changes == 0 {
			return localMessage(c, http.StatusNotFound, r.title()+" not found or access denied")
		}
		a.profileChanged(c, uid)
		a.consoleLog(c, "[Profile] Deleted %s %s for user %s, background updates queued", r.noun, id, uid)
		return writeJSON(c, http.StatusOK, ordObj{{"message", r.title() + " deleted successfully"}})
	}
}

// ---- avatars: POST and DELETE /api/profile/avatar (§2.8, §1.5, §4.7) ----

const (
	maxAvatarSize = 5 << 20 // 5 MiB, validateFileSize's limit for avatars
	// maxUploadBody bounds a multipart body (Workers refuse request bodies
	// over 100 MB); an avatar part is measured up to it.
	maxUploadBody  = 100 << 20
	avatarURLTTL   = 24 * time.Hour // getDownloadUrl(AVATARS, key, 86400)
	downloadPrefix = "/api/files/download/"
	maxR2Key       = 1024 // bytes in an R2 key
)

var avatarTypes = []string{"jpg", "jpeg", "png", "webp", "gif"}

// formFile is the first multipart entry of a field, when it is a file.
type formFile struct {
	name, contentType string
	data              []byte // at most max+1 bytes
	size              int64  // the whole file's size
}

// errNoFile: the field is missing or is a plain string (formData.get(name)
// is null or a string).
var errNoFile = errors.New("No file provided")

// readFormFile reads field from a multipart/form-data body, keeping at most
// max+1 bytes of it in memory and counting the rest. A body that is not
// multipart/form-data has no file.
func readFormFile(c echo.Context, field string, max int64) (formFile, error) {
	req := c.Request()
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		return formFile{}, errNoFile
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxUploadBody)
	mr, err := req.MultipartReader()
	if err != nil {
		return formFile{}, errNoFile
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return formFile{}, errNoFile
		}
		if err != nil {
			return formFile{}, err
		}
		if part.FormName() != field {
			continue
		}
		// A file entry is one whose Content-Disposition has a filename
		// (FormData keeps an empty one; Part.FileName does not say).
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name, isFile := params["filename"]
		if !isFile {
			return formFile{}, errNoFile
		}
		if i := strings.LastIndexAny(name, `/\`); i >= 0 {
			name = name[i+1:]
		}
		name = strings.ToValidUTF8(name, "\uFFFD") // File.name is a USVString
		f := formFile{name: name, contentType: part.Header.Get("Content-Type")}
		var buf bytes.Buffer
		n, err := io.CopyN(&buf, part, max+1)
		if err == nil {
			var rest int64
			rest, err = io.Copy(io.Discard, part)
			n += rest
		}
		if err != nil && !errors.Is(err, io.EOF) {
			var tooBig *http.MaxBytesError
			if !errors.As(err, &tooBig) {
				return formFile{}, err
			}
			n = maxUploadBody + 1 // at least that much was sent
		}
		f.data, f.size = buf.Bytes(), n
		return f, nil
	}
}

// fileExtension is the text after the last '.' (the whole name without one).
func fileExtension(name string) string {
	return name[strings.LastIndex(name, ".")+1:]
}

// checkFileType is validateFileType: the lower-cased extension must be allowed.
func checkFileType(name string, allowed []string) error {
	ext := strings.ToLower(fileExtension(name))
	if ext != "" && slices.Contains(allowed, ext) {
		return nil
	}
	return fmt.Errorf("Invalid file type. Allowed types: %s", strings.Join(allowed, ", "))
}

// checkFileSize is validateFileSize, with sizes in MiB to two decimals.
func checkFileSize(size, max int64) error {
	if size <= max {
		return nil
	}
	return fmt.Errorf("File size %.2fMB exceeds maximum allowed size of %.2fMB", float64(size)/(1<<20), float64(max)/(1<<20))
}

// uniqueFilename is generateUniqueFilename: "{name without its last
// extension}-{epoch ms}-{6 base-36 characters}.{extension}", the name part
// shortened (on a character boundary) when the whole would exceed max bytes.
func uniqueFilename(name string, now time.Time, max int) string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var r [6]byte
	_, _ = rand.Read(r[:])
	for i := range r {
		r[i] = digits[int(r[i])%len(digits)]
	}
	base := name
	if i := strings.LastIndex(name, "."); i >= 0 && i < len(name)-1 {
		base = name[:i]
	}
	suffix := fmt.Sprintf("-%d-%s.%s", now.UnixMilli(), r[:], fileExtension(name))
	return truncateBytes(base, max-len(suffix)) + suffix
}

// truncateBytes cuts s to at most n bytes without splitting a character.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:max(n, 0)]
}

// fileDownloadURL is getDownloadUrl's URL: the authenticated download route
// with the key as one encodeURIComponent segment.
func fileDownloadURL(key string) string { return downloadPrefix + encodeURIComponent(key) }

// encodeURIComponent is JavaScript's: everything but A-Z a-z 0-9 - _ . ! ~ * ' ( )
// is percent-encoded as UTF-8.
func encodeURIComponent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if 'a' <= ch && ch <= 'z' || 'A' <= ch && ch <= 'Z' || '0' <= ch && ch <= '9' || strings.IndexByte("-_.!~*'()", ch) >= 0 {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}

// ownAvatarKey returns the R2 key behind a users.photo_url, when it is a
// download URL of an object under the user's own users/{uid}/profile/.
// Anything else (an external image, another user's object) has no key the
// avatar routes may delete.
func ownAvatarKey(uid, photoURL string) (string, bool) {
	enc, ok := strings.CutPrefix(photoURL, downloadPrefix)
	if !ok {
		return "", false
	}
	key, err := url.PathUnescape(enc)
	if err != nil || !strings.HasPrefix(key, "users/"+uid+"/profile/") || strings.Contains(key[len("users/"+uid+"/profile/"):], "/") {
		return "", false
	}
	return key, true
}

// photoURL reads users.photo_url; found is false when the user has no row.
func (a *App) photoURL(c echo.Context, uid string) (photo string, found bool, err error) {
	row, err := a.env.D1["DB"].Prepare("SELECT photo_url FROM users WHERE id = ?").Bind(uid).First(c.Request().Context())
	if err != nil || row == nil {
		return "", false, err
	}
	photo, _ = row["photo_url"].(string)
	return photo, true, nil
}

// handleUploadAvatar stores the multipart field "avatar" in AVATARS under
// users/{uid}/profile/{unique name} and points users.photo_url at it.
//
// Differs from the original: a wrong type is 415 and a file over 5 MiB is
// 413 (the original answered 500 to both, with the same body); a user
// without a users row gets 404 {"error":"Profile not found"} and nothing is
// stored; and the avatar replaced by the upload is deleted from R2 (the
// original left it behind). Uploads of one user are serialised, so two at
// once cannot both keep their object.
func (a *App) handleUploadAvatar(c echo.Context) error {
	uid := userID(c)
	ctx := c.Request().Context()
	a.consoleLog(c, "[Profile] Avatar upload request from user %s", uid)
	const failMsg = "Failed to upload avatar"
	fail := func(status int, err error) error {
		a.consoleError(c, "[Profile] Avatar upload failed: %v", err)
		return writeJSON(c, status, ordObj{{"error", failMsg}, {"message", err.Error()}})
	}
	file, err := readFormFile(c, "avatar", maxAvatarSize)
	if errors.Is(err, errNoFile) {
		return localMessage(c, http.StatusBadRequest, "No file provided")
	}
	if err != nil {
		status := http.StatusBadRequest
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		return fail(status, fmt.Errorf("Invalid multipart/form-data body: %w", err))
	}
	a.consoleLog(c, "[Profile] Received file: %s, size: %d bytes, type: %s", file.name, file.size, file.contentType)
	if err := checkFileType(file.name, avatarTypes); err != nil {
		return fail(http.StatusUnsupportedMediaType, err)
	}
	if err := checkFileSize(file.size, maxAvatarSize); err != nil {
		return fail(http.StatusRequestEntityTooLarge, err)
	}

	defer a.keyLocks.lock("avatar:" + uid)()
	old, found, err := a.photoURL(c, uid)
	if err != nil {
		return fail(http.StatusInternalServerError, err)
	}
	if !found {
		return localMessage(c, http.StatusNotFound, "Profile not found")
	}
	bucket := a.env.R2["AVATARS"]
	now := a.clock.Now()
	// Differs from the original: a name too long for an R2 key (1024 bytes)
	// or its metadata (8 KiB) is shortened instead of failing the put.
	prefix := "users/" + uid + "/profile/"
	key := prefix + uniqueFilename(file.name, now, maxR2Key-len(prefix))
	a.consoleLog(c, "[Profile] Uploading to R2 with key: %s", key)
	obj, err := bucket.Put(ctx, key, bytes.NewReader(file.data), runtime.R2PutOptions{
		HTTPMetadata:   runtime.R2HTTPMetadata{ContentType: file.contentType},
		CustomMetadata: map[string]string{"userId": uid, "originalName": truncateBytes(file.name, maxR2Key), "uploadedAt": isoTime(now)},
	})
	if err != nil {
		return fail(http.StatusInternalServerError, fmt.Errorf("Failed to upload file: %w", err))
	}
	a.consoleLog(c, "[Profile] Upload successful: %s", obj.Key)
	if head, err := bucket.Head(ctx, key); err != nil || head == nil {
		if err == nil {
			err = errors.New("File not found: " + key)
		}
		return fail(http.StatusInternalServerError, fmt.Errorf("Failed to generate download URL: %w", err))
	}
	link := fileDownloadURL(key)
	db := a.env.D1["DB"]
	res, err := db.Prepare("UPDATE users SET photo_url = ?, updated_at = ? WHERE id = ?").Bind(link, isoTime(now), uid).Run(ctx)
	if err == nil && res.Meta.Changes == 0 {
		a.consoleError(c, "[Profile] Failed to update profile with avatar URL - user not found")
		if err := bucket.Delete(ctx, key); err != nil {
			a.consoleError(c, "[Profile] Failed to delete %s: %v", key, err)
		}
		return localMessage(c, http.StatusNotFound, "Profile not found")
	}
	if err != nil {
		if derr := bucket.Delete(ctx, key); derr != nil {
			a.consoleError(c, "[Profile] Failed to delete %s: %v", key, derr)
		}
		return fail(http.StatusInternalServerError, err)
	}
	if oldKey, ok := ownAvatarKey(uid, old); ok && oldKey != key {
		if err := bucket.Delete(ctx, oldKey); err != nil {
			a.consoleError(c, "[Profile] Failed to delete the previous avatar %s: %v", oldKey, err)
		} else {
			a.consoleLog(c, "[Profile] Deleted the previous avatar %s", oldKey)
		}
	}
	profile, err := d1Row(ctx, db.Prepare("SELECT * FROM users WHERE id = ?").Bind(uid))
	if err != nil {
		return fail(http.StatusInternalServerError, err)
	}
	a.consoleLog(c, "[Profile] Avatar uploaded successfully for user %s", uid)
	return writeJSON(c, http.StatusOK, ordObj{
		{"message", "Avatar uploaded successfully"},
		{"file", ordObj{{"key", obj.Key}, {"size", obj.Size}, {"url", link}, {"expiresAt", isoTime(now.Add(avatarURLTTL))}}},
		{"profile", profile},
	})
}

// handleDeleteAvatar removes the user's avatar. Differs from the original,
// which passed the download URL to R2 as the key and so never deleted the
// object: the key is read back from the URL and the object deleted, when it
// is under the user's own users/{uid}/profile/ (a photo_url set to anything
// else through PATCH /api/profile is only cleared).
func (a *App) handleDeleteAvatar(c echo.Context) error {
	uid := userID(c)
	ctx := c.Request().Context()
	a.consoleLog(c, "[Profile] Avatar deletion request from user %s", uid)
	fail := func(err error) error {
		a.consoleError(c, "[Profile] Avatar deletion failed: %v", err)
		return localFail(c, "Failed to delete avatar", err)
	}
	defer a.keyLocks.lock("avatar:" + uid)()
	photo, _, err := a.photoURL(c, uid)
	if err != nil {
		return fail(err)
	}
	if photo == "" {
		return localMessage(c, http.StatusNotFound, "No avatar found")
	}
	if key, ok := ownAvatarKey(uid, photo); ok {
		if err := a.env.R2["AVATARS"].Delete(ctx, key); err != nil {
			return fail(fmt.Errorf("Failed to delete file: %w", err))
		}
	} else {
		a.consoleLog(c, "[Profile] photo_url of user %s is not an uploaded avatar; nothing deleted from R2", uid)
	}
	res, err := a.env.D1["DB"].Prepare("UPDATE users SET photo_url = NULL, updated_at = ? WHERE id = ?").Bind(isoTime(a.clock.Now()), uid).Run(ctx)
	if err == nil && res.Meta.Changes == 0 {
		err = errors.New("Failed to update profile")
	}
	if err != nil {
		return fail(err)
	}
	a.consoleLog(c, "[Profile] Avatar deleted successfully for user %s", uid)
	return writeJSON(c, http.StatusOK, ordObj{{"message", "Avatar deleted successfully"}})
}
