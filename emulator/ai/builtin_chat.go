package ai

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The built-in text generator. It recognises the JobMatch tasks from their
// prompts and answers each with JSON in the shape the task asks for, computed
// from the prompt's content (skills overlap, keywords, titles, dates). Any
// other prompt gets a short reply labelled "[edge builtin model]". Output is
// a pure function of the request and the clock's date: temperature, top_p
// and seed change nothing.

// Tasks the built-in generator recognises.
const (
	TaskCompatibility = "compatibility-analysis"
	TaskApplication   = "application-variant"
	TaskResumeParse   = "resume-parsing"
	TaskGapAnalysis   = "gap-analysis"
	TaskOther         = "other"
)

// BuiltinLabel starts every reply the built-in generator makes to a prompt
// it does not recognise.
const BuiltinLabel = "[edge builtin model]"

// DetectTask names the JobMatch task a chat request is, or TaskOther.
func DetectTask(msgs []Message) string {
	sys, user := splitRoles(msgs)
	all := sys + "\n" + user
	switch {
	case strings.Contains(all, "=== JOB POSTING ===") && strings.Contains(all, "=== CANDIDATE PROFILE ==="),
		strings.Contains(sys, `"overallScore"`) && strings.Contains(sys, `"dimensions"`):
		return TaskCompatibility
	case strings.Contains(all, "JOB POSTING DETAILS:") && strings.Contains(all, "CANDIDATE PROFILE:"),
		strings.Contains(sys, `"coverLetter"`) && strings.Contains(sys, `"aiRationale"`):
		return TaskApplication
	case strings.Contains(sys, `"resume_analysis"`),
		strings.Contains(all, "=== PROFILE ===") && strings.Contains(all, "=== WORK EXPERIENCE ==="):
		return TaskGapAnalysis
	case strings.Contains(strings.ToLower(sys), "resume parser"), strings.Contains(user, "Resume Text:"):
		return TaskResumeParse
	}
	return TaskOther
}

func splitRoles(msgs []Message) (sys, user string) {
	var s, u []string
	for _, m := range msgs {
		if m.Role == "system" {
			s = append(s, m.Content)
		} else if m.Role == "user" {
			u = append(u, m.Content)
		}
	}
	return strings.Join(s, "\n"), strings.Join(u, "\n")
}

// ChatBuiltin answers req with the built-in generator. now is used for
// "Present" in date ranges. Token counts follow CountTokens; an answer longer
// than req.MaxTokens is cut there, as a model stops at max_tokens.
func ChatBuiltin(req ChatRequest, now time.Time) ChatResult {
	text := generate(req, now)
	res := ChatResult{Text: text, PromptTokens: PromptTokens(req.Messages), CompletionTokens: CountTokens(text)}
	if req.MaxTokens > 0 && res.CompletionTokens > req.MaxTokens {
		res.Text = cutBytes(text, req.MaxTokens*charsPerToken)
		res.CompletionTokens = req.MaxTokens
		res.Truncated = true
	}
	return res
}

// CountTokens is the built-in token approximation: one token per four UTF-8
// bytes, rounded up.
func CountTokens(s string) int { return (len(s) + charsPerToken - 1) / charsPerToken }

// PromptTokens counts a chat's prompt tokens: each message's content plus a
// fixed overhead per message for its role and separators.
func PromptTokens(msgs []Message) int {
	n := 0
	for _, m := range msgs {
		n += CountTokens(m.Content) + tokensPerMessage
	}
	return n
}

func cutBytes(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func generate(req ChatRequest, now time.Time) string {
	sys, user := splitRoles(req.Messages)
	switch DetectTask(req.Messages) {
	case TaskCompatibility:
		jobText, candText := splitPrompt(user, "=== CANDIDATE PROFILE ===", "CANDIDATE PROFILE:")
		return mustJSON(compatibility(parseJob(jobText), parseCandidate(cutAt(candText, "=== YOUR TASK ===", "TASK:")), now))
	case TaskApplication:
		jobText, candText := splitPrompt(user, "CANDIDATE PROFILE:", "=== CANDIDATE PROFILE ===")
		return mustJSON(applicationVariant(sys, parseJob(jobText), parseCandidate(cutAt(candText, "TASK:", "=== YOUR TASK ===")), now))
	case TaskGapAnalysis:
		return mustJSON(gapAnalysis(parseCandidate(user), now))
	case TaskResumeParse:
		text := user
		if _, after, ok := strings.Cut(user, "Resume Text:"); ok {
			text = after
		}
		return mustJSON(parseResume(text, now))
	}
	return otherReply(req)
}

func cutAt(s string, markers ...string) string {
	for _, m := range markers {
		if i := strings.Index(s, m); i >= 0 {
			s = s[:i]
		}
	}
	return s
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		// Only plain structs of strings and numbers are marshalled here.
		panic(fmt.Sprintf("ai: builtin output: %v", err))
	}
	return string(b)
}

func otherReply(req ChatRequest) string {
	last := ""
	for i := len(req.Messages) - 1; i >= 0; i-- {
		if req.Messages[i].Role == "user" {
			last = req.Messages[i].Content
			break
		}
	}
	last = strings.Join(strings.Fields(last), " ")
	if utf8.RuneCountInString(last) > 80 {
		last = string([]rune(last)[:80]) + "…"
	}
	reply := fmt.Sprintf("%s This is a synthetic reply: edge's built-in backend runs no language model. "+
		"It received %d message(s), about %d tokens; the last user message reads: %q.",
		BuiltinLabel, len(req.Messages), PromptTokens(req.Messages), last)
	if req.JSON {
		return mustJSON(map[string]string{"response": reply})
	}
	return reply
}

// ---------------------------------------------------------------- compatibility

