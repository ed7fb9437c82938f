package ai

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Parsing of the texts JobMatch puts in its prompts (jobmatch-contract.md
// §4.5, §4.6, §4.11): labelled lines ("Title: ..."), upper-case section
// headers ("REQUIRED SKILLS:", "=== PROFILE ==="), numbered experience
// entries and bullet lists. Everything is best effort: what cannot be found
// is left empty and the generators say so.

// lines splits text into lines without trailing spaces.
func lines(text string) []string {
	ls := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return ls
}

// field returns the value of the first "Label: value" line (label matched
// case-insensitively), or "".
func field(text, label string) string {
	want := strings.ToLower(label) + ":"
	for _, l := range lines(text) {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(strings.ToLower(t), want) {
			return strings.TrimSpace(t[len(want):])
		}
	}
	return ""
}

var headerRe = regexp.MustCompile(`^(?:=== *([A-Z][A-Z0-9 /&'-]*?) *===|([A-Z][A-Z0-9 /&()'-]{2,}):(.*)|---+)$`)

// isHeader reports whether a trimmed line is a section header, and its name.
func isHeader(t string) (name, rest string, ok bool) {
	m := headerRe.FindStringSubmatch(t)
	if m == nil {
		return "", "", false
	}
	if m[1] != "" {
		return m[1], "", true
	}
	return m[2], strings.TrimSpace(m[3]), true
}

// section returns the body of the first section whose header is one of
// names: the rest of the header line, then every line up to the next header.
func section(text string, names ...string) string {
	ls := lines(text)
	for i, l := range ls {
		name, rest, ok := isHeader(strings.TrimSpace(l))
		if !ok || !containsFold(names, name) {
			continue
		}
		var body []string
		if rest != "" {
			body = append(body, rest)
		}
		for _, m := range ls[i+1:] {
			if _, _, h := isHeader(strings.TrimSpace(m)); h {
				break
			}
			body = append(body, m)
		}
		return strings.TrimSpace(strings.Join(body, "\n"))
	}
	return ""
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// notGiven reports the placeholders JobMatch writes for missing values.
func notGiven(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return l == "" || strings.HasPrefix(l, "not specified") || strings.HasPrefix(l, "not provided") ||
		strings.HasPrefix(l, "no ") || l == "various skills" || l == "various technologies" ||
		strings.HasPrefix(l, "date not specified") || strings.HasPrefix(l, "location not specified")
}

func splitList(s string) []string {
	if notGiven(s) {
		return nil
	}
	var out []string
	for _, l := range lines(s) {
		l = strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "•-*·"))
		for _, part := range strings.FieldsFunc(l, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
			if part = strings.TrimSpace(part); part != "" && !notGiven(part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// job is what a prompt says about the job posting.
type job struct {
	Title, Company, Location, Arrangement, Level, Description string
	Required, Preferred                                       []string
}

// candidate is what a prompt or resume says about the candidate.
type candidate struct {
	FirstName, LastName, Location, Email, Phone, LinkedIn, Headline, Summary string
	Experience                                                               []experience
	Education                                                                []education
	Skills                                                                   []string
	Text                                                                     string // the whole candidate text, for keyword checks
}

type experience struct {
	Title, Company, Location, Start, End, Description string
	Current                                           bool
	Bullets                                           []string
}

type education struct {
	Degree, Field, School, Start, End, Grade string
}

func (c candidate) name() string { return strings.TrimSpace(c.FirstName + " " + c.LastName) }

// splitPrompt cuts a prompt into the job part and the candidate part at the
// first of the candidate markers.
func splitPrompt(text string, markers ...string) (jobText, candText string) {
	best := -1
	for _, m := range markers {
		if i := strings.Index(text, m); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return text, text
	}
	return text[:best], text[best:]
}

func parseJob(text string) job {
	j := job{
		Title:       field(text, "Title"),
		Company:     field(text, "Company"),
		Location:    field(text, "Location"),
		Arrangement: field(text, "Work Arrangement"),
		Level:       field(text, "Experience Level"),
		Description: section(text, "FULL JOB DESCRIPTION", "JOB DESCRIPTION", "DESCRIPTION"),
		Required:    splitList(section(text, "REQUIRED SKILLS")),
		Preferred:   splitList(section(text, "PREFERRED SKILLS")),
	}
	if notGiven(j.Description) {
		j.Description = ""
	}
	return j
}

var (
	entryRe    = regexp.MustCompile(`^(?:\d+\.\s+)?(.+?) at (.+)$`)
	rangeRe    = regexp.MustCompile(`^(?:Duration:\s*)?(.+?)\s+[-–—]\s+(.+?)(?:\s*\|\s*(.*))?$`)
	yearRe     = regexp.MustCompile(`\b(19|20)\d{2}\b`)
	eduLineRe  = regexp.MustCompile(`^(.+?) in (.+?) from (.+?)(?: \((?:Graduated )?(\d{4})\))?(?: \|.*)?$`)
	skillExtra = regexp.MustCompile(`\s*(\(.*?\)|-\s*\d+(\.\d+)?\s*years?)\s*`)
)

func looksLikeRange(s string) bool {
	m := rangeRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return false
	}
	return yearRe.MatchString(m[1]) || strings.Contains(strings.ToLower(m[1]), "date not specified")
}

// parseCandidate reads a "CANDIDATE PROFILE" block (compatibility and
// variant prompts) or a "=== PROFILE ===" resume text (gap analysis).
func parseCandidate(text string) candidate {
	c := candidate{Text: text}
	name := field(text, "Name")
	c.FirstName, c.LastName, _ = strings.Cut(strings.TrimSpace(name), " ")
	c.LastName = strings.TrimSpace(c.LastName)
	for _, p := range []struct {
		dst   *string
		label string
	}{
		{&c.Location, "Location"}, {&c.Email, "Email"}, {&c.Phone, "Phone"}, {&c.LinkedIn, "LinkedIn"},
		{&c.Summary, "Professional Summary"},
	} {
		if v := field(text, p.label); !notGiven(v) {
			*p.dst = v
		}
	}
	if c.Summary == "" {
		c.Summary = section(text, "PROFESSIONAL SUMMARY", "CURRENT PROFESSIONAL SUMMARY")
	}
	c.Headline = section(text, "HEADLINE")

	c.Experience = parseExperience(section(text, "WORK EXPERIENCE"))
	c.Education = parseEducation(section(text, "EDUCATION"))
	for _, s := range splitList(section(text, "SKILLS")) {
		if s = strings.TrimSpace(skillExtra.ReplaceAllString(s, " ")); s != "" {
			c.Skills = append(c.Skills, s)
		}
	}
	return c
}

func parseExperience(body string) []experience {
	ls := lines(body)
	var out []experience
	cur := -1
	for i, l := range ls {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		numbered := len(t) > 2 && t[0] >= '0' && t[0] <= '9' && strings.Contains(t[:min(4, len(t))], ".")
		if m := entryRe.FindStringSubmatch(t); m != nil && !strings.HasPrefix(t, "•") && !strings.HasPrefix(t, "-") {
			next := ""
			for _, n := range ls[i+1:] {
				if n = strings.TrimSpace(n); n != "" {
					next = n
					break
				}
			}
			if numbered || looksLikeRange(next) {
				out = append(out, experience{Title: strings.TrimSpace(m[1]), Company: strings.TrimSpace(m[2])})
				cur = len(out) - 1
				continue
			}
		}
		if cur < 0 {
			continue
		}
		e := &out[cur]
		switch {
		case strings.HasPrefix(t, "Location:"):
			if v := strings.TrimSpace(strings.TrimPrefix(t, "Location:")); !notGiven(v) {
				e.Location = v
			}
		case strings.HasPrefix(t, "Description:"):
			e.Description = strings.TrimSpace(strings.TrimPrefix(t, "Description:"))
		case e.Start == "" && looksLikeRange(t):
			m := rangeRe.FindStringSubmatch(t)
			e.Start = strings.TrimSpace(m[1])
			e.End = strings.TrimSpace(m[2])
			if strings.EqualFold(e.End, "Present") {
				e.Current, e.End = true, ""
			}
			if loc := strings.TrimSpace(m[3]); loc != "" && !notGiven(loc) {
				e.Location = loc
			}
		case strings.HasPrefix(t, "•") || strings.HasPrefix(t, "- ") || strings.HasPrefix(t, "* "):
			b := strings.TrimSpace(strings.TrimLeft(t, "•-* "))
			if b != "" && !strings.HasPrefix(strings.ToLower(b), "no specific") {
				e.Bullets = append(e.Bullets, b)
			}
		}
	}
	return out
}

func parseEducation(body string) []education {
	var out []education
	ls := lines(body)
	for i, l := range ls {
		t := strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(l), "•-* "))
		if t == "" || notGiven(t) {
			continue
		}
		if m := eduLineRe.FindStringSubmatch(t); m != nil {
			out = append(out, education{Degree: m[1], Field: m[2], School: m[3], End: m[4]})
			continue
		}
		// Gap-analysis form: "Degree in Field", then the school, then dates.
		if deg, fld, ok := strings.Cut(t, " in "); ok && i+1 < len(ls) {
			e := education{Degree: deg, Field: fld}
			if deg == "Degree not specified" {
				e.Degree = ""
			}
			if fld == "Field not specified" {
				e.Field = ""
			}
			if i+1 < len(ls) {
				e.School = strings.TrimSpace(ls[i+1])
			}
			if i+2 < len(ls) {
				if m := rangeRe.FindStringSubmatch(strings.TrimSpace(ls[i+2])); m != nil {
					e.Start, e.End = m[1], m[2]
				}
			}
			out = append(out, e)
		}
	}
	return out
}

var monthNames = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

var (
	isoDateRe   = regexp.MustCompile(`\b((?:19|20)\d{2})[-/](\d{1,2})\b`)
	monthYearRe = regexp.MustCompile(`(?i)\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+((?:19|20)\d{2})\b`)
	usDateRe    = regexp.MustCompile(`\b(\d{1,2})/((?:19|20)\d{2})\b`)
)

// parseMonth reads "2020-03", "2020-03-15", "Mar 2020", "03/2020" or
// "2020" into a month index (year*12 + month-1); ok is false otherwise.
func parseMonth(s string) (int, bool) {
	if m := isoDateRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		if mo >= 1 && mo <= 12 {
			return y*12 + mo - 1, true
		}
	}
	if m := monthYearRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[2])
		return y*12 + monthNames[strings.ToLower(m[1])[:3]] - 1, true
	}
	if m := usDateRe.FindStringSubmatch(s); m != nil {
		y, _ := strconv.Atoi(m[2])
		mo, _ := strconv.Atoi(m[1])
		if mo >= 1 && mo <= 12 {
			return y*12 + mo - 1, true
		}
	}
	if m := yearRe.FindString(s); m != "" {
		y, _ := strconv.Atoi(m)
		return y * 12, true
	}
	return 0, false
}

