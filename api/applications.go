package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"jobmatch-edge/runtime"
)

// applicationsRoutes registers the /api/applications routes (contract
// §2.2, §4.6). Generate and create run the per-user limiter after auth
// (generate 20 per hour, create the default 100 per 15 minutes; see
// endpointLimits); the others use auth only.
func (a *App) applicationsRoutes() {
	a.e.POST("/api/applications/generate", a.handleGenerateApplication, a.authenticate, a.rateLimit)
	a.e.POST("/api/applications", a.handleCreateApplication, a.authenticate, a.rateLimit)
	a.e.GET("/api/applications", a.handleListApplications, a.authenticate)
	a.e.GET("/api/applications/:id", a.handleGetApplication, a.authenticate)
	a.e.PATCH("/api/applications/:id", a.handleUpdateApplication, a.authenticate)
	a.e.DELETE("/api/applications/:id", a.handleDeleteApplication, a.authenticate)
}

// jobIDPattern is the generate schema's regex (zod: "Invalid job ID format").
var jobIDPattern = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)

// applicationStrategy is one of GENERATION_STRATEGIES.
type applicationStrategy struct {
	ID, Name, Prompt string
}

// applicationStrategies are the three variants, always in this order.
var applicationStrategies = []applicationStrategy{
	{"variant-impact", "Impact-Focused", "Focus on metrics and business impact"},
	{"variant-keyword", "Keyword-Optimized", "Maximize ATS keyword matches"},
	{"variant-concise", "Concise", "Streamlined one-page version"},
}

// ---- the generation context, mapped from D1 rows (intended columns) ----

type genJob struct {
	Title, Company, Location, WorkArrangement, Description string
	SalaryMin, SalaryMax                                   float64
	RequiredSkills                                         []string
}

type genProfile struct {
	FirstName, LastName, Email, Phone, Location, Summary string
}

type genExperience struct {
	Title, Company, Location, StartDate, EndDate string
	Current                                      bool
	Accomplishments                              []string
}

type genEducation struct {
	Degree, Field, School, EndDate string
}

type genContext struct {
	Job        genJob
	Profile    genProfile
	Experience []genExperience
	Education  []genEducation
	Skills     []string
}

// ---- variants ----

// applicationVariant is one generated (or fallback) variant. Resume and
// AIRationale keep the model's JSON as it came (key order included).
type applicationVariant struct {
	ID          string
	Name        string
	Resume      json.RawMessage
	CoverLetter string
	AIRationale json.RawMessage
}

// variantJSON is a variant in the 201 body (camelCase keys).
type variantJSON struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Resume      json.RawMessage `json:"resume"`
	CoverLetter string          `json:"coverLetter"`
	AIRationale json.RawMessage `json:"aiRationale"`
}

// storedVariant is a variant in applications.variants (snake_case keys).
type storedVariant struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	Resume      json.RawMessage `json:"resume"`
	CoverLetter string          `json:"cover_letter"`
	AIRationale json.RawMessage `json:"ai_rationale"`
}

// generateResponse is the 201 body of §2.2, in its key order.
type generateResponse struct {
	ID                string        `json:"id"`
	JobID             string        `json:"jobId"`
	JobTitle          string        `json:"jobTitle"`
	Company           string        `json:"company"`
	Status            string        `json:"status"`
	CreatedAt         string        `json:"createdAt"`
	Variants          []variantJSON `json:"variants"`
	SelectedVariantID string        `json:"selectedVariantId"`
}