// Dimension is one scored dimension of a compatibility analysis.
type Dimension struct {
	Score         int    `json:"score"`
	Justification string `json:"justification"`
}

type compatibilityAnalysis struct {
	OverallScore   int                 `json:"overallScore"`
	Recommendation string              `json:"recommendation"`
	Dimensions     compatibilityDimSet `json:"dimensions"`
	Strengths      []string            `json:"strengths"`
	Gaps           []string            `json:"gaps"`
	RedFlags       []string            `json:"redFlags"`
}

type compatibilityDimSet struct {
	SkillMatch             Dimension `json:"skillMatch"`
	IndustryMatch          Dimension `json:"industryMatch"`
	ExperienceLevel        Dimension `json:"experienceLevel"`
	LocationMatch          Dimension `json:"locationMatch"`
	SeniorityLevel         Dimension `json:"seniorityLevel"`
	EducationCertification Dimension `json:"educationCertification"`
	SoftSkillsLeadership   Dimension `json:"softSkillsLeadership"`
	EmploymentStability    Dimension `json:"employmentStability"`
	GrowthPotential        Dimension `json:"growthPotential"`
	CompanyScaleAlignment  Dimension `json:"companyScaleAlignment"`
}

func clampScore(x float64) int { return max(1, min(10, int(math.Round(x)))) }

// Recommendation maps an overall score to JobMatch's bands (contract §4.5).
func Recommendation(overall int) string {
	switch {
	case overall >= 80:
		return "Strong Match"
	case overall >= 65:
		return "Good Match"
	case overall >= 50:
		return "Moderate Match"
	case overall >= 35:
		return "Weak Match"
	}
	return "Poor Match"
}

// OverallScore applies JobMatch's weights (skill 30, industry 15, experience
// 20, location 10, seniority 5, education 5, soft skills 5, stability 5,
// growth 3, scale 2): round((Σ score×weight / 100) / 10 × 100).
func OverallScore(skill, industry, experience, location, seniority, education, soft, stability, growth, scale int) int {
	sum := skill*30 + industry*15 + experience*20 + location*10 + seniority*5 + education*5 + soft*5 + stability*5 + growth*3 + scale*2
	return int(math.Round(float64(sum) / 100 / 10 * 100))
}

var seniorityWords = []string{"intern", "junior", "associate", "mid", "senior", "staff", "lead", "principal", "manager", "director", "head", "vp", "chief"}

func seniorityRank(title string) int {
	l := strings.ToLower(title)
	rank := 3 // unmarked titles count as mid-level
	for i, w := range seniorityWords {
		if hasWord(l, w) {
			rank = max(rank, i+1)
			if i < 2 {
				rank = i + 1
			}
		}
	}
	return rank
}

// expectedYears reads an experience level ("Senior", "Entry level", "5+ years").
func expectedYears(level, title string) (float64, bool) {
	l := strings.ToLower(level + " " + title)
	if m := regexp.MustCompile(`(\d+)\+?\s*(?:-\s*\d+\s*)?years?`).FindStringSubmatch(l); m != nil {
		var n float64
		fmt.Sscan(m[1], &n)
		return n, true
	}
	switch {
	case hasWord(l, "principal") || hasWord(l, "staff") || hasWord(l, "director") || hasWord(l, "lead"):
		return 8, true
	case hasWord(l, "senior"):
		return 5, true
	case hasWord(l, "mid") || hasWord(l, "mid-level") || hasWord(l, "intermediate"):
		return 3, true
	case hasWord(l, "junior") || hasWord(l, "entry") || hasWord(l, "intern") || hasWord(l, "graduate"):
		return 0, true
	}
	return 0, false
}

var leadershipWords = []string{"led", "lead", "managed", "mentored", "mentor", "coached", "collaborated", "communicat", "stakeholder", "cross-functional", "presented", "team"}

