package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleDocs is GET /api: the API's own description in development, 403
// elsewhere (§2.1).
//
// Differs from the original: the endpoint listing describes the routes edge
// serves (the original's listing was stale, naming routes that did not exist).
func (a *App) handleDocs(c echo.Context) error {
	if !a.dev {
		return writeJSON(c, http.StatusForbidden, struct {
			Message string `json:"message"`
		}{"API documentation available in development mode"})
	}
	type rateLimit struct {
		Global       string `json:"global"`
		Emails       string `json:"emails"`
		Applications string `json:"applications"`
		Scraping     string `json:"scraping"`
	}
	return writeJSON(c, http.StatusOK, struct {
		Name           string                       `json:"name"`
		Version        string                       `json:"version"`
		Runtime        string                       `json:"runtime"`
		Endpoints      map[string]map[string]string `json:"endpoints"`
		Authentication string                       `json:"authentication"`
		RateLimit      rateLimit                    `json:"rateLimit"`
		Notes          []string                     `json:"notes"`
	}{
		Name: "JobMatch AI API", Version: "1.0.0", Runtime: "Cloudflare Workers",
		Endpoints: map[string]map[string]string{
			"applications": {"POST /api/applications/generate": "Generate three application variants for a job"},
			"jobs": {
				"GET /api/jobs":  "List your jobs (page, limit, archived, saved, source, minMatchScore, search, workArrangement)",
				"POST /api/jobs": "Create a job manually; its embedding is stored in Vectorize",
			},
			"auth": {
				"GET /api/auth/linkedin/initiate": "Start LinkedIn OAuth (returns authUrl and state)",
				"GET /api/auth/linkedin/callback": "LinkedIn OAuth callback (redirects to the app)",
			},
			"profile": {
				"GET /api/profile":                  "Get your profile (created on first call)",
				"POST /api/profile/work-experience": "Add a work experience entry",
			},
			"skills": {
				"GET /api/skills":        "List your skills",
				"POST /api/skills":       "Add a skill",
				"PATCH /api/skills/:id":  "Update a skill",
				"DELETE /api/skills/:id": "Delete a skill",
			},
		},
		Authentication: "Bearer token in Authorization header",
		RateLimit: rateLimit{
			Global: "100 requests/minute per IP", Emails: "10 emails/hour per user",
			Applications: "20 generations/hour per user", Scraping: "10 scrapes/hour per user",
		},
		Notes: []string{
			"All endpoints except /health, /api and the LinkedIn callback require a Supabase bearer token",
			"Rate limit headers (X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset) are returned on /api responses",
			"Served by jobmatch-edge: Cloudflare bindings are emulated locally",
		},
	})
}
