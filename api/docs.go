package api

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// routeDocs describes every route the API may serve, in the order GET /api
// lists them: the original's groups in its order (applications, jobs,
// emails, auth, exports, resume, profile, analytics), then those it did not
// list. A description is the original's where it listed the route.
var routeDocs = [][2]string{
	{"POST /api/applications/generate", "Generate application variants for a job"},
	{"POST /api/applications", "Create an application (without generation)"},
	{"GET /api/applications", "List user applications"},
	{"GET /api/applications/:id", "Get application by ID"},
	{"PATCH /api/applications/:id", "Update application"},
	{"DELETE /api/applications/:id", "Delete application"},

	{"GET /api/jobs", "List user jobs with filters"},
	{"POST /api/jobs", "Create a job manually; its embedding is stored in Vectorize"},
	{"GET /api/jobs/:id", "Get job by ID"},
	{"POST /api/jobs/search", "Search jobs (semantic or hybrid)"},
	{"POST /api/jobs/scrape", "Scrape jobs from sources (coming soon)"},
	{"PATCH /api/jobs/:id", "Update job (save/archive)"},
	{"DELETE /api/jobs/:id", "Delete job"},
	{"POST /api/jobs/:id/analyze", "Analyze how well a job matches your profile"},
	{"POST /api/jobs/cleanup", "Archive jobs older than daysOld days"},

	{"POST /api/emails/send", "Send application email"},
	{"GET /api/emails/history", "Get email history"},
	{"GET /api/emails/remaining", "Get remaining emails in rate limit window"},

	{"GET /api/auth/linkedin/initiate", "Start LinkedIn OAuth flow"},
	{"GET /api/auth/linkedin", "Start LinkedIn OAuth flow (the path the frontend calls)"},
	{"GET /api/auth/linkedin/callback", "Handle LinkedIn OAuth callback"},

	{"POST /api/exports/pdf", "Export application as PDF (client-side)"},
	{"POST /api/exports/docx", "Export application as DOCX (client-side)"},
	{"POST /api/exports/text", "Export application as plain text"},

	{"GET /api/resume", "List your resumes"},
	{"POST /api/resume/parse", "Parse resume file using AI"},
	{"GET /api/resume/supported-formats", "Get supported file formats"},
	{"POST /api/resume/analyze-gaps", "Analyze the gaps in a resume"},
	{"GET /api/resume/gap-analysis/:id", "Get a gap analysis"},
	{"PATCH /api/resume/gap-analysis/:id/answer", "Answer a gap analysis question"},
	{"GET /api/resume/gap-analyses", "List your gap analyses"},
	{"POST /api/resume/upload", "Upload a resume"},
	{"DELETE /api/resume/:fileKey", "Delete a resume"},

	{"GET /api/profile", "Get user profile (created on first call)"},
	{"PATCH /api/profile", "Update user profile (auto-triggers embedding update)"},
	{"GET /api/profile/work-experience", "List work experience"},
	{"POST /api/profile/work-experience", "Add work experience"},
	{"PATCH /api/profile/work-experience/:id", "Update work experience"},
	{"DELETE /api/profile/work-experience/:id", "Delete work experience"},
	{"GET /api/profile/skills", "List skills"},
	{"POST /api/profile/skills", "Add skill"},
	{"PATCH /api/profile/skills/:id", "Update skill"},
	{"DELETE /api/profile/skills/:id", "Delete skill"},
	{"GET /api/profile/education", "List education"},
	{"POST /api/profile/education", "Add education"},
	{"PATCH /api/profile/education/:id", "Update education"},
	{"DELETE /api/profile/education/:id", "Delete education"},
	{"POST /api/profile/avatar", "Upload profile photo"},
	{"DELETE /api/profile/avatar", "Delete profile photo"},

	{"GET /api/analytics/workers-ai", "Workers AI usage metrics and monitoring guide"},
	{"GET /api/analytics/cache", "Cache efficiency metrics"},
	{"GET /api/analytics/models", "Model performance comparison"},
	{"GET /api/analytics/cost-savings", "Cost savings estimates"},

	{"GET /api/skills", "List skills"},
	{"POST /api/skills", "Add skill"},
	{"PATCH /api/skills/:id", "Update skill"},
	{"DELETE /api/skills/:id", "Delete skill"},

	{"POST /api/files/upload", "Upload a file (multipart: file, bucket, path)"},
	{"GET /api/files/download/:key", "Download one of your files"},
	{"DELETE /api/files/:key", "Delete one of your files"},
	{"GET /api/files/:key/signed-url", "Get a download URL for one of your files"},
	{"GET /api/files/avatar/:targetUserId", "Public avatar of a user"},

	{"GET /api/tracked-applications", "List tracked applications"},
	{"GET /api/tracked-applications/active", "List tracked applications that are not archived"},
	{"GET /api/tracked-applications/:id", "Get tracked application by ID"},
	{"POST /api/tracked-applications", "Track an application"},
	{"PATCH /api/tracked-applications/:id", "Update tracked application"},
	{"PATCH /api/tracked-applications/:id/archive", "Archive tracked application"},
	{"PATCH /api/tracked-applications/:id/unarchive", "Unarchive tracked application"},
	{"DELETE /api/tracked-applications/:id", "Delete tracked application"},

	{"GET /api/billing/subscription", "Get your subscription"},
	{"GET /api/billing/invoices", "List your invoices"},
	{"GET /api/billing/payment-methods", "List your payment methods"},
	{"GET /api/billing/usage-limits", "Get your usage limits"},

	{"GET /api/usage/metrics", "Get your usage metrics"},
}