func monthIndex(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

// formatMonth writes a month index as "YYYY-MM".
func formatMonth(i int) string { return strconv.Itoa(i/12) + "-" + twoDigits(i%12+1) }

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// span returns an experience's start and end month indexes (end = now when
// current or open), and whether the start is known.
func (e experience) span(now time.Time) (start, end int, ok bool) {
	start, ok = parseMonth(e.Start)
	if !ok {
		return 0, 0, false
	}
	end, endOK := parseMonth(e.End)
	if e.Current || !endOK {
		end = monthIndex(now)
	}
	if end < start {
		end = start
	}
	return start, end, true
}

// yearsOfExperience sums the months of the experiences whose dates parse,
// counting overlapping months once.
func yearsOfExperience(exps []experience, now time.Time) float64 {
	months := map[int]bool{}
	for _, e := range exps {
		s, en, ok := e.span(now)
		if !ok {
			continue
		}
		for m := s; m < en && m-s < 600; m++ {
			months[m] = true
		}
	}
	return float64(len(months)) / 12
}

// hasWord reports whether the lower-cased text contains the lower-cased
// phrase on word boundaries ("go" is not found in "google").
func hasWord(textLower, phraseLower string) bool {
	if phraseLower == "" {
		return false
	}
	for off := 0; ; {
		i := strings.Index(textLower[off:], phraseLower)
		if i < 0 {
			return false
		}
		i += off
		end := i + len(phraseLower)
		before := i == 0 || !isWordByte(textLower[i-1])
		after := end == len(textLower) || !isWordByte(textLower[end])
		if before && after {
			return true
		}
		off = i + 1
	}
}

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '#' || b >= 0x80
}

