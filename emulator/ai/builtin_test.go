package ai

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"jobmatch-edge/runtime"
)

func TestBuiltinEmbedDeterministic(t *testing.T) {
	texts := []string{"Senior Go engineer, Kubernetes and PostgreSQL", "Pastry chef", "C++ and C# developer", "!!!", "the and of"}
	a := EmbedBuiltin(texts, 768, PoolingMean)
	b := EmbedBuiltin(texts, 768, PoolingMean)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("two runs differ:\n%s", diff)
	}
	// One text alone equals the same text inside a batch.
	alone := EmbedBuiltin(texts[2:3], 768, PoolingMean)
	if !cmp.Equal(alone[0], a[2]) {
		t.Error("embedding depends on the batch")
	}
	// Case and punctuation are normalised away.
	x := EmbedBuiltin([]string{"senior go engineer", "Senior, GO Engineer!"}, 384, PoolingMean)
	if !cmp.Equal(x[0], x[1]) {
		t.Error("case or punctuation changed the embedding")
	}
	// cls and mean vectors of one text differ.
	cls := EmbedBuiltin(texts[:1], 768, PoolingCLS)
	if c := cosine(cls[0], a[0]); c > 0.5 {
		t.Errorf("cosine(cls, mean) = %.3f, want them unrelated", c)
	}
}

func TestBuiltinEmbedSimilarity(t *testing.T) {
	for _, tc := range []struct {
		name              string
		anchor, near, far string
	}{
		{"shared skills", "Senior backend engineer: Go, Kubernetes, PostgreSQL",
			"Backend engineer with Go and PostgreSQL on Kubernetes", "Pastry chef for a French bakery, croissants and tarts"},
		{"shared title", "registered nurse intensive care unit",
			"intensive care registered nurse, night shifts", "frontend developer react typescript"},
		{"word order matters a little", "machine learning engineer",
			"engineer machine learning", "learning to cook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, dims := range []int{384, 768, 1024} {
				v := EmbedBuiltin([]string{tc.anchor, tc.near, tc.far}, dims, PoolingMean)
				near, far := cosine(v[0], v[1]), cosine(v[0], v[2])
				if !(near > far) || near < 0.3 {
					t.Errorf("%d dims: cosine(anchor, near) = %.3f, cosine(anchor, far) = %.3f; want near > far and near >= 0.3", dims, near, far)
				}
			}
		})
	}
}