// servedRoutes is the set of "METHOD path" the router serves (catch-alls
// and the root routes left out).
func servedRoutes(e *echo.Echo) map[string]bool {
	served := map[string]bool{}
	for _, r := range e.Routes() {
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
			if strings.HasPrefix(r.Path, "/api/") && !strings.HasSuffix(r.Path, "*") {
				served[r.Method+" "+r.Path] = true
			}
		}
	}
	return served
}

// routeGroup is a route's group in the listing: the path segment after
// /api/ (auth for /api/auth/linkedin/...).
func routeGroup(route string) string {
	_, path, _ := strings.Cut(route, " ")
	group, _, _ := strings.Cut(strings.TrimPrefix(path, "/api/"), "/")
	return group
}

// handleDocs is GET /api: the API's own description in development, 403
// elsewhere (§2.1), in the original's shape and words.
//
// Differs from the original: endpoints lists the routes this build serves,
// every group of them (the original's listing was stale: it named routes
// that did not exist and left out files and skills).
func (a *App) handleDocs(c echo.Context) error {
	if !a.dev {
		return writeJSON(c, http.StatusForbidden, ordObj{{"message", "API documentation available in development mode"}})
	}
	served := servedRoutes(a.e)
	var endpoints ordObj
	for _, d := range routeDocs {
		if !served[d[0]] {
			continue
		}
		g := routeGroup(d[0])
		if n := len(endpoints); n == 0 || endpoints[n-1].Key != g {
			endpoints = append(endpoints, ordKV{g, ordObj{}})
		}
		last := &endpoints[len(endpoints)-1]
		last.Value = append(last.Value.(ordObj), ordKV{d[0], d[1]})
	}
	return writeJSON(c, http.StatusOK, ordObj{
		{"name", "JobMatch AI API"},
		{"version", "1.0.0"},
		{"runtime", "Cloudflare Workers"},
		{"endpoints", endpoints},
		{"authentication", "Bearer token in Authorization header"},
		{"rateLimit", ordObj{
			{"global", "100 requests/minute per IP"}, {"emails", "10 emails/hour per user"},
			{"applications", "20 generations/hour per user"}, {"scraping", "10 scrapes/hour per user"},
		}},
		{"notes", []string{
			"PDF/DOCX export returns data for client-side generation",
			"Resume parsing works best with image files (PNG, JPEG)",
			"Job scraping feature is coming soon",
		}},
	})
}