func compatibility(j job, c candidate, now time.Time) compatibilityAnalysis {
	candLower := strings.ToLower(c.Text)
	req := j.Required
	have, missing := skillOverlap(req, c)
	prefHave, _ := skillOverlap(j.Preferred, c)

	// Skill match.
	var skill Dimension
	if len(req) > 0 {
		ratio := float64(len(have)) / float64(len(req))
		skill.Score = clampScore(1 + 9*ratio + 0.5*float64(len(prefHave)))
		skill.Justification = fmt.Sprintf("The candidate shows %d of %d required skills (%s)%s.",
			len(have), len(req), listOrNone(have), missingClause(missing))
	} else {
		skill.Score = 5
		skill.Justification = "The posting lists no required skills, so skill fit is judged neutral from the profile alone."
	}

	// Industry match: word overlap between the posting and the candidate.
	jobVec := EmbedBuiltin([]string{j.Title + " " + j.Description + " " + strings.Join(req, " ")}, 256, PoolingMean)[0]
	candVec := EmbedBuiltin([]string{c.Text}, 256, PoolingMean)[0]
	var cos float64
	for i := range jobVec {
		cos += float64(jobVec[i]) * float64(candVec[i])
	}
	industry := Dimension{Score: clampScore(2 + 14*max(cos, 0)),
		Justification: fmt.Sprintf("Word overlap between the job description and the candidate's history gives a similarity of %.2f on a 0-1 scale.", max(cos, 0))}

	// Experience level.
	years := yearsOfExperience(c.Experience, now)
	want, known := expectedYears(j.Level, j.Title)
	var exp Dimension
	switch {
	case len(c.Experience) == 0:
		exp = Dimension{2, "No work experience is listed, so the experience level cannot be matched to the role."}
	case !known:
		exp = Dimension{clampScore(5 + years/2), fmt.Sprintf("The candidate has about %.1f years of dated experience; the posting states no level.", years)}
	default:
		diff := years - want
		score := 9.0
		if diff < 0 {
			score = 9 + diff*1.5
		} else if diff > 8 {
			score = 7
		}
		exp = Dimension{clampScore(score), fmt.Sprintf("The candidate has about %.1f years of dated experience against roughly %.0f expected for a %s role.", years, want, levelName(j.Level, j.Title))}
	}

	// Location.
	var loc Dimension
	arr := strings.ToLower(j.Arrangement)
	switch {
	case strings.Contains(arr, "remote"):
		loc = Dimension{9, "The role is remote, so the candidate's location does not limit the match."}
	case j.Location != "" && c.Location != "" && sameCity(j.Location, c.Location):
		loc = Dimension{9, fmt.Sprintf("The candidate is based in %s, matching the job location %s.", c.Location, j.Location)}
	case j.Location == "" || c.Location == "":
		loc = Dimension{6, "Either the job or the candidate location is not specified, so location fit is uncertain."}
	default:
		score := 4
		if strings.Contains(arr, "hybrid") {
			score = 5
		}
		loc = Dimension{score, fmt.Sprintf("The candidate is in %s while the job is in %s (%s); relocation or travel would be needed.", c.Location, j.Location, orDefault(j.Arrangement, "arrangement not specified"))}
	}

	// Seniority.
	recent := ""
	if len(c.Experience) > 0 {
		recent = c.Experience[0].Title
	}
	var sen Dimension
	if recent == "" {
		sen = Dimension{4, "No recent job title is listed to compare with the seniority of the role."}
	} else {
		gap := seniorityRank(j.Title) - seniorityRank(recent)
		sen = Dimension{clampScore(9 - 2*math.Abs(float64(gap))), fmt.Sprintf("The candidate's most recent title \"%s\" is compared with the posted title \"%s\".", recent, orDefault(j.Title, "not given"))}
	}

	// Education.
	var edu Dimension
	descLower := strings.ToLower(j.Description)
	needsDegree := strings.Contains(descLower, "degree") || strings.Contains(descLower, "bachelor") || strings.Contains(descLower, "master")
	switch {
	case len(c.Education) == 0 && needsDegree:
		edu = Dimension{3, "The posting asks for a degree and the candidate lists no education."}
	case len(c.Education) == 0:
		edu = Dimension{5, "The candidate lists no education; the posting does not stress a degree requirement."}
	default:
		e := c.Education[0]
		edu = Dimension{8, fmt.Sprintf("The candidate lists %s%s, which covers the stated education expectations.", orDefault(e.Degree, "a degree"), prefix(" in ", e.Field))}
	}

	// Soft skills.
	hits := 0
	var found []string
	for _, w := range leadershipWords {
		if strings.Contains(candLower, w) {
			hits++
			found = append(found, w)
		}
	}
	soft := Dimension{clampScore(3 + 1.2*float64(hits)), fmt.Sprintf("The profile contains %d leadership or collaboration indicators (%s).", hits, listOrNone(found))}

	// Stability.
	var stab Dimension
	tenures := 0.0
	counted := 0
	for _, e := range c.Experience {
		if s, en, ok := e.span(now); ok {
			tenures += float64(en-s) / 12
			counted++
		}
	}
	if counted == 0 {
		stab = Dimension{5, "No dated positions are listed, so tenure patterns cannot be assessed."}
	} else {
		avg := tenures / float64(counted)
		stab = Dimension{clampScore(3 + 2*avg), fmt.Sprintf("Average tenure is %.1f years across %d dated position(s).", avg, counted)}
	}

	// Growth.
	growth := Dimension{Score: clampScore(4 + float64(len(c.Skills))/3 + float64(len(c.Experience))/2),
		Justification: fmt.Sprintf("The candidate lists %d skills and %d positions, which indicates the breadth of learning over time.", len(c.Skills), len(c.Experience))}

	// Company scale.
	scale := Dimension{6, "No clear signal of startup or enterprise scale in either text; treated as a partial fit."}
	for _, w := range []string{"startup", "enterprise", "fortune 500", "scale-up", "global"} {
		if strings.Contains(descLower, w) && strings.Contains(candLower, w) {
			scale = Dimension{8, fmt.Sprintf("Both the posting and the candidate's history mention %q, suggesting a similar organisational scale.", w)}
			break
		}
	}

	d := compatibilityDimSet{skill, industry, exp, loc, sen, edu, soft, stab, growth, scale}
	overall := OverallScore(d.SkillMatch.Score, d.IndustryMatch.Score, d.ExperienceLevel.Score, d.LocationMatch.Score,
		d.SeniorityLevel.Score, d.EducationCertification.Score, d.SoftSkillsLeadership.Score, d.EmploymentStability.Score,
		d.GrowthPotential.Score, d.CompanyScaleAlignment.Score)

	var strengths, gaps []string
	if len(have) > 0 {
		strengths = append(strengths, "Matches required skills: "+strings.Join(have, ", "))
	}
	if years > 0 {
		strengths = append(strengths, fmt.Sprintf("About %.1f years of relevant work history", years))
	}
	if recent != "" {
		strengths = append(strengths, fmt.Sprintf("Recent role as %s at %s", recent, c.Experience[0].Company))
	}
	if len(c.Education) > 0 {
		strengths = append(strengths, "Education: "+strings.TrimSpace(c.Education[0].Degree+prefix(" in ", c.Education[0].Field)))
	}
	strengths = append(strengths, "Profile provides enough detail for an assessment", "Clear contact information", "Listed skills give a baseline for the role")
	if len(missing) > 0 {
		gaps = append(gaps, "Missing required skills: "+strings.Join(missing, ", "))
	}
	if known && years < want {
		gaps = append(gaps, fmt.Sprintf("Experience (%.1f years) is below the %.0f years a %s role expects", years, want, levelName(j.Level, j.Title)))
	}
	if loc.Score < 6 {
		gaps = append(gaps, "Location differs from the job location")
	}
	if len(c.Education) == 0 {
		gaps = append(gaps, "No education listed")
	}
	gaps = append(gaps, "Few quantified achievements in the profile", "Industry-specific experience is not explicit", "Seniority alignment should be confirmed in an interview")
	redFlags := []string{}
	if len(c.Experience) == 0 {
		redFlags = append(redFlags, "No work experience listed")
	}
	if len(req) > 0 && len(have) == 0 {
		redFlags = append(redFlags, "None of the required skills appear in the profile")
	}
	return compatibilityAnalysis{
		OverallScore: overall, Recommendation: Recommendation(overall), Dimensions: d,
		Strengths: strengths[:3], Gaps: gaps[:3], RedFlags: redFlags,
	}
}