// handleGenerateApplication is POST /api/applications/generate.
func (a *App) handleGenerateApplication(c echo.Context) error {
	uid := userID(c)
	body, err := readJSONBody(c)
	if err != nil {
		return err
	}
	var v zodIssues
	var jobID string
	if obj, ok := v.object(body); ok {
		if s := v.str(obj, "jobId", false, false, 1, "Job ID is required", 0); s != nil {
			jobID = *s
			if !jobIDPattern.MatchString(jobID) {
				v.add(zodIssue{fields: ordObj{{"validation", "regex"}, {"code", "invalid_string"}}, path: []any{"jobId"},
					message: "Invalid job ID format", msgFirst: true})
			}
		}
	}
	if len(v) > 0 {
		return v.validationError("Invalid request body")
	}

	a.consoleLog(c, "Generating application for user %s, job %s", uid, jobID)
	ctx := c.Request().Context()
	db := a.env.D1["DB"]

	// Differs from the original: the job must belong to the user (the
	// original loads any job by id).
	job, err := db.Prepare("SELECT * FROM jobs WHERE id = ? AND user_id = ?").Bind(jobID, uid).First(ctx)
	if err != nil {
		return err
	}
	if job == nil {
		return notFoundError("Job", jobID)
	}
	profile, err := db.Prepare("SELECT * FROM users WHERE id = ?").Bind(uid).First(ctx)
	if err != nil {
		return err
	}
	if profile == nil {
		return notFoundError("User profile", "")
	}
	work, err := db.Prepare("SELECT * FROM work_experience WHERE user_id = ? ORDER BY start_date DESC").Bind(uid).All(ctx)
	if err != nil {
		return err
	}
	if len(work.Results) == 0 {
		return validationError("Add work experience to your profile first",
			map[string]string{"workExperience": "At least one work experience entry is required"})
	}
	edu, err := db.Prepare("SELECT * FROM education WHERE user_id = ? ORDER BY end_date DESC").Bind(uid).All(ctx)
	if err != nil {
		return err
	}
	// The intended column: the original orders by "endorsements", which
	// the schema does not have.
	skills, err := db.Prepare("SELECT * FROM skills WHERE user_id = ? ORDER BY endorsed_count DESC").Bind(uid).All(ctx)
	if err != nil {
		return err
	}

	gc := genContext{Job: mapJob(job), Profile: mapProfile(profile)}
	for _, r := range work.Results {
		gc.Experience = append(gc.Experience, mapExperience(r))
	}
	for _, r := range edu.Results {
		gc.Education = append(gc.Education, mapEducation(r))
	}
	for _, r := range skills.Results {
		gc.Skills = append(gc.Skills, rowString(r, "name"))
	}

	variants := a.generateApplicationVariants(c, gc)

	now := isoTime(a.clock.Now())
	id := newUUID()
	stored := make([]storedVariant, len(variants))
	out := make([]variantJSON, len(variants))
	for i, vr := range variants {
		stored[i] = storedVariant(vr)
		out[i] = variantJSON(vr)
	}
	variantsText, err := json.Marshal(stored)
	if err != nil {
		return err
	}
	selected := variants[0].ID
	if _, err := db.Prepare(`INSERT INTO applications (
		id, user_id, job_id, job_title, company, status, selected_variant_id, variants, created_at, updated_at
	) VALUES (?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?)`).
		Bind(id, uid, jobID, gc.Job.Title, gc.Job.Company, selected, string(variantsText), now, now).Run(ctx); err != nil {
		a.consoleError(c, "Failed to save application: %v", err)
		return errors.New("Failed to save application")
	}
	a.consoleLog(c, "Application created: %s", id)
	return writeJSON(c, http.StatusCreated, generateResponse{
		ID: id, JobID: jobID, JobTitle: gc.Job.Title, Company: gc.Job.Company, Status: "draft",
		CreatedAt: now, Variants: out, SelectedVariantID: selected,
	})
}

// variantCall is one strategy's generation in flight.
type variantCall struct {
	client *openAIClient
	err    error
	res    chatResult
}

