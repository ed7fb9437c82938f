package api

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Usage metrics (useUsageMetrics). The original Worker has no such route
// (contract §7.2); it counts the caller's rows server-side, so the numbers
// cannot be set by the client.

// usageRoutes registers GET /api/usage/metrics (auth, no per-user limit).
func (a *App) usageRoutes() {
	a.e.GET("/api/usage/metrics", a.handleUsageMetrics, a.authenticate)
}

// usage is what the user has used, counted from the tables that record it:
//   - ApplicationsTracked: rows of tracked_applications;
//   - ResumeVariantsCreated: applications (each generated or saved
//     application holds the tailored resume and cover-letter variants) plus
//     tailored resumes;
//   - JobSearchesPerformed: job_searches rows (one per scrape);
//   - EmailsSent: email_history rows sent or delivered.
type usage struct {
	ApplicationsTracked   int64 `json:"applicationsTracked"`
	ResumeVariantsCreated int64 `json:"resumeVariantsCreated"`
	JobSearchesPerformed  int64 `json:"jobSearchesPerformed"`
	EmailsSent            int64 `json:"emailsSent"`
}

// usageMetrics counts the caller's usage in one query.
func (a *App) usageMetrics(c echo.Context) (usage, error) {
	uid := userID(c)
	row, err := a.env.D1["DB"].Prepare(`SELECT
		(SELECT COUNT(*) FROM tracked_applications WHERE user_id = ?1) AS tracked,
		(SELECT COUNT(*) FROM applications WHERE user_id = ?1)
			+ (SELECT COUNT(*) FROM resumes WHERE user_id = ?1 AND type = 'tailored') AS variants,
		(SELECT COUNT(*) FROM job_searches WHERE user_id = ?1) AS searches,
		(SELECT COUNT(*) FROM email_history WHERE user_id = ?1 AND status IN ('sent', 'delivered')) AS emails`).
		Bind(uid).First(c.Request().Context())
	if err != nil {
		return usage{}, err
	}
	return usage{
		ApplicationsTracked: rowInt(row, "tracked"), ResumeVariantsCreated: rowInt(row, "variants"),
		JobSearchesPerformed: rowInt(row, "searches"), EmailsSent: rowInt(row, "emails"),
	}, nil
}

// handleUsageMetrics is GET /api/usage/metrics: {metrics}, the shape
// useUsageMetrics destructures.
func (a *App) handleUsageMetrics(c echo.Context) error {
	m, err := a.usageMetrics(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, struct {
		Metrics usage `json:"metrics"`
	}{m})
}