func levelName(level, title string) string {
	if level != "" && !notGiven(level) {
		return level
	}
	return orDefault(title, "this")
}

func sameCity(a, b string) bool {
	ca, _, _ := strings.Cut(strings.ToLower(a), ",")
	cb, _, _ := strings.Cut(strings.ToLower(b), ",")
	return strings.TrimSpace(ca) == strings.TrimSpace(cb)
}

func listOrNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func missingClause(missing []string) string {
	if len(missing) == 0 {
		return " and misses none"
	}
	return "; missing: " + strings.Join(missing, ", ")
}

func orDefault(s, d string) string {
	if strings.TrimSpace(s) == "" || notGiven(s) {
		return d
	}
	return s
}

func prefix(p, s string) string {
	if s == "" {
		return ""
	}
	return p + s
}

// ---------------------------------------------------------------- application variants

type variantResume struct {
	Summary    string              `json:"summary"`
	Experience []variantExperience `json:"experience"`
	Skills     []string            `json:"skills"`
	Education  []variantEducation  `json:"education"`
}

type variantExperience struct {
	Title     string   `json:"title"`
	Company   string   `json:"company"`
	Location  string   `json:"location"`
	StartDate string   `json:"startDate"`
	EndDate   string   `json:"endDate"`
	Bullets   []string `json:"bullets"`
}

type variantEducation struct {
	Degree     string `json:"degree"`
	School     string `json:"school"`
	Location   string `json:"location"`
	Graduation string `json:"graduation"`
}

type applicationOutput struct {
	Resume      variantResume `json:"resume"`
	CoverLetter string        `json:"coverLetter"`
	AIRationale []string      `json:"aiRationale"`
}

// Strategies of the three application variants (contract §4.6).
const (
	strategyImpact  = "Focus on metrics and business impact"
	strategyKeyword = "Maximize ATS keyword matches"
	strategyConcise = "Streamlined one-page version"
)

var digitRe = regexp.MustCompile(`\d`)

func applicationVariant(sys string, j job, c candidate, now time.Time) applicationOutput {
	strategy, name := strategyImpact, "Impact-Focused"
	switch {
	case strings.Contains(sys, strategyKeyword):
		strategy, name = strategyKeyword, "Keyword-Optimized"
	case strings.Contains(sys, strategyConcise):
		strategy, name = strategyConcise, "Concise"
	}
	have, missing := skillOverlap(j.Required, c)
	kw := keywords(j.Title+" "+j.Description, 8)
	years := yearsOfExperience(c.Experience, now)

	maxJobs, maxBullets := 3, 3
	if strategy == strategyConcise {
		maxJobs, maxBullets = 2, 2
	}
	var exps []variantExperience
	for i, e := range c.Experience {
		if i == maxJobs {
			break
		}
		bullets := append([]string(nil), e.Bullets...)
		switch strategy {
		case strategyImpact: // bullets with numbers first
			stablePartition(bullets, func(b string) bool { return digitRe.MatchString(b) })
		case strategyKeyword: // bullets naming posting keywords or skills first
			terms := append(append([]string(nil), have...), kw...)
			stablePartition(bullets, func(b string) bool {
				l := strings.ToLower(b)
				for _, t := range terms {
					if hasWord(l, strings.ToLower(t)) {
						return true
					}
				}
				return false
			})
		}
		if len(bullets) > maxBullets {
			bullets = bullets[:maxBullets]
		}
		if len(bullets) == 0 && e.Description != "" {
			bullets = []string{e.Description}
		}
		if bullets == nil {
			bullets = []string{}
		}
		start, end := e.Start, e.End
		if s, ok := parseMonth(start); ok {
			start = formatMonth(s)
		}
		if e.Current || end == "" {
			end = "Present"
		} else if en, ok := parseMonth(end); ok {
			end = formatMonth(en)
		}
		exps = append(exps, variantExperience{Title: e.Title, Company: e.Company, Location: e.Location, StartDate: start, EndDate: end, Bullets: bullets})
	}
	if exps == nil {
		exps = []variantExperience{}
	}

	// Skills: the job's required skills the candidate has first, then the rest.
	skills := append([]string(nil), have...)
	for _, s := range c.Skills {
		if !containsFold(skills, s) {
			skills = append(skills, s)
		}
	}
	limit := 12
	if strategy == strategyConcise {
		limit = 6
	}
	if len(skills) > limit {
		skills = skills[:limit]
	}
	if skills == nil {
		skills = []string{}
	}

	edus := []variantEducation{}
	for _, e := range c.Education {
		edus = append(edus, variantEducation{Degree: strings.TrimSpace(e.Degree + prefix(" in ", e.Field)), School: e.School, Graduation: e.End})
	}

	title := orDefault(j.Title, "the advertised")
	company := orDefault(j.Company, "your company")
	role := "Professional"
	if len(c.Experience) > 0 {
		role = c.Experience[0].Title
	}
	top := have
	if len(top) == 0 {
		top = c.Skills
	}
	if len(top) > 3 {
		top = top[:3]
	}
	summary := fmt.Sprintf("%s with %s of experience", role, yearsPhrase(years))
	if len(top) > 0 {
		summary += " in " + strings.Join(top, ", ")
	}
	summary += fmt.Sprintf(", applying for the %s role at %s.", title, company)

	var achievements []string
	for _, e := range exps {
		for _, b := range e.Bullets {
			if len(achievements) < 2 {
				achievements = append(achievements, b)
			}
		}
	}
	var cl strings.Builder
	fmt.Fprintf(&cl, "Dear Hiring Manager,\n\nI am writing to apply for the %s position at %s. ", title, company)
	if len(c.Experience) > 0 {
		fmt.Fprintf(&cl, "In my current role as %s at %s, ", c.Experience[0].Title, c.Experience[0].Company)
	}
	fmt.Fprintf(&cl, "I have built %s of experience", yearsPhrase(years))
	if len(top) > 0 {
		fmt.Fprintf(&cl, " with %s", strings.Join(top, ", "))
	}
	cl.WriteString(".\n\n")
	if len(achievements) > 0 {
		cl.WriteString("Among my results: " + strings.Join(achievements, "; ") + ".\n\n")
	}
	fmt.Fprintf(&cl, "I would welcome the chance to bring this experience to %s and to discuss how I can contribute to the team.\n\nBest regards,\n%s",
		company, orDefault(c.name(), "The Candidate"))

	rationale := []string{
		fmt.Sprintf("%s strategy applied: %s", name, strategy),
		fmt.Sprintf("Matched %d of %d required skills from the posting (%s)", len(have), len(j.Required), listOrNone(have)),
	}
	if len(kw) > 0 {
		rationale = append(rationale, "Posting keywords considered: "+strings.Join(kw, ", "))
	}
	if len(missing) > 0 {
		rationale = append(rationale, "Not claimed because the profile does not show them: "+strings.Join(missing, ", "))
	}
	return applicationOutput{
		Resume:      variantResume{Summary: summary, Experience: exps, Skills: skills, Education: edus},
		CoverLetter: cl.String(),
		AIRationale: rationale,
	}
}