// Prompts in the forms JobMatch builds them (contract §4.5, §4.6, §4.11).
const (
	compatUser = "=== JOB POSTING ===\n\nTitle: Senior Go Engineer\nCompany: Acme\nLocation: Berlin, Germany\nWork Arrangement: Hybrid\n" +
		"Experience Level: Senior\nSalary: Not specified\n\nFULL JOB DESCRIPTION:\nBuild distributed systems in Go on Kubernetes for a fast-growing startup.\n\n" +
		"REQUIRED SKILLS:\nGo, Kubernetes, PostgreSQL, Terraform\n\nPREFERRED SKILLS:\ngRPC\n\n=== CANDIDATE PROFILE ===\n\nName: Ada Lovelace\n" +
		"Location: Berlin, Germany\nEmail: ada@example.com\nPhone: Not provided\n\n\nHEADLINE:\nBackend engineer\n\n\nWORK EXPERIENCE:\n" +
		"1. Backend Engineer at Initech\n   Location: Berlin\n   Duration: 2021-03 - Present\n   Description: Led a team of 4 building Go services\n" +
		"   Key Accomplishments:\n     • Cut p99 latency by 40% with gRPC\n     • Migrated 30 services to Kubernetes\n\n" +
		"2. Developer at Globex\n   Location: Munich\n   Duration: 2018-01 - 2020-06\n   \n   Key Accomplishments:\n     • No specific accomplishments listed\n\n" +
		"EDUCATION:\n  • BSc in Computer Science from TU Berlin (Graduated 2017)\n\nSKILLS:\n  • Go (Expert) - 6 years\n  • PostgreSQL (Advanced)\n  • Kubernetes\n\n" +
		"=== YOUR TASK ===\n\nAnalyze the compatibility. Return ONLY valid JSON."
	variantSystem = "You are an expert resume writer specializing in ATS-optimized applications. %s.\n\nReturn JSON with this EXACT structure:\n" +
		`{"resume": {"summary": "", "experience": [], "skills": [], "education": []}, "coverLetter": "", "aiRationale": []}`
	variantUser = "JOB POSTING DETAILS:\n\nTitle: Senior Go Engineer\nCompany: Acme\nLocation: Berlin, Germany\nWork Arrangement: Remote\n\n\n" +
		"FULL JOB DESCRIPTION:\nBuild distributed systems in Go on Kubernetes. Terraform a plus.\n\nREQUIRED SKILLS: Go, Kubernetes, Terraform\n\n---\n\n" +
		"CANDIDATE PROFILE:\n\nName: Ada Lovelace\nLocation: Berlin\nAddress: Berlin, Germany\nPhone: Not provided\nEmail: ada@example.com\n\n\n\nWORK EXPERIENCE:\n\n" +
		"1. Backend Engineer at Initech\n   2021-03 - Present | Berlin\n   Current achievements listed:\n   - Migrated services to Kubernetes\n   - Cut p99 latency by 40%\n\n\n" +
		"2. Developer at Globex\n   2018-01 - 2020-06 | Munich\n   Current achievements listed:\n   - No specific achievements listed\n\n\n" +
		"EDUCATION:\n- BSc in Computer Science from TU Berlin (2017)\n\nSKILLS:\nGo, PostgreSQL, Kubernetes\n\n---\n\nTASK:\n1. ANALYZE the job description"
	gapUser = "Analyze this resume and return ONLY valid JSON:\n\n=== PROFILE ===\nName: Ada Lovelace\nEmail: ada@example.com\nPhone: Not provided\n" +
		"Location: Berlin\nLinkedIn: Not provided\nProfessional Summary: Not provided\n\n=== WORK EXPERIENCE ===\n\nBackend Engineer at Initech\n" +
		"Mar 2021 - Present\nLocation: Berlin\nDescription: Led a team building Go services\n\nDeveloper at Globex\nJan 2018 - Jun 2019\n" +
		"Location: Not specified\n\n=== EDUCATION ===\nNo education listed\n\n=== SKILLS ===\nGo, SQL\n"
	resumeText = "Ada Lovelace\nSenior Backend Engineer\nBerlin, Germany | ada@example.com | +49 30 1234567 | linkedin.com/in/ada\n\nSummary\n" +
		"Backend engineer with 6 years in Go.\n\nExperience\nBackend Engineer at Initech, Berlin\nMar 2021 - Present\n- Led a team of 4\n- Cut latency by 40%\n" +
		"Developer | Globex | Munich\n2018-01 – 2020-06\n- Built APIs\n\nEducation\nBSc in Computer Science, TU Berlin University, 2013 - 2017\n\n" +
		"Skills\nGo, Kubernetes, PostgreSQL\n"
)

func chatReq(system, user string, maxTokens int) ChatRequest {
	var msgs []Message
	if system != "" {
		msgs = append(msgs, Message{Role: "system", Content: system})
	}
	return ChatRequest{Messages: append(msgs, Message{Role: "user", Content: user}), MaxTokens: maxTokens, JSON: true}
}