// generateApplicationVariants generates the three variants. As in the
// original, the three requests run at the same time and a failed variant
// is replaced by its deterministic fallback. The console lines come out in
// strategy order whatever order the answers arrive in.
func (a *App) generateApplicationVariants(c echo.Context, gc genContext) []applicationVariant {
	ctx := c.Request().Context()
	user := buildVariantUserPrompt(gc)
	calls := make([]variantCall, len(applicationStrategies))
	var wg sync.WaitGroup
	for i, s := range applicationStrategies {
		call := &calls[i]
		// createOpenAI runs once per variant, as in the original.
		call.client, call.err = a.createOpenAI(c)
		if call.err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			call.res, call.err = call.client.chat(ctx, chatRequest{
				Model: modelApplicationGeneration,
				Messages: []chatMessage{
					{Role: "system", Content: buildVariantSystemPrompt(s.Prompt)},
					{Role: "user", Content: user},
				},
				Temperature:    generationTemperature,
				MaxTokens:      generationMaxTokens,
				ResponseFormat: &responseFormat{Type: "json_object"},
			})
		}()
	}
	wg.Wait()

	variants := make([]applicationVariant, len(applicationStrategies))
	for i, s := range applicationStrategies {
		call := &calls[i]
		a.logAIGatewayCacheStatus(c, call.res.CacheStatus, "application-generation", s.Name)
		var v applicationVariant
		err := call.err
		if err == nil {
			v, err = parseVariantContent(call.res.Content)
		}
		if err != nil {
			a.consoleError(c, "Variant generation failed for %s: Error: %v", s.Name, err)
			v = fallbackVariant(gc, s)
		}
		v.ID, v.Name = s.ID, s.Name
		variants[i] = v
	}
	return variants
}

// parseVariantContent reads the model's JSON answer. Differs from the
// original (which spreads whatever JSON.parse returns into the variant): an
// answer without a resume object, a coverLetter string and an aiRationale
// array counts as a failed generation, so the variant falls back.
func parseVariantContent(content string) (applicationVariant, error) {
	var parts map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &parts); err != nil || parts == nil {
		if err == nil {
			err = errors.New("not a JSON object")
		}
		return applicationVariant{}, fmt.Errorf("invalid JSON in OpenAI response: %v", err)
	}
	var v applicationVariant
	if r := parts["resume"]; jsonKind(r) != '{' {
		return v, errors.New("OpenAI response has no resume object")
	}
	if err := json.Unmarshal(parts["coverLetter"], &v.CoverLetter); err != nil || jsonKind(parts["coverLetter"]) != '"' {
		return v, errors.New("OpenAI response has no coverLetter string")
	}
	if jsonKind(parts["aiRationale"]) != '[' {
		return v, errors.New("OpenAI response has no aiRationale array")
	}
	v.Resume = compactJSON(parts["resume"])
	v.AIRationale = compactJSON(parts["aiRationale"])
	return v, nil
}

// jsonKind is the first byte of a JSON value ('{', '[', '"', ...), or 0.
func jsonKind(raw json.RawMessage) byte {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b
	}
	return 0
}

func compactJSON(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return raw
	}
	return buf.Bytes()
}

// ---- fallback (getFallbackVariant) ----

type fallbackExperience struct {
	Title     string   `json:"title"`
	Company   string   `json:"company"`
	Location  string   `json:"location"`
	StartDate string   `json:"startDate"`
	EndDate   string   `json:"endDate"`
	Bullets   []string `json:"bullets"`
}

type fallbackEducation struct {
	Degree     string `json:"degree"`
	School     string `json:"school"`
	Location   string `json:"location"`
	Graduation string `json:"graduation"`
}

type fallbackResume struct {
	Summary    string               `json:"summary"`
	Experience []fallbackExperience `json:"experience"`
	Skills     []string             `json:"skills"`
	Education  []fallbackEducation  `json:"education"`
}

// fallbackVariant is the deterministic variant of §4.6 for a strategy
// whose generation failed.
func fallbackVariant(gc genContext, s applicationStrategy) applicationVariant {
	top := gc.Job.RequiredSkills
	if len(top) > 3 {
		top = top[:3]
	}
	topSkills := strings.Join(top, ", ")
	if topSkills == "" {
		topSkills = "various technologies"
	}
	r := fallbackResume{
		Summary:    fmt.Sprintf("%s with expertise in %s", gc.Job.Title, topSkills),
		Experience: []fallbackExperience{},
		Skills:     []string{},
		Education:  []fallbackEducation{},
	}
	for i, e := range gc.Experience {
		if i == 3 {
			break
		}
		end := e.EndDate
		if e.Current {
			end = "Present"
		}
		bullets := e.Accomplishments
		if len(bullets) > 3 {
			bullets = bullets[:3]
		}
		if bullets == nil {
			bullets = []string{}
		}
		r.Experience = append(r.Experience, fallbackExperience{e.Title, e.Company, e.Location, e.StartDate, end, bullets})
	}
	for i, name := range gc.Skills {
		if i == 10 {
			break
		}
		r.Skills = append(r.Skills, name)
	}
	for _, e := range gc.Education {
		r.Education = append(r.Education, fallbackEducation{Degree: degreeInField(e.Degree, e.Field), School: e.School, Graduation: e.EndDate})
	}
	resume, _ := json.Marshal(r)
	rationale, _ := json.Marshal([]string{"Fallback generation used", s.Name + " strategy applied"})
	return applicationVariant{
		ID: s.ID, Name: s.Name, Resume: resume,
		CoverLetter: fmt.Sprintf("Dear Hiring Manager,\n\nI am interested in the %s position at %s.\n\nBest regards,\n%s %s",
			gc.Job.Title, gc.Job.Company, gc.Profile.FirstName, gc.Profile.LastName),
		AIRationale: rationale,
	}
}