func yearsPhrase(y float64) string {
	switch n := int(math.Round(y)); {
	case n <= 0:
		return "hands-on"
	case n == 1:
		return "1 year"
	default:
		return fmt.Sprintf("%d years", n)
	}
}

// stablePartition moves the items matching keep to the front, keeping order.
func stablePartition(xs []string, keep func(string) bool) {
	var yes, no []string
	for _, x := range xs {
		if keep(x) {
			yes = append(yes, x)
		} else {
			no = append(no, x)
		}
	}
	copy(xs, append(yes, no...))
}

// ---------------------------------------------------------------- resume parsing

type parsedResume struct {
	Profile        parsedProfile     `json:"profile"`
	WorkExperience []parsedWork      `json:"workExperience"`
	Education      []parsedEducation `json:"education"`
	Skills         []parsedSkill     `json:"skills"`
}

type parsedProfile struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Email       string `json:"email"`
	Phone       string `json:"phone"`
	Location    string `json:"location"`
	Headline    string `json:"headline"`
	Summary     string `json:"summary"`
	LinkedInURL string `json:"linkedInUrl"`
}

type parsedWork struct {
	Company         string   `json:"company"`
	Position        string   `json:"position"`
	Location        string   `json:"location"`
	StartDate       string   `json:"startDate"`
	EndDate         *string  `json:"endDate"`
	Current         bool     `json:"current"`
	Description     string   `json:"description"`
	Accomplishments []string `json:"accomplishments"`
}

type parsedEducation struct {
	Institution  string  `json:"institution"`
	Degree       string  `json:"degree"`
	FieldOfStudy string  `json:"fieldOfStudy"`
	StartDate    string  `json:"startDate"`
	EndDate      *string `json:"endDate"`
	Current      bool    `json:"current"`
	Grade        string  `json:"grade"`
}

type parsedSkill struct {
	Name         string `json:"name"`
	Endorsements int    `json:"endorsements"`
}

var (
	emailRe    = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	phoneRe    = regexp.MustCompile(`\+?\d[\d\s().-]{7,}\d`)
	linkedInRe = regexp.MustCompile(`(?i)(https?://)?(www\.)?linkedin\.com/in/[A-Za-z0-9_-]+/?`)
	datePartRe = regexp.MustCompile(`(?i)((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}|\d{4}[-/]\d{1,2}|\d{1,2}/\d{4}|\d{4})\s*(?:-|–|—|to)\s*((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}|\d{4}[-/]\d{1,2}|\d{1,2}/\d{4}|\d{4}|present|current|now)`)
	degreeRe   = regexp.MustCompile(`(?i)\b(bachelor|master|b\.?sc?|m\.?sc?|b\.?a\.?|m\.?a\.?|mba|ph\.?d|doctor|associate|diploma|certificate)\b`)
	schoolRe   = regexp.MustCompile(`(?i)\b(university|college|institute|school|academy|polytechnic)\b`)
	gpaRe      = regexp.MustCompile(`(?i)\bgpa[:\s]*([0-9.]+(?:\s*/\s*[0-9.]+)?)`)
	locationRe = regexp.MustCompile(`^[A-Z][A-Za-z .'-]+,\s*[A-Z][A-Za-z .'-]+$`)
)

// resumeSection classifies a resume heading line, or returns "".
func resumeSection(t string) string {
	l := strings.ToLower(strings.Trim(strings.TrimSpace(t), ":#*=- "))
	switch l {
	case "experience", "work experience", "professional experience", "employment", "employment history", "work history", "career history":
		return "experience"
	case "education", "education and training", "academic background", "qualifications":
		return "education"
	case "skills", "technical skills", "core skills", "key skills", "skills and tools", "competencies", "core competencies":
		return "skills"
	case "summary", "profile", "professional summary", "about", "about me", "objective", "career objective":
		return "summary"
	case "certifications", "projects", "languages", "interests", "awards", "references", "volunteering", "publications":
		return "other"
	}
	return ""
}