func TestDetectTask(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  ChatRequest
		want string
	}{
		{"compatibility", chatReq("You are an expert recruiter", compatUser, 0), TaskCompatibility},
		{"application variant", chatReq(fmt.Sprintf(variantSystem, strategyImpact), variantUser, 0), TaskApplication},
		{"gap analysis", chatReq("You are a professional resume analyst", gapUser, 0), TaskGapAnalysis},
		{"resume parsing", chatReq("You are an expert resume parser. Extract ALL information", "Parse this.\n\nResume Text:\n"+resumeText, 0), TaskResumeParse},
		{"anything else", chatReq("", "What is the capital of France?", 0), TaskOther},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := DetectTask(tc.req.Messages); got != tc.want {
				t.Errorf("DetectTask = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestBuiltinCompatibility checks the analysis passes JobMatch's quality
// validation (contract §4.5) and is derived from the prompt.
func TestBuiltinCompatibility(t *testing.T) {
	res := ChatBuiltin(chatReq("You are an expert recruiter", compatUser, 4000), testNow)
	var a compatibilityAnalysis
	if err := json.Unmarshal([]byte(res.Text), &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, res.Text)
	}
	var dims map[string]Dimension
	raw := mustDecode[map[string]json.RawMessage](t, []byte(res.Text))
	if err := json.Unmarshal(raw["dimensions"], &dims); err != nil {
		t.Fatal(err)
	}
	names := []string{"skillMatch", "industryMatch", "experienceLevel", "locationMatch", "seniorityLevel",
		"educationCertification", "softSkillsLeadership", "employmentStability", "growthPotential", "companyScaleAlignment"}
	if len(dims) != 10 {
		t.Errorf("%d dimensions, want 10", len(dims))
	}
	for _, n := range names {
		d, ok := dims[n]
		if !ok {
			t.Errorf("missing dimension %s", n)
			continue
		}
		if d.Score < 1 || d.Score > 10 || len(d.Justification) < 30 {
			t.Errorf("%s = %+v: want score 1..10 and a justification of 30+ characters", n, d)
		}
	}
	want := OverallScore(dims["skillMatch"].Score, dims["industryMatch"].Score, dims["experienceLevel"].Score, dims["locationMatch"].Score,
		dims["seniorityLevel"].Score, dims["educationCertification"].Score, dims["softSkillsLeadership"].Score,
		dims["employmentStability"].Score, dims["growthPotential"].Score, dims["companyScaleAlignment"].Score)
	if a.OverallScore != want || a.Recommendation != Recommendation(want) {
		t.Errorf("overall %d %q, want %d %q", a.OverallScore, a.Recommendation, want, Recommendation(want))
	}
	if len(a.Strengths) != 3 || len(a.Gaps) != 3 || a.RedFlags == nil {
		t.Errorf("strengths %d, gaps %d, redFlags %v: want 3, 3, an array", len(a.Strengths), len(a.Gaps), a.RedFlags)
	}
	if got := dims["skillMatch"].Justification; got != "The candidate shows 3 of 4 required skills (Go, Kubernetes, PostgreSQL); missing: Terraform." {
		t.Errorf("skillMatch justification = %q", got)
	}
	if a.Gaps[0] != "Missing required skills: Terraform" {
		t.Errorf("first gap = %q", a.Gaps[0])
	}
	if !strings.Contains(res.Text, "Berlin, Germany") {
		t.Error("location match does not mention the location")
	}

	// With no candidate skills at all the skill score drops and a red flag appears.
	weak := ChatBuiltin(chatReq("", strings.Replace(strings.Replace(compatUser, "Go (Expert)", "Baking", 1), "Kubernetes\n\n===", "Icing\n\n===", 1), 4000), testNow)
	if weak.Text == res.Text {
		t.Error("changing the candidate did not change the analysis")
	}
}

func TestBuiltinApplicationVariants(t *testing.T) {
	type variant struct {
		Resume struct {
			Summary    string `json:"summary"`
			Experience []struct {
				Title, Company, Location, StartDate, EndDate string
				Bullets                                      []string
			} `json:"experience"`
			Skills    []string `json:"skills"`
			Education []struct {
				Degree, School, Location, Graduation string
			} `json:"education"`
		} `json:"resume"`
		CoverLetter string   `json:"coverLetter"`
		AIRationale []string `json:"aiRationale"`
	}
	seen := map[string]bool{}
	for _, tc := range []struct {
		strategy, name string
		jobs           int
	}{
		{strategyImpact, "Impact-Focused", 2},
		{strategyKeyword, "Keyword-Optimized", 2},
		{strategyConcise, "Concise", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := ChatBuiltin(chatReq(fmt.Sprintf(variantSystem, tc.strategy), variantUser, 3000), testNow)
			v := mustDecode[variant](t, []byte(res.Text))
			if seen[res.Text] {
				t.Error("variant identical to another strategy's")
			}
			seen[res.Text] = true
			if len(v.Resume.Experience) != tc.jobs {
				t.Fatalf("%d experience entries, want %d: %s", len(v.Resume.Experience), tc.jobs, res.Text)
			}
			e := v.Resume.Experience[0]
			if e.Title != "Backend Engineer" || e.Company != "Initech" || e.StartDate != "2021-03" || e.EndDate != "Present" || e.Location != "Berlin" {
				t.Errorf("first job = %+v", e)
			}
			if v.Resume.Skills[0] != "Go" || v.Resume.Skills[1] != "Kubernetes" {
				t.Errorf("skills = %v, want matched required skills first", v.Resume.Skills)
			}
			if len(v.Resume.Education) != 1 || v.Resume.Education[0].Degree != "BSc in Computer Science" || v.Resume.Education[0].Graduation != "2017" {
				t.Errorf("education = %+v", v.Resume.Education)
			}
			if strings.Count(v.CoverLetter, "Acme") < 2 || !strings.Contains(v.CoverLetter, "Senior Go Engineer") || !strings.HasSuffix(v.CoverLetter, "Ada Lovelace") {
				t.Errorf("cover letter does not name the company twice, the title and the candidate:\n%s", v.CoverLetter)
			}
			if !strings.HasPrefix(v.AIRationale[0], tc.name+" strategy applied") {
				t.Errorf("rationale = %v", v.AIRationale)
			}
			if !strings.Contains(strings.Join(v.AIRationale, "\n"), "Terraform") {
				t.Error("rationale does not mention the missing skill Terraform")
			}
		})
	}
	// Impact-Focused puts the bullet with a metric first.
	res := ChatBuiltin(chatReq(fmt.Sprintf(variantSystem, strategyImpact), variantUser, 3000), testNow)
	v := mustDecode[variant](t, []byte(res.Text))
	if got := v.Resume.Experience[0].Bullets[0]; got != "Cut p99 latency by 40%" {
		t.Errorf("impact first bullet = %q", got)
	}
}

func TestBuiltinGapAnalysis(t *testing.T) {
	res := ChatBuiltin(chatReq("You are a professional resume analyst", gapUser, 8000), testNow)
	var g gapAnalysisOutput
	if err := json.Unmarshal([]byte(res.Text), &g); err != nil {
		t.Fatal(err)
	}
	if g.ResumeAnalysis.GapCount+g.ResumeAnalysis.RedFlagCount != len(g.IdentifiedGapsAndFlags) ||
		len(g.ClarificationQuestions) != len(g.IdentifiedGapsAndFlags) || g.ResumeAnalysis.Urgency != "HIGH" {
		t.Errorf("summary %+v with %d items and %d questions", g.ResumeAnalysis, len(g.IdentifiedGapsAndFlags), len(g.ClarificationQuestions))
	}
	first := g.IdentifiedGapsAndFlags[0]
	if diff := cmp.Diff(gapItem{ID: 1, Type: "GAP", Category: "Employment Timeline",
		Description: "21 months between leaving Globex (2019-06) and starting at Initech (2021-03).",
		Impact:      "Unexplained gaps raise questions about continuity.", Severity: "HIGH"}, first); diff != "" {
		t.Errorf("first finding (-want +got):\n%s", diff)
	}
	var cats []string
	for _, it := range g.IdentifiedGapsAndFlags {
		cats = append(cats, it.Category)
	}
	for _, want := range []string{"Education", "Career Direction", "Contact Information", "Vague Responsibilities"} {
		if !strings.Contains(strings.Join(cats, ","), want) {
			t.Errorf("categories %v lack %q", cats, want)
		}
	}
}

func TestBuiltinResumeParse(t *testing.T) {
	res := ChatBuiltin(chatReq("You are an expert resume parser. Extract ALL information", "Parse it.\n\nResume Text:\n"+resumeText, 8000), testNow)
	got := mustDecode[parsedResume](t, []byte(res.Text))
	end := "2020-06"
	eduEnd := "2017-01"
	want := parsedResume{
		Profile: parsedProfile{FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Phone: "+49 30 1234567",
			Location: "Berlin, Germany", Headline: "Senior Backend Engineer", Summary: "Backend engineer with 6 years in Go.",
			LinkedInURL: "https://linkedin.com/in/ada"},
		WorkExperience: []parsedWork{
			{Company: "Initech", Position: "Backend Engineer", Location: "Berlin", StartDate: "2021-03", Current: true,
				Accomplishments: []string{"Led a team of 4", "Cut latency by 40%"}},
			{Company: "Globex", Position: "Developer", Location: "Munich", StartDate: "2018-01", EndDate: &end,
				Accomplishments: []string{"Built APIs"}},
		},
		Education: []parsedEducation{{Institution: "TU Berlin University", Degree: "BSc", FieldOfStudy: "Computer Science", StartDate: "2013-01", EndDate: &eduEnd}},
		Skills:    []parsedSkill{{Name: "Go"}, {Name: "Kubernetes"}, {Name: "PostgreSQL"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parsed resume (-want +got):\n%s", diff)
	}
}

func TestBuiltinOtherAndTokens(t *testing.T) {
	req := chatReq("", "What is the capital of France?", 256)
	req.JSON = false
	res := ChatBuiltin(req, testNow)
	want := `[edge builtin model] This is a synthetic reply: edge's built-in backend runs no language model. It received 1 message(s), about 12 tokens; the last user message reads: "What is the capital of France?".`
	if res.Text != want {
		t.Errorf("reply:\n got %q\nwant %q", res.Text, want)
	}
	// 30 bytes -> 8 tokens, plus 4 for the message.
	if res.PromptTokens != 12 || res.CompletionTokens != CountTokens(want) || res.Truncated {
		t.Errorf("tokens = %d/%d truncated %v", res.PromptTokens, res.CompletionTokens, res.Truncated)
	}
	req.JSON = true
	if j := ChatBuiltin(req, testNow); !json.Valid([]byte(j.Text)) || !strings.Contains(j.Text, BuiltinLabel) {
		t.Errorf("json reply %q", j.Text)
	}

	// max_tokens cuts the answer.
	short := ChatBuiltin(chatReq("You are an expert recruiter", compatUser, 10), testNow)
	if !short.Truncated || short.CompletionTokens != 10 || len(short.Text) != 40 {
		t.Errorf("max_tokens 10: truncated %v, %d tokens, %d bytes; want true, 10, 40", short.Truncated, short.CompletionTokens, len(short.Text))
	}
}

func TestRunThroughGateway(t *testing.T) {
	s := mustBuiltin(t)
	g := &fakeGateway{}
	s.SetGateway(g)
	var info runtime.AIRunInfo
	out, err := s.Run(t.Context(), "@cf/baai/bge-base-en-v1.5", map[string]any{"text": "x"},
		runtime.AIOptions{Gateway: &runtime.AIGatewayOptions{ID: "my-gw", SkipCache: true}, Info: &info})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"via":"gateway"}` || info.GatewayLogID != "log-1" || s.AIGatewayLogID() != "log-1" || info.RequestID == "" {
		t.Errorf("out %s info %+v", out, info)
	}
	if g.model != "@cf/baai/bge-base-en-v1.5" || g.input != `{"text":"x"}` || g.opts.ID != "my-gw" || !g.opts.SkipCache {
		t.Errorf("gateway saw %+v", g)
	}
	// RunDirect never goes through the gateway.
	if out, err := s.RunDirect(t.Context(), "@cf/baai/bge-base-en-v1.5", map[string]any{"text": "x"},
		runtime.AIOptions{Gateway: &runtime.AIGatewayOptions{ID: "my-gw"}}); err != nil || !strings.Contains(string(out), `"shape":[1,768]`) {
		t.Errorf("RunDirect = %.60s, %v", out, err)
	}
	if s.AIGatewayLogID() != "" {
		t.Errorf("AIGatewayLogID after a direct run = %q", s.AIGatewayLogID())
	}
}

type fakeGateway struct {
	model, input string
	opts         runtime.AIGatewayOptions
}

func (g *fakeGateway) RunWorkersAI(_ context.Context, model string, input json.RawMessage, o runtime.AIGatewayOptions) (json.RawMessage, string, error) {
	g.model, g.input, g.opts = model, string(input), o
	return json.RawMessage(`{"via":"gateway"}`), "log-1", nil
}