// degreeInField is "{degree} in {field}" without the missing part (the
// original prints "undefined in undefined" for the columns it misnames).
func degreeInField(degree, field string) string {
	switch {
	case degree != "" && field != "":
		return degree + " in " + field
	case degree != "":
		return degree
	default:
		return field
	}
}

// ---- prompts (§4.6) ----

// buildVariantSystemPrompt is the resume-writer instruction for one
// strategy, ending with the JSON shape the answer must have.
func buildVariantSystemPrompt(strategy string) string {
	return "You are an expert resume writer specializing in ATS-optimized applications. " + strategy + `.

ATS KEYWORDS:
Read the job description first and note the technical skills and tools, the industry terms, the required
qualifications and certifications, the action verbs and the soft skills it mentions. Work those keywords
naturally into the resume and the cover letter; never list them on their own.

ACCURACY:
Never invent or estimate metrics, numbers, achievements or facts. Use only what the candidate's profile
states. When an achievement has no metric, do not add one. Accurate content matters more than impressive
content.

FACTS THAT MUST NOT CHANGE:
Job titles, company names, employment dates (including "Present"), school names, degree names, graduation
years and locations are records: copy them exactly as given. Only the achievement bullets and the
professional summary may be tailored.

RESUME BULLETS:
- Start with a strong action verb (Led, Built, Delivered, Reduced).
- Include a metric only when the source data has it.
- Show the impact of the candidate's real achievements in the posting's language.
- 50 to 150 characters each.

PROFESSIONAL SUMMARY:
- 100 to 300 characters.
- State the total years of experience, computed from the work history dates.
- Name the 2 or 3 skills from the posting that matter most.
- Mention an achievement only if the source data has it with its metric.

COVER LETTER:
- 500 to 1500 characters, paragraphs separated by \n\n.
- Name the company at least twice and the job title in the first paragraph.
- Cite 2 or 3 concrete achievements from the candidate's actual work history.
- Mirror the posting's wording; no invented metrics.

Return JSON with this EXACT structure:
{
  "resume": {
    "summary": "Professional summary (100-300 characters, with keywords from the posting)",
    "experience": [
      {
        "title": "Job title",
        "company": "Company name",
        "location": "City, State",
        "startDate": "YYYY-MM",
        "endDate": "YYYY-MM or Present",
        "bullets": ["Achievement using the posting's terms", "Another achievement", "A third achievement"]
      }
    ],
    "skills": ["Skill from the posting", "Another skill", "A third skill"],
    "education": [
      {
        "degree": "Degree in Field",
        "school": "School name",
        "location": "City, State",
        "graduation": "YYYY-MM"
      }
    ]
  },
  "coverLetter": "Cover letter text, paragraphs separated by \\n\\n, using the posting's keywords.",
  "aiRationale": ["Which keyword was taken from the posting and where it was used", "Which achievement answers which requirement"]
}`
}