func parseResume(text string, now time.Time) parsedResume {
	out := parsedResume{WorkExperience: []parsedWork{}, Education: []parsedEducation{}, Skills: []parsedSkill{}}
	p := &out.Profile
	p.Email = emailRe.FindString(text)
	if m := linkedInRe.FindString(text); m != "" {
		if !strings.HasPrefix(strings.ToLower(m), "http") {
			m = "https://" + m
		}
		p.LinkedInURL = m
	}
	if m := phoneRe.FindString(strings.ReplaceAll(text, p.Email, "")); m != "" && !datePartRe.MatchString(m) {
		p.Phone = strings.TrimSpace(m)
	}

	sections := map[string][]string{}
	var header []string
	cur := ""
	for _, l := range lines(text) {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if s := resumeSection(t); s != "" {
			cur = s
			continue
		}
		if cur == "" {
			header = append(header, t)
		} else {
			sections[cur] = append(sections[cur], t)
		}
	}

	// Header: name first, then headline and location, skipping contact lines.
	for _, t := range header {
		contact := emailRe.MatchString(t) || linkedInRe.MatchString(t) || (p.Phone != "" && strings.Contains(t, p.Phone))
		switch {
		case contact:
			for _, part := range strings.FieldsFunc(t, func(r rune) bool { return r == '|' || r == '•' || r == '·' }) {
				part = strings.TrimSpace(part)
				if p.Location == "" && locationRe.MatchString(part) {
					p.Location = part
				}
			}
		case p.FirstName == "" && len(strings.Fields(t)) >= 2 && len(strings.Fields(t)) <= 4 && !strings.ContainsAny(t, "0123456789@"):
			f := strings.Fields(t)
			p.FirstName, p.LastName = f[0], strings.Join(f[1:], " ")
		case p.Location == "" && locationRe.MatchString(t):
			p.Location = t
		case p.Headline == "" && p.FirstName != "":
			p.Headline = t
		}
	}
	p.Summary = strings.Join(sections["summary"], " ")

	// Experience: an entry starts at a line holding a date range; the title
	// and company come from that line or the line before it.
	exp := sections["experience"]
	var work []parsedWork
	for i, t := range exp {
		m := datePartRe.FindStringSubmatchIndex(t)
		if m == nil {
			if len(work) > 0 && isBullet(t) {
				w := &work[len(work)-1]
				w.Accomplishments = append(w.Accomplishments, strings.TrimSpace(strings.TrimLeft(t, "•-*·▪ ")))
			} else if len(work) > 0 && i > 0 && !isHeaderLineFor(exp, i) {
				w := &work[len(work)-1]
				w.Description = strings.TrimSpace(w.Description + " " + t)
			}
			continue
		}
		start, end := t[m[2]:m[3]], t[m[4]:m[5]]
		rest := strings.TrimSpace(strings.Trim(t[:m[0]]+" "+t[m[1]:], " |,–-()"))
		if rest == "" && i > 0 {
			rest = exp[i-1]
			if len(work) > 0 {
				// The previous line was taken as a description of the previous job.
				w := &work[len(work)-1]
				w.Description = strings.TrimSpace(strings.TrimSuffix(w.Description, rest))
			}
		}
		pos, company, location := splitRoleLine(rest)
		w := parsedWork{Company: company, Position: pos, Location: location, Accomplishments: []string{}}
		if s, ok := parseMonth(start); ok {
			w.StartDate = formatMonth(s)
		}
		switch strings.ToLower(end) {
		case "present", "current", "now":
			w.Current = true
		default:
			if e, ok := parseMonth(end); ok {
				s := formatMonth(e)
				w.EndDate = &s
			}
		}
		work = append(work, w)
	}
	if work != nil {
		out.WorkExperience = work
	}

	// Education: a line with a degree word starts an entry; a school line
	// attaches to it (or starts one).
	for _, t := range sections["education"] {
		if isBullet(t) {
			continue
		}
		deg := degreeRe.MatchString(t)
		sch := schoolRe.MatchString(t)
		if !deg && !sch {
			if g := gpaRe.FindStringSubmatch(t); g != nil && len(out.Education) > 0 {
				out.Education[len(out.Education)-1].Grade = g[1]
			}
			continue
		}
		var e *parsedEducation
		if n := len(out.Education); n > 0 && ((deg && out.Education[n-1].Degree == "") || (sch && !deg && out.Education[n-1].Institution == "")) {
			e = &out.Education[n-1]
		} else {
			out.Education = append(out.Education, parsedEducation{})
			e = &out.Education[len(out.Education)-1]
		}
		line := t
		if m := datePartRe.FindStringSubmatchIndex(t); m != nil {
			if s, ok := parseMonth(t[m[2]:m[3]]); ok {
				e.StartDate = formatMonth(s)
			}
			endTxt := t[m[4]:m[5]]
			if en, ok := parseMonth(endTxt); ok {
				s := formatMonth(en)
				e.EndDate = &s
			} else {
				e.Current = true
			}
			line = strings.TrimSpace(t[:m[0]] + t[m[1]:])
		} else if y := yearRe.FindString(t); y != "" {
			s := y + "-06"
			e.EndDate = &s
			line = strings.TrimSpace(strings.Replace(t, y, "", 1))
		}
		if g := gpaRe.FindStringSubmatch(t); g != nil {
			e.Grade = g[1]
			line = strings.TrimSpace(gpaRe.ReplaceAllString(line, ""))
		}
		parts := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '|' || r == '–' || r == '(' || r == ')' })
		for _, part := range parts {
			part = strings.TrimSpace(strings.Trim(part, "- "))
			switch {
			case part == "":
			case degreeRe.MatchString(part) && e.Degree == "":
				d, f, ok := strings.Cut(part, " in ")
				if !ok {
					d, f, ok = strings.Cut(part, " of ")
					if ok {
						d = d + " of"
					}
				}
				e.Degree = strings.TrimSpace(strings.TrimSuffix(d, " of"))
				if ok {
					e.FieldOfStudy = strings.TrimSpace(f)
				}
			case schoolRe.MatchString(part) && e.Institution == "":
				e.Institution = part
			}
		}
	}

	// Skills: the skills section split on commas and bullets.
	seen := map[string]bool{}
	for _, s := range splitList(strings.Join(sections["skills"], "\n")) {
		if _, after, ok := strings.Cut(s, ":"); ok && strings.TrimSpace(after) != "" {
			s = after // "Languages: Go" -> "Go"
		}
		s = strings.TrimSpace(strings.TrimLeft(s, "•-*·▪ "))
		if s == "" || len(s) > 60 || seen[strings.ToLower(s)] {
			continue
		}
		seen[strings.ToLower(s)] = true
		out.Skills = append(out.Skills, parsedSkill{Name: s})
	}
	_ = now
	return out
}