// skillOverlap splits the job's skills into those the candidate shows (in
// the skills list or anywhere in the candidate text) and those missing.
func skillOverlap(skills []string, c candidate) (have, missing []string) {
	textLower := strings.ToLower(c.Text + "\n" + strings.Join(c.Skills, ", "))
	seen := map[string]bool{}
	for _, s := range skills {
		l := strings.ToLower(strings.TrimSpace(s))
		if l == "" || seen[l] {
			continue
		}
		seen[l] = true
		if hasWord(textLower, l) {
			have = append(have, s)
		} else {
			missing = append(missing, s)
		}
	}
	return have, missing
}

// keywords returns the most frequent content words of text (ties broken
// alphabetically), at most n.
func keywords(text string, n int) []string {
	counts := map[string]int{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '#')
	}) {
		if len(w) < 4 || commonWords[w] {
			continue
		}
		counts[w]++
	}
	type kv struct {
		w string
		n int
	}
	var all []kv
	for w, c := range counts {
		all = append(all, kv{w, c})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].w < all[j].w
	})
	var out []string
	for i := 0; i < len(all) && i < n; i++ {
		out = append(out, all[i].w)
	}
	return out
}

var commonWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`about above after also been being best both break build building candidate
		company could does doing each even every experience from have help including into just know like looking make
		more most must need needs only other over part per role should some such team than that their them then there
		these they this those through together using very want well were what when where which while will with within
		work working would years your ours join across ability able strong skills required preferred plus`) {
		m[w] = true
	}
	return m
}()