// buildVariantUserPrompt is the job details, the candidate profile and the
// task list. Its labelled lines and sections ("Title:", "WORK EXPERIENCE:",
// "1. Title at Company", ...) are the shape the original sends.
func buildVariantUserPrompt(gc genContext) string {
	j, p := gc.Job, gc.Profile
	var b strings.Builder
	b.WriteString("JOB POSTING DETAILS:\n\n")
	fmt.Fprintf(&b, "Title: %s\nCompany: %s\n", j.Title, j.Company)
	fmt.Fprintf(&b, "Location: %s\n", orText(j.Location, "Not specified"))
	fmt.Fprintf(&b, "Work Arrangement: %s\n", orText(j.WorkArrangement, "Not specified"))
	if j.SalaryMin != 0 && j.SalaryMax != 0 {
		fmt.Fprintf(&b, "Salary Range: $%s - $%s\n", localeNumber(j.SalaryMin), localeNumber(j.SalaryMax))
	}
	fmt.Fprintf(&b, "\nFULL JOB DESCRIPTION:\n%s\n\n", orText(j.Description, "No detailed description provided."))
	fmt.Fprintf(&b, "REQUIRED SKILLS: %s\n\n---\n\n", orText(strings.Join(j.RequiredSkills, ", "), "various skills"))

	b.WriteString("CANDIDATE PROFILE:\n\n")
	fmt.Fprintf(&b, "Name: %s %s\n", p.FirstName, p.LastName)
	fmt.Fprintf(&b, "Location: %s\n", orText(p.Location, "Not specified"))
	fmt.Fprintf(&b, "Phone: %s\n", orText(p.Phone, "Not provided"))
	fmt.Fprintf(&b, "Email: %s\n\n", orText(p.Email, "Not provided"))
	if p.Summary != "" {
		fmt.Fprintf(&b, "CURRENT PROFESSIONAL SUMMARY:\n%s\n\n", p.Summary)
	}

	b.WriteString("WORK EXPERIENCE:\n")
	for i, e := range gc.Experience {
		end := e.EndDate
		if e.Current || end == "" {
			end = "Present"
		}
		fmt.Fprintf(&b, "\n%d. %s at %s\n   %s - %s | %s\n   Current achievements listed:\n", i+1, e.Title, e.Company,
			e.StartDate, end, orText(e.Location, "Location not specified"))
		acc := e.Accomplishments
		if len(acc) == 0 {
			acc = []string{"No specific achievements listed"}
		}
		for _, x := range acc {
			fmt.Fprintf(&b, "   - %s\n", x)
		}
	}

	b.WriteString("\nEDUCATION:\n")
	for _, e := range gc.Education {
		line := degreeInField(e.Degree, e.Field)
		if e.School != "" {
			if line != "" {
				line += " from "
			}
			line += e.School
		}
		if y := yearOf(e.EndDate); y != "" {
			line += " (" + y + ")"
		}
		fmt.Fprintf(&b, "- %s\n", line)
	}

	fmt.Fprintf(&b, "\nSKILLS:\n%s\n\n---\n\n", strings.Join(gc.Skills, ", "))
	b.WriteString(`TASK:
1. ANALYZE the job description above and identify:
   - the technical skills, tools and technologies it names
   - its industry terms
   - the qualifications, certifications and level of experience it asks for
   - the action verbs and the soft skills it stresses

2. WRITE a tailored resume and cover letter that:
   - use the posting's keywords and terms naturally
   - mirror the posting's language for ATS matching
   - put the candidate's most relevant experience first, in the posting's terms
   - use only the metrics and achievements given in the work history above, never invented ones
   - keep job titles, company names, dates, schools and degrees exactly as given
   - tailor only the achievement bullets and the professional summary

3. EXPLAIN in aiRationale which keywords you took from the posting and where you used them.`)
	return b.String()
}