func isBullet(t string) bool { return strings.IndexAny(t, "•-*·▪") == 0 }

// isHeaderLineFor reports whether exp[i] is the role line of a date line
// that follows it.
func isHeaderLineFor(exp []string, i int) bool {
	if i+1 >= len(exp) {
		return false
	}
	m := datePartRe.FindStringIndex(exp[i+1])
	return m != nil && strings.TrimSpace(strings.Trim(exp[i+1][:m[0]]+exp[i+1][m[1]:], " |,–-()")) == ""
}

// splitRoleLine reads "Title at Company, City" / "Title | Company | City" /
// "Title, Company".
func splitRoleLine(s string) (title, company, location string) {
	if t, c, ok := strings.Cut(s, " at "); ok {
		title, company = t, c
	} else if parts := strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == '—' || r == '–' }); len(parts) >= 2 {
		title, company = parts[0], parts[1]
		if len(parts) >= 3 {
			location = parts[2]
		}
	} else if t, c, ok := strings.Cut(s, ","); ok {
		title, company = t, c
	} else {
		title = s
	}
	if c, l, ok := strings.Cut(company, ","); ok && location == "" {
		company, location = c, l
	}
	return strings.TrimSpace(title), strings.TrimSpace(company), strings.TrimSpace(location)
}

// ---------------------------------------------------------------- gap analysis

type gapAnalysisOutput struct {
	ResumeAnalysis         gapSummary    `json:"resume_analysis"`
	IdentifiedGapsAndFlags []gapItem     `json:"identified_gaps_and_flags"`
	ClarificationQuestions []gapQuestion `json:"clarification_questions"`
	NextSteps              gapNextSteps  `json:"next_steps"`
}

type gapSummary struct {
	OverallAssessment string `json:"overall_assessment"`
	GapCount          int    `json:"gap_count"`
	RedFlagCount      int    `json:"red_flag_count"`
	Urgency           string `json:"urgency"`
}

type gapItem struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Category    string `json:"category"`
	Description string `json:"description"`
	Impact      string `json:"impact"`
	Severity    string `json:"severity"`
}

type gapQuestion struct {
	QuestionID      int    `json:"question_id"`
	Priority        string `json:"priority"`
	GapAddressed    string `json:"gap_addressed"`
	Question        string `json:"question"`
	Context         string `json:"context"`
	ExpectedOutcome string `json:"expected_outcome"`
}

type gapNextSteps struct {
	ImmediateAction         string   `json:"immediate_action"`
	LongTermRecommendations []string `json:"long_term_recommendations"`
}

var severityRank = map[string]int{"CRITICAL": 4, "HIGH": 3, "MEDIUM": 2, "LOW": 1}

