package api

// jobsRoutes registers the /api/jobs routes (placeholder until written).
func (a *App) jobsRoutes() {}