func orText(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// yearOf is the leading four-digit year of a date such as 2017-06-30.
func yearOf(date string) string {
	if len(date) >= 4 {
		if _, err := strconv.Atoi(date[:4]); err == nil {
			return date[:4]
		}
	}
	return ""
}

// localeNumber formats n as Number.prototype.toLocaleString() does in
// en-US: thousands separators, at most three fraction digits.
func localeNumber(n float64) string {
	neg := n < 0
	n = math.Abs(n)
	s := strconv.FormatFloat(math.Round(n*1000)/1000, 'f', -1, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// ---- D1 row mapping ----

func mapJob(r map[string]any) genJob {
	return genJob{
		Title: rowString(r, "title"), Company: rowString(r, "company"), Location: rowString(r, "location"),
		WorkArrangement: rowString(r, "work_arrangement"), Description: rowString(r, "description"),
		SalaryMin: rowFloat(r, "salary_min"), SalaryMax: rowFloat(r, "salary_max"),
		RequiredSkills: rowStringList(r, "required_skills"),
	}
}

func mapProfile(r map[string]any) genProfile {
	return genProfile{
		FirstName: rowString(r, "first_name"), LastName: rowString(r, "last_name"), Email: rowString(r, "email"),
		Phone: rowString(r, "phone"), Location: rowString(r, "location"), Summary: rowString(r, "professional_summary"),
	}
}

func mapExperience(r map[string]any) genExperience {
	return genExperience{
		Title: rowString(r, "title"), Company: rowString(r, "company"), Location: rowString(r, "location"),
		StartDate: rowString(r, "start_date"), EndDate: rowString(r, "end_date"), Current: rowFloat(r, "is_current") != 0,
		Accomplishments: rowStringList(r, "accomplishments"),
	}
}

func mapEducation(r map[string]any) genEducation {
	return genEducation{
		Degree: rowString(r, "degree"), Field: rowString(r, "field_of_study"), School: rowString(r, "institution"),
		EndDate: rowString(r, "end_date"),
	}
}

// rowString reads a TEXT (or number) column; NULL is "".
func rowString(r map[string]any, col string) string {
	switch x := r[col].(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return ""
}

func rowFloat(r map[string]any, col string) float64 {
	switch x := r[col].(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case string:
		f, _ := strconv.ParseFloat(x, 64)
		return f
	}
	return 0
}

// rowStringList reads a JSON-array TEXT column; anything else is empty.
func rowStringList(r map[string]any, col string) []string {
	s := rowString(r, col)
	if s == "" {
		return nil
	}
	var items []any
	if json.Unmarshal([]byte(s), &items) != nil {
		return nil
	}
	var out []string
	for _, it := range items {
		switch x := it.(type) {
		case string:
			if x != "" {
				out = append(out, x)
			}
		case nil:
		default:
			out = append(out, jsString(x))
		}
	}
	return out
}

// ---- create, list, read, update, delete (§2.2) ----

// applicationStatuses is the routes' status enum (enum8). Migration 0006
// lets the CHECK constraint accept all of them, "viewed" included.
var applicationStatuses = []string{"draft", "submitted", "viewed", "interviewing", "offered", "rejected", "withdrawn", "accepted"}

// readJSONBodyRaw is readJSONBody that also returns an object body's
// members as raw JSON, so variants keep the key order they were sent in.
func readJSONBodyRaw(c echo.Context) (any, map[string]json.RawMessage, error) {
	body, data, err := readJSONBodyData(c)
	if err != nil {
		return nil, nil, err
	}
	var members map[string]json.RawMessage
	if _, ok := body.(map[string]any); ok {
		_ = json.Unmarshal(data, &members)
	}
	return body, members, nil
}

// variants validates obj.variants and converts it to its stored form: a
// JSON array of {id, name, resume, cover_letter, ai_rationale} (the keys
// present in the item; cover_letter from coverLetter, ai_rationale from
// aiRationale, or from the snake_case keys when the item has those), NULL
// for an empty list. sent is the list as it came.
//
// Differs from the original: every item must be an object (z.any() let a
// null through, and reading its fields then threw a 500).
func (v *zodIssues) variants(obj map[string]any, raw map[string]json.RawMessage) (stored any, sent json.RawMessage, present bool) {
	value, present := obj["variants"]
	if !present {
		return nil, nil, false
	}
	list, ok := value.([]any)
	if !ok {
		v.invalidType([]any{"variants"}, "array", zodType(value, true))
		return nil, nil, true
	}
	bad := false
	for i, item := range list {
		if _, ok := item.(map[string]any); !ok {
			v.invalidType([]any{"variants", i}, "object", zodType(item, true))
			bad = true
		}
	}
	var items []map[string]json.RawMessage
	if bad || json.Unmarshal(raw["variants"], &items) != nil {
		return nil, nil, true
	}
	if len(items) == 0 {
		return nil, compactJSON(raw["variants"]), true
	}
	out := make([]ordObj, len(items))
	for i, item := range items {
		for _, k := range [][3]string{{"id", "id", "id"}, {"name", "name", "name"}, {"resume", "resume", "resume"},
			{"cover_letter", "coverLetter", "cover_letter"}, {"ai_rationale", "aiRationale", "ai_rationale"}} {
			val, has := item[k[1]]
			if !has {
				val, has = item[k[2]]
			}
			if has {
				out[i] = append(out[i], ordKV{k[0], compactJSON(val)})
			}
		}
		if out[i] == nil {
			out[i] = ordObj{}
		}
	}
	text, _ := json.Marshal(out)
	return string(text), compactJSON(raw["variants"]), true
}

// handleCreateApplication is POST /api/applications: an application
// without generation. The original's INSERT named columns the schema
// lacked, so it always answered 500; migration 0006 adds them.
//
// Differs from the original: a jobId must name one of the user's jobs
// (404 "Job with ID … not found", as generate; the original would link
// any user's job, or fail the foreign key with a 500); the users row the
// foreign key needs is created first when it is missing, as
// GET /api/profile would; and jobId and selectedVariantId are null in the
// answer when absent (JSON.stringify dropped the keys).
func (a *App) handleCreateApplication(c echo.Context) error {
	uid := userID(c)
	body, raw, err := readJSONBodyRaw(c)
	if err != nil {
		return err
	}
	var v zodIssues
	var jobID, jobTitle, company, status, selected *string
	var stored any
	sent := json.RawMessage("[]")
	if obj, ok := v.object(body); ok {
		jobID = v.str(obj, "jobId", true, true, 0, "", 0)
		jobTitle = v.str(obj, "jobTitle", false, false, 1, "Job title is required", 0)
		company = v.str(obj, "company", false, false, 1, "Company is required", 0)
		status = v.optEnum(obj, "status", applicationStatuses)
		selected = v.str(obj, "selectedVariantId", true, true, 0, "", 0)
		var list json.RawMessage
		if stored, list, _ = v.variants(obj, raw); list != nil {
			sent = list
		}
	}
	if len(v) > 0 {
		return v.validationError("Invalid request body")
	}
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	if id := deref(jobID); id != "" {
		job, err := db.Prepare("SELECT id FROM jobs WHERE id = ? AND user_id = ?").Bind(id, uid).First(ctx)
		if err != nil {
			return err
		}
		if job == nil {
			return notFoundError("Job", id)
		}
	}
	st := "draft"
	if status != nil {
		st = *status
	}
	id := newUUID()
	now := isoTime(a.clock.Now())
	var stmts []runtime.D1PreparedStatement
	if email, _ := c.Get(string(keyUserEmail)).(string); email != "" {
		stmts = append(stmts, a.userRowStmt(c))
	}
	stmts = append(stmts, db.Prepare(`INSERT INTO applications (
		id, user_id, job_id, job_title, company, status, selected_variant_id, variants, created_at, updated_at
	) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).
		Bind(id, uid, nullable(jobID), *jobTitle, *company, st, nullable(selected), stored, now, now))
	if _, err := db.Batch(ctx, stmts); err != nil {
		a.consoleError(c, "Failed to create application: %v", err)
		if tooBigForD1(err) {
			return bodyError(err.Error()) // the request's fault: 400, as profileFail
		}
		return errors.New("Failed to create application")
	}
	return writeJSON(c, http.StatusCreated, ordObj{
		{"id", id}, {"jobId", strOrNil(jobID)}, {"jobTitle", *jobTitle}, {"company", *company}, {"status", st},
		{"createdAt", now}, {"selectedVariantId", strOrNil(selected)}, {"variants", sent},
	})
}

// handleListApplications is GET /api/applications: the user's rows, newest
// first, raw (variants as JSON text), with the paging of §2.2.
func (a *App) handleListApplications(c echo.Context) error {
	uid := userID(c)
	q := c.Request().URL.Query()
	var v zodIssues
	page, limit := v.pageQuery(q)
	if len(v) > 0 {
		return v.validationError("Invalid query parameters")
	}
	where, args := "user_id = ?", []any{uid}
	if status := q.Get("status"); status != "" {
		where += " AND status = ?"
		args = append(args, status)
	}
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	offset := (page - 1) * limit
	// Differs from the original: rowid breaks created_at ties (several
	// applications in one millisecond), so pages never overlap.
	rows, err := d1Rows(ctx, db.Prepare("SELECT * FROM applications WHERE "+where+" ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?").
		Bind(append(append([]any{}, args...), limit, offset)...))
	if err != nil {
		return err
	}
	count, err := db.Prepare("SELECT COUNT(*) AS count FROM applications WHERE "+where).Bind(args...).FirstColumn(ctx, "count")
	if err != nil {
		return err
	}
	total, _ := count.(int64)
	return writeJSON(c, http.StatusOK, ordObj{
		{"applications", rows}, {"total", total}, {"page", page}, {"limit", limit}, {"hasMore", total > int64(offset+limit)},
	})
}

// handleGetApplication is GET /api/applications/:id: the raw row with
// variants parsed ([] when NULL). Differs from the original: a variants
// text that is not JSON (written by another client) reads as [] instead
// of failing the request.
func (a *App) handleGetApplication(c echo.Context) error {
	id := c.Param("id")
	row, err := d1Row(c.Request().Context(), a.env.D1["DB"].Prepare("SELECT * FROM applications WHERE id = ? AND user_id = ?").Bind(id, userID(c)))
	if err != nil {
		return err
	}
	if row == nil {
		return notFoundError("Application", id)
	}
	for i, kv := range row {
		if kv.Key != "variants" {
			continue
		}
		text := rowString(map[string]any{"v": kv.Value}, "v")
		parsed := json.RawMessage("[]")
		if text != "" && json.Valid([]byte(text)) {
			parsed = compactJSON(json.RawMessage(text))
		} else if text != "" {
			a.consoleError(c, "Application %s: variants is not JSON; answering []", id)
		}
		row[i].Value = parsed
	}
	return writeJSON(c, http.StatusOK, row)
}

// handleUpdateApplication is PATCH /api/applications/:id: status (with
// submitted_at when it becomes "submitted") and selectedVariantId, on the
// columns migration 0006 adds. Differs from the original, which stripped
// it: variants, which the frontend sends after an edit, is validated and
// stored as POST stores it.
func (a *App) handleUpdateApplication(c echo.Context) error {
	uid := userID(c)
	id := c.Param("id")
	body, raw, err := readJSONBodyRaw(c)
	if err != nil {
		return err
	}
	var v zodIssues
	set := ordObj{}
	now := isoTime(a.clock.Now())
	if obj, ok := v.object(body); ok {
		if status := v.optEnum(obj, "status", applicationStatuses); status != nil {
			set = append(set, ordKV{"status", *status})
			if *status == "submitted" {
				set = append(set, ordKV{"submitted_at", now})
			}
		}
		if selected := v.str(obj, "selectedVariantId", true, false, 0, "", 0); selected != nil {
			set = append(set, ordKV{"selected_variant_id", *selected})
		}
		if stored, _, present := v.variants(obj, raw); present {
			set = append(set, ordKV{"variants", stored})
		}
	}
	if len(v) > 0 {
		return v.validationError("Invalid request body")
	}
	ctx := c.Request().Context()
	db := a.env.D1["DB"]
	cols, args := setClause(set)
	res, err := db.Prepare("UPDATE applications SET " + cols + "updated_at = ? WHERE id = ? AND user_id = ?").Bind(append(args, now, id, uid)...).Run(ctx)
	if tooBigForD1(err) {
		return bodyError(err.Error())
	}
	if err != nil {
		return err
	}
	if res.Meta.Changes == 0 {
		return notFoundError("Application", id)
	}
	row, err := d1Row(ctx, db.Prepare("SELECT * FROM applications WHERE id = ? AND user_id = ?").Bind(id, uid))
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, row)
}

// handleDeleteApplication is DELETE /api/applications/:id: 204, no body.
func (a *App) handleDeleteApplication(c echo.Context) error {
	id := c.Param("id")
	res, err := a.env.D1["DB"].Prepare("DELETE FROM applications WHERE id = ? AND user_id = ?").Bind(id, userID(c)).Run(c.Request().Context())
	if err != nil {
		return err
	}
	if res.Meta.Changes == 0 {
		return notFoundError("Application", id)
	}
	return c.NoContent(http.StatusNoContent)
}