func gapAnalysis(c candidate, now time.Time) gapAnalysisOutput {
	type finding struct {
		typ, category, description, impact, severity, question, context, outcome string
	}
	var fs []finding
	add := func(f finding) { fs = append(fs, f) }

	if len(c.Experience) == 0 {
		add(finding{"GAP", "Work Experience", "No work experience is listed.", "Hiring managers screen first on relevant experience.", "CRITICAL",
			"What paid, volunteer or project work have you done that relates to the roles you want?", "The profile has no work history at all.", "Adds the experience section employers look for first."})
	}
	type dated struct {
		e          experience
		start, end int
	}
	var ds []dated
	for _, e := range c.Experience {
		if s, en, ok := e.span(now); ok {
			ds = append(ds, dated{e, s, en})
		} else {
			add(finding{"GAP", "Missing Dates", fmt.Sprintf("The position %s at %s has no start date.", e.Title, e.Company), "Undated roles make the timeline impossible to verify.", "MEDIUM",
				fmt.Sprintf("When did you start and finish as %s at %s?", e.Title, e.Company), "Dates are missing for this role.", "Completes the employment timeline."})
		}
	}
	// ds is newest first (as JobMatch sorts it); gaps lie between an older
	// job's end and the next newer job's start.
	for i := 0; i+1 < len(ds); i++ {
		newer, older := ds[i], ds[i+1]
		if gap := newer.start - older.end; gap >= 6 {
			sev := "MEDIUM"
			if gap >= 12 {
				sev = "HIGH"
			}
			add(finding{"GAP", "Employment Timeline", fmt.Sprintf("%d months between leaving %s (%s) and starting at %s (%s).", gap, older.e.Company, formatMonth(older.end), newer.e.Company, formatMonth(newer.start)),
				"Unexplained gaps raise questions about continuity.", sev,
				fmt.Sprintf("What were you doing between %s and %s?", formatMonth(older.end), formatMonth(newer.start)),
				"The timeline shows a break between two positions.", "Lets you explain the gap (study, caregiving, freelance work) in one line."})
		}
	}
	short := 0
	for _, d := range ds {
		if d.end-d.start < 12 && !d.e.Current {
			short++
			add(finding{"GAP", "Short Tenure", fmt.Sprintf("%s at %s lasted %d months.", d.e.Title, d.e.Company, d.end-d.start), "Short stays without context can read as instability.", "MEDIUM",
				fmt.Sprintf("Why did your role as %s at %s end after %d months?", d.e.Title, d.e.Company, d.end-d.start), "The tenure is under a year.", "Gives the short tenure a clear reason (contract, restructuring, relocation)."})
		}
	}
	if short >= 2 && len(ds) >= 3 {
		add(finding{"RED_FLAG", "Frequent Job Changes", fmt.Sprintf("%d of %d dated positions lasted under a year.", short, len(ds)), "A pattern of short stays is a common rejection reason.", "HIGH",
			"What connects your recent moves, and what are you looking for in your next role?", "Several positions were short.", "Turns the moves into a deliberate career narrative."})
	}
	metrics := false
	for _, e := range c.Experience {
		if e.Description == "" {
			add(finding{"GAP", "Vague Responsibilities", fmt.Sprintf("The position %s at %s has no description.", e.Title, e.Company), "Without a description the scope of the role is unclear.", "MEDIUM",
				fmt.Sprintf("What were your main responsibilities as %s at %s?", e.Title, e.Company), "The role has no description.", "Adds scope and responsibilities to the role."})
		}
		if digitRe.MatchString(e.Description) {
			metrics = true
		}
	}
	if len(c.Experience) > 0 && !metrics {
		add(finding{"GAP", "Missing Quantifiable Results", "No role description contains a number or metric.", "Quantified results are what makes achievements credible.", "HIGH",
			"Which results from your recent roles can you quantify (time saved, revenue, users, team size)?", "No metrics appear in the profile.", "Adds measurable achievements to the strongest roles."})
	}
	if len(c.Education) == 0 {
		add(finding{"GAP", "Education", "No education is listed.", "Many postings filter on degrees or certifications.", "MEDIUM",
			"What degrees, courses or certifications have you completed?", "The education section is empty.", "Completes the education section."})
	}
	if len(c.Skills) == 0 {
		add(finding{"GAP", "Skills", "No skills are listed.", "Applicant tracking systems match on skills keywords.", "HIGH",
			"Which tools, languages and methods do you use regularly?", "The skills section is empty.", "Adds the keywords that ATS filters look for."})
	}
	if c.Summary == "" {
		add(finding{"GAP", "Career Direction", "There is no professional summary.", "Recruiters read the summary first to understand what you want.", "LOW",
			"In two sentences, what kind of role are you targeting next and why?", "The summary is missing.", "Provides a forward-looking summary."})
	}
	if c.Phone == "" || c.LinkedIn == "" {
		add(finding{"GAP", "Contact Information", "The phone number or LinkedIn profile is missing.", "Incomplete contact details slow recruiters down.", "LOW",
			"Which phone number and LinkedIn URL should employers use?", "Contact fields are marked Not provided.", "Completes the contact details."})
	}
	if len(fs) > 10 {
		fs = fs[:10]
	}
	// Highest severity first, stable.
	for i := 1; i < len(fs); i++ {
		for j := i; j > 0 && severityRank[fs[j].severity] > severityRank[fs[j-1].severity]; j-- {
			fs[j], fs[j-1] = fs[j-1], fs[j]
		}
	}
	out := gapAnalysisOutput{IdentifiedGapsAndFlags: []gapItem{}, ClarificationQuestions: []gapQuestion{}}
	urgency := "LOW"
	for i, f := range fs {
		if severityRank[f.severity] > severityRank[urgency] {
			urgency = f.severity
		}
		if f.typ == "GAP" {
			out.ResumeAnalysis.GapCount++
		} else {
			out.ResumeAnalysis.RedFlagCount++
		}
		out.IdentifiedGapsAndFlags = append(out.IdentifiedGapsAndFlags, gapItem{ID: i + 1, Type: f.typ, Category: f.category, Description: f.description, Impact: f.impact, Severity: f.severity})
		out.ClarificationQuestions = append(out.ClarificationQuestions, gapQuestion{QuestionID: i + 1, Priority: f.severity, GapAddressed: f.category, Question: f.question, Context: f.context, ExpectedOutcome: f.outcome})
	}
	out.ResumeAnalysis.Urgency = urgency
	who := orDefault(c.name(), "The candidate")
	if len(fs) == 0 {
		out.ResumeAnalysis.OverallAssessment = who + "'s profile is complete: every section is filled in and the timeline is continuous."
		out.NextSteps = gapNextSteps{ImmediateAction: "Tailor the summary to each application.", LongTermRecommendations: []string{"Keep achievements quantified as new results come in."}}
		return out
	}
	out.ResumeAnalysis.OverallAssessment = fmt.Sprintf("%s's profile has %d gap(s) and %d red flag(s); the most urgent concerns %s.",
		who, out.ResumeAnalysis.GapCount, out.ResumeAnalysis.RedFlagCount, strings.ToLower(fs[0].category))
	out.NextSteps = gapNextSteps{
		ImmediateAction: "Answer the question about " + strings.ToLower(fs[0].category) + " first.",
		LongTermRecommendations: []string{
			"Add measurable results to each recent role.",
			"Keep the timeline complete with start and end dates.",
			"Align listed skills with the roles you target.",
		},
	}
	return out
}
